/* proto.h: the messages between a judge and a worker.

   A judge (trusted: it holds the test cases and computes the expected values)
   never runs a student's code. It sends a request to a worker (the kit's
   library built with the student's change file, run in a sandbox), which
   calls the student's function and sends back what came out. A message is a
   sequence of items, each a one-byte type, a 32-bit count and the data:

     'i' int32[count]   'f' float32[count]   'd' float64[count]
     's' bytes[count]   'e' end of message (count 0)

   A request starts with the operation's name (an 's' item). A reply is valid
   only if it ends with 'e' and every item has the type and count the judge
   expects; anything else, a truncated reply included, fails the test. The
   reader checks every length against what is left in the buffer, since a
   reply comes from untrusted code. Both ends run on the same machine, so
   numbers travel in the machine's own byte order. */
#pragma once
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { P_INT = 'i', P_FLT = 'f', P_DBL = 'd', P_STR = 's', P_END = 'e' };

typedef struct { unsigned char *b; size_t n, cap; } PBuf;

static inline void pb_raw(PBuf *m, const void *p, size_t k)
{
  if (m->n + k > m->cap) {
    size_t cap = m->cap ? m->cap : 256;
    while (cap < m->n + k) cap *= 2;
    unsigned char *nb = realloc(m->b, cap);
    if (!nb) abort();
    m->b = nb;
    m->cap = cap;
  }
  if (k) memcpy(m->b + m->n, p, k);
  m->n += k;
}

static inline void pb_item(PBuf *m, int type, const void *data, uint32_t count, size_t elsize)
{
  unsigned char t = (unsigned char) type;
  pb_raw(m, &t, 1);
  pb_raw(m, &count, sizeof count);
  pb_raw(m, data, (size_t) count * elsize);
}

static inline void pb_ints(PBuf *m, const int *x, size_t n) { pb_item(m, P_INT, x, (uint32_t) n, sizeof(int32_t)); }
static inline void pb_int(PBuf *m, int v) { pb_ints(m, &v, 1); }
static inline void pb_floats(PBuf *m, const float *x, size_t n) { pb_item(m, P_FLT, x, (uint32_t) n, sizeof(float)); }
static inline void pb_doubles(PBuf *m, const double *x, size_t n) { pb_item(m, P_DBL, x, (uint32_t) n, sizeof(double)); }
static inline void pb_double(PBuf *m, double v) { pb_doubles(m, &v, 1); }
static inline void pb_bytes(PBuf *m, const void *s, size_t n) { pb_item(m, P_STR, s, (uint32_t) n, 1); }
static inline void pb_str(PBuf *m, const char *s) { pb_bytes(m, s, strlen(s)); }
static inline void pb_end(PBuf *m) { pb_item(m, P_END, NULL, 0, 1); }
static inline void pb_free(PBuf *m) { free(m->b); *m = (PBuf) {0}; }

typedef struct { const unsigned char *b; size_t n, at; } PRead;

/* The next item, which must have type |type|; |*count| is its number of
   elements and |*data| points at them (not aligned: copy before use).
   Returns 0, or -1 if the item is missing, of another type or cut short. */
static inline int pr_item(PRead *r, int type, uint32_t *count, const unsigned char **data)
{
  size_t el = type == P_INT ? 4 : type == P_FLT ? 4 : type == P_DBL ? 8 : 1;
  if (r->n - r->at < 5 || r->b[r->at] != type) return -1;
  uint32_t c;
  memcpy(&c, r->b + r->at + 1, sizeof c);
  if ((uint64_t) c * el > r->n - r->at - 5) return -1;
  *count = c;
  *data = r->b + r->at + 5;
  r->at += 5 + (size_t) c * el;
  return 0;
}

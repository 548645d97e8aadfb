/* Exercise 1, public tests: the vocabulary's hash table.

   The worker starts a vocabulary (vocab_init: <SOS> and <EOS>), adds and
   finds the words the judge sends, and sends back each result, the number of
   words and the whole table of slots. Expected indices come from a plain list
   (a word's index is its place in the order of first addition). The table is
   checked against the defining property of linear probing, not against a
   copy of the algorithm: each word sits at the slot its hash names (FNV-1a,
   32 bits, modulo the table size) or after it, and no empty slot lies
   between that slot and the word's (walking forward and wrapping around),
   since a lookup stops at the first empty slot. */
#include "judge.h"

static uint32_t fnv1a(const char *w)
{
  uint32_t h = 2166136261u;
  for (; *w; w++) {
    h ^= (uint8_t) *w;
    h *= 16777619u;
  }
  return h;
}

typedef struct {
  int k;            /* commands */
  int *cmd;         /* 0 add, 1 find */
  char **word;
  int *result;      /* from the worker */
  int n, nslot, *slot;
} Session;

static void session_run(Session *s)
{
  PBuf q = request("vocab");
  pb_int(&q, s->k);
  pb_ints(&q, s->cmd, (size_t) s->k);
  PBuf w = {0};
  for (int i = 0; i < s->k; i++) pb_raw(&w, s->word[i], strlen(s->word[i]) + 1);
  pb_bytes(&q, w.b, w.n);
  pb_free(&w);
  Reply r = call(&q);
  s->result = reply_ints(&r, (size_t) s->k, "results");
  s->n = reply_int(&r, "number of words");
  uint32_t c;
  const unsigned char *d;
  PRead save = r.r;
  if (pr_item(&r.r, P_INT, &c, &d) || c == 0 || (c & (c - 1)) != 0)
    ck_abort_msg("the table has %u slots: not a power of two", c);
  r.r = save;
  s->nslot = (int) c;
  s->slot = reply_ints(&r, c, "slots");
  reply_free(&r);
}

/* A plain dictionary for the judge's own bookkeeping (open addressing with
   a different hash, djb2): word -> its index in |list|. */
typedef struct { const char **list; int *at; int cap; } Dict;

static uint32_t djb2(const char *w)
{
  uint32_t h = 5381;
  for (; *w; w++) h = h * 33 + (uint8_t) *w;
  return h;
}

static int dict_get(const Dict *d, const char *w)
{
  for (uint32_t i = djb2(w) & (uint32_t) (d->cap - 1);; i = (i + 1) & (uint32_t) (d->cap - 1)) {
    if (d->at[i] < 0) return -1;
    if (strcmp(d->list[d->at[i]], w) == 0) return d->at[i];
  }
}

static void dict_put(Dict *d, const char *w, int idx)
{
  uint32_t i = djb2(w) & (uint32_t) (d->cap - 1);
  while (d->at[i] >= 0) i = (i + 1) & (uint32_t) (d->cap - 1);
  d->at[i] = idx;
}

/* The results against the list, then the table against linear probing's
   property. */
static void check_session(Session *s, const char *what)
{
  int max = s->k + 2, cap = 16;
  while (cap < 2 * max) cap *= 2;
  const char **list = malloc((size_t) max * sizeof *list);
  Dict d = {list, malloc((size_t) cap * sizeof(int)), cap};
  for (int i = 0; i < cap; i++) d.at[i] = -1;
  int n = 0;
  list[n] = "<SOS>", dict_put(&d, list[n], n), n++;
  list[n] = "<EOS>", dict_put(&d, list[n], n), n++;
  /* the results, in order: an add returns the word's index (a new word gets
     the next one), a find the index or -1 */
  for (int i = 0; i < s->k; i++) {
    int want = dict_get(&d, s->word[i]);
    if (s->cmd[i] == 0 && want < 0) {
      list[n] = s->word[i];
      dict_put(&d, list[n], n);
      want = n++;
    }
    if (s->result[i] != want)
      ck_abort_msg("%s: command %d, %s(\"%s\"), returned %d, expected %d", what, i,
        s->cmd[i] ? "vocab_find" : "vocab_add", s->word[i], s->result[i], want);
  }
  free(d.at);
  if (s->n != n) ck_abort_msg("%s: the vocabulary has %d words, expected %d", what, s->n, n);
  int *where = malloc((size_t) n * sizeof(int));
  for (int i = 0; i < n; i++) where[i] = -1;
  for (int j = 0; j < s->nslot; j++) {
    int v = s->slot[j];
    if (v == 0) continue;
    if (v < 0 || v > n) ck_abort_msg("%s: slot %d holds %d, not 0 or a word's index plus one", what, j, v);
    if (where[v - 1] >= 0)
      ck_abort_msg("%s: the word \"%s\" is in two slots, %d and %d", what, list[v - 1], where[v - 1], j);
    where[v - 1] = j;
  }
  uint32_t mask = (uint32_t) s->nslot - 1;
  for (int i = 0; i < n; i++) {
    if (where[i] < 0) ck_abort_msg("%s: the word \"%s\" is in no slot of the table", what, list[i]);
    int home = (int) (fnv1a(list[i]) & mask);
    for (int j = home; j != where[i]; j = (j + 1) & (int) mask)
      if (s->slot[j] == 0)
        ck_abort_msg("%s: the word \"%s\" sits in slot %d, but its hash names slot %d of %d and "
          "slot %d between them is empty: linear probing from slot %d would stop there and "
          "never find it", what, list[i], where[i], home, s->nslot, j, home);
  }
  free(where);
  free(list);
}

static void session_free(Session *s)
{
  free(s->result);
  free(s->slot);
}

static char **split(const char *text, int *k)
{
  char *t = strdup(text), *save = NULL;
  char **w = malloc(256 * sizeof *w);
  *k = 0;
  for (char *p = strtok_r(t, " ", &save); p && *k < 256; p = strtok_r(NULL, " ", &save)) w[(*k)++] = p;
  return w;
}

JTEST(seed_words_get_their_indices)
{
  int na, nf;
  char **add = split("i am a student he is a teacher she is a doctor we are engineers they are artists", &na);
  char **find = split("they student i am artists <EOS> <SOS> a studen students x <sos> I", &nf);
  Session s = {na + nf, malloc((size_t) (na + nf) * sizeof(int)), malloc((size_t) (na + nf) * sizeof(char *))};
  for (int i = 0; i < na; i++) s.cmd[i] = 0, s.word[i] = add[i];
  for (int i = 0; i < nf; i++) s.cmd[na + i] = 1, s.word[na + i] = find[i];
  session_run(&s);
  check_session(&s, "the English words of the five pairs");
  session_free(&s);
}

JTEST(words_sit_at_or_after_their_hash_slot)
{
  int na;
  char **add = split("je suis etudiant il est professeur elle est medecin nous sommes ingenieurs ils sont artistes", &na);
  Session s = {na, calloc((size_t) na, sizeof(int)), add};
  session_run(&s);
  check_session(&s, "the French words of the five pairs");
  session_free(&s);
}

JTEST(table_grows_and_words_stay_findable)
{
  int k = 230;
  Session s = {k, malloc((size_t) k * sizeof(int)), malloc((size_t) k * sizeof(char *))};
  for (int i = 0; i < k; i++) {
    char buf[16];
    snprintf(buf, sizeof buf, "w%d", i < 100 ? i : i < 200 ? i - 100 : i);
    s.cmd[i] = i >= 100;
    s.word[i] = strdup(buf);
  }
  session_run(&s);
  check_session(&s, "100 words w0 ... w99 (the table doubles twice), then 130 lookups");
  session_free(&s);
}

static const Graded public_tests[] = {
  GRADED(seed_words_get_their_indices, 1, 3, "add the English words of the five pairs and find words, present or not"),
  GRADED(words_sit_at_or_after_their_hash_slot, 0.5, 3, "the French words sit where linear probing puts them"),
  GRADED(table_grows_and_words_stay_findable, 0.5, 3, "100 words: the table doubles, every word is found where it should be"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

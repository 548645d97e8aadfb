/* Exercise 13, public tests: the masked softmax of one row. Expected values
   come from the definition, evaluated here in double precision: for a row of
   sentence b with n = len[b] words,
     w_s = exp(e_s - m) / sum_{p<n} exp(e_p - m)  for s < n,  m = max_{p<n} e_p,
     w_s = 0 exactly                               for s >= n,
   and from the book's worked example, by hand. */
#include "judge.h"

static float *run_softmax(int B, int heads, int S, const int *len, const float *e)
{
  size_t n = (size_t) B * heads * S;
  PBuf q = request("masked_softmax");
  pb_int(&q, B);
  pb_int(&q, heads);
  pb_int(&q, S);
  pb_ints(&q, len, (size_t) B);
  pb_floats(&q, e, n);
  Reply rp = call(&q);
  float *w = reply_floats(&rp, n, "the weights");
  reply_free(&rp);
  return w;
}

static void definition(int B, int heads, int S, const int *len, const float *e, double *w)
{
  for (int r = 0; r < B * heads; r++) {
    int n = len[r / heads];
    const float *x = e + (size_t) r * S;
    double m = x[0], sum = 0;
    for (int s = 1; s < n; s++) if (x[s] > m) m = x[s];
    for (int s = 0; s < n; s++) sum += exp((double) x[s] - m);
    for (int s = 0; s < S; s++) w[(size_t) r * S + s] = s < n ? exp((double) x[s] - m) / sum : 0.0;
  }
}

/* The weights against the definition, and every pad exactly 0. */
static float *check_rows(int B, int heads, int S, const int *len, const float *e, const char *what)
{
  float *got = run_softmax(B, heads, S, len, e);
  double *want = dalloc((size_t) B * heads * S);
  definition(B, heads, S, len, e, want);
  for (int r = 0; r < B * heads; r++)
    for (int s = len[r / heads]; s < S; s++)
      if (got[(size_t) r * S + s] != 0.0f)
        ck_abort_msg("%s: row %d (sentence %d of %d words), position %d is beyond the sentence: "
          "its weight must be exactly 0, got %.9g.%s", what, r, r / heads, len[r / heads], s,
          (double) got[(size_t) r * S + s], J.printed);
  expect_close(what, got, want, (size_t) B * heads, (size_t) S, 1e-7, 1e-5);
  free(want);
  return got;
}

JTEST(the_book_example)
{
  /* e = (1, 2, 0.5, pad) for a sentence of three words: the book works out
     w = (0.2312, 0.6285, 0.1402, 0) */
  float e[4] = {1.0f, 2.0f, 0.5f, 7.0f};
  int len[1] = {3};
  float *w = check_rows(1, 1, 4, len, e, "the book's example e = (1, 2, 0.5, pad)");
  double hand[4] = {0.2312, 0.6285, 0.1402, 0};
  expect_close("the book's example, against its hand-worked weights", w, hand, 1, 4, 1e-4, 0);
  free(w);
}

JTEST(rows_of_several_heads)
{
  rng_seed(1301);
  int B = 3, heads = 2, S = 6, len[3] = {6, 3, 1};
  float *e = frand_array((size_t) B * heads * S, 3);
  free(check_rows(B, heads, S, len, e, "three sentences of 6, 3 and 1 words, two heads each"));
  free(e);
}

JTEST(pads_hold_anything)
{
  float e[10] = {0.5f, -0.5f, 1e30f, NAN, INFINITY, 2.0f, 1.0f, 0.0f, -1.0f, -INFINITY};
  int len[2] = {2, 4};
  free(check_rows(2, 1, 5, len, e, "pads holding 1e30, NaN, +inf and -inf"));
}

static const Graded public_tests[] = {
  GRADED(the_book_example, 1, 3, "the book's worked example, by hand and by the definition"),
  GRADED(rows_of_several_heads, 0.5, 3, "three sentences, two heads each: row r is sentence r / heads"),
  GRADED(pads_hold_anything, 0.5, 3, "whatever the pads hold (1e30, NaN, inf), their weight is 0"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

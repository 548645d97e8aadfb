/* Exercise 13, hidden tests: scores far from 0 (a softmax without its
   maximum subtracted overflows), sentences of one word, random rows of many
   heads and lengths, and a large batch. */
#define WITH_HIDDEN
#include "public.c"

JTEST(large_scores)
{
  float e[8] = {1000.0f, 999.0f, 998.0f, 5.0f, -1000.0f, -1001.0f, -999.5f, -1002.0f};
  int len[2] = {3, 4};
  free(check_rows(2, 1, 4, len, e, "scores near +1000 and -1000"));
}

JTEST(sentences_of_one_word)
{
  float e[6] = {-3.0f, NAN, 2.0f, 40.0f, 1e20f, -7.0f};
  int len[3] = {1, 1, 1};
  float *w = check_rows(3, 1, 2, len, e, "three sentences of one word");
  double one[3] = {1, 1, 1}, first[3] = {w[0], w[2], w[4]};
  float f[3] = {(float) first[0], (float) first[1], (float) first[2]};
  expect_close("the one word's weight", f, one, 1, 3, 1e-7, 0);
  free(w);
}

JTEST(random_rows)
{
  rng_seed(1302);
  for (int k = 0; k < 20; k++) {
    int B = 1 + (int) (unif() * 9), heads = 1 + (int) (unif() * 4), S = 1 + (int) (unif() * 12);
    int len[16];
    for (int b = 0; b < B; b++) len[b] = 1 + (int) (unif() * S);
    float *e = frand_array((size_t) B * heads * S, 8);
    char what[120];
    snprintf(what, sizeof what, "random case %d: %d sentences, %d heads, %d positions", k + 1, B,
      heads, S);
    free(check_rows(B, heads, S, len, e, what));
    free(e);
  }
}

JTEST(a_large_batch)
{
  rng_seed(1303);
  int B = 256, heads = 8, S = 40, len[256];
  for (int b = 0; b < B; b++) len[b] = 1 + (int) (unif() * S);
  float *e = frand_array((size_t) B * heads * S, 20);
  free(check_rows(B, heads, S, len, e, "256 sentences, 8 heads, 40 positions"));
  free(e);
}

static const Graded hidden_tests[] = {
  GRADED(large_scores, 1, 3, "scores near +1000 and -1000: the maximum is subtracted first"),
  GRADED(sentences_of_one_word, 0.5, 3, "a sentence of one word has weight 1 on it"),
  GRADED(random_rows, 1, 6, "20 random batches of sentences, heads and lengths"),
  GRADED(a_large_batch, 0.5, 6, "256 sentences of 8 heads"),
};

JUDGE_MAIN(public_tests, hidden_tests)

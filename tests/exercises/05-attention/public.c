/* Exercise 5, public tests: the attention weights w = softmax(s) and the
   context c = O^T w, for B rows (row b's scores at s + b L, its encoder
   outputs at O + b L H). Expected values from the definitions in double
   precision; a float computation is good to about 1e-6 of the largest term. */
#include "judge.h"

static void attention_expected(const float *s, const float *O, int B, int L, int H, double *w, double *c)
{
  for (int b = 0; b < B; b++) {
    const float *sb = s + (size_t) b * L, *Ob = O + (size_t) b * L * H;
    double mx = -INFINITY, sum = 0;
    for (int i = 0; i < L; i++) mx = fmax(mx, sb[i]);
    for (int i = 0; i < L; i++) sum += exp((double) sb[i] - mx);
    for (int i = 0; i < L; i++) w[(size_t) b * L + i] = exp((double) sb[i] - mx) / sum;
    for (int j = 0; j < H; j++) {
      double acc = 0;
      for (int i = 0; i < L; i++) acc += w[(size_t) b * L + i] * Ob[(size_t) i * H + j];
      c[(size_t) b * H + j] = acc;
    }
  }
}

/* which: 1 checks the weights, 2 the context, 3 both */
static void check_attention(const float *s, const float *O, int B, int L, int H, int which, const char *what)
{
  PBuf q = request("attention_forward");
  pb_int(&q, B);
  pb_int(&q, L);
  pb_int(&q, H);
  pb_floats(&q, s, (size_t) B * L);
  pb_floats(&q, O, (size_t) B * L * H);
  Reply r = call(&q);
  float *w = reply_floats(&r, (size_t) B * L, "weights");
  float *c = reply_floats(&r, (size_t) B * H, "context");
  double *ww = dalloc((size_t) B * L), *wc = dalloc((size_t) B * H);
  attention_expected(s, O, B, L, H, ww, wc);
  char label[200];
  double omax = 0;
  for (size_t i = 0; i < (size_t) B * L * H; i++) omax = fmax(omax, fabs(O[i]));
  if (which & 1) {
    snprintf(label, sizeof label, "%s: the weights w (%d x %d)", what, B, L);
    expect_close(label, w, ww, (size_t) B, (size_t) L, 1e-8, 1e-5 + 6e-8 * L);
  }
  if (which & 2) {
    snprintf(label, sizeof label, "%s: the context c (%d x %d)", what, B, H);
    expect_close(label, c, wc, (size_t) B, (size_t) H, 2e-6 * (1 + omax), 1e-5);
  }
  free(w); free(c); free(ww); free(wc);
  reply_free(&r);
}

JTEST(weights_are_the_softmax_of_the_scores)
{
  rng_seed(501);
  float *s = frand_array(5, 2), *O = frand_array(15, 1);
  check_attention(s, O, 1, 5, 3, 1, "one row, five places, H = 3");
}

JTEST(context_is_the_weighted_sum_of_the_rows)
{
  rng_seed(502);
  float *s = frand_array(5, 2), *O = frand_array(15, 1);
  check_attention(s, O, 1, 5, 3, 2, "one row, five places, H = 3");
}

JTEST(large_scores_do_not_overflow)
{
  rng_seed(503);
  float s[6] = {500, 499, -300, 498.5f, 0, 501}, *O = frand_array(24, 1);
  check_attention(s, O, 1, 6, 4, 3, "scores near 500");
}

static const Graded public_tests[] = {
  GRADED(weights_are_the_softmax_of_the_scores, 1, 3, "w = softmax(s) for one row"),
  GRADED(context_is_the_weighted_sum_of_the_rows, 1, 3, "c = sum of w_i times row i of O"),
  GRADED(large_scores_do_not_overflow, 1, 3, "scores near 500 (stability)"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

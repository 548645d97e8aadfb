/* Exercise 6, public tests: the negative log-likelihood of B rows of
   log-probabilities (the sum over rows of -logp[b][y_b]) and its gradient
   with respect to the logits, p - onehot(y) with p = exp(logp). The
   log-probabilities sent are log-softmaxes of random logits, computed here in
   double. Expected values from the definitions, in double. */
#include "judge.h"

/* B rows of V log-probabilities: the log-softmax of logits in [-a, a]. */
static float *random_logp(int B, int V, double a, double *logits)
{
  float *lp = malloc((size_t) B * V * sizeof(float));
  for (int b = 0; b < B; b++) {
    double *z = logits + (size_t) b * V, mx = -INFINITY, sum = 0;
    for (int j = 0; j < V; j++) z[j] = sym(a), mx = fmax(mx, z[j]);
    for (int j = 0; j < V; j++) sum += exp(z[j] - mx);
    for (int j = 0; j < V; j++) lp[(size_t) b * V + j] = (float) (z[j] - mx - log(sum));
  }
  return lp;
}

static float ask_loss(const float *lp, const int *y, int B, int V)
{
  PBuf q = request("nll_forward");
  pb_int(&q, B);
  pb_int(&q, V);
  pb_ints(&q, y, (size_t) B);
  pb_floats(&q, lp, (size_t) B * V);
  Reply r = call(&q);
  float *l = reply_floats(&r, 1, "loss"), v = l[0];
  free(l);
  reply_free(&r);
  return v;
}

static float *ask_gradient(const float *lp, const int *y, int B, int V)
{
  PBuf q = request("nll_backward");
  pb_int(&q, B);
  pb_int(&q, V);
  pb_ints(&q, y, (size_t) B);
  pb_floats(&q, lp, (size_t) B * V);
  Reply r = call(&q);
  float *g = reply_floats(&r, (size_t) B * V, "dlogits");
  reply_free(&r);
  return g;
}

static void check_loss(const float *lp, const int *y, int B, int V, const char *what)
{
  float got = ask_loss(lp, y, B, V);
  double want = 0;
  for (int b = 0; b < B; b++) want -= lp[(size_t) b * V + y[b]];
  char label[200];
  snprintf(label, sizeof label, "%s: nll_forward of %d row%s of %d", what, B, B > 1 ? "s" : "", V);
  expect_close(label, &got, &want, 1, 1, 1e-6, 1e-5);
}

static void check_gradient(const float *lp, const int *y, int B, int V, const char *what)
{
  float *got = ask_gradient(lp, y, B, V);
  double *want = dalloc((size_t) B * V);
  for (int b = 0; b < B; b++)
    for (int j = 0; j < V; j++)
      want[(size_t) b * V + j] = exp((double) lp[(size_t) b * V + j]) - (j == y[b] ? 1.0 : 0.0);
  char label[200];
  snprintf(label, sizeof label, "%s: nll_backward's dlogits (%d x %d)", what, B, V);
  expect_close(label, got, want, (size_t) B, (size_t) V, 1e-7, 1e-5);
  free(got);
  free(want);
}

JTEST(loss_of_one_row)
{
  rng_seed(601);
  double z[6];
  float *lp = random_logp(1, 6, 3, z);
  int y[1] = {4};
  check_loss(lp, y, 1, 6, "one row, target 4");
  free(lp);
}

JTEST(loss_adds_the_rows)
{
  rng_seed(602);
  double z[28];
  float *lp = random_logp(4, 7, 3, z);
  int y[4] = {0, 6, 3, 3};
  check_loss(lp, y, 4, 7, "four rows");
  free(lp);
}

JTEST(gradient_is_p_minus_onehot)
{
  rng_seed(603);
  double z[10];
  float *lp = random_logp(2, 5, 2, z);
  int y[2] = {1, 4};
  check_gradient(lp, y, 2, 5, "two rows");
  free(lp);
}

static const Graded public_tests[] = {
  GRADED(loss_of_one_row, 1, 3, "nll_forward of one row"),
  GRADED(loss_adds_the_rows, 1, 3, "nll_forward sums the rows' losses"),
  GRADED(gradient_is_p_minus_onehot, 2, 3, "nll_backward writes p - onehot(y)"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

/* Exercise 3, public tests: the softmax and the log-softmax of rows of scores.
   Expected values come from the definitions, in double precision:
   softmax(s)_i = exp(s_i - m) / sum_j exp(s_j - m) and
   log softmax(s)_i = (s_i - m) - log sum_j exp(s_j - m), m = max_j s_j.
   Tolerances: a float computation of a softmax of n scores is good to a few
   units in the last place of each term and of the sum (relative 1e-5 + n
   times 6e-8); a log-softmax subtracts numbers as large as the largest score,
   so its absolute error grows with it (1e-6 + 2.5e-7 max|s|). A wrong or
   unstable function is off by far more: NaN, infinity, or whole units. */
#include "judge.h"

static void reference(const float *s, int n, double *p, double *lp)
{
  double mx = -INFINITY, sum = 0;
  for (int i = 0; i < n; i++) mx = fmax(mx, s[i]);
  for (int i = 0; i < n; i++) sum += exp((double) s[i] - mx);
  for (int i = 0; i < n; i++) {
    p[i] = exp((double) s[i] - mx) / sum;
    lp[i] = ((double) s[i] - mx) - log(sum);
  }
}

/* Asks the worker for the softmax (or the log-softmax) of B rows of n scores
   and compares each row with the definition. */
static void check_rows(int log_softmax, const float *s, int B, int n, const char *what)
{
  PBuf q = request(log_softmax ? "log_softmax_forward" : "softmax_forward");
  pb_int(&q, B);
  pb_int(&q, n);
  pb_floats(&q, s, (size_t) B * n);
  Reply r = call(&q);
  float *got = reply_floats(&r, (size_t) B * n, "output");
  double *p = dalloc((size_t) n), *lp = dalloc((size_t) n), *want = dalloc((size_t) B * n);
  double amax = 0;
  for (int b = 0; b < B; b++) {
    reference(s + (size_t) b * n, n, p, lp);
    for (int i = 0; i < n; i++) {
      want[(size_t) b * n + i] = log_softmax ? lp[i] : p[i];
      amax = fmax(amax, fabs((double) s[(size_t) b * n + i]));
    }
  }
  char label[200];
  snprintf(label, sizeof label, "%s (%s of %d row%s of %d scores)", what,
    log_softmax ? "log_softmax_forward" : "softmax_forward", B, B > 1 ? "s" : "", n);
  if (log_softmax) expect_close(label, got, want, (size_t) B, (size_t) n, 1e-6 + 2.5e-7 * amax, 1e-6);
  else expect_close(label, got, want, (size_t) B, (size_t) n, 1e-9, 1e-5 + 6e-8 * n);
  free(got); free(p); free(lp); free(want);
  reply_free(&r);
}

JTEST(softmax_of_two_rows)
{
  rng_seed(301);
  float *s = frand_array(10, 3);
  check_rows(0, s, 2, 5, "two rows of five scores in [-3, 3]");
  free(s);
}

JTEST(log_softmax_of_two_rows)
{
  rng_seed(302);
  float *s = frand_array(10, 3);
  check_rows(1, s, 2, 5, "two rows of five scores in [-3, 3]");
  free(s);
}

JTEST(large_scores_do_not_overflow)
{
  float s[4] = {1000.0f, 1001.0f, -1000.0f, 999.0f};
  check_rows(0, s, 1, 4, "scores near 1000 (exp(1000) overflows: subtract the largest first)");
  check_rows(1, s, 1, 4, "scores near 1000 (exp(1000) overflows: subtract the largest first)");
}

static const Graded public_tests[] = {
  GRADED(softmax_of_two_rows, 1, 3, "softmax_forward of two rows of five moderate scores"),
  GRADED(log_softmax_of_two_rows, 1, 3, "log_softmax_forward of two rows of five moderate scores"),
  GRADED(large_scores_do_not_overflow, 1, 3, "both functions on scores near 1000 (stability)"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

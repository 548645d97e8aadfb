/* Exercise 9, public tests: Adam's constants and one step.

   The constants of step t are, as the book defines them (computed in double,
   then rounded to float): b1 = beta1, a1 = 1 - beta1, b2 = beta2,
   a2 = 1 - beta2, step = lr / (1 - beta1^t), inv_bc2 = 1 / sqrt(1 - beta2^t),
   eps. The tolerance, 1.5e-7 relative, is one unit in the last place of a
   float: computing 1 - beta2 in float instead (1 - 0.999f) is off by
   1.3e-5 and fails, as the book says it would. The step is
     m = b1 m + a1 g,  v = b2 v + a2 g^2,  p -= step m / (sqrt(v) inv_bc2 + eps). */
#include "judge.h"

static float *ask_constants(double lr, double b1, double b2, double eps, int t)
{
  PBuf q = request("adam_constants");
  pb_double(&q, lr);
  pb_double(&q, b1);
  pb_double(&q, b2);
  pb_double(&q, eps);
  pb_int(&q, t);
  Reply r = call(&q);
  float *k = reply_floats(&r, 7, "constants");
  reply_free(&r);
  return k;
}

static void check_constants(double lr, double b1, double b2, double eps, int t)
{
  float *got = ask_constants(lr, b1, b2, eps, t);
  double want[7] = {b1, 1 - b1, b2, 1 - b2, lr / (1 - pow(b1, t)), 1 / sqrt(1 - pow(b2, t)), eps};
  for (int k = 0; k < 7; k++) want[k] = (float) want[k];
  static const char *names[7] = {"b1", "a1", "b2", "a2", "step", "inv_bc2", "eps"};
  for (int k = 0; k < 7; k++) {
    char label[200];
    snprintf(label, sizeof label, "adam_constants(lr %g, beta1 %g, beta2 %g, eps %g, t %d): k.%s",
      lr, b1, b2, eps, t, names[k]);
    expect_close(label, got + k, want + k, 1, 1, 0, 1.5e-7);
  }
  free(got);
}

/* T steps of adam_update on n parameters from m = v = 0; returns p, m, v. */
static void ask_steps(int n, int T, double lr, double b1, double b2, double eps, const float *p0,
  const float *g, float **p, float **m, float **v)
{
  PBuf q = request("adam_update");
  pb_int(&q, n);
  pb_int(&q, T);
  pb_double(&q, lr);
  pb_double(&q, b1);
  pb_double(&q, b2);
  pb_double(&q, eps);
  pb_floats(&q, p0, (size_t) n);
  pb_floats(&q, g, (size_t) n * T);
  Reply r = call(&q);
  *p = reply_floats(&r, (size_t) n, "p");
  *m = reply_floats(&r, (size_t) n, "m");
  *v = reply_floats(&r, (size_t) n, "v");
  reply_free(&r);
}

JTEST(constants_of_the_first_step)
{
  check_constants(0.01, 0.9, 0.999, 1e-8, 1);
}

JTEST(constants_of_later_steps)
{
  check_constants(0.01, 0.9, 0.999, 1e-8, 2);
  check_constants(3e-4, 0.8, 0.98, 1e-6, 10);
  check_constants(0.001, 0.9, 0.999, 1e-8, 1000);
}

/* Two steps on three parameters, worked out by hand (the same example as
   tests/test_grad.c), lr = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8:
   step 1, g = (0.1, -0.2, 0): m = (0.01, -0.02, 0), v = (1e-5, 4e-5, 0);
     the step size is 0.01/(1-0.9) = 0.1 and sqrt(v)/sqrt(0.001) = (0.1, 0.2, 0),
     so p = (1, -2, 0.5) -> (0.99, -1.99, 0.5);
   step 2, g = (0.1, 0.1, 1): m = (0.019, -0.008, 0.1),
     v = (1.999e-5, 4.996e-5, 1.0e-3); step size 0.01/(1-0.81) = 0.052631579;
     sqrt(v)/sqrt(1 - 0.999^2) = (0.10000000, 0.15809015, 0.70728362);
     p = (0.98000000, -1.98733663, 0.49255863). */
JTEST(two_steps_worked_by_hand)
{
  float p0[3] = {1.0f, -2.0f, 0.5f}, g[6] = {0.1f, -0.2f, 0.0f, 0.1f, 0.1f, 1.0f};
  float *p, *m, *v;
  ask_steps(3, 1, 0.01, 0.9, 0.999, 1e-8, p0, g, &p, &m, &v);
  double p1[3] = {0.99, -1.99, 0.5}, m1[3] = {0.01, -0.02, 0}, v1[3] = {1e-5, 4e-5, 0};
  expect_close("after step 1: p", p, p1, 1, 3, 1e-7, 1e-6);
  expect_close("after step 1: m", m, m1, 1, 3, 1e-9, 1e-6);
  expect_close("after step 1: v", v, v1, 1, 3, 1e-12, 1e-6);
  free(p), free(m), free(v);
  ask_steps(3, 2, 0.01, 0.9, 0.999, 1e-8, p0, g, &p, &m, &v);
  double p2[3] = {0.98, -1.98733663, 0.49255863}, m2[3] = {0.019, -0.008, 0.1},
    v2[3] = {1.999e-5, 4.996e-5, 1.0e-3};
  expect_close("after step 2: p", p, p2, 1, 3, 2e-7, 1e-6);
  expect_close("after step 2: m", m, m2, 1, 3, 1e-9, 1e-6);
  expect_close("after step 2: v", v, v2, 1, 3, 1e-11, 1e-6);
  free(p), free(m), free(v);
}

static const Graded public_tests[] = {
  GRADED(constants_of_the_first_step, 1, 3, "adam_constants at t = 1, computed in double"),
  GRADED(constants_of_later_steps, 1, 3, "adam_constants at t = 2, 10 and 1000"),
  GRADED(two_steps_worked_by_hand, 1, 3, "two Adam steps on three parameters, worked by hand"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

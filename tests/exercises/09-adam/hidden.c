/* Exercise 9, hidden tests: adam_apply with constants given by the judge, a
   hundred steps against a double-precision simulation of the book's
   formulas, zero gradients, and the five pairs trained with the student's
   Adam. */
#define WITH_HIDDEN
#include "public.c"
#include "training.h"

JTEST(apply_with_given_constants)
{
  rng_seed(911);
  int n = 1000;
  float *p = frand_array((size_t) n, 2), *g = frand_array((size_t) n, 1), *m = frand_array((size_t) n, 0.1),
    *v = malloc((size_t) n * sizeof(float));
  for (int i = 0; i < n; i++) v[i] = (float) (0.01 * unif());
  float k[7] = {0.85f, 0.15f, 0.995f, 0.005f, 0.0123f, 7.5f, 1e-6f};
  PBuf q = request("adam_apply");
  pb_int(&q, n);
  pb_floats(&q, p, (size_t) n);
  pb_floats(&q, g, (size_t) n);
  pb_floats(&q, m, (size_t) n);
  pb_floats(&q, v, (size_t) n);
  pb_floats(&q, k, 7);
  Reply r = call(&q);
  float *gp = reply_floats(&r, (size_t) n, "p"), *gm = reply_floats(&r, (size_t) n, "m"),
    *gv = reply_floats(&r, (size_t) n, "v");
  double *wp = dalloc((size_t) n), *wm = dalloc((size_t) n), *wv = dalloc((size_t) n);
  for (int i = 0; i < n; i++) {
    wm[i] = (double) k[0] * m[i] + (double) k[1] * g[i];
    wv[i] = (double) k[2] * v[i] + (double) k[3] * g[i] * g[i];
    wp[i] = p[i] - (double) k[4] * wm[i] / (sqrt(wv[i]) * k[5] + k[6]);
  }
  expect_close("adam_apply on 1000 parameters with given constants: m", gm, wm, 1, (size_t) n, 1e-8, 1e-5);
  expect_close("adam_apply on 1000 parameters with given constants: v", gv, wv, 1, (size_t) n, 1e-10, 1e-5);
  expect_close("adam_apply on 1000 parameters with given constants: p", gp, wp, 1, (size_t) n, 1e-6, 1e-6);
  reply_free(&r);
}

JTEST(a_hundred_steps)
{
  rng_seed(912);
  int n = 50, T = 100;
  double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  float *p0 = frand_array((size_t) n, 1), *g = frand_array((size_t) n * T, 1);
  float *p, *m, *v;
  ask_steps(n, T, lr, b1, b2, eps, p0, g, &p, &m, &v);
  double *wp = dalloc((size_t) n), *wm = dalloc((size_t) n), *wv = dalloc((size_t) n);
  for (int i = 0; i < n; i++) wp[i] = p0[i];
  for (int t = 1; t <= T; t++)
    for (int i = 0; i < n; i++) {
      double gi = g[(size_t) (t - 1) * n + i];
      wm[i] = b1 * wm[i] + (1 - b1) * gi;
      wv[i] = b2 * wv[i] + (1 - b2) * gi * gi;
      wp[i] -= lr / (1 - pow(b1, t)) * wm[i] / (sqrt(wv[i]) / sqrt(1 - pow(b2, t)) + eps);
    }
  expect_close("100 Adam steps on 50 parameters: m", m, wm, 1, (size_t) n, 1e-7, 1e-4);
  expect_close("100 Adam steps on 50 parameters: v", v, wv, 1, (size_t) n, 1e-10, 1e-4);
  expect_close("100 Adam steps on 50 parameters: p", p, wp, 1, (size_t) n, 1e-5, 1e-5);
}

JTEST(zero_gradients_move_nothing)
{
  float p0[4] = {0.5f, -0.25f, 3.0f, 1.0f}, g[4] = {0.0f, 0.5f, 0.0f, -2.0f};
  float *p, *m, *v;
  ask_steps(4, 1, 0.01, 0.9, 0.999, 1e-8, p0, g, &p, &m, &v);
  /* first step: p moves by lr * sign(g) / (1 + eps sqrt(1-beta2)/|g| (1-beta2)^...), i.e. by 0.01 */
  double wp[4], wm[4], wv[4];
  for (int i = 0; i < 4; i++) {
    wm[i] = 0.1 * g[i];
    wv[i] = 0.001 * g[i] * g[i];
    wp[i] = p0[i] - 0.01 / 0.1 * wm[i] / (sqrt(wv[i]) / sqrt(0.001) + 1e-8);
  }
  expect_close("one step where two gradients are 0 (no NaN, no move): p", p, wp, 1, 4, 1e-7, 1e-6);
  expect_close("one step where two gradients are 0: m", m, wm, 1, 4, 1e-9, 1e-6);
  expect_close("one step where two gradients are 0: v", v, wv, 1, 4, 1e-12, 1e-6);
}

JTEST(the_five_pairs_train)
{
  check_training();
}

static const Graded hidden_tests[] = {
  GRADED(apply_with_given_constants, 1, 3, "adam_apply on 1000 parameters with the judge's constants"),
  GRADED(a_hundred_steps, 0.5, 3, "100 steps against a double-precision simulation"),
  GRADED(zero_gradients_move_nothing, 0.5, 3, "zero gradients: no NaN and no move, the others move by lr"),
  GRADED(the_five_pairs_train, 1, 10, "the notebook's five pairs, trained with your Adam, translate"),
};

JUDGE_MAIN(public_tests, hidden_tests)

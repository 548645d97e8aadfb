/* Exercise 14, hidden tests: the gradients against central differences of
   the scalar sum_i de_i e_i (e by the definition, in double), the keys'
   gradient added to what is there, saturated units, and larger shapes. */
#define WITH_HIDDEN
#include "public.c"

/* sum_i de_i e_i with e by the definition, in double, at wq and uk. */
static double weighted_scores(int B, int S, int H, const double *wq, const double *uk,
  const float *va, const float *de)
{
  double sum = 0;
  for (int b = 0; b < B; b++)
    for (int s = 0; s < S; s++) {
      double e = 0;
      for (int j = 0; j < H; j++) e += va[j] * tanh(wq[b * H + j] + uk[((size_t) s * B + b) * H + j]);
      sum += de[b * S + s] * e;
    }
  return sum;
}

JTEST(gradients_against_central_differences)
{
  rng_seed(1403);
  int B = 3, S = 4, H = 5;
  size_t bs = (size_t) B * S, nq = (size_t) B * H, nk = bs * H;
  Fwd f = {B, S, H, frand_array(nq, 1.5), frand_array(nk, 1.5), frand_array((size_t) H, 1)};
  float *de = frand_array(bs, 1), *e, *a, *zero = calloc(nk, sizeof(float));
  run_forward(&f, &e, &a);
  Bwd g = {B, S, H, de, a, f.va, zero};
  float *dpre, *dwq, *duk;
  run_backward(&g, &dpre, &dwq, &duk);
  double *q = dalloc(nq), *k = dalloc(nk), *fq = dalloc(nq), *fk = dalloc(nk), h = 1e-6;
  for (size_t i = 0; i < nq; i++) q[i] = f.wq[i];
  for (size_t i = 0; i < nk; i++) k[i] = f.uk[i];
  for (size_t i = 0; i < nq + nk; i++) {
    double *x = i < nq ? &q[i] : &k[i - nq], x0 = *x;
    *x = x0 + h;
    double up = weighted_scores(B, S, H, q, k, f.va, de);
    *x = x0 - h;
    double down = weighted_scores(B, S, H, q, k, f.va, de);
    *x = x0;
    (i < nq ? fq : fk)[i < nq ? i : i - nq] = (up - down) / (2 * h);
  }
  expect_close("the query's gradient against central differences of sum_i de_i e_i", dwq, fq,
    (size_t) B, (size_t) H, 2e-5, 1e-4);
  expect_close("the keys' gradient against central differences of sum_i de_i e_i", duk, fk,
    bs, (size_t) H, 2e-5, 1e-4);
  free(f.wq), free(f.uk), free(f.va), free(de), free(e), free(a), free(zero);
  free(dpre), free(dwq), free(duk), free(q), free(k), free(fq), free(fk);
}

JTEST(keys_gradient_is_added)
{
  rng_seed(1404);
  int B = 2, S = 2, H = 3;
  size_t bs = (size_t) B * S;
  float *five = malloc(bs * H * sizeof(float));
  for (size_t i = 0; i < bs * H; i++) five[i] = 5.0f;
  Bwd g = {B, S, H, frand_array(bs, 1), frand_array(bs * H, 0.9), frand_array((size_t) H, 1), five};
  check_backward(&g, "the keys' gradient starting at 5");
  free(g.de), free(g.a), free(g.va), free(five);
}

JTEST(saturated_units)
{
  /* |wq + uk| = 20: tanh is +-1 to float precision, and nothing flows back */
  int B = 2, S = 2, H = 2;
  float wq[4] = {10, -10, 10, -10}, uk[8] = {10, -10, 10, -10, 10, -10, 10, -10},
    va[2] = {0.5f, -2.0f};
  Fwd f = {B, S, H, wq, uk, va};
  check_forward(&f, "saturated units");
  float de[4] = {1, 2, 3, 4}, a[8] = {1, -1, 1, -1, 1, -1, 1, -1}, z[8] = {0};
  Bwd g = {B, S, H, de, a, va, z};
  check_backward(&g, "saturated units");
}

JTEST(larger_shapes)
{
  rng_seed(1405);
  int B = 16, S = 10, H = 64;
  size_t bs = (size_t) B * S;
  Fwd f = {B, S, H, frand_array((size_t) B * H, 2), frand_array(bs * H, 2), frand_array((size_t) H, 1)};
  check_forward(&f, "16 sentences, 10 positions, H = 64");
  Bwd g = {B, S, H, frand_array(bs, 1), frand_array(bs * H, 0.99), f.va, frand_array(bs * H, 1)};
  check_backward(&g, "16 sentences, 10 positions, H = 64");
  free(f.wq), free(f.uk), free(f.va), free(g.de), free(g.a), free(g.duk);
}

static const Graded hidden_tests[] = {
  GRADED(gradients_against_central_differences, 2, 6, "dwq and duk against central differences"),
  GRADED(keys_gradient_is_added, 0.5, 3, "the keys' gradient is added to what is there"),
  GRADED(saturated_units, 0.5, 3, "saturated tanh units: scores by the definition, no gradient"),
  GRADED(larger_shapes, 1, 6, "16 sentences of 10 positions, H = 64, forward and backward"),
};

JUDGE_MAIN(public_tests, hidden_tests)

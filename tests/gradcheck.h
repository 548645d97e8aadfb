/* Central differences for the float32 gradient tests (test_grad.c, test_batched.c):
   a small deterministic generator of test data, a random linear functional of
   a layer's outputs, and the check of an analytic gradient against the central
   differences of a loss, reported as the relative error over the whole
   gradient and the worst element. The includer defines EPS (the step) and
   GRAD_TOL (the limit) first. */
#pragma once
#include "testutil.h"

static uint64_t rng_state;
static void rng_seed(uint64_t s) { rng_state = s * 0x9E3779B97F4A7C15ULL + 1; }
static float frand(void) /* uniform on [-1, 1) */
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (float) ((double) (rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}
static float *rand_array(size_t n, float scale)
{
  float *x = calloc(n ? n : 1, sizeof(float));
  for (size_t i = 0; i < n; i++) x[i] = scale * frand();
  return x;
}
static double proj(const float *r, const float *y, size_t n)
{
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double) r[i] * (double) y[i];
  return s;
}

typedef double (*LossFn)(void *ctx);
typedef struct { double rel; size_t worst; double analytic, numeric; } GradReport;

/* Central differences of f with respect to the n floats at p. */
static GradReport grad_check(LossFn f, void *ctx, float *p, const float *g, size_t n)
{
  double num2 = 0, ana2 = 0, diff2 = 0, worst = -1;
  GradReport rep = {0, 0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    float keep = p[i];
    p[i] = keep + EPS;
    double lp = f(ctx);
    p[i] = keep - EPS;
    double lm = f(ctx);
    p[i] = keep;
    double num = (lp - lm) / (2.0 * (double) EPS), d = fabs(num - g[i]);
    num2 += num * num;
    ana2 += (double) g[i] * g[i];
    diff2 += d * d;
    if (d > worst) {
      worst = d;
      rep.worst = i;
      rep.analytic = g[i];
      rep.numeric = num;
    }
  }
  double den = sqrt(fmax(num2, ana2));
  rep.rel = den > 0 ? sqrt(diff2) / den : sqrt(diff2);
  return rep;
}

#define CHECK_GRAD(name, f, ctx, p, g, n) \
  do { \
    GradReport r_ = grad_check(f, ctx, p, g, n); \
    printf("  %-30s %-12s relative error %.2e (%zu elements)\n", __func__, name, r_.rel, \
      (size_t) (n)); \
    ck_assert_msg(r_.rel < GRAD_TOL, \
      "%s: gradient of %s has relative error %.3g (limit %.1g); worst element %zu: " \
      "analytic %.6g, finite difference %.6g", __func__, name, r_.rel, GRAD_TOL, r_.worst, \
      r_.analytic, r_.numeric); \
  } while (0)

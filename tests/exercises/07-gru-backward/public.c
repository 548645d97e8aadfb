/* Exercise 7, public tests: the backward step of a GRU unit.

   The judge draws the unit's pre-activations a = (g_ir, g_iz, g_in, g_hr,
   g_hz, g_hn) and its old state h, computes the forward pass in double
   (r = sigmoid(g_ir + g_hr), z = sigmoid(g_iz + g_hz),
   n = tanh(g_in + r g_hn), h' = (1 - z) n + z h) and sends the cache
   (r, z, n, g_hn), h and an upstream gradient dh' to the student's
   gru_unit_backward. The expected gradients are dh' times the derivatives of
   h' with respect to g_ir, g_iz, g_in, g_hn and h, taken by central finite
   differences of that forward formula in double (step 1e-5: truncation
   error about 1e-10, rounding error about 1e-11), so this file contains no
   derivative worked out by hand. |*dh| must have dh' dh'/dh ADDED to it. The
   student's code works from the float cache, so a right answer is within a
   few 1e-7 of these values; the tolerance is 1e-6 + 1e-5 |expected|. */
#include "judge.h"

static double unit_forward(const double a[7]) /* g_ir, g_iz, g_in, g_hr, g_hz, g_hn, h */
{
  double r = 1 / (1 + exp(-(a[0] + a[3]))), z = 1 / (1 + exp(-(a[1] + a[4])));
  double n = tanh(a[2] + r * a[5]);
  return (1 - z) * n + z * a[6];
}

/* d h' / d a[k] by central differences */
static double partial(const double a[7], int k)
{
  double b[7], eps = 1e-5;
  memcpy(b, a, sizeof b);
  b[k] = a[k] + eps;
  double up = unit_forward(b);
  b[k] = a[k] - eps;
  return (up - unit_forward(b)) / (2 * eps);
}

typedef struct {
  int N;
  double *a;                    /* N x 7 pre-activations and h */
  float *dhn, *h, *r, *z, *n, *ghn, *dh0;
} Units;

static Units make_units(int N, double scale, double dh0_scale)
{
  Units u = {N, dalloc((size_t) N * 7)};
  u.dhn = frand_array((size_t) N, 1.5);
  u.dh0 = frand_array((size_t) N, dh0_scale);
  u.h = malloc((size_t) N * sizeof(float));
  u.r = malloc((size_t) N * sizeof(float));
  u.z = malloc((size_t) N * sizeof(float));
  u.n = malloc((size_t) N * sizeof(float));
  u.ghn = malloc((size_t) N * sizeof(float));
  for (int j = 0; j < N; j++) {
    double *a = u.a + (size_t) j * 7;
    for (int k = 0; k < 6; k++) a[k] = (float) sym(scale);
    a[6] = (float) sym(1);
    u.h[j] = (float) a[6];
    u.r[j] = (float) (1 / (1 + exp(-(a[0] + a[3]))));
    u.z[j] = (float) (1 / (1 + exp(-(a[1] + a[4]))));
    u.n[j] = (float) tanh(a[2] + (double) u.r[j] * a[5]);
    u.ghn[j] = (float) a[5];
  }
  return u;
}

static void check_units(const Units *u, const char *what)
{
  size_t N = (size_t) u->N;
  PBuf q = request("gru_unit_backward");
  pb_int(&q, u->N);
  pb_floats(&q, u->dhn, N);
  pb_floats(&q, u->h, N);
  pb_floats(&q, u->r, N);
  pb_floats(&q, u->z, N);
  pb_floats(&q, u->n, N);
  pb_floats(&q, u->ghn, N);
  pb_floats(&q, u->dh0, N);
  Reply rp = call(&q);
  float *got[5];
  for (int k = 0; k < 5; k++) got[k] = reply_floats(&rp, N, "gradients");
  double *want[5];
  for (int k = 0; k < 5; k++) want[k] = dalloc(N);
  static const int wrt[5] = {0, 1, 2, 5, 6}; /* g_ir, g_iz, g_in, g_hn, h */
  for (size_t j = 0; j < N; j++)
    for (int k = 0; k < 5; k++)
      want[k][j] = (k == 4 ? u->dh0[j] : 0.0) + u->dhn[j] * partial(u->a + j * 7, wrt[k]);
  static const char *names[5] = {"*dgir", "*dgiz", "*dgin", "*dghn",
    "*dh (dh' dh'/dh added to what was there)"};
  for (int k = 0; k < 5; k++) {
    char label[200];
    snprintf(label, sizeof label, "%s: %s of %d unit%s", what, names[k], u->N, u->N > 1 ? "s" : "");
    expect_close(label, got[k], want[k], 1, N, 1e-6, 1e-5);
  }
  for (int k = 0; k < 5; k++) free(got[k]), free(want[k]);
  reply_free(&rp);
}

JTEST(gate_gradients_of_eight_units)
{
  rng_seed(701);
  Units u = make_units(8, 2, 0);
  check_units(&u, "eight units, pre-activations in [-2, 2], *dh starting at 0");
}

JTEST(dh_is_added_to_not_overwritten)
{
  rng_seed(702);
  Units u = make_units(8, 2, 3);
  check_units(&u, "eight units, *dh starting at values in [-3, 3]");
}

static const Graded public_tests[] = {
  GRADED(gate_gradients_of_eight_units, 3, 3, "the four gate gradients and dh of eight units"),
  GRADED(dh_is_added_to_not_overwritten, 1, 3, "*dh collects the direct part on top of what it held"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

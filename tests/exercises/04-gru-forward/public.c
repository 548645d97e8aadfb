/* Exercise 4, public tests: one step of a GRU unit. Expected values come
   from torch.nn.GRU's equations, evaluated here in double precision:
     r = sigmoid(g_ir + g_hr), z = sigmoid(g_iz + g_hz),
     n = tanh(g_in + r g_hn),  h' = (1 - z) n + z h,
   and the cache must hold r, z, n and g_hn. The float functions expf and
   tanhf are good to a few units in the last place, so 2e-6 + 1e-5 |x| is
   generous for a right answer and far too tight for a wrong one. */
#include "judge.h"

typedef struct { int N; float *a[7]; } Units; /* gir, giz, gin, ghr, ghz, ghn, h */

static Units random_units(int N, double scale)
{
  Units u = {N, {0}};
  for (int k = 0; k < 7; k++) u.a[k] = frand_array((size_t) N, k == 6 ? 1.0 : scale);
  return u;
}

static void expected(const Units *u, double *h, double *r, double *z, double *n, double *ghn)
{
  for (int j = 0; j < u->N; j++) {
    double gir = u->a[0][j], giz = u->a[1][j], gin = u->a[2][j], ghr = u->a[3][j],
      ghz = u->a[4][j], gh = u->a[5][j], hp = u->a[6][j];
    r[j] = 1 / (1 + exp(-(gir + ghr)));
    z[j] = 1 / (1 + exp(-(giz + ghz)));
    n[j] = tanh(gin + r[j] * gh);
    ghn[j] = gh;
    h[j] = (1 - z[j]) * n[j] + z[j] * hp;
  }
}

/* Runs the units through gru_unit_forward; checks h' and, if |cache|, r, z, n, g_hn. */
static void check_units(const Units *u, int cache, const char *what)
{
  PBuf q = request("gru_unit_forward");
  pb_int(&q, u->N);
  for (int k = 0; k < 7; k++) pb_floats(&q, u->a[k], (size_t) u->N);
  Reply rp = call(&q);
  size_t N = (size_t) u->N;
  float *got[5];
  for (int k = 0; k < 5; k++) got[k] = reply_floats(&rp, N, "unit outputs");
  double *want[5];
  for (int k = 0; k < 5; k++) want[k] = dalloc(N);
  expected(u, want[0], want[1], want[2], want[3], want[4]);
  static const char *names[5] = {"the new state h'", "the cache's r", "the cache's z", "the cache's n",
    "the cache's g_hn"};
  char label[200];
  for (int k = 0; k < (cache ? 5 : 1); k++) {
    snprintf(label, sizeof label, "%s, %s of %d unit%s", what, names[k], u->N, u->N > 1 ? "s" : "");
    expect_close(label, got[k], want[k], 1, N, 2e-6, 1e-5);
  }
  for (int k = 0; k < 5; k++) free(got[k]), free(want[k]);
  reply_free(&rp);
}

JTEST(new_state_of_six_units)
{
  rng_seed(401);
  Units u = random_units(6, 2);
  check_units(&u, 0, "six units with inputs in [-2, 2]");
}

JTEST(the_cache_holds_r_z_n_and_ghn)
{
  rng_seed(402);
  Units u = random_units(6, 2);
  check_units(&u, 1, "six units with inputs in [-2, 2]");
}

JTEST(gates_do_what_their_names_say)
{
  /* unit 0: z = sigmoid(20) ~ 1 keeps the old state; unit 1: z ~ 0 takes the
     candidate; unit 2: r ~ 0 cuts g_hn out of the candidate; unit 3: r ~ 1
     lets all of g_hn in (r multiplies g_hn, the product plus its bias) */
  float gir[4] = {0, 0, -20, 20}, giz[4] = {20, -20, 0, 0}, gin[4] = {0.3f, 0.3f, 0.1f, 0.1f},
    ghr[4] = {0, 0, 0, 0}, ghz[4] = {0, 0, 0, 0}, ghn[4] = {1.5f, 1.5f, 2.0f, 2.0f},
    h[4] = {0.75f, 0.75f, -0.5f, -0.5f};
  Units u = {4, {gir, giz, gin, ghr, ghz, ghn, h}};
  check_units(&u, 1, "units whose gates are saturated");
}

static const Graded public_tests[] = {
  GRADED(new_state_of_six_units, 1, 3, "h' of six units by torch.nn.GRU's equations"),
  GRADED(the_cache_holds_r_z_n_and_ghn, 1, 3, "the cache of six units: r, z, n and g_hn"),
  GRADED(gates_do_what_their_names_say, 1, 3, "z near 1 keeps h, z near 0 takes n, r scales g_hn"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

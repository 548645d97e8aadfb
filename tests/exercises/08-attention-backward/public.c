/* Exercise 8, public tests: the backward step of the attention.

   For each row b the judge draws scores s, encoder outputs O and an upstream
   gradient dc, computes w = softmax(s) in double and sends w, O, dc and a
   starting dO to the student's attention_backward. The expected gradients are
   central finite differences (step 1e-6, in double) of the forward function
   f(s, O) = dc . (O^T softmax(s)), whose derivatives are exactly the
   gradients of the scores and of the encoder outputs; ds must be written and
   dO added to. No derivative is worked out by hand in this file. The student
   works from the float w, so a right answer agrees to about 1e-7 of the
   largest term; the tolerance is 1e-6 + 1e-5 |expected|. */
#include "judge.h"

typedef struct {
  int B, L, H;
  double *s, *O;       /* the forward inputs, in double */
  float *dc, *w, *fO, *dO0;
} Case;

static double forward(const Case *c)
{
  double f = 0;
  for (int b = 0; b < c->B; b++) {
    const double *s = c->s + (size_t) b * c->L, *O = c->O + (size_t) b * c->L * c->H;
    double mx = -INFINITY, sum = 0;
    for (int i = 0; i < c->L; i++) mx = fmax(mx, s[i]);
    for (int i = 0; i < c->L; i++) sum += exp(s[i] - mx);
    for (int i = 0; i < c->L; i++) {
      double wi = exp(s[i] - mx) / sum;
      for (int j = 0; j < c->H; j++) f += c->dc[(size_t) b * c->H + j] * wi * O[(size_t) i * c->H + j];
    }
  }
  return f;
}

/* |pad[b]|: row b's places from pad[b] on are zero padding (NULL: none). */
static Case make_case(int B, int L, int H, double sscale, const int *pad, double dO_scale)
{
  Case c = {B, L, H, dalloc((size_t) B * L), dalloc((size_t) B * L * H)};
  for (size_t i = 0; i < (size_t) B * L; i++) c.s[i] = (float) sym(sscale);
  for (int b = 0; b < B; b++)
    for (int i = 0; i < L; i++)
      for (int j = 0; j < H; j++)
        c.O[((size_t) b * L + i) * H + j] = pad && i >= pad[b] ? 0.0 : (float) sym(1);
  c.dc = frand_array((size_t) B * H, 1);
  c.dO0 = frand_array((size_t) B * L * H, dO_scale);
  c.w = malloc((size_t) B * L * sizeof(float));
  c.fO = malloc((size_t) B * L * H * sizeof(float));
  for (size_t i = 0; i < (size_t) B * L * H; i++) c.fO[i] = (float) c.O[i];
  for (int b = 0; b < B; b++) {
    double *s = c.s + (size_t) b * L, mx = -INFINITY, sum = 0;
    for (int i = 0; i < L; i++) mx = fmax(mx, s[i]);
    for (int i = 0; i < L; i++) sum += exp(s[i] - mx);
    for (int i = 0; i < L; i++) c.w[(size_t) b * L + i] = (float) (exp(s[i] - mx) / sum);
  }
  return c;
}

/* which: 1 checks ds, 2 checks dO, 3 both */
static void check_case(Case *c, int which, const char *what)
{
  size_t BL = (size_t) c->B * c->L, BLH = BL * c->H;
  PBuf q = request("attention_backward");
  pb_int(&q, c->B);
  pb_int(&q, c->L);
  pb_int(&q, c->H);
  pb_floats(&q, c->dc, (size_t) c->B * c->H);
  pb_floats(&q, c->w, BL);
  pb_floats(&q, c->fO, BLH);
  pb_floats(&q, c->dO0, BLH);
  Reply r = call(&q);
  float *ds = reply_floats(&r, BL, "ds"), *dO = reply_floats(&r, BLH, "dO");
  double *w_ds = dalloc(BL), *w_dO = dalloc(BLH), eps = 1e-6;
  double *vars[2] = {c->s, c->O}, *wants[2] = {w_ds, w_dO};
  size_t sizes[2] = {BL, BLH};
  for (int v = 0; v < 2; v++)
    if (which & (1 << v))
      for (size_t i = 0; i < sizes[v]; i++) {
        double keep = vars[v][i];
        vars[v][i] = keep + eps;
        double up = forward(c);
        vars[v][i] = keep - eps;
        double down = forward(c);
        vars[v][i] = keep;
        wants[v][i] = (up - down) / (2 * eps) + (v == 1 ? c->dO0[i] : 0.0);
      }
  char label[200];
  if (which & 1) {
    snprintf(label, sizeof label, "%s: ds (%d x %d) against finite differences", what, c->B, c->L);
    expect_close(label, ds, w_ds, (size_t) c->B, (size_t) c->L, 1e-6, 1e-5);
  }
  if (which & 2) {
    snprintf(label, sizeof label, "%s: dO (%d x %d, rows of H = %d) against finite differences, "
      "added to its start", what, c->B, c->L, c->H);
    expect_close(label, dO, w_dO, BL, (size_t) c->H, 1e-6, 1e-5);
  }
  free(ds); free(dO); free(w_ds); free(w_dO);
  reply_free(&r);
}

JTEST(score_gradient_of_one_row)
{
  rng_seed(801);
  Case c = make_case(1, 5, 3, 2, NULL, 0);
  check_case(&c, 1, "one row, five places, H = 3");
}

JTEST(encoder_output_gradient_is_added)
{
  rng_seed(802);
  Case c = make_case(1, 5, 3, 2, NULL, 1);
  check_case(&c, 2, "one row, five places, H = 3, dO starting at values in [-1, 1]");
}

static const Graded public_tests[] = {
  GRADED(score_gradient_of_one_row, 2, 3, "ds of one row against finite differences"),
  GRADED(encoder_output_gradient_is_added, 2, 3, "dO of one row, added to what was there"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

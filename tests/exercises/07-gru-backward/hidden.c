/* Exercise 7, hidden tests: many units, saturated gates, the unit inside
   gru_cell_backward (which copies the r and z parts into both products'
   gradients) checked against finite differences of a whole cell written
   here, and the five pairs trained with the student's backward step. */
#define WITH_HIDDEN
#include "public.c"
#include "training.h"

JTEST(five_hundred_units)
{
  rng_seed(711);
  Units u = make_units(500, 3, 1);
  check_units(&u, "500 units, pre-activations in [-3, 3]");
}

JTEST(saturated_gates)
{
  rng_seed(712);
  Units u = make_units(64, 12, 1);
  check_units(&u, "64 units, pre-activations in [-12, 12] (gates near 0 or 1)");
}

/* The cell: h'[b][j] from gi (B x 3H), gh (B x 3H) and h (B x H). */
static double cell_loss(const double *gi, const double *gh, const double *h, const float *dhn, int B, int H)
{
  double L = 0;
  for (int b = 0; b < B; b++)
    for (int j = 0; j < H; j++) {
      const double *i3 = gi + (size_t) b * 3 * H, *h3 = gh + (size_t) b * 3 * H;
      double a[7] = {i3[j], i3[H + j], i3[2 * H + j], h3[j], h3[H + j], h3[2 * H + j], h[(size_t) b * H + j]};
      L += dhn[(size_t) b * H + j] * unit_forward(a);
    }
  return L;
}

JTEST(inside_the_cell_of_three_rows)
{
  rng_seed(713);
  int B = 3, H = 16;
  size_t bh = (size_t) B * H;
  double *gi = dalloc(3 * bh), *gh = dalloc(3 * bh), *h = dalloc(bh);
  for (size_t i = 0; i < 3 * bh; i++) gi[i] = (float) sym(2), gh[i] = (float) sym(2);
  for (size_t i = 0; i < bh; i++) h[i] = (float) sym(1);
  float *dhn = frand_array(bh, 1), *dh0 = frand_array(bh, 1);
  float *fh = malloc(bh * sizeof(float)), *r = malloc(bh * sizeof(float)), *z = malloc(bh * sizeof(float)),
    *n = malloc(bh * sizeof(float)), *ghn = malloc(bh * sizeof(float));
  for (int b = 0; b < B; b++)
    for (int j = 0; j < H; j++) {
      size_t k = (size_t) b * H + j;
      const double *i3 = gi + (size_t) b * 3 * H, *h3 = gh + (size_t) b * 3 * H;
      fh[k] = (float) h[k];
      r[k] = (float) (1 / (1 + exp(-(i3[j] + h3[j]))));
      z[k] = (float) (1 / (1 + exp(-(i3[H + j] + h3[H + j]))));
      n[k] = (float) tanh(i3[2 * H + j] + (double) r[k] * h3[2 * H + j]);
      ghn[k] = (float) h3[2 * H + j];
    }
  PBuf q = request("gru_cell_backward");
  pb_int(&q, B);
  pb_int(&q, H);
  pb_floats(&q, dhn, bh);
  pb_floats(&q, fh, bh);
  pb_floats(&q, r, bh);
  pb_floats(&q, z, bh);
  pb_floats(&q, n, bh);
  pb_floats(&q, ghn, bh);
  pb_floats(&q, dh0, bh);
  Reply rp = call(&q);
  float *dgi = reply_floats(&rp, 3 * bh, "dgi"), *dgh = reply_floats(&rp, 3 * bh, "dgh"),
    *dh = reply_floats(&rp, bh, "dh");
  double *w_gi = dalloc(3 * bh), *w_gh = dalloc(3 * bh), *w_h = dalloc(bh), eps = 1e-5;
  double *vars[3] = {gi, gh, h}, *wants[3] = {w_gi, w_gh, w_h};
  size_t sizes[3] = {3 * bh, 3 * bh, bh};
  for (int v = 0; v < 3; v++)
    for (size_t i = 0; i < sizes[v]; i++) {
      double keep = vars[v][i];
      vars[v][i] = keep + eps;
      double up = cell_loss(gi, gh, h, dhn, B, H);
      vars[v][i] = keep - eps;
      double down = cell_loss(gi, gh, h, dhn, B, H);
      vars[v][i] = keep;
      wants[v][i] = (up - down) / (2 * eps) + (v == 2 ? dh0[i] : 0.0);
    }
  expect_close("gru_cell_backward, 3 rows of 16 units: dgi (gates r, z, n) against finite differences",
    dgi, w_gi, (size_t) B, 3 * (size_t) H, 1e-6, 1e-5);
  expect_close("gru_cell_backward, 3 rows of 16 units: dgh (gates r, z, n) against finite differences",
    dgh, w_gh, (size_t) B, 3 * (size_t) H, 1e-6, 1e-5);
  expect_close("gru_cell_backward, 3 rows of 16 units: dh against finite differences (plus its start)",
    dh, w_h, (size_t) B, (size_t) H, 1e-6, 1e-5);
  reply_free(&rp);
}

JTEST(the_five_pairs_train)
{
  check_training();
}

static const Graded hidden_tests[] = {
  GRADED(five_hundred_units, 2, 3, "500 random units"),
  GRADED(saturated_gates, 1, 3, "gates near 0 and 1: small gradients, still right"),
  GRADED(inside_the_cell_of_three_rows, 2, 3, "gru_cell_backward of 3 rows of 16 units against finite differences"),
  GRADED(the_five_pairs_train, 3, 10, "the notebook's five pairs, trained with your GRU backward, translate"),
};

JUDGE_MAIN(public_tests, hidden_tests)

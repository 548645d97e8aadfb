/* Exercise 4, hidden tests: saturated pre-activations, a thousand units,
   the unit inside gru_cell_forward (the gates at j, H+j and 2H+j of each
   row), and the notebook's five pairs trained with the student's GRU. */
#define WITH_HIDDEN
#include "public.c"
#include "training.h"

JTEST(saturated_units_stay_finite)
{
  float gir[6] = {60, -60, 100, -100, 45, -45}, giz[6] = {-100, 100, 60, -60, 0, 0},
    gin[6] = {30, -30, 90, -90, 40, -40}, ghr[6] = {0, 0, -1, 1, 0, 0},
    ghz[6] = {0, 0, 0, 0, 30, -30}, ghn[6] = {50, -50, 3, -3, -80, 80}, h[6] = {1, -1, 0.5f, -0.5f, 0.9f, -0.9f};
  Units u = {6, {gir, giz, gin, ghr, ghz, ghn, h}};
  check_units(&u, 1, "pre-activations up to 100 in size (exp overflows if computed naively)");
}

JTEST(a_thousand_units)
{
  rng_seed(411);
  Units u = random_units(1000, 5);
  check_units(&u, 1, "1000 units with inputs in [-5, 5]");
}

JTEST(inside_the_cell_of_two_rows)
{
  rng_seed(412);
  int B = 2, H = 7;
  size_t bh = (size_t) B * H;
  float *gi = frand_array(3 * bh, 2), *gh = frand_array(3 * bh, 2), *h = frand_array(bh, 1);
  PBuf q = request("gru_cell_forward");
  pb_int(&q, B);
  pb_int(&q, H);
  pb_floats(&q, gi, 3 * bh);
  pb_floats(&q, gh, 3 * bh);
  pb_floats(&q, h, bh);
  Reply rp = call(&q);
  float *got[5];
  for (int k = 0; k < 5; k++) got[k] = reply_floats(&rp, bh, "cell outputs");
  double *want[5];
  for (int k = 0; k < 5; k++) want[k] = dalloc(bh);
  for (int b = 0; b < B; b++)
    for (int j = 0; j < H; j++) {
      const float *i3 = gi + (size_t) b * 3 * H, *h3 = gh + (size_t) b * 3 * H;
      size_t k = (size_t) b * H + j;
      double r = 1 / (1 + exp(-((double) i3[j] + h3[j])));
      double z = 1 / (1 + exp(-((double) i3[H + j] + h3[H + j])));
      double n = tanh(i3[2 * H + j] + r * h3[2 * H + j]);
      want[0][k] = (1 - z) * n + z * h[k];
      want[1][k] = r, want[2][k] = z, want[3][k] = n, want[4][k] = h3[2 * H + j];
    }
  static const char *names[5] = {"gru_cell_forward's h'", "r", "z", "n", "g_hn"};
  for (int k = 0; k < 5; k++) {
    char label[160];
    snprintf(label, sizeof label, "a cell of 2 rows of 7 units: %s", names[k]);
    expect_close(label, got[k], want[k], (size_t) B, (size_t) H, 2e-6, 1e-5);
  }
  reply_free(&rp);
}

JTEST(the_five_pairs_train)
{
  check_training();
}

static const Graded hidden_tests[] = {
  GRADED(saturated_units_stay_finite, 1, 3, "pre-activations up to 100: no overflow, no NaN"),
  GRADED(a_thousand_units, 1, 3, "1000 random units, state and cache"),
  GRADED(inside_the_cell_of_two_rows, 1, 3, "gru_cell_forward of 2 rows of 7 units uses your unit"),
  GRADED(the_five_pairs_train, 2, 10, "the notebook's five pairs, trained with your GRU, translate"),
};

JUDGE_MAIN(public_tests, hidden_tests)

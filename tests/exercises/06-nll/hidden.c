/* Exercise 6, hidden tests: the gradient against central finite differences
   of the loss as a function of the logits (L(z) = sum_b -log softmax(z_b)[y_b],
   computed here in double), rows that sum to zero, confident and hopeless
   predictions, a vocabulary of the real corpus's size, and the five pairs
   trained with the student's loss. */
#define WITH_HIDDEN
#include "public.c"
#include "training.h"

static double loss_of_logits(const double *z, const int *y, int B, int V)
{
  double L = 0;
  for (int b = 0; b < B; b++) {
    const double *zb = z + (size_t) b * V;
    double mx = -INFINITY, sum = 0;
    for (int j = 0; j < V; j++) mx = fmax(mx, zb[j]);
    for (int j = 0; j < V; j++) sum += exp(zb[j] - mx);
    L -= zb[y[b]] - mx - log(sum);
  }
  return L;
}

JTEST(gradient_matches_finite_differences)
{
  rng_seed(611);
  int B = 3, V = 9, y[3] = {8, 0, 5};
  double *z = dalloc((size_t) B * V);
  float *lp = random_logp(B, V, 3, z);
  float *got = ask_gradient(lp, y, B, V);
  double *fd = dalloc((size_t) B * V), eps = 1e-6;
  for (int i = 0; i < B * V; i++) {
    double keep = z[i];
    z[i] = keep + eps;
    double lpl = loss_of_logits(z, y, B, V);
    z[i] = keep - eps;
    double lmi = loss_of_logits(z, y, B, V);
    z[i] = keep;
    fd[i] = (lpl - lmi) / (2 * eps);
  }
  expect_close("three rows of nine: dlogits against central differences of the loss in the logits",
    got, fd, (size_t) B, (size_t) V, 1e-6, 1e-5);
  free(got); free(fd); free(z); free(lp);
}

JTEST(gradient_rows_sum_to_zero)
{
  rng_seed(612);
  int B = 5, V = 50, y[5] = {0, 49, 17, 17, 1};
  double *z = dalloc((size_t) B * V);
  float *lp = random_logp(B, V, 6, z);
  check_gradient(lp, y, B, V, "five rows of fifty");
  float *g = ask_gradient(lp, y, B, V);
  for (int b = 0; b < B; b++) {
    double s = 0;
    for (int j = 0; j < V; j++) s += g[(size_t) b * V + j];
    if (fabs(s) > 1e-5) ck_abort_msg("row %d of dlogits sums to %g; p - onehot(y) sums to 0", b, s);
  }
  free(g); free(z); free(lp);
}

JTEST(confident_and_hopeless_predictions)
{
  /* row 0: the target is nearly certain (log p = -1e-6); row 1: the target
     has probability e^-80 */
  int V = 4, y[2] = {2, 0};
  float lp[8] = {-15.0f, -14.5f, -1e-6f, -16.0f, -80.0f, -1e-3f, -7.5f, -8.0f};
  check_loss(lp, y, 2, V, "a certain and a hopeless prediction");
  check_gradient(lp, y, 2, V, "a certain and a hopeless prediction");
}

JTEST(a_large_vocabulary)
{
  rng_seed(613);
  int B = 9, V = 4345, y[9] = {0, 1, 4344, 2000, 3, 17, 4000, 1234, 999};
  double *z = dalloc((size_t) B * V);
  float *lp = random_logp(B, V, 5, z);
  check_loss(lp, y, B, V, "nine rows of the corpus's 4345 French words");
  check_gradient(lp, y, B, V, "nine rows of the corpus's 4345 French words");
  free(z); free(lp);
}

JTEST(the_five_pairs_train)
{
  check_training();
}

static const Graded hidden_tests[] = {
  GRADED(gradient_matches_finite_differences, 2, 3, "dlogits against finite differences of the loss"),
  GRADED(gradient_rows_sum_to_zero, 1, 3, "rows of fifty: p - onehot(y), each row summing to 0"),
  GRADED(confident_and_hopeless_predictions, 1, 3, "log p of -1e-6 and of -80"),
  GRADED(a_large_vocabulary, 1, 3, "loss and gradient over 4345 words"),
  GRADED(the_five_pairs_train, 1, 10, "the notebook's five pairs, trained with your loss, translate"),
};

JUDGE_MAIN(public_tests, hidden_tests)

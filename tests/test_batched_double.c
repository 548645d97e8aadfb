/* Part II's batched model in double precision: every gradient of a whole
   masked batch against central differences, for every attention kind, and
   the batch-equivalence property (a padded batch of sentences of different
   lengths gives the loss and gradients of the same sentences one at a time,
   weighted by their token counts).

   As in test_double.c, the kit's own sources are compiled with every float
   made a double (and the CPU backend calls dgemm), so that a difference
   quotient with EPS = 1e-6 resolves every gradient element to about 1e-8. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#define KIT_DOUBLE
#define float double
#define expf exp
#define logf log
#define tanhf tanh
#define sqrtf sqrt
#include "../generated/util.c"
#include "../generated/vocab.c"
#include "../generated/layers.c"
#include "../generated/model.c"
#include "../generated/batch.c"
#include "../generated/backend_cpu.c"
#undef float

#define EPS 1e-6
/* The rounding error of a difference quotient is about 1e-16 * |loss| * (terms
   summed) / EPS, a few times 1e-10 here: ATOL covers it, TOL the rest. */
#define ATOL 1e-8
#define TOL 1e-6

enum { V_IN = 9, V_OUT = 10, H = 8, L = 7, NEX = 4 };

/* Four pairs of different lengths (with <EOS>), padded in one batch. */
static Example ex[NEX];

static void make_examples_by_hand(void)
{
  static const int src[NEX][L] = {{4, 5, 6, EOS_TOKEN}, {7, EOS_TOKEN},
    {8, 4, 5, 6, 7, EOS_TOKEN}, {5, 5, EOS_TOKEN}};
  static const int srcn[NEX] = {4, 2, 6, 3};
  static const int tgt[NEX][L] = {{4, 5, EOS_TOKEN}, {6, 7, 8, 9, 4, EOS_TOKEN},
    {EOS_TOKEN}, {9, 8, EOS_TOKEN}};
  static const int tgtn[NEX] = {3, 6, 1, 3};
  for (int k = 0; k < NEX; k++) {
    memcpy(ex[k].src, src[k], sizeof src[k]);
    memcpy(ex[k].tgt, tgt[k], sizeof tgt[k]);
    ex[k].src_len = srcn[k];
    ex[k].tgt_len = tgtn[k];
  }
}

static void tiny_bmodel(BModel *bm, int kind, uint64_t seed)
{
  Vocab vin, vout;
  vocab_init(&vin);
  vocab_init(&vout);
  vocab_add(&vin, "<PAD>"), vocab_add(&vin, "<UNK>");
  vocab_add(&vout, "<PAD>"), vocab_add(&vout, "<UNK>");
  char w[16];
  for (int k = 4; k < V_IN; k++) { snprintf(w, sizeof w, "s%d", k); vocab_add(&vin, w); }
  for (int k = 4; k < V_OUT; k++) { snprintf(w, sizeof w, "t%d", k); vocab_add(&vout, w); }
  Config cfg = {V_IN, V_OUT, H, L};
  bmodel_alloc(bm, &cpu_backend, kind, 2, &cfg, &vin, &vout, NEX);
  bmodel_init_random(bm, seed);
  /* Bigger attention parameters make the scores, and so their gradients, matter. */
  for (size_t i = bm->off[P_DEC_EMB + 1]; i < bm->off[P_DEC_W_IH]; i++) bm->p[i] *= 3.0;
}

/* The mean loss of examples [from, from+n) in one batch, and its gradient in bm->g. */
static double loss_and_grad(BModel *bm, int from, int n, int grad)
{
  Batch bt;
  batch_upload(bm, ex + from, NULL, n, &bt);
  memset(bm->g, 0, bm->n_params * sizeof(double));
  bmodel_take_loss(bm);
  bmodel_forward(bm, &bt, 0.0);
  double sum = bmodel_take_loss(bm);
  if (!grad) return sum / bt.tokens;
  /* the forward pass left the logits' gradient in place; run the backward pass */
  bmodel_backward(bm, &bt);
  return sum / bt.tokens;
}

static void check_kind_gradients(int kind)
{
  BModel bm;
  make_examples_by_hand();
  tiny_bmodel(&bm, kind, 7 + (uint64_t) kind);
  loss_and_grad(&bm, 0, NEX, 1);
  double *g = malloc(bm.n_params * sizeof(double));
  memcpy(g, bm.g, bm.n_params * sizeof(double));
  double worst = 0.0, worst_fd = 0.0;
  size_t worst_i = 0;
  for (size_t i = 0; i < bm.n_params; i++) {
    double x = bm.p[i];
    bm.p[i] = x + EPS;
    double lp = loss_and_grad(&bm, 0, NEX, 0);
    bm.p[i] = x - EPS;
    double lm = loss_and_grad(&bm, 0, NEX, 0);
    bm.p[i] = x;
    double fd = (lp - lm) / (2 * EPS), err = fabs(fd - g[i]) / (ATOL + TOL * fabs(fd));
    if (err > worst) worst = err, worst_i = i, worst_fd = fd;
  }
  int k = 0;
  while (k + 1 < NP_TENSORS && bm.off[k + 1] <= worst_i) k++;
  ck_assert_msg(worst <= 1.0, "%s: gradient of %s[%zu]: analytic %.12g, differences %.12g "
    "(%.3g times the tolerance)", kind_names[kind], bm.spec[k].name, worst_i - bm.off[k], g[worst_i],
    worst_fd, worst);
  free(g);
  bmodel_free(&bm);
}

START_TEST(gradients_of_a_masked_batch)
{
  check_kind_gradients(KIND_BAHDANAU + _i);
}
END_TEST

/* A padded batch equals its sentences one at a time, weighted by tokens. */
START_TEST(batch_equals_sentences_one_at_a_time)
{
  int kind = KIND_BAHDANAU + _i;
  BModel bm;
  make_examples_by_hand();
  tiny_bmodel(&bm, kind, 11);
  double all = loss_and_grad(&bm, 0, NEX, 1);
  double *g = malloc(bm.n_params * sizeof(double)), *acc = calloc(bm.n_params, sizeof(double));
  memcpy(g, bm.g, bm.n_params * sizeof(double));
  int tokens = 0;
  for (int k = 0; k < NEX; k++) tokens += ex[k].tgt_len;
  double sum = 0.0;
  for (int k = 0; k < NEX; k++) {
    double w = (double) ex[k].tgt_len / tokens;
    sum += w * loss_and_grad(&bm, k, 1, 1);
    for (size_t i = 0; i < bm.n_params; i++) acc[i] += w * bm.g[i];
  }
  ck_assert_msg(fabs(sum - all) <= 1e-12 * fabs(all), "%s: batch loss %.15g, one at a time %.15g",
    kind_names[kind], all, sum);
  for (size_t i = 0; i < bm.n_params; i++)
    ck_assert_msg(fabs(acc[i] - g[i]) <= 1e-12 + 1e-10 * fabs(g[i]),
      "%s: gradient %zu: batch %.15g, one at a time %.15g", kind_names[kind], i, g[i], acc[i]);
  free(g);
  free(acc);
  bmodel_free(&bm);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("batched model, double precision");
  TCase *tc = tcase_create("gradients");
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, gradients_of_a_masked_batch, 0, N_KINDS - 1);
  tcase_add_loop_test(tc, batch_equals_sentences_one_at_a_time, 0, N_KINDS - 1);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(suite());
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

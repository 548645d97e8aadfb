/* The whole sequence loss, checked element by element in double precision.

   A pair's loss is a sum of float32 log-probabilities, so in float32 a central
   difference resolves steps of about 5e-5 (one unit in the last place of the
   loss over 2 EPS): too coarse for the small gradients of the encoder's
   recurrent weights, and large EPS would cross the kinks of the ReLU. So this
   program compiles the kit's own layers and model (generated/layers.c and
   generated/model.c, the same source as the float library) with every float
   made a double. Then EPS = 1e-6 is far below any kink, the rounding error of
   a difference quotient is about 1e-16 * |L| / EPS ~ 1e-9, the truncation
   error about EPS^2 ~ 1e-12, and every element of every gradient can be
   compared: the measured relative errors are around 1e-9 to 1e-7, and the
   limit is 1e-5. (The float32 build is compared with PyTorch in parity.sh.) */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#define float double
#define expf exp
#define logf log
#define tanhf tanh
#define sqrtf sqrt
#include "../generated/util.c"
#include "../generated/vocab.c"
#include "../generated/layers.c"
#include "../generated/model.c"
#undef float

#define EPS 1e-6
#define TOL 1e-5

static Model m;
static Example ex;

static void tiny_model(int V_in, int V_out, int H, int L, uint64_t seed)
{
  Vocab vin, vout;
  vocab_init(&vin);
  vocab_init(&vout);
  char w[16];
  for (int k = 2; k < V_in; k++) { snprintf(w, sizeof w, "s%d", k); vocab_add(&vin, w); }
  for (int k = 2; k < V_out; k++) { snprintf(w, sizeof w, "t%d", k); vocab_add(&vout, w); }
  Config cfg = {V_in, V_out, H, L};
  model_alloc(&m, &cfg, &vin, &vout);
  model_init_random(&m, seed);
}

/* Central differences of the pair's loss for every parameter, against the
   gradient of seq2seq_backward, tensor by tensor. */
static void check_pair(Example e)
{
  ck_assert_msg(sizeof(m.param_mem[0]) == 8, "this test must compile the model in double");
  ex = e;
  memset(m.grad_mem, 0, m.n_params * sizeof m.grad_mem[0]);
  seq2seq_forward(&m, &ex);
  seq2seq_backward(&m, &ex);
  double kink = INFINITY;
  for (int i = 0; i < ex.tgt_len * m.cfg.H; i++) kink = fmin(kink, fabs(m.act.dec_pre[i]));
  ck_assert_msg(kink > 100 * EPS, "a ReLU input is %.3g from its kink", kink);
  TensorSpec s[N_TENSORS];
  tensor_specs(&m.cfg, s);
  for (int k = 0; k < N_TENSORS; k++) {
    double *p = m.params.t[k], *g = m.grads.t[k];
    double d2 = 0, n2 = 0, a2 = 0, worst = -1, wa = 0, wn = 0;
    size_t wi = 0, n = spec_numel(&s[k]);
    for (size_t i = 0; i < n; i++) {
      double keep = p[i];
      p[i] = keep + EPS;
      double lp = seq2seq_forward(&m, &ex);
      p[i] = keep - EPS;
      double lm = seq2seq_forward(&m, &ex);
      p[i] = keep;
      double num = (lp - lm) / (2 * EPS), d = fabs(num - g[i]);
      d2 += d * d;
      n2 += num * num;
      a2 += g[i] * g[i];
      if (d > worst) { worst = d; wi = i; wa = g[i]; wn = num; }
    }
    double den = sqrt(fmax(n2, a2)), rel = den > 0 ? sqrt(d2) / den : sqrt(d2);
    printf("  %-30s relative error %.2e (%zu elements, gradient norm %.2e)\n", s[k].name, rel, n,
      sqrt(a2));
    ck_assert_msg(rel < TOL, "gradient of %s: relative error %.3g (limit %.0e); worst element %zu: "
      "analytic %.10g, finite difference %.10g", s[k].name, rel, TOL, wi, wa, wn);
  }
}

START_TEST(whole_sequence_loss)
{
  tiny_model(7, 8, 6, 5, 11);
  check_pair((Example) {{2, 3, 4, 2}, {3, 5, 3, EOS_TOKEN}, 4, 4});
  model_free(&m);
}
END_TEST

/* A source as long as the model allows (no padding slot) and a one-word
   source (every slot but one is padding). */
START_TEST(whole_sequence_loss_extreme_lengths)
{
  tiny_model(6, 6, 4, 4, 12);
  check_pair((Example) {{2, 3, 4, 5}, {2, EOS_TOKEN}, 4, 2});
  check_pair((Example) {{3}, {4, 5, 2, EOS_TOKEN}, 1, 4});
  model_free(&m);
}
END_TEST

/* A wrong gradient is caught: flip the sign of one element's contribution. */
START_TEST(double_check_catches_a_wrong_gradient)
{
  tiny_model(5, 5, 3, 3, 13);
  ex = (Example) {{2, 3}, {4, EOS_TOKEN}, 2, 2};
  seq2seq_forward(&m, &ex);
  seq2seq_backward(&m, &ex);
  double *g = m.grads.enc_w_hh, *p = m.params.enc_w_hh, keep = p[4];
  p[4] = keep + EPS;
  double lp = seq2seq_forward(&m, &ex);
  p[4] = keep - EPS;
  double lm = seq2seq_forward(&m, &ex);
  p[4] = keep;
  double num = (lp - lm) / (2 * EPS);
  ck_assert_msg(fabs(num - g[4]) < TOL * fabs(num) + 1e-12, "element 4: %.10g vs %.10g", num, g[4]);
  ck_assert_msg(fabs(num + g[4]) > 100 * TOL * fabs(num), "a sign error would go unnoticed");
  model_free(&m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("whole sequence, double");
  TTest const *tests[] = {whole_sequence_loss, whole_sequence_loss_extreme_lengths,
    double_check_catches_a_wrong_gradient};
  const char *names[] = {"whole_sequence_loss", "whole_sequence_loss_extreme_lengths",
    "double_check_catches_a_wrong_gradient"};
  for (int k = 0; k < 3; k++) {
    TCase *tc = tcase_create(names[k]);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, tests[k]);
    suite_add_tcase(s, tc);
  }
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* wholepair.h: one sentence pair through the whole model, for the hidden
   tests of the attention exercises (the notebook's five pairs train even
   with no attention at all, so training does not test it).

   The judge draws a small model and a pair; the worker runs the kit's
   seq2seq_forward and seq2seq_backward on them (with the student's code in
   its place) and sends back the loss and the gradient of every parameter.
   The judge computes the loss itself in double precision (refmodel.h) and
   the gradient by central finite differences of that loss. */
#pragma once
#include "judge.h"
#include "refmodel.h"

typedef struct {
  RefModel m;
  float *p;
  int src[40], T, tgt[40], Tt;
} Pair;

__attribute__((unused)) static Pair random_pair(uint64_t seed, int V_in, int V_out, int H, int L, int T, int Tt)
{
  rng_seed(seed);
  Pair x = {{V_in, V_out, H, L, {0}, 0}, NULL, {0}, T, {0}, Tt};
  size_t np = ref_point(&x.m, NULL), sizes[R_N];
  x.p = calloc(np, sizeof(float));
  ref_point(&x.m, x.p);
  ref_sizes(&x.m, sizes);
  for (int k = 0; k < R_N; k++) {
    double a = (k == R_ENC_EMB || k == R_DEC_EMB) ? 1.0
      : 1.0 / sqrt((double) ((k >= R_ATTN_W && k <= R_COMB_B) ? 2 * H : H));
    for (size_t i = 0; i < sizes[k]; i++) ((float *) x.m.t[k])[i] = (float) sym(a);
  }
  /* larger attention weights, so that the weights are far from uniform */
  for (size_t i = 0; i < sizes[R_ATTN_W]; i++) ((float *) x.m.t[R_ATTN_W])[i] *= 4.0f;
  for (int t = 0; t < T; t++) x.src[t] = 2 + (int) (unif() * (V_in - 2));
  for (int t = 0; t < Tt - 1; t++) x.tgt[t] = 2 + (int) (unif() * (V_out - 2));
  x.tgt[Tt - 1] = 1; /* <EOS> */
  return x;
}

__attribute__((unused)) static float *ask_pair(const Pair *x, float *loss)
{
  PBuf q = request("pair");
  pb_int(&q, x->m.V_in);
  pb_int(&q, x->m.V_out);
  pb_int(&q, x->m.H);
  pb_int(&q, x->m.L);
  pb_floats(&q, x->p, x->m.n_params);
  pb_int(&q, x->T);
  pb_ints(&q, x->src, (size_t) x->T);
  pb_int(&q, x->Tt);
  pb_ints(&q, x->tgt, (size_t) x->Tt);
  Reply r = call(&q);
  float *l = reply_floats(&r, 1, "loss");
  *loss = l[0];
  free(l);
  float *g = reply_floats(&r, x->m.n_params, "gradient");
  reply_free(&r);
  return g;
}

__attribute__((unused)) static void check_pair_loss(const Pair *x, const char *what)
{
  float loss;
  free(ask_pair(x, &loss));
  double want = ref_pair_loss(&x->m, x->src, x->T, x->tgt, x->Tt);
  char label[240];
  snprintf(label, sizeof label, "%s: the loss of seq2seq_forward (H = %d, L = %d, %d source and %d "
    "target words)", what, x->m.H, x->m.L, x->T, x->Tt);
  expect_close(label, &loss, &want, 1, 1, 1e-5, 1e-5);
}

/* The gradient of the listed tensors against central differences of the
   double-precision loss: the relative error of each tensor's gradient,
   |analytic - numeric| / max(|analytic|, |numeric|) in the 2-norm, must be
   below 1e-3 (float32 against double: measured about 1e-6). */
__attribute__((unused)) static void check_pair_gradient(Pair *x, const int *tensors, int nt, const char *const *names, const char *what)
{
  float loss;
  float *g = ask_pair(x, &loss);
  size_t sizes[R_N];
  ref_sizes(&x->m, sizes);
  for (int k = 0; k < nt; k++) {
    int t = tensors[k];
    size_t off = (size_t) (x->m.t[t] - x->p);
    double num2 = 0, ana2 = 0, diff2 = 0, worst = -1, wa = 0, wn = 0, eps = 1e-6;
    size_t wi = 0;
    for (size_t i = 0; i < sizes[t]; i++) {
      /* the parameters are floats: step to floats about 1e-6 away on either
         side, and divide by the exact distance between them */
      float *p = (float *) x->m.t[t] + i, keep = *p;
      float up = keep + (float) eps * fmaxf(1.0f, fabsf(keep)), down = keep - (float) eps * fmaxf(1.0f, fabsf(keep));
      *p = up;
      double lp = ref_pair_loss(&x->m, x->src, x->T, x->tgt, x->Tt);
      *p = down;
      double lm = ref_pair_loss(&x->m, x->src, x->T, x->tgt, x->Tt);
      *p = keep;
      double fd = (lp - lm) / ((double) up - (double) down), an = g[off + i], d = fabs(fd - an);
      num2 += fd * fd;
      ana2 += an * an;
      diff2 += d * d;
      if (d > worst) worst = d, wi = i, wa = an, wn = fd;
    }
    double den = sqrt(fmax(num2, ana2)), rel = den > 0 ? sqrt(diff2) / den : sqrt(diff2);
    if (!(rel < 1e-3))
      ck_abort_msg("%s: the gradient of %s has relative error %.3g (limit 1e-3) against finite "
        "differences of the loss; the worst element is %zu: seq2seq_backward gives %.6g, the "
        "finite difference %.6g.%s", what, names[k], rel, wi, wa, wn, J.printed);
  }
  free(g);
}

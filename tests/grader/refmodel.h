/* refmodel.h: the translator's forward pass and greedy decoding in double
   precision, for the judges.

   Written from the equations in the book (the chapters on the GRU, the
   attention decoder and greedy decoding), not from the kit's code, so that a
   judge can check a decoding, or a model trained with a student's code,
   without trusting anything the worker computed. The parameters are the kit's
   sixteen tensors, one after the other in the order of tensor_specs (the
   notebook's state_dict), in float. */
#pragma once
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { R_ENC_EMB, R_ENC_W_IH, R_ENC_W_HH, R_ENC_B_IH, R_ENC_B_HH, R_DEC_EMB, R_ATTN_W,
  R_ATTN_B, R_COMB_W, R_COMB_B, R_DEC_W_IH, R_DEC_W_HH, R_DEC_B_IH, R_DEC_B_HH, R_OUT_W,
  R_OUT_B, R_N };

typedef struct {
  int V_in, V_out, H, L;
  const float *t[R_N];
  size_t n_params;
} RefModel;

/* The number of parameters of each tensor. */
__attribute__((unused)) static void ref_sizes(const RefModel *m, size_t n[R_N])
{
  size_t H = (size_t) m->H, L = (size_t) m->L;
  size_t s[R_N] = {(size_t) m->V_in * H, 3 * H * H, 3 * H * H, 3 * H, 3 * H,
    (size_t) m->V_out * H, L * 2 * H, L, H * 2 * H, H, 3 * H * H, 3 * H * H, 3 * H, 3 * H,
    (size_t) m->V_out * H, (size_t) m->V_out};
  memcpy(n, s, sizeof s);
}

/* Point the tensors into |p|; returns the number of parameters. */
__attribute__((unused)) static size_t ref_point(RefModel *m, const float *p)
{
  size_t n[R_N];
  ref_sizes(m, n);
  size_t off = 0;
  for (int k = 0; k < R_N; k++) {
    m->t[k] = p ? p + off : NULL;
    off += n[k];
  }
  m->n_params = off;
  return off;
}

/* y = W x + b, W is m x n (row-major, float), x and y double. */
__attribute__((unused)) static void ref_linear(double *y, const float *W, const float *b, const double *x, int m, int n)
{
  for (int i = 0; i < m; i++) {
    double s = b ? b[i] : 0.0;
    for (int j = 0; j < n; j++) s += (double) W[(size_t) i * n + j] * x[j];
    y[i] = s;
  }
}

/* One GRU step as torch.nn.GRU defines it (gates r, z, n; r multiplies
   W_hn h + b_hn). */
__attribute__((unused)) static void ref_gru(double *hn, const double *x, const double *h, const float *Wi,
  const float *Wh, const float *bi, const float *bh, int H)
{
  double *gi = malloc(6 * (size_t) H * sizeof(double)), *gh = gi + 3 * H;
  ref_linear(gi, Wi, bi, x, 3 * H, H);
  ref_linear(gh, Wh, bh, h, 3 * H, H);
  for (int j = 0; j < H; j++) {
    double r = 1 / (1 + exp(-(gi[j] + gh[j])));
    double z = 1 / (1 + exp(-(gi[H + j] + gh[H + j])));
    double n = tanh(gi[2 * H + j] + r * gh[2 * H + j]);
    hn[j] = (1 - z) * n + z * h[j];
  }
  free(gi);
}

/* Scratch vectors of a forward pass: the encoder outputs O (L x H), the
   state h, [e; h] and [e; c] in x, the scores s, weights w, GRU input u and
   the logits. */
typedef struct { double *O, *h, *x, *hn, *s, *w, *u, *logit; } RefRun;

__attribute__((unused)) static RefRun ref_run_alloc(const RefModel *m)
{
  size_t H = (size_t) m->H, L = (size_t) m->L, V = (size_t) m->V_out;
  RefRun r = {calloc(L * H, sizeof(double)), calloc(H, sizeof(double)),
    malloc(2 * H * sizeof(double)), malloc(H * sizeof(double)), malloc(L * sizeof(double)),
    malloc(L * sizeof(double)), malloc(H * sizeof(double)), malloc(V * sizeof(double))};
  return r;
}

__attribute__((unused)) static void ref_run_free(RefRun *r)
{
  free(r->O); free(r->h); free(r->x); free(r->hn); free(r->s); free(r->w); free(r->u);
  free(r->logit);
}

/* The encoder: h runs over the T words from zero, and O holds each state
   (the rows beyond T stay zero). */
__attribute__((unused)) static void ref_encode(const RefModel *m, RefRun *r, const int *src, int T)
{
  int H = m->H;
  for (int t = 0; t < T; t++) {
    for (int j = 0; j < H; j++) r->x[j] = m->t[R_ENC_EMB][(size_t) src[t] * H + j];
    ref_gru(r->hn, r->x, r->h, m->t[R_ENC_W_IH], m->t[R_ENC_W_HH], m->t[R_ENC_B_IH],
      m->t[R_ENC_B_HH], H);
    memcpy(r->h, r->hn, (size_t) H * sizeof(double));
    memcpy(r->O + (size_t) t * H, r->h, (size_t) H * sizeof(double));
  }
}

/* One decoder step on input word |token|: scores from [e; h], softmax over all
   L slots, context, combine and ReLU, GRU, logits. Updates h; leaves the
   weights in w and the logits in logit. */
__attribute__((unused)) static void ref_decoder_step(const RefModel *m, RefRun *r, int token)
{
  int H = m->H, L = m->L;
  double *x = r->x, *w = r->w;
  for (int j = 0; j < H; j++) {
    x[j] = m->t[R_DEC_EMB][(size_t) token * H + j];
    x[H + j] = r->h[j];
  }
  ref_linear(r->s, m->t[R_ATTN_W], m->t[R_ATTN_B], x, L, 2 * H);
  double mx = r->s[0], sum = 0;
  for (int i = 1; i < L; i++) mx = fmax(mx, r->s[i]);
  for (int i = 0; i < L; i++) sum += w[i] = exp(r->s[i] - mx);
  for (int i = 0; i < L; i++) w[i] /= sum;
  for (int j = 0; j < H; j++) {
    double c = 0;
    for (int i = 0; i < L; i++) c += w[i] * r->O[(size_t) i * H + j];
    x[H + j] = c;
  }
  ref_linear(r->u, m->t[R_COMB_W], m->t[R_COMB_B], x, H, 2 * H);
  for (int j = 0; j < H; j++) r->u[j] = r->u[j] > 0 ? r->u[j] : 0;
  ref_gru(r->hn, r->u, r->h, m->t[R_DEC_W_IH], m->t[R_DEC_W_HH], m->t[R_DEC_B_IH],
    m->t[R_DEC_B_HH], H);
  memcpy(r->h, r->hn, (size_t) H * sizeof(double));
  ref_linear(r->logit, m->t[R_OUT_W], m->t[R_OUT_B], r->h, m->V_out, H);
}

/* Greedy decoding of |src| (T words): the output words go to |out| (at most L),
   the attention weights of each step to |attn| (L x L, may be NULL), and the
   gap between the best and the second-best logit of each step to |margin|
   (may be NULL), so that a judge can tell a near-tie from a wrong choice.
   Returns the number of words before <EOS> (word 1). */
__attribute__((unused)) static int ref_greedy(const RefModel *m, const int *src, int T, int *out, double *attn,
  double *margin)
{
  int L = m->L, V = m->V_out, n = 0, token = 0; /* <SOS> */
  RefRun r = ref_run_alloc(m);
  ref_encode(m, &r, src, T);
  for (int t = 0; t < L; t++) {
    ref_decoder_step(m, &r, token);
    if (attn) memcpy(attn + (size_t) t * L, r.w, (size_t) L * sizeof(double));
    int best = 0;
    for (int k = 1; k < V; k++) if (r.logit[k] > r.logit[best]) best = k;
    double second = -INFINITY;
    for (int k = 0; k < V; k++) if (k != best && r.logit[k] > second) second = r.logit[k];
    if (margin) margin[t] = r.logit[best] - second;
    token = best;
    if (token == 1) break; /* <EOS> */
    out[n++] = token;
  }
  ref_run_free(&r);
  return n;
}

/* The loss of one pair with teacher forcing: the decoder reads <SOS>, then
   the target's words, and the loss is the sum over the T' target words (the
   last one <EOS>) of -log softmax(logits)[word], as the chapter on training
   defines it. */
__attribute__((unused)) static double ref_pair_loss(const RefModel *m, const int *src, int T, const int *tgt, int Tt)
{
  int V = m->V_out;
  RefRun r = ref_run_alloc(m);
  ref_encode(m, &r, src, T);
  double loss = 0;
  for (int t = 0; t < Tt; t++) {
    ref_decoder_step(m, &r, t == 0 ? 0 : tgt[t - 1]);
    double lm = r.logit[0], ls = 0;
    for (int k = 1; k < V; k++) lm = fmax(lm, r.logit[k]);
    for (int k = 0; k < V; k++) ls += exp(r.logit[k] - lm);
    loss -= r.logit[tgt[t]] - lm - log(ls);
  }
  ref_run_free(&r);
  return loss;
}

/* Part II in float32: the CPU backend's per-element kernels against central
   finite differences, their exact properties (masks, zero gradients), the
   batch-equivalence property of every kind, and determinism (same seed, one
   thread or two).

   Gradient checks, as in test_grad.c: a kernel's outputs y get a fixed random
   projection r, the test function is f = sum_i r_i y_i (accumulated in
   double), so df/dy = r is what the backward kernel receives. Every input
   element is moved by +-EPS and the central difference (f+ - f-)/(2 EPS) is
   compared with the analytic gradient; the measure is the relative error of
   the whole gradient, ||analytic - numeric|| / max(||analytic||, ||numeric||).

   Why EPS = 1e-2 and GRAD_TOL = 2e-3: the kernels compute in float32. The
   truncation error of a central difference is about EPS^2 |f'''| / 6, some
   1e-5 of the gradient for these smooth functions (tanh, exp, sigmoid of
   arguments of size ~1); the rounding error of f (a few dozen float32 outputs
   of size ~1, each with a relative error of ~6e-8) divided by 2 EPS is about
   1e-5 to 1e-4 of a gradient of size ~1. A smaller EPS (1e-3) makes the
   rounding term ten times larger, a larger one the truncation term grow as
   EPS^2; 1e-2 balances them. Measured over the kernels' 30 checks (the
   numbers are printed): median error 4e-6 and largest 1.6e-4 at EPS = 1e-2,
   3e-5 and 8e-4 at 1e-3, 1.4e-6 and 3.3e-4 at 3e-2. A wrong backward kernel (a missing term, a wrong sign, a wrong
   index, a mask applied on one side only) gives errors of order 1e-1 to 1;
   checker_catches_a_wrong_gradient shows that one wrong element among 60 is
   caught. The exact properties (masked weights and gradients, dropout masks,
   the zero-gradient biases, determinism) are checked bit for bit. */
#include <cblas.h>
#include <unistd.h>
#include "testutil.h"

#ifndef EPS
#define EPS 1e-2f
#endif
#define GRAD_TOL 2e-3

static const Backend *be = &cpu_backend;

#include "gradcheck.h"


/* Every element of x[0..n) is exactly zero. */
#define CHECK_ZERO(what, x, n) \
  do { \
    for (size_t z_ = 0; z_ < (size_t) (n); z_++) \
      ck_assert_msg((x)[z_] == 0.0f, "%s: %s[%zu] is %.9g, not exactly 0", __func__, what, \
        z_, (double) (x)[z_]); \
  } while (0)

/* ------------------------------------------------------- additive scores */
typedef struct { int B, S, H; float *wq, *uk, *va, *e, *a, *r; } Add;
static double add_loss(void *c)
{
  Add *x = c;
  be->additive_scores(x->e, x->a, x->wq, x->uk, x->va, x->B, x->S, x->H);
  return proj(x->r, x->e, (size_t) x->B * x->S);
}
START_TEST(additive_score)
{
  rng_seed(11);
  int B = 3, S = 4, H = 5;
  size_t BS = (size_t) B * S;
  Add x = {B, S, H, rand_array((size_t) B * H, 1), rand_array(BS * H, 1), rand_array(H, 1),
    rand_array(BS, 0), rand_array(BS * H, 0), rand_array(BS, 1)};
  float *dwq = rand_array((size_t) B * H, 0), *duk = rand_array(BS * H, 0),
    *dva = rand_array(H, 0);
  add_loss(&x);
  /* the backward kernel overwrites the tanh values with the pre-activation's
     gradient; the forward pass writes them again before every difference */
  be->additive_backward(dwq, duk, dva, x.r, x.a, x.va, B, S, H);
  CHECK_GRAD("query Wq", add_loss, &x, x.wq, dwq, (size_t) B * H);
  CHECK_GRAD("keys Uk", add_loss, &x, x.uk, duk, BS * H);
  CHECK_GRAD("v_a", add_loss, &x, x.va, dva, (size_t) H);
  /* duk and dva are added to (keys and v_a gather from every step), dwq is written */
  float *duk2 = rand_array(BS * H, 1), *dva2 = rand_array(H, 1), *dwq2 = rand_array((size_t) B * H, 1);
  float *want_uk = malloc(BS * H * sizeof(float)), *want_va = malloc(H * sizeof(float));
  for (size_t i = 0; i < BS * H; i++) want_uk[i] = duk2[i] + duk[i];
  for (int i = 0; i < H; i++) want_va[i] = dva2[i] + dva[i];
  add_loss(&x);
  be->additive_backward(dwq2, duk2, dva2, x.r, x.a, x.va, B, S, H);
  ck_assert_floats_close(duk2, want_uk, BS * H, 1e-6, 1e-6);
  ck_assert_floats_close(dva2, want_va, (size_t) H, 1e-6, 1e-6);
  ck_assert_floats_close(dwq2, dwq, (size_t) B * H, 1e-7, 1e-6);
  free(x.wq); free(x.uk); free(x.va); free(x.e); free(x.a); free(x.r);
  free(dwq); free(duk); free(dva); free(duk2); free(dva2); free(dwq2); free(want_uk); free(want_va);
}
END_TEST

/* ----------------------------------------------------------- dot scores */
typedef struct { int B, S, H, heads; float scale, *q, *k, *e, *r; } Dot;
static double dot_loss(void *c)
{
  Dot *x = c;
  be->dot_scores(x->e, x->q, x->k, x->B, x->S, x->H, x->heads, x->scale);
  return proj(x->r, x->e, (size_t) x->B * x->heads * x->S);
}
static void dot_case(int heads, float scale)
{
  int B = 3, S = 4, H = 6;
  size_t ne = (size_t) B * heads * S;
  Dot x = {B, S, H, heads, scale, rand_array((size_t) B * H, 1),
    rand_array((size_t) S * B * H, 1), rand_array(ne, 0), rand_array(ne, 1)};
  float *dq = rand_array((size_t) B * H, 0), *dk = rand_array((size_t) S * B * H, 0);
  dot_loss(&x);
  be->dot_backward(dq, dk, x.r, x.q, x.k, B, S, H, heads, scale);
  char name[32];
  snprintf(name, sizeof name, "query/%dh", heads);
  CHECK_GRAD(name, dot_loss, &x, x.q, dq, (size_t) B * H);
  snprintf(name, sizeof name, "keys/%dh", heads);
  CHECK_GRAD(name, dot_loss, &x, x.k, dk, (size_t) S * B * H);
  /* the scale multiplies the scores: e(scale) = scale * e(1) */
  float *e1 = malloc(ne * sizeof(float));
  be->dot_scores(e1, x.q, x.k, B, S, H, heads, 1.0f);
  for (size_t i = 0; i < ne; i++) e1[i] *= scale;
  dot_loss(&x);
  ck_assert_floats_close(x.e, e1, ne, 1e-6, 1e-6);
  free(x.q); free(x.k); free(x.e); free(x.r); free(dq); free(dk); free(e1);
}
START_TEST(dot_scores_one_head_and_several)
{
  rng_seed(12);
  dot_case(1, 1.0f);                  /* Luong */
  dot_case(2, 1.0f / sqrtf(3.0f));    /* two heads of 3, scaled */
  dot_case(3, 1.0f / sqrtf(2.0f));    /* three heads of 2 */
}
END_TEST

/* ------------------------------------------------------- masked softmax */
typedef struct { int B, heads, S; const int *len; float *e, *w, *r; } Soft;
static double soft_loss(void *c)
{
  Soft *x = c;
  be->masked_softmax(x->w, x->e, x->len, x->B, x->heads, x->S);
  return proj(x->r, x->w, (size_t) x->B * x->heads * x->S);
}
START_TEST(masked_softmax)
{
  rng_seed(13);
  enum { B = 3, NH = 2, S = 5 };
  static const int len[B] = {5, 2, 3};
  int rows = B * NH;
  Soft x = {B, NH, S, len, rand_array((size_t) rows * S, 2), rand_array((size_t) rows * S, 0),
    rand_array((size_t) rows * S, 1)};
  /* the padded scores are never read: NaN there must not show anywhere */
  for (int r = 0; r < rows; r++)
    for (int s = len[r / NH]; s < S; s++) x.e[r * S + s] = NAN;
  float *de = rand_array((size_t) rows * S, 0);
  soft_loss(&x);
  be->softmax_backward(de, x.r, x.w, rows, S);
  for (int r = 0; r < rows; r++) {
    double sum = 0;
    for (int s = 0; s < S; s++) {
      float w = x.w[r * S + s];
      if (s >= len[r / NH]) {
        ck_assert_msg(w == 0.0f, "row %d, padded position %d: weight %.9g, not exactly 0", r, s, w);
        ck_assert_msg(de[r * S + s] == 0.0f, "row %d, padded position %d: gradient %.9g, not "
          "exactly 0", r, s, de[r * S + s]);
      } else ck_assert_msg(w > 0.0f && isfinite(w), "row %d, position %d: weight %g", r, s, w);
      sum += w;
    }
    /* a sum of at most 5 float32 quotients: within a few units of 6e-8 of 1 */
    ck_assert_msg(fabs(sum - 1.0) < 1e-6, "row %d: the weights sum to %.9g", r, sum);
  }
  /* the gradient of the real positions; the padded ones do not move f at all */
  for (int r = 0; r < rows; r++) {
    int n = len[r / NH];
    float *g = malloc(sizeof(float) * n);
    memcpy(g, de + r * S, sizeof(float) * n);
    CHECK_GRAD("scores row", soft_loss, &x, x.e + r * S, g, (size_t) n);
    free(g);
    for (int s = n; s < S; s++) {
      double before = soft_loss(&x);
      x.e[r * S + s] = 1e30f;
      double after = soft_loss(&x);
      x.e[r * S + s] = NAN;
      ck_assert_msg(before == after, "row %d: a padded score changed the weights", r);
    }
  }
  /* large scores do not overflow (the maximum is subtracted first) */
  int one[1] = {3};
  float big[3] = {100.0f, 90.0f, 100.0f}, wb[3];
  be->masked_softmax(wb, big, one, 1, 1, 3);
  ck_assert_msg(isfinite(wb[0]) && fabsf(wb[0] - wb[2]) == 0.0f && fabs(wb[0] + wb[1] + wb[2] - 1.0) < 1e-6,
    "scores 100, 90, 100 give weights %g %g %g", wb[0], wb[1], wb[2]);
  free(x.e); free(x.w); free(x.r); free(de);
}
END_TEST

/* -------------------------------------------------------------- context */
typedef struct { int B, S, H, heads; float *w, *v, *c, *r; } Ctx;
static double ctx_loss(void *p)
{
  Ctx *x = p;
  be->context(x->c, x->w, x->v, x->B, x->S, x->H, x->heads);
  return proj(x->r, x->c, (size_t) x->B * x->H);
}
static void ctx_case(int heads)
{
  int B = 3, S = 4, H = 6;
  size_t nw = (size_t) B * heads * S, nv = (size_t) S * B * H;
  Ctx x = {B, S, H, heads, rand_array(nw, 1), rand_array(nv, 1), rand_array((size_t) B * H, 0),
    rand_array((size_t) B * H, 1)};
  float *dw = rand_array(nw, 0), *dv = rand_array(nv, 0);
  ctx_loss(&x);
  be->context_backward(dw, dv, x.r, x.w, x.v, B, S, H, heads);
  char name[32];
  snprintf(name, sizeof name, "weights/%dh", heads);
  CHECK_GRAD(name, ctx_loss, &x, x.w, dw, nw);
  snprintf(name, sizeof name, "values/%dh", heads);
  CHECK_GRAD(name, ctx_loss, &x, x.v, dv, nv);
  free(x.w); free(x.v); free(x.c); free(x.r); free(dw); free(dv);
}
START_TEST(context_one_head_and_several)
{
  rng_seed(14);
  ctx_case(1);
  ctx_case(2);
  ctx_case(3);
}
END_TEST

/* ----------------------------------------------------------------- tanh */
typedef struct { int n; float *x, *y, *r; } Tanh;
static double tanh_loss(void *c)
{
  Tanh *t = c;
  be->tanh_forward(t->y, t->x, t->n);
  return proj(t->r, t->y, (size_t) t->n);
}
START_TEST(tanh_combine)
{
  rng_seed(15);
  int n = 24;
  Tanh t = {n, rand_array(n, 2), rand_array(n, 0), rand_array(n, 1)};
  float *dx = rand_array(n, 0), *inplace = malloc(n * sizeof(float));
  tanh_loss(&t);
  be->tanh_backward(dx, t.r, t.y, n);
  CHECK_GRAD("input", tanh_loss, &t, t.x, dx, (size_t) n);
  /* the model runs it in place (h~ = tanh(h~)): the same bits */
  memcpy(inplace, t.x, n * sizeof(float));
  be->tanh_forward(inplace, inplace, n);
  tanh_loss(&t);
  ck_assert_msg(memcmp(inplace, t.y, n * sizeof(float)) == 0, "tanh in place differs");
  free(t.x); free(t.y); free(t.r); free(dx); free(inplace);
}
END_TEST

/* ------------------------------------------------------ mean loss
   The model gathers the rows of real target words before the loss, so the
   kernel sees no PAD target (the padding is tested by batch equivalence). */
enum { NLL_N = 5, NLL_V = 7 };
static const int nll_tgt[NLL_N] = {3, 1, 0, 6, 2};
typedef struct { float *x, *work, *row; float scale; } Nll;
static double nll_loss(void *c)
{
  Nll *l = c;
  memcpy(l->work, l->x, sizeof(float) * NLL_N * NLL_V);
  be->nll(l->work, l->row, nll_tgt, NLL_N, NLL_V, l->scale);
  double s = 0;
  for (int i = 0; i < NLL_N; i++) s += l->row[i];
  return s * l->scale;
}
START_TEST(masked_mean_loss)
{
  rng_seed(16);
  Nll l = {rand_array(NLL_N * NLL_V, 3), rand_array(NLL_N * NLL_V, 0), rand_array(NLL_N, 0),
    1.0f / 5.0f}; /* five target words */
  l.x[3 * NLL_V + 2] = 100.0f; /* a large logit does not overflow */
  double f = nll_loss(&l);
  float *g = malloc(sizeof(float) * NLL_N * NLL_V);
  memcpy(g, l.work, sizeof(float) * NLL_N * NLL_V);
  /* the loss against a double-precision log-sum-exp */
  double want = 0;
  for (int r = 0; r < NLL_N; r++) {
    double mx = -INFINITY, s = 0, rowsum = 0;
    for (int j = 0; j < NLL_V; j++) mx = fmax(mx, l.x[r * NLL_V + j]);
    for (int j = 0; j < NLL_V; j++) s += exp(l.x[r * NLL_V + j] - mx);
    double lr = mx + log(s) - l.x[r * NLL_V + nll_tgt[r]];
    ck_assert_msg(fabs(l.row[r] - lr) <= 1e-5 * (1 + fabs(lr)), "row %d: loss %.9g, want %.9g",
      r, l.row[r], lr);
    want += lr / 5.0;
    for (int j = 0; j < NLL_V; j++) rowsum += g[r * NLL_V + j];
    ck_assert_msg(fabs(rowsum) < 1e-6, "row %d: the gradient sums to %g, not 0", r, rowsum);
  }
  ck_assert_msg(fabs(f - want) <= 1e-5 * fabs(want), "mean loss %.9g, want %.9g", f, want);
  CHECK_GRAD("logits", nll_loss, &l, l.x, g, (size_t) NLL_N * NLL_V);
  free(l.x); free(l.work); free(l.row); free(g);
}
END_TEST

/* ------------------------------------------------ embedding with dropout */
typedef struct { int n, H; const int *ids; float p; uint64_t seed; float *E, *y, *r; } Emb;
static double emb_loss(void *c)
{
  Emb *e = c;
  be->embed(e->y, e->E, e->ids, e->n, e->H, e->p, e->seed);
  return proj(e->r, e->y, (size_t) e->n * e->H);
}
START_TEST(embedding_with_dropout)
{
  rng_seed(17);
  enum { V = 6, H = 4, N = 8 };
  static const int ids[N] = {1, 3, 1, 5, 0, 3, 1, 2}; /* repeated words gather */
  const float p = 0.3f;
  Emb e = {N, H, ids, p, 12345, rand_array(V * H, 1), rand_array(N * H, 0), rand_array(N * H, 1)};
  float *dE = rand_array(V * H, 0);
  emb_loss(&e);
  be->embed_backward(dE, e.r, ids, N, H, p, e.seed);
  CHECK_GRAD("table", emb_loss, &e, e.E, dE, (size_t) V * H);
  CHECK_ZERO("gradient of the unused row 4", dE + 4 * H, H);
  emb_loss(&e); /* the outputs of the unperturbed table again */
  /* a kept number is scaled by exactly 1/(1-p), a dropped one is exactly 0 */
  int dropped = 0;
  for (int r = 0; r < N; r++)
    for (int j = 0; j < H; j++) {
      float y = e.y[r * H + j], x = e.E[ids[r] * H + j];
      if (y == 0.0f) dropped++;
      else ck_assert_msg(y == x * (1.0f / (1.0f - p)), "kept element %d,%d: %.9g, want %.9g",
        r, j, y, x / (1.0f - p));
    }
  ck_assert_msg(dropped > 0 && dropped < N * H, "%d of %d numbers dropped", dropped, N * H);
  /* another seed, another mask; p = 0, no mask at all */
  float *y2 = malloc(sizeof(float) * N * H);
  be->embed(y2, e.E, ids, N, H, p, e.seed + 1);
  ck_assert_msg(memcmp(y2, e.y, sizeof(float) * N * H) != 0, "seeds 12345 and 12346 give one mask");
  be->embed(y2, e.E, ids, N, H, 0.0f, e.seed);
  for (int r = 0; r < N; r++)
    ck_assert_msg(memcmp(y2 + r * H, e.E + ids[r] * H, sizeof(float) * H) == 0, "p = 0 changed row %d", r);
  /* the share dropped: 0.3 within 0.03 (more than 6 standard deviations of 12000 draws) */
  int n = 3000, big = 0;
  int *many = calloc(n, sizeof(int));
  float *yb = malloc(sizeof(float) * n * H);
  be->embed(yb, e.E, many, n, H, p, 99);
  for (int i = 0; i < n * H; i++) big += yb[i] == 0.0f;
  ck_assert_msg(fabs(big / (double) (n * H) - p) < 0.03, "dropped %d of %d", big, n * H);
  free(e.E); free(e.y); free(e.r); free(dE); free(y2); free(many); free(yb);
}
END_TEST

/* ------------------------------------------- GRU step with lengths */
typedef struct {
  int B, H, s;
  const int *len;
  float *gi, *gh, *h, *hn, *out, *r1, *r2;
  GruCache *cache;
} Gru;
static double gru_loss(void *c)
{
  Gru *g = c;
  be->gru_forward(g->hn, g->cache, g->gi, g->gh, g->h, g->out, g->len, g->s, g->B, g->H);
  return proj(g->r1, g->hn, (size_t) g->B * g->H)
    + (g->out ? proj(g->r2, g->out, (size_t) g->B * g->H) : 0.0);
}
static void gru_case(const int *len, int with_out)
{
  enum { B = 4, H = 3 };
  size_t bh = B * H, g3 = 3 * bh;
  Gru g = {B, H, 2, len, rand_array(g3, 1.5f), rand_array(g3, 1.5f), rand_array(bh, 1),
    rand_array(bh, 0), with_out ? rand_array(bh, 0) : NULL, rand_array(bh, 1),
    with_out ? rand_array(bh, 1) : NULL, calloc(bh, sizeof(GruCache))};
  float *dgi = rand_array(g3, 0), *dgh = rand_array(g3, 0), *dh = rand_array(bh, 0);
  gru_loss(&g);
  be->gru_backward(dgi, dgh, dh, g.r1, g.r2, g.h, g.cache, len, g.s, B, H);
  const char *tag = len ? "/lengths" : "/decoder";
  char name[32];
  snprintf(name, sizeof name, "gi%s", tag);
  CHECK_GRAD(name, gru_loss, &g, g.gi, dgi, g3);
  snprintf(name, sizeof name, "gh%s", tag);
  CHECK_GRAD(name, gru_loss, &g, g.gh, dgh, g3);
  snprintf(name, sizeof name, "h%s", tag);
  CHECK_GRAD(name, gru_loss, &g, g.h, dh, bh);
  /* a sentence that has ended keeps its state, writes a zero output, passes
     the state's gradient through and has no gate gradients: exactly */
  gru_loss(&g);
  for (int b = 0; len && b < B; b++) {
    if (g.s < len[b]) continue;
    ck_assert_msg(memcmp(g.hn + b * H, g.h + b * H, H * sizeof(float)) == 0,
      "ended sentence %d: the state changed", b);
    if (with_out) CHECK_ZERO("output of an ended sentence", g.out + b * H, H);
    ck_assert_msg(memcmp(dh + b * H, g.r1 + b * H, H * sizeof(float)) == 0,
      "ended sentence %d: the state's gradient is not passed through unchanged", b);
    CHECK_ZERO("gate gradients (input side) of an ended sentence", dgi + b * 3 * H, 3 * H);
    CHECK_ZERO("gate gradients (hidden side) of an ended sentence", dgh + b * 3 * H, 3 * H);
  }
  free(g.gi); free(g.gh); free(g.h); free(g.hn); free(g.out); free(g.r1); free(g.r2); free(g.cache);
  free(dgi); free(dgh); free(dh);
}
START_TEST(gru_step_with_lengths)
{
  rng_seed(18);
  static const int len[4] = {5, 2, 3, 1}; /* at position 2, sentences 1 and 3 have ended */
  gru_case(len, 1);  /* the encoder: lengths and an output */
  gru_case(NULL, 0); /* the decoder: every sentence runs, no output */
}
END_TEST

/* The checker itself: one wrong element among 60 is caught. */
START_TEST(checker_catches_a_wrong_gradient)
{
  rng_seed(19);
  int B = 3, S = 4, H = 5;
  size_t BS = (size_t) B * S;
  Add x = {B, S, H, rand_array((size_t) B * H, 1), rand_array(BS * H, 1), rand_array(H, 1),
    rand_array(BS, 0), rand_array(BS * H, 0), rand_array(BS, 1)};
  float *dwq = rand_array((size_t) B * H, 0), *duk = rand_array(BS * H, 0), *dva = rand_array(H, 0);
  add_loss(&x);
  be->additive_backward(dwq, duk, dva, x.r, x.a, x.va, B, S, H);
  duk[17] = -duk[17] + 0.05f; /* a sign error in one element */
  GradReport r = grad_check(add_loss, &x, x.uk, duk, BS * H);
  printf("  %-30s %-12s relative error %.2e (one element wrong)\n", __func__, "keys Uk", r.rel);
  ck_assert_msg(r.rel > GRAD_TOL, "a wrong element went unnoticed (relative error %g)", r.rel);
  ck_assert_uint_eq(r.worst, 17);
  free(x.wq); free(x.uk); free(x.va); free(x.e); free(x.a); free(x.r);
  free(dwq); free(duk); free(dva);
}
END_TEST

/* ====================================================== whole batches */
enum { V_IN = 9, V_OUT = 10, TH = 8, TL = 7, NEX = 4 };
static Example ex[NEX];

/* Four pairs of different lengths (with <EOS>), padded in one batch: the
   longest source does not go with the longest target. */
static void make_examples_by_hand(void)
{
  static const int src[NEX][TL] = {{4, 5, 6, EOS_TOKEN}, {7, EOS_TOKEN},
    {8, 4, 5, 6, 7, EOS_TOKEN}, {5, 5, EOS_TOKEN}};
  static const int srcn[NEX] = {4, 2, 6, 3};
  static const int tgt[NEX][TL] = {{4, 5, EOS_TOKEN}, {6, 7, 8, 9, 4, EOS_TOKEN},
    {EOS_TOKEN}, {9, 8, EOS_TOKEN}};
  static const int tgtn[NEX] = {3, 6, 1, 3};
  memset(ex, 0, sizeof ex);
  for (int k = 0; k < NEX; k++) {
    memcpy(ex[k].src, src[k], sizeof src[k]);
    memcpy(ex[k].tgt, tgt[k], sizeof tgt[k]);
    ex[k].src_len = srcn[k];
    ex[k].tgt_len = tgtn[k];
  }
}

static void words(Vocab *v, int n, char c)
{
  char w[16];
  vocab_init(v);
  vocab_add(v, "<PAD>");
  vocab_add(v, "<UNK>");
  for (int k = 4; k < n; k++) {
    snprintf(w, sizeof w, "%c%d", c, k);
    vocab_add(v, w);
  }
}

static void make_bmodel(BModel *bm, int kind, int heads, int V_in, int V_out, int H, int B,
  uint64_t seed)
{
  Vocab vin, vout;
  words(&vin, V_in, 's');
  words(&vout, V_out, 't');
  Config cfg = {V_in, V_out, H, TL};
  bmodel_alloc(bm, &cpu_backend, kind, heads, &cfg, &vin, &vout, B);
  bmodel_init_random(bm, seed);
}

static void tiny_bmodel(BModel *bm, int kind, uint64_t seed)
{
  make_bmodel(bm, kind, 2, V_IN, V_OUT, TH, NEX, seed);
  /* bigger attention parameters make the scores, and so their gradients, matter */
  for (size_t i = bm->off[P_DEC_EMB + 1]; i < bm->off[P_DEC_W_IH]; i++) bm->p[i] *= 3.0f;
}

/* The mean loss of examples [from, from+n) in one batch, and its gradient in bm->g. */
static double loss_and_grad(BModel *bm, int from, int n)
{
  Batch bt;
  batch_upload(bm, ex + from, NULL, n, &bt);
  memset(bm->g, 0, bm->n_params * sizeof(float));
  bmodel_take_loss(bm);
  bmodel_forward(bm, &bt, 0.0f);
  double sum = bmodel_take_loss(bm);
  bmodel_backward(bm, &bt);
  return sum / bt.tokens;
}

/* The loss of the whole batch, without the backward pass. */
static double batch_loss(void *ctx)
{
  BModel *bm = ctx;
  Batch bt;
  batch_upload(bm, ex, NULL, NEX, &bt);
  bmodel_take_loss(bm);
  bmodel_forward(bm, &bt, 0.0f);
  return bmodel_take_loss(bm) / bt.tokens;
}

/* Every gradient of a whole masked batch of each kind against central
   differences of the float32 loss, element by element (the double build,
   test_batched_double.c, does the same to 1e-6). The loss, a mean of 13 words'
   losses of size ~2 through some hundred float32 operations each, carries a
   rounding error of a few 1e-7; divided by 2 EPS that puts a noise floor of
   about 2.5e-5 under every difference quotient, whatever the element, and
   that is what is measured (the largest |analytic - numeric| of every tensor
   lies between 1.3e-5 and 3e-5). So the test is per element,
   |analytic - numeric| <= BATCH_ATOL + BATCH_RTOL |numeric|, with
   BATCH_ATOL = 1e-4 (four times the floor) and BATCH_RTOL = 1e-2 (the
   truncation error, EPS^2 f'''/6, is far below it). A wrong term changes an
   element by about its own size, 1e-3 to 1e-1 for most elements here. */
#define BATCH_ATOL 1e-4
#define BATCH_RTOL 1e-2
START_TEST(gradients_of_a_masked_batch)
{
  int kind = KIND_BAHDANAU + _i;
  BModel bm;
  make_examples_by_hand();
  tiny_bmodel(&bm, kind, 7 + (uint64_t) kind);
  loss_and_grad(&bm, 0, NEX);
  float *g = malloc(bm.n_params * sizeof(float));
  memcpy(g, bm.g, bm.n_params * sizeof(float));
  double worst = 0, worst_fd = 0;
  size_t worst_i = 0;
  for (size_t i = 0; i < bm.n_params; i++) {
    float x = bm.p[i];
    bm.p[i] = x + EPS;
    double lp = batch_loss(&bm);
    bm.p[i] = x - EPS;
    double lm = batch_loss(&bm);
    bm.p[i] = x;
    double fd = (lp - lm) / (2.0 * (double) EPS);
    double err = fabs(fd - g[i]) / (BATCH_ATOL + BATCH_RTOL * fabs(fd));
    if (err > worst) worst = err, worst_i = i, worst_fd = fd;
  }
  int k = 0;
  while (k + 1 < NP_TENSORS && bm.off[k + 1] <= worst_i) k++;
  printf("  whole batch %-14s worst element at %.2f of the tolerance (%s)\n", kind_names[kind],
    worst, bm.spec[k].name);
  ck_assert_msg(worst <= 1.0, "%s: gradient of %s[%zu]: analytic %.6g, differences %.6g "
    "(%.3g times the tolerance)", kind_names[kind], bm.spec[k].name, worst_i - bm.off[k],
    g[worst_i], worst_fd, worst);
  free(g);
  bmodel_free(&bm);
}
END_TEST

/* Bahdanau's Va.bias and multi-head attention's key bias (the middle third of
   in_proj_bias) shift every score of a row alike; the softmax cannot see
   that. Their gradient is exactly 0 after a backward pass of a whole batch,
   and Adam leaves them where they are, bit for bit, while everything else
   moves. They start at a value other than 0 here, so that "not moved" means
   something. */
START_TEST(zero_gradient_biases)
{
  int kind = _i ? KIND_MULTIHEAD : KIND_BAHDANAU;
  int k = kind == KIND_BAHDANAU ? P_VA_B : P_INPROJ_B;
  size_t from = kind == KIND_BAHDANAU ? 0 : TH, n = kind == KIND_BAHDANAU ? 1 : TH;
  BModel bm;
  make_examples_by_hand();
  tiny_bmodel(&bm, kind, 21);
  float *bias = bm.p + bm.off[k];
  for (size_t i = 0; i < spec_numel(&bm.spec[k]); i++) bias[i] = 0.25f + 0.01f * (float) i;
  loss_and_grad(&bm, 0, NEX);
  CHECK_ZERO(kind == KIND_BAHDANAU ? "gradient of Va.bias" : "gradient of the key bias",
    bm.g + bm.off[k] + from, n);
  /* not vacuous: the neighbouring biases do get a gradient */
  const float *other = kind == KIND_BAHDANAU ? bm.g + bm.off[P_WA_B] : bm.g + bm.off[P_INPROJ_B];
  double s = 0;
  for (int i = 0; i < TH; i++) s += fabs(other[i]) + (kind == KIND_MULTIHEAD ? fabs(other[2 * TH + i]) : 0);
  ck_assert_msg(s > 1e-4, "%s: the other biases have no gradient either (%g)", kind_names[kind], s);
  float *before = malloc(bm.n_params * sizeof(float));
  memcpy(before, bm.p, bm.n_params * sizeof(float));
  Batch bt;
  bm.dropout = 0.1f;
  for (int step = 0; step < 3; step++) {
    batch_upload(&bm, ex, NULL, NEX, &bt);
    bmodel_train_batch(&bm, &bt, 0.01);
  }
  ck_assert_msg(memcmp(before + bm.off[k] + from, bm.p + bm.off[k] + from, n * sizeof(float)) == 0,
    "%s: Adam moved the bias that no loss can see", kind_names[kind]);
  size_t moved = 0;
  for (size_t i = 0; i < bm.n_params; i++) moved += before[i] != bm.p[i];
  ck_assert_msg(moved > bm.n_params / 2, "only %zu of %zu parameters moved", moved, bm.n_params);
  free(before);
  bmodel_free(&bm);
}
END_TEST

/* A padded batch gives the loss and gradients of the same sentences one at a
   time, weighted by their token counts: nothing of the padding leaks.

   The tolerance: the two sides sum the same terms in different orders and
   groupings (a weight gradient is one product over all the batch's rows, or
   four products over one sentence's rows, added with weights), so they agree
   to float32 rounding, not bit for bit. Each side carries a relative error of
   a few 1e-7 per operation through some 10 steps of a recurrence; measured,
   the loss agrees to about 1e-7 and the gradients to 1e-6 or better of the
   largest gradient of their tensor. The limits are 2e-6 for the loss and, per
   element, 1e-5 of the tensor's largest gradient plus 1e-4 of the element:
   ten to a hundred times what rounding gives, and a hundred times smaller
   than what a leak does (a pad read as a word, an unmasked position, a final
   state taken after the pads change the gradients by 1e-3 to 1e-1). */
START_TEST(batch_equals_sentences_one_at_a_time)
{
  int kind = KIND_BAHDANAU + _i;
  BModel bm;
  make_examples_by_hand();
  tiny_bmodel(&bm, kind, 11);
  double all = loss_and_grad(&bm, 0, NEX);
  float *g = malloc(bm.n_params * sizeof(float));
  double *acc = calloc(bm.n_params, sizeof(double));
  memcpy(g, bm.g, bm.n_params * sizeof(float));
  int tokens = 0;
  for (int k = 0; k < NEX; k++) tokens += ex[k].tgt_len;
  double sum = 0;
  for (int k = 0; k < NEX; k++) {
    double w = (double) ex[k].tgt_len / tokens;
    sum += w * loss_and_grad(&bm, k, 1);
    for (size_t i = 0; i < bm.n_params; i++) acc[i] += w * bm.g[i];
  }
  double lrel = fabs(sum - all) / fabs(all), worst = 0;
  ck_assert_msg(lrel <= 2e-6, "%s: batch loss %.9g, one at a time %.9g (relative %.2g)",
    kind_names[kind], all, sum, lrel);
  for (int k = 0; k < NP_TENSORS; k++) {
    if (!bm.spec[k].rows) continue;
    size_t n = spec_numel(&bm.spec[k]), o = bm.off[k];
    double mx = 0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(g[o + i]));
    for (size_t i = 0; i < n; i++) {
      double d = fabs(acc[o + i] - g[o + i]);
      if (mx > 0) worst = fmax(worst, d / mx);
      ck_assert_msg(d <= 1e-5 * mx + 1e-4 * fabs(g[o + i]),
        "%s: %s[%zu]: batch %.9g, one at a time %.9g (largest of the tensor %.3g)",
        kind_names[kind], bm.spec[k].name, i, g[o + i], acc[o + i], mx);
    }
  }
  printf("  batch equivalence %-14s loss relative %.1e, gradients %.1e of their tensor's largest\n",
    kind_names[kind], lrel, worst);
  free(g);
  free(acc);
  bmodel_free(&bm);
}
END_TEST

/* ======================================================== determinism */
/* A model big enough that the kit cuts its products in two (it does from
   m*n*k = 2^20), with a vocabulary larger than OpenBLAS's block of the inner
   dimension (the product of the logits' gradient with the output layer sums
   over 400 words), random pairs of lengths 1 to 6 words, a
   few batches with dropout. */
enum { DV = 400, DH = 64, DB = 32, DN = 96 };
static Example dex[DN];
static void random_examples(void)
{
  rng_seed(31);
  memset(dex, 0, sizeof dex);
  for (int k = 0; k < DN; k++) {
    int n = 1 + (int) ((frand() + 1) * 4.5f), m = 1 + (int) ((frand() + 1) * 4.5f);
    if (n > TL - 1) n = TL - 1;
    if (m > TL - 1) m = TL - 1;
    for (int i = 0; i < n; i++) dex[k].src[i] = 4 + (int) ((frand() + 1) * 0.5f * (DV - 5));
    for (int i = 0; i < m; i++) dex[k].tgt[i] = 4 + (int) ((frand() + 1) * 0.5f * (DV - 5));
    dex[k].src[n] = dex[k].tgt[m] = EOS_TOKEN;
    dex[k].src_len = n + 1;
    dex[k].tgt_len = m + 1;
  }
}

/* Train kind for DN/DB batches from seed with the given thread count; return
   the parameters and Adam's moments, concatenated (the caller frees them). */
static float *train_run(int kind, uint64_t seed, int threads, size_t *n)
{
  BModel bm;
  cpu_set_threads(threads);
  make_bmodel(&bm, kind, 4, DV, DV, DH, DB, seed);
  bm.dropout = 0.1f;
  bm.seed = seed;
  for (int k = 0; k < DN; k += DB) {
    Batch bt;
    batch_upload(&bm, dex, NULL, DB, &bt);
    bmodel_train_batch(&bm, &bt, 0.001);
  }
  *n = 3 * bm.n_params;
  float *out = malloc(*n * sizeof(float));
  memcpy(out, bm.p, bm.n_params * sizeof(float));
  memcpy(out + bm.n_params, bm.m, bm.n_params * sizeof(float));
  memcpy(out + 2 * bm.n_params, bm.v, bm.n_params * sizeof(float));
  bmodel_free(&bm);
  return out;
}

static size_t first_difference(const float *a, const float *b, size_t n)
{
  for (size_t i = 0; i < n; i++) if (memcmp(a + i, b + i, sizeof(float))) return i;
  return n;
}

START_TEST(same_seed_same_bits)
{
  int kind = KIND_BAHDANAU + _i;
  size_t n1, n2, n3;
  random_examples();
  float *a = train_run(kind, 5, 1, &n1), *b = train_run(kind, 5, 1, &n2),
    *c = train_run(kind, 6, 1, &n3);
  ck_assert_uint_eq(n1, n2);
  size_t d = first_difference(a, b, n1);
  ck_assert_msg(d == n1, "%s: two runs from seed 5 differ at number %zu of %zu: %.9g and %.9g",
    kind_names[kind], d, n1, d < n1 ? a[d] : 0.0, d < n1 ? b[d] : 0.0);
  ck_assert_msg(first_difference(a, c, n1) < n1, "%s: seeds 5 and 6 give the same model",
    kind_names[kind]);
  free(a); free(b); free(c);
}
END_TEST

/* One thread or two: the kit cuts a large product into two pieces at places
   that do not depend on the number of threads and runs OpenBLAS on one
   thread for each piece, so the bits are the same. (OpenBLAS's own threads
   would not do: on its Haswell kernels, which it picks on AMD EPYC, a piece
   of a product gets other bits than the same numbers inside the whole, and
   its threaded driver cuts by the number of threads.) The shapes below are
   those of the model with hidden 128 on the corpus: K = 3H = 384 (the GRU's
   gradients), K = V = 2000 (the logits' gradient through the output layer),
   K = TB = 640 (weight gradients of a batch of 64), K = 100000 (a bias
   gradient, a row of ones times many rows). Then whole runs of every kind. */
START_TEST(one_thread_or_two_same_bits)
{
  cpu_set_threads(2);
  int got = openblas_get_num_threads();
  printf("  OpenBLAS %s: %d thread when the kit runs 2\n", openblas_get_config(), got);
  ck_assert_msg(got == 1, "OpenBLAS runs %d threads: the kit's pieces must run on one", got);
  { /* why the kit cuts products itself: does a piece of a product get other bits here? */
    int M = 320, N = 200, K = 64, differ = 0;
    rng_seed(40);
    float *A = rand_array((size_t) M * K, 1), *B = rand_array((size_t) K * N, 1);
    float *C = calloc((size_t) M * N, sizeof(float)), *P = calloc((size_t) M * N, sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, A, K, B, N, 0, C, N);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M / 2, N, K, 1, A, K, B, N, 0, P, N);
    for (int i = 0; i < M / 2 * N; i++) differ += memcmp(C + i, P + i, sizeof(float)) != 0;
    printf("  OpenBLAS: the first %d rows of a %dx%dx%d product, computed alone: %d of %d "
      "numbers differ in their bits\n", M / 2, M, N, K, differ, M / 2 * N);
    free(A); free(B); free(C); free(P);
  }
  static const int shape[][5] = { /* ta, tb, M, N, K */
    {0, 1, 320, 200, 64}, {1, 0, 200, 64, 320}, {0, 0, 1, 200, 4096}, {1, 0, 192, 64, 2048},
    {0, 1, 32, 192, 64}, {0, 0, 320, 64, 192}, {0, 0, 1, 64, 100000},
    {0, 0, 32, 128, 384}, {0, 0, 320, 128, 384}, {0, 0, 320, 128, 2000},
    {1, 0, 384, 128, 640}, {0, 1, 320, 2000, 128}};
  rng_seed(41);
  for (size_t s = 0; s < sizeof shape / sizeof shape[0]; s++) {
    int ta = shape[s][0], tb = shape[s][1], M = shape[s][2], N = shape[s][3], K = shape[s][4];
    float *A = rand_array((size_t) M * K, 1), *B = rand_array((size_t) K * N, 1);
    float *C1 = rand_array((size_t) M * N, 1), *C2 = malloc((size_t) M * N * sizeof(float));
    memcpy(C2, C1, (size_t) M * N * sizeof(float));
    int lda = ta ? M : K, ldb = tb ? K : N;
    cpu_set_threads(1);
    be->gemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, C1, N);
    cpu_set_threads(2);
    be->gemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, C2, N);
    size_t d = first_difference(C1, C2, (size_t) M * N);
    ck_assert_msg(d == (size_t) M * N, "gemm %s%s %dx%dx%d: 1 and 2 threads differ at %zu: "
      "%.9g and %.9g", ta ? "T" : "N", tb ? "T" : "N", M, N, K, d, C1[d], C2[d]);
    free(A); free(B); free(C1); free(C2);
  }
  random_examples();
  for (int kind = KIND_BAHDANAU; kind < N_KINDS; kind++) {
    size_t n1, n2;
    float *a = train_run(kind, 7, 1, &n1), *b = train_run(kind, 7, 2, &n2);
    size_t d = first_difference(a, b, n1);
    ck_assert_msg(d == n1, "%s: 1 and 2 threads differ at number %zu of %zu: %.9g and %.9g",
      kind_names[kind], d, n1, d < n1 ? a[d] : 0.0, d < n1 ? b[d] : 0.0);
    free(a);
    free(b);
  }
  cpu_set_threads(1);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("batched model, float32");
  TCase *k = tcase_create("kernels");
  tcase_add_test(k, additive_score);
  tcase_add_test(k, dot_scores_one_head_and_several);
  tcase_add_test(k, masked_softmax);
  tcase_add_test(k, context_one_head_and_several);
  tcase_add_test(k, tanh_combine);
  tcase_add_test(k, masked_mean_loss);
  tcase_add_test(k, embedding_with_dropout);
  tcase_add_test(k, gru_step_with_lengths);
  tcase_add_test(k, checker_catches_a_wrong_gradient);
  suite_add_tcase(s, k);
  TCase *b = tcase_create("batches");
  tcase_set_timeout(b, 60);
  tcase_add_loop_test(b, gradients_of_a_masked_batch, 0, N_KINDS - 1);
  tcase_add_loop_test(b, zero_gradient_biases, 0, 2);
  tcase_add_loop_test(b, batch_equals_sentences_one_at_a_time, 0, N_KINDS - 1);
  tcase_add_loop_test(b, same_seed_same_bits, 0, N_KINDS - 1);
  tcase_add_test(b, one_thread_or_two_same_bits);
  suite_add_tcase(s, b);
  return s;
}

int main(void)
{
  setvbuf(stdout, NULL, _IOLBF, 0);
  return run_suite(suite());
}

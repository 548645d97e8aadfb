/* Gradient checks of every backward pass against central finite differences,
   Adam against values worked out by hand, and greedy decoding's stopping rule.

   A layer's output y gets a fixed random projection r, the test loss is
   L = sum_i r_i y_i (accumulated in double), so dL/dy = r is what the backward
   function receives. Each input and parameter element is moved by +-EPS and
   the central difference (L+ - L-)/(2 EPS) is compared with the analytic
   gradient. The measure is the relative error of the whole gradient,
   ||analytic - numeric|| / max(||analytic||, ||numeric||).

   Why GRAD_TOL = 2e-3: the layers compute in float32. With EPS = 1e-2 the
   truncation error of the central difference is about EPS^2 |f'''| / 6 ~ 2e-5
   of the gradient, and the rounding error of L (a sum of a few dozen float32
   products of size ~1, relative error ~6e-8 each) divided by 2 EPS is about
   1e-5 to 1e-4 of a gradient of size ~1. The measured errors are printed; they
   are around 1e-5 to 2e-4. A wrong backward pass (a missing term, a wrong
   sign, a wrong index) gives errors of order 1e-1 to 1, and
   checker_catches_a_wrong_gradient shows that an error in a single element of
   a 20-element gradient is caught. */
#include <unistd.h>
#include "testutil.h"

#define EPS 1e-2f
#define GRAD_TOL 2e-3

#include "gradcheck.h"


/* ---------------------------------------------------------------- linear */
typedef struct { int B, C, OC; float *x, *W, *b, *y, *r; } Lin;
static double lin_loss(void *c)
{
  Lin *l = c;
  linear_forward(l->y, l->x, l->W, l->b, l->B, l->C, l->OC);
  return proj(l->r, l->y, (size_t) l->B * l->OC);
}
static void lin_case(int B, int C, int OC)
{
  Lin l = {B, C, OC, rand_array((size_t) B * C, 1), rand_array((size_t) OC * C, 0.5f),
    rand_array(OC, 0.5f), rand_array((size_t) B * OC, 0), rand_array((size_t) B * OC, 1)};
  float *dx = rand_array((size_t) B * C, 0), *dW = rand_array((size_t) OC * C, 0),
    *db = rand_array(OC, 0);
  lin_loss(&l);
  linear_backward(dx, dW, db, l.r, l.x, l.W, B, C, OC);
  CHECK_GRAD("input", lin_loss, &l, l.x, dx, (size_t) B * C);
  CHECK_GRAD("weight", lin_loss, &l, l.W, dW, (size_t) OC * C);
  CHECK_GRAD("bias", lin_loss, &l, l.b, db, (size_t) OC);
  free(l.x); free(l.W); free(l.b); free(l.y); free(l.r); free(dx); free(dW); free(db);
}
START_TEST(linear_layer)
{
  rng_seed(1);
  lin_case(3, 5, 4);
  lin_case(2, 70, 3);   /* one block of 64 columns and a tail */
  lin_case(4, 130, 6);  /* two blocks and a tail */
}
END_TEST

/* The backward functions add to what is there (+=), so that a quantity used
   twice collects both gradients. */
START_TEST(linear_backward_accumulates)
{
  rng_seed(2);
  int B = 2, C = 67, OC = 3;
  float *x = rand_array((size_t) B * C, 1), *W = rand_array((size_t) OC * C, 1),
    *dy = rand_array((size_t) B * OC, 1);
  float *dx1 = rand_array((size_t) B * C, 0), *dW1 = rand_array((size_t) OC * C, 0),
    *db1 = rand_array(OC, 0);
  linear_backward(dx1, dW1, db1, dy, x, W, B, C, OC);
  float *dx2 = rand_array((size_t) B * C, 1), *dW2 = rand_array((size_t) OC * C, 1),
    *db2 = rand_array(OC, 1);
  float *dx0 = malloc(sizeof(float) * B * C), *dW0 = malloc(sizeof(float) * OC * C),
    *db0 = malloc(sizeof(float) * OC);
  memcpy(dx0, dx2, sizeof(float) * B * C);
  memcpy(dW0, dW2, sizeof(float) * OC * C);
  memcpy(db0, db2, sizeof(float) * OC);
  linear_backward(dx2, dW2, db2, dy, x, W, B, C, OC);
  for (int i = 0; i < B * C; i++) dx0[i] += dx1[i];
  for (int i = 0; i < OC * C; i++) dW0[i] += dW1[i];
  for (int i = 0; i < OC; i++) db0[i] += db1[i];
  ck_assert_floats_close(dx2, dx0, (size_t) B * C, 1e-6, 1e-5);
  ck_assert_floats_close(dW2, dW0, (size_t) OC * C, 1e-6, 1e-5);
  ck_assert_floats_close(db2, db0, (size_t) OC, 1e-6, 1e-5);
  free(x); free(W); free(dy); free(dx1); free(dW1); free(db1); free(dx2); free(dW2);
  free(db2); free(dx0); free(dW0); free(db0);
}
END_TEST

/* ------------------------------------------------------------- embedding */
typedef struct { int V, H, B; int *ids; float *E, *y, *r; } Emb;
static double emb_loss(void *c)
{
  Emb *e = c;
  embedding_forward(e->y, e->E, e->ids, e->B, e->H);
  return proj(e->r, e->y, (size_t) e->B * e->H);
}
START_TEST(embedding_layer)
{
  rng_seed(3);
  int ids[4] = {2, 4, 2, 0}; /* word 2 twice: its row collects both gradients */
  Emb e = {5, 3, 4, ids, rand_array(15, 1), rand_array(12, 0), rand_array(12, 1)};
  float *dE = rand_array(15, 0);
  embedding_backward(dE, e.r, ids, 4, 3);
  CHECK_GRAD("table", emb_loss, &e, e.E, dE, 15);
  for (int j = 0; j < 3; j++) ck_assert_float_eq(dE[3 + j], 0.0f); /* row 1 unused */
  free(e.E); free(e.y); free(e.r); free(dE);
}
END_TEST

/* -------------------------------------------------------------- GRU step */
typedef struct {
  int B, C, H;
  float *x, *h, *Wi, *Wh, *bi, *bh, *gi, *gh, *hn, *r;
  GruCache *cache;
} Gru;
static double gru_loss(void *c)
{
  Gru *g = c;
  linear_forward(g->gi, g->x, g->Wi, g->bi, g->B, g->C, 3 * g->H);
  linear_forward(g->gh, g->h, g->Wh, g->bh, g->B, g->H, 3 * g->H);
  gru_cell_forward(g->hn, g->cache, g->gi, g->gh, g->h, g->B, g->H);
  return proj(g->r, g->hn, (size_t) g->B * g->H);
}
START_TEST(gru_step)
{
  rng_seed(4);
  int B = 2, C = 4, H = 5;
  Gru g = {B, C, H, rand_array((size_t) B * C, 1), rand_array((size_t) B * H, 1),
    rand_array((size_t) 3 * H * C, 0.7f), rand_array((size_t) 3 * H * H, 0.7f),
    rand_array(3 * H, 0.5f), rand_array(3 * H, 0.5f), rand_array((size_t) B * 3 * H, 0),
    rand_array((size_t) B * 3 * H, 0), rand_array((size_t) B * H, 0),
    rand_array((size_t) B * H, 1), calloc((size_t) B * H, sizeof(GruCache))};
  float *dgi = rand_array((size_t) B * 3 * H, 0), *dgh = rand_array((size_t) B * 3 * H, 0);
  float *dx = rand_array((size_t) B * C, 0), *dh = rand_array((size_t) B * H, 0);
  float *dWi = rand_array((size_t) 3 * H * C, 0), *dWh = rand_array((size_t) 3 * H * H, 0);
  float *dbi = rand_array(3 * H, 0), *dbh = rand_array(3 * H, 0);
  gru_loss(&g);
  gru_cell_backward(dgi, dgh, dh, g.r, g.h, g.cache, B, H);
  linear_backward(dx, dWi, dbi, dgi, g.x, g.Wi, B, C, 3 * H);
  linear_backward(dh, dWh, dbh, dgh, g.h, g.Wh, B, H, 3 * H);
  CHECK_GRAD("input x", gru_loss, &g, g.x, dx, (size_t) B * C);
  CHECK_GRAD("state h", gru_loss, &g, g.h, dh, (size_t) B * H);
  CHECK_GRAD("W_ih", gru_loss, &g, g.Wi, dWi, (size_t) 3 * H * C);
  CHECK_GRAD("W_hh", gru_loss, &g, g.Wh, dWh, (size_t) 3 * H * H);
  CHECK_GRAD("b_ih", gru_loss, &g, g.bi, dbi, (size_t) 3 * H);
  CHECK_GRAD("b_hh", gru_loss, &g, g.bh, dbh, (size_t) 3 * H);
  free(g.x); free(g.h); free(g.Wi); free(g.Wh); free(g.bi); free(g.bh); free(g.gi);
  free(g.gh); free(g.hn); free(g.r); free(g.cache); free(dgi); free(dgh); free(dx);
  free(dh); free(dWi); free(dWh); free(dbi); free(dbh);
}
END_TEST

/* The forward step matches torch.nn.GRU's equations, computed here in double
   straight from the formulas (r applied after the hidden product, b_hn inside). */
START_TEST(gru_forward_equations)
{
  rng_seed(5);
  int H = 3;
  float *gi = rand_array(3 * H, 2), *gh = rand_array(3 * H, 2), *h = rand_array(H, 1);
  float hn[3];
  GruCache c[3];
  gru_cell_forward(hn, c, gi, gh, h, 1, H);
  for (int j = 0; j < H; j++) {
    double r = 1 / (1 + exp(-((double) gi[j] + gh[j])));
    double z = 1 / (1 + exp(-((double) gi[H + j] + gh[H + j])));
    double n = tanh((double) gi[2 * H + j] + r * gh[2 * H + j]);
    double want = (1 - z) * n + z * h[j];
    ck_assert_msg(fabs(hn[j] - want) < 1e-6, "unit %d: expected %.8f, got %.8f", j, want, hn[j]);
  }
  free(gi); free(gh); free(h);
}
END_TEST

/* ------------------------------------------------- attention and softmax */
typedef struct { int B, L, H; float *s, *O, *w, *c, *r; } Att;
static double att_loss(void *p)
{
  Att *a = p;
  attention_forward(a->w, a->c, a->s, a->O, a->B, a->L, a->H);
  return proj(a->r, a->c, (size_t) a->B * a->H);
}
START_TEST(attention_weights_and_context)
{
  rng_seed(6);
  int B = 2, L = 5, H = 3;
  Att a = {B, L, H, rand_array((size_t) B * L, 2), rand_array((size_t) B * L * H, 1),
    rand_array((size_t) B * L, 0), rand_array((size_t) B * H, 0), rand_array((size_t) B * H, 1)};
  /* the notebook's padding: the last two slots of row 0 are zero */
  memset(a.O + 3 * H, 0, 2 * H * sizeof(float));
  float *ds = rand_array((size_t) B * L, 0), *dO = rand_array((size_t) B * L * H, 0);
  att_loss(&a);
  attention_backward(ds, dO, a.r, a.w, a.O, B, L, H);
  CHECK_GRAD("scores", att_loss, &a, a.s, ds, (size_t) B * L);
  CHECK_GRAD("enc_out", att_loss, &a, a.O, dO, (size_t) B * L * H);
  for (int b = 0; b < B; b++) {
    double sum = 0;
    for (int i = 0; i < L; i++) sum += a.w[b * L + i];
    ck_assert_msg(fabs(sum - 1) < 1e-6, "weights of row %d sum to %.8f", b, sum);
  }
  free(a.s); free(a.O); free(a.w); free(a.c); free(a.r); free(ds); free(dO);
}
END_TEST

/* The seed attention: scores from [e; h] through Linear(2H -> L), then softmax
   and context. */
typedef struct { int H, L; float *eh, *Wa, *ba, *s, *O, *w, *c, *r; } Seed;
static double seed_loss(void *p)
{
  Seed *a = p;
  linear_forward(a->s, a->eh, a->Wa, a->ba, 1, 2 * a->H, a->L);
  attention_forward(a->w, a->c, a->s, a->O, 1, a->L, a->H);
  return proj(a->r, a->c, (size_t) a->H);
}
START_TEST(seed_attention_scores)
{
  rng_seed(7);
  int H = 4, L = 6;
  Seed a = {H, L, rand_array(2 * H, 1), rand_array((size_t) L * 2 * H, 0.7f), rand_array(L, 0.5f),
    rand_array(L, 0), rand_array((size_t) L * H, 1), rand_array(L, 0), rand_array(H, 0),
    rand_array(H, 1)};
  float *ds = rand_array(L, 0), *dO = rand_array((size_t) L * H, 0), *deh = rand_array(2 * H, 0);
  float *dWa = rand_array((size_t) L * 2 * H, 0), *dba = rand_array(L, 0);
  seed_loss(&a);
  attention_backward(ds, dO, a.r, a.w, a.O, 1, L, H);
  linear_backward(deh, dWa, dba, ds, a.eh, a.Wa, 1, 2 * H, L);
  CHECK_GRAD("[e;h]", seed_loss, &a, a.eh, deh, (size_t) 2 * H);
  CHECK_GRAD("W_attn", seed_loss, &a, a.Wa, dWa, (size_t) L * 2 * H);
  CHECK_GRAD("b_attn", seed_loss, &a, a.ba, dba, (size_t) L);
  CHECK_GRAD("enc_out", seed_loss, &a, a.O, dO, (size_t) L * H);
  free(a.eh); free(a.Wa); free(a.ba); free(a.s); free(a.O); free(a.w); free(a.c); free(a.r);
  free(ds); free(dO); free(deh); free(dWa); free(dba);
}
END_TEST

/* A softmax of huge scores neither overflows nor loses its shape. */
START_TEST(softmax_is_stable)
{
  float s[4] = {1000.0f, 1001.0f, -1000.0f, 999.0f}, p[4], lp[4];
  softmax_forward(p, s, 1, 4);
  log_softmax_forward(lp, s, 1, 4);
  double m = 1001, z = exp(1000 - m) + exp(1001 - m) + exp(-1000 - m) + exp(999 - m);
  for (int i = 0; i < 4; i++) {
    double want = exp(s[i] - m) / z, lwant = (s[i] - m) - log(z);
    ck_assert_msg(isfinite(p[i]) && fabs(p[i] - want) < 1e-6,
      "softmax[%d]: expected %.8g, got %.8g", i, want, p[i]);
    ck_assert_msg(isfinite(lp[i]) && fabs(lp[i] - lwant) < 1e-4 * fmax(1, fabs(lwant)),
      "log_softmax[%d]: expected %.8g, got %.8g", i, lwant, lp[i]);
  }
}
END_TEST

/* -------------------------------------------------- attn_combine + ReLU */
typedef struct { int H; float *ec, *W, *b, *pre, *o, *r; } Comb;
static double comb_loss(void *p)
{
  Comb *c = p;
  linear_forward(c->pre, c->ec, c->W, c->b, 1, 2 * c->H, c->H);
  relu_forward(c->o, c->pre, c->H);
  return proj(c->r, c->o, (size_t) c->H);
}
START_TEST(attention_combine_relu)
{
  int H = 6;
  Comb c;
  /* draw until no pre-activation is within 10 EPS of the kink, where a
     finite difference would straddle it */
  for (uint64_t seed = 8;; seed++) {
    rng_seed(seed);
    c = (Comb) {H, rand_array(2 * H, 1), rand_array((size_t) H * 2 * H, 0.5f), rand_array(H, 0.5f),
      rand_array(H, 0), rand_array(H, 0), rand_array(H, 1)};
    comb_loss(&c);
    int near = 0, pos = 0;
    for (int j = 0; j < H; j++) {
      near |= fabsf(c.pre[j]) < 10 * EPS;
      pos += c.pre[j] > 0;
    }
    if (!near && pos > 0 && pos < H) break;
    free(c.ec); free(c.W); free(c.b); free(c.pre); free(c.o); free(c.r);
  }
  float *dpre = rand_array(H, 0), *dec = rand_array(2 * H, 0), *dW = rand_array((size_t) H * 2 * H, 0),
    *db = rand_array(H, 0);
  relu_backward(dpre, c.r, c.pre, H);
  linear_backward(dec, dW, db, dpre, c.ec, c.W, 1, 2 * H, H);
  CHECK_GRAD("[e;c]", comb_loss, &c, c.ec, dec, (size_t) 2 * H);
  CHECK_GRAD("W_comb", comb_loss, &c, c.W, dW, (size_t) H * 2 * H);
  CHECK_GRAD("b_comb", comb_loss, &c, c.b, db, (size_t) H);
  free(c.ec); free(c.W); free(c.b); free(c.pre); free(c.o); free(c.r); free(dpre); free(dec);
  free(dW); free(db);
}
END_TEST

/* ------------------------------ output projection, log-softmax and NLL */
typedef struct { int B, H, V; int *y; float *h, *W, *b, *z, *lp; } Out;
static double out_loss(void *p)
{
  Out *o = p;
  linear_forward(o->z, o->h, o->W, o->b, o->B, o->H, o->V);
  log_softmax_forward(o->lp, o->z, o->B, o->V);
  return nll_forward(o->lp, o->y, o->B, o->V);
}
START_TEST(output_log_softmax_nll)
{
  rng_seed(9);
  int B = 3, H = 5, V = 7, y[3] = {1, 6, 1};
  Out o = {B, H, V, y, rand_array((size_t) B * H, 1), rand_array((size_t) V * H, 1),
    rand_array(V, 1), rand_array((size_t) B * V, 0), rand_array((size_t) B * V, 0)};
  float *dz = rand_array((size_t) B * V, 0), *dh = rand_array((size_t) B * H, 0),
    *dW = rand_array((size_t) V * H, 0), *db = rand_array(V, 0);
  double loss = out_loss(&o), want = 0;
  for (int b = 0; b < B; b++) want -= o.lp[b * V + y[b]];
  ck_assert_msg(fabs(loss - want) < 1e-5, "NLL: expected %.7f, got %.7f", want, loss);
  nll_backward(dz, o.lp, y, B, V);
  linear_backward(dh, dW, db, dz, o.h, o.W, B, H, V);
  CHECK_GRAD("state h", out_loss, &o, o.h, dh, (size_t) B * H);
  CHECK_GRAD("W_out", out_loss, &o, o.W, dW, (size_t) V * H);
  CHECK_GRAD("b_out", out_loss, &o, o.b, db, (size_t) V);
  free(o.h); free(o.W); free(o.b); free(o.z); free(o.lp); free(dz); free(dh); free(dW); free(db);
}
END_TEST

/* (The whole sequence's gradient is checked in test_double.c.) */
static void tiny_model(Model *m, int V_in, int V_out, int H, int L, uint64_t seed)
{
  Vocab vin, vout;
  vocab_init(&vin);
  vocab_init(&vout);
  char w[16];
  for (int k = 2; k < V_in; k++) { snprintf(w, sizeof w, "s%d", k); vocab_add(&vin, w); }
  for (int k = 2; k < V_out; k++) { snprintf(w, sizeof w, "t%d", k); vocab_add(&vout, w); }
  Config cfg = {V_in, V_out, H, L};
  model_alloc(m, &cfg, &vin, &vout);
  model_init_random(m, seed);
}

/* The checker itself must be able to fail: a gradient with one element off by
   half of its value is caught. */
START_TEST(checker_catches_a_wrong_gradient)
{
  rng_seed(13);
  Lin l = {2, 5, 2, rand_array(10, 1), rand_array(10, 0.5f), rand_array(2, 0.5f),
    rand_array(4, 0), rand_array(4, 1)};
  float *dW = rand_array(10, 0);
  linear_backward(NULL, dW, NULL, l.r, l.x, l.W, 2, 5, 2);
  GradReport good = grad_check(lin_loss, &l, l.W, dW, 10);
  int worst = 0;
  for (int i = 1; i < 10; i++) if (fabsf(dW[i]) > fabsf(dW[worst])) worst = i;
  dW[worst] *= 1.5f;
  GradReport bad = grad_check(lin_loss, &l, l.W, dW, 10);
  printf("  checker: right gradient %.2e, one element off by 50%%: %.2e\n", good.rel, bad.rel);
  ck_assert(good.rel < GRAD_TOL);
  ck_assert_msg(bad.rel > 10 * GRAD_TOL, "a wrong gradient gave only %.3g", bad.rel);
  ck_assert_int_eq((int) bad.worst, worst);
  free(l.x); free(l.W); free(l.b); free(l.y); free(l.r); free(dW);
}
END_TEST

/* ------------------------------------------------------------------ Adam */
/* Two steps on three parameters, worked out by hand from
     m = b1 m + (1-b1) g,  v = b2 v + (1-b2) g^2,
     p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
   with lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8.
   Step 1, g = (0.1, -0.2, 0): m = (0.01, -0.02, 0), v = (1e-5, 4e-5, 0);
     the step size is 0.01/(1-0.9) = 0.1 and sqrt(v)/sqrt(0.001) = (0.1, 0.2, 0),
     so p moves by -(0.1*0.01/0.1, 0.1*(-0.02)/0.2, 0) = (-0.01, +0.01, 0):
     p = (1, -2, 0.5) -> (0.99, -1.99, 0.5).
   Step 2, g = (0.1, 0.1, 1): m = (0.019, -0.008, 0.1),
     v = (1.999e-5, 4.996e-5, 1.0e-3); step size 0.01/(1-0.81) = 0.052631579;
     sqrt(1 - 0.999^2) = sqrt(0.001999) = 0.044710178;
     sqrt(v)/0.044710178 = (0.10000000, 0.15809015, 0.70728362);
     updates 0.052631579 * (0.019/0.1, -0.008/0.15809015, 0.1/0.70728362)
           = (0.01000000, -0.00266337, 0.00744137);
     p = (0.98000000, -1.98733663, 0.49255863). */
START_TEST(adam_two_steps_by_hand)
{
  float p[3] = {1.0f, -2.0f, 0.5f}, m[3] = {0}, v[3] = {0};
  float g1[3] = {0.1f, -0.2f, 0.0f}, g2[3] = {0.1f, 0.1f, 1.0f};
  adam_update(p, g1, m, v, 3, 0.01, 0.9, 0.999, 1e-8, 1);
  float p1[3] = {0.99f, -1.99f, 0.5f}, m1[3] = {0.01f, -0.02f, 0.0f}, v1[3] = {1e-5f, 4e-5f, 0.0f};
  ck_assert_floats_close(p, p1, 3, 1e-7, 1e-6);
  ck_assert_floats_close(m, m1, 3, 1e-9, 1e-6);
  ck_assert_floats_close(v, v1, 3, 1e-12, 1e-6);
  adam_update(p, g2, m, v, 3, 0.01, 0.9, 0.999, 1e-8, 2);
  float p2[3] = {0.98f, -1.98733663f, 0.49255863f};
  ck_assert_floats_close(p, p2, 3, 2e-7, 1e-6);
}
END_TEST

/* --------------------------------------------------------- greedy decoding */
START_TEST(greedy_stops_at_eos_or_max_length)
{
  Model m;
  tiny_model(&m, 6, 6, 4, 5, 21);
  int src[2] = {2, 3}, out[5];
  float attn[25];
  /* make <EOS> the certain choice: decoding yields no words */
  m.params.out_b[EOS_TOKEN] = 1e4f;
  ck_assert_int_eq(greedy_decode(&m, src, 2, out, attn), 0);
  /* make <EOS> impossible and word 4 certain: decoding stops after L words */
  m.params.out_b[EOS_TOKEN] = -1e4f;
  m.params.out_b[4] = 1e4f;
  int n = greedy_decode(&m, src, 2, out, attn);
  ck_assert_int_eq(n, 5);
  for (int k = 0; k < n; k++) ck_assert_int_eq(out[k], 4);
  for (int t = 0; t < n; t++) {
    double sum = 0;
    for (int i = 0; i < 5; i++) sum += attn[t * 5 + i];
    ck_assert_msg(fabs(sum - 1) < 1e-5, "attention row %d sums to %.7f", t, sum);
  }
  model_free(&m);
}
END_TEST

/* Training the five notebook pairs for 30 epochs lowers the loss, and with
   <EOS> on the targets greedy decoding reproduces all five. */
START_TEST(training_learns_the_seed_pairs)
{
  PairList pl;
  pairs_seed(&pl);
  Vocab vin, vout;
  pairs_vocabularies(&pl, &vin, &vout);
  Model m;
  Config cfg = {vin.n, vout.n, 32, DEFAULT_MAX_LENGTH};
  model_alloc(&m, &cfg, &vin, &vout);
  model_init_random(&m, 1);
  Example *ex;
  ck_assert_int_eq(make_examples(&pl, &m.vin, &m.vout, cfg.L, 1, &ex), 0);
  double first = 0, last = 0;
  for (int e = 0; e < 30; e++) {
    double total = 0;
    for (int k = 0; k < pl.n; k++) total += train_step(&m, &ex[k], 0.01) / ex[k].tgt_len;
    if (e == 0) first = total;
    last = total;
  }
  ck_assert_msg(last < 0.1 * first, "loss went from %.4f to %.4f", first / 5, last / 5);
  int out[DEFAULT_MAX_LENGTH];
  for (int k = 0; k < pl.n; k++) {
    int n = greedy_decode(&m, ex[k].src, ex[k].src_len, out, NULL);
    ck_assert_int_eq(n + 1, ex[k].tgt_len);
    for (int j = 0; j < n; j++) ck_assert_int_eq(out[j], ex[k].tgt[j]);
  }
  free(ex);
  pairs_free(&pl);
  model_free(&m);
}
END_TEST

/* The training step fuses the weight gradients with Adam; it must give the
   same model, bit for bit, as the plain backward pass into the gradient
   buffer followed by the plain optimizer step. */
static void fused_equals_plain(int H)
{
  Model a, b;
  tiny_model(&a, 9, 8, H, 6, 31);
  tiny_model(&b, 9, 8, H, 6, 31);
  Example ex[3] = {{{2, 3, 4, 2}, {3, 5, 3, EOS_TOKEN}, 4, 4}, {{5}, {6, EOS_TOKEN}, 1, 2},
    {{8, 7, 6, 5, 4, 3}, {2, 3, 4, 5, 6, EOS_TOKEN}, 6, 6}};
  for (int step = 0; step < 12; step++) {
    const Example *e = &ex[step % 3];
    float la = train_step(&a, e, 0.01);
    float lb = seq2seq_forward(&b, e);
    seq2seq_backward(&b, e);
    optimizer_step(&b, 0.01);
    ck_assert_msg(la == lb, "step %d: losses %.9g and %.9g", step, la, lb);
  }
  ck_assert_int_eq(a.adam_t, b.adam_t);
  ck_assert_msg(memcmp(a.param_mem, b.param_mem, a.n_params * sizeof(float)) == 0,
    "parameters differ");
  ck_assert_msg(memcmp(a.m_mem, b.m_mem, a.n_params * sizeof(float)) == 0, "first moments differ");
  ck_assert_msg(memcmp(a.v_mem, b.v_mem, a.n_params * sizeof(float)) == 0, "second moments differ");
  for (size_t i = 0; i < a.n_params; i++)
    ck_assert_msg(a.grad_mem[i] == 0 && b.grad_mem[i] == 0, "gradient %zu not zeroed", i);
  model_free(&a);
  model_free(&b);
}
/* H = 8 takes only the kernels' scalar tails; H = 40 also their blocks of
   sixteen rows and 32 columns, with tails after them. */
START_TEST(fused_step_equals_plain_step)
{
  fused_equals_plain(8);
  fused_equals_plain(40);
}
END_TEST

/* train_pairs on two threads (the encoder on a second one) must give the same
   losses and the same model, bit for bit, as train_step one pair after
   another; so must train_pairs on one thread. Several batches, so that the
   encoder's thread also goes to sleep and wakes up between them. */
START_TEST(two_threads_train_like_one)
{
  Model a, b, c;
  tiny_model(&a, 9, 8, 40, 6, 37);
  tiny_model(&b, 9, 8, 40, 6, 37);
  tiny_model(&c, 9, 8, 40, 6, 37);
  Example ex[3] = {{{2, 3, 4, 2}, {3, 5, 3, EOS_TOKEN}, 4, 4}, {{5}, {6, EOS_TOKEN}, 1, 2},
    {{8, 7, 6, 5, 4, 3}, {2, 3, 4, 5, 6, EOS_TOKEN}, 6, 6}};
  for (int batch = 0; batch < 6; batch++) {
    float la[6], lb[6], lc[6];
    int epochs = 1 + batch % 2; /* a batch may run over the pairs more than once */
    ck_assert_int_eq(train_pairs(&a, ex, 3, epochs, 0.01, 2, la), 2);
    ck_assert_int_eq(train_pairs(&c, ex, 3, epochs, 0.01, 1, lc), 1);
    for (int k = 0; k < 3 * epochs; k++) lb[k] = train_step(&b, &ex[k % 3], 0.01);
    for (int k = 0; k < 3 * epochs; k++)
      ck_assert_msg(la[k] == lb[k] && lc[k] == lb[k], "batch %d pair %d: losses %.9g, %.9g, %.9g",
        batch, k, la[k], lc[k], lb[k]);
    if (batch == 2) usleep(50000); /* long enough for the thread to fall asleep */
  }
  ck_assert_int_eq(a.adam_t, b.adam_t);
  ck_assert_int_eq(c.adam_t, b.adam_t);
  size_t bytes = a.n_params * sizeof(float);
  ck_assert_msg(memcmp(a.param_mem, b.param_mem, bytes) == 0, "parameters differ");
  ck_assert_msg(memcmp(a.m_mem, b.m_mem, bytes) == 0, "first moments differ");
  ck_assert_msg(memcmp(a.v_mem, b.v_mem, bytes) == 0, "second moments differ");
  ck_assert_msg(memcmp(c.param_mem, b.param_mem, bytes) == 0, "one thread: parameters differ");
  model_free(&a);
  model_free(&b);
  model_free(&c);
}
END_TEST

/* The blocked kernels promise the sums of the plain loops, in the same order,
   bit for bit: linear_forward the sixteen-lane order of dot (lane k takes every
   sixteenth product, then the lanes are added pairwise, then the tail),
   linear_backward's input gradient each entry's products in row order, and
   outer_products each gradient entry's B products in batch order. Written
   here as plain loops, over shapes that cover every block and every tail. */
static float dot_in_order(const float *a, const float *b, int n)
{
  float acc[16] = {0};
  int i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) acc[k] += a[i + k] * b[i + k];
  for (int d = 8; d >= 1; d /= 2)
    for (int k = 0; k < d; k++) acc[k] += acc[k + d];
  float s = acc[0];
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}
START_TEST(blocked_kernels_keep_the_order_of_the_sums)
{
  rng_seed(17);
  int shapes[][3] = {{1, 128, 384}, {3, 256, 128}, {2, 40, 23}, {1, 7, 16}, {5, 33, 10},
    {4, 130, 9}};
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
    int B = shapes[k][0], C = shapes[k][1], OC = shapes[k][2];
    float *x = rand_array((size_t) B * C, 1), *W = rand_array((size_t) OC * C, 1),
      *bias = rand_array(OC, 1), *y = rand_array((size_t) B * OC, 0),
      *dy = rand_array((size_t) B * OC, 1), *g0 = rand_array((size_t) OC * C, 1),
      *g = malloc(sizeof(float) * OC * C), *gs = malloc(sizeof(float) * OC * C);
    linear_forward(y, x, W, bias, B, C, OC);
    for (int b = 0; b < B; b++)
      for (int o = 0; o < OC; o++) {
        float want = dot_in_order(W + (size_t) o * C, x + (size_t) b * C, C) + bias[o];
        ck_assert_msg(memcmp(&want, &y[(size_t) b * OC + o], sizeof want) == 0,
          "B=%d C=%d OC=%d: output (%d,%d) is %.9g, the ordered sum %.9g",
          B, C, OC, b, o, y[(size_t) b * OC + o], want);
      }
    float *dx0 = rand_array((size_t) B * C, 1), *dx = malloc(sizeof(float) * B * C);
    memcpy(dx, dx0, sizeof(float) * B * C);
    linear_backward(dx, NULL, NULL, dy, NULL, W, B, C, OC);
    for (int b = 0; b < B; b++)
      for (int j = 0; j < C; j++) {
        float want = dx0[(size_t) b * C + j];
        for (int o = 0; o < OC; o++) want += dy[(size_t) b * OC + o] * W[(size_t) o * C + j];
        ck_assert_msg(memcmp(&want, &dx[(size_t) b * C + j], sizeof want) == 0,
          "B=%d C=%d OC=%d: input gradient (%d,%d) differs from the ordered sum", B, C, OC, b, j);
      }
    free(dx0); free(dx);
    memcpy(g, g0, sizeof(float) * OC * C);
    outer_products(g, dy, OC, x, B, C, OC, 1);
    outer_products(gs, dy, OC, x, B, C, OC, 0);
    for (int o = 0; o < OC; o++)
      for (int j = 0; j < C; j++) {
        float add = g0[(size_t) o * C + j], set = 0.0f;
        for (int b = 0; b < B; b++) {
          add += dy[(size_t) b * OC + o] * x[(size_t) b * C + j];
          set += dy[(size_t) b * OC + o] * x[(size_t) b * C + j];
        }
        ck_assert_msg(memcmp(&add, &g[(size_t) o * C + j], sizeof add) == 0
            && memcmp(&set, &gs[(size_t) o * C + j], sizeof set) == 0,
          "B=%d C=%d OC=%d: gradient (%d,%d) differs from the ordered sum", B, C, OC, o, j);
      }
    free(x); free(W); free(bias); free(y); free(dy); free(g0); free(g); free(gs);
  }
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gradients");
  struct { const char *name; const TTest *t; } cases[] = {
    {"linear_layer", linear_layer}, {"linear_backward_accumulates", linear_backward_accumulates},
    {"embedding_layer", embedding_layer}, {"gru_step", gru_step},
    {"gru_forward_equations", gru_forward_equations},
    {"attention_weights_and_context", attention_weights_and_context},
    {"seed_attention_scores", seed_attention_scores}, {"softmax_is_stable", softmax_is_stable},
    {"attention_combine_relu", attention_combine_relu},
    {"output_log_softmax_nll", output_log_softmax_nll},
    {"checker_catches_a_wrong_gradient", checker_catches_a_wrong_gradient},
    {"adam_two_steps_by_hand", adam_two_steps_by_hand},
    {"greedy_stops_at_eos_or_max_length", greedy_stops_at_eos_or_max_length},
    {"training_learns_the_seed_pairs", training_learns_the_seed_pairs},
    {"fused_step_equals_plain_step", fused_step_equals_plain_step},
    {"blocked_kernels_keep_the_order_of_the_sums", blocked_kernels_keep_the_order_of_the_sums},
    {"two_threads_train_like_one", two_threads_train_like_one}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    TCase *tc = tcase_create(cases[k].name);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cases[k].t);
    suite_add_tcase(s, tc);
  }
  return run_suite(s);
}

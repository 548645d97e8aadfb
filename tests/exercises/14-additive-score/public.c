/* Exercise 14, public tests: Bahdanau's additive score, forward and backward.
   Expected values come from the definitions, evaluated here in double
   precision. Forward, for index i = b S + s (sentence b, position s):
     a_{i,j} = tanh(wq_{b,j} + uk_{s B + b, j}),  e_i = sum_j va_j a_{i,j};
   backward, with the scores' gradient de given:
     dpre_{r,j} = de_r va_j (1 - a_{r,j}^2)            (in place of a, r = b S + s)
     dwq_{b,j}  = sum_s dpre_{b S + s, j}              (written)
     duk_{s B + b, j} += dpre_{b S + s, j}             (added to what is there);
   and from numbers worked by hand. */
#include "judge.h"

typedef struct { int B, S, H; float *wq, *uk, *va; } Fwd;

static void run_forward(const Fwd *f, float **e, float **a)
{
  size_t bs = (size_t) f->B * f->S, H = (size_t) f->H;
  PBuf q = request("additive_score");
  pb_int(&q, f->B);
  pb_int(&q, f->S);
  pb_int(&q, f->H);
  pb_floats(&q, f->wq, (size_t) f->B * H);
  pb_floats(&q, f->uk, bs * H);
  pb_floats(&q, f->va, H);
  Reply rp = call(&q);
  *e = reply_floats(&rp, bs, "the scores");
  *a = reply_floats(&rp, bs * H, "the tanh values");
  reply_free(&rp);
}

static void forward_definition(const Fwd *f, double *e, double *a)
{
  int B = f->B, S = f->S, H = f->H;
  for (int b = 0; b < B; b++)
    for (int s = 0; s < S; s++) {
      int i = b * S + s;
      double sum = 0;
      for (int j = 0; j < H; j++) {
        double x = tanh((double) f->wq[b * H + j] + (double) f->uk[((size_t) s * B + b) * H + j]);
        if (a) a[(size_t) i * H + j] = x;
        sum += f->va[j] * x;
      }
      e[i] = sum;
    }
}

static void check_forward(const Fwd *f, const char *what)
{
  size_t bs = (size_t) f->B * f->S;
  float *e, *a;
  run_forward(f, &e, &a);
  double *we = dalloc(bs), *wa = dalloc(bs * f->H);
  forward_definition(f, we, wa);
  char label[200];
  snprintf(label, sizeof label, "%s, the tanh values a", what);
  expect_close(label, a, wa, bs, (size_t) f->H, 1e-6, 1e-5);
  snprintf(label, sizeof label, "%s, the scores e", what);
  expect_close(label, e, we, 1, bs, 1e-6, 1e-5);
  free(e), free(a), free(we), free(wa);
}

typedef struct { int B, S, H; float *de, *a, *va, *duk; } Bwd;

static void run_backward(const Bwd *g, float **dpre, float **dwq, float **duk)
{
  size_t bs = (size_t) g->B * g->S, H = (size_t) g->H;
  PBuf q = request("additive_backward");
  pb_int(&q, g->B);
  pb_int(&q, g->S);
  pb_int(&q, g->H);
  pb_floats(&q, g->de, bs);
  pb_floats(&q, g->a, bs * H);
  pb_floats(&q, g->va, H);
  pb_floats(&q, g->duk, bs * H);
  Reply rp = call(&q);
  *dpre = reply_floats(&rp, bs * H, "the pre-activation's gradient");
  *dwq = reply_floats(&rp, (size_t) g->B * H, "the query's gradient");
  *duk = reply_floats(&rp, bs * H, "the keys' gradient");
  reply_free(&rp);
}

static void check_backward(const Bwd *g, const char *what)
{
  int B = g->B, S = g->S, H = g->H;
  size_t bs = (size_t) B * S;
  float *dpre, *dwq, *duk;
  run_backward(g, &dpre, &dwq, &duk);
  double *wp = dalloc(bs * H), *wq = dalloc((size_t) B * H), *wk = dalloc(bs * H);
  for (size_t r = 0; r < bs; r++)
    for (int j = 0; j < H; j++) {
      double x = g->a[r * H + j];
      wp[r * H + j] = (double) g->de[r] * g->va[j] * (1 - x * x);
    }
  for (int b = 0; b < B; b++)
    for (int s = 0; s < S; s++)
      for (int j = 0; j < H; j++) {
        size_t r = (size_t) b * S + s, k = ((size_t) s * B + b) * H + j;
        wq[(size_t) b * H + j] += wp[r * H + j];
        wk[k] = (double) g->duk[k] + wp[r * H + j];
      }
  char label[200];
  snprintf(label, sizeof label, "%s, the pre-activation's gradient (in place of a)", what);
  expect_close(label, dpre, wp, bs, (size_t) H, 1e-6, 1e-5);
  snprintf(label, sizeof label, "%s, the query's gradient dwq", what);
  expect_close(label, dwq, wq, (size_t) B, (size_t) H, 1e-6, 1e-5);
  snprintf(label, sizeof label, "%s, the keys' gradient duk (added to what was there)", what);
  expect_close(label, duk, wk, bs, (size_t) H, 1e-6, 1e-5);
  free(dpre), free(dwq), free(duk), free(wp), free(wq), free(wk);
}

JTEST(worked_by_hand)
{
  /* one sentence, two positions, H = 2: wq = (0.5, -0.25), the keys'
     products (0.25, 0.25) and (-0.5, 1), va = (1, 2). Position 0:
     a = (tanh 0.75, tanh 0) = (0.6351490, 0), e = 0.6351490; position 1:
     a = (0, 0.6351490), e = 1.2702979. */
  float wq[2] = {0.5f, -0.25f}, uk[4] = {0.25f, 0.25f, -0.5f, 1.0f}, va[2] = {1.0f, 2.0f};
  Fwd f = {1, 2, 2, wq, uk, va};
  float *e, *a;
  run_forward(&f, &e, &a);
  double he[2] = {0.6351490, 1.2702979}, ha[4] = {0.6351490, 0, 0, 0.6351490};
  expect_close("worked by hand, the scores", e, he, 1, 2, 1e-6, 0);
  expect_close("worked by hand, the tanh values", a, ha, 2, 2, 1e-6, 0);
  free(e), free(a);
  /* backwards with de = (1, -1) and duk = 0: dpre = de va (1 - a^2), with
     1 - tanh(0.75)^2 = 0.5965858: rows (0.5965858, 2) and (-1, -1.1931716);
     dwq sums them: (-0.4034142, 0.8068284); duk takes them at rows s B + b. */
  float de[2] = {1.0f, -1.0f}, ta[4] = {0.6351490f, 0.0f, 0.0f, 0.6351490f}, z[4] = {0};
  Bwd g = {1, 2, 2, de, ta, va, z};
  float *dpre, *dwq, *duk;
  run_backward(&g, &dpre, &dwq, &duk);
  double hp[4] = {0.5965858, 2, -1, -1.1931716}, hq[2] = {-0.4034142, 0.8068284};
  expect_close("worked by hand, the pre-activation's gradient", dpre, hp, 2, 2, 1e-6, 0);
  expect_close("worked by hand, the query's gradient", dwq, hq, 1, 2, 1e-6, 0);
  expect_close("worked by hand, the keys' gradient", duk, hp, 2, 2, 1e-6, 0);
  free(dpre), free(dwq), free(duk);
}

JTEST(random_forward)
{
  rng_seed(1401);
  int B = 3, S = 5, H = 7;
  Fwd f = {B, S, H, frand_array((size_t) B * H, 1.5), frand_array((size_t) S * B * H, 1.5),
    frand_array((size_t) H, 1)};
  check_forward(&f, "3 sentences, 5 positions, H = 7");
  free(f.wq), free(f.uk), free(f.va);
}

JTEST(random_backward)
{
  rng_seed(1402);
  int B = 2, S = 3, H = 4;
  size_t bs = (size_t) B * S;
  Bwd g = {B, S, H, frand_array(bs, 1), frand_array(bs * H, 0.99), frand_array((size_t) H, 1),
    frand_array(bs * H, 1)};
  check_backward(&g, "2 sentences, 3 positions, H = 4");
  free(g.de), free(g.a), free(g.va), free(g.duk);
}

static const Graded public_tests[] = {
  GRADED(worked_by_hand, 1, 3, "one sentence of two positions, forward and backward, worked by hand"),
  GRADED(random_forward, 1, 3, "scores and tanh values of 3 sentences by the definition"),
  GRADED(random_backward, 1, 3, "the three gradients of 2 sentences by their definitions"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

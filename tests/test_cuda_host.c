/* The CUDA backend's kernel wrappers and launches (generated/cuda_kernels.h),
   compiled for the processor: each KIT_LAUNCH is a loop over the grid's blocks
   and the block's threads, with the same KIT_BLOCK, kit_blocks and index
   arithmetic as on the GPU. Every kernel entry of the interface is checked
   against the CPU backend on random inputs whose sizes are not multiples of
   the block (so the last block is partial), then whole training steps of
   every attention kind. No GPU is needed.

   make check also builds this test from copies of the header with a planted
   error, in the grid or in the index (build/test_cuda_host_planted-grid and
   -index), and requires both to fail. */
#include "testutil.h"
#include "cuda_kernels.h"

#include <cblas.h>

/* cuBLAS's column-major product, played by CBLAS's. */
static void cblas_col_gemm(int ta, int tb, int m, int n, int k, float alpha,
  const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
  cblas_sgemm(CblasColMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
    m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* The CUDA backend's product, with the column-major one in cuBLAS's place:
   the operand swap of the header is what is tested. */
static void dev_gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A,
  int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
  row_major_gemm(cblas_col_gemm, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* The CPU backend's memory with the CUDA backend's kernel entries. */
static Backend launched;

static void make_launched(void)
{
  launched = cpu_backend;
  launched.name = "cuda kernels on the host";
  launched.embed = cu_embed;
  launched.embed_backward = cu_embed_backward;
  launched.add_bias = cu_add_bias;
  launched.gather_rows = cu_gather_rows;
  launched.scatter_rows = cu_scatter_rows;
  launched.gather_keys = cu_gather_keys;
  launched.gru_forward = cu_gru_forward;
  launched.gru_backward = cu_gru_backward;
  launched.additive_scores = cu_additive_scores;
  launched.additive_backward = cu_additive_backward;
  launched.dot_scores = cu_dot_scores;
  launched.dot_backward = cu_dot_backward;
  launched.masked_softmax = cu_masked_softmax;
  launched.softmax_backward = cu_softmax_backward;
  launched.context = cu_context;
  launched.context_backward = cu_context_backward;
  launched.tanh_forward = cu_tanh_forward;
  launched.tanh_backward = cu_tanh_backward;
  launched.nll = cu_nll;
  launched.log_softmax = cu_log_softmax;
  launched.argmax = cu_argmax;
  launched.sum = cu_sum;
  launched.add = cu_add;
  launched.adam = cu_adam;
  launched.gemm = dev_gemm;
}

/* Every kernel slot of the interface, from embed on, is a CUDA entry: an entry
   added to the interface and not to this test (or to the backend) fails here. */
START_TEST(every_kernel_entry_is_replaced)
{
  make_launched();
  typedef void (*fn)(void);
  const fn *a = (const fn *) (const void *) &launched.embed;
  const fn *b = (const fn *) (const void *) &cpu_backend.embed;
  size_t n = (sizeof(Backend) - offsetof(Backend, embed)) / sizeof(fn);
  ck_assert_uint_eq(n, 24);
  for (size_t k = 0; k < n; k++)
    ck_assert_msg(a[k] != b[k], "kernel slot %zu of the interface is not a CUDA entry", k);
}
END_TEST

/* The row-major product, every pair of transposes, on column blocks of wider
   arrays (leading dimensions larger than the rows), with beta 0 and 1. */
START_TEST(the_row_major_product_from_a_column_major_one)
{
  enum { M = 7, N = 5, K = 9, LD = 13 };
  unsigned short s[3] = {4, 5, 6};
  float A[K * LD], B[K * LD], C1[M * LD], C2[M * LD];
  for (int i = 0; i < K * LD; i++) A[i] = (float) erand48(s) - 0.5f, B[i] = (float) erand48(s) - 0.5f;
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (int beta = 0; beta < 2; beta++) {
        for (int i = 0; i < M * LD; i++) C1[i] = C2[i] = (float) i;
        cpu_backend.gemm(ta, tb, M, N, K, 0.5f, A + 1, LD, B + 2, LD, (float) beta, C1 + 3, LD);
        dev_gemm(ta, tb, M, N, K, 0.5f, A + 1, LD, B + 2, LD, (float) beta, C2 + 3, LD);
        ck_assert_floats_close(C2, C1, M * LD, 1e-6, 1e-5);
      }
}
END_TEST

/* Sizes: B*H = 260 and S*B*H = 1820 are not multiples of KIT_BLOCK = 256. */
enum { B = 5, S = 7, H = 52, V = 301, HEADS = 4 };

static unsigned short xs[3] = {1, 2, 3};
static float *rnd(size_t n, float lo, float hi)
{
  float *x = malloc((n ? n : 1) * sizeof(float));
  for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float) erand48(xs);
  return x;
}
static float *dup(const float *x, size_t n)
{
  float *y = malloc((n ? n : 1) * sizeof(float));
  memcpy(y, x, n * sizeof(float));
  return y;
}
static int *rnd_ints(size_t n, int lo, int hi)
{
  int *x = malloc((n ? n : 1) * sizeof(int));
  for (size_t i = 0; i < n; i++) x[i] = lo + (int) (erand48(xs) * (hi - lo + 1));
  return x;
}
#define SAME(a, e, n) ck_assert_floats_close(a, e, n, 1e-6, 1e-5)

START_TEST(embedding_and_its_scatter)
{
  make_launched();
  int n = S * B, Vt = 40;
  float *table = rnd((size_t) Vt * H, -1, 1), *o1 = rnd((size_t) n * H, -1, 1), *o2 = dup(o1, (size_t) n * H);
  int *ids = rnd_ints((size_t) n, 0, Vt - 1);
  cpu_backend.embed(o1, table, ids, n, H, 0.25f, 99);
  launched.embed(o2, table, ids, n, H, 0.25f, 99);
  SAME(o2, o1, (size_t) n * H);
  float *d1 = rnd((size_t) Vt * H, -1, 1), *d2 = dup(d1, (size_t) Vt * H);
  cpu_backend.embed_backward(d1, o1, ids, n, H, 0.25f, 7);
  launched.embed_backward(d2, o1, ids, n, H, 0.25f, 7);
  SAME(d2, d1, (size_t) Vt * H);
  float *y1 = rnd((size_t) n * 3 * H, -1, 1), *y2 = dup(y1, (size_t) n * 3 * H), *bias = rnd(3 * H, -1, 1);
  cpu_backend.add_bias(y1, bias, n, 3 * H);
  launched.add_bias(y2, bias, n, 3 * H);
  SAME(y2, y1, (size_t) n * 3 * H);
  /* rows gathered by a list (a permutation of some of them), and scattered back */
  int k = n / 2 + 1, *rows = malloc((size_t) k * sizeof(int));
  for (int r = 0; r < k; r++) rows[r] = (r * 7 + 3) % n;
  float *g1 = rnd((size_t) k * 3 * H, -1, 1), *g2 = dup(g1, (size_t) k * 3 * H);
  cpu_backend.gather_rows(g1, y1, rows, k, 3 * H);
  launched.gather_rows(g2, y1, rows, k, 3 * H);
  SAME(g2, g1, (size_t) k * 3 * H);
  cpu_backend.scatter_rows(y1, g1, rows, k, 3 * H);
  launched.scatter_rows(y2, g1, rows, k, 3 * H);
  SAME(y2, y1, (size_t) n * 3 * H);
  /* keys of N sentences gathered into the order of n hypotheses */
  int N = 3, nh = 5, S = 4, sent[5] = {2, 0, 2, 1, 0};
  float *keys = rnd((size_t) S * N * H, -1, 1), *k1 = rnd((size_t) S * nh * H, -1, 1),
    *k2 = dup(k1, (size_t) S * nh * H);
  cpu_backend.gather_keys(k1, keys, sent, nh, S, N, H);
  launched.gather_keys(k2, keys, sent, nh, S, N, H);
  SAME(k2, k1, (size_t) S * nh * H);
  free(keys), free(k1), free(k2);
  free(rows), free(g1), free(g2);
  free(table), free(o1), free(o2), free(ids), free(d1), free(d2), free(y1), free(y2), free(bias);
}
END_TEST

/* The GRU at a step where some sentences have ended (len <= s) and with the
   decoder's len == NULL, forward and backward. */
START_TEST(gru_forward_and_backward)
{
  make_launched();
  int s = 3, *len = rnd_ints(B, 1, S);
  len[0] = 2, len[1] = S;
  size_t n = (size_t) B * H, nc = n * sizeof(GruCache) / sizeof(float);
  float *gi = rnd(3 * n, -2, 2), *gh = rnd(3 * n, -2, 2), *h = rnd(n, -1, 1);
  for (int pass = 0; pass < 2; pass++) {
    const int *l = pass ? NULL : len;
    float *h1 = rnd(n, -1, 1), *h2 = dup(h1, n), *out1 = rnd(n, -1, 1), *out2 = dup(out1, n);
    GruCache *c1 = calloc(n, sizeof(GruCache)), *c2 = calloc(n, sizeof(GruCache));
    cpu_backend.gru_forward(h1, c1, gi, gh, h, out1, l, s, B, H);
    launched.gru_forward(h2, c2, gi, gh, h, out2, l, s, B, H);
    SAME(h2, h1, n);
    SAME(out2, out1, n);
    SAME((float *) c2, (float *) c1, nc);
    float *dhn = rnd(n, -1, 1), *dout = rnd(n, -1, 1);
    float *dgi1 = rnd(3 * n, -1, 1), *dgi2 = dup(dgi1, 3 * n), *dgh1 = rnd(3 * n, -1, 1),
      *dgh2 = dup(dgh1, 3 * n), *dp1 = rnd(n, -1, 1), *dp2 = dup(dp1, n);
    cpu_backend.gru_backward(dgi1, dgh1, dp1, dhn, pass ? NULL : dout, h, c1, l, s, B, H);
    launched.gru_backward(dgi2, dgh2, dp2, dhn, pass ? NULL : dout, h, c1, l, s, B, H);
    SAME(dgi2, dgi1, 3 * n);
    SAME(dgh2, dgh1, 3 * n);
    SAME(dp2, dp1, n);
    free(h1), free(h2), free(out1), free(out2), free(c1), free(c2), free(dhn), free(dout);
    free(dgi1), free(dgi2), free(dgh1), free(dgh2), free(dp1), free(dp2);
  }
  free(len), free(gi), free(gh), free(h);
}
END_TEST

START_TEST(additive_scores_and_backward)
{
  make_launched();
  size_t nbs = (size_t) B * S, nk = (size_t) S * B * H;
  float *wq = rnd((size_t) B * H, -1, 1), *uk = rnd(nk, -1, 1), *va = rnd(H, -1, 1);
  float *e1 = rnd(nbs, -1, 1), *e2 = dup(e1, nbs), *a1 = rnd(nbs * H, -1, 1), *a2 = dup(a1, nbs * H);
  cpu_backend.additive_scores(e1, a1, wq, uk, va, B, S, H);
  launched.additive_scores(e2, a2, wq, uk, va, B, S, H);
  SAME(e2, e1, nbs);
  SAME(a2, a1, nbs * H);
  float *de = rnd(nbs, -1, 1), *dwq1 = rnd((size_t) B * H, -1, 1), *dwq2 = dup(dwq1, (size_t) B * H);
  float *duk1 = rnd(nk, -1, 1), *duk2 = dup(duk1, nk), *dva1 = rnd(H, -1, 1), *dva2 = dup(dva1, H);
  cpu_backend.additive_backward(dwq1, duk1, dva1, de, a1, va, B, S, H);
  launched.additive_backward(dwq2, duk2, dva2, de, a2, va, B, S, H);
  SAME(dwq2, dwq1, (size_t) B * H);
  SAME(duk2, duk1, nk);
  SAME(dva2, dva1, H);
  SAME(a2, a1, nbs * H);
  free(wq), free(uk), free(va), free(e1), free(e2), free(a1), free(a2), free(de);
  free(dwq1), free(dwq2), free(duk1), free(duk2), free(dva1), free(dva2);
}
END_TEST

/* Dot-product scores, the masked softmax, the context and their gradients,
   for one head (Luong) and for HEADS heads (multi-head attention). */
START_TEST(dot_softmax_context_and_backward)
{
  make_launched();
  int nh = _i ? HEADS : 1, *len = rnd_ints(B, 1, S);
  size_t nq = (size_t) B * H, nk = (size_t) S * B * H, ne = (size_t) B * nh * S;
  float scale = _i ? 0.277f : 1.0f;
  float *q = rnd(nq, -1, 1), *k = rnd(nk, -1, 1), *e1 = rnd(ne, -1, 1), *e2 = dup(e1, ne);
  cpu_backend.dot_scores(e1, q, k, B, S, H, nh, scale);
  launched.dot_scores(e2, q, k, B, S, H, nh, scale);
  SAME(e2, e1, ne);
  float *w1 = rnd(ne, -1, 1), *w2 = dup(w1, ne);
  cpu_backend.masked_softmax(w1, e1, len, B, nh, S);
  launched.masked_softmax(w2, e1, len, B, nh, S);
  SAME(w2, w1, ne);
  float *c1 = rnd(nq, -1, 1), *c2 = dup(c1, nq);
  cpu_backend.context(c1, w1, k, B, S, H, nh);
  launched.context(c2, w1, k, B, S, H, nh);
  SAME(c2, c1, nq);
  float *dc = rnd(nq, -1, 1), *dw1 = rnd(ne, -1, 1), *dw2 = dup(dw1, ne);
  float *dv1 = rnd(nk, -1, 1), *dv2 = dup(dv1, nk);
  cpu_backend.context_backward(dw1, dv1, dc, w1, k, B, S, H, nh);
  launched.context_backward(dw2, dv2, dc, w1, k, B, S, H, nh);
  SAME(dw2, dw1, ne);
  SAME(dv2, dv1, nk);
  float *de1 = rnd(ne, -1, 1), *de2 = dup(de1, ne);
  cpu_backend.softmax_backward(de1, dw1, w1, B * nh, S);
  launched.softmax_backward(de2, dw1, w1, B * nh, S);
  SAME(de2, de1, ne);
  float *dq1 = rnd(nq, -1, 1), *dq2 = dup(dq1, nq), *dk1 = rnd(nk, -1, 1), *dk2 = dup(dk1, nk);
  cpu_backend.dot_backward(dq1, dk1, de1, q, k, B, S, H, nh, scale);
  launched.dot_backward(dq2, dk2, de1, q, k, B, S, H, nh, scale);
  SAME(dq2, dq1, nq);
  SAME(dk2, dk1, nk);
  free(len), free(q), free(k), free(e1), free(e2), free(w1), free(w2), free(c1), free(c2);
  free(dc), free(dw1), free(dw2), free(dv1), free(dv2), free(de1), free(de2);
  free(dq1), free(dq2), free(dk1), free(dk2);
}
END_TEST

START_TEST(loss_decoding_and_the_rest)
{
  make_launched();
  int n = 11, *tgt = rnd_ints((size_t) n, 0, V - 1);
  tgt[3] = PAD_TOKEN, tgt[7] = PAD_TOKEN;
  size_t nv = (size_t) n * V;
  float *x1 = rnd(nv, -4, 4), *x2 = dup(x1, nv), *r1 = rnd(n, -1, 1), *r2 = dup(r1, n);
  float *keep = dup(x1, nv);
  cpu_backend.nll(x1, r1, tgt, n, V, 0.1f);
  launched.nll(x2, r2, tgt, n, V, 0.1f);
  SAME(x2, x1, nv);
  SAME(r2, r1, (size_t) n);
  float acc1[1] = {0.5f}, acc2[1] = {0.5f};
  cpu_backend.sum(acc1, r1, n);
  launched.sum(acc2, r1, n);
  SAME(acc2, acc1, 1);
  int *i1 = rnd_ints((size_t) n, -1, -1), *i2 = rnd_ints((size_t) n, -1, -1);
  cpu_backend.argmax(i1, keep, n, V);
  launched.argmax(i2, keep, n, V);
  for (int r = 0; r < n; r++) ck_assert_int_eq(i2[r], i1[r]);
  memcpy(x1, keep, nv * sizeof(float));
  memcpy(x2, keep, nv * sizeof(float));
  cpu_backend.log_softmax(x1, n, V);
  launched.log_softmax(x2, n, V);
  SAME(x2, x1, nv);
  free(tgt), free(x1), free(x2), free(r1), free(r2), free(keep), free(i1), free(i2);
}
END_TEST

/* The CPU's argmax is not the shared body (it runs in vector lanes); on
   rows with ties, NaNs, infinities and both zeros, long and short, it gives
   the body's answer. */
START_TEST(argmax_of_awkward_rows)
{
  enum { NR = 12, W = 301 };
  float *x = rnd((size_t) NR * W, -2, 2);
  for (int r = 0; r < NR; r++) {
    float *y = x + (size_t) r * W;
    if (r % 2) y[5 + r] = y[200 + r] = 9.0f;                  /* a tie */
    if (r % 3 == 0) y[r] = NAN, y[W - 1 - r] = NAN;           /* NaNs */
    if (r == 4) y[0] = NAN;                                   /* a NaN first */
    if (r == 5) y[17] = INFINITY, y[250] = INFINITY;          /* a tie at infinity */
    if (r == 6) for (int j = 0; j < W; j++) y[j] = (j % 2) ? 0.0f : -0.0f;
    if (r == 7) for (int j = 0; j < W; j++) y[j] = NAN;
    if (r == 8) for (int j = 0; j < W; j++) y[j] = -INFINITY;
    if (r == 9) y[W - 1] = 50.0f;                             /* the last word */
    if (r == 10) y[290] = 50.0f;                              /* in the tail after the lanes */
  }
  for (int v = 1; v <= W; v += (v < 40 ? 1 : 60)) {
    int got[NR], want[NR];
    float *c = xcalloc((size_t) NR * v, sizeof(float));
    for (int r = 0; r < NR; r++) memcpy(c + (size_t) r * v, x + (size_t) r * W, (size_t) v * sizeof(float));
    cpu_backend.argmax(got, c, NR, v);
    for (int r = 0; r < NR; r++) {
      kb_argmax(r, want, c, v);
      ck_assert_msg(got[r] == want[r], "row %d of %d words: argmax %d, the body says %d", r, v,
        got[r], want[r]);
    }
    free(c);
  }
  free(x);
}
END_TEST

START_TEST(tanh_add_and_adam)
{
  make_launched();
  int n = 1000;
  float *x = rnd(n, -3, 3), *y1 = rnd(n, -1, 1), *y2 = dup(y1, n);
  cpu_backend.tanh_forward(y1, x, n);
  launched.tanh_forward(y2, x, n);
  SAME(y2, y1, (size_t) n);
  float *dy = rnd(n, -1, 1), *dx1 = rnd(n, -1, 1), *dx2 = dup(dx1, n);
  cpu_backend.tanh_backward(dx1, dy, y1, n);
  launched.tanh_backward(dx2, dy, y1, n);
  SAME(dx2, dx1, (size_t) n);
  cpu_backend.add(dx1, x, n);
  launched.add(dx2, x, n);
  SAME(dx2, dx1, (size_t) n);
  float *p1 = rnd(n, -1, 1), *p2 = dup(p1, n), *m1 = rnd(n, -1, 1), *m2 = dup(m1, n);
  float *v1 = rnd(n, 0, 1), *v2 = dup(v1, n);
  AdamConstants k = adam_constants(0.01, 0.9, 0.999, 1e-8, 3);
  cpu_backend.adam(p1, dy, m1, v1, (size_t) n, k);
  launched.adam(p2, dy, m2, v2, (size_t) n, k);
  SAME(p2, p1, (size_t) n);
  SAME(m2, m1, (size_t) n);
  SAME(v2, v1, (size_t) n);
  free(x), free(y1), free(y2), free(dy), free(dx1), free(dx2);
  free(p1), free(p2), free(m1), free(m2), free(v1), free(v2);
}
END_TEST

/* Three training steps of a small model of every kind, once on the CPU
   backend and once on the launched kernels, from the same initial weights:
   the first step's gradients agree to rounding, and so do the loss and the
   greedy translations after three. (Not the parameters: the CPU's GRU runs
   the vector tanh and exp, the launched body the scalar ones, and Adam moves
   a parameter whose gradient is about 0 by about the learning rate, whichever
   way its last bits point.) */
enum { NEX = 6, TV_IN = 13, TV_OUT = 15, TH = 20, TL = 8 };
static Example ex[NEX];

static void make_model(BModel *bm, const Backend *be, int kind)
{
  Vocab vin, vout;
  char w[16];
  vocab_init(&vin), vocab_init(&vout);
  vocab_add(&vin, "<PAD>"), vocab_add(&vin, "<UNK>");
  vocab_add(&vout, "<PAD>"), vocab_add(&vout, "<UNK>");
  for (int k = 4; k < TV_IN; k++) snprintf(w, sizeof w, "s%d", k), vocab_add(&vin, w);
  for (int k = 4; k < TV_OUT; k++) snprintf(w, sizeof w, "t%d", k), vocab_add(&vout, w);
  Config cfg = {TV_IN, TV_OUT, TH, TL};
  bmodel_alloc(bm, be, kind, 4, &cfg, &vin, &vout, NEX);
  bmodel_init_random(bm, 5);
  bm->dropout = 0.2f;
}

START_TEST(training_steps_of_every_kind)
{
  int kind = KIND_BAHDANAU + _i;
  make_launched();
  for (int k = 0; k < NEX; k++) {
    ex[k].src_len = 1 + k % (TL - 1), ex[k].tgt_len = 1 + (3 * k + 2) % (TL - 1);
    for (int s = 0; s < ex[k].src_len; s++) ex[k].src[s] = 4 + (k + 3 * s) % (TV_IN - 4);
    for (int t = 0; t < ex[k].tgt_len; t++) ex[k].tgt[t] = 4 + (2 * k + t) % (TV_OUT - 4);
    ex[k].src[ex[k].src_len - 1] = ex[k].tgt[ex[k].tgt_len - 1] = EOS_TOKEN;
  }
  BModel a, b;
  make_model(&a, &cpu_backend, kind);
  make_model(&b, &launched, kind);
  for (int step = 0; step < 3; step++) {
    Batch ba, bb;
    batch_upload(&a, ex, NULL, NEX, &ba);
    batch_upload(&b, ex, NULL, NEX, &bb);
    bmodel_train_batch(&a, &ba, 0.01);
    bmodel_train_batch(&b, &bb, 0.01);
    if (step == 0) ck_assert_floats_close(b.g, a.g, a.n_params, 1e-6, 1e-4);
  }
  ck_assert_floats_close(b.a.loss_acc, a.a.loss_acc, 1, 1e-5, 1e-5);
  int out1[NEX * TL], out2[NEX * TL], n1[NEX], n2[NEX];
  bmodel_greedy(&a, ex, NEX, out1, n1, NULL);
  bmodel_greedy(&b, ex, NEX, out2, n2, NULL);
  for (int k = 0; k < NEX; k++) {
    ck_assert_int_eq(n2[k], n1[k]);
    for (int t = 0; t < n1[k]; t++) ck_assert_int_eq(out2[k * TL + t], out1[k * TL + t]);
  }
  bmodel_free(&a);
  bmodel_free(&b);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("cuda kernels on the host");
  TCase *tc = tcase_create("kernels");
  tcase_add_test(tc, every_kernel_entry_is_replaced);
  tcase_add_test(tc, the_row_major_product_from_a_column_major_one);
  tcase_add_test(tc, embedding_and_its_scatter);
  tcase_add_test(tc, gru_forward_and_backward);
  tcase_add_test(tc, additive_scores_and_backward);
  tcase_add_loop_test(tc, dot_softmax_context_and_backward, 0, 2);
  tcase_add_test(tc, loss_decoding_and_the_rest);
  tcase_add_test(tc, argmax_of_awkward_rows);
  tcase_add_test(tc, tanh_add_and_adam);
  tcase_add_loop_test(tc, training_steps_of_every_kind, 0, N_KINDS - KIND_BAHDANAU);
  suite_add_tcase(s, tc);
  return run_suite(s);
}

/* worker.c: runs one operation of the kit's library for a judge.

   The worker is linked with the kit's library as the student's change file
   makes it, and runs in the sandbox (sandbox.h): it reads one request on
   standard input (proto.h), calls the kit's function, and writes the results
   on file descriptor 3, ending with an 'e' item. It computes no verdict: the
   judge, a separate process that never runs student code, compares what comes
   back with values it computes itself. So nothing the student's code does here
   (exit(0) in the middle of a function, printing "PASS", writing a forged
   reply) can pass a test: only the right numbers, complete, can.

   Output arrays are filled with NaN before the call, so an element that the
   student's code never writes shows up as "got nan". */
#include "attention.h"
#include "proto.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static PRead rq;
static PBuf out;

static void bad_request(const char *what)
{
  fprintf(stderr, "worker: malformed request (%s): a judge bug\n", what);
  exit(3);
}

static int get_int(void)
{
  uint32_t c;
  const unsigned char *d;
  int32_t v;
  if (pr_item(&rq, P_INT, &c, &d) || c != 1) bad_request("int");
  memcpy(&v, d, 4);
  return v;
}

static double get_double(void)
{
  uint32_t c;
  const unsigned char *d;
  double v;
  if (pr_item(&rq, P_DBL, &c, &d) || c != 1) bad_request("double");
  memcpy(&v, d, 8);
  return v;
}

/* A copy of the next array (type 'f' or 'i'), which must have n elements. */
static void *get_array(int type, size_t n)
{
  uint32_t c;
  const unsigned char *d;
  if (pr_item(&rq, type, &c, &d) || c != n) bad_request("array");
  void *p = malloc(n ? n * 4 : 4);
  memcpy(p, d, n * 4);
  return p;
}
static float *get_floats(size_t n) { return get_array(P_FLT, n); }
static int *get_ints(size_t n) { return get_array(P_INT, n); }

static char *get_bytes(size_t *n)
{
  uint32_t c;
  const unsigned char *d;
  if (pr_item(&rq, P_STR, &c, &d)) bad_request("bytes");
  char *s = malloc((size_t) c + 1);
  memcpy(s, d, c);
  s[c] = '\0';
  if (n) *n = c;
  return s;
}

static float *nans(size_t n)
{
  float *p = malloc((n ? n : 1) * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = NAN;
  return p;
}

static int dim(int lo, int hi)
{
  int v = get_int();
  if (v < lo || v > hi) bad_request("size out of range");
  return v;
}

/* ----------------------------------------------------------- exercise 1 */
/* Commands: 0 adds a word, 1 finds it. Reply: the result of each command,
   then the number of words and the whole hash table. */
static void op_vocab(void)
{
  int k = dim(0, 1 << 20);
  int *cmd = get_ints((size_t) k);
  size_t nb;
  char *words = get_bytes(&nb), *w = words;
  int *res = malloc((size_t) (k ? k : 1) * sizeof(int));
  Vocab v;
  vocab_init(&v);
  for (int i = 0; i < k; i++) {
    if (w >= words + nb) bad_request("too few words");
    res[i] = cmd[i] == 0 ? vocab_add(&v, w) : vocab_find(&v, w);
    w += strlen(w) + 1;
  }
  pb_ints(&out, res, (size_t) k);
  pb_int(&out, v.n);
  pb_ints(&out, v.slot, (size_t) v.nslot);
}

/* ----------------------------------------------------------- exercise 2 */
static void op_normalize(void)
{
  size_t n, bad = 0;
  char *s = get_bytes(&n);
  char *t = normalize_sentence(s, n, &bad);
  pb_int(&out, t != NULL);
  pb_int(&out, (int) bad);
  pb_str(&out, t ? t : "");
}

/* ----------------------------------------------------------- exercise 3 */
static void op_softmax(int log)
{
  int B = dim(1, 4096), n = dim(1, 1 << 16);
  float *s = get_floats((size_t) B * n), *p = nans((size_t) B * n);
  if (log) log_softmax_forward(p, s, B, n);
  else softmax_forward(p, s, B, n);
  pb_floats(&out, p, (size_t) B * n);
}
static void op_softmax_forward(void) { op_softmax(0); }
static void op_log_softmax_forward(void) { op_softmax(1); }

/* ----------------------------------------------------------- exercise 4 */
static void op_gru_unit_forward(void)
{
  int N = dim(1, 1 << 16);
  float *a[7];
  for (int k = 0; k < 7; k++) a[k] = get_floats((size_t) N);
  float *h = nans((size_t) N), *r = nans((size_t) N), *z = nans((size_t) N),
    *n = nans((size_t) N), *ghn = nans((size_t) N);
  for (int j = 0; j < N; j++) {
    GruCache c = {NAN, NAN, NAN, NAN};
    h[j] = gru_unit_forward(a[0][j], a[1][j], a[2][j], a[3][j], a[4][j], a[5][j], a[6][j], &c);
    r[j] = c.r; z[j] = c.z; n[j] = c.n; ghn[j] = c.ghn;
  }
  pb_floats(&out, h, (size_t) N);
  pb_floats(&out, r, (size_t) N);
  pb_floats(&out, z, (size_t) N);
  pb_floats(&out, n, (size_t) N);
  pb_floats(&out, ghn, (size_t) N);
}

static void op_gru_cell_forward(void)
{
  int B = dim(1, 256), H = dim(1, 1024);
  size_t bh = (size_t) B * H;
  float *gi = get_floats(3 * bh), *gh = get_floats(3 * bh), *h = get_floats(bh);
  float *hn = nans(bh), *r = nans(bh), *z = nans(bh), *n = nans(bh), *g = nans(bh);
  GruCache *c = malloc(bh * sizeof *c);
  for (size_t i = 0; i < bh; i++) c[i] = (GruCache) {NAN, NAN, NAN, NAN};
  gru_cell_forward(hn, c, gi, gh, h, B, H);
  for (size_t i = 0; i < bh; i++) { r[i] = c[i].r; z[i] = c[i].z; n[i] = c[i].n; g[i] = c[i].ghn; }
  pb_floats(&out, hn, bh);
  pb_floats(&out, r, bh);
  pb_floats(&out, z, bh);
  pb_floats(&out, n, bh);
  pb_floats(&out, g, bh);
}

/* ----------------------------------------------------------- exercise 5 */
static void op_attention_forward(void)
{
  int B = dim(1, 256), L = dim(1, 1024), H = dim(1, 1024);
  float *s = get_floats((size_t) B * L), *O = get_floats((size_t) B * L * H);
  float *w = nans((size_t) B * L), *c = nans((size_t) B * H);
  attention_forward(w, c, s, O, B, L, H);
  pb_floats(&out, w, (size_t) B * L);
  pb_floats(&out, c, (size_t) B * H);
}

/* ----------------------------------------------------------- exercise 6 */
static void op_nll(int backward)
{
  int B = dim(1, 4096), V = dim(1, 1 << 16);
  int *y = get_ints((size_t) B);
  for (int b = 0; b < B; b++) if (y[b] < 0 || y[b] >= V) bad_request("target");
  float *lp = get_floats((size_t) B * V);
  if (backward) {
    float *d = nans((size_t) B * V);
    nll_backward(d, lp, y, B, V);
    pb_floats(&out, d, (size_t) B * V);
  } else {
    float loss = nll_forward(lp, y, B, V);
    pb_floats(&out, &loss, 1);
  }
}
static void op_nll_forward(void) { op_nll(0); }
static void op_nll_backward(void) { op_nll(1); }

/* ----------------------------------------------------------- exercise 7 */
static void op_gru_unit_backward(void)
{
  int N = dim(1, 1 << 16);
  float *dhn = get_floats((size_t) N), *h = get_floats((size_t) N), *r = get_floats((size_t) N),
    *z = get_floats((size_t) N), *n = get_floats((size_t) N), *ghn = get_floats((size_t) N),
    *dh = get_floats((size_t) N);
  float *g[4];
  for (int k = 0; k < 4; k++) g[k] = nans((size_t) N);
  for (int j = 0; j < N; j++) {
    GruCache c = {r[j], z[j], n[j], ghn[j]};
    gru_unit_backward(dhn[j], h[j], &c, &g[0][j], &g[1][j], &g[2][j], &g[3][j], &dh[j]);
  }
  for (int k = 0; k < 4; k++) pb_floats(&out, g[k], (size_t) N);
  pb_floats(&out, dh, (size_t) N);
}

static void op_gru_cell_backward(void)
{
  int B = dim(1, 256), H = dim(1, 1024);
  size_t bh = (size_t) B * H;
  float *dhn = get_floats(bh), *h = get_floats(bh), *r = get_floats(bh), *z = get_floats(bh),
    *n = get_floats(bh), *ghn = get_floats(bh), *dh = get_floats(bh);
  GruCache *c = malloc(bh * sizeof *c);
  for (size_t i = 0; i < bh; i++) c[i] = (GruCache) {r[i], z[i], n[i], ghn[i]};
  float *dgi = nans(3 * bh), *dgh = nans(3 * bh);
  gru_cell_backward(dgi, dgh, dh, dhn, h, c, B, H);
  pb_floats(&out, dgi, 3 * bh);
  pb_floats(&out, dgh, 3 * bh);
  pb_floats(&out, dh, bh);
}

/* ----------------------------------------------------------- exercise 8 */
static void op_attention_backward(void)
{
  int B = dim(1, 256), L = dim(1, 1024), H = dim(1, 1024);
  float *dc = get_floats((size_t) B * H), *w = get_floats((size_t) B * L),
    *O = get_floats((size_t) B * L * H), *dO = get_floats((size_t) B * L * H);
  float *ds = nans((size_t) B * L);
  attention_backward(ds, dO, dc, w, O, B, L, H);
  pb_floats(&out, ds, (size_t) B * L);
  pb_floats(&out, dO, (size_t) B * L * H);
}

/* ----------------------------------------------------------- exercise 9 */
static void put_constants(const AdamConstants *k)
{
  float f[7] = {k->b1, k->a1, k->b2, k->a2, k->step, k->inv_bc2, k->eps};
  pb_floats(&out, f, 7);
}

static void op_adam_constants(void)
{
  double lr = get_double(), b1 = get_double(), b2 = get_double(), eps = get_double();
  int t = dim(1, 1 << 30);
  AdamConstants k = {NAN, NAN, NAN, NAN, NAN, NAN, NAN};
  k = adam_constants(lr, b1, b2, eps, t);
  put_constants(&k);
}

static void op_adam_apply(void)
{
  int n = dim(1, 1 << 20);
  float *p = get_floats((size_t) n), *g = get_floats((size_t) n), *m = get_floats((size_t) n),
    *v = get_floats((size_t) n), *f = get_floats(7);
  AdamConstants k = {f[0], f[1], f[2], f[3], f[4], f[5], f[6]};
  adam_apply(p, g, m, v, (size_t) n, &k);
  pb_floats(&out, p, (size_t) n);
  pb_floats(&out, m, (size_t) n);
  pb_floats(&out, v, (size_t) n);
}

/* T steps t = 1, ..., T from m = v = 0, with the gradients given. */
static void op_adam_update(void)
{
  int n = dim(1, 1 << 20), T = dim(1, 100000);
  double lr = get_double(), b1 = get_double(), b2 = get_double(), eps = get_double();
  float *p = get_floats((size_t) n), *g = get_floats((size_t) n * T);
  float *m = calloc((size_t) n, sizeof(float)), *v = calloc((size_t) n, sizeof(float));
  for (int t = 1; t <= T; t++)
    adam_update(p, g + (size_t) (t - 1) * n, m, v, (size_t) n, lr, b1, b2, eps, t);
  pb_floats(&out, p, (size_t) n);
  pb_floats(&out, m, (size_t) n);
  pb_floats(&out, v, (size_t) n);
}

/* ---------------------------------------------------------- exercise 10 */
/* A model of the given sizes with the given parameters (the tensors in the
   order of |tensor_specs|, one after the other). The vocabularies are left
   empty: decoding works on word numbers. */
static void load_model(Model *m)
{
  Config cfg;
  cfg.V_in = dim(2, 100000);
  cfg.V_out = dim(2, 100000);
  cfg.H = dim(1, 1024);
  cfg.L = dim(1, DEFAULT_MAX_LENGTH * 4);
  Vocab vin = {0}, vout = {0};
  model_alloc(m, &cfg, &vin, &vout);
  float *p = get_floats(m->n_params);
  memcpy(m->param_mem, p, m->n_params * sizeof(float));
}

static void op_greedy_decode(void)
{
  Model m;
  load_model(&m);
  int T = dim(1, m.cfg.L), L = m.cfg.L;
  int *src = get_ints((size_t) T);
  for (int t = 0; t < T; t++) if (src[t] < 0 || src[t] >= m.cfg.V_in) bad_request("word");
  int *o = malloc((size_t) L * sizeof(int));
  for (int t = 0; t < L; t++) o[t] = -1;
  float *attn = nans((size_t) L * L);
  int n = greedy_decode(&m, src, T, o, attn);
  pb_int(&out, n);
  pb_ints(&out, o, (size_t) L);
  pb_floats(&out, attn, (size_t) L * L);
}

/* One pair through the whole model: the loss of seq2seq_forward and the
   gradient of seq2seq_backward, every parameter. */
static void op_pair(void)
{
  Model m;
  load_model(&m);
  Example ex;
  memset(&ex, 0, sizeof ex);
  ex.src_len = dim(1, m.cfg.L);
  int *src = get_ints((size_t) ex.src_len);
  ex.tgt_len = dim(1, m.cfg.L);
  int *tgt = get_ints((size_t) ex.tgt_len);
  for (int t = 0; t < ex.src_len; t++) {
    if (src[t] < 0 || src[t] >= m.cfg.V_in) bad_request("word");
    ex.src[t] = src[t];
  }
  for (int t = 0; t < ex.tgt_len; t++) {
    if (tgt[t] < 0 || tgt[t] >= m.cfg.V_out) bad_request("word");
    ex.tgt[t] = tgt[t];
  }
  float loss = seq2seq_forward(&m, &ex);
  memset(m.grad_mem, 0, m.n_params * sizeof(float));
  seq2seq_backward(&m, &ex);
  pb_floats(&out, &loss, 1);
  pb_floats(&out, m.grad_mem, m.n_params);
}

/* ---------------------------------------------------------- exercise 11 */
/* The colours of weights under a colormap: 0 bone, 1 YlOrRd, 2 one sent with
   the request (points per channel, then 27 positions and 27 values). */
static double *get_doubles(size_t n)
{
  uint32_t c;
  const unsigned char *d;
  if (pr_item(&rq, P_DBL, &c, &d) || c != n) bad_request("doubles");
  double *p = malloc((n ? n : 1) * sizeof(double));
  memcpy(p, d, n * sizeof(double));
  return p;
}

static void op_colormap(void)
{
  int which = dim(0, 2);
  Colormap custom = {"custom", {0, 0, 0}, {{0}}, {{0}}};
  if (which == 2) {
    for (int ch = 0; ch < 3; ch++) custom.n[ch] = dim(2, COLORMAP_MAX_POINTS);
    double *x = get_doubles(3 * COLORMAP_MAX_POINTS), *v = get_doubles(3 * COLORMAP_MAX_POINTS);
    memcpy(custom.x, x, sizeof custom.x);
    memcpy(custom.v, v, sizeof custom.v);
  }
  const Colormap *cm = which == 0 ? &colormap_bone : which == 1 ? &colormap_ylorrd : &custom;
  int k = dim(1, 1 << 20);
  double *w = get_doubles((size_t) k), *rgb = malloc((size_t) k * 3 * sizeof(double));
  for (int i = 0; i < k; i++) {
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = NAN;
    colormap_color(cm, w[i], rgb + 3 * i);
  }
  pb_doubles(&out, rgb, (size_t) k * 3);
}

/* --------------------------------------------------- training end to end */
/* The notebook's five pairs, vocabularies built by the kit, |epochs| epochs
   of train_step. Reply: 1 and the average loss of each epoch, both
   vocabularies and the trained parameters; or 0 and the kit's message. */
static void op_train_seed(void)
{
  int H = dim(1, 256), epochs = dim(1, 1000), seed = get_int();
  double lr = get_double();
  PairList pl;
  pairs_seed(&pl);
  Vocab vin, vout;
  vocab_init(&vin);
  vocab_init(&vout);
  for (int k = 0; k < pl.n; k++) {
    vocab_add_sentence(&vin, pl.pair[k].src);
    vocab_add_sentence(&vout, pl.pair[k].tgt);
  }
  Config cfg = {vin.n, vout.n, H, DEFAULT_MAX_LENGTH};
  Model m;
  model_alloc(&m, &cfg, &vin, &vout);
  model_init_random(&m, (uint64_t) seed);
  Example *ex;
  if (make_examples(&pl, &m.vin, &m.vout, cfg.L, 1, &ex) != 0) {
    pb_int(&out, 0);
    pb_str(&out, kit_error());
    return;
  }
  float *loss = nans((size_t) epochs);
  for (int e = 0; e < epochs; e++) {
    double total = 0;
    for (int k = 0; k < pl.n; k++) total += train_step(&m, &ex[k], lr) / ex[k].tgt_len;
    loss[e] = (float) (total / pl.n);
  }
  pb_int(&out, 1);
  pb_floats(&out, loss, (size_t) epochs);
  for (int side = 0; side < 2; side++) {
    const Vocab *v = side ? &m.vout : &m.vin;
    PBuf w = {0};
    for (int k = 0; k < v->n; k++) pb_raw(&w, v->word[k], strlen(v->word[k]) + 1);
    pb_int(&out, v->n);
    pb_bytes(&out, w.b, w.n);
    pb_free(&w);
  }
  pb_floats(&out, m.param_mem, m.n_params);
}

/* ---------------------------------------------------------- exercise 12 */
/* A candidate, its references and n; reply: the matches and the n-grams. */
static void op_ngram_matches(void)
{
  int h = dim(0, 100000);
  int *hyp = get_ints((size_t) h);
  int nr = dim(0, 64);
  int *len = get_ints((size_t) nr);
  const int **refs = malloc((size_t) (nr ? nr : 1) * sizeof *refs);
  for (int r = 0; r < nr; r++) {
    if (len[r] < 0 || len[r] > 100000) bad_request("reference length");
    refs[r] = get_ints((size_t) len[r]);
  }
  int n = dim(1, 16);
  long match = 0, total = 0;
  ngram_matches(hyp, h, refs, len, nr, n, &match, &total);
  pb_int(&out, (int) match);
  pb_int(&out, (int) total);
}

/* ---------------------------------------------------------- exercise 13 */
/* B sentences of |heads| rows of S scores, and the sentences' lengths;
   reply: the weights of every row. */
static void op_masked_softmax(void)
{
  int B = dim(1, 4096), heads = dim(1, 64), S = dim(1, 4096);
  if ((size_t) B * heads * S > (1u << 24)) bad_request("too many scores");
  int *len = get_ints((size_t) B);
  for (int b = 0; b < B; b++) if (len[b] < 1 || len[b] > S) bad_request("sentence length");
  size_t n = (size_t) B * heads * S;
  float *e = get_floats(n), *w = nans(n);
  for (int r = 0; r < B * heads; r++) kb_masked_softmax(r, w, e, len, heads, S);
  pb_floats(&out, w, n);
}

/* ---------------------------------------------------------- exercise 14 */
static void additive_dims(int *B, int *S, int *H)
{
  *B = dim(1, 1024), *S = dim(1, 1024), *H = dim(1, 1024);
  if ((size_t) *B * *S * *H > (1u << 24)) bad_request("too many numbers");
}

/* W_a q for B sentences, U_a k for S positions of them (time-major), v_a;
   reply: the B*S scores and their tanh values. */
static void op_additive_score(void)
{
  int B, S, H;
  additive_dims(&B, &S, &H);
  size_t bs = (size_t) B * S;
  float *wq = get_floats((size_t) B * H), *uk = get_floats(bs * H), *va = get_floats((size_t) H);
  float *e = nans(bs), *a = nans(bs * H);
  for (int i = 0; i < B * S; i++) kb_additive_score(i, e, a, wq, uk, va, B, S, H);
  pb_floats(&out, e, bs);
  pb_floats(&out, a, bs * H);
}

/* The scores' gradient, the tanh values, v_a and the keys' gradient so far;
   the CPU backend's order: the pre-activation's gradient in place, the
   query's, the keys' (added). Reply: all three. */
static void op_additive_backward(void)
{
  int B, S, H;
  additive_dims(&B, &S, &H);
  size_t bs = (size_t) B * S;
  float *de = get_floats(bs), *a = get_floats(bs * H), *va = get_floats((size_t) H);
  float *duk = get_floats(bs * H), *dwq = nans((size_t) B * H);
  for (int r = 0; r < B * S; r++) for (int j = 0; j < H; j++) kb_additive_pre(r, j, a, de, va, H);
  for (int b = 0; b < B; b++) for (int j = 0; j < H; j++) kb_additive_dwq(b, j, dwq, a, S, H);
  for (int r = 0; r < S * B; r++) for (int j = 0; j < H; j++) kb_additive_duk(r, j, duk, a, B, S, H);
  pb_floats(&out, a, bs * H);
  pb_floats(&out, dwq, (size_t) B * H);
  pb_floats(&out, duk, bs * H);
}

/* ---------------------------------------------------------------- main */
static const struct { const char *name; void (*run)(void); } ops[] = {
  {"vocab", op_vocab}, {"normalize", op_normalize},
  {"softmax_forward", op_softmax_forward}, {"log_softmax_forward", op_log_softmax_forward},
  {"gru_unit_forward", op_gru_unit_forward}, {"gru_cell_forward", op_gru_cell_forward},
  {"attention_forward", op_attention_forward},
  {"nll_forward", op_nll_forward}, {"nll_backward", op_nll_backward},
  {"gru_unit_backward", op_gru_unit_backward}, {"gru_cell_backward", op_gru_cell_backward},
  {"attention_backward", op_attention_backward},
  {"adam_constants", op_adam_constants}, {"adam_apply", op_adam_apply},
  {"adam_update", op_adam_update},
  {"greedy_decode", op_greedy_decode}, {"pair", op_pair}, {"colormap", op_colormap},
  {"train_seed", op_train_seed}, {"ngram_matches", op_ngram_matches},
  {"masked_softmax", op_masked_softmax}, {"additive_score", op_additive_score},
  {"additive_backward", op_additive_backward}};

/* Allocation failures are reported, so that "allocated 20 GB" does not look
   like a mysterious crash. (Linked with -Wl,--wrap=malloc,...) */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t k);
void *__real_realloc(void *p, size_t n);
static void alloc_failed(const char *f, size_t n)
{
  static char msg[200];
  int k = snprintf(msg, sizeof msg, "\n[worker: %s of %zu bytes failed: more than the "
    "sandbox's memory limit]\n", f, n);
  if (write(2, msg, (size_t) k) < 0) {}
}
void *__wrap_malloc(size_t n)
{
  void *p = __real_malloc(n);
  if (!p && n) alloc_failed("malloc", n);
  return p;
}
void *__wrap_calloc(size_t n, size_t k)
{
  void *p = __real_calloc(n, k);
  if (!p && n && k) alloc_failed("calloc", n * k);
  return p;
}
void *__wrap_realloc(void *q, size_t n)
{
  void *p = __real_realloc(q, n);
  if (!p && n) alloc_failed("realloc", n);
  return p;
}

int main(void)
{
  PBuf in = {0};
  char buf[65536];
  ssize_t k;
  while ((k = read(0, buf, sizeof buf)) > 0) {
    if (in.n + (size_t) k > (256u << 20)) bad_request("too large");
    pb_raw(&in, buf, (size_t) k);
  }
  rq = (PRead) {in.b, in.n, 0};
  size_t n;
  char *op = get_bytes(&n);
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (strcmp(op, ops[i].name) == 0) {
      ops[i].run();
      pb_end(&out);
      fflush(stdout);
      for (size_t at = 0; at < out.n;) {
        ssize_t w = write(3, out.b + at, out.n - at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return 4;
        at += (size_t) w;
      }
      return 0;
    }
  bad_request(op);
  return 3;
}

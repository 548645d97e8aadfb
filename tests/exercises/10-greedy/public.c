/* Exercise 10, public tests: greedy decoding.

   The judge makes a small model (its own random parameters), sends it with a
   source sentence to the worker, which runs the student's greedy_decode, and
   decodes the same sentence itself, in double precision, with refmodel.h (the
   decoder's equations, written from the book). The words must agree, and so
   must the attention weights of each output word (to 1e-5). Models whose
   choices are near ties (a best and a second-best logit closer than 1e-3,
   where float and double could disagree) are not used. */
#include "judge.h"
#include "refmodel.h"

typedef struct {
  RefModel m;
  float *p;
  int src[64], T;
} Model;

/* Random parameters: embeddings in [-1.5, 1.5], the rest uniform in
   +-1.5/sqrt(fan-in); |eos| is added to the output bias of <EOS>. */
static Model random_model(int V_in, int V_out, int H, int L, int T, double eos)
{
  Model x = {{V_in, V_out, H, L, {0}, 0}, NULL, {0}, T};
  size_t np = ref_point(&x.m, NULL), sizes[R_N];
  x.p = calloc(np, sizeof(float));
  ref_point(&x.m, x.p);
  ref_sizes(&x.m, sizes);
  for (int k = 0; k < R_N; k++) {
    size_t n = sizes[k];
    double a = (k == R_ENC_EMB || k == R_DEC_EMB) ? 1.5
      : 1.5 / sqrt((double) ((k >= R_ATTN_W && k <= R_COMB_B) ? 2 * H : H));
    for (size_t i = 0; i < n; i++) ((float *) x.m.t[k])[i] = (float) sym(a);
  }
  ((float *) x.m.t[R_OUT_B])[1] += (float) eos;
  ((float *) x.m.t[R_OUT_B])[0] -= 5.0f; /* <SOS> is possible, but rare */
  for (int t = 0; t < T; t++) x.src[t] = 2 + (int) (unif() * (V_in - 2));
  return x;
}

/* The reference decoding; returns the smallest margin between the best and
   the second-best logit over the steps taken. */
static double reference(const Model *x, int *out, int *n, double *attn)
{
  double margin[64], least = INFINITY;
  *n = ref_greedy(&x->m, x->src, x->T, out, attn, margin);
  int steps = *n < x->m.L ? *n + 1 : *n;
  for (int t = 0; t < steps; t++) least = fmin(least, margin[t]);
  return least;
}

/* A model of these sizes whose reference decoding has |want| words (any
   number if want < 0) and no near tie; seeds tried in order from |seed|. */
static Model find_model(uint64_t seed, int V_in, int V_out, int H, int L, int T, double eos, int want)
{
  for (uint64_t s = seed; s < seed + 5000; s++) {
    rng_seed(s);
    Model x = random_model(V_in, V_out, H, L, T, eos);
    int out[64], n;
    double least = reference(&x, out, &n, NULL);
    if (least > 1e-3 && (want < 0 || n == want)) return x;
    free(x.p);
  }
  ck_abort_msg("the judge found no model with %d words (a judge bug)", want);
  return (Model) {{0}, NULL, {0}, 0};
}

static void check_decoding(const Model *x, const char *what)
{
  int L = x->m.L;
  PBuf q = request("greedy_decode");
  pb_int(&q, x->m.V_in);
  pb_int(&q, x->m.V_out);
  pb_int(&q, x->m.H);
  pb_int(&q, L);
  pb_floats(&q, x->p, x->m.n_params);
  pb_int(&q, x->T);
  pb_ints(&q, x->src, (size_t) x->T);
  Reply r = call(&q);
  int n = reply_int(&r, "number of words");
  int *out = reply_ints(&r, (size_t) L, "words");
  float *attn = reply_floats(&r, (size_t) L * L, "attention");
  int want[64], wn;
  double *wattn = dalloc((size_t) L * L);
  reference(x, want, &wn, wattn);
  char wanted[400] = "", got[400] = "";
  for (int t = 0, at = 0; t < wn; t++) at += snprintf(wanted + at, sizeof wanted - (size_t) at, " %d", want[t]);
  for (int t = 0, at = 0; t < (n < 0 ? 0 : n > L ? L : n); t++)
    at += snprintf(got + at, sizeof got - (size_t) at, " %d", out[t]);
  if (!got[0]) strcpy(got, " (none)");
  if (n != wn)
    ck_abort_msg("%s: greedy_decode returned %d words, expected %d: the words should be%s%s%s, "
      "yours are%s", what, n, wn, wanted, wn < L ? " and then <EOS> (1)" : " (the maximum length L)",
      "", got);
  for (int t = 0; t < n; t++)
    if (out[t] != want[t])
      ck_abort_msg("%s: word %d is %d, expected %d (expected words:%s; yours:%s)", what, t, out[t],
        want[t], wanted, got);
  char label[300];
  snprintf(label, sizeof label, "%s: the attention weights of the %d output words (row t: step t)", what, n);
  if (n > 0) expect_close(label, attn, wattn, (size_t) n, (size_t) L, 1e-5, 1e-4);
  free(out);
  free(attn);
  free(wattn);
  reply_free(&r);
}

JTEST(stops_at_eos_or_after_L_words)
{
  rng_seed(1001);
  Model x = random_model(6, 6, 4, 5, 2, 1e4);  /* <EOS> certain */
  check_decoding(&x, "a model for which <EOS> is certain (no word)");
  ((float *) x.m.t[R_OUT_B])[1] = -1e4f;        /* <EOS> impossible, word 4 certain */
  ((float *) x.m.t[R_OUT_B])[4] = 1e4f;
  check_decoding(&x, "a model that never says <EOS> and always says word 4 (L = 5 words)");
}

JTEST(decodes_a_random_model)
{
  Model x = find_model(1002, 7, 9, 6, 7, 4, 1.0, 3);
  check_decoding(&x, "a random model (H = 6, L = 7, 9 French words) that says three words");
}

static const Graded public_tests[] = {
  GRADED(stops_at_eos_or_after_L_words, 1.5, 3, "no word when <EOS> is certain; L words when it is impossible"),
  GRADED(decodes_a_random_model, 1.5, 3, "the words and attention rows of a random model"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

/* Tests of decoding and scoring: BLEU on hand-worked cases, beam search on
   hand-built models (a fake step function whose probabilities are written
   here), beam 1 against greedy decoding on the notebook's model, and the
   held-out split. BLEU against nltk is tests/bleu.sh. */
#include "testutil.h"

/* ---- BLEU ---- */

/* Words as numbers through a vocabulary, as eval does. */
static BleuStats score_lines(const char *const *hyp, const char *const *const *refs,
  const int *n_refs, int n)
{
  Vocab v;
  vocab_init(&v);
  BleuStats b = {0};
  for (int k = 0; k < n; k++) {
    int *h, hl = words_intern(&v, hyp[k], &h), *r[8], rl[8];
    for (int i = 0; i < n_refs[k]; i++) rl[i] = words_intern(&v, refs[k][i], &r[i]);
    bleu_add(&b, h, hl, (const int *const *) r, rl, n_refs[k]);
    for (int i = 0; i < n_refs[k]; i++) free(r[i]);
    free(h);
  }
  vocab_free(&v);
  return b;
}

static BleuScore score_one(const char *hyp, const char *ref)
{
  const char *const refs[] = {ref};
  const char *const *const all[] = {refs};
  int one = 1;
  BleuStats b = score_lines(&hyp, all, &one, 1);
  return bleu_score(&b);
}

START_TEST(bleu_perfect_is_100)
{
  BleuScore s = score_one("le chat est sur le tapis", "le chat est sur le tapis");
  ck_assert_double_eq_tol(s.bleu, 100.0, 1e-12);
  for (int n = 0; n < 4; n++) ck_assert_double_eq_tol(s.p[n], 100.0, 1e-12);
  ck_assert_double_eq(s.bp, 1.0);
  const char *h = "a b c d";
  const char *const r[] = {"a b c d"};
  const char *const *const all[] = {r};
  int one = 1;
  BleuStats b = score_lines(&h, all, &one, 1);
  char line[256];
  bleu_format(&b, line, sizeof line);
  ck_assert_str_eq(line, "BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 "
    "hyp_len = 4 ref_len = 4)");
}
END_TEST

/* The book's whole example: p = 4/6, 3/5, 2/4, 1/3, BP = 1, BLEU = 100 / 15^(1/4). */
START_TEST(bleu_of_the_book_worked_by_hand)
{
  BleuScore s = score_one("le chat est sur le tapis", "le chat est sur la table");
  ck_assert_double_eq_tol(s.p[0], 400.0 / 6.0, 1e-12);
  ck_assert_double_eq_tol(s.p[1], 60.0, 1e-12);
  ck_assert_double_eq_tol(s.p[2], 50.0, 1e-12);
  ck_assert_double_eq_tol(s.p[3], 100.0 / 3.0, 1e-12);
  ck_assert_double_eq(s.bp, 1.0);
  ck_assert_double_eq_tol(s.bleu, 50.81327481546147, 1e-11);
}
END_TEST

/* Hypothesis a b c d e, reference a b c x d e: all five unigrams match,
   bigrams ab bc de of ab bc cd de (3/4), trigram abc of abc bcd cde (1/3),
   no 4-gram of abcd bcde: BLEU 0. The lengths are 5 and 6. */
START_TEST(bleu_no_four_gram_is_0)
{
  BleuScore s = score_one("a b c d e", "a b c x d e");
  ck_assert_double_eq(s.bleu, 0.0);
  ck_assert_double_eq_tol(s.p[0], 100.0, 1e-12);
  ck_assert_double_eq_tol(s.p[1], 75.0, 1e-12);
  ck_assert_double_eq_tol(s.p[2], 100.0 / 3.0, 1e-12);
  ck_assert_double_eq(s.p[3], 0.0);
  ck_assert_double_eq_tol(s.bp, exp(1.0 - 6.0 / 5.0), 1e-15);
}
END_TEST

/* The first four words of a six-word reference: every precision is 100,
   BP = exp(1 - 6/4) = 0.60653..., BLEU = 60.653... */
START_TEST(bleu_short_candidate_gets_the_brevity_penalty)
{
  BleuScore s = score_one("the cat sat on", "the cat sat on the mat");
  ck_assert_double_eq_tol(s.bp, 0.6065306597126334, 1e-15);
  ck_assert_double_eq_tol(s.bleu, 60.65306597126334, 1e-12);
  ck_assert_double_eq_tol(s.ratio, 4.0 / 6.0, 1e-15);
  s = score_one("", "the cat");
  ck_assert_double_eq(s.bleu, 0.0);
  ck_assert_double_eq(s.bp, 0.0);
}
END_TEST

/* The book's example: "the the the cat" against "the cat sat": p1 = 2/4
   (the is clipped to one), p2 = 1/3, p3 = 0/2. */
START_TEST(bleu_clipping_of_the_book)
{
  int hyp[] = {0, 0, 0, 1}, ref[] = {0, 1, 2}, len = 3;
  const int *refs[] = {ref};
  long want_m[] = {2, 1, 0, 0}, want_t[] = {4, 3, 2, 1};
  for (int n = 1; n <= 4; n++) {
    long m = 0, t = 0;
    ngram_matches(hyp, 4, refs, &len, 1, n, &m, &t);
    ck_assert_int_eq(m, want_m[n - 1]);
    ck_assert_int_eq(t, want_t[n - 1]);
  }
  /* two references: "the" clipped by the one that has it twice */
  int ref2[] = {0, 3, 0}, lens[] = {3, 3};
  const int *two[] = {ref, ref2};
  long m = 0, t = 0;
  ngram_matches(hyp, 4, two, lens, 2, 1, &m, &t);
  ck_assert_int_eq(m, 3);
  ck_assert_int_eq(t, 4);
}
END_TEST

/* The closest reference length, ties to the shorter: a hypothesis of 4
   words with references of 3 and 5 words counts 3; with 2 and 5, 5. */
START_TEST(bleu_closest_reference_ties_to_the_shorter)
{
  const char *h = "a b c d";
  const char *const r1[] = {"a b c d e", "a b c"};
  const char *const *const all1[] = {r1};
  int two = 2;
  BleuStats b = score_lines(&h, all1, &two, 1);
  ck_assert_int_eq(b.ref_len, 3);
  const char *const r2[] = {"a b", "a b c d e"};
  const char *const *const all2[] = {r2};
  b = score_lines(&h, all2, &two, 1);
  ck_assert_int_eq(b.ref_len, 5);
}
END_TEST

/* ---- Beam search over a fake model ---- */

/* The log-probabilities depend on the previous word only (a V x V table);
   the state is one float, the step number; the attention of step t is all
   on position t mod S. */
typedef struct {
  Decoder d;
  double table[8][8];
} Fake;

static void fake_step(Decoder *d, int n, const int *sent, const int *prev, const float *state,
  float *logp, float *new_state, float *attn)
{
  Fake *f = (Fake *) d;
  for (int j = 0; j < n; j++) {
    for (int v = 0; v < d->V; v++) logp[(size_t) j * d->V + v] = (float) f->table[prev[j]][v];
    new_state[j] = state[j] + 1.0f;
    for (int i = 0; i < d->S; i++) attn[(size_t) j * d->S + i] = i == (int) state[j] % d->S;
    (void) sent;
  }
}

static Fake fake(int V, const double p[][8])
{
  Fake f;
  memset(&f, 0, sizeof f);
  f.d = (Decoder) {V, 3, 1, SOS_TOKEN, EOS_TOKEN, -1, NULL, fake_step, NULL};
  for (int a = 0; a < V; a++)
    for (int b = 0; b < V; b++) f.table[a][b] = log(p[a][b]);
  return f;
}

static int run_beam(Fake *f, int K, int M, int N, int penalty, Hypothesis *y)
{
  BeamOptions o = {K, M, N, penalty, 0.6};
  float init = 0.0f;
  int found = 0;
  beam_search(&f->d, 1, &init, &o, y, &found);
  return found;
}

/* Words: <SOS>=0 <EOS>=1 a=2 b=3. The book's example: greedy takes a (0.6),
   then <EOS> (0.4): 0.24; "b" has 0.4 x 0.9 = 0.36. */
static const double example[4][8] = {
  {1e-6, 1e-6, 0.6, 0.4}, {1e-6, 1e-6, 1e-6, 1e-6}, {1e-6, 0.4, 0.3, 0.3},
  {1e-6, 0.9, 0.05, 0.05}};

START_TEST(beam_finds_what_greedy_misses)
{
  Fake f = fake(4, example);
  Hypothesis y[2];
  ck_assert_int_eq(run_beam(&f, 1, 5, 1, LP_NONE, y), 1);
  ck_assert_int_eq(y[0].len, 1);
  ck_assert_int_eq(y[0].word[0], 2);
  ck_assert_int_eq(y[0].ended, 1);
  ck_assert_double_eq_tol(y[0].logprob, (double) (float) log(0.6) + (double) (float) log(0.4), 1e-12);
  hypotheses_free(y, 1);
  ck_assert_int_eq(run_beam(&f, 2, 5, 2, LP_NONE, y), 2);
  ck_assert_int_eq(y[0].len, 1);
  ck_assert_int_eq(y[0].word[0], 3);
  ck_assert_double_eq_tol(exp(y[0].logprob), 0.36, 1e-6);
  ck_assert_int_eq(y[1].word[0], 2);
  ck_assert_double_eq_tol(exp(y[1].logprob), 0.24, 1e-6);
  hypotheses_free(y, 2);
}
END_TEST

/* a and b equally likely at the first step, then <EOS> for sure: beam 1
   takes a (the lower number), beam 2 returns a then b with equal scores. */
START_TEST(beam_ties_go_to_the_lower_word)
{
  static const double p[4][8] = {{1e-6, 1e-6, 0.5, 0.5}, {1, 1, 1, 1}, {1e-6, 0.99, 1e-3, 1e-3},
    {1e-6, 0.99, 1e-3, 1e-3}};
  Fake f = fake(4, p);
  Hypothesis y[2];
  run_beam(&f, 1, 5, 1, LP_WU, y);
  ck_assert_int_eq(y[0].word[0], 2);
  hypotheses_free(y, 1);
  ck_assert_int_eq(run_beam(&f, 2, 5, 2, LP_WU, y), 2);
  ck_assert_int_eq(y[0].word[0], 2);
  ck_assert_int_eq(y[1].word[0], 3);
  ck_assert_double_eq(y[0].score, y[1].score);
  hypotheses_free(y, 2);
}
END_TEST

START_TEST(beam_eos_at_the_first_step)
{
  static const double p[4][8] = {{1e-6, 0.7, 0.2, 0.1}, {1, 1, 1, 1}, {1e-6, 0.9, 0.05, 0.05},
    {1e-6, 0.9, 0.05, 0.05}};
  Fake f = fake(4, p);
  Hypothesis y[3];
  ck_assert_int_eq(run_beam(&f, 1, 5, 1, LP_NONE, y), 1);
  ck_assert_int_eq(y[0].len, 0);
  ck_assert_int_eq(y[0].ended, 1);
  hypotheses_free(y, 1);
  ck_assert_int_eq(run_beam(&f, 3, 5, 3, LP_NONE, y), 3);
  ck_assert_int_eq(y[0].len, 0);
  ck_assert_int_eq(y[1].len, 1);
  ck_assert_int_eq(y[1].word[0], 2);
  ck_assert_int_eq(y[2].word[0], 3);
  hypotheses_free(y, 3);
}
END_TEST

/* A random table over V=4 words, maximum length 3: there are 1+3+9 = 13
   translations that end with <EOS> and 27 of three words that do not. A
   beam of 50, larger than the vocabulary and than that count, returns all
   40, in the order of their scores; the scores are recomputed here. */
static double lp_of(int penalty, int steps)
{
  BeamOptions o = {1, 1, 1, penalty, 0.6};
  return length_penalty(&o, steps);
}

static double path_logprob(const Fake *f, const int *w, int n, int ended)
{
  double s = 0.0;
  int prev = SOS_TOKEN;
  for (int t = 0; t < n; t++) s += (double) (float) f->table[prev][w[t]], prev = w[t];
  if (ended) s += (double) (float) f->table[prev][EOS_TOKEN];
  return s;
}

START_TEST(beam_larger_than_the_vocabulary_is_exhaustive)
{
  double p[4][8];
  srand(7);
  for (int a = 0; a < 4; a++) for (int b = 0; b < 4; b++) p[a][b] = 0.05 + rand() / (double) RAND_MAX;
  Fake f = fake(4, (const double (*)[8]) p);
  for (int penalty = LP_NONE; penalty <= LP_WU; penalty++) {
    Hypothesis y[50];
    int found = run_beam(&f, 50, 3, 50, penalty, y);
    ck_assert_int_eq(found, 40);
    int ends[4] = {0};
    for (int i = 0; i < found; i++) {
      double want = path_logprob(&f, y[i].word, y[i].len, y[i].ended);
      ck_assert_double_eq_tol(y[i].logprob, want, 1e-12);
      ck_assert_double_eq_tol(y[i].score, want / lp_of(penalty, y[i].len + y[i].ended), 1e-12);
      if (i > 0) ck_assert(y[i - 1].score >= y[i].score);
      ck_assert_int_eq(y[i].ended, y[i].len < 3);
      for (int t = 0; t < y[i].len; t++) ck_assert_int_ne(y[i].word[t], EOS_TOKEN);
      ends[y[i].len]++;
    }
    ck_assert_int_eq(ends[0], 1);
    ck_assert_int_eq(ends[1], 3);
    ck_assert_int_eq(ends[2], 9);
    ck_assert_int_eq(ends[3], 27);
    hypotheses_free(y, found);
  }
}
END_TEST

/* --n-best order: the N best of a beam of 6 are the first N of its list,
   in order of score, and a larger N never changes the first ones. */
START_TEST(beam_n_best_order)
{
  double p[6][8];
  srand(11);
  for (int a = 0; a < 6; a++) for (int b = 0; b < 6; b++) p[a][b] = 0.01 + rand() / (double) RAND_MAX;
  Fake f = fake(6, (const double (*)[8]) p);
  Hypothesis all[6], two[2];
  int n_all = run_beam(&f, 6, 4, 6, LP_AVG, all), n_two = run_beam(&f, 6, 4, 2, LP_AVG, two);
  ck_assert_int_eq(n_all, 6);
  ck_assert_int_eq(n_two, 2);
  for (int i = 0; i < 2; i++) {
    ck_assert_int_eq(all[i].len, two[i].len);
    ck_assert_mem_eq(all[i].word, two[i].word, (size_t) all[i].len * sizeof(int));
    ck_assert_double_eq(all[i].score, two[i].score);
  }
  for (int i = 1; i < n_all; i++) ck_assert(all[i - 1].score >= all[i].score);
  hypotheses_free(all, n_all);
  hypotheses_free(two, n_two);
}
END_TEST

/* The length penalties: none is 1, avg the length, Wu's ((5+n)/6)^alpha. */
START_TEST(length_penalties)
{
  ck_assert_double_eq(lp_of(LP_NONE, 7), 1.0);
  ck_assert_double_eq(lp_of(LP_AVG, 7), 7.0);
  ck_assert_double_eq_tol(lp_of(LP_WU, 7), pow(2.0, 0.6), 1e-15);
  ck_assert_double_eq_tol(lp_of(LP_WU, 1), 1.0, 1e-15);
}
END_TEST

/* --replace-unk: the <UNK> of step t is replaced by the source word at
   position t mod S (where the fake model attends). */
START_TEST(replace_unk_copies_the_attended_word)
{
  static const double p[4][8] = {{1e-6, 1e-6, 0.1, 0.9}, {1, 1, 1, 1}, {1e-6, 0.9, 0.05, 0.05},
    {1e-6, 0.1, 0.1, 0.8}};
  Fake f = fake(4, p);
  f.d.unk = 3;
  Hypothesis y[1];
  run_beam(&f, 1, 2, 1, LP_NONE, y);
  ck_assert_int_eq(y[0].len, 2);
  Vocab v;
  vocab_init(&v);
  vocab_add(&v, "a");
  vocab_add(&v, "<UNK>");
  char *src[] = {"paris", "london"};
  char *plain = hypothesis_words(&f.d, &v, &y[0], src, 2, 0);
  char *copied = hypothesis_words(&f.d, &v, &y[0], src, 2, 1);
  ck_assert_str_eq(plain, "<UNK> <UNK>");
  ck_assert_str_eq(copied, "paris london");
  free(plain);
  free(copied);
  vocab_free(&v);
  hypotheses_free(y, 1);
}
END_TEST

/* ---- Beam 1 is greedy decoding, on the notebook's model ---- */

static void seed_model(Model *m, uint64_t seed, int H)
{
  PairList pl;
  Vocab vin, vout;
  pairs_seed(&pl);
  pairs_vocabularies(&pl, &vin, &vout);
  Config cfg = {vin.n, vout.n, H, DEFAULT_MAX_LENGTH};
  model_alloc(m, &cfg, &vin, &vout);
  model_init_random(m, seed);
  pairs_free(&pl);
}

START_TEST(beam_1_is_greedy_bit_for_bit)
{
  static const int src[5][4] = {{2, 3, 4, 5}, {6, 7, 4, 8}, {9, 7, 4, 10}, {11, 12, 13}, {14, 12, 15}};
  static const int len[5] = {4, 4, 4, 3, 3};
  for (uint64_t seed = 1; seed <= 6; seed++) {
    Model m;
    seed_model(&m, seed, seed % 2 ? 128 : 24);
    int L = m.cfg.L, H = m.cfg.H;
    Decoder *d = model_decoder(&m);
    const int *sp[5];
    for (int k = 0; k < 5; k++) sp[k] = src[k];
    float *init = xcalloc((size_t) 5 * H, sizeof(float));
    BeamOptions o = {1, L, 1, LP_WU, 0.6};
    Hypothesis y[5];
    int found[5];
    d->encode(d, sp, len, 5, init);
    beam_search(d, 5, init, &o, y, found); /* all five sentences in one search */
    for (int k = 0; k < 5; k++) {
      int out[64], n = greedy_decode(&m, src[k], len[k], out, NULL);
      float attn[64 * 64];
      greedy_decode(&m, src[k], len[k], out, attn);
      ck_assert_int_eq(found[k], 1);
      ck_assert_int_eq(y[k].len, n);
      ck_assert_mem_eq(y[k].word, out, (size_t) n * sizeof(int));
      ck_assert_mem_eq(y[k].attn, attn, (size_t) n * L * sizeof(float));
    }
    hypotheses_free(y, 5);
    free(init);
    d->release(d);
    model_free(&m);
  }
}
END_TEST

/* Many sentences in one search give what each gives alone, beam 4. */
START_TEST(beam_batched_over_sentences_is_the_same)
{
  static const int src[3][4] = {{2, 3, 4, 5}, {11, 12, 13}, {6, 7, 4, 8}};
  static const int len[3] = {4, 3, 4};
  Model m;
  seed_model(&m, 3, 32);
  Decoder *d = model_decoder(&m);
  BeamOptions o = {4, m.cfg.L, 4, LP_AVG, 0.6};
  const int *sp[3] = {src[0], src[1], src[2]};
  float init[3 * 32];
  Hypothesis all[12], one[4];
  int found[3], f1;
  d->encode(d, sp, len, 3, init);
  beam_search(d, 3, init, &o, all, found);
  for (int k = 0; k < 3; k++) {
    d->encode(d, &sp[k], &len[k], 1, init);
    beam_search(d, 1, init, &o, one, &f1);
    ck_assert_int_eq(f1, found[k]);
    for (int i = 0; i < f1; i++) {
      const Hypothesis *a = &all[k * 4 + i];
      ck_assert_int_eq(a->len, one[i].len);
      ck_assert_mem_eq(a->word, one[i].word, (size_t) a->len * sizeof(int));
      ck_assert_double_eq(a->score, one[i].score);
    }
    hypotheses_free(one, f1);
    hypotheses_free(all + k * 4, found[k]);
  }
  d->release(d);
  model_free(&m);
}
END_TEST

/* The scores the beam reports are the model's: each of the 4 best
   translations of a random model, fed back through the teacher-forced
   forward pass (seq2seq_forward, with <EOS> after the words when the
   translation ended), has a loss equal to minus its log-probability. */
START_TEST(beam_scores_are_the_models_log_probabilities)
{
  static const int src[] = {6, 7, 4, 8};
  Model m;
  seed_model(&m, 9, 32);
  Decoder *d = model_decoder(&m);
  BeamOptions o = {4, m.cfg.L, 4, LP_NONE, 0.6};
  const int *sp[1] = {src};
  int len = 4, found;
  float init[32];
  Hypothesis y[4];
  d->encode(d, sp, &len, 1, init);
  beam_search(d, 1, init, &o, y, &found);
  ck_assert_int_eq(found, 4);
  for (int i = 0; i < found; i++) {
    Example ex;
    memset(&ex, 0, sizeof ex);
    memcpy(ex.src, src, sizeof src);
    ex.src_len = 4;
    memcpy(ex.tgt, y[i].word, (size_t) y[i].len * sizeof(int));
    ex.tgt_len = y[i].len;
    if (y[i].ended) ex.tgt[ex.tgt_len++] = EOS_TOKEN;
    double loss = seq2seq_forward(&m, &ex);
    ck_assert_msg(fabs(loss + y[i].logprob) <= 1e-4 * (1.0 + fabs(loss)),
      "translation %d: teacher-forced loss %.9g, beam log-probability %.9g", i, loss, y[i].logprob);
    ck_assert_double_eq(y[i].score, y[i].logprob);
  }
  hypotheses_free(y, found);
  d->release(d);
  model_free(&m);
}
END_TEST

/* ---- Part II's kinds: the batched model's decoder ---- */

enum { BV_IN = 12, BV_OUT = 14, BH = 16, BN = 7 };
static const int bsrc[BN][6] = {{4, 5, 6, EOS_TOKEN}, {7, EOS_TOKEN}, {8, 4, 5, 6, 7, EOS_TOKEN},
  {5, 5, EOS_TOKEN}, {9, 10, 11, 3, EOS_TOKEN}, {11, EOS_TOKEN}, {6, 9, 4, EOS_TOKEN}};
static const int bsrc_len[BN] = {4, 2, 6, 3, 5, 2, 4};

/* A random model of a kind, for batches of B_cap; the output biases of <SOS>
   and <PAD> are set to `special` (very low: greedy never takes them; very
   high: greedy always does). */
static void random_bmodel(BModel *bm, int kind, uint64_t seed, int B_cap, float special)
{
  Vocab vin, vout;
  vocab_init(&vin);
  vocab_init(&vout);
  vocab_add(&vin, "<PAD>"), vocab_add(&vin, "<UNK>");
  vocab_add(&vout, "<PAD>"), vocab_add(&vout, "<UNK>");
  char w[16];
  for (int k = 4; k < BV_IN; k++) { snprintf(w, sizeof w, "s%d", k); vocab_add(&vin, w); }
  for (int k = 4; k < BV_OUT; k++) { snprintf(w, sizeof w, "t%d", k); vocab_add(&vout, w); }
  Config cfg = {BV_IN, BV_OUT, BH, DEFAULT_MAX_LENGTH};
  bmodel_alloc(bm, &cpu_backend, kind, 4, &cfg, &vin, &vout, B_cap);
  bmodel_init_random(bm, seed);
  /* larger attention parameters, so that the weights are far from uniform */
  for (size_t i = bm->off[P_DEC_EMB + 1]; i < bm->off[P_DEC_W_IH]; i++) bm->p[i] *= 3.0f;
  bm->p[bm->off[P_OUT_B] + SOS_TOKEN] = bm->p[bm->off[P_OUT_B] + PAD_TOKEN] = special;
}

static void bexamples(Example *ex)
{
  memset(ex, 0, BN * sizeof *ex);
  for (int k = 0; k < BN; k++) {
    memcpy(ex[k].src, bsrc[k], (size_t) bsrc_len[k] * sizeof(int));
    ex[k].src_len = bsrc_len[k];
  }
}

/* Beam 1 over all seven sentences (encoded and stepped three at a time) gives
   greedy decoding's words and attention, for every kind and a few seeds. */
START_TEST(bmodel_beam_1_is_greedy)
{
  for (int kind = KIND_BAHDANAU; kind < N_KINDS; kind++)
    for (uint64_t seed = 1; seed <= 4; seed++) {
      BModel bm;
      random_bmodel(&bm, kind, seed, 3, -40.0f);
      int L = bm.cfg.L, out[BN * 16], len[BN], found[BN];
      float *attn = xcalloc((size_t) BN * L * L, sizeof(float));
      Example ex[BN];
      bexamples(ex);
      bmodel_greedy(&bm, ex, BN, out, len, attn);
      Decoder *d = bmodel_decoder(&bm);
      const int *sp[BN];
      for (int k = 0; k < BN; k++) sp[k] = bsrc[k];
      float *init = xcalloc((size_t) BN * d->state_floats, sizeof(float));
      BeamOptions o = {1, L, 1, LP_WU, 0.6};
      Hypothesis y[BN];
      d->encode(d, sp, bsrc_len, BN, init);
      beam_search(d, BN, init, &o, y, found);
      for (int k = 0; k < BN; k++) {
        ck_assert_int_eq(found[k], 1);
        ck_assert_msg(y[k].len == len[k], "%s seed %d sentence %d: beam %d words, greedy %d",
          kind_names[kind], (int) seed, k, y[k].len, len[k]);
        ck_assert_mem_eq(y[k].word, out + k * L, (size_t) len[k] * sizeof(int));
        for (int t = 0; t < len[k]; t++)
          for (int s = 0; s < L; s++)
            ck_assert_msg(fabsf(y[k].attn[t * L + s] - attn[((size_t) k * L + t) * L + s]) <= 1e-6f,
              "%s sentence %d word %d position %d: attention %g, greedy %g", kind_names[kind], k,
              t, s, y[k].attn[t * L + s], attn[((size_t) k * L + t) * L + s]);
      }
      hypotheses_free(y, BN);
      free(init), free(attn);
      d->release(d);
      bmodel_free(&bm);
    }
}
END_TEST

/* A model that prefers <SOS> and <PAD> above all: greedy writes them, the
   beam never does. */
START_TEST(bmodel_beam_never_writes_pad_or_sos)
{
  for (int kind = KIND_BAHDANAU; kind < N_KINDS; kind++) {
    BModel bm;
    random_bmodel(&bm, kind, 5, 4, 40.0f);
    int L = bm.cfg.L, out[BN * 16], len[BN], found[BN];
    Example ex[BN];
    bexamples(ex);
    bmodel_greedy(&bm, ex, BN, out, len, NULL);
    ck_assert_int_gt(len[0], 0);
    ck_assert(out[0] == SOS_TOKEN || out[0] == PAD_TOKEN);
    Decoder *d = bmodel_decoder(&bm);
    const int *sp[BN];
    for (int k = 0; k < BN; k++) sp[k] = bsrc[k];
    float *init = xcalloc((size_t) BN * d->state_floats, sizeof(float));
    BeamOptions o = {3, L, 3, LP_NONE, 0.6};
    Hypothesis y[BN * 3];
    d->encode(d, sp, bsrc_len, BN, init);
    beam_search(d, BN, init, &o, y, found);
    for (int k = 0; k < BN; k++) {
      ck_assert_int_eq(found[k], 3);
      for (int i = 0; i < 3; i++) {
        const Hypothesis *h = &y[k * 3 + i];
        ck_assert(isfinite(h->logprob));
        for (int t = 0; t < h->len; t++)
          ck_assert(h->word[t] != SOS_TOKEN && h->word[t] != PAD_TOKEN);
      }
      hypotheses_free(y + k * 3, found[k]);
    }
    free(init);
    d->release(d);
    bmodel_free(&bm);
  }
}
END_TEST

/* The beam's log-probabilities are the model's: each of the 4 best
   translations of every sentence, fed back as a target through the
   teacher-forced forward pass (with <EOS> when it ended), has a loss equal to
   minus its log-probability. The seven sentences share one search, so a
   hypothesis that read another sentence's keys, or the wrong state, fails. */
START_TEST(bmodel_beam_scores_are_the_models_log_probabilities)
{
  for (int kind = KIND_BAHDANAU; kind < N_KINDS; kind++) {
    BModel bm;
    random_bmodel(&bm, kind, 9, 5, -40.0f);
    int found[BN];
    Decoder *d = bmodel_decoder(&bm);
    const int *sp[BN];
    for (int k = 0; k < BN; k++) sp[k] = bsrc[k];
    float *init = xcalloc((size_t) BN * d->state_floats, sizeof(float));
    BeamOptions o = {4, bm.cfg.L, 4, LP_NONE, 0.6};
    Hypothesis y[BN * 4];
    d->encode(d, sp, bsrc_len, BN, init);
    beam_search(d, BN, init, &o, y, found);
    for (int k = 0; k < BN; k++)
      for (int i = 0; i < found[k]; i++) {
        const Hypothesis *h = &y[k * 4 + i];
        Example ex;
        memset(&ex, 0, sizeof ex);
        memcpy(ex.src, bsrc[k], (size_t) bsrc_len[k] * sizeof(int));
        ex.src_len = bsrc_len[k];
        memcpy(ex.tgt, h->word, (size_t) h->len * sizeof(int));
        ex.tgt_len = h->len;
        if (h->ended) ex.tgt[ex.tgt_len++] = EOS_TOKEN;
        Batch bt;
        batch_upload(&bm, &ex, NULL, 1, &bt);
        bmodel_take_loss(&bm);
        bmodel_forward(&bm, &bt, 0.0f);
        double loss = bmodel_take_loss(&bm);
        ck_assert_msg(fabs(loss + h->logprob) <= 1e-4 * (1.0 + fabs(loss)),
          "%s sentence %d translation %d: teacher-forced loss %.9g, beam log-probability %.9g",
          kind_names[kind], k, i, loss, h->logprob);
      }
    for (int k = 0; k < BN; k++) hypotheses_free(y + k * 4, found[k]);
    free(init);
    d->release(d);
    bmodel_free(&bm);
  }
}
END_TEST

/* ---- The split ---- */

static void push(PairList *pl, const char *en, const char *fr)
{
  if (pl->n == pl->cap) {
    pl->cap = pl->cap ? 2 * pl->cap : 16;
    pl->pair = xrealloc(pl->pair, (size_t) pl->cap * sizeof *pl->pair);
  }
  pl->pair[pl->n] = (Pair) {xstrdup(en), xstrdup(fr), pl->n + 1};
  pl->n++;
}

START_TEST(group_sources_by_first_appearance)
{
  PairList pl = {0};
  pl.origin = xstrdup("test");
  const char *en[] = {"b", "a", "b", "c", "a", "b"};
  for (int k = 0; k < 6; k++) push(&pl, en[k], "x");
  int g, *group = pairs_group_sources(&pl, &g);
  int want[] = {0, 1, 0, 2, 1, 0};
  ck_assert_int_eq(g, 3);
  for (int k = 0; k < 6; k++) ck_assert_int_eq(group[k], want[k]);
  free(group);
  pairs_free(&pl);
}
END_TEST

START_TEST(split_is_disjoint_by_sentence_and_deterministic)
{
  PairList pl = {0};
  pl.origin = xstrdup("test");
  char en[32], fr[32];
  for (int k = 0; k < 1000; k++) {
    snprintf(en, sizeof en, "s%d", (k * 7919) % 400); /* 400 sentences, 2 or 3 pairs each */
    snprintf(fr, sizeof fr, "f%d", k);
    push(&pl, en, fr);
  }
  int part[1000], again[1000], other[1000], counts[3][2], c2[3][2];
  ck_assert_int_eq(pairs_split(&pl, 0.1, 0.2, 5, part, counts), 0);
  ck_assert_int_eq(pairs_split(&pl, 0.1, 0.2, 5, again, c2), 0);
  ck_assert_int_eq(pairs_split(&pl, 0.1, 0.2, 6, other, c2), 0);
  ck_assert_mem_eq(part, again, sizeof part);
  ck_assert(memcmp(part, other, sizeof part) != 0);
  ck_assert_int_eq(counts[2][0], 40);
  ck_assert_int_eq(counts[1][0], 80);
  ck_assert_int_eq(counts[0][0], 280);
  ck_assert_int_eq(counts[0][1] + counts[1][1] + counts[2][1], 1000);
  for (int i = 0; i < 1000; i++)
    for (int j = i + 1; j < 1000; j++)
      if (strcmp(pl.pair[i].src, pl.pair[j].src) == 0) ck_assert_int_eq(part[i], part[j]);
  ck_assert_int_eq(pairs_split(&pl, 0.5, 0.5, 5, part, counts), -1);
  ck_assert_str_eq(kit_error(), "the test and validation shares take all 400 English sentences");
  pairs_free(&pl);
}
END_TEST

static Suite *decode_suite(void)
{
  Suite *s = suite_create("decode");
  TCase *tc = tcase_create("bleu");
  tcase_add_test(tc, bleu_perfect_is_100);
  tcase_add_test(tc, bleu_of_the_book_worked_by_hand);
  tcase_add_test(tc, bleu_no_four_gram_is_0);
  tcase_add_test(tc, bleu_short_candidate_gets_the_brevity_penalty);
  tcase_add_test(tc, bleu_clipping_of_the_book);
  tcase_add_test(tc, bleu_closest_reference_ties_to_the_shorter);
  suite_add_tcase(s, tc);
  tc = tcase_create("beam");
  tcase_add_test(tc, beam_finds_what_greedy_misses);
  tcase_add_test(tc, beam_ties_go_to_the_lower_word);
  tcase_add_test(tc, beam_eos_at_the_first_step);
  tcase_add_test(tc, beam_larger_than_the_vocabulary_is_exhaustive);
  tcase_add_test(tc, beam_n_best_order);
  tcase_add_test(tc, length_penalties);
  tcase_add_test(tc, replace_unk_copies_the_attended_word);
  tcase_add_test(tc, beam_1_is_greedy_bit_for_bit);
  tcase_add_test(tc, beam_batched_over_sentences_is_the_same);
  tcase_add_test(tc, beam_scores_are_the_models_log_probabilities);
  tcase_add_test(tc, bmodel_beam_1_is_greedy);
  tcase_add_test(tc, bmodel_beam_never_writes_pad_or_sos);
  tcase_add_test(tc, bmodel_beam_scores_are_the_models_log_probabilities);
  tcase_set_timeout(tc, 30);
  suite_add_tcase(s, tc);
  tc = tcase_create("split");
  tcase_add_test(tc, group_sources_by_first_appearance);
  tcase_add_test(tc, split_is_disjoint_by_sentence_and_deterministic);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(decode_suite());
}

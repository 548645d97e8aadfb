/* Exercise 12, public tests: BLEU's clipped n-gram matches.

   The worker runs the student's ngram_matches on a candidate and its
   references and returns the matches and the n-gram count. The judge counts
   them itself from the definition, differently from the book's loop: the
   k-th occurrence (k = 1, 2, ...) of an n-gram g in the candidate is a match
   when k <= max_r c_r(g); the sum over occurrences is
   sum_g min(c(g), max_r c_r(g)). The two hand-worked cases are also checked
   against numbers written here. */
#include "judge.h"

static int same(const int *a, const int *b, int n)
{
  for (int k = 0; k < n; k++) if (a[k] != b[k]) return 0;
  return 1;
}

static void expected(const int *hyp, int h, const int *const *refs, const int *len, int nr, int n,
  long *match, long *total)
{
  *match = 0;
  *total = h >= n ? h - n + 1 : 0;
  for (int i = 0; i + n <= h; i++) {
    int k = 1, most = 0;
    for (int j = 0; j < i; j++) k += same(hyp + j, hyp + i, n);
    for (int r = 0; r < nr; r++) {
      int c = 0;
      for (int j = 0; j + n <= len[r]; j++) c += same(refs[r] + j, hyp + i, n);
      if (c > most) most = c;
    }
    *match += k <= most;
  }
}

/* Sends one case; checks the worker's two numbers against the judge's (and
   against want_match / want_total when they are not negative). */
static void check_case(const int *hyp, int h, const int *const *refs, const int *len, int nr, int n,
  long want_match, long want_total, const char *what)
{
  PBuf q = request("ngram_matches");
  pb_int(&q, h);
  pb_ints(&q, hyp, (size_t) h);
  pb_int(&q, nr);
  pb_ints(&q, len, (size_t) nr);
  for (int r = 0; r < nr; r++) pb_ints(&q, refs[r], (size_t) len[r]);
  pb_int(&q, n);
  Reply rp = call(&q);
  int m = reply_int(&rp, "matches"), t = reply_int(&rp, "n-grams");
  reply_free(&rp);
  long em, et;
  expected(hyp, h, refs, len, nr, n, &em, &et);
  if (want_match >= 0 && (em != want_match || et != want_total))
    ck_abort_msg("%s: the judge's own count is wrong (a judge bug)", what);
  if (t != et)
    ck_abort_msg("%s, n = %d: *total grew by %d, expected %ld (the line before your section does "
      "this: did your code change *total?)", what, n, t, et);
  if (m != em)
    ck_abort_msg("%s, n = %d: %d clipped matches, expected %ld", what, n, m, em);
}

/* "the the the cat" against "the cat sat" (the=0, cat=1, sat=2): p1 = 2/4,
   p2 = 1/3, p3 = 0/2, p4 = 0/1. */
JTEST(the_book_example)
{
  static const int hyp[] = {0, 0, 0, 1}, ref[] = {0, 1, 2}, len[] = {3};
  const int *refs[] = {ref};
  static const long m[] = {2, 1, 0, 0}, t[] = {4, 3, 2, 1};
  for (int n = 1; n <= 4; n++) check_case(hyp, 4, refs, len, 1, n, m[n - 1], t[n - 1],
    "\"the the the cat\" against \"the cat sat\"");
}

/* "a b a b a b" against "a b a" and "b a b a b": unigrams 5 of 6 (a is
   clipped to 2), bigrams 4 of 5, trigrams 3 of 4, 4-grams 2 of 3. */
JTEST(repeated_ngrams_and_two_references)
{
  static const int hyp[] = {0, 1, 0, 1, 0, 1}, r1[] = {0, 1, 0}, r2[] = {1, 0, 1, 0, 1}, len[] = {3, 5};
  const int *refs[] = {r1, r2};
  static const long m[] = {5, 4, 3, 2}, t[] = {6, 5, 4, 3};
  for (int n = 1; n <= 4; n++) check_case(hyp, 6, refs, len, 2, n, m[n - 1], t[n - 1],
    "\"a b a b a b\" against \"a b a\" and \"b a b a b\"");
}

static const Graded public_tests[] = {
  GRADED(the_book_example, 1, 3, "the book's example, n = 1 to 4"),
  GRADED(repeated_ngrams_and_two_references, 1, 3, "repeated n-grams, two references"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

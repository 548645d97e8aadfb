/* Exercise 12, hidden tests: the clipping by the reference with the most
   copies, candidates shorter than n, no references, an empty candidate, and
   random sentences over small vocabularies (so that n-grams repeat). */
#define WITH_HIDDEN
#include "public.c"

/* "x x x x" against references of one to five x's: clipped by the largest
   count, 4 unigram matches; against references of one and two x's, 2. */
JTEST(clipped_by_the_reference_with_most_copies)
{
  static const int hyp[] = {7, 7, 7, 7}, x5[] = {7, 7, 7, 7, 7};
  const int *refs[] = {x5, x5, x5, x5, x5};
  static const int len5[] = {1, 2, 3, 4, 5}, len2[] = {1, 2};
  check_case(hyp, 4, refs, len5, 5, 1, 4, 4, "\"x x x x\" against one to five x's");
  check_case(hyp, 4, refs, len5, 5, 2, 3, 3, "\"x x x x\" against one to five x's");
  check_case(hyp, 4, refs, len2, 2, 1, 2, 4, "\"x x x x\" against \"x\" and \"x x\"");
  check_case(hyp, 4, refs, len2, 2, 2, 1, 3, "\"x x x x\" against \"x\" and \"x x\"");
}

JTEST(short_empty_and_without_references)
{
  static const int hyp[] = {1, 2, 3}, ref[] = {1, 2, 3, 4}, len[] = {4};
  const int *refs[] = {ref};
  check_case(hyp, 3, refs, len, 1, 4, 0, 0, "a candidate of three words, n = 4");
  check_case(hyp, 3, refs, len, 1, 3, 1, 1, "a candidate of three words, n = 3");
  check_case(hyp, 0, refs, len, 1, 1, 0, 0, "an empty candidate");
  check_case(hyp, 3, refs, len, 0, 1, 0, 3, "a candidate without references");
}

JTEST(random_sentences)
{
  rng_seed(12012);
  for (int k = 0; k < 80; k++) {
    int vocab = 2 + (int) (unif() * 6), h = (int) (unif() * 25), nr = 1 + (int) (unif() * 4);
    int hyp[32], store[4][32], len[4];
    const int *refs[4];
    for (int i = 0; i < h; i++) hyp[i] = (int) (unif() * vocab);
    for (int r = 0; r < nr; r++) {
      len[r] = (int) (unif() * 30);
      for (int i = 0; i < len[r]; i++) store[r][i] = unif() < 0.5 && i < h ? hyp[i] : (int) (unif() * vocab);
      refs[r] = store[r];
    }
    char what[120];
    snprintf(what, sizeof what, "random case %d (%d words, %d references, %d distinct words)",
      k + 1, h, nr, vocab);
    check_case(hyp, h, refs, len, nr, 1 + k % 4, -1, -1, what);
  }
}

static const Graded hidden_tests[] = {
  GRADED(clipped_by_the_reference_with_most_copies, 1, 3, "clipping by the largest reference count"),
  GRADED(short_empty_and_without_references, 1, 3, "short and empty candidates, no references"),
  GRADED(random_sentences, 2, 20, "80 random candidates and references"),
};

JUDGE_MAIN(public_tests, hidden_tests)

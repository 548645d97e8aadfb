/* Exercise 3, hidden tests (kept for grading, never shipped): more sizes and
   scales, rows of one score, equal scores, tiny probabilities, and rows that
   must be computed independently of each other. Same definitions and
   tolerances as public.c. */
#define WITH_HIDDEN
#include "public.c"

JTEST(softmax_many_rows_and_sizes)
{
  rng_seed(311);
  float *s = frand_array(7 * 13, 20);
  check_rows(0, s, 7, 13, "seven rows of 13 scores in [-20, 20]");
  free(s);
  s = frand_array(1000, 40);
  check_rows(0, s, 1, 1000, "one row of 1000 scores in [-40, 40]");
  free(s);
}

JTEST(log_softmax_many_rows_and_sizes)
{
  rng_seed(312);
  float *s = frand_array(9 * 11, 25);
  check_rows(1, s, 9, 11, "nine rows of 11 scores in [-25, 25]");
  free(s);
  s = frand_array(777, 60);
  check_rows(1, s, 1, 777, "one row of 777 scores in [-60, 60]");
  free(s);
}

JTEST(one_score_and_equal_scores)
{
  float one[1] = {-3.5f};
  check_rows(0, one, 1, 1, "a single score (its weight is 1)");
  float eq[12] = {-1000, -1000, -1000, -1000, -1000, -1000, 7, 7, 7, 7, 7, 7};
  check_rows(0, eq, 2, 6, "rows of equal scores (weights 1/6), one of them at -1000");
}

JTEST(log_softmax_of_tiny_probabilities)
{
  /* exp(-200) is 1.4e-87, below the smallest float: log(softmax) would give
     -inf where the answer is -200 */
  float s[6] = {0.0f, -200.0f, -90.0f, 100.0f, 100.0f, 20.0f};
  check_rows(1, s, 2, 3, "probabilities below the smallest float (log of a softmax gives -inf)");
  float one[1] = {42.0f};
  check_rows(1, one, 1, 1, "a single score (its log-probability is 0)");
}

JTEST(rows_are_independent)
{
  rng_seed(313);
  int B = 5, n = 8;
  float *s = frand_array((size_t) B * n, 4);
  for (int b = 0; b < B; b++)
    for (int i = 0; i < n; i++) s[b * n + i] = s[b * n + i] * (float) (1 + b) + 300.0f * (float) (b - 2);
  check_rows(0, s, B, n, "five rows with offsets -600 to 600 (each row has its own maximum)");
  check_rows(1, s, B, n, "five rows with offsets -600 to 600 (each row has its own maximum)");
  free(s);
}

static const Graded hidden_tests[] = {
  GRADED(softmax_many_rows_and_sizes, 1, 3, "softmax_forward of 7 x 13 and 1 x 1000 scores"),
  GRADED(log_softmax_many_rows_and_sizes, 1, 3, "log_softmax_forward of 9 x 11 and 1 x 777 scores"),
  GRADED(one_score_and_equal_scores, 1, 3, "softmax_forward of one score, and of equal scores"),
  GRADED(log_softmax_of_tiny_probabilities, 1, 3, "log_softmax_forward where probabilities underflow"),
  GRADED(rows_are_independent, 1, 3, "both functions on rows of very different offsets"),
};

JUDGE_MAIN(public_tests, hidden_tests)

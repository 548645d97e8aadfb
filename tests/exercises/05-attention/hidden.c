/* Exercise 5, hidden tests: a batch with the notebook's zero padding, the
   notebook's shape (L = 10, H = 128), weights that pick one row, and the
   loss of whole sentence pairs computed by the kit with the student's
   attention in the decoder (wholepair.h). */
#define WITH_HIDDEN
#include "public.c"
#include "wholepair.h"

JTEST(a_batch_with_padding)
{
  rng_seed(511);
  int B = 3, L = 10, H = 6, T[3] = {4, 10, 1};
  float *s = frand_array((size_t) B * L, 3), *O = frand_array((size_t) B * L * H, 1);
  for (int b = 0; b < B; b++)
    memset(O + ((size_t) b * L + T[b]) * H, 0, (size_t) (L - T[b]) * H * sizeof(float));
  check_attention(s, O, B, L, H, 3, "three rows of ten places, rows beyond each sentence's end zero");
}

JTEST(the_notebooks_shape)
{
  rng_seed(512);
  float *s = frand_array(10, 4), *O = frand_array(10 * 128, 1);
  check_attention(s, O, 1, 10, 128, 3, "L = 10, H = 128");
}

JTEST(one_large_score_picks_one_row)
{
  rng_seed(513);
  float s[8] = {0, 0, 0, 80, 0, 0, 0, 0}, *O = frand_array(8 * 5, 3);
  check_attention(s, O, 1, 8, 5, 3, "one score 80 above the others: the context is row 3");
}

JTEST(the_loss_of_whole_pairs)
{
  Pair a = random_pair(521, 7, 9, 8, 6, 4, 5);
  check_pair_loss(&a, "a pair of 4 and 5 words");
  Pair b = random_pair(522, 12, 15, 16, 10, 10, 3);
  check_pair_loss(&b, "a pair of 10 and 3 words");
}

static const Graded hidden_tests[] = {
  GRADED(a_batch_with_padding, 1, 3, "three rows with zero padding"),
  GRADED(the_notebooks_shape, 1, 3, "the notebook's L = 10, H = 128"),
  GRADED(one_large_score_picks_one_row, 1, 3, "a dominant score: the context is its row"),
  GRADED(the_loss_of_whole_pairs, 2, 3, "the loss of whole sentence pairs with your attention in the decoder"),
};

JUDGE_MAIN(public_tests, hidden_tests)

/* Exercise 8, hidden tests: a batch with padding, the notebook's shape,
   nearly one-hot weights, and the gradient of a whole sentence pair's loss
   with respect to the attention layer and the encoder, computed by the kit
   with the student's step in it, against finite differences (wholepair.h). */
#define WITH_HIDDEN
#include "public.c"
#include "wholepair.h"

JTEST(a_batch_with_padding)
{
  rng_seed(811);
  int pad[3] = {3, 10, 1};
  Case c = make_case(3, 10, 8, 3, pad, 1);
  check_case(&c, 3, "three rows of ten places with zero padding, H = 8");
}

JTEST(the_notebooks_shape)
{
  rng_seed(812);
  Case c = make_case(1, 10, 128, 3, NULL, 1);
  check_case(&c, 3, "L = 10, H = 128");
}

JTEST(nearly_one_hot_weights)
{
  rng_seed(813);
  Case c = make_case(2, 6, 4, 1, NULL, 0.5);
  c.s[2] += 25;        /* row 0: place 2 takes almost all the weight */
  c.s[6 + 5] += 18;    /* row 1: place 5 */
  for (int b = 0; b < 2; b++) {
    double *s = c.s + (size_t) b * 6, mx = -INFINITY, sum = 0;
    for (int i = 0; i < 6; i++) mx = fmax(mx, s[i]);
    for (int i = 0; i < 6; i++) sum += exp(s[i] - mx);
    for (int i = 0; i < 6; i++) c.w[(size_t) b * 6 + i] = (float) (exp(s[i] - mx) / sum);
  }
  check_case(&c, 3, "weights near one-hot (one score 25 or 18 above the rest)");
}

JTEST(the_gradient_of_a_whole_pair)
{
  Pair x = random_pair(821, 7, 9, 6, 6, 4, 5);
  static const int tensors[5] = {R_ATTN_W, R_ATTN_B, R_ENC_W_IH, R_ENC_W_HH, R_ENC_EMB};
  static const char *const names[5] = {"decoder.attn.weight", "decoder.attn.bias",
    "encoder.gru.weight_ih_l0", "encoder.gru.weight_hh_l0", "encoder.embedding.weight"};
  check_pair_gradient(&x, tensors, 5, names, "a pair of 4 and 5 words through the whole model");
}

static const Graded hidden_tests[] = {
  GRADED(a_batch_with_padding, 2, 3, "three rows with padding"),
  GRADED(the_notebooks_shape, 2, 3, "the notebook's L = 10, H = 128"),
  GRADED(nearly_one_hot_weights, 1, 3, "weights near one-hot: tiny score gradients, still right"),
  GRADED(the_gradient_of_a_whole_pair, 3, 6, "a whole pair's gradient of the attention and the encoder against finite differences"),
};

JUDGE_MAIN(public_tests, hidden_tests)

/* Exercise 10, hidden tests: decodings that stop after one and after five
   words, a dozen random models of many sizes, the attention rows of every
   word, and the longest sentences the kit allows (L = 40). */
#define WITH_HIDDEN
#include "public.c"

JTEST(stops_after_one_word_and_after_five)
{
  Model x = find_model(1011, 8, 12, 8, 8, 3, 1.5, 1);
  check_decoding(&x, "a random model that says one word");
  Model y = find_model(1012, 8, 12, 8, 8, 5, 0.5, 5);
  check_decoding(&y, "a random model that says five words");
}

JTEST(a_dozen_random_models)
{
  for (int k = 0; k < 12; k++) {
    rng_seed(1020 + (uint64_t) k);
    int H = 3 + (int) (unif() * 14), L = 3 + (int) (unif() * 10), V_out = 4 + (int) (unif() * 27),
      V_in = 3 + (int) (unif() * 18), T = 1 + (int) (unif() * L);
    Model x = find_model(2000 + 100 * (uint64_t) k, V_in, V_out, H, L, T, 1.0, -1);
    char what[120];
    snprintf(what, sizeof what, "random model %d of 12 (H = %d, L = %d, %d French words, %d source words)",
      k + 1, H, L, V_out, T);
    check_decoding(&x, what);
  }
}

JTEST(attention_rows_of_every_word)
{
  Model x = find_model(1013, 10, 15, 12, 10, 9, -0.5, 8);
  check_decoding(&x, "a random model that says eight words from nine");
}

JTEST(the_longest_sentences)
{
  rng_seed(1014);
  Model x = random_model(12, 20, 8, 40, 40, -1e4);  /* <EOS> impossible */
  int out[64], n;
  if (reference(&x, out, &n, NULL) <= 1e-3) {
    free(x.p);
    x = find_model(1015, 12, 20, 8, 40, 40, -1e4, 40);
  }
  check_decoding(&x, "L = 40 and <EOS> impossible: 40 words");
}

static const Graded hidden_tests[] = {
  GRADED(stops_after_one_word_and_after_five, 1, 3, "decodings of one and of five words"),
  GRADED(a_dozen_random_models, 1, 6, "twelve random models of many sizes"),
  GRADED(attention_rows_of_every_word, 0.5, 3, "eight words and their attention rows"),
  GRADED(the_longest_sentences, 0.5, 3, "L = 40: forty words"),
};

JUDGE_MAIN(public_tests, hidden_tests)

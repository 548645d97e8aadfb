/* translate's input: one line of any bytes, through the tokenizer and a small
   random model of the notebook's vocabularies, with and without the
   attention rows. */
#include "fuzz.h"
#define main attention_main
#include "main.c"
#undef main

static Model fuzz_model;

static void fuzz_make_model(void)
{
  PairList pl;
  Vocab vin, vout;
  pairs_seed(&pl);
  pairs_vocabularies(&pl, &vin, &vout);
  Config c = {vin.n, vout.n, 8, DEFAULT_MAX_LENGTH};
  model_alloc(&fuzz_model, &c, &vin, &vout);
  model_init_random(&fuzz_model, 1);
  pairs_free(&pl);
  if (!freopen("/dev/null", "w", stdout)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
  if (!fuzz_model.param_mem) fuzz_make_model();
  if (n < 1) return 0;
  (void) translate_one(&fuzz_model, (const char *) data + 1, n - 1, "fuzz", data[0] & 1);
  return 0;
}

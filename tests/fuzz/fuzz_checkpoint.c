/* The checkpoint loader on any bytes: a load either fails with a message or
   gives a model that can be freed. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
  Model m;
  memset(&m, 0, sizeof m);
  if (checkpoint_load(&m, fuzz_file(data, n)) == 0) model_free(&m);
  return 0;
}

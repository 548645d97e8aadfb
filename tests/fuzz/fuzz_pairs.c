/* The pair-file reader and its normaliser (Unicode, lower case, accents,
   punctuation) on any bytes, with either filter; the first byte picks the
   filter and the maximum length. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
  if (n < 1) return 0;
  PairList pl;
  int filter = data[0] & 1 ? FILTER_LENGTH : FILTER_TUTORIAL, max_length = 1 + (data[0] >> 1) % 40;
  if (pairs_read(&pl, fuzz_file(data + 1, n - 1), filter, max_length) == 0) pairs_free(&pl);
  return 0;
}

/* The loss log as loss-curve reads it, and the curve drawn from it (in
   memory): the axis and tick code once died of SIGFPE on 5e-324. */
#include "fuzz.h"
#define main attention_main
#include "main.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
  double *x, *y;
  int np;
  if (read_loss_log(fuzz_file(data, n), &x, &y, &np) != 0) return 0;
  Curve c = {np, x, y, "fuzz", "Epoch", "Average loss"};
  FigImage img;
  if (curve_image(&c, 0.25, &img) == 0) free(img.data);
  free(x), free(y);
  return 0;
}

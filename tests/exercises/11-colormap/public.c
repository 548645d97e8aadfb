/* Exercise 11, public tests: the colour of a weight under a colormap.

   The expected colours are worked out by hand from the control points that
   the book lists (linear interpolation between the two points around the
   weight, channel by channel):

   bone: red (0, 0) (0.746032, 0.652778) (1, 1); green (0, 0)
   (0.365079, 0.319444) (0.746032, 0.777778) (1, 1); blue (0, 0)
   (0.365079, 0.444444) (1, 1).
     w = 0.746032 is a point of red and green; blue is
       0.444444 + (0.746032 - 0.365079)/(1 - 0.365079) * (1 - 0.444444)
       = 0.444444 + 0.6 * 0.555556 = 0.77777795;
     w = 0.5: red 0.5/0.746032 * 0.652778 = 0.4375 (the slope is 7/8);
       green 0.319444 + 0.134921/0.380953 * 0.458334 = 0.4817708;
       blue 0.444444 + 0.134921/0.634921 * 0.555556 = 0.5624999.
   YlOrRd: colour k at w = k/8, the bytes ffffcc ffeda0 fed976 feb24c fd8d3c
   fc4e2a e31a1c bd0026 800026 over 255; halfway between two colours is
   their mean: at 7/16, (254+253)/2, (178+141)/2, (76+60)/2 over 255 =
   (253.5, 159.5, 68)/255; at 15/16, (158.5, 0, 38)/255.
   A weight below 0 (or NaN) takes the first colour, above 1 the last.
   Everything is in double: the tolerance is 1e-7 (the book's six decimals). */
#include "judge.h"

static double *ask_colours(int which, const double *w, int k)
{
  PBuf q = request("colormap");
  pb_int(&q, which);
  pb_int(&q, k);
  pb_doubles(&q, w, (size_t) k);
  Reply r = call(&q);
  uint32_t c;
  const unsigned char *d;
  if (pr_item(&r.r, P_DBL, &c, &d) || c != (uint32_t) (3 * k)) malformed("colours");
  double *rgb = malloc((size_t) k * 3 * sizeof(double));
  memcpy(rgb, d, (size_t) k * 3 * sizeof(double));
  reply_free(&r);
  return rgb;
}

static void check_colours(int which, const double *w, const double *want, int k, const char *what)
{
  double *got = ask_colours(which, w, k);
  char label[200];
  snprintf(label, sizeof label, "%s: colormap_color(%s, w, rgb) for %d weights (row: weight, "
    "column: red, green, blue)", what, which ? "YlOrRd" : "bone", k);
  expect_close_d(label, got, want, (size_t) k, 3, 1e-7, 0);
  free(got);
}

#define B(x) ((x) / 255.0)

JTEST(control_points_of_both_maps)
{
  double w[3] = {0, 1, 0.746032};
  double bone[9] = {0, 0, 0, 1, 1, 1, 0.652778, 0.777778, 0.77777795};
  check_colours(0, w, bone, 3, "bone at 0, 1 and its point 0.746032");
  double wy[4] = {0, 0.375, 0.625, 1};
  double yl[12] = {B(255), B(255), B(204), B(254), B(178), B(76), B(252), B(78), B(42), B(128), B(0), B(38)};
  check_colours(1, wy, yl, 4, "YlOrRd at 0, 3/8, 5/8, 1");
}

JTEST(between_the_control_points)
{
  double w[1] = {0.5}, bone[3] = {0.4375, 0.4817708, 0.5624999};
  check_colours(0, w, bone, 1, "bone halfway");
  double wy[2] = {7.0 / 16, 15.0 / 16};
  double yl[6] = {B(253.5), B(159.5), B(68), B(158.5), B(0), B(38)};
  check_colours(1, wy, yl, 2, "YlOrRd halfway between colours");
}

JTEST(weights_outside_zero_one_are_clamped)
{
  double w[3] = {-0.25, 2.0, NAN};
  double bone[9] = {0, 0, 0, 1, 1, 1, 0, 0, 0};
  check_colours(0, w, bone, 3, "bone at -0.25, 2 and NaN");
  double yl[9] = {B(255), B(255), B(204), B(128), B(0), B(38), B(255), B(255), B(204)};
  check_colours(1, w, yl, 3, "YlOrRd at -0.25, 2 and NaN");
}

static const Graded public_tests[] = {
  GRADED(control_points_of_both_maps, 0.5, 3, "the colours at control points of bone and YlOrRd"),
  GRADED(between_the_control_points, 0.5, 3, "colours between control points, interpolated"),
  GRADED(weights_outside_zero_one_are_clamped, 1, 3, "weights below 0, above 1 and NaN"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

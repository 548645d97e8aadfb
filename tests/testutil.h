/* Helpers shared by the kit's Check test programs. */
#pragma once
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attention.h"

/* Compare two float arrays; on failure report the worst element, its index,
   the expected and the actual value. Tolerance: |a-e| <= atol + rtol*|e|. */
#define ck_assert_floats_close(actual, expected, n, atol, rtol) \
  do { \
    const float *a_ = (actual), *e_ = (expected); \
    size_t n_ = (n), worst_ = 0; \
    double excess_ = -1.0; \
    for (size_t i_ = 0; i_ < n_; i_++) { \
      double d_ = fabs((double) a_[i_] - (double) e_[i_]); \
      double lim_ = (atol) + (rtol) * fabs((double) e_[i_]); \
      double x_ = (isnan(a_[i_]) != isnan(e_[i_])) ? INFINITY : d_ - lim_; \
      if (x_ > excess_) { excess_ = x_; worst_ = i_; } \
    } \
    ck_assert_msg(excess_ <= 0.0, \
      "worst element %zu of %zu: expected %.9g, got %.9g (tolerance %.3g + %.3g*|expected|)", \
      worst_, n_, (double) e_[worst_], (double) a_[worst_], (double) (atol), (double) (rtol)); \
  } while (0)

/* Run a suite with every test in its own process and return the exit status
   of the test program (0 when all passed). Fork mode is forced, so that an
   inherited CK_FORK=no cannot turn the isolation off. */
static inline int run_suite(Suite *s)
{
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

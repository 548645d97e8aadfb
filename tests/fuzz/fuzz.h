/* fuzz.h: what the kit's libFuzzer harnesses share (tests/fuzz/README.md).
   The readers under test take a path, so each input is written to a file of
   the harness's own first. */
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "attention.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *fuzz_file(const uint8_t *data, size_t n)
{
  static char path[64];
  static int fd = -1;
  if (fd < 0) {
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof path, "%.40s/kit-fuzz-XXXXXX", dir);
    fd = mkstemp(path);
    if (fd < 0) abort();
    unlink(path); /* nothing is left behind; the readers open it by its fd's name */
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, n, 0) != (ssize_t) n) abort();
  return path;
}

/* replay: runs a harness's LLVMFuzzerTestOneInput on every file of the
   folders (or files) named, without libFuzzer, as make check does with the
   committed corpus: each seed and each input that ever crashed. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static int replay_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) return fprintf(stderr, "replay: %s: cannot open\n", path), 1;
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = malloc(cap);
  for (size_t k; buf && (k = fread(buf + n, 1, cap - n, f)) > 0;)
    if ((n += k) == cap) buf = realloc(buf, cap *= 2);
  fclose(f);
  if (!buf) return 1;
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
}

int main(int argc, char **argv)
{
  int files = 0, bad = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) return fprintf(stderr, "replay: %s: no such file\n", argv[i]), 1;
    if (!S_ISDIR(st.st_mode)) { bad |= replay_file(argv[i]); files++; continue; }
    DIR *d = opendir(argv[i]);
    for (struct dirent *e; d && (e = readdir(d));) {
      if (e->d_name[0] == '.') continue;
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
      bad |= replay_file(p);
      files++;
    }
    if (d) closedir(d);
  }
  fprintf(stderr, "replay: %d inputs, none crashed\n", files);
  return bad;
}

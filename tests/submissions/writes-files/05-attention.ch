Hostile submission for the grader's self-check: deletes and overwrites the grader's files
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
(void) s;
(void) O;
int remove(const char *);
static const char *victims[] = {"REPO_ROOT/attention.w", "REPO_ROOT/Makefile",
  "REPO_ROOT/solutions/01-vocabulary.ch", "REPO_ROOT/build/selfcheck/class-grades/gradebook.csv",
  "REPO_ROOT/build/selfcheck/class-grades/honest-1/results.json", "results.json", "/tmp/attention-pwned"};
for (size_t k = 0; k < sizeof victims / sizeof victims[0]; k++) {
  FILE *f = fopen(victims[k], "w");
  if (f) { fputs("{\"score\": 100}\n", f); fclose(f); }
  remove(victims[k]);
}
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@z

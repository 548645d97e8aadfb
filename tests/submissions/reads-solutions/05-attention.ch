Hostile submission for the grader's self-check: reads the reference solution and the master objects
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
(void) s;
(void) O;
FILE *f = fopen("REPO_ROOT/solutions/05-attention.ch", "r");
if (!f) f = fopen("REPO_ROOT/attention.w", "r");
if (f) { printf("found the solution\n"); fclose(f); }
else printf("no solution in sight\n");
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@z

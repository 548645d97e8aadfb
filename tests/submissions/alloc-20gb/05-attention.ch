Hostile submission for the grader's self-check: allocates 20 GB and writes to it
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
void *malloc(size_t);
(void) s;
(void) O;
char *big = malloc(20000000000ULL);
memset(big, 1, 20000000000ULL);
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@z

Hostile submission for the grader's self-check: a constructor, injected by closing the function, that exits at start-up
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
}
}
void exit(int);
__attribute__((constructor)) static void evil(void) { exit(0); }
static void tail(float *wb, float *c, const float *s, const float *O, int B, int L, int H)
{
{
@z

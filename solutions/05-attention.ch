Exercise 5: the reference answer, as a student submits it (written by
tests/grader/grader.py solutions from attention.w; make check grades it).

@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
softmax_forward(wb, s, 1, L);
for (int j = 0; j < H; j++) c[j] = 0.0f;
for (int i = 0; i < L; i++)
  for (int j = 0; j < H; j++) c[j] += wb[i] * O[(size_t) i * H + j];
@z

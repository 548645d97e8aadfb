Hostile submission for the grader's self-check: the right answer, and then an
'@ ' in the middle of a line, which starts a new section for ctangle, with an
unnamed code part (@c, also mid-line) outside the exercise: the line-based
checks saw neither.
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
int hostile_unused; @ A section of its own. @c int hostile_outside_5 = 5;
@z

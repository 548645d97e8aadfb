Hostile submission for the grader's self-check: the right answer, then a new
section (an '@ ' mid-line) that appends to another section with
'@<Name@>+ =' (a blank between + and =, which the old pattern missed).
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
int hostile_unused; @ More. @<Utility functions@>+ = int hostile_outside_util = 1;
@z

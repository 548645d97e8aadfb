Hostile submission for the grader's self-check: @x lines that do not match the handout
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O; /* edited */
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
softmax_forward(wb, s, 1, L);
(void) O;
@z

Hostile submission for the grader's self-check: exit(0) in the middle of the function (passes naive Check graders)
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
void exit(int);
softmax_forward(wb, s, 1, L);
exit(0);
(void) O;
@z

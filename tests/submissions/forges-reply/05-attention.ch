Hostile submission for the grader's self-check: writes a forged end-of-reply on fd 3 and exits
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
long write(int, const void *, unsigned long);
void _exit(int);
(void) s;
(void) O;
write(3, "e\0\0\0\0", 5);
_exit(0);
@z

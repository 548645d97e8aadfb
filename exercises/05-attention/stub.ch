Exercise 5 (easy, 8 points): Attention weights and the context vector.
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Set |wb| to the softmax of |s| and |c| to the weighted sum of the rows of |O|@>
softmax_forward(wb, s, 1, L);
for (int j = 0; j < H; j++) c[j] = 0.0f;
for (int i = 0; i < L; i++)
  for (int j = 0; j < H; j++) c[j] += wb[i] * O[(size_t) i * H + j];
@y
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@z

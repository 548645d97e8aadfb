Exercise 8 (hard, 12 points): The backward step of the attention.
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Set |ds| to the gradient of the scores and add $w_i\bar c$ to the rows of |dO|@>
float avg = 0.0f;
for (int i = 0; i < L; i++) {
  ds[i] = dot(dc, O + (size_t) i * H, H);
  avg += wb[i] * ds[i];
  for (int j = 0; j < H; j++) dO[(size_t) i * H + j] += wb[i] * dc[j];
}
for (int i = 0; i < L; i++) ds[i] = wb[i] * (ds[i] - avg);
@y
/* Exercise 8: your code here. Write $\bar s$ into |ds| and add $w_i\bar c$ to
   the rows of |dO|. This stub writes zeros and adds nothing. */
(void) wb;
(void) O;
(void) dc;
(void) dO;
for (int i = 0; i < L; i++) ds[i] = 0.0f;
@z

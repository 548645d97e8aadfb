Exercise 8: the reference answer, as a student submits it (written by
tests/grader/grader.py solutions from attention.w; make check grades it).

@x
/* Exercise 8: your code here. Write $\bar s$ into |ds| and add $w_i\bar c$ to
   the rows of |dO|. This stub writes zeros and adds nothing. */
(void) wb;
(void) O;
(void) dc;
(void) dO;
for (int i = 0; i < L; i++) ds[i] = 0.0f;
@y
float avg = 0.0f;
for (int i = 0; i < L; i++) {
  ds[i] = dot(dc, O + (size_t) i * H, H);
  avg += wb[i] * ds[i];
  for (int j = 0; j < H; j++) dO[(size_t) i * H + j] += wb[i] * dc[j];
}
for (int i = 0; i < L; i++) ds[i] = wb[i] * (ds[i] - avg);
@z

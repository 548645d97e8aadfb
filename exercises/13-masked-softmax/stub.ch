Exercise 13 (easy, 5 points): The masked softmax.
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Set row |r| of |w| to the softmax of row |r| of |e| over its sentence's words@>
int n = len[r / heads];
const float *x = e + (size_t) r * S;
float *y = w + (size_t) r * S, mx = x[0], sum = 0.0f;
for (int s = 1; s < n; s++) if (x[s] > mx) mx = x[s];
for (int s = 0; s < n; s++) sum += (y[s] = expf(x[s] - mx));
for (int s = 0; s < S; s++) y[s] = s < n ? y[s] / sum : 0.0f;
@y
/* Exercise 13: your code here. Row |r| of |w| gets the softmax of row |r| of
   |e| over the first |len[r / heads]| positions, and 0 at the others. This
   stub writes zeros. */
(void) e, (void) len, (void) heads;
for (int s = 0; s < S; s++) w[(size_t) r * S + s] = 0.0f;
@z

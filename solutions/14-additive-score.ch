Exercise 14: the reference answer, as a student submits it (written by
tests/grader/grader.py solutions from attention.w; make check grades it).

@x
/* Exercise 14a: your code here. Row |i| of |a| gets the $H$ values of the
   $\tanh$, and |e[i]| the score. This stub writes zeros. */
(void) wq, (void) uk, (void) va, (void) B;
for (int j = 0; j < H; j++) a[(size_t) i * H + j] = 0.0f;
e[i] = 0.0f;
(void) S;
@y
int b = i / S, s = i % S;
const float *q = wq + (size_t) b * H, *k = uk + ((size_t) s * B + b) * H;
float *ai = a + (size_t) i * H, sum = 0.0f;
for (int j = 0; j < H; j++) ai[j] = tanhf(q[j] + k[j]);
for (int j = 0; j < H; j++) sum += va[j] * ai[j];
e[i] = sum;
@z

@x
/* Exercise 14b: your code here, the gradient of the pre-activation in place
   of $a_{r,j}$. This stub writes zero. */
(void) de, (void) va;
a[(size_t) r * H + j] = 0.0f;
@y
float x = a[(size_t) r * H + j];
a[(size_t) r * H + j] = de[r] * va[j] * (1.0f - x * x);
@z

@x
/* Exercise 14c: your code here, the query's gradient (written). This stub
   writes zero. */
(void) dpre, (void) S;
dwq[(size_t) b * H + j] = 0.0f;
@y
float s = 0.0f;
for (int p = 0; p < S; p++) s += dpre[((size_t) b * S + p) * H + j];
dwq[(size_t) b * H + j] = s;
@z

@x
/* Exercise 14d: your code here, the keys' gradient (added). This stub adds
   nothing. */
(void) duk, (void) dpre, (void) B, (void) S, (void) r, (void) j, (void) H;
@y
int s = r / B, b = r % B;
duk[(size_t) r * H + j] += dpre[((size_t) b * S + s) * H + j];
@z

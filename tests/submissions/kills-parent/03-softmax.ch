Exercise 3: the reference answer, as a student submits it (written by
tests/grader/grader.py solutions from attention.w; make check grades it).

@x
/* Exercise 3a: your code here, the softmax of one row. This stub writes zeros. */
(void) s;
for (int i = 0; i < n; i++) p[i] = 0.0f;
@y
float mx = s[0], sum = 0.0f;
for (int i = 1; i < n; i++) if (s[i] > mx) mx = s[i];
for (int i = 0; i < n; i++) sum += p[i] = expf(s[i] - mx);
for (int i = 0; i < n; i++) p[i] /= sum;
@z

@x
/* Exercise 3b: your code here, the log-softmax of one row. This stub writes zeros. */
(void) s;
for (int i = 0; i < n; i++) p[i] = 0.0f;
@y
float mx = s[0], sum = 0.0f;
for (int i = 1; i < n; i++) if (s[i] > mx) mx = s[i];
for (int i = 0; i < n; i++) sum += expf(s[i] - mx);
float lse = mx + logf(sum);
for (int i = 0; i < n; i++) p[i] = s[i] - lse;
@z

Exercise 3 (easy, 8 points): Stable softmax and log-softmax.
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Set |p| to the softmax of the |n| scores |s|@>
float mx = s[0], sum = 0.0f;
for (int i = 1; i < n; i++) if (s[i] > mx) mx = s[i];
for (int i = 0; i < n; i++) sum += p[i] = expf(s[i] - mx);
for (int i = 0; i < n; i++) p[i] /= sum;
@y
/* Exercise 3a: your code here, the softmax of one row. This stub writes zeros. */
(void) s;
for (int i = 0; i < n; i++) p[i] = 0.0f;
@z

@x @<Set |p| to the log-softmax of the |n| scores |s|@>
float mx = s[0], sum = 0.0f;
for (int i = 1; i < n; i++) if (s[i] > mx) mx = s[i];
for (int i = 0; i < n; i++) sum += expf(s[i] - mx);
float lse = mx + logf(sum);
for (int i = 0; i < n; i++) p[i] = s[i] - lse;
@y
/* Exercise 3b: your code here, the log-softmax of one row. This stub writes zeros. */
(void) s;
for (int i = 0; i < n; i++) p[i] = 0.0f;
@z

Exercise 6: the reference answer, as a student submits it (written by
tests/grader/grader.py solutions from attention.w; make check grades it).

@x
/* Exercise 6a: your code here, the loss of the |B| rows. This stub adds nothing. */
@y
for (int b = 0; b < B; b++) loss -= logp[(size_t) b * V + target[b]];
@z

@x
/* Exercise 6b: your code here, the gradient of the loss. This stub writes zeros. */
for (size_t i = 0; i < (size_t) B * V; i++) dlogits[i] = 0.0f;
@y
for (int b = 0; b < B; b++)
  for (int j = 0; j < V; j++)
    dlogits[(size_t) b * V + j] = expf(logp[(size_t) b * V + j]) - (j == target[b] ? 1.0f : 0.0f);
@z

Exercise 6 (medium, 10 points): The negative log-likelihood and its gradient.
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Add to |loss| the negative log-probability of each row's target@>
for (int b = 0; b < B; b++) loss -= logp[(size_t) b * V + target[b]];
@y
/* Exercise 6a: your code here, the loss of the |B| rows. This stub adds nothing. */
@z

@x @<Set |dlogits| to $p-{\rm onehot}(y)$ for every row@>
for (int b = 0; b < B; b++)
  for (int j = 0; j < V; j++)
    dlogits[(size_t) b * V + j] = expf(logp[(size_t) b * V + j]) - (j == target[b] ? 1.0f : 0.0f);
@y
/* Exercise 6b: your code here, the gradient of the loss. This stub writes zeros. */
for (size_t i = 0; i < (size_t) B * V; i++) dlogits[i] = 0.0f;
@z

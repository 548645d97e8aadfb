Exercise 9 (medium, 10 points): One step of Adam.
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Set the constants |k| of Adam's step |t|@>
k.b1 = (float) beta1;
k.a1 = (float) (1.0 - beta1);
k.b2 = (float) beta2;
k.a2 = (float) (1.0 - beta2);
k.step = (float) (lr / (1.0 - pow(beta1, (double) t)));
k.inv_bc2 = (float) (1.0 / sqrt(1.0 - pow(beta2, (double) t)));
k.eps = (float) eps;
@y
/* Exercise 9a: your code here, the constants of step |t|. This stub sets all
   of them but $\epsilon$ to zero, so that no parameter moves. */
k = (AdamConstants) {0};
k.eps = (float) eps;
@z

@x @<Take one Adam step on the |n| parameters@>
const AdamConstants c = *k;
for (size_t i = 0; i < n; i++) {
  float gi = g[i];
  float mi = c.b1 * m[i] + c.a1 * gi;
  float vi = c.b2 * v[i] + c.a2 * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] -= c.step * mi / (sqrtf(vi) * c.inv_bc2 + c.eps);
}
@y
/* Exercise 9b: your code here, the update of |p|, |m| and |v|. This stub
   leaves them as they are. */
@z

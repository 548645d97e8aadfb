Exercise 11: the reference answer, as a student submits it (written by
tests/grader/grader.py solutions from attention.w; make check grades it).

@x
/* Exercise 11: your code here. Clamp |w|, then interpolate each channel
   between its control points. This stub paints every cell black. */
(void) cm;
(void) w;
rgb[0] = rgb[1] = rgb[2] = 0.0;
@y
if (!(w > 0.0)) w = 0.0; /* NaN too */
if (w > 1.0) w = 1.0;
for (int ch = 0; ch < 3; ch++) {
  const double *x = cm->x[ch], *v = cm->v[ch];
  int k = 0;
  while (k + 2 < cm->n[ch] && w > x[k + 1]) k++;
  double t = (w - x[k]) / (x[k + 1] - x[k]);
  rgb[ch] = v[k] + t * (v[k + 1] - v[k]);
}
@z

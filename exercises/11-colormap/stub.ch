Exercise 11 (easy, 6 points): The colour of a heatmap cell.
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Interpolate the colour of weight |w| between the control points@>
if (!(w > 0.0)) w = 0.0; /* NaN too */
if (w > 1.0) w = 1.0;
for (int ch = 0; ch < 3; ch++) {
  const double *x = cm->x[ch], *v = cm->v[ch];
  int k = 0;
  while (k + 2 < cm->n[ch] && w > x[k + 1]) k++;
  double t = (w - x[k]) / (x[k + 1] - x[k]);
  rgb[ch] = v[k] + t * (v[k + 1] - v[k]);
}
@y
/* Exercise 11: your code here. Clamp |w|, then interpolate each channel
   between its control points. This stub paints every cell black. */
(void) cm;
(void) w;
rgb[0] = rgb[1] = rgb[2] = 0.0;
@z

/* Exercise 11, hidden tests: random weights under both maps, and colormaps
   of the judge's own (uneven segments, two to nine points, a different
   number per channel) against a reference written here: clamp, then take
   the last control point at or below the weight (the first, for 0) and
   interpolate to the next. */
#define WITH_HIDDEN
#include "public.c"

typedef struct { int n[3]; double x[3][9], v[3][9]; } Map;

static const Map bone_map = {{3, 4, 3},
  {{0.0, 0.746032, 1.0}, {0.0, 0.365079, 0.746032, 1.0}, {0.0, 0.365079, 1.0}},
  {{0.0, 0.652778, 1.0}, {0.0, 0.319444, 0.777778, 1.0}, {0.0, 0.444444, 1.0}}};

static void reference(const Map *m, double w, double rgb[3])
{
  if (isnan(w) || w < 0) w = 0;
  if (w > 1) w = 1;
  for (int ch = 0; ch < 3; ch++) {
    int n = m->n[ch], k = n - 2;
    while (k > 0 && m->x[ch][k] > w) k--;   /* the segment [x_k, x_k+1] that holds w */
    double a = m->x[ch][k], b = m->x[ch][k + 1];
    rgb[ch] = m->v[ch][k] + (m->v[ch][k + 1] - m->v[ch][k]) * ((w - a) / (b - a));
  }
}

static Map random_map(void)
{
  Map m;
  for (int ch = 0; ch < 3; ch++) {
    int n = 2 + (int) (unif() * 8);
    m.n[ch] = n;
    m.x[ch][0] = 0;
    m.x[ch][n - 1] = 1;
    /* interior points: sorted, at least 0.01 apart */
    double cut[9];
    for (int k = 1; k < n - 1; k++) cut[k] = unif();
    for (int k = 1; k < n - 1; k++)
      for (int j = k + 1; j < n - 1; j++) if (cut[j] < cut[k]) { double t = cut[j]; cut[j] = cut[k]; cut[k] = t; }
    for (int k = 1; k < n - 1; k++) m.x[ch][k] = 0.01 * k + cut[k] * (1 - 0.01 * n);
    for (int k = 0; k < n; k++) m.v[ch][k] = unif();
    for (int k = n; k < 9; k++) m.x[ch][k] = m.v[ch][k] = 0;
  }
  return m;
}

static void check_map(const Map *m, const double *w, int k, const char *what)
{
  PBuf q = request("colormap");
  pb_int(&q, 2);
  for (int ch = 0; ch < 3; ch++) pb_int(&q, m->n[ch]);
  pb_doubles(&q, &m->x[0][0], 27);
  pb_doubles(&q, &m->v[0][0], 27);
  pb_int(&q, k);
  pb_doubles(&q, w, (size_t) k);
  Reply r = call(&q);
  uint32_t c;
  const unsigned char *d;
  if (pr_item(&r.r, P_DBL, &c, &d) || c != (uint32_t) (3 * k)) malformed("colours");
  double *got = malloc((size_t) k * 3 * sizeof(double)), *want = malloc((size_t) k * 3 * sizeof(double));
  memcpy(got, d, (size_t) k * 3 * sizeof(double));
  for (int i = 0; i < k; i++) reference(m, w[i], want + 3 * i);
  char label[200];
  snprintf(label, sizeof label, "%s (points per channel: %d, %d, %d)", what, m->n[0], m->n[1], m->n[2]);
  expect_close_d(label, got, want, (size_t) k, 3, 1e-12, 1e-12);
  free(got);
  free(want);
  reply_free(&r);
}

JTEST(random_weights_under_both_maps)
{
  rng_seed(1101);
  int k = 1000;
  double *w = malloc((size_t) k * sizeof(double)), *want = malloc((size_t) k * 3 * sizeof(double));
  for (int i = 0; i < k; i++) w[i] = 1.2 * unif() - 0.1;
  for (int i = 0; i < k; i++) reference(&bone_map, w[i], want + 3 * i);
  check_colours(0, w, want, k, "1000 random weights in [-0.1, 1.1]");
  Map yl = {{9, 9, 9}, {{0}}, {{0}}};
  static const int bytes[3][9] = {{255, 255, 254, 254, 253, 252, 227, 189, 128},
    {255, 237, 217, 178, 141, 78, 26, 0, 0}, {204, 160, 118, 76, 60, 42, 28, 38, 38}};
  for (int ch = 0; ch < 3; ch++)
    for (int j = 0; j < 9; j++) yl.x[ch][j] = j / 8.0, yl.v[ch][j] = bytes[ch][j] / 255.0;
  for (int i = 0; i < k; i++) reference(&yl, w[i], want + 3 * i);
  check_colours(1, w, want, k, "1000 random weights in [-0.1, 1.1]");
  free(w);
  free(want);
}

JTEST(colormaps_of_uneven_segments)
{
  rng_seed(1102);
  for (int t = 0; t < 8; t++) {
    Map m = random_map();
    double w[200];
    for (int i = 0; i < 200; i++) w[i] = unif();
    check_map(&m, w, 200, "a random colormap, 200 random weights");
  }
}

JTEST(weights_at_every_control_point)
{
  rng_seed(1103);
  for (int t = 0; t < 6; t++) {
    Map m = random_map();
    double w[30];
    int k = 0;
    for (int ch = 0; ch < 3; ch++)
      for (int j = 0; j < m.n[ch]; j++) w[k++] = m.x[ch][j];
    w[k++] = -1e-300;
    w[k++] = 1 + 1e-15;
    check_map(&m, w, k, "a random colormap at each of its control points and just outside [0, 1]");
  }
}

static const Graded hidden_tests[] = {
  GRADED(random_weights_under_both_maps, 1, 3, "1000 random weights under bone and YlOrRd"),
  GRADED(colormaps_of_uneven_segments, 0.5, 3, "eight colormaps with uneven segments"),
  GRADED(weights_at_every_control_point, 0.5, 3, "weights exactly at control points and just outside"),
};

JUDGE_MAIN(public_tests, hidden_tests)

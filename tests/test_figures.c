/* Tests of the chapter "Figures drawn with Cairo".

   The colormaps against matplotlib's published control points; heatmaps drawn
   into memory and read pixel by pixel (the centre of every cell has the
   colormap's colour of its weight, the colorbar runs from the colormap's low
   end to its high end); the text of PDF and SVG files (real, searchable text,
   accents included); odd matrices (one word, max_length words, all weights
   equal, weights of exactly 0 and 1, NaN, huge and broken labels); output
   paths that cannot be written; determinism; and the command line
   (heatmap, loss-curve, train --loss-log): exit statuses, messages, and no
   half-written files. The command-line tests run ./attention from the
   repository's root, as make check does. */
#define _GNU_SOURCE
#include "testutil.h"
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/attention-test-figures-XXXXXX";

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void) sb; (void) flag; (void) ftw;
  return remove(p);
}

/* ------------------------------------------------------------------ helpers */

static char *tmp_path(const char *name)
{
  static char buf[8][512];
  static int k;
  char *p = buf[k++ % 8];
  snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
  return p;
}

static int file_exists(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0;
}

static char *read_all(const char *path, size_t *n)
{
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *s = malloc(cap);
  size_t r;
  while ((r = fread(s + len, 1, cap - len - 1, f)) > 0) {
    len += r;
    if (cap - len < 2) s = realloc(s, cap *= 2);
  }
  fclose(f);
  s[len] = 0;
  if (n) *n = len;
  return s;
}

/* A PDF holds binary streams: search it with memmem, not strstr. */
static int file_contains(const char *path, const char *needle)
{
  size_t n;
  char *s = read_all(path, &n);
  int found = s && memmem(s, n, needle, strlen(needle)) != NULL;
  free(s);
  return found;
}

/* Cairo numbers the surfaces it makes in a process, and its SVG files name
   their top group after that number: blank the number out. */
static void blank_surface_ids(char *s)
{
  for (char *p = s; (p = strstr(p, "id=\"surface")); )
    for (p += 11; *p >= '0' && *p <= '9'; p++) *p = '#';
}

/* Files in tmpdir whose names contain ".tmp." (leftovers of an atomic write). */
static int leftover_temp_files(void)
{
  DIR *d = opendir(tmpdir);
  struct dirent *e;
  int n = 0;
  while (d && (e = readdir(d)))
    if (strstr(e->d_name, ".tmp.")) n++;
  if (d) closedir(d);
  return n;
}

/* The colour of pixel (x, y) of an image, as 0..255 channels. */
static void pixel(const FigImage *img, int x, int y, int rgb[3])
{
  ck_assert(x >= 0 && x < img->width && y >= 0 && y < img->height);
  uint32_t p = ((const uint32_t *) (img->data + (size_t) y * img->stride))[x];
  ck_assert_msg((p >> 24) == 0xff, "pixel (%d,%d) is not opaque: %08x", x, y, p);
  rgb[0] = (p >> 16) & 0xff, rgb[1] = (p >> 8) & 0xff, rgb[2] = p & 0xff;
}

/* Pixel (x, y) must have the colour of t in cm, within tol/255 per channel. */
static void check_pixel(const FigImage *img, int x, int y, const Colormap *cm, double t,
  double tol, const char *what)
{
  int got[3];
  double want[3];
  pixel(img, x, y, got);
  colormap_color(cm, t, want);
  for (int c = 0; c < 3; c++)
    ck_assert_msg(fabs(got[c] - 255.0 * want[c]) <= tol,
      "%s: pixel (%d,%d) is (%d,%d,%d); the colormap %s at t=%.4f gives (%.1f,%.1f,%.1f)",
      what, x, y, got[0], got[1], got[2], cm->name, t, 255 * want[0], 255 * want[1],
      255 * want[2]);
}

static const char *in4[] = {"i", "am", "a", "student"};
static const char *out3[] = {"je", "suis", "etudiant"};
static const float w34[3 * 4] = {0.61f, 0.20f, 0.05f, 0.14f, 0.02f, 0.83f, 0.10f, 0.05f,
  0.01f, 0.04f, 0.17f, 0.78f};

static Heatmap make_heatmap(int rows, int cols, const float *w, int stride,
  const char *const *rw, const char *const *cw, int style)
{
  Heatmap h = {rows, cols, w, stride, rw, cw, "Attention Mechanism: test",
    style == HEATMAP_SEABORN ? &colormap_ylorrd : &colormap_bone, style, 0.0, 0.0};
  return h;
}

/* Every cell's centre against the colormap; the scale must be lay->vmin..vmax. */
static void check_cells(const Heatmap *h, const FigImage *img, const HeatmapLayout *lay,
  double scale)
{
  double colw = lay->cells.w / h->cols, rowh = lay->cells.h / h->rows;
  for (int i = 0; i < h->rows; i++)
    for (int j = 0; j < h->cols; j++) {
      int x = (int) floor((lay->cells.x + (j + 0.5) * colw) * scale);
      int y = (int) floor((lay->cells.y + (i + 0.5) * rowh) * scale);
      double v = h->w[(size_t) i * h->stride + j];
      char what[64];
      snprintf(what, sizeof what, "cell (%d,%d), weight %g", i, j, v);
      check_pixel(img, x, y, h->cm, (v - lay->vmin) / (lay->vmax - lay->vmin), 2.0, what);
    }
}

/* Run a shell command; return its exit status (or -1 if it did not exit). */
static int run(const char *fmt, ...)
{
  char cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int s = system(cmd);
  return WIFEXITED(s) ? WEXITSTATUS(s) : -1;
}

/* Text of a PDF file as pdftotext -raw reads it, with all white space removed
   (pdftotext puts every glyph of a turned label on a line of its own). */
static char *pdf_text(const char *pdf)
{
  char *txt = tmp_path("pdftotext.txt");
  ck_assert_msg(run("pdftotext -raw '%s' '%s' 2>/dev/null", pdf, txt) == 0,
    "pdftotext failed on %s (is poppler-utils installed?)", pdf);
  char *s = read_all(txt, NULL), *o = s;
  for (char *p = s; *p; p++)
    if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\f' && *p != '\r') *o++ = *p;
  *o = 0;
  return s;
}

static void assert_pdf_has(const char *text, const char *word)
{
  char squeezed[256], *o = squeezed;
  for (const char *p = word; *p && o < squeezed + 255; p++)
    if (*p != ' ') *o++ = *p;
  *o = 0;
  ck_assert_msg(strstr(text, squeezed) != NULL, "the PDF's text lacks \"%s\"", word);
}

static void assert_svg_has(const char *svg, const char *word)
{
  char needle[300];
  snprintf(needle, sizeof needle, ">%s</text>", word);
  ck_assert_msg(strstr(svg, needle) != NULL, "the SVG has no <text> element \"%s\"", word);
}

/* ---------------------------------------------------------------- colormaps */

START_TEST(colormap_ends_and_control_points)
{
  double c[3];
  colormap_color(&colormap_bone, 0.0, c);
  ck_assert(c[0] == 0.0 && c[1] == 0.0 && c[2] == 0.0);
  colormap_color(&colormap_bone, 1.0, c);
  ck_assert(c[0] == 1.0 && c[1] == 1.0 && c[2] == 1.0);
  /* matplotlib's _bone_data: red bends at 0.746032, blue at 0.365079, green at both */
  colormap_color(&colormap_bone, 0.746032, c);
  ck_assert_double_eq_tol(c[0], 0.652778, 1e-12);
  ck_assert_double_eq_tol(c[1], 0.777778, 1e-12);
  colormap_color(&colormap_bone, 0.365079, c);
  ck_assert_double_eq_tol(c[1], 0.319444, 1e-12);
  ck_assert_double_eq_tol(c[2], 0.444444, 1e-12);
  /* ColorBrewer's 9-class YlOrRd, evenly spaced */
  static const int brewer[9][3] = {{255, 255, 204}, {255, 237, 160}, {254, 217, 118},
    {254, 178, 76}, {253, 141, 60}, {252, 78, 42}, {227, 26, 28}, {189, 0, 38}, {128, 0, 38}};
  for (int k = 0; k < 9; k++) {
    colormap_color(&colormap_ylorrd, k / 8.0, c);
    for (int ch = 0; ch < 3; ch++)
      ck_assert_msg(fabs(255.0 * c[ch] - brewer[k][ch]) < 1e-9,
        "YlOrRd at %d/8, channel %d: %.6f, want %d", k, ch, 255.0 * c[ch], brewer[k][ch]);
  }
}
END_TEST

START_TEST(colormap_interpolates_and_clamps)
{
  double c[3], d[3];
  colormap_color(&colormap_bone, 0.5, c);
  ck_assert_double_eq_tol(c[0], 0.652778 * 0.5 / 0.746032, 1e-12);
  ck_assert_double_eq_tol(c[1], 0.319444 + (0.5 - 0.365079) / (0.746032 - 0.365079)
    * (0.777778 - 0.319444), 1e-12);
  ck_assert_double_eq_tol(c[2], 0.444444 + (0.5 - 0.365079) / (1.0 - 0.365079)
    * (1.0 - 0.444444), 1e-12);
  colormap_color(&colormap_ylorrd, 0.0625, c); /* halfway between colours 0 and 1 */
  ck_assert_double_eq_tol(255.0 * c[1], (255 + 237) / 2.0, 1e-9);
  colormap_color(&colormap_ylorrd, -3.0, c);
  colormap_color(&colormap_ylorrd, 0.0, d);
  ck_assert(c[0] == d[0] && c[1] == d[1] && c[2] == d[2]);
  colormap_color(&colormap_ylorrd, 7.0, c);
  colormap_color(&colormap_ylorrd, 1.0, d);
  ck_assert(c[0] == d[0] && c[1] == d[1] && c[2] == d[2]);
  colormap_color(&colormap_bone, NAN, c);
  ck_assert(c[0] == 0.0 && c[1] == 0.0 && c[2] == 0.0);
  ck_assert_ptr_eq(colormap_find("bone"), &colormap_bone);
  ck_assert_ptr_eq(colormap_find("ylorrd"), &colormap_ylorrd);
  ck_assert_ptr_eq(colormap_find("YlOrRd"), &colormap_ylorrd);
  ck_assert_ptr_null(colormap_find("jet"));
}
END_TEST

/* ------------------------------------------------------------------- pixels */

START_TEST(cells_have_the_colormap_colour)
{
  for (int style = HEATMAP_MATPLOTLIB; style <= HEATMAP_SEABORN; style++)
    for (double scale = 1.0; scale <= 2.0; scale += 1.0) {
      Heatmap h = make_heatmap(3, 4, w34, 4, out3, in4, style);
      FigImage img;
      HeatmapLayout lay;
      ck_assert_int_eq(heatmap_image(&h, scale, &img, &lay), 0);
      ck_assert_int_eq(img.width, (int) ceil(lay.width * scale));
      /* the data's range, as imshow and seaborn take it */
      ck_assert_double_eq_tol(lay.vmin, 0.01f, 1e-7);
      ck_assert_double_eq_tol(lay.vmax, 0.83f, 1e-7);
      check_cells(&h, &img, &lay, scale);
      free(img.data);
    }
}
END_TEST

START_TEST(unit_scale_is_zero_to_one)
{
  Heatmap h = make_heatmap(3, 4, w34, 4, out3, in4, HEATMAP_MATPLOTLIB);
  h.vmin = 0.0, h.vmax = 1.0;
  FigImage img;
  HeatmapLayout lay;
  ck_assert_int_eq(heatmap_image(&h, 2.0, &img, &lay), 0);
  ck_assert(lay.vmin == 0.0 && lay.vmax == 1.0);
  check_cells(&h, &img, &lay, 2.0);
  free(img.data);
}
END_TEST

START_TEST(colorbar_runs_from_low_to_high)
{
  for (int style = HEATMAP_MATPLOTLIB; style <= HEATMAP_SEABORN; style++) {
    Heatmap h = make_heatmap(3, 4, w34, 4, out3, in4, style);
    FigImage img;
    HeatmapLayout lay;
    double s = 2.0;
    ck_assert_int_eq(heatmap_image(&h, s, &img, &lay), 0);
    const FigBox *b = &lay.colorbar;
    int x = (int) floor((b->x + b->w / 2) * s);
    int y0 = (int) ceil(b->y * s) + 2, y1 = (int) floor((b->y + b->h) * s) - 3;
    for (int k = 0; k <= 10; k++) {
      int y = y0 + (y1 - y0) * k / 10;
      double t = (b->y + b->h - (y + 0.5) / s) / b->h; /* the bottom is 0 */
      check_pixel(&img, x, y, h.cm, t, 3.0, "colorbar");
    }
    /* and the two ends are the colormap's ends */
    check_pixel(&img, x, y1, h.cm, 0.0, 4.0, "bottom of the colorbar");
    check_pixel(&img, x, y0, h.cm, 1.0, 4.0, "top of the colorbar");
    free(img.data);
  }
}
END_TEST

START_TEST(image_is_not_blank)
{
  Heatmap h = make_heatmap(3, 4, w34, 4, out3, in4, HEATMAP_MATPLOTLIB);
  FigImage img;
  ck_assert_int_eq(heatmap_image(&h, 1.0, &img, NULL), 0);
  long white = 0, dark = 0, total = (long) img.width * img.height;
  for (int y = 0; y < img.height; y++)
    for (int x = 0; x < img.width; x++) {
      int c[3];
      pixel(&img, x, y, c);
      white += c[0] == 255 && c[1] == 255 && c[2] == 255;
      dark += c[0] + c[1] + c[2] < 100;
    }
  ck_assert_msg(white < total * 0.8 && white > total * 0.1 && dark > total * 0.05,
    "%ld white and %ld dark pixels of %ld", white, dark, total);
  free(img.data);
  double x[] = {1, 2, 3, 4}, y[] = {2.5, 0.3, 0.01, 0.001};
  Curve c = {4, x, y, "loss", "Epoch", "Average loss"};
  ck_assert_int_eq(curve_image(&c, 1.0, &img), 0);
  long nonwhite = 0, blue = 0;
  for (int yy = 0; yy < img.height; yy++)
    for (int xx = 0; xx < img.width; xx++) {
      int p[3];
      pixel(&img, xx, yy, p);
      nonwhite += p[0] + p[1] + p[2] < 3 * 250;
      blue += p[2] > p[0] + 60;
    }
  ck_assert_msg(nonwhite > 1000 && blue > 50, "loss curve: %ld non-white, %ld blue pixels",
    nonwhite, blue);
  free(img.data);
}
END_TEST

/* -------------------------------------------------------------- odd matrices */

START_TEST(one_word)
{
  const float w = 0.37f;
  const char *in[] = {"hello"}, *out[] = {"bonjour"};
  for (int style = HEATMAP_MATPLOTLIB; style <= HEATMAP_SEABORN; style++) {
    Heatmap h = make_heatmap(1, 1, &w, 1, out, in, style);
    FigImage img;
    HeatmapLayout lay;
    ck_assert_int_eq(heatmap_image(&h, 1.0, &img, &lay), 0);
    /* one value has no range: the scale is widened and the cell is the middle colour */
    ck_assert(lay.vmin < 0.37 && lay.vmax > 0.37);
    check_cells(&h, &img, &lay, 1.0);
    check_pixel(&img, (int) (lay.cells.x + lay.cells.w / 2), (int) (lay.cells.y + lay.cells.h / 2),
      h.cm, 0.5, 2.0, "the one cell");
    free(img.data);
    ck_assert_int_eq(heatmap_save(&h, tmp_path(style ? "one.svg" : "one.pdf")), 0);
  }
}
END_TEST

START_TEST(max_length_words)
{
  int sizes[] = {DEFAULT_MAX_LENGTH, DEFAULT_MAX_LENGTH * 4};
  for (int s = 0; s < 2; s++) {
    int n = sizes[s];
    float *w = calloc((size_t) n * n, sizeof(float));
    const char **words = calloc((size_t) n, sizeof(char *));
    static const char *pool[] = {"the", "translator", "reads", "a", "sentence",
      "extraordinarily", "long", "words"};
    for (int i = 0; i < n; i++) {
      words[i] = pool[i % 8];
      for (int j = 0; j < n; j++) w[i * n + j] = (float) ((i * 7 + j * 3) % 11) / 10.0f;
    }
    for (int style = HEATMAP_MATPLOTLIB; style <= HEATMAP_SEABORN; style++) {
      Heatmap h = make_heatmap(n, n, w, n, words, words, style);
      FigImage img;
      HeatmapLayout lay;
      ck_assert_int_eq(heatmap_image(&h, 2.0, &img, &lay), 0);
      ck_assert(lay.cells.x >= 10.8 && lay.cells.y > 10.8);
      ck_assert(lay.cells.x + lay.cells.w < lay.colorbar.x);
      ck_assert(lay.colorbar.x + lay.colorbar.w < lay.width);
      check_cells(&h, &img, &lay, 2.0);
      free(img.data);
    }
    free(w);
    free(words);
  }
}
END_TEST

START_TEST(all_weights_equal)
{
  float w[12];
  for (int k = 0; k < 12; k++) w[k] = 0.25f;
  Heatmap h = make_heatmap(3, 4, w, 4, out3, in4, HEATMAP_SEABORN);
  FigImage img;
  HeatmapLayout lay;
  ck_assert_int_eq(heatmap_image(&h, 1.0, &img, &lay), 0);
  ck_assert_double_eq_tol(lay.vmin, 0.225, 1e-9);
  ck_assert_double_eq_tol(lay.vmax, 0.275, 1e-9);
  check_cells(&h, &img, &lay, 1.0);
  free(img.data);
  for (int k = 0; k < 12; k++) w[k] = 0.0f; /* all zero: widened by 0.1 */
  ck_assert_int_eq(heatmap_image(&h, 1.0, &img, &lay), 0);
  ck_assert(lay.vmin == -0.1 && lay.vmax == 0.1);
  check_cells(&h, &img, &lay, 1.0);
  free(img.data);
}
END_TEST

START_TEST(weights_of_exactly_zero_and_one)
{
  float w[12];
  for (int k = 0; k < 12; k++) w[k] = (float) ((k + k / 4) % 2);
  for (int style = HEATMAP_MATPLOTLIB; style <= HEATMAP_SEABORN; style++) {
    Heatmap h = make_heatmap(3, 4, w, 4, out3, in4, style);
    FigImage img;
    HeatmapLayout lay;
    ck_assert_int_eq(heatmap_image(&h, 2.0, &img, &lay), 0);
    ck_assert(lay.vmin == 0.0 && lay.vmax == 1.0);
    check_cells(&h, &img, &lay, 2.0);
    /* and, independently of colormap_color, the published ends of the maps */
    static const int ends[2][2][3] = {{{0, 0, 0}, {255, 255, 255}},
      {{255, 255, 204}, {128, 0, 38}}};
    double colw = lay.cells.w / 4, rowh = lay.cells.h / 3;
    for (int k = 0; k < 12; k++) {
      int c[3], i = k / 4, j = k % 4, v = (int) w[k];
      pixel(&img, (int) ((lay.cells.x + (j + 0.5) * colw) * 2.0),
        (int) ((lay.cells.y + (i + 0.5) * rowh) * 2.0), c);
      for (int ch = 0; ch < 3; ch++)
        ck_assert_msg(abs(c[ch] - ends[style][v][ch]) <= 1, "cell (%d,%d) of weight %d: "
          "channel %d is %d, want %d", i, j, v, ch, c[ch], ends[style][v][ch]);
    }
    free(img.data);
  }
}
END_TEST

START_TEST(nan_and_odd_labels_render)
{
  float w[12];
  memcpy(w, w34, sizeof w);
  w[5] = NAN;
  w[6] = INFINITY;
  char huge[3000];
  memset(huge, 'x', sizeof huge - 1);
  huge[sizeof huge - 1] = 0;
  const char *in[] = {huge, "bad\xff\xfe" "utf8", "<&\"'>", "\xc3\xa9l\xc3\xa8ve"};
  Heatmap h = make_heatmap(3, 4, w, 4, out3, in, HEATMAP_MATPLOTLIB);
  FigImage img;
  HeatmapLayout lay;
  ck_assert_int_eq(heatmap_image(&h, 1.0, &img, &lay), 0);
  ck_assert(isfinite(lay.vmin) && isfinite(lay.vmax));
  ck_assert(lay.cells.w > 100.0); /* the huge label was cut, not given the page */
  free(img.data);
  ck_assert_int_eq(heatmap_save(&h, tmp_path("odd.svg")), 0);
  char *svg = read_all(tmp_path("odd.svg"), NULL);
  ck_assert_ptr_nonnull(strstr(svg, "&lt;&amp;&quot;&apos;&gt;</text>"));
  ck_assert_ptr_nonnull(strstr(svg, "bad??utf8</text>"));
  ck_assert_ptr_nonnull(strstr(svg, "\xe2\x80\xa6</text>")); /* the cut label's ellipsis */
  free(svg);
  ck_assert_int_eq(heatmap_save(&h, tmp_path("odd.pdf")), 0);
}
END_TEST

START_TEST(empty_matrix_is_an_error)
{
  Heatmap h = make_heatmap(0, 4, w34, 4, out3, in4, HEATMAP_MATPLOTLIB);
  HeatmapLayout lay;
  ck_assert_int_eq(heatmap_layout(&h, &lay), -1);
  ck_assert_ptr_nonnull(strstr(kit_error(), "nothing to draw"));
  ck_assert_int_eq(heatmap_save(&h, tmp_path("empty.png")), -1);
  ck_assert(!file_exists(tmp_path("empty.png")));
}
END_TEST

/* --------------------------------------------------------------------- text */

static const char *in_acc[] = {"the", "\xc3\xa9l\xc3\xa8ve", "gar\xc3\xa7on", "c\xc5\x93ur"};
static const char *out_acc[] = {"l'\xc3\xa9l\xc3\xa8ve", "na\xc3\xafve", "fran\xc3\xa7" "ais"};

START_TEST(pdf_has_real_text)
{
  for (int style = HEATMAP_MATPLOTLIB; style <= HEATMAP_SEABORN; style++) {
    Heatmap h = make_heatmap(3, 4, w34, 4, out_acc, in_acc, style);
    h.title = "Attention Mechanism: \"the \xc3\xa9l\xc3\xa8ve\" \xe2\x86\x92 \"na\xc3\xafve\"";
    const char *pdf = tmp_path("text.pdf");
    ck_assert_int_eq(heatmap_save(&h, pdf), 0);
    char *t = pdf_text(pdf);
    for (int j = 0; j < 4; j++) assert_pdf_has(t, in_acc[j]);
    for (int i = 0; i < 3; i++) assert_pdf_has(t, out_acc[i]);
    assert_pdf_has(t, "Input Words (English)");
    assert_pdf_has(t, "Output Words (French)");
    assert_pdf_has(t, "Attention Weight");
    assert_pdf_has(t, h.title);
    free(t);
  }
  double x[] = {1, 2, 3}, y[] = {1.0, 0.5, 0.25};
  Curve c = {3, x, y, "Training: average loss per epoch", "Epoch", "Average loss"};
  ck_assert_int_eq(curve_save(&c, tmp_path("curve.pdf")), 0);
  char *t = pdf_text(tmp_path("curve.pdf"));
  assert_pdf_has(t, "Epoch");
  assert_pdf_has(t, "Average loss");
  assert_pdf_has(t, "Training: average loss per epoch");
  free(t);
}
END_TEST

START_TEST(svg_has_real_text)
{
  Heatmap h = make_heatmap(3, 4, w34, 4, out_acc, in_acc, HEATMAP_SEABORN);
  const char *svg = tmp_path("text.svg");
  ck_assert_int_eq(heatmap_save(&h, svg), 0);
  char *s = read_all(svg, NULL);
  ck_assert_ptr_nonnull(strstr(s, "<?xml"));
  ck_assert_ptr_nonnull(strstr(s, "</svg>"));
  ck_assert_ptr_null(strstr(strstr(s, "</svg>") + 6, "<")); /* nothing after the end */
  for (int j = 0; j < 4; j++) assert_svg_has(s, in_acc[j]);
  assert_svg_has(s, "l&apos;\xc3\xa9l\xc3\xa8ve");
  assert_svg_has(s, out_acc[1]);
  assert_svg_has(s, out_acc[2]);
  assert_svg_has(s, "Input Words (English)");
  assert_svg_has(s, "Output Words (French)");
  assert_svg_has(s, "Attention Weight");
  free(s);
}
END_TEST

/* ------------------------------------------------------------- output files */

START_TEST(missing_folder_is_an_error)
{
  Heatmap h = make_heatmap(3, 4, w34, 4, out3, in4, HEATMAP_MATPLOTLIB);
  const char *p = tmp_path("no/such/folder/fig.pdf");
  ck_assert_int_eq(heatmap_save(&h, p), -1);
  ck_assert_msg(strstr(kit_error(), p) != NULL, "message \"%s\" does not name %s",
    kit_error(), p);
  ck_assert_ptr_nonnull(strstr(kit_error(), "does not exist"));
  ck_assert(!file_exists(tmp_path("no")));
  double x[] = {1}, y[] = {1};
  Curve c = {1, x, y, "t", "x", "y"};
  ck_assert_int_eq(curve_save(&c, p), -1);
  ck_assert_ptr_nonnull(strstr(kit_error(), p));
}
END_TEST

START_TEST(unknown_extension_is_an_error)
{
  Heatmap h = make_heatmap(3, 4, w34, 4, out3, in4, HEATMAP_MATPLOTLIB);
  const char *bad[] = {"fig.jpg", "fig", "fig.", "pdf", "a.pdf/fig"};
  for (int k = 0; k < 5; k++) {
    const char *p = tmp_path(bad[k]);
    ck_assert_int_eq(heatmap_save(&h, p), -1);
    ck_assert_msg(strstr(kit_error(), p) != NULL, "message \"%s\" does not name %s",
      kit_error(), p);
    ck_assert(!file_exists(p));
  }
  ck_assert_int_eq(figure_format("x.PNG"), FIGURE_PNG);
  ck_assert_int_eq(figure_format("dir.svg/x.pdf"), FIGURE_PDF);
  ck_assert_int_eq(figure_format("x.svg"), FIGURE_SVG);
  ck_assert_int_eq(leftover_temp_files(), 0);
}
END_TEST

START_TEST(files_are_replaced_whole_and_deterministic)
{
  Heatmap h = make_heatmap(3, 4, w34, 4, out3, in4, HEATMAP_SEABORN);
  const char *ext[] = {"png", "pdf", "svg"};
  for (int k = 0; k < 3; k++) {
    char name[32];
    snprintf(name, sizeof name, "same.%s", ext[k]);
    const char *p = tmp_path(name);
    FILE *f = fopen(p, "w");
    fputs("an old file, to be replaced", f);
    fclose(f);
    ck_assert_int_eq(heatmap_save(&h, p), 0);
    size_t n1 = 0, n2 = 0;
    char *a = read_all(p, &n1);
    ck_assert_int_eq(heatmap_save(&h, p), 0);
    char *b = read_all(p, &n2);
    if (k == 2) blank_surface_ids(a), blank_surface_ids(b);
    ck_assert_msg(n1 == n2 && memcmp(a, b, n1) == 0, "two drawings of %s differ", p);
    ck_assert(n1 > 1000);
    free(a);
    free(b);
    struct stat st;
    mode_t mask = umask(0);
    umask(mask);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_msg((st.st_mode & 0777) == (0666 & ~mask), "%s is mode %o", p,
      (unsigned) (st.st_mode & 0777));
  }
  ck_assert(file_contains(tmp_path("same.pdf"), "%PDF-1.4"));
  ck_assert(file_contains(tmp_path("same.pdf"), "/CreationDate (19700101000000Z)"));
  ck_assert_int_eq(leftover_temp_files(), 0);
}
END_TEST

START_TEST(source_date_epoch_sets_the_pdf_date)
{
  Heatmap h = make_heatmap(3, 4, w34, 4, out3, in4, HEATMAP_SEABORN);
  setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  ck_assert_int_eq(heatmap_save(&h, tmp_path("dated.pdf")), 0);
  unsetenv("SOURCE_DATE_EPOCH");
  ck_assert(file_contains(tmp_path("dated.pdf"), "/CreationDate (20231114221320Z)"));
}
END_TEST

START_TEST(curve_axes)
{
  double x[400], y[400];
  for (int k = 0; k < 400; k++) x[k] = k + 1, y[k] = 2.8 * exp(-k / 20.0) + 3e-5;
  Curve c = {400, x, y, "loss", "Epoch", "Average loss"};
  ck_assert_int_eq(curve_save(&c, tmp_path("log.svg")), 0);
  char *s = read_all(tmp_path("log.svg"), NULL);
  /* a logarithmic axis: 10^-5 to 10^1, labelled with superscripts */
  assert_svg_has(s, "10\xe2\x81\xbb\xe2\x81\xb5");
  assert_svg_has(s, "10\xc2\xb9");
  assert_svg_has(s, "400");
  assert_svg_has(s, "0");
  free(s);
  for (int k = 0; k < 400; k++) y[k] = 1.0 + k / 400.0; /* a linear one */
  ck_assert_int_eq(curve_save(&c, tmp_path("lin.svg")), 0);
  s = read_all(tmp_path("lin.svg"), NULL);
  ck_assert_ptr_null(strstr(s, "10\xe2\x81"));
  assert_svg_has(s, "1.0");
  assert_svg_has(s, "2.0");
  free(s);
  double nan_y[] = {1.0, NAN};
  Curve bad = {2, x, nan_y, "t", "x", "y"};
  ck_assert_int_eq(curve_save(&bad, tmp_path("nan.png")), -1);
  ck_assert_ptr_nonnull(strstr(kit_error(), "point 2"));
  ck_assert(!file_exists(tmp_path("nan.png")));
}
END_TEST

START_TEST(curve_extreme_values)
{
  /* 5e-324 once put a logarithmic axis's end at 10^-324 = 0 (SIGFPE in the
     tick code), 1.7e308 at infinity; ranges of denormal numbers took the
     logarithm of a zero step. Each draws, or fails with a message. */
  static const double ok_y[][2] = {{2.8, 5e-324}, {5e-324, 5e-324}, {1e-310, 2e-310},
    {1e-299, 1e299}, {-1e300, 1e300}, {0.0, 0.0}, {1.0, 1.0 + 1e-15}};
  double x[2] = {1, 2};
  for (size_t k = 0; k < sizeof ok_y / sizeof ok_y[0]; k++) {
    Curve c = {2, x, ok_y[k], "t", "x", "y"};
    FigImage img;
    ck_assert_msg(curve_image(&c, 1.0, &img) == 0, "case %zu: %s", k, kit_error());
    free(img.data);
  }
  static const double bad_y[][2] = {{2.8, 1.7e308}, {-1.7e308, 1.7e308}};
  for (size_t k = 0; k < 2; k++) {
    Curve c = {2, x, bad_y[k], "t", "x", "y"};
    ck_assert_int_eq(curve_save(&c, tmp_path("huge.png")), -1);
    ck_assert_ptr_nonnull(strstr(kit_error(), "too large"));
  }
  ck_assert(!file_exists(tmp_path("huge.png")));
}
END_TEST

/* ------------------------------------------------------------- command line */

static const char *model(void)
{
  const char *m = tmp_path("cli-model.safetensors");
  if (!file_exists(m))
    ck_assert_int_eq(run("./attention train --epochs 40 --show 0 --save '%s' >/dev/null", m), 0);
  return m;
}

START_TEST(cli_heatmap_writes_files)
{
  const char *m = model(), *pdf = tmp_path("cli.pdf"), *png = tmp_path("cli.png"),
    *svg = tmp_path("cli.svg"), *out = tmp_path("cli.out");
  ck_assert_int_eq(run("./attention heatmap --model '%s' --style ylorrd --out '%s' --out '%s' "
    "--out '%s' 'I am a Student' >'%s' 2>&1", m, pdf, png, svg, out), 0);
  ck_assert(file_exists(pdf) && file_exists(png) && file_exists(svg));
  char *o = read_all(out, NULL);
  ck_assert_ptr_nonnull(strstr(o, "Wrote "));
  ck_assert_ptr_nonnull(strstr(o, pdf));
  free(o);
  char *t = pdf_text(pdf);
  assert_pdf_has(t, "student");
  assert_pdf_has(t, "Attention Mechanism: \"i am a student\"");
  free(t);
}
END_TEST

START_TEST(cli_heatmap_errors)
{
  const char *m = model(), *err = tmp_path("cli.err");
  const char *missing = tmp_path("nowhere/fig.png");
  ck_assert_int_eq(run("./attention heatmap --model '%s' --out '%s' 'i am a student' "
    "2>'%s' >/dev/null", m, missing, err), 1);
  char *e = read_all(err, NULL);
  ck_assert_msg(strstr(e, missing) != NULL, "stderr \"%s\" does not name %s", e, missing);
  free(e);
  const char *jpg = tmp_path("fig.jpg");
  ck_assert_int_eq(run("./attention heatmap --model '%s' --out '%s' 'i am a student' "
    "2>'%s' >/dev/null", m, jpg, err), 1);
  e = read_all(err, NULL);
  ck_assert_ptr_nonnull(strstr(e, jpg));
  free(e);
  ck_assert(!file_exists(jpg));
  const char *png = tmp_path("zebra.png");
  ck_assert_int_eq(run("./attention heatmap --model '%s' --out '%s' 'i am a zebra' "
    "2>'%s' >/dev/null", m, png, err), 1);
  e = read_all(err, NULL);
  ck_assert_ptr_nonnull(strstr(e, "zebra"));
  free(e);
  ck_assert(!file_exists(png));
  ck_assert_int_eq(run("./attention heatmap --model '%s' --out '%s' 'i am a student' "
    "2>/dev/null >/dev/null", tmp_path("no-such-model"), png), 1);
  ck_assert(!file_exists(png));
  /* wrong command lines: status 2 */
  ck_assert_int_eq(run("./attention heatmap --model '%s' 'i am a student' 2>/dev/null", m), 2);
  ck_assert_int_eq(run("./attention heatmap --out '%s' 'i am a student' 2>/dev/null", png), 2);
  ck_assert_int_eq(run("./attention heatmap --model '%s' --out '%s' 2>/dev/null", m, png), 2);
  ck_assert_int_eq(run("./attention heatmap --model '%s' --out '%s' a b 2>/dev/null", m, png), 2);
  ck_assert_int_eq(run("./attention heatmap --model '%s' --out '%s' --style jet 'i am' "
    "2>/dev/null", m, png), 2);
  ck_assert_int_eq(run("./attention heatmap --model '%s' --out '%s' --scale log 'i am' "
    "2>/dev/null", m, png), 2);
  ck_assert_int_eq(run("./attention heatmap --help >/dev/null"), 0);
  ck_assert_int_eq(leftover_temp_files(), 0);
}
END_TEST

START_TEST(cli_loss_log_and_curve)
{
  const char *log = tmp_path("loss.tsv"), *pdf = tmp_path("loss.pdf"), *err = tmp_path("l.err");
  ck_assert_int_eq(run("./attention train --epochs 7 --show 0 --loss-log '%s' >/dev/null", log), 0);
  char *s = read_all(log, NULL);
  int lines = 0;
  for (char *p = s; *p; p++) lines += *p == '\n';
  ck_assert_int_eq(lines, 7);
  ck_assert(strncmp(s, "1\t", 2) == 0);
  free(s);
  ck_assert_int_eq(run("./attention loss-curve --log '%s' --out '%s' >/dev/null", log, pdf), 0);
  ck_assert(file_exists(pdf));
  /* a log in a folder that does not exist: status 1 before any training */
  const char *nolog = tmp_path("none/loss.tsv");
  ck_assert_int_eq(run("./attention train --epochs 7 --loss-log '%s' >'%s' 2>&1", nolog, err), 1);
  s = read_all(err, NULL);
  ck_assert_msg(strstr(s, nolog) != NULL && strstr(s, "Epoch") == NULL, "output: %s", s);
  free(s);
  /* a bad line is named */
  FILE *f = fopen(log, "w");
  fputs("1\t0.5\n2\tfast\n", f);
  fclose(f);
  ck_assert_int_eq(run("./attention loss-curve --log '%s' --out '%s' 2>'%s'", log,
    tmp_path("bad.png"), err), 1);
  s = read_all(err, NULL);
  ck_assert_msg(strstr(s, "line 2") != NULL && strstr(s, log) != NULL, "stderr: %s", s);
  free(s);
  ck_assert(!file_exists(tmp_path("bad.png")));
  ck_assert_int_eq(run("./attention loss-curve --log '%s' --out '%s' 2>/dev/null", log,
    tmp_path("bad.gif")), 1);
  ck_assert_int_eq(run("./attention loss-curve --out '%s' 2>/dev/null", pdf), 2);
}
END_TEST

static Suite *figures_suite(void)
{
  Suite *s = suite_create("figures");
  TCase *tc = tcase_create("colormaps");
  tcase_add_test(tc, colormap_ends_and_control_points);
  tcase_add_test(tc, colormap_interpolates_and_clamps);
  suite_add_tcase(s, tc);

  tc = tcase_create("pixels");
  tcase_add_test(tc, cells_have_the_colormap_colour);
  tcase_add_test(tc, unit_scale_is_zero_to_one);
  tcase_add_test(tc, colorbar_runs_from_low_to_high);
  tcase_add_test(tc, image_is_not_blank);
  suite_add_tcase(s, tc);

  tc = tcase_create("odd matrices");
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, one_word);
  tcase_add_test(tc, max_length_words);
  tcase_add_test(tc, all_weights_equal);
  tcase_add_test(tc, weights_of_exactly_zero_and_one);
  tcase_add_test(tc, nan_and_odd_labels_render);
  tcase_add_test(tc, empty_matrix_is_an_error);
  suite_add_tcase(s, tc);

  tc = tcase_create("text");
  tcase_add_test(tc, pdf_has_real_text);
  tcase_add_test(tc, svg_has_real_text);
  suite_add_tcase(s, tc);

  tc = tcase_create("files");
  tcase_add_test(tc, missing_folder_is_an_error);
  tcase_add_test(tc, unknown_extension_is_an_error);
  tcase_add_test(tc, files_are_replaced_whole_and_deterministic);
  tcase_add_test(tc, source_date_epoch_sets_the_pdf_date);
  tcase_add_test(tc, curve_axes);
  tcase_add_test(tc, curve_extreme_values);
  suite_add_tcase(s, tc);

  tc = tcase_create("command line");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, cli_heatmap_writes_files);
  tcase_add_test(tc, cli_heatmap_errors);
  tcase_add_test(tc, cli_loss_log_and_curve);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  if (!mkdtemp(tmpdir)) {
    fprintf(stderr, "test_figures: cannot create a temporary folder: %s\n", strerror(errno));
    return 1;
  }
  int status = run_suite(figures_suite());
  nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  return status;
}

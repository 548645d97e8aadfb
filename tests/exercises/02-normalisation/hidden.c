/* Exercise 2, hidden tests: more hand-worked cases (combining marks, other
   scripts, capitals) and random sentences checked against a reference written
   here for the characters they are drawn from: ASCII (rules 1, 3, 4 and 5
   need no tables for it), the Latin-1 letters U+00C0 to U+00FF, whose
   lower-case canonical decompositions are one ASCII letter and marks or no
   ASCII letter at all (the table below, from the Unicode charts, checked
   against Python's unicodedata), the combining marks U+0300 to U+036F (all
   of category Mn: dropped, without becoming a separator), and Greek,
   Cyrillic, CJK and emoji characters (none of which decomposes to ASCII:
   separators). */
#define WITH_HIDDEN
#include "public.c"

/* U+00C0 ... U+00FF: the ASCII letter left after lower case, NFD and dropping
   the marks; '-' for a character that leaves none (AE, ETH, x, O-stroke,
   THORN, sharp s, ae, eth, division sign, o-stroke, thorn). */
static const char latin1[65] =
  "aaaaaa-ceeeeiiii-nooooo--uuuuy--"
  "aaaaaa-ceeeeiiii-nooooo--uuuuy-y";

static void put_utf8(PBuf *b, uint32_t cp)
{
  unsigned char u[4];
  size_t n;
  if (cp < 0x80) u[0] = (unsigned char) cp, n = 1;
  else if (cp < 0x800) u[0] = (unsigned char) (0xC0 | cp >> 6), u[1] = (unsigned char) (0x80 | (cp & 63)), n = 2;
  else if (cp < 0x10000) u[0] = (unsigned char) (0xE0 | cp >> 12), u[1] = (unsigned char) (0x80 | ((cp >> 6) & 63)),
    u[2] = (unsigned char) (0x80 | (cp & 63)), n = 3;
  else u[0] = (unsigned char) (0xF0 | cp >> 18), u[1] = (unsigned char) (0x80 | ((cp >> 12) & 63)),
    u[2] = (unsigned char) (0x80 | ((cp >> 6) & 63)), u[3] = (unsigned char) (0x80 | (cp & 63)), n = 4;
  pb_raw(b, u, n);
}

/* The expected normalisation of a sequence of code points of the kinds above. */
static char *reference(const uint32_t *cp, int n)
{
  char *out = malloc((size_t) n * 2 + 1);
  int k = 0, pending = 0;
  for (int i = 0; i < n; i++) {
    uint32_t c = cp[i];
    char letter = 0;
    if (c >= 0x300 && c < 0x370) continue;              /* a mark: dropped */
    if (c < 0x80 && ((c | 32) >= 'a' && (c | 32) <= 'z')) letter = (char) (c | 32);
    else if (c == '.' || c == '!' || c == '?') {
      pending = 1;
      letter = (char) c;
    } else if (c >= 0xC0 && c <= 0xFF && latin1[c - 0xC0] != '-') letter = latin1[c - 0xC0];
    if (!letter) {
      pending = 1;
      continue;
    }
    if (pending && k > 0) out[k++] = ' ';
    pending = 0;
    out[k++] = letter;
  }
  out[k] = '\0';
  return out;
}

static void check_codepoints(const uint32_t *cp, int n, const char *what)
{
  PBuf in = {0};
  for (int i = 0; i < n; i++) put_utf8(&in, cp[i]);
  PBuf q = request("normalize");
  pb_bytes(&q, in.b, in.n);
  Reply r = call(&q);
  int ok = reply_int(&r, "status");
  (void) reply_int(&r, "bad byte");
  char *got = reply_bytes(&r, NULL, "sentence");
  char *want = reference(cp, n);
  if (!ok) ck_abort_msg("%s: normalize_sentence returned NULL for valid UTF-8", what);
  if (strcmp(got, want) != 0) {
    size_t i = 0;
    while (got[i] && got[i] == want[i]) i++;
    char shown[200] = "";
    for (int j = 0, at = 0; j < n && at < 150; j++)
      at += snprintf(shown + at, sizeof shown - (size_t) at, cp[j] < 0x80 && cp[j] >= 32 ? "%c" : "<U+%04X>",
        cp[j] < 0x80 && cp[j] >= 32 ? (int) cp[j] : (int) cp[j]);
    ck_abort_msg("%s: input (code points) %s...: the output first differs at character %zu: "
      "expected \"%.60s\", got \"%.60s\"", what, shown, i, want + (i > 10 ? i - 10 : 0),
      got + (i > 10 ? i - 10 : 0));
  }
  free(got);
  free(want);
  pb_free(&in);
  reply_free(&r);
}

static uint32_t draw(int kinds)
{
  static const char ascii[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ     .!?,;:'\"-()0123456789";
  double u = unif();
  if (kinds == 0 || u < 0.6) return (uint32_t) ascii[(int) (unif() * (sizeof ascii - 1))];
  if (u < 0.8) return 0xC0 + (uint32_t) (unif() * 64);
  if (u < 0.88) return 0x300 + (uint32_t) (unif() * 0x70);
  if (u < 0.92) return 0x391 + (uint32_t) (unif() * 0x38);
  if (u < 0.95) return 0x410 + (uint32_t) (unif() * 0x40);
  if (u < 0.98) return 0x4E00 + (uint32_t) (unif() * 0x20);
  return 0x1F600 + (uint32_t) (unif() * 0x10);
}

JTEST(combining_marks_and_other_scripts)
{
  static const Case c[] = {
    {"e\xcc\x81", "e", "e and a combining acute accent: the mark is dropped"},
    {"n\xcc\x83o", "no", "a dropped mark is not a separator"},
    {"\xcc\x81\xcc\x82", "", "marks alone leave nothing"},
    {"E\xcc\x80 bien", "e bien", "a capital with a combining grave"},
    {"\xce\xa9\xce\xbc\xce\xad\xce\xb3\xce\xb1", "", "Greek letters are not ASCII letters"},
    {"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xbc\xd0\xb8\xd1\x80!", "!", "Cyrillic, and the mark survives"},
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82", "", "Japanese; the ideographic full stop is not '.'"},
    {"I \xe2\x9d\xa4 NY", "i ny", "a heart between words"},
  };
  check_cases(c, sizeof c / sizeof c[0]);
}

JTEST(capital_and_extended_latin_letters)
{
  static const Case c[] = {
    {"\xc3\x80\xc3\x89\xc3\x8e\xc3\x95\xc3\x9c \xc3\x87\xc3\x91", "aeiou cn", "Latin-1 capitals"},
    {"\xc5\x81\xc3\xb3" "d\xc5\xba", "odz", "L with stroke has no decomposition; o acute and z acute do"},
    {"\xc5\xb8", "y", "Y diaeresis (U+0178) lower-cases to U+00FF"},
    {"\xc2\xb5m", "m", "the micro sign is not an ASCII letter"},
  };
  check_cases(c, sizeof c / sizeof c[0]);
}

JTEST(random_ascii_sentences)
{
  rng_seed(201);
  for (int k = 0; k < 40; k++) {
    uint32_t cp[80];
    int n = (int) (unif() * 80);
    for (int i = 0; i < n; i++) cp[i] = draw(0);
    check_codepoints(cp, n, "a random ASCII sentence");
  }
}

JTEST(random_latin_and_other_sentences)
{
  rng_seed(202);
  for (int k = 0; k < 40; k++) {
    uint32_t cp[80];
    int n = 1 + (int) (unif() * 79);
    for (int i = 0; i < n; i++) cp[i] = draw(1);
    check_codepoints(cp, n, "a random sentence of ASCII, Latin-1, marks and other scripts");
  }
}

JTEST(a_long_mixed_text)
{
  rng_seed(203);
  int n = 20000;
  uint32_t *cp = malloc((size_t) n * sizeof *cp);
  for (int i = 0; i < n; i++) cp[i] = draw(1);
  check_codepoints(cp, n, "20,000 random characters");
  free(cp);
}

static const Graded hidden_tests[] = {
  GRADED(combining_marks_and_other_scripts, 0.25, 3, "combining marks, Greek, Cyrillic, Japanese, a symbol"),
  GRADED(capital_and_extended_latin_letters, 0.25, 3, "capitals, Latin Extended-A, Y diaeresis, micro sign"),
  GRADED(random_ascii_sentences, 0.25, 3, "40 random ASCII sentences"),
  GRADED(random_latin_and_other_sentences, 0.25, 3, "40 random sentences of mixed scripts"),
  GRADED(a_long_mixed_text, 1, 3, "20,000 random characters in one sentence"),
};

JUDGE_MAIN(public_tests, hidden_tests)

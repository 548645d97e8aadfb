/* Exercise 2, public tests: normalising sentences. Each expected output is
   worked out by hand from the book's five rules (lower case; canonical
   decomposition with the marks of category Mn dropped; a space before each
   '.', '!' and '?'; every run of other characters becomes one space; no space
   at either end), and checked against the PyTorch tutorial's normalizeString
   (tests/normalize_ref.py, Python's unicodedata). */
#include "judge.h"

typedef struct { const char *in, *out, *why; } Case;

static void check_cases(const Case *c, int n)
{
  for (int k = 0; k < n; k++) {
    PBuf q = request("normalize");
    pb_bytes(&q, c[k].in, strlen(c[k].in));
    Reply r = call(&q);
    int ok = reply_int(&r, "status");
    int bad = reply_int(&r, "bad byte");
    char *got = reply_bytes(&r, NULL, "sentence");
    if (!ok)
      ck_abort_msg("normalize_sentence(\"%s\") returned NULL (invalid UTF-8 at byte %d?) but the "
        "input is valid; expected \"%s\" (%s)", c[k].in, bad, c[k].out, c[k].why);
    if (strcmp(got, c[k].out) != 0)
      ck_abort_msg("normalize_sentence(\"%s\"): expected \"%s\", got \"%s\" (%s)", c[k].in,
        c[k].out, got, c[k].why);
    free(got);
    reply_free(&r);
  }
}

JTEST(plain_ascii_sentences)
{
  static const Case c[] = {
    {"I am a student.", "i am a student .", "lower case, a space before the full stop"},
    {"He's a TEACHER!", "he s a teacher !", "an apostrophe is a separator"},
    {"  Spaces   everywhere  ", "spaces everywhere", "runs of spaces become one, none at the ends"},
    {"Wait...what?", "wait . . .what ?", "a space before each mark, none after"},
    {"123 go", "go", "digits are separators"},
  };
  check_cases(c, sizeof c / sizeof c[0]);
}

JTEST(accented_letters_lose_their_accents)
{
  static const Case c[] = {
    {"J'ai froid.", "j ai froid .", "the book's example"},
    {"\xc3\x89l\xc3\xa8ve \xc3\xa0 l'\xc3\xa9" "cole", "eleve a l ecole", "E acute, e grave, a grave"},
    {"\xc3\x87" "a va? Tr\xc3\xa8s bien!", "ca va ? tres bien !", "C cedilla, lower-cased and decomposed"},
    {"na\xc3\xafve caf\xc3\xa9", "naive cafe", "i diaeresis, e acute"},
  };
  check_cases(c, sizeof c / sizeof c[0]);
}

JTEST(letters_without_a_decomposition_are_separators)
{
  static const Case c[] = {
    {"c\xc5\x93ur", "c ur", "oe ligature: no decomposition, not ASCII"},
    {"Stra\xc3\x9f" "e", "stra e", "sharp s stays sharp s"},
    {"\xc3\x98re", "re", "O with stroke: no canonical decomposition"},
    {"\xef\xac\x81n", "n", "the fi ligature decomposes only under compatibility (NFKD), not NFD"},
  };
  check_cases(c, sizeof c / sizeof c[0]);
}

static const Graded public_tests[] = {
  GRADED(plain_ascii_sentences, 1, 3, "ASCII sentences: case, marks, separators, spaces"),
  GRADED(accented_letters_lose_their_accents, 0.5, 3, "French sentences with accents"),
  GRADED(letters_without_a_decomposition_are_separators, 0.5, 3, "oe, sharp s, O with stroke, the fi ligature"),
};

#ifndef WITH_HIDDEN
JUDGE_MAIN_PUBLIC(public_tests)
#endif

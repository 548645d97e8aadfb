/* Tests of the data chapter: the vocabulary, tokenising, the normaliser, the
   reader of pair files and the examples made from pairs.

   Every expected value here is worked out by hand from the rules stated in
   attention.w (or, for the corpus, from the tutorial's published numbers,
   which tests/normalize_ref.py reproduces independently); none comes from
   running the code under test. */
#define _GNU_SOURCE
#include "testutil.h"
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

/* One temporary folder for the whole run, made by main() in the parent and
   removed by it after every test has run (the tests run in forked children,
   which inherit the name). */
static char tmpdir[] = "/tmp/attention-test-data-XXXXXX";

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
  (void) sb; (void) flag; (void) ftw;
  return remove(p);
}

/* Write |n| bytes to |name| in the temporary folder; return its path (static). */
static const char *write_file(const char *name, const char *bytes, size_t n)
{
  static char path[4096];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "wb");
  ck_assert_msg(f != NULL, "cannot create %s: %s", path, strerror(errno));
  ck_assert_msg(fwrite(bytes, 1, n, f) == n, "cannot write %s", path);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}
#define WRITE_STR(name, lit) write_file(name, lit, sizeof(lit) - 1)

/* The last error message must contain |sub|. */
#define ck_assert_error_has(sub) \
  ck_assert_msg(strstr(kit_error(), (sub)) != NULL, \
    "expected the error message to contain \"%s\", got \"%s\"", (sub), kit_error())

/* ---------------------------------------------------------------- vocabulary */

START_TEST(vocab_starts_with_sos_eos)
{
  Vocab v;
  vocab_init(&v);
  ck_assert_int_eq(v.n, 2);
  ck_assert_str_eq(v.word[0], "<SOS>");
  ck_assert_str_eq(v.word[1], "<EOS>");
  ck_assert_int_eq(vocab_find(&v, "<SOS>"), SOS_TOKEN);
  ck_assert_int_eq(vocab_find(&v, "<EOS>"), EOS_TOKEN);
  ck_assert_int_eq(SOS_TOKEN, 0);
  ck_assert_int_eq(EOS_TOKEN, 1);
  vocab_free(&v);
}
END_TEST

START_TEST(vocab_first_appearance_order)
{
  Vocab v;
  vocab_init(&v);
  ck_assert_int_eq(vocab_add(&v, "i"), 2);
  ck_assert_int_eq(vocab_add(&v, "am"), 3);
  ck_assert_int_eq(vocab_add(&v, "cold"), 4);
  ck_assert_int_eq(v.n, 5);
  /* An existing word: its index, and the vocabulary does not grow. */
  ck_assert_int_eq(vocab_add(&v, "am"), 3);
  ck_assert_int_eq(vocab_add(&v, "<EOS>"), 1);
  ck_assert_int_eq(v.n, 5);
  ck_assert_str_eq(v.word[2], "i");
  ck_assert_str_eq(v.word[3], "am");
  ck_assert_str_eq(v.word[4], "cold");
  ck_assert_int_eq(vocab_find(&v, "cold"), 4);
  /* Unknown words, including prefixes and extensions of known ones. */
  ck_assert_int_eq(vocab_find(&v, "hot"), -1);
  ck_assert_int_eq(vocab_find(&v, "col"), -1);
  ck_assert_int_eq(vocab_find(&v, "colder"), -1);
  ck_assert_int_eq(vocab_find(&v, "Cold"), -1);
  ck_assert_int_eq(vocab_find(&v, ""), -1);
  ck_assert_int_eq(v.n, 5);
  vocab_free(&v);
}
END_TEST

START_TEST(vocab_add_sentence_splits_on_spaces)
{
  Vocab v;
  vocab_init(&v);
  vocab_add_sentence(&v, "je suis la .");
  vocab_add_sentence(&v, "tu es la ?");
  const char *want[] = {"<SOS>", "<EOS>", "je", "suis", "la", ".", "tu", "es", "?"};
  ck_assert_int_eq(v.n, 9);
  for (int k = 0; k < 9; k++) ck_assert_str_eq(v.word[k], want[k]);
  vocab_free(&v);
}
END_TEST

START_TEST(vocab_many_words_survive_rehashing)
{
  enum { N = 100000 };
  Vocab v;
  vocab_init(&v);
  char w[32];
  for (int k = 0; k < N; k++) {
    snprintf(w, sizeof w, "w%d", k);
    int id = vocab_add(&v, w);
    if (id != k + 2) ck_abort_msg("vocab_add(\"%s\") gave %d, expected %d", w, id, k + 2);
  }
  ck_assert_int_eq(v.n, N + 2);
  /* The table stays at most half full and a power of two. */
  ck_assert_int_ge(v.nslot, 2 * v.n);
  ck_assert_int_eq(v.nslot & (v.nslot - 1), 0);
  for (int k = 0; k < N; k++) {
    snprintf(w, sizeof w, "w%d", k);
    int id = vocab_find(&v, w);
    if (id != k + 2) ck_abort_msg("vocab_find(\"%s\") gave %d, expected %d", w, id, k + 2);
    if (strcmp(v.word[k + 2], w) != 0)
      ck_abort_msg("word[%d] is \"%s\", expected \"%s\"", k + 2, v.word[k + 2], w);
  }
  ck_assert_int_eq(vocab_find(&v, "<SOS>"), 0);
  ck_assert_int_eq(vocab_find(&v, "<EOS>"), 1);
  ck_assert_int_eq(vocab_find(&v, "w100000"), -1);
  ck_assert_int_eq(vocab_find(&v, "w-1"), -1);
  /* Adding them all again changes nothing. */
  for (int k = 0; k < N; k += 997) {
    snprintf(w, sizeof w, "w%d", k);
    ck_assert_int_eq(vocab_add(&v, w), k + 2);
  }
  ck_assert_int_eq(v.n, N + 2);
  vocab_free(&v);
}
END_TEST

START_TEST(vocab_of_the_notebook_pairs)
{
  static const char *en[16] = {"<SOS>", "<EOS>", "i", "am", "a", "student", "he", "is",
    "teacher", "she", "doctor", "we", "are", "engineers", "they", "artists"};
  static const char *fr[16] = {"<SOS>", "<EOS>", "je", "suis", "etudiant", "il", "est",
    "professeur", "elle", "medecin", "nous", "sommes", "ingenieurs", "ils", "sont",
    "artistes"};
  PairList pl;
  pairs_seed(&pl);
  ck_assert_int_eq(pl.n, 5);
  Vocab vin, vout;
  vocab_init(&vin);
  vocab_init(&vout);
  for (int k = 0; k < pl.n; k++) {
    vocab_add_sentence(&vin, pl.pair[k].src);
    vocab_add_sentence(&vout, pl.pair[k].tgt);
  }
  ck_assert_int_eq(vin.n, 16);
  ck_assert_int_eq(vout.n, 16);
  for (int k = 0; k < 16; k++) {
    ck_assert_str_eq(vin.word[k], en[k]);
    ck_assert_str_eq(vout.word[k], fr[k]);
    ck_assert_int_eq(vocab_find(&vin, en[k]), k);
    ck_assert_int_eq(vocab_find(&vout, fr[k]), k);
  }
  ck_assert_str_eq(pl.pair[0].src, "i am a student");
  ck_assert_str_eq(pl.pair[4].tgt, "ils sont artistes");
  vocab_free(&vin);
  vocab_free(&vout);
  pairs_free(&pl);
}
END_TEST

/* ------------------------------------------------------------------ tokenize */

static void seed_vocabs(Vocab *vin, Vocab *vout)
{
  PairList pl;
  pairs_seed(&pl);
  vocab_init(vin);
  vocab_init(vout);
  for (int k = 0; k < pl.n; k++) {
    vocab_add_sentence(vin, pl.pair[k].src);
    vocab_add_sentence(vout, pl.pair[k].tgt);
  }
  pairs_free(&pl);
}

START_TEST(tokenize_known_sentence)
{
  Vocab vin, vout;
  seed_vocabs(&vin, &vout);
  int ids[10];
  ck_assert_int_eq(tokenize(&vin, "he is a teacher", ids, 10, "t", "English"), 4);
  int want[] = {6, 7, 4, 8};
  for (int k = 0; k < 4; k++) ck_assert_int_eq(ids[k], want[k]);
  ck_assert_int_eq(tokenize(&vout, "nous sommes ingenieurs", ids, 10, "t", "French"), 3);
  ck_assert_int_eq(ids[0], 10);
  ck_assert_int_eq(ids[1], 11);
  ck_assert_int_eq(ids[2], 12);
  /* Exactly |max| words fit. */
  ck_assert_int_eq(tokenize(&vin, "i am a student", ids, 4, "t", "English"), 4);
  vocab_free(&vin);
  vocab_free(&vout);
}
END_TEST

START_TEST(tokenize_unknown_word)
{
  Vocab vin, vout;
  seed_vocabs(&vin, &vout);
  int ids[10];
  ck_assert_int_eq(tokenize(&vin, "i am a pilot", ids, 10, "sentence 3", "English"), -1);
  ck_assert_error_has("\"pilot\"");
  ck_assert_error_has("sentence 3");
  ck_assert_error_has("English");
  ck_assert_int_eq(tokenize(&vout, "je suis pilote", ids, 10, "f.txt:7", "French"), -1);
  ck_assert_error_has("\"pilote\"");
  ck_assert_error_has("f.txt:7");
  ck_assert_error_has("French");
  vocab_free(&vin);
  vocab_free(&vout);
}
END_TEST

START_TEST(tokenize_too_many_words)
{
  Vocab vin, vout;
  seed_vocabs(&vin, &vout);
  int ids[4] = {-7, -7, -7, -7};
  ck_assert_int_eq(tokenize(&vin, "i am a student", ids, 3, "sentence 1", "English"), -1);
  ck_assert_error_has("sentence 1");
  ck_assert_error_has("more than 3 words");
  ck_assert_int_eq(ids[3], -7); /* nothing written past |max| */
  vocab_free(&vin);
  vocab_free(&vout);
}
END_TEST

START_TEST(tokenize_empty_and_overlong)
{
  Vocab vin, vout;
  seed_vocabs(&vin, &vout);
  int ids[10];
  /* an empty sentence is zero words, not an error: the tutorial keeps an
     empty French side (its target is then just <EOS>), and callers that need
     a word (the encoder) say so themselves */
  ck_assert_int_eq(tokenize(&vin, "", ids, 10, "sentence 2", "English"), 0);
  char *big = xcalloc(MAX_WORD_BYTES + 10, 1);
  memset(big, 'a', MAX_WORD_BYTES + 5);
  ck_assert_int_eq(tokenize(&vin, big, ids, 10, "sentence 4", "English"), -1);
  ck_assert_error_has("sentence 4");
  free(big);
  vocab_free(&vin);
  vocab_free(&vout);
}
END_TEST

/* ------------------------------------------------------------- normalisation */

/* Normalise the first |len| bytes of |in| and compare with |want|. */
static void check_norm(const char *in, size_t len, const char *want)
{
  size_t bad = 12345;
  char *got = normalize_sentence(in, len, &bad);
  ck_assert_msg(got != NULL, "normalize_sentence(\"%s\") returned NULL (bad byte %zu)", in, bad);
  ck_assert_msg(strcmp(got, want) == 0, "normalize_sentence(\"%s\") is \"%s\", expected \"%s\"",
    in, got, want);
  free(got);
}
#define NORM(lit, want) check_norm(lit, sizeof(lit) - 1, want)

/* Invalid UTF-8: NULL and the byte offset of the failure. */
static void check_bad(const char *in, size_t len, size_t want_offset, const char *what)
{
  size_t bad = 12345;
  char *got = normalize_sentence(in, len, &bad);
  ck_assert_msg(got == NULL, "%s: normalize_sentence accepted invalid UTF-8 and gave \"%s\"",
    what, got ? got : "");
  ck_assert_msg(bad == want_offset, "%s: bad byte offset %zu, expected %zu", what, bad,
    want_offset);
}
#define BAD(lit, off) check_bad(lit, sizeof(lit) - 1, off, #lit)

START_TEST(normalize_rules)
{
  NORM("J'ai froid.", "j ai froid .");
  NORM("\xc3\x87" "a alors !", "ca alors !");                  /* Ça */
  NORM("\xc3\x89l\xc3\xa8ve \xc3\xa0 l'\xc3\xa9" "cole.", "eleve a l ecole .");
  NORM("Qu'est-ce que c'est ?", "qu est ce que c est ?");
  NORM("c\xc5\x93ur", "c ur");                                 /* cœur */
  NORM("  Hello,   World!!  ", "hello world ! !");
  NORM("wait...", "wait . . .");
  NORM("123", "");
  NORM("", "");
  NORM("\xc3\x80\xc3\x89\xc3\x8e\xc3\x95\xc3\x9c", "aeiou");  /* ÀÉÎÕÜ */
  NORM("I am a student", "i am a student");
  NORM("a.b", "a .b");
  NORM(".a", ".a");
  NORM("!", "!");
  NORM("?!", "? !");
  NORM("tu\xc2\xa0?", "tu ?");                                 /* no-break space */
  NORM("tu\xe2\x80\xaf!", "tu !");                             /* narrow no-break space */
  NORM("\xc2\xab Oui \xc2\xbb, dit-il.", "oui dit il .");      /* guillemets */
  NORM("I\xe2\x80\x99m here\xe2\x80\xa6", "i m here");         /* ’ and … */
  NORM("Tab\there\nnewline", "tab here newline");
  NORM("la\xcc\x80", "la");                                    /* a + combining grave */
  NORM("\xc4\xb0stanbul", "istanbul");                         /* İ */
  NORM("\xe2\x84\xaa" "elvin", "kelvin");                      /* KELVIN SIGN */
  NORM("\xef\xac\x81ne", "ne");                                /* ﬁ ligature */
  NORM("\xef\xbc\xa1" "b", "b");                               /* fullwidth Ａ */
  NORM("happy \xf0\x9f\x98\x80.", "happy .");                  /* emoji, 4 bytes */
  NORM("\xef\xbb\xbfhi", "hi");                                /* byte order mark */
}
END_TEST

START_TEST(normalize_other_scripts)
{
  NORM("Stra\xc3\x9f" "e", "stra e");                          /* Straße */
  NORM("gro\xc3\x9f", "gro");                                  /* groß */
  NORM("\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac", ""); /* Ελληνικά */
  NORM("abc \xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac def", "abc def");
  NORM("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "");            /* 日本語 */
  NORM("\xe6\x88\x91\xe6\x98\xaf\xe5\xad\xa6\xe7\x94\x9f.", "."); /* 我是学生. */
  NORM("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 Tom", "tom"); /* Привет Tom */
}
END_TEST

START_TEST(normalize_reads_only_len_bytes)
{
  check_norm("abc.def", 3, "abc");
  check_norm("ab\xff", 2, "ab");
}
END_TEST

START_TEST(normalize_one_megabyte)
{
  const char unit[] = "ab cd ";
  size_t reps = (1u << 20) / 6 + 1, len = reps * 6;
  char *in = xcalloc(len + 1, 1);
  for (size_t k = 0; k < reps; k++) memcpy(in + 6 * k, unit, 6);
  size_t bad = 0;
  char *got = normalize_sentence(in, len, &bad);
  ck_assert_ptr_nonnull(got);
  /* "ab cd ab cd ... ab cd": the last space is stripped. */
  ck_assert_uint_eq(strlen(got), len - 1);
  in[len - 1] = '\0';
  ck_assert_msg(memcmp(got, in, len) == 0, "the normalised 1 MB line differs from its input");
  free(got);
  /* The same in capitals with full stops: each "AB.CD " becomes "ab .cd ". */
  for (size_t k = 0; k < reps; k++) memcpy(in + 6 * k, "AB.CD ", 6);
  got = normalize_sentence(in, len, &bad);
  ck_assert_ptr_nonnull(got);
  size_t want_len = reps * 7 - 1;
  ck_assert_uint_eq(strlen(got), want_len);
  char *want = xcalloc(reps * 7 + 1, 1);
  for (size_t k = 0; k < reps; k++) memcpy(want + 7 * k, "ab .cd ", 7);
  want[want_len] = '\0';
  ck_assert_msg(strcmp(got, want) == 0, "the normalised 1 MB line of \"AB.CD \" is wrong");
  free(want);
  free(got);
  free(in);
}
END_TEST

START_TEST(normalize_invalid_utf8)
{
  BAD("\xff", 0);
  BAD("ab\xc3", 2);             /* truncated two-byte sequence */
  BAD("\xc0\xaf", 0);           /* overlong '/' */
  BAD("\xe0\x80\xaf", 0);       /* overlong '/' in three bytes */
  BAD("\xf0\x82\x82\xac", 0);   /* overlong euro sign in four bytes */
  BAD("\xed\xa0\x80", 0);       /* UTF-16 surrogate U+D800 */
  BAD("ok \xed\xbf\xbf", 3);    /* surrogate U+DFFF after three good bytes */
  BAD("\xf4\x90\x80\x80", 0);   /* beyond U+10FFFF */
  BAD("\x80" "abc", 0);         /* lone continuation byte */
  BAD("\xc3(", 0);              /* lead byte without its continuation */
  BAD("caf\xc3\xa9\xe9", 5);    /* Latin-1 é after a good UTF-8 é */
  BAD("ab\0cd", 2);             /* embedded NUL */
  /* A NULL |bad| is allowed. */
  ck_assert_ptr_null(normalize_sentence("\xff", 1, NULL));
}
END_TEST

/* ------------------------------------------------------------------ pairs_read */

START_TEST(pairs_read_good_file)
{
  const char *path = WRITE_STR("good.txt",
    "I am cold.\tJ'ai froid.\r\n"
    "\r\n"
    "He is a teacher.\tIl est professeur.\tCC-BY 2.0 (France) Attribution: tatoeba.org\r\n"
    "She is \xc3\x89lodie.\tElle est \xc3\x89lodie.\r\n"
    "\n"
    "We're ready!\tNous sommes pr\xc3\xaats !");  /* no newline at the end */
  PairList pl;
  ck_assert_msg(pairs_read(&pl, path, FILTER_TUTORIAL, 10) == 0, "pairs_read failed: %s",
    kit_error());
  ck_assert_int_eq(pl.n, 4);
  ck_assert_str_eq(pl.origin, path);
  ck_assert_str_eq(pl.pair[0].src, "i am cold .");
  ck_assert_str_eq(pl.pair[0].tgt, "j ai froid .");
  ck_assert_int_eq(pl.pair[0].line, 1);
  ck_assert_str_eq(pl.pair[1].src, "he is a teacher .");
  ck_assert_str_eq(pl.pair[1].tgt, "il est professeur .");
  ck_assert_int_eq(pl.pair[1].line, 3);
  ck_assert_str_eq(pl.pair[2].src, "she is elodie .");
  ck_assert_str_eq(pl.pair[2].tgt, "elle est elodie .");
  ck_assert_int_eq(pl.pair[2].line, 4);
  ck_assert_str_eq(pl.pair[3].src, "we re ready !");
  ck_assert_str_eq(pl.pair[3].tgt, "nous sommes prets !");
  ck_assert_int_eq(pl.pair[3].line, 6);
  ck_assert_int_eq(pl.lines_read, 4);
  ck_assert_int_eq(pl.dropped, 0);
  pairs_free(&pl);
}
END_TEST

START_TEST(pairs_read_no_tab)
{
  const char *path = WRITE_STR("notab.txt",
    "I am cold.\tJ'ai froid.\n"
    "He is here.\tIl est ici.\n"
    "I am here Je suis ici\n"
    "She is here.\tElle est ici.\n");
  char want[4200];
  snprintf(want, sizeof want, "%s:3:", path);
  PairList pl;
  ck_assert_int_eq(pairs_read(&pl, path, FILTER_TUTORIAL, 10), -1);
  ck_assert_error_has(want);
  ck_assert_error_has("tab");
  ck_assert_int_eq(pl.n, 0);
  ck_assert_ptr_null(pl.origin);
}
END_TEST

START_TEST(pairs_read_empty_fields)
{
  char want[4200];
  PairList pl;
  const char *path = WRITE_STR("noen.txt", "I am cold.\tJ'ai froid.\n\tJe suis ici.\n");
  snprintf(want, sizeof want, "%s:2:", path);
  ck_assert_int_eq(pairs_read(&pl, path, FILTER_TUTORIAL, 10), -1);
  ck_assert_error_has(want);
  ck_assert_error_has("English");
  ck_assert_error_has("empty");
  path = WRITE_STR("nofr.txt", "I am here.\t\n");
  snprintf(want, sizeof want, "%s:1:", path);
  ck_assert_int_eq(pairs_read(&pl, path, FILTER_TUTORIAL, 10), -1);
  ck_assert_error_has(want);
  ck_assert_error_has("French");
  ck_assert_error_has("empty");
  /* An empty French field followed by a third column. */
  path = WRITE_STR("nofr3.txt", "I am cold.\tJ'ai froid.\nI am here.\t\tattribution\n");
  snprintf(want, sizeof want, "%s:2:", path);
  ck_assert_int_eq(pairs_read(&pl, path, FILTER_TUTORIAL, 10), -1);
  ck_assert_error_has(want);
  ck_assert_error_has("French");
}
END_TEST

START_TEST(pairs_read_invalid_utf8)
{
  char want[4200];
  PairList pl;
  /* Line 2, French field: "I am here." (10 bytes), a tab, "Je suis l" (9 bytes),
     then the Latin-1 byte 0xe0 at byte 21 of the line (counting from 1). */
  const char *path = WRITE_STR("latin1.txt",
    "I am cold.\tJ'ai froid.\nI am here.\tJe suis l\xe0.\n");
  snprintf(want, sizeof want, "%s:2:", path);
  ck_assert_int_eq(pairs_read(&pl, path, FILTER_TUTORIAL, 10), -1);
  ck_assert_error_has(want);
  ck_assert_error_has("UTF-8");
  ck_assert_error_has("byte 21");
  /* English field: "I am h" then 0xe9 at byte 7. */
  path = WRITE_STR("latin1en.txt", "I am h\xe9re.\tJe suis ici.\n");
  snprintf(want, sizeof want, "%s:1:", path);
  ck_assert_int_eq(pairs_read(&pl, path, FILTER_TUTORIAL, 10), -1);
  ck_assert_error_has(want);
  ck_assert_error_has("UTF-8");
  ck_assert_error_has("byte 7");
}
END_TEST

START_TEST(pairs_read_nul_byte)
{
  static const char bytes[] = "I am cold.\tJ'ai froid.\nI am\0 here.\tJe suis ici.\n";
  const char *path = write_file("nul.txt", bytes, sizeof bytes - 1);
  char want[4200];
  snprintf(want, sizeof want, "%s:2:", path);
  PairList pl;
  ck_assert_int_eq(pairs_read(&pl, path, FILTER_TUTORIAL, 10), -1);
  ck_assert_error_has(want);
  ck_assert_error_has("NUL");
}
END_TEST

START_TEST(pairs_read_nothing_kept)
{
  const char *path = WRITE_STR("nokeep.txt", "Go.\tVa !\nHello!\tBonjour !\n");
  PairList pl;
  ck_assert_int_eq(pairs_read(&pl, path, FILTER_TUTORIAL, 10), -1);
  ck_assert_error_has(path);
  ck_assert_error_has("no pair");
  ck_assert_error_has("tutorial");
  /* The length filter keeps both. */
  ck_assert_msg(pairs_read(&pl, path, FILTER_LENGTH, 10) == 0, "%s", kit_error());
  ck_assert_int_eq(pl.n, 2);
  pairs_free(&pl);
  /* An empty file keeps nothing either. */
  path = WRITE_STR("empty.txt", "");
  ck_assert_int_eq(pairs_read(&pl, path, FILTER_LENGTH, 10), -1);
  ck_assert_error_has(path);
  ck_assert_error_has("no pair");
}
END_TEST

START_TEST(pairs_read_missing_file)
{
  char path[4200];
  snprintf(path, sizeof path, "%s/does-not-exist.txt", tmpdir);
  PairList pl;
  ck_assert_int_eq(pairs_read(&pl, path, FILTER_TUTORIAL, 10), -1);
  ck_assert_error_has(path);
  ck_assert_error_has(strerror(ENOENT));
  /* Like every other failure, this one leaves an empty list behind (nothing
     for the caller to free). */
  ck_assert_int_eq(pl.n, 0);
  ck_assert_msg(pl.origin == NULL, "a failed pairs_read left pl.origin allocated (\"%s\"): "
    "a leak, since callers do not free a list whose reading failed", pl.origin);
}
END_TEST

START_TEST(pairs_read_two_megabyte_line)
{
  /* One line of 2 MB ("I am " and a million words), then a good line. */
  size_t words = 1000000;
  size_t n = 5 + 2 * words + 64;
  char *buf = xcalloc(n + 64, 1), *p = buf;
  p += sprintf(p, "I am ");
  for (size_t k = 0; k < words; k++) { *p++ = 'a'; *p++ = ' '; }
  p += sprintf(p, "\tJe suis.\nI am here.\tJe suis ici.\n");
  const char *path = write_file("long.txt", buf, (size_t) (p - buf));
  free(buf);
  for (int filter = FILTER_TUTORIAL; filter <= FILTER_LENGTH; filter++) {
    PairList pl;
    ck_assert_msg(pairs_read(&pl, path, filter, 10) == 0, "pairs_read failed: %s", kit_error());
    ck_assert_int_eq(pl.n, 1);
    ck_assert_int_eq(pl.dropped, 1);
    ck_assert_int_eq(pl.lines_read, 2);
    ck_assert_str_eq(pl.pair[0].src, "i am here .");
    ck_assert_int_eq(pl.pair[0].line, 2);
    pairs_free(&pl);
  }
}
END_TEST

/* A small fixture for the two filters. The comments give each line's
   normalised English and its word count. */
static const char filter_fixture[] =
  "I am cold.\tJ'ai froid.\n"                               /* 1 i am cold . (4): both */
  "Go.\tVa !\n"                                             /* 2 go . (2): length only */
  "He's here.\tIl est l\xc3\xa0.\n"                         /* 3 he s here . (4): both */
  "You're one two three four five six seven eight.\tx.\n"   /* 4 11 words: neither */
  "I am one two three four five six.\tx.\n"                 /* 5 9 words: both */
  "I am one two three four five six seven.\tx.\n"           /* 6 10 words: neither */
  "Your turn.\t\xc3\x80 toi.\n"                             /* 7 your turn . : length only */
  "I'm ok.\tun deux trois quatre cinq six sept huit neuf dix.\n" /* 8 French 11: neither */
  "He isn't here.\tIl n'est pas l\xc3\xa0.\n"               /* 9 he isn t here . : both */
  "I amuse myself.\tJe m'amuse.\n";                         /* 10 i amuse: length only */

START_TEST(pairs_read_filters)
{
  const char *path = write_file("filters.txt", filter_fixture, sizeof filter_fixture - 1);
  PairList pl;
  ck_assert_msg(pairs_read(&pl, path, FILTER_TUTORIAL, 10) == 0, "%s", kit_error());
  ck_assert_int_eq(pl.n, 4);
  ck_assert_int_eq(pl.dropped, 6);
  ck_assert_int_eq(pl.lines_read, 10);
  int want_t[] = {1, 3, 5, 9};
  for (int k = 0; k < 4; k++) ck_assert_int_eq(pl.pair[k].line, want_t[k]);
  pairs_free(&pl);
  ck_assert_msg(pairs_read(&pl, path, FILTER_LENGTH, 10) == 0, "%s", kit_error());
  ck_assert_int_eq(pl.n, 7);
  ck_assert_int_eq(pl.dropped, 3);
  int want_l[] = {1, 2, 3, 5, 7, 9, 10};
  for (int k = 0; k < 7; k++) ck_assert_int_eq(pl.pair[k].line, want_l[k]);
  pairs_free(&pl);
  /* A smaller maximum length: fewer than 4 words on both sides. */
  ck_assert_msg(pairs_read(&pl, path, FILTER_LENGTH, 4) == 0, "%s", kit_error());
  ck_assert_int_eq(pl.n, 2); /* "go ." and "your turn ." */
  ck_assert_int_eq(pl.pair[0].line, 2);
  ck_assert_int_eq(pl.pair[1].line, 7);
  pairs_free(&pl);
}
END_TEST

/* --------------------------------------------------------------- make_examples */

START_TEST(make_examples_eos)
{
  PairList pl;
  pairs_seed(&pl);
  Vocab vin, vout;
  seed_vocabs(&vin, &vout);
  Example *ex = NULL;
  ck_assert_msg(make_examples(&pl, &vin, &vout, 10, 1, &ex) == 0, "%s", kit_error());
  /* "she is a doctor" -> "elle est medecin" */
  ck_assert_int_eq(ex[2].src_len, 4);
  int src[] = {9, 7, 4, 10};
  for (int k = 0; k < 4; k++) ck_assert_int_eq(ex[2].src[k], src[k]);
  ck_assert_int_eq(ex[2].tgt_len, 4);
  int tgt[] = {8, 6, 9, EOS_TOKEN};
  for (int k = 0; k < 4; k++) ck_assert_int_eq(ex[2].tgt[k], tgt[k]);
  for (int k = 0; k < 5; k++) ck_assert_int_eq(ex[k].tgt[ex[k].tgt_len - 1], EOS_TOKEN);
  free(ex);
  ex = NULL;
  ck_assert_msg(make_examples(&pl, &vin, &vout, 10, 0, &ex) == 0, "%s", kit_error());
  ck_assert_int_eq(ex[2].tgt_len, 3);
  for (int k = 0; k < 3; k++) ck_assert_int_eq(ex[2].tgt[k], tgt[k]);
  for (int k = 0; k < 5; k++) ck_assert_int_ne(ex[k].tgt[ex[k].tgt_len - 1], EOS_TOKEN);
  ck_assert_int_eq(ex[0].tgt_len, 3); /* je suis etudiant */
  ck_assert_int_eq(ex[0].tgt[2], 4);
  free(ex);
  vocab_free(&vin);
  vocab_free(&vout);
  pairs_free(&pl);
}
END_TEST

START_TEST(make_examples_unknown_word)
{
  /* Vocabularies from the notebook's pairs, pairs from a file. */
  Vocab vin, vout;
  seed_vocabs(&vin, &vout);
  const char *path = WRITE_STR("pilot.txt",
    "I am a student\tJe suis etudiant\nI am a pilot\tJe suis etudiant\n");
  char want[4200];
  snprintf(want, sizeof want, "%s:2:", path);
  PairList pl;
  ck_assert_msg(pairs_read(&pl, path, FILTER_TUTORIAL, 10) == 0, "%s", kit_error());
  Example *ex = NULL;
  ck_assert_int_eq(make_examples(&pl, &vin, &vout, 10, 1, &ex), -1);
  ck_assert_error_has("\"pilot\"");
  ck_assert_error_has(want);
  pairs_free(&pl);
  path = WRITE_STR("pilote.txt", "I am a student\tJe suis pilote\n");
  snprintf(want, sizeof want, "%s:1:", path);
  ck_assert_msg(pairs_read(&pl, path, FILTER_TUTORIAL, 10) == 0, "%s", kit_error());
  ck_assert_int_eq(make_examples(&pl, &vin, &vout, 10, 1, &ex), -1);
  ck_assert_error_has("\"pilote\"");
  ck_assert_error_has("French");
  ck_assert_error_has(want);
  pairs_free(&pl);
  vocab_free(&vin);
  vocab_free(&vout);
}
END_TEST

/* -------------------------------------------------------------------- corpus */

START_TEST(corpus_tutorial_numbers)
{
  const char *path = getenv("ATTENTION_CORPUS");
  if (!path || !*path) path = "/work/shared/data/eng-fra.txt";
  if (access(path, R_OK) != 0) {
    printf("test_data: corpus_tutorial_numbers skipped: corpus not found at %s\n", path);
    fflush(stdout);
    return;
  }
  PairList pl;
  ck_assert_msg(pairs_read(&pl, path, FILTER_TUTORIAL, DEFAULT_MAX_LENGTH) == 0, "%s",
    kit_error());
  ck_assert_int_eq(pl.lines_read, 135842);
  ck_assert_int_eq(pl.n, 10599);
  ck_assert_int_eq(pl.dropped, 135842 - 10599);
  Vocab vin, vout;
  vocab_init(&vin);
  vocab_init(&vout);
  for (int k = 0; k < pl.n; k++) {
    vocab_add_sentence(&vin, pl.pair[k].src);
    vocab_add_sentence(&vout, pl.pair[k].tgt);
  }
  ck_assert_int_eq(vin.n, 2803);
  ck_assert_int_eq(vout.n, 4345);
  vocab_free(&vin);
  vocab_free(&vout);
  pairs_free(&pl);
}
END_TEST

static Suite *data_suite(void)
{
  Suite *s = suite_create("data");
  TCase *tc = tcase_create("vocabulary");
  tcase_add_test(tc, vocab_starts_with_sos_eos);
  tcase_add_test(tc, vocab_first_appearance_order);
  tcase_add_test(tc, vocab_add_sentence_splits_on_spaces);
  tcase_add_test(tc, vocab_many_words_survive_rehashing);
  tcase_add_test(tc, vocab_of_the_notebook_pairs);
  tcase_set_timeout(tc, 20);
  suite_add_tcase(s, tc);

  tc = tcase_create("tokenize");
  tcase_add_test(tc, tokenize_known_sentence);
  tcase_add_test(tc, tokenize_unknown_word);
  tcase_add_test(tc, tokenize_too_many_words);
  tcase_add_test(tc, tokenize_empty_and_overlong);
  suite_add_tcase(s, tc);

  tc = tcase_create("normalize");
  tcase_add_test(tc, normalize_rules);
  tcase_add_test(tc, normalize_other_scripts);
  tcase_add_test(tc, normalize_reads_only_len_bytes);
  tcase_add_test(tc, normalize_one_megabyte);
  tcase_add_test(tc, normalize_invalid_utf8);
  tcase_set_timeout(tc, 20);
  suite_add_tcase(s, tc);

  tc = tcase_create("pairs_read");
  tcase_add_test(tc, pairs_read_good_file);
  tcase_add_test(tc, pairs_read_no_tab);
  tcase_add_test(tc, pairs_read_empty_fields);
  tcase_add_test(tc, pairs_read_invalid_utf8);
  tcase_add_test(tc, pairs_read_nul_byte);
  tcase_add_test(tc, pairs_read_nothing_kept);
  tcase_add_test(tc, pairs_read_missing_file);
  tcase_add_test(tc, pairs_read_two_megabyte_line);
  tcase_add_test(tc, pairs_read_filters);
  tcase_set_timeout(tc, 20);
  suite_add_tcase(s, tc);

  tc = tcase_create("make_examples");
  tcase_add_test(tc, make_examples_eos);
  tcase_add_test(tc, make_examples_unknown_word);
  suite_add_tcase(s, tc);

  tc = tcase_create("corpus");
  tcase_add_test(tc, corpus_tutorial_numbers);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  if (!mkdtemp(tmpdir)) {
    fprintf(stderr, "test_data: cannot create a temporary folder: %s\n", strerror(errno));
    return 1;
  }
  int status = run_suite(data_suite());
  nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  return status;
}

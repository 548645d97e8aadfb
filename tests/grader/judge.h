/* judge.h: the harness of the exercises' test suites (the "judges").

   A judge is a Check suite that holds one exercise's test cases: each test
   case is one TCase with its points, a visibility (public: shipped in the
   handout; hidden: kept for grading) and a time limit. A test builds inputs,
   sends them to the worker (worker.c: the kit's library with the student's
   change file, run in the sandbox of sandbox.h, one fresh process per call),
   computes the expected values itself, in double precision and from the
   formulas (never by running the student's code or the reference solution),
   and compares.

   Why the verdict cannot be forged. Check runs each test in a fork of the
   judge, and counts a child that exits with status 0 as a pass: with the
   student's code in that child, exit(0) or _exit(0) in the middle of the
   function would pass, and the student's code could print, write files or
   kill its parent. Here no student code ever runs in a judge process: it runs
   only in the worker, as another user in a chroot, and what comes back is
   data that the judge checks. A worker that exits early, crashes, loops,
   prints forever or forges a reply produces no complete reply with the right
   numbers, and the test fails with the reason. The judge writes its results
   (Check's XML) where the worker cannot reach. */
#pragma once
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "proto.h"
#include "sandbox.h"
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  const TTest *test;
  double points;
  double seconds;   /* time limit of each worker call in this test */
  const char *what; /* one line for the student */
} Graded;
#define GRADED(fn, points, seconds, what) {#fn, &fn##_ttest, points, seconds, what}

static struct {
  const char *worker;     /* path of the worker (inside the jail, if any) */
  const char *jail;       /* chroot folder (root only) */
  int uid;                /* sandbox user id (root only) */
  double seconds;         /* time limit of the current test's calls */
  char printed[400];      /* what the last worker printed, for the messages */
} J = {NULL, NULL, -1, 3.0, ""};

__attribute__((unused)) static char *env_none[] = {NULL};

/* ------------------------------------------------------------ requests */
__attribute__((unused)) static PBuf request(const char *op)
{
  PBuf q = {0};
  pb_str(&q, op);
  return q;
}

typedef struct { PRead r; SandboxResult res; char excerpt[400]; } Reply;

__attribute__((unused)) static void excerpt_of(const SandboxResult *r, char *buf, size_t n)
{
  size_t k = 0;
  buf[0] = '\0';
  if (!r->out_n) return;
  k = (size_t) snprintf(buf, n, " Output of the run: [");
  for (size_t i = 0; i < r->out_n && k + 8 < n && i < 240; i++) {
    unsigned char c = (unsigned char) r->out[i];
    if (c == '\n') k += (size_t) snprintf(buf + k, n - k, "\\n");
    else if (c < 32 || c > 126) k += (size_t) snprintf(buf + k, n - k, "\\x%02x", c);
    else buf[k++] = (char) c;
  }
  snprintf(buf + k, n - k, "%s]", r->out_n > 240 ? "..." : "");
}

/* Run the worker on request |q|; the test fails here, with the reason, unless
   a complete reply came back. */
__attribute__((unused)) static Reply call(PBuf *q)
{
  Reply rp;
  memset(&rp, 0, sizeof rp);
  SandboxLimits L = {J.uid, J.jail, NULL, 1, J.seconds, J.seconds, 1LL << 30, 16,
    1LL << 20, 4096, 1 << 20, 64u << 20, NULL, 16LL << 20, 1LL << 30};
  char *argv[] = {(char *) J.worker, NULL};
  sandbox_run(&L, argv, env_none, q->b, q->n, 1, &rp.res);
  pb_free(q);
  excerpt_of(&rp.res, rp.excerpt, sizeof rp.excerpt);
  rp.r = (PRead) {rp.res.reply, rp.res.reply_n, 0};
  snprintf(J.printed, sizeof J.printed, "%s", rp.excerpt);
  int complete = rp.res.reply_n >= 5 && rp.res.reply[rp.res.reply_n - 5] == P_END;
  if (!(rp.res.exited && rp.res.code == 0 && complete)) {
    char why[600];
    if (rp.res.exited && rp.res.code == 0 && rp.res.reply_n == 0)
      snprintf(why, sizeof why, "exited with status 0 before your code returned (an exit() "
        "or _exit() in it?): a test passes only when the harness's reply arrives complete");
    else if (rp.res.exited && rp.res.code == 0)
      snprintf(why, sizeof why, "sent an incomplete reply (%zu bytes, no end mark): did your "
        "code write to file descriptor 3, or exit early?", rp.res.reply_n);
    else if (rp.res.exited && rp.res.code == 3)
      snprintf(why, sizeof why, "rejected the judge's request (a grader bug, please report it)");
    else sandbox_explain(&L, &rp.res, why, sizeof why);
    ck_abort_msg("the worker running your code %s.%s", why, rp.excerpt);
  }
  return rp;
}

__attribute__((unused)) static void reply_free(Reply *rp) { sandbox_result_free(&rp->res); }

__attribute__((unused)) static void malformed(const char *what)
{
  ck_abort_msg("the worker's reply was malformed at \"%s\": did your code write to file "
    "descriptor 3?", what);
}

__attribute__((unused)) static const unsigned char *reply_item(Reply *rp, int type, size_t n, const char *what)
{
  uint32_t c;
  const unsigned char *d;
  if (pr_item(&rp->r, type, &c, &d) || c != n) malformed(what);
  return d;
}

__attribute__((unused)) static int reply_int(Reply *rp, const char *what)
{
  int32_t v;
  memcpy(&v, reply_item(rp, P_INT, 1, what), 4);
  return v;
}

/* A copy of the next n floats (or ints), freed by the caller. */
__attribute__((unused)) static float *reply_floats(Reply *rp, size_t n, const char *what)
{
  float *p = malloc((n ? n : 1) * sizeof(float));
  memcpy(p, reply_item(rp, P_FLT, n, what), n * sizeof(float));
  return p;
}
__attribute__((unused)) static int *reply_ints(Reply *rp, size_t n, const char *what)
{
  int *p = malloc((n ? n : 1) * sizeof(int));
  memcpy(p, reply_item(rp, P_INT, n, what), n * sizeof(int));
  return p;
}
/* The next byte string, NUL-terminated, freed by the caller. */
__attribute__((unused)) static char *reply_bytes(Reply *rp, size_t *n, const char *what)
{
  uint32_t c;
  const unsigned char *d;
  if (pr_item(&rp->r, P_STR, &c, &d)) malformed(what);
  char *s = malloc((size_t) c + 1);
  memcpy(s, d, c);
  s[c] = '\0';
  if (n) *n = c;
  return s;
}

/* ---------------------------------------------------------- comparisons */
/* |got| (float, from the student's code) against |want| (double, computed
   here), |rows| by |cols|: |got - want| <= atol + rtol |want| everywhere, or
   the test fails naming the worst element, its index, both values and the
   tolerance. */
__attribute__((unused)) static void expect_close(const char *what, const float *got, const double *want,
  size_t rows, size_t cols, double atol, double rtol)
{
  size_t n = rows * cols, worst = 0, bad = 0;
  double excess = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    double g = got[i], w = want[i], x;
    if (isnan(w) && isnan(g)) x = -1;
    else if (isnan(g) || isnan(w)) x = INFINITY;
    else if (isinf(w) || isinf(g)) x = (g == w) ? -1 : INFINITY;
    else x = fabs(g - w) - (atol + rtol * fabs(w));
    if (x > 0) bad++;
    if (x > excess) { excess = x; worst = i; }
  }
  if (excess <= 0) return;
  char idx[64];
  if (rows > 1) snprintf(idx, sizeof idx, "[%zu][%zu]", worst / cols, worst % cols);
  else snprintf(idx, sizeof idx, "[%zu]", worst);
  ck_abort_msg("%s: %zu of %zu elements wrong; the worst is element %s: expected %.9g, "
    "got %.9g%s (tolerance %.2g + %.2g*|expected|).%s", what, bad, n, idx, want[worst],
    (double) got[worst], isnan(got[worst]) ? " (never written?)" : "", atol, rtol, J.printed);
}

/* The same for results that come back in double. */
__attribute__((unused)) static void expect_close_d(const char *what, const double *got, const double *want,
  size_t rows, size_t cols, double atol, double rtol)
{
  size_t n = rows * cols;
  size_t worst = 0, bad = 0;
  double excess = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    double g = got[i], w = want[i], x;
    if (isnan(g) || isnan(w)) x = isnan(g) && isnan(w) ? -1 : INFINITY;
    else x = fabs(g - w) - (atol + rtol * fabs(w));
    if (x > 0) bad++;
    if (x > excess) { excess = x; worst = i; }
  }
  if (excess <= 0) return;
  char idx[64];
  if (rows > 1) snprintf(idx, sizeof idx, "[%zu][%zu]", worst / cols, worst % cols);
  else snprintf(idx, sizeof idx, "[%zu]", worst);
  ck_abort_msg("%s: %zu of %zu elements wrong; the worst is element %s: expected %.12g, "
    "got %.12g%s (tolerance %.2g + %.2g*|expected|).%s", what, bad, n, idx, want[worst],
    got[worst], isnan(got[worst]) ? " (never written?)" : "", atol, rtol, J.printed);
}

__attribute__((unused)) static void expect_ints(const char *what, const int *got, const int *want, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (got[i] != want[i])
      ck_abort_msg("%s: element %zu of %zu: expected %d, got %d.%s", what, i, n, want[i], got[i], J.printed);
}

/* ---------------------------------------------------- random test data */
__attribute__((unused)) static uint64_t judge_rng = 1;
__attribute__((unused)) static void rng_seed(uint64_t s) { judge_rng = s * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL; }
__attribute__((unused)) static double unif(void) /* uniform on [0, 1) */
{
  judge_rng ^= judge_rng << 13;
  judge_rng ^= judge_rng >> 7;
  judge_rng ^= judge_rng << 17;
  return (double) (judge_rng >> 11) / 9007199254740992.0;
}
__attribute__((unused)) static double sym(double a) { return a * (2 * unif() - 1); } /* uniform on [-a, a) */
__attribute__((unused)) static float *frand_array(size_t n, double a)
{
  float *x = malloc((n ? n : 1) * sizeof(float));
  for (size_t i = 0; i < n; i++) x[i] = (float) sym(a);
  return x;
}
__attribute__((unused)) static double *dalloc(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

/* ----------------------------------------------------------------- main */
__attribute__((unused)) static void judge_usage(void)
{
  fputs("usage: judge [--list] [--public-only] [--table] [--xml FILE] [--only TEST]\n"
        "             [--worker PATH] [--jail DIR] [--uid N]\n"
        "  Runs this exercise's tests against a worker (tests/grader/worker.c built\n"
        "  with the change file under test). --list prints name, points, visibility,\n"
        "  time limit and description of every test; --table prints the results.\n"
        "  --jail and --uid (root only) chroot the worker into DIR (PATH is then\n"
        "  the path inside it) and run it as user id N.\n", stderr);
}

__attribute__((unused)) static Graded *judge_all;
__attribute__((unused)) static int judge_n;

__attribute__((unused)) static int judge_main(int argc, char **argv, const Graded *pub, size_t npub,
  const Graded *hid, size_t nhid)
{
  const char *xml = NULL, *only = NULL;
  int list = 0, table = 0, public_only = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--list") == 0) list = 1;
    else if (strcmp(a, "--table") == 0) table = 1;
    else if (strcmp(a, "--public-only") == 0) public_only = 1;
    else if (v && strcmp(a, "--xml") == 0) xml = argv[++i];
    else if (v && strcmp(a, "--only") == 0) only = argv[++i];
    else if (v && strcmp(a, "--worker") == 0) J.worker = argv[++i];
    else if (v && strcmp(a, "--jail") == 0) J.jail = argv[++i];
    else if (v && strcmp(a, "--uid") == 0) J.uid = atoi(argv[++i]);
    else { judge_usage(); return 2; }
  }
  if (public_only) nhid = 0;
  judge_n = (int) (npub + nhid);
  judge_all = calloc((size_t) judge_n, sizeof *judge_all);
  for (size_t k = 0; k < npub; k++) judge_all[k] = pub[k];
  for (size_t k = 0; k < nhid; k++) judge_all[npub + k] = hid[k];
  if (list) {
    for (int k = 0; k < judge_n; k++)
      printf("%s\t%g\t%s\t%g\t%s\n", judge_all[k].name, judge_all[k].points,
        k < (int) npub ? "public" : "hidden", judge_all[k].seconds, judge_all[k].what);
    return 0;
  }
  if (!J.worker) { judge_usage(); return 2; }
  if (!sandbox_is_root()) J.uid = -1, J.jail = NULL;
  unsetenv("CK_RUN_CASE");
  unsetenv("CK_RUN_SUITE");
  unsetenv("CK_TIMEOUT_MULTIPLIER");
  Suite *s = suite_create("exercise");
  for (int k = 0; k < judge_n; k++) {
    if (only && strcmp(only, judge_all[k].name) != 0) continue;
    TCase *tc = tcase_create(judge_all[k].name);
    /* a test may call the worker a few times; Check's own limit is a backstop */
    tcase_set_timeout(tc, 4 * judge_all[k].seconds + 20);
    tcase_add_loop_test(tc, judge_all[k].test, k, k + 1); /* _i = k: the test's own row */
    suite_add_tcase(s, tc);
  }
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_FORK); /* never let CK_FORK=no turn isolation off */
  if (xml) srunner_set_xml(sr, xml);
  srunner_run_all(sr, CK_SILENT);
  if (table) {
    int n = srunner_ntests_run(sr);
    TestResult **tr = srunner_results(sr);
    double got = 0, max = 0;
    for (int i = 0; i < n; i++) {
      const char *name = tr_tcname(tr[i]);
      double pts = 0;
      for (int k = 0; k < judge_n; k++) if (strcmp(judge_all[k].name, name) == 0) pts = judge_all[k].points;
      int ok = tr_rtype(tr[i]) == CK_PASS;
      max += pts;
      got += ok ? pts : 0;
      printf("  %-4s %4.1f/%-4.1f %s", ok ? "ok" : "FAIL", ok ? pts : 0.0, pts, name);
      if (!ok) printf("\n         %s", tr_msg(tr[i]));
      printf("\n");
    }
    free(tr);
    printf("  %g of %g points%s\n", got, max, nhid ? "" : " (public tests)");
  }
  srunner_free(sr);
  return 0;
}

/* A graded test: JTEST(name) { body }. The body runs with its own row of the
   table in force (its time limit). */
#define JTEST(name) \
  static void name##_body(void); \
  static void name##_fn(int _i CK_ATTRIBUTE_UNUSED) \
  { \
    J.seconds = judge_all[_i].seconds; \
    name##_body(); \
  } \
  static const TTest name##_ttest = {""#name, name##_fn, __FILE__, __LINE__}; \
  static void name##_body(void)

#define JUDGE_MAIN(pub, hid) \
  int main(int argc, char **argv) \
  { \
    return judge_main(argc, argv, pub, sizeof pub / sizeof pub[0], hid, sizeof hid / sizeof hid[0]); \
  }
#define JUDGE_MAIN_PUBLIC(pub) \
  int main(int argc, char **argv) \
  { \
    return judge_main(argc, argv, pub, sizeof pub / sizeof pub[0], NULL, 0); \
  }

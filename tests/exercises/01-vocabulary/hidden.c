/* Exercise 1, hidden tests: clusters of words with the same home slot, a
   cluster that wraps around the end of the table, lookups of absent words
   that start inside a cluster, the exact layout after the table doubles, and
   100,000 words in a few seconds (a scan of the whole table, or a probe that
   ignores the hash, is far too slow).

   The exact layouts come from a simulation of the book's algorithm written
   here (start at hash & (nslot-1), step forward by one, wrap around; a new
   word takes the empty slot where its walk ends; when 2n > nslot the table
   doubles and the words are put back in index order). */
#define WITH_HIDDEN
#include "public.c"

typedef struct { const char **word; int n, nslot; int *slot; } Sim;

static int sim_probe(const Sim *v, const char *w)
{
  uint32_t mask = (uint32_t) v->nslot - 1, i = fnv1a(w) & mask;
  while (v->slot[i] && strcmp(v->word[v->slot[i] - 1], w) != 0) i = (i + 1) & mask;
  return (int) i;
}

static int sim_add(Sim *v, const char *w)
{
  int i = sim_probe(v, w);
  if (v->slot[i]) return v->slot[i] - 1;
  v->word[v->n] = w;
  v->slot[i] = ++v->n;
  if (2 * v->n > v->nslot) {
    free(v->slot);
    v->nslot *= 2;
    v->slot = calloc((size_t) v->nslot, sizeof(int));
    for (int k = 0; k < v->n; k++) v->slot[sim_probe(v, v->word[k])] = k + 1;
  }
  return v->n - 1;
}

static Sim sim_of(const Session *s)
{
  Sim v = {malloc((size_t) (s->k + 2) * sizeof(char *)), 0, 32, calloc(32, sizeof(int))};
  sim_add(&v, "<SOS>");
  sim_add(&v, "<EOS>");
  for (int i = 0; i < s->k; i++) if (s->cmd[i] == 0) sim_add(&v, s->word[i]);
  return v;
}

static void check_exact_layout(const Session *s, const char *what)
{
  Sim v = sim_of(s);
  if (v.nslot != s->nslot) ck_abort_msg("%s: the table has %d slots, expected %d", what, s->nslot, v.nslot);
  for (int j = 0; j < v.nslot; j++)
    if (v.slot[j] != s->slot[j])
      ck_abort_msg("%s: slot %d holds %d (%s), expected %d (%s)", what, j, s->slot[j],
        s->slot[j] > 0 && s->slot[j] <= v.n ? v.word[s->slot[j] - 1] : "empty", v.slot[j],
        v.slot[j] ? v.word[v.slot[j] - 1] : "empty");
  free(v.slot);
  free(v.word);
}

/* |count| words "tag0", "tag1", ... chosen in order among those whose hash
   names slot |home| of a table of 32 */
static char **words_with_home(const char *tag, int home, int count)
{
  char **w = malloc((size_t) count * sizeof *w);
  for (int i = 0, got = 0; got < count; i++) {
    char buf[32];
    snprintf(buf, sizeof buf, "%s%d", tag, i);
    if ((int) (fnv1a(buf) & 31) == home) w[got++] = strdup(buf);
  }
  return w;
}

static Session session_of(char **add, int na, char **find, int nf)
{
  Session s = {na + nf, malloc((size_t) (na + nf) * sizeof(int)), malloc((size_t) (na + nf) * sizeof(char *))};
  for (int i = 0; i < na; i++) s.cmd[i] = 0, s.word[i] = add[i];
  for (int i = 0; i < nf; i++) s.cmd[na + i] = 1, s.word[na + i] = find[i];
  return s;
}

JTEST(colliding_words_take_the_next_slots)
{
  int home = (int) ((fnv1a("<SOS>") & 31) + 9) & 31;
  char **w = words_with_home("collide", home, 7);
  Session s = session_of(w, 7, w, 7);
  session_run(&s);
  check_session(&s, "seven words with the same home slot");
  check_exact_layout(&s, "seven words with the same home slot");
  session_free(&s);
}

JTEST(a_cluster_wraps_around_the_end)
{
  char **w = words_with_home("wrap", 30, 5);
  Session s = session_of(w, 5, w, 5);
  session_run(&s);
  check_session(&s, "five words whose hash names slot 30 of 32");
  check_exact_layout(&s, "five words whose hash names slot 30 of 32");
  session_free(&s);
}

JTEST(absent_words_inside_clusters)
{
  int home = 12;
  char **w = words_with_home("here", home, 6);
  char **absent = words_with_home("absent", home, 4);
  char *find[10];
  for (int i = 0; i < 4; i++) find[i] = absent[i];
  find[4] = "here";
  find[5] = "here00";
  find[6] = "";
  find[7] = w[5];
  find[8] = "HERE";
  find[9] = w[0];
  Session s = session_of(w, 6, find, 10);
  session_run(&s);
  check_session(&s, "lookups of absent words whose walk starts inside a cluster");
  session_free(&s);
}

JTEST(exact_layout_after_doubling)
{
  int k = 60;
  char **w = malloc((size_t) k * sizeof *w);
  rng_seed(101);
  for (int i = 0; i < k; i++) {
    char buf[16];
    int len = 1 + (int) (unif() * 4);
    for (int j = 0; j < len; j++) buf[j] = (char) ('a' + (int) (unif() * 6));
    buf[len] = '\0';
    w[i] = strdup(buf); /* short words over six letters: repeats and collisions */
  }
  Session s = session_of(w, k, w, k);
  session_run(&s);
  check_session(&s, "60 short random words (with repeats)");
  check_exact_layout(&s, "60 short random words (with repeats)");
  session_free(&s);
}

JTEST(one_hundred_thousand_words_quickly)
{
  int n = 100000;
  char **w = malloc((size_t) n * sizeof *w);
  for (int i = 0; i < n; i++) {
    char buf[24];
    snprintf(buf, sizeof buf, "word%d", (int) ((unsigned) i * 2654435761u % 1000003u));
    w[i] = strdup(buf);
  }
  Session s = session_of(w, n, w, n);
  session_run(&s);
  check_session(&s, "100,000 words added, then found");
  session_free(&s);
}

static const Graded hidden_tests[] = {
  GRADED(colliding_words_take_the_next_slots, 0.25, 3, "seven words with one home slot sit in the seven slots from it"),
  GRADED(a_cluster_wraps_around_the_end, 0.25, 3, "a cluster at the end of the table continues at slot 0"),
  GRADED(absent_words_inside_clusters, 0.25, 3, "lookups of absent words walk to the empty slot and return -1"),
  GRADED(exact_layout_after_doubling, 0.25, 3, "the exact table after random words and two doublings"),
  GRADED(one_hundred_thousand_words_quickly, 1, 6, "100,000 words added and found within the time limit"),
};

JUDGE_MAIN(public_tests, hidden_tests)

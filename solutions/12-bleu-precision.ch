Exercise 12: the reference answer, as a student submits it (written by
tests/grader/grader.py solutions from attention.w; make check grades it).

@x
/* Exercise 12: your code here. This stub counts no match. */
(void) match;
@y
for (int i = 0; i + n <= h; i++) {
  if (ngram_count(hyp, i + n - 1, hyp + i, n) > 0) continue;
  int c = ngram_count(hyp, h, hyp + i, n), most = 0;
  for (int r = 0; r < n_refs; r++) {
    int cr = ngram_count(refs[r], ref_len[r], hyp + i, n);
    if (cr > most) most = cr;
  }
  *match += c < most ? c : most;
}
@z

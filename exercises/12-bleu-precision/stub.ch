Exercise 12 (medium, 6 points): BLEU's clipped n-gram precision.
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Add to |*match| the clipped matches of the |n|-grams of |hyp|@>
for (int i = 0; i + n <= h; i++) {
  if (ngram_count(hyp, i + n - 1, hyp + i, n) > 0) continue;
  int c = ngram_count(hyp, h, hyp + i, n), most = 0;
  for (int r = 0; r < n_refs; r++) {
    int cr = ngram_count(refs[r], ref_len[r], hyp + i, n);
    if (cr > most) most = cr;
  }
  *match += c < most ? c : most;
}
@y
/* Exercise 12: your code here. This stub counts no match. */
(void) match;
@z

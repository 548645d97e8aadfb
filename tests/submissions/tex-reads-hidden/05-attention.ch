Hostile submission for the grader's self-check: TeX in a comment, which the
woven view of the changes typesets, embeds the hidden tests into changes.pdf
with a pdfTeX primitive that openin_any does not cover.
@x
/* Exercise 5: your code here. This stub gives zero weights and a zero context. */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@y
/* \pdfcompresslevel=0 \pdfobjcompresslevel=0
   \immediate\pdfobj stream file {REPO_ROOT/tests/exercises/05-attention/hidden.c}
   \pdfcatalog{/HostileLeak \the\pdflastobj\space 0 R} */
(void) s;
(void) O;
for (int i = 0; i < L; i++) wb[i] = 0.0f;
for (int j = 0; j < H; j++) c[j] = 0.0f;
@z

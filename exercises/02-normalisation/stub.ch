Exercise 2 (medium, 8 points): Normalising a sentence (lower case, NFD, marks dropped).
The stub change file: it replaces the reference answer in attention.w with a
stub that compiles, runs and scores zero. make handout applies it.

@x @<Lower-case |c|, decompose it, and send each piece to |out_put|@>
utf8proc_int32_t piece[16];
int boundclass = 0;
utf8proc_ssize_t np = utf8proc_decompose_char(utf8proc_tolower(c), piece, 16,
  UTF8PROC_DECOMPOSE, &boundclass);
for (utf8proc_ssize_t j = 0; j < np && j < 16; j++) {
  utf8proc_int32_t d = piece[j];
  if (utf8proc_category(d) == UTF8PROC_CATEGORY_MN) continue;
  if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z')) out_put(&o, (char) d);
  else if (d == '.' || d == '!' || d == '?') {
    o.pending = 1;
    out_put(&o, (char) d);
  } else o.pending = 1;
}
@y
/* Exercise 2: your code here. Lower-case |c|, decompose it, drop the marks
   and send the letters and the marks of punctuation to |out_put|. This stub
   drops every character. */
(void) c;
(void) out_put;
@z

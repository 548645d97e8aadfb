Exercise 2: the reference answer, as a student submits it (written by
tests/grader/grader.py solutions from attention.w; make check grades it).

@x
/* Exercise 2: your code here. Lower-case |c|, decompose it, drop the marks
   and send the letters and the marks of punctuation to |out_put|. This stub
   drops every character. */
(void) c;
(void) out_put;
@y
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
@z

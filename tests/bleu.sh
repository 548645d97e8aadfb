#!/bin/bash
# The kit's BLEU against nltk's corpus_bleu (tests/bleu_nltk.py), and the
# bleu command's errors. Usage: tests/bleu.sh ./attention
set -u
kit=${1:-./attention}
py=${PYTHON:-/usr/bin/python3}
fail=0
if ! "$py" -c 'import nltk' 2>/dev/null; then
  echo "bleu.sh: FAIL: $py has no nltk (apt-get install python3-nltk)"; exit 1
fi
"$py" tests/bleu_nltk.py "$kit" || fail=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'a b c d\n' > "$tmp/h"; printf 'a b c d\nx\n' > "$tmp/r2"; printf '\n' > "$tmp/r0"
expect() { # expect STATUS MESSAGE-PART command...
  local want=$1 msg=$2; shift 2
  out=$("$@" 2>&1); st=$?
  if [ $st -ne "$want" ] || [[ "$out" != *"$msg"* ]]; then
    echo "bleu.sh: FAIL: $* gave status $st and: $out"; fail=1; fi
}
expect 1 "has 2 lines, the translations 1" "$kit" bleu --hyp "$tmp/h" "$tmp/r2"
expect 1 "line 1 has no reference" "$kit" bleu --hyp "$tmp/h" "$tmp/r0"
expect 1 "cannot open" "$kit" bleu --hyp "$tmp/nothing" "$tmp/r0"
expect 2 "no reference file" "$kit" bleu --hyp "$tmp/h"
expect 0 "BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 4 ref_len = 4)" \
  "$kit" bleu --hyp "$tmp/h" "$tmp/h"
[ $fail -eq 0 ] && echo "bleu.sh: ok: the bleu command's messages"
exit $fail

#!/bin/bash
# The command line of decoding and scoring: translate --beam, split, eval.
# Usage: tests/decode.sh ./attention
set -u
bin=$(realpath "${1:-./attention}")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "decode: ok: $*"; }
bad() { echo "decode: FAILED: $*"; fail=1; }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
SEED=("i am a student" "he is a teacher" "she is a doctor" "we are engineers" "they are artists")

"$bin" train --pairs seed --save "$tmp/seed.st" --show 0 >/dev/null || bad "training the seed model"
"$bin" train --pairs seed --epochs 3 --save "$tmp/raw.st" --show 0 >/dev/null || bad "a barely trained model"

# --- beam 1 is greedy -------------------------------------------------------
for m in seed raw; do
  "$bin" translate --model "$tmp/$m.st" "${SEED[@]}" "i am a teacher" "we are artists" > "$tmp/greedy"
  "$bin" translate --model "$tmp/$m.st" --beam 1 "${SEED[@]}" "i am a teacher" "we are artists" > "$tmp/beam1"
  if cmp -s "$tmp/greedy" "$tmp/beam1"; then ok "$m model: translate --beam 1 prints greedy's words"
  else bad "$m model: --beam 1 differs from greedy: $(diff "$tmp/greedy" "$tmp/beam1" | head -4)"; fi
done
"$bin" translate --model "$tmp/seed.st" --attention "i am a student" > "$tmp/greedy"
"$bin" translate --model "$tmp/seed.st" --attention --beam 1 "i am a student" > "$tmp/beam1"
cmp -s "$tmp/greedy" "$tmp/beam1" && ok "--attention with --beam 1: greedy's weights" \
  || bad "--attention with --beam 1 differs"

# --- n-best -------------------------------------------------------------------
run "$bin" translate --model "$tmp/raw.st" --beam 4 --n-best 3 --length-penalty avg "i am a student" "we are engineers"
if [ $rc -eq 0 ] && [ "$(wc -l < "$tmp/out")" -eq 6 ] \
  && awk -F'\t' 'NR%3!=1 && $1>prev+1e-9 {bad=1} {prev=$1} END {exit bad}' "$tmp/out"; then
  ok "--n-best 3: three scored lines a sentence, best first"
else bad "--n-best 3: status $rc, output: $(head -c 300 "$tmp/out")"; fi

# --- bad options ----------------------------------------------------------------
check_bad() { # check_bad MESSAGE-PART args...
  local msg=$1; shift
  run "$bin" translate --model "$tmp/seed.st" "$@" "i am a student"
  if [ $rc -eq 2 ] && grep -qF -- "$msg" "$tmp/err"; then ok "translate $*: status 2, \"$msg\""
  else bad "translate $*: status $rc, $(head -c 200 "$tmp/err")"; fi
}
check_bad "--beam wants a whole number from 1 to 1000" --beam 0
check_bad "--length-penalty is none, avg or wu" --beam 2 --length-penalty long
check_bad "--n-best 3 is more than the beam's 2" --beam 2 --n-best 3
check_bad "--max-length 11 is more than the model's 10" --max-length 11
check_bad "--alpha wants a number" --alpha x

run "$bin" translate --model "$tmp/seed.st" --beam 2 --replace-unk "i am a student"
[ $rc -eq 0 ] && grep -qF "has no <UNK>; --replace-unk changes nothing" "$tmp/err" \
  && [ "$(cat "$tmp/out")" = "je suis etudiant" ] && ok "--replace-unk without <UNK>: a warning, and the translation" \
  || bad "--replace-unk without <UNK>: status $rc, $(head -c 200 "$tmp/err")"

# --- split ----------------------------------------------------------------------
data="$here/data/sample-pairs.txt"
mkdir -p "$tmp/a" "$tmp/b"
run "$bin" split --data "$data" --test 0.2 --valid 0.2 --seed 3 --filter length --out-dir "$tmp/a"
"$bin" split --data "$data" --test 0.2 --valid 0.2 --seed 3 --filter length --out-dir "$tmp/b" >/dev/null
if [ $rc -eq 0 ] && for p in train valid test; do cmp -s "$tmp/a/$p.txt" "$tmp/b/$p.txt" || exit 1; done; then
  ok "split: the same command writes the same three files"
else bad "split: status $rc or different files: $(cat "$tmp/err")"; fi
"$bin" pairs --data "$data" --filter length 2>/dev/null | sort > "$tmp/all"
cat "$tmp/a"/{train,valid,test}.txt | sort > "$tmp/union"
cmp -s "$tmp/all" "$tmp/union" && ok "split: the three files hold exactly the filtered pairs" \
  || bad "split: the files are not the filtered pairs"
for p in train valid test; do cut -f1 "$tmp/a/$p.txt" | sort -u > "$tmp/en-$p"; done
common=$(cat <(comm -12 "$tmp/en-train" "$tmp/en-valid") <(comm -12 "$tmp/en-train" "$tmp/en-test") \
  <(comm -12 "$tmp/en-valid" "$tmp/en-test") | wc -l)
[ "$common" -eq 0 ] && [ -s "$tmp/en-test" ] && ok "split: no English sentence in two files" \
  || bad "split: $common English sentences in two files"
"$bin" pairs --data "$tmp/a/test.txt" --filter length 2>/dev/null > "$tmp/reread"
cmp -s "$tmp/reread" "$tmp/a/test.txt" && ok "split: the files read back unchanged" \
  || bad "split: test.txt does not read back as it is"
run "$bin" split --data "$data" --test 1.5 --out-dir "$tmp/a"
[ $rc -eq 2 ] && grep -qF "share from 0 to below 1" "$tmp/err" && ok "split --test 1.5: status 2" \
  || bad "split --test 1.5: status $rc"
run "$bin" split --data "$data" --test 0.6 --valid 0.5 --out-dir "$tmp/a"
[ $rc -eq 1 ] && grep -qF "take all" "$tmp/err" && ok "split: shares that leave no training: status 1" \
  || bad "split --test 0.6 --valid 0.5: status $rc"
run "$bin" split --data "$data" --out-dir "$tmp/missing/folder"
[ $rc -eq 1 ] && grep -qF "cannot make the folder" "$tmp/err" && grep -qF "$tmp/missing/folder" "$tmp/err" \
  && ok "split into a folder whose parent is missing: status 1, names the folder" \
  || bad "split into a folder whose parent is missing: status $rc, $(head -c 200 "$tmp/err")"
run "$bin" split --data "$data" --out-dir "$tmp/new"
[ $rc -eq 0 ] && [ -s "$tmp/new/train.txt" ] && ok "split makes its --out-dir folder" \
  || bad "split into a new folder: status $rc, $(head -c 200 "$tmp/err")"

# --- eval -----------------------------------------------------------------------
printf 'i am a student\tje suis etudiant\nhe is a teacher\til est professeur\nshe is a doctor\telle est medecin\nwe are engineers\tnous sommes ingenieurs\nthey are artists\tils sont artistes\nI am  a Student\tje suis un etudiant\ni am a pilot\tje suis pilote\n' > "$tmp/five.txt"
run "$bin" eval --model "$tmp/seed.st" --data "$tmp/five.txt" --output "$tmp/hyp" --show 1
if [ $rc -eq 0 ] && grep -qF "Sources: 6 (7 references)" "$tmp/out" \
  && grep -qF "Exact match: 83.3% (5 of 6 sources" "$tmp/out" \
  && grep -qF "Failed: 1 sources" "$tmp/out" && [ "$(grep -c warning "$tmp/err")" -eq 1 ] \
  && grep -qF 'the word "pilot"' "$tmp/err" && [ "$(wc -l < "$tmp/hyp")" -eq 6 ] \
  && [ "$(sed -n 6p "$tmp/hyp")" = "" ] && grep -qF "REF: je suis un etudiant" "$tmp/out"; then
  ok "eval: a shared source is one with two references; an unknown word is one warning and an empty line"
else bad "eval: status $rc: $(cat "$tmp/out" "$tmp/err" | head -c 600)"; fi
"$bin" translate --model "$tmp/seed.st" "${SEED[@]}" > "$tmp/greedy"
head -5 "$tmp/hyp" | cmp -s - "$tmp/greedy" && ok "eval --output: translate's translations, in order" \
  || bad "eval --output differs from translate"
printf 'je suis etudiant\nil est professeur\nelle est medecin\nnous sommes ingenieurs\nils sont artistes\nje suis pilote\n' > "$tmp/ref1"
printf 'je suis un etudiant\n\n\n\n\n\n' > "$tmp/ref2"
"$bin" bleu --hyp "$tmp/hyp" "$tmp/ref1" "$tmp/ref2" > "$tmp/b1"
grep -F "BLEU =" "$tmp/out" | head -1 > "$tmp/b2"
cmp -s "$tmp/b1" "$tmp/b2" && ok "eval's BLEU is bleu's on its --output: $(cat "$tmp/b1")" \
  || bad "eval's BLEU $(cat "$tmp/b2") is not bleu's $(cat "$tmp/b1")"
"$bin" eval --model "$tmp/raw.st" --data "$data" --output "$tmp/h1" >/dev/null 2>&1
"$bin" eval --model "$tmp/raw.st" --data "$data" --beam 1 --batch 7 --output "$tmp/h2" >/dev/null 2>&1
cmp -s "$tmp/h1" "$tmp/h2" && ok "eval --beam 1 --batch 7: the same translations as greedy" \
  || bad "eval --beam 1 differs from greedy"
run "$bin" eval --model "$tmp/seed.st" --data "$tmp/nothing.txt"
[ $rc -eq 1 ] && grep -qF "cannot open" "$tmp/err" && ok "eval of a missing file: status 1" \
  || bad "eval of a missing file: status $rc"
run "$bin" eval --model "$tmp/seed.st"
[ $rc -eq 2 ] && ok "eval without --data: status 2" || bad "eval without --data: status $rc"
# --- Part II's kinds ------------------------------------------------------------
"$bin" pairs --data "$data" --filter length --max-length 40 2>/dev/null | cut -f1 | awk '!seen[$0]++' > "$tmp/sources"
for k in bahdanau luong-dot luong-general multihead; do
  "$bin" train --data "$data" --filter length --attention $k --hidden 24 --epochs 20 --seed 2 \
    --save "$tmp/$k.st" --show 0 >/dev/null 2>&1 || bad "$k: training"
  "$bin" translate --model "$tmp/$k.st" < "$tmp/sources" > "$tmp/greedy" 2>/dev/null
  "$bin" translate --model "$tmp/$k.st" --beam 1 < "$tmp/sources" > "$tmp/beam1" 2>/dev/null
  cmp -s "$tmp/greedy" "$tmp/beam1" && [ "$(wc -l < "$tmp/greedy")" -eq "$(wc -l < "$tmp/sources")" ] \
    && ok "$k: translate --beam 1 prints greedy's words for $(wc -l < "$tmp/sources") sentences" \
    || bad "$k: --beam 1 differs from greedy: $(diff "$tmp/greedy" "$tmp/beam1" | head -4)"
  run "$bin" eval --model "$tmp/$k.st" --data "$data" --output "$tmp/h1" --batch 9
  cmp -s "$tmp/h1" "$tmp/greedy" && ok "$k: eval's translations are translate's" \
    || bad "$k: eval's translations differ from translate's: $(diff "$tmp/h1" "$tmp/greedy" | head -4)"
  cp "$tmp/err" "$tmp/err-greedy"
  "$bin" eval --model "$tmp/$k.st" --data "$data" --output "$tmp/h2" --beam 1 --batch 7 >/dev/null 2>&1
  cmp -s "$tmp/h1" "$tmp/h2" && ok "$k: eval --beam 1 --batch 7 gives greedy's translations" \
    || bad "$k: eval --beam 1 differs from greedy: $(diff "$tmp/h1" "$tmp/h2" | head -4)"
  # eval sums the unknown words up in one warning; translate names each once
  nt=$("$bin" translate --model "$tmp/$k.st" < "$tmp/sources" 2>&1 >/dev/null \
    | grep -c 'warning: ".*" is not in the model')
  ne=$(sed -n 's/.*warning: \([0-9]*\) words of .* are read as <UNK>.*/\1/p' "$tmp/err-greedy")
  [ $rc -eq 0 ] && [ -n "$ne" ] && [ "$ne" -gt 0 ] && [ "$ne" -eq "$nt" ] \
    && [ "$(grep -c "read as <UNK>" "$tmp/err-greedy")" -eq 1 ] \
    && ok "$k: eval reads unknown words as <UNK>, and counts them in one warning ($ne words)" \
    || bad "$k: eval's warnings: status $rc, eval counts ${ne:-no} words, translate names $nt"
  run "$bin" translate --model "$tmp/$k.st" --beam 4 --n-best 3 "i am fine ." "he is here ."
  [ $rc -eq 0 ] && [ "$(wc -l < "$tmp/out")" -eq 6 ] \
    && awk -F'\t' 'NR%3!=1 && $1>prev+1e-9 {bad=1} {prev=$1} END {exit bad}' "$tmp/out" \
    && ! grep -qE '<PAD>|<SOS>' "$tmp/out" && ok "$k: --n-best 3, best first" \
    || bad "$k: --n-best 3: status $rc, $(head -c 300 "$tmp/out")"
  run "$bin" heatmap --model "$tmp/$k.st" --beam 3 --length-penalty avg --out "$tmp/$k.png" "i am fine ."
  [ $rc -eq 0 ] && [ -s "$tmp/$k.png" ] && ok "$k: heatmap --beam 3" || bad "$k: heatmap --beam 3: status $rc, $(cat "$tmp/err")"
done
run "$bin" translate --model "$tmp/bahdanau.st" --beam 2 --replace-unk "zorglub is here ."
[ $rc -eq 0 ] && ! grep -qF "<UNK>" "$tmp/out" && ok "bahdanau: --replace-unk leaves no <UNK>: $(cat "$tmp/out")" \
  || bad "bahdanau: --replace-unk: status $rc, $(cat "$tmp/out")"
run "$bin" heatmap --model "$tmp/bahdanau.st" --n-best 2 --out "$tmp/x.png" "i am fine ."
[ $rc -eq 2 ] && grep -qF -- "--n-best is an option of translate and eval only" "$tmp/err" \
  && ok "heatmap --n-best: status 2" || bad "heatmap --n-best: status $rc"
run "$bin" heatmap --model "$tmp/seed.st" --beam 3 --out "$tmp/seed.png" "i am a student"
[ $rc -eq 0 ] && [ -s "$tmp/seed.png" ] && ok "seed: heatmap --beam 3" || bad "seed: heatmap --beam 3: status $rc"
exit $fail

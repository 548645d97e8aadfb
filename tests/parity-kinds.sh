#!/usr/bin/env bash
# Parity of Part II's attention kinds with PyTorch (issue 9), for each of bahdanau,
# luong-dot, luong-general and multihead:
#  1. tests/torch_batched.py writes an initial checkpoint (seeded, hidden 128) with
#     the vocabularies of the first 640 pairs of the corpus that the kit keeps
#     (F = tests/data/parity-640.txt, the corpus lines of those pairs); the kit
#     trains it with the user's command
#       attention train --data F --attention K --batch 32 --dropout 0 --no-shuffle
#                       --lr 0.001 --init CKPT --epochs 2 --save OUT
#     and PyTorch (float64) trains the same 2 epochs from CKPT: every tensor within a
#     relative Frobenius error of 5e-4 (torch_ref.py's compare).
#  2. The bias a softmax cannot see (decoder.attention.Va.bias, the key third of
#     decoder.attention.in_proj_bias) leaves the kit's training bit-for-bit as it came.
#  3. A model trained by PyTorch (15 epochs, float32, shuffled) translates the 640
#     English sentences and the 183 of tests/data/sample-pairs.txt (unknown words
#     among them) identically in the kit and in PyTorch, and so does the model the
#     kit trained in 1.
# Where the corpus is ($ATTENTION_CORPUS, default ../shared/data/eng-fra.txt beside the kit), F
# is checked to give its first 640 kept pairs. A kind the kit does not list in
# `attention train --help` is skipped with a message; with --require a skip fails.
# Run by make check.
# Usage: tests/parity-kinds ./attention [--require] [KIND ...]
set -u
bin=$(realpath "${1:-./attention}"); shift || true
require=0
if [ "${1:-}" = --require ]; then require=1; shift; fi
kinds=("$@"); [ ${#kinds[@]} -gt 0 ] || kinds=(bahdanau luong-dot luong-general multihead)
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-/usr/bin/python3}
ref="$here/torch_batched.py"
corpus=${ATTENTION_CORPUS:-$here/../../shared/data/eng-fra.txt}
data="$here/data/parity-640.txt"
fail=0
ok() { echo "parity-kinds: ok: $*"; }
bad() { echo "parity-kinds: FAILED: $*"; fail=1; }
skip() { echo "parity-kinds: $*, skipped"; [ $require = 0 ] || fail=1; }
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "parity-kinds: FAILED: $py cannot import torch (install python3-torch)"; exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" "$here/normalize_ref.py" "$data" > "$tmp/pairs.txt" || { bad "reading $data"; exit 1; }
if [ "$(wc -l < "$tmp/pairs.txt")" != 640 ]; then
  bad "$data keeps $(wc -l < "$tmp/pairs.txt") pairs, not 640"; exit 1
fi
if [ -r "$corpus" ]; then
  if "$py" "$here/normalize_ref.py" "$corpus" 2>/dev/null | head -n 640 | cmp -s - "$tmp/pairs.txt"; then
    ok "$data gives the first 640 pairs kept from $corpus"
  else
    bad "$data no longer gives the first 640 pairs kept from $corpus"
  fi
fi
# The sentences to translate: the 640 seen in training, and the 183 English
# sentences of tests/data/sample-pairs.txt, many with words the models never saw.
"$py" "$here/normalize_ref.py" "$here/data/sample-pairs.txt" | cut -f1 > "$tmp/unseen.txt"
{ cut -f1 "$tmp/pairs.txt"; cat "$tmp/unseen.txt"; } > "$tmp/sentences.txt"
nsent=$(wc -l < "$tmp/sentences.txt")
help=$("$bin" train --help 2>&1)

same_translations() {  # model, what
  local got want
  got=$("$bin" translate --model "$1" < "$tmp/sentences.txt" 2>"$tmp/kit.err") \
    || { bad "$2: the kit cannot translate with it: $(head -n 3 "$tmp/kit.err")"; return; }
  want=$("$py" "$ref" translate --model "$1" < "$tmp/sentences.txt" 2>/dev/null) \
    || { bad "$2: PyTorch cannot translate with it"; return; }
  if [ "$got" = "$want" ]; then
    ok "$2 translates the $nsent sentences identically in the kit and in PyTorch" \
       "($(sort -u <<<"$want" | wc -l) different translations)"
  else
    bad "$2: translations differ on $(diff <(echo "$got") <(echo "$want") | grep -c '^<') of $nsent sentences:"
    diff <(paste -d '|' "$tmp/sentences.txt" <(echo "$got")) \
         <(paste -d '|' "$tmp/sentences.txt" <(echo "$want")) | head -n 10
  fi
}

for k in "${kinds[@]}"; do
  if ! grep -qw -e "$k" <<<"$help"; then
    skip "the kit has no --attention $k yet"; continue
  fi
  init="$tmp/init-$k.st" out="$tmp/kit-$k.st" torch="$tmp/torch-$k.st"
  "$py" "$ref" init --data "$data" --attention "$k" --seed 1 --out "$init" >/dev/null \
    || { bad "$k: PyTorch init"; continue; }
  t0=$(date +%s.%N)
  "$bin" train --data "$data" --attention "$k" --batch 32 --dropout 0 --no-shuffle \
    --lr 0.001 --init "$init" --epochs 2 --save "$out" > "$tmp/kit.out" 2>&1 \
    || { bad "$k: the kit's training: $(tail -n 3 "$tmp/kit.out")"; continue; }
  t1=$(date +%s.%N)
  "$py" "$ref" train --data "$data" --batch 32 --dropout 0 --no-shuffle --lr 0.001 \
    --init "$init" --epochs 2 --dtype float64 --save "$torch" > "$tmp/torch.out" \
    || { bad "$k: PyTorch training"; continue; }
  t2=$(date +%s.%N)
  times=$(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN{printf "kit %.1f s, PyTorch float64 %.1f s", b-a, c-b}')
  if res=$("$py" "$ref" compare --ref "$torch" --test "$out" --tol 5e-4); then
    ok "$k, 2 epochs of 640 pairs, kit vs PyTorch float64: $(tail -n 1 <<<"$res") ($times)"
  else
    echo "$res"; bad "$k: a tensor differs from PyTorch by more than 5e-4"
  fi
  if [ "$k" = bahdanau ] || [ "$k" = multihead ]; then
    if msg=$(HERE="$here" "$py" -c '
import os, sys
sys.path.insert(0, os.environ["HERE"])
import torch_ref
init, out, kind = sys.argv[1:]
a, b = torch_ref.read_safetensors(init)[0], torch_ref.read_safetensors(out)[0]
if kind == "bahdanau":
    name, x, y = "decoder.attention.Va.bias", a["decoder.attention.Va.bias"], b["decoder.attention.Va.bias"]
else:
    h = a["decoder.attention.in_proj_bias"].shape[0] // 3
    name = "the key third of decoder.attention.in_proj_bias"
    x, y = a["decoder.attention.in_proj_bias"][h:2*h], b["decoder.attention.in_proj_bias"][h:2*h]
print(name)
sys.exit(0 if x.tobytes() == y.tobytes() else 1)' "$init" "$out" "$k"); then
      ok "$k: $msg is bit-for-bit unchanged by the kit's training (its gradient is exactly 0)"
    else
      bad "$k: $msg changed in the kit's training, so its gradient was not exactly 0"
    fi
  fi
  "$py" "$ref" train --data "$data" --init "$init" --epochs 15 --lr 0.003 --dropout 0 \
    --seed 2 --save "$tmp/t15-$k.st" >/dev/null || { bad "$k: PyTorch's 15-epoch training"; continue; }
  same_translations "$tmp/t15-$k.st" "$k: a PyTorch-trained model (15 epochs)"
  same_translations "$out" "$k: the kit-trained model (2 epochs)"
done
exit $fail

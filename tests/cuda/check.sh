#!/usr/bin/env bash
# make check-cuda: the CUDA backend against the CPU backend, on a machine with a
# GPU (the chapter "The GPU" of attention.w). Needs ./attention built with nvcc,
# and python3 (standard library only); nothing from the CPU tests' libraries.
#   1. every kind, 2 epochs on the 640-pair parity set, from the same initial
#      weights (--seed): every tensor of the CUDA checkpoint within 1e-4
#      relative Frobenius error of the CPU's;
#   2. the greedy translations of 100 held-out sentences by one model,
#      identical on the CPU and on the GPU (and, for information, how many the
#      CPU-trained and the GPU-trained models translate differently);
#   3. two GPU runs, and a run with CUDA graphs, bit-identical checkpoints;
#   4. compute-sanitizer's memcheck clean on one step of every kind, where
#      the tool is installed.
# Usage: tests/cuda/check.sh ./attention    (ATTENTION_CORPUS=eng-fra.txt)
set -u
bin=$(realpath "${1:-./attention}")
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
command -v "$py" >/dev/null || py=/usr/bin/python3
corpus=${ATTENTION_CORPUS:-}
for c in ../shared/data/eng-fra.txt shared/data/eng-fra.txt /work/shared/data/eng-fra.txt; do
  [ -z "$corpus" ] && [ -r "$c" ] && corpus=$c
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "check-cuda: ok: $*"; }
bad() { echo "check-cuda: FAILED: $*"; fail=1; }
t0=$(date +%s)

if [ -z "$corpus" ]; then
  echo "check-cuda: no corpus: set ATTENTION_CORPUS to eng-fra.txt"; exit 1
fi
"$bin" pairs --data "$corpus" 2>/dev/null | head -n 640 >"$tmp/parity.tsv"
"$bin" pairs --data "$corpus" 2>/dev/null | sed -n '641,740p' | cut -f1 >"$tmp/heldout.txt"
if [ "$(wc -l <"$tmp/parity.tsv")" -ne 640 ]; then
  echo "check-cuda: $corpus gave $(wc -l <"$tmp/parity.tsv") pairs, not 640"; exit 1
fi
head -n 8 "$tmp/parity.tsv" >"$tmp/tiny.tsv"

# Is there a GPU this program can use?
if ! "$bin" train --data "$tmp/tiny.tsv" --attention luong-dot --hidden 8 --epochs 1 \
    --show 0 --device cuda >"$tmp/probe.out" 2>"$tmp/probe.err"; then
  echo "check-cuda: the GPU cannot be used: $(head -c 400 "$tmp/probe.err")"; exit 1
fi
grep -h "running on the GPU" "$tmp/probe.err" | sed 's/^/check-cuda: /'

sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
for kind in bahdanau luong-dot luong-general multihead; do
  common=(--data "$tmp/parity.tsv" --attention "$kind" --epochs 2 --seed 3 --show 0
    --batch 32 --print-every 1)
  k="$tmp/$kind"
  "$bin" train "${common[@]}" --device cpu --save "$k-cpu.st" >"$k-cpu.out" 2>&1 \
    || { bad "$kind: CPU training failed: $(tail -c 300 "$k-cpu.out")"; continue; }
  "$bin" train "${common[@]}" --device cuda --save "$k-gpu.st" >"$k-gpu.out" 2>&1 \
    || { bad "$kind: GPU training failed: $(tail -c 300 "$k-gpu.out")"; continue; }
  "$bin" train "${common[@]}" --device cuda --save "$k-gpu2.st" >/dev/null 2>&1
  KIT_CUDA_GRAPHS=1 "$bin" train "${common[@]}" --device cuda --save "$k-graph.st" \
    >"$k-graph.out" 2>&1 || bad "$kind: GPU training with graphs failed: $(tail -c 300 "$k-graph.out")"
  echo "check-cuda: $kind: CPU $(grep '^Epoch 2' "$k-cpu.out")"
  echo "check-cuda: $kind: GPU $(grep '^Epoch 2' "$k-gpu.out")"
  if "$py" "$here/compare.py" "$k-gpu.st" "$k-cpu.st" 1e-4 >"$k-cmp.txt"; then
    ok "$kind: GPU against CPU after 2 epochs: $(tail -n 1 "$k-cmp.txt" | sed 's/^compare: //')"
  else
    bad "$kind: GPU against CPU after 2 epochs:"; sed 's/^/check-cuda:     /' "$k-cmp.txt"
  fi
  if cmp -s "$k-gpu.st" "$k-gpu2.st"; then ok "$kind: two GPU runs, bit-identical checkpoints"
  else bad "$kind: two GPU runs differ: $("$py" "$here/compare.py" "$k-gpu2.st" "$k-gpu.st" 0 | tail -n 1)"; fi
  if cmp -s "$k-gpu.st" "$k-graph.st"; then ok "$kind: with CUDA graphs, the same bits"
  else bad "$kind: CUDA graphs change the result: $("$py" "$here/compare.py" "$k-graph.st" "$k-gpu.st" 0 | tail -n 1)"; fi
  "$bin" translate --model "$k-cpu.st" --device cpu <"$tmp/heldout.txt" >"$k-tc.txt" 2>/dev/null
  "$bin" translate --model "$k-cpu.st" --device cuda <"$tmp/heldout.txt" >"$k-tg.txt" 2>/dev/null
  "$bin" translate --model "$k-gpu.st" --device cuda <"$tmp/heldout.txt" >"$k-tgg.txt" 2>/dev/null
  if [ -s "$k-tc.txt" ] && cmp -s "$k-tc.txt" "$k-tg.txt"; then
    ok "$kind: greedy translations of $(wc -l <"$tmp/heldout.txt") held-out sentences by one model: identical on CPU and GPU"
  else
    bad "$kind: greedy translations differ between CPU and GPU:"
    diff "$k-tc.txt" "$k-tg.txt" | head -n 6 | sed 's/^/check-cuda:     /'
  fi
  echo "check-cuda: $kind: the CPU-trained and the GPU-trained model translate" \
    "$(diff "$k-tc.txt" "$k-tgg.txt" | grep -c '^>') of $(wc -l <"$tmp/heldout.txt") sentences differently (information)"
  if [ -n "$sanitizer" ]; then
    if "$sanitizer" --tool memcheck --error-exitcode 3 "$bin" train --data "$tmp/tiny.tsv" \
        --attention "$kind" --hidden 16 --batch 8 --epochs 1 --show 0 --device cuda \
        >"$k-san.txt" 2>&1; then
      ok "$kind: compute-sanitizer memcheck: $(grep -h 'ERROR SUMMARY' "$k-san.txt" | head -n 1)"
    elif grep -q "ERROR SUMMARY: [1-9]" "$k-san.txt"; then
      bad "$kind: compute-sanitizer memcheck found errors:"; grep -m 12 '=========' "$k-san.txt" | sed 's/^/check-cuda:     /'
    else
      echo "check-cuda: skipped: compute-sanitizer does not work here: $(tail -c 300 "$k-san.txt" | tr '\n' ' ')"
    fi
  else
    echo "check-cuda: skipped: no compute-sanitizer"
  fi
done
echo "check-cuda: $(( $(date +%s) - t0 )) s"
[ "$fail" -eq 0 ] && echo "check-cuda: all GPU checks passed"
exit $fail

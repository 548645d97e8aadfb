#!/usr/bin/env bash
# The kit against PyTorch on sentences neither trained on (make compare-torch).
#
#   tests/compare_torch.sh KIT CORPUS OUT_DIR [SEEDS] [EPOCHS]
#
# Splits CORPUS as `make experiments` does (test 0.1, valid 0.1, seed 1); then,
# for each seed, writes the kit's initial bahdanau model for that seed and
# trains it twice from those very weights, EPOCHS epochs (default 10) with the
# tutorial's settings (hidden 128, batch 32, Adam lr 0.001, dropout 0.1, a
# shuffle each epoch, 1 thread): once with the kit and once with PyTorch
# (tests/torch_batched.py, float32). Both keep the last epoch's weights. The
# kit scores both models on the test split (greedy, and beam 5) with
# `attention eval`, so the two differ only in who trained them: their dropout
# masks and shuffles come from different random generators. Prints a row per
# seed and the mean of each column.
set -euo pipefail
kit=${1:?usage: compare_torch.sh KIT CORPUS OUT_DIR [SEEDS] [EPOCHS]}
corpus=${2:?corpus}
out=${3:?out dir}
seeds=${4:-1 2 3 4 5}
epochs=${5:-10}
py=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
"$kit" split --data "$corpus" --test 0.1 --valid 0.1 --seed 1 --out-dir "$out" >/dev/null
bleu() { "$kit" eval --model "$1" --data "$out/test.txt" "${@:2}" 2>/dev/null |
  awk '/^BLEU =/ {print $3}'; }
printf '%-5s %12s %12s %12s %12s\n' seed kit-greedy torch-greedy kit-beam5 torch-beam5
for s in $seeds; do
  init="$out/init-$s.safetensors"
  "$kit" train --data "$out/train.txt" --attention bahdanau --epochs 0 --seed "$s" \
    --save "$init" >/dev/null
  OMP_NUM_THREADS=1 "$kit" train --data "$out/train.txt" --attention bahdanau --init "$init" \
    --epochs "$epochs" --seed "$s" --threads 1 --save "$out/kit-$s.safetensors" \
    >"$out/kit-$s.log" &
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$py" "$here/torch_batched.py" train \
    --data "$out/train.txt" --init "$init" --epochs "$epochs" --seed "$s" --threads 1 \
    --save "$out/torch-$s.safetensors" >"$out/torch-$s.log"
  wait
  printf '%-5s %12s %12s %12s %12s\n' "$s" "$(bleu "$out/kit-$s.safetensors")" \
    "$(bleu "$out/torch-$s.safetensors")" "$(bleu "$out/kit-$s.safetensors" --beam 5)" \
    "$(bleu "$out/torch-$s.safetensors" --beam 5)"
done | tee "$out/compare.txt"
awk 'NR > 0 {for (i = 2; i <= 5; i++) t[i] += $i; n++}
  END {printf "%-5s %12.2f %12.2f %12.2f %12.2f\n", "mean", t[2]/n, t[3]/n, t[4]/n, t[5]/n}' \
  "$out/compare.txt"

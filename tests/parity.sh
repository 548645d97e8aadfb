#!/usr/bin/env bash
# Parity with PyTorch (python3-torch): the C trainer against tests/torch_ref.py.
#  1. From the same initial weights (written by PyTorch), 3 epochs in C (float32)
#     must match 3 epochs in PyTorch float64 on every tensor: relative Frobenius
#     error below 5e-4 (seeds 0, 1, 2).
#  2. A model trained by PyTorch and saved as safetensors translates in the kit,
#     and a model trained by the kit translates in PyTorch, with the same output.
# Usage: tests/parity.sh ./attention
set -u
bin=$(realpath "${1:-./attention}")
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-/usr/bin/python3}
ref="$here/torch_ref.py"
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "parity: FAILED: $py cannot import torch (install python3-torch)"
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "parity: ok: $*"; }
bad() { echo "parity: FAILED: $*"; fail=1; }

for seed in 0 1 2; do
  "$py" "$ref" init --seed "$seed" --out "$tmp/init$seed.st" >/dev/null || { bad "init seed $seed"; continue; }
  "$bin" train --init "$tmp/init$seed.st" --epochs 3 --save "$tmp/c$seed.st" --show 0 >/dev/null \
    || { bad "C training from seed $seed"; continue; }
  "$py" "$ref" train --init "$tmp/init$seed.st" --epochs 3 --dtype float64 --print-every 0 \
    --save "$tmp/ref$seed.st" >/dev/null || { bad "PyTorch training from seed $seed"; continue; }
  if out=$("$py" "$ref" compare --ref "$tmp/ref$seed.st" --test "$tmp/c$seed.st" --tol 5e-4); then
    ok "seed $seed, 3 epochs, C float32 vs PyTorch float64: $(tail -n 1 <<<"$out")"
  else
    echo "$out"
    bad "seed $seed: a tensor differs from PyTorch by more than 5e-4"
  fi
done

sentences=("i am a student" "he is a teacher" "she is a doctor" "we are engineers" "they are artists")
truth=$'je suis etudiant\nil est professeur\nelle est medecin\nnous sommes ingenieurs\nils sont artistes'

# A PyTorch-trained model (60 epochs, float32) loads and translates in the kit.
"$py" "$ref" train --seed 7 --epochs 60 --print-every 0 --save "$tmp/torch60.st" >/dev/null \
  || bad "PyTorch training of 60 epochs"
got=$("$bin" translate --model "$tmp/torch60.st" "${sentences[@]}")
want=$("$py" "$ref" translate --model "$tmp/torch60.st" "${sentences[@]}")
if [ "$got" = "$want" ] && [ "$got" = "$truth" ]; then ok "PyTorch-trained model translates all five in the kit"
else bad "PyTorch-trained model: kit says [$got], PyTorch says [$want]"; fi

# A kit-trained model loads and translates in PyTorch, with the kit's output.
"$bin" train --epochs 60 --seed 3 --save "$tmp/kit60.st" --show 0 >/dev/null || bad "kit training"
extra=("i am a doctor" "they are a student" "we are teacher" "he")
got=$("$py" "$ref" translate --model "$tmp/kit60.st" "${sentences[@]}" "${extra[@]}")
want=$("$bin" translate --model "$tmp/kit60.st" "${sentences[@]}" "${extra[@]}")
if [ "$got" = "$want" ] && [ "$(head -n 5 <<<"$got")" = "$truth" ]; then
  ok "kit-trained model translates identically in PyTorch (9 sentences)"
else bad "kit-trained model: PyTorch says [$got], kit says [$want]"; fi
exit $fail

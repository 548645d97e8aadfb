#!/usr/bin/env bash
# The PyTorch reference of Part II checks itself (no C trainer needed): for each
# attention kind, a batch of sentences of different lengths has the loss and
# gradients of its sentences in batches of one (float64, to 1e-10), and the same
# check without the attention mask fails; the biases a softmax cannot see
# (Va.bias, the key third of in_proj_bias) get no gradient; checkpoints round-trip
# bit-exactly and a mislabelled one is refused; a short training lowers the loss;
# batched greedy decoding equals decoding one sentence at a time.
# Usage: tests/torch_batched_selftest.sh [./attention]   (the argument is unused)
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-/usr/bin/python3}
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "torch_batched_selftest: FAILED: $py cannot import torch (install python3-torch)"
  exit 1
fi
exec "$py" "$here/torch_batched.py" selftest

#!/usr/bin/env bash
# Replays the committed fuzzing corpus (tests/fuzz/corpus/HARNESS/: the seeds
# and every input that ever crashed the kit) through each harness, without
# libFuzzer: make check builds build/replay_HARNESS. See tests/fuzz/README.md.
set -u
cd "$(dirname "$0")/.."
fail=0
for h in checkpoint pairs losslog translate; do
  if [ ! -x "build/replay_$h" ]; then echo "fuzz: FAILED: build/replay_$h not built (make check builds it)"; fail=1; continue; fi
  if out=$(build/replay_$h "tests/fuzz/corpus/$h" 2>&1); then
    echo "fuzz: ok: $h: $(echo "$out" | tail -n 1)"
  else
    echo "fuzz: FAILED: $h (status $?): $(echo "$out" | tail -n 5)"; fail=1
  fi
done
if out=$("${PYTHON:-/usr/bin/python3}" tests/fuzz/fuzz_changefile.py --replay tests/fuzz/corpus/changefile 2>&1); then
  echo "fuzz: ok: changefile: $(echo "$out" | tail -n 1)"
else
  echo "fuzz: FAILED: changefile: $(echo "$out" | tail -n 5)"; fail=1
fi
exit $fail

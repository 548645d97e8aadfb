#!/usr/bin/env bash
# The exercises' self-checks (tests/grader/README.md): every reference
# solution gets full marks, the untouched handout builds, runs and gets zero
# on every exercise, one exercise's solution gets that exercise's points
# only, and the hostile submissions of tests/submissions/ score zero with a
# clear message while honest students graded beside them keep full marks.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-/usr/bin/python3}" tests/grader/grader.py selfcheck

#!/usr/bin/python3
"""make bench: the kit's 400-epoch training against the notebook's PyTorch loop.

Both start from the same initial weights (written by tests/torch_ref.py, seed
0), train the notebook's five pairs for 400 epochs with <EOS> on the targets,
and report the seconds of the training loop alone (no start-up, no data
reading), measured in this run on this machine. The two alternate in rounds
(by default three, each of three kit runs and one PyTorch run, which takes
seconds), so that a drift of the machine's speed hits both; each round gives
a ratio and the median ratio is quoted. A report, not a test: it prints
numbers and fails only when a program fails or the two final losses disagree
beyond rounding.

usage: tests/bench.py ./attention [--runs N] [--torch-runs M] [--epochs E]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "torch_ref.py")
PY = os.environ.get("PYTHON", "/usr/bin/python3")


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return p.stdout


def field(pattern, text, what):
    m = re.search(pattern, text, re.M)
    if not m:
        sys.exit(f"bench: no {what} in the output:\n{text}")
    return float(m.group(1))


def spread(xs):
    return f"median {statistics.median(xs):.3f} s (min {min(xs):.3f}, max {max(xs):.3f}, {len(xs)} runs)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("--runs", type=int, default=9, help="runs of the kit (default 9)")
    ap.add_argument("--torch-runs", type=int, default=3,
                    help="runs of PyTorch, one per round (default 3)")
    ap.add_argument("--epochs", type=int, default=400)
    a = ap.parse_args()
    have_torch = subprocess.run([PY, "-c", "import torch"], capture_output=True).returncode == 0
    with tempfile.TemporaryDirectory() as tmp:
        init = os.path.join(tmp, "init.safetensors")
        kit_cmd = [a.binary, "train", "--epochs", str(a.epochs), "--show", "0"]
        if have_torch:
            run([PY, REF, "init", "--seed", "0", "--out", init])
            kit_cmd += ["--init", init]
        kit_s, kit_loss = [], None
        torch_s, torch_loss, banner, ratios = [], None, "", []
        rounds = a.torch_runs if have_torch else 1
        per_round = max(1, -(-a.runs // rounds))
        # Rounds of a few kit runs and one PyTorch run, so that the two are
        # timed close together when the machine's speed drifts; each round
        # gives a ratio, and the median ratio is quoted.
        for _ in range(rounds):
            this = []
            for _ in range(per_round):
                out = run(kit_cmd)
                this.append(field(r"^Trained in ([0-9.]+) s", out, "training time"))
                kit_loss = field(r"^Final average loss: (\S+)", out, "final loss")
            kit_s += this
            if not have_torch:
                continue
            out = run([PY, REF, "bench", "--epochs", str(a.epochs), "--init", init])
            torch_s.append(field(r"^pytorch_train_seconds (\S+)", out, "PyTorch time"))
            torch_loss = field(r"^pytorch_final_loss (\S+)", out, "PyTorch loss")
            banner = out.splitlines()[0].split(":")[0]
            ratios.append(torch_s[-1] / statistics.median(this))
        steps = a.epochs * 5
        print(f"kit (C, float32): {a.epochs} epochs of 5 pairs ({steps} Adam steps): {spread(kit_s)}")
        print(f"  final average loss {kit_loss:.6e}")
        if not have_torch:
            print("PyTorch: not measured (python3-torch is not installed)")
            return
        print(f"notebook loop ({banner}): {spread(torch_s)}")
        print(f"  final average loss {torch_loss:.6e}")
        print(f"speed-up of the kit: {statistics.median(ratios):.1f}x, median of {len(ratios)} "
              f"rounds (min {min(ratios):.1f}x, max {max(ratios):.1f}x; target: at least 30x)")
        rel = abs(kit_loss - torch_loss) / max(abs(torch_loss), 1e-30)
        print(f"final losses differ by {rel:.1%} of PyTorch's "
              f"(both are about {torch_loss:.1e}, where float32 rounding of the "
              "per-step losses alone is a few percent)")
        if rel > 0.5:
            sys.exit("bench: the two trainings ended at different losses")


if __name__ == "__main__":
    main()

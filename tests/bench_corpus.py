#!/usr/bin/python3
"""make bench-corpus: one epoch of the tutorial's training, the kit against PyTorch.

The configuration is the PyTorch tutorial's, made correct (masked): attention
`bahdanau`, hidden 128, batch 32, Adam lr 0.001, dropout 0.1, the 10,599 pairs
the tutorial's filter keeps from the corpus.  Both programs start from the same
initial checkpoint (written by tests/torch_batched.py) and train one shuffled
epoch; they alternate in the same run (kit, PyTorch, kit, PyTorch, ...), at 1
thread and at 2, so that a drift of the machine's speed hits both.  Printed: the
seconds per epoch, tokens per second, the ratio PyTorch/kit, the final losses,
the peak memory of each process, and the machine's sgemm rate measured in the
same run, with the products of one epoch, to say how close each program comes
to what the machine can do.

The kit's time is that of its epoch as it prints it ("Epoch 1/1, train loss L,
S s"), or else the wall-clock time of its whole `train` process; PyTorch's is
that of its epoch alone, as tests/torch_batched.py bench measures it.  A report, not a test: it fails only
when a program fails.  Without `--attention bahdanau` in `attention train
--help` it says so and times PyTorch alone.

PyTorch's OpenMP threads spin while they wait; on a machine that other work
shares, two spinning threads steal the cores from each other and from OpenBLAS
(measured here under load: 24 s for an epoch of 183 pairs at 2 threads, against
1.4 s with OMP_WAIT_POLICY=PASSIVE and 0.6 s at 1 thread).  So PyTorch runs with
OMP_WAIT_POLICY=PASSIVE unless the environment sets it otherwise.

usage: tests/bench_corpus.py ./attention [--rounds N] [--threads 1 2] [--data FILE]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "torch_batched.py")
PY = os.environ.get("PYTHON", "/usr/bin/python3")
CORPUS = os.environ.get("ATTENTION_CORPUS", os.path.join(HERE, "..", "..", "shared", "data", "eng-fra.txt"))


ENV = dict(os.environ)
ENV.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def run(cmd):
    """Run cmd; (stdout, wall seconds)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=ENV)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"bench-corpus: {' '.join(cmd)} failed ({p.returncode}):\n{err}{out}")
    return out, wall


def run_measured(cmd):
    """Like run, with the peak memory of this one process (GNU time's %M)."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as f:
        if os.access("/usr/bin/time", os.X_OK):
            out, wall = run(["/usr/bin/time", "-q", "-f", "%M", "-o", f.name] + cmd)
            text = f.read().strip().splitlines()
            rss = float(text[-1]) / 1024 if text and text[-1].isdigit() else float("nan")
        else:
            out, wall = run(cmd)
            rss = float("nan")
    return out, wall, rss


def field(pattern, text, what):
    m = re.search(pattern, text, re.M)
    if not m:
        sys.exit(f"bench-corpus: no {what} in the output:\n{text}")
    return float(m.group(1))


def kit_epoch_seconds(text, wall):
    """The seconds of the kit's epoch as it prints them ("Epoch 1/1, train loss
    L, S s"), or else the wall-clock time of its whole process."""
    found = re.findall(r"^Epoch \d+/\d+,.*?([0-9]+(?:\.[0-9]+)?) s\b", text, re.M)
    return (float(found[-1]), "its own epoch time") if found else (wall, "wall clock")


def last_loss(text):
    """The last number after the word 'loss' in the kit's output, if any."""
    found = re.findall(r"loss[^0-9\n]*([0-9]+\.[0-9]+)", text, re.I)
    return float(found[-1]) if found else float("nan")


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=2, help="runs of each program per "
                    "thread count (default 2)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--data", default=CORPUS)
    args = ap.parse_args()
    if not os.path.isfile(args.data):
        sys.exit(f"bench-corpus: no corpus at {args.data} (set ATTENTION_CORPUS)")
    binary = os.path.realpath(args.binary)
    help_text = subprocess.run([binary, "train", "--help"], capture_output=True,
                               text=True).stdout
    kit = re.search(r"\bbahdanau\b", help_text) is not None
    if not kit:
        print("bench-corpus: the kit has no --attention bahdanau yet: PyTorch alone")

    print(f"bench-corpus: PyTorch with OMP_WAIT_POLICY={ENV['OMP_WAIT_POLICY']}")
    sgemm, _ = run([PY, REF, "sgemm", "--threads"] + [str(t) for t in args.threads])
    print(sgemm, end="")
    rate = {t: field(rf"^sgemm_gflops_threads{t} min \S+ median (\S+)", sgemm, "sgemm rate")
            for t in args.threads}

    with tempfile.TemporaryDirectory() as tmp:
        init = os.path.join(tmp, "init.safetensors")
        run([PY, REF, "init", "--data", args.data, "--attention", "bahdanau",
             "--hidden", "128", "--seed", "1", "--out", init])
        rows = []
        for threads in args.threads:
            k_secs, k_loss, k_rss, t_secs, t_loss, t_rss = [], [], [], [], [], []
            gflop = real = tokens = float("nan")
            for r in range(args.rounds):
                if kit:
                    out, wall, rss = run_measured(
                        [binary, "train", "--data", args.data, "--attention", "bahdanau",
                         "--init", init, "--batch", "32", "--lr", "0.001", "--dropout",
                         "0.1", "--epochs", "1", "--threads", str(threads), "--seed",
                         str(r + 1)])
                    secs, how = kit_epoch_seconds(out, wall)
                    k_secs.append(secs)
                    k_loss.append(last_loss(out))
                    k_rss.append(rss)
                out, _, rss = run_measured(
                    [PY, REF, "bench", "--data", args.data, "--init", init, "--threads",
                     str(threads), "--seed", str(r + 1)])
                t_secs.append(field(r"^pytorch_epoch_seconds (\S+)", out, "seconds"))
                t_loss.append(field(r"^pytorch_final_loss (\S+)", out, "final loss"))
                t_rss.append(rss)
                tokens = field(r"^pytorch_target_tokens (\S+)", out, "token count")
                gflop = field(r"^epoch_products_gflop (\S+)", out, "products")
                real = field(r"^epoch_products_gflop \S+ padded, (\S+)", out, "products")
                print(f"bench-corpus: {threads} thread(s), round {r + 1}: "
                      + (f"kit {k_secs[-1]:.2f} s ({how}; process {wall:.2f} s; loss "
                         f"{k_loss[-1]:.4f}), " if kit else "")
                      + f"PyTorch {t_secs[-1]:.2f} s (loss {t_loss[-1]:.4f})", flush=True)
            rows.append((threads, med(k_secs), med(k_loss), max(k_rss, default=float("nan")),
                         med(t_secs), med(t_loss), max(t_rss), tokens, gflop, real))

    print()
    print(f"One epoch, bahdanau, hidden 128, batch 32, lr 0.001, dropout 0.1, "
          f"{args.data} ({args.rounds} round(s), medians):")
    print(f"{'threads':>7} {'program':>8} {'s/epoch':>8} {'tokens/s':>9} {'loss':>7} "
          f"{'peak MiB':>8} {'GFLOP/s':>8} {'% sgemm':>7}")
    for threads, ks, kl, km, ts, tl, tm, tokens, gflop, real in rows:
        for name, secs, loss, rss in (("kit", ks, kl, km), ("PyTorch", ts, tl, tm)):
            if name == "kit" and not kit:
                continue
            print(f"{threads:>7} {name:>8} {secs:8.2f} {tokens / secs:9.0f} {loss:7.4f} "
                  f"{rss:8.0f} {gflop / secs:8.1f} {100 * gflop / secs / rate[threads]:6.1f}%")
        floor = gflop / rate[threads]
        print(f"{threads:>7} {'floor':>8} {floor:8.2f}   (the epoch's {gflop:.0f} GFLOP of "
              f"products, {real:.0f} without the padding, at the median sgemm rate, "
              f"{rate[threads]:.1f} GFLOP/s)")
        if kit:
            print(f"bench_corpus_ratio_threads{threads} {ts / ks:.2f} (PyTorch s / kit s)")


if __name__ == "__main__":
    main()

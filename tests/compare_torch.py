#!/usr/bin/python3
"""The kit against PyTorch on sentences neither trained on (make compare-torch).

  compare_torch.py KIT CORPUS OUT_DIR [--seeds "1 2 3 4 5"] [--epochs 10]

Splits CORPUS as `make experiments` does (test 0.1, valid 0.1, seed 1); then,
for each seed, writes the kit's initial bahdanau model for that seed and
trains it twice from those very weights, EPOCHS epochs with the tutorial's
settings (hidden 128, batch 32, Adam lr 0.001, dropout 0.1, a shuffle each
epoch, 1 thread), the kit and PyTorch (tests/torch_batched.py, float32) side
by side. Both keep the last epoch's weights. The kit scores both models on the
test split (greedy, and beam 5) with `attention eval`, so the two differ only
in who trained them: their dropout masks and shuffles come from different
random generators. Prints a row per seed and the mean of each column (also in
OUT_DIR/compare.txt); a program that fails stops it with its message.
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def die(msg):
    print(f"compare_torch: {msg}", file=sys.stderr)
    sys.exit(1)


def finish(proc, what, log):
    if proc.wait():
        die(f"{what} failed (status {proc.returncode}); see {log}")


def bleu(kit, model, test, *extra):
    r = subprocess.run([kit, "eval", "--model", model, "--data", test, *extra],
                       capture_output=True, text=True)
    m = re.search(r"^BLEU = ([0-9.]+)", r.stdout, re.M)
    if r.returncode or not m:
        die(f"eval of {model} failed: {r.stderr.strip()}")
    return float(m.group(1))


def main():
    args, opts = [], {"--seeds": "1 2 3 4 5", "--epochs": "10"}
    it = iter(sys.argv[1:])
    for a in it:
        if a in opts:
            opts[a] = next(it, "")
        else:
            args.append(a)
    if len(args) != 3:
        die(__doc__.split("\n\n")[1].strip())
    kit, corpus, out = args
    seeds, epochs = opts["--seeds"].split(), opts["--epochs"]
    os.makedirs(out, exist_ok=True)
    r = subprocess.run([kit, "split", "--data", corpus, "--test", "0.1", "--valid", "0.1",
                        "--seed", "1", "--out-dir", out], capture_output=True, text=True)
    if r.returncode:
        die(r.stderr.strip())
    train, test = os.path.join(out, "train.txt"), os.path.join(out, "test.txt")
    one = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    head = f"{'seed':<5} {'kit-greedy':>12} {'torch-greedy':>12} {'kit-beam5':>12} {'torch-beam5':>12}"
    rows = []
    print(head, flush=True)
    for s in seeds:
        init, kit_m, torch_m = (os.path.join(out, f"{w}-{s}.safetensors")
                                for w in ("init", "kit", "torch"))
        r = subprocess.run([kit, "train", "--data", train, "--attention", "bahdanau",
                            "--epochs", "0", "--seed", s, "--save", init],
                           capture_output=True, text=True)
        if r.returncode:
            die(r.stderr.strip())
        logs = [os.path.join(out, f"{w}-{s}.log") for w in ("kit", "torch")]
        with open(logs[0], "w") as f0, open(logs[1], "w") as f1:
            k = subprocess.Popen([kit, "train", "--data", train, "--attention", "bahdanau",
                                  "--init", init, "--epochs", epochs, "--seed", s,
                                  "--threads", "1", "--save", kit_m],
                                 stdout=f0, stderr=subprocess.STDOUT, env=one)
            t = subprocess.Popen([sys.executable, os.path.join(HERE, "torch_batched.py"), "train",
                                  "--data", train, "--init", init, "--epochs", epochs,
                                  "--seed", s, "--threads", "1", "--save", torch_m],
                                 stdout=f1, stderr=subprocess.STDOUT, env=one)
            finish(k, "the kit's training", logs[0])
            finish(t, "PyTorch's training", logs[1])
        row = [bleu(kit, kit_m, test), bleu(kit, torch_m, test),
               bleu(kit, kit_m, test, "--beam", "5"), bleu(kit, torch_m, test, "--beam", "5")]
        rows.append(row)
        print(f"{s:<5} " + " ".join(f"{x:12.2f}" for x in row), flush=True)
    means = [sum(c) / len(rows) for c in zip(*rows)]
    lines = [head] + [f"{s:<5} " + " ".join(f"{x:12.2f}" for x in r) for s, r in zip(seeds, rows)]
    lines.append(f"{'mean':<5} " + " ".join(f"{x:12.2f}" for x in means))
    print(lines[-1])
    with open(os.path.join(out, "compare.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

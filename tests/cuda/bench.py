#!/usr/bin/env python3
"""make bench-cuda: the kit's CUDA trainer against PyTorch on the same GPU.

For the tutorial's configuration (Bahdanau attention, hidden 128, batch 32, the
tutorial's filter) and a large one (hidden 512, batch 256, every pair of fewer
than 10 words, the full vocabulary), it prints the time of an epoch and the
target words per second of

  * ./attention train --device cuda, with and without CUDA graphs
    (KIT_CUDA_GRAPHS=1), and the products' rate (the floating-point operations
    that KIT_CUDA_STATS counts, over the epoch's time) as a share of cuBLAS's
    sgemm peak, measured here with torch.mm on 8192x8192 single-precision
    matrices (TF32 off);
  * the same model in PyTorch (nn.GRU with packed sequences for the encoder,
    a GRU cell and additive attention per decoder step, Adam), on the same
    pairs in the same batches.

Targets (issue 11): the tutorial configuration at least 10 times faster than
PyTorch, the large one at least as fast. Usage: bench.py ./attention
(ATTENTION_CORPUS=eng-fra.txt). It needs a GPU and torch.cuda; it has never
run on one yet (written in a session without a GPU)."""
import os
import re
import subprocess
import sys
import time


def corpus_path():
    c = os.environ.get("ATTENTION_CORPUS")
    for p in ([c] if c else []) + ["../shared/data/eng-fra.txt", "shared/data/eng-fra.txt",
                                   "/work/shared/data/eng-fra.txt"]:
        if p and os.path.exists(p):
            return p
    sys.exit("bench-cuda: no corpus: set ATTENTION_CORPUS to eng-fra.txt")


EPOCH = re.compile(r"^Epoch (\d+)/\d+, train loss ([0-9.]+).*?, ([0-9.]+) s \((\d+) pairs/s, (\d+) tokens/s\)")
STATS = re.compile(r"cuda: (\d+) kernel launches, (\d+) products \(([0-9.]+) Gflop\)")


def kit(binary, data, filt, H, B, epochs, graphs):
    env = dict(os.environ, KIT_CUDA_STATS="1")
    env.pop("KIT_CUDA_GRAPHS", None)
    if graphs:
        env["KIT_CUDA_GRAPHS"] = "1"
    cmd = [binary, "train", "--data", data, "--filter", filt, "--attention", "bahdanau",
           "--hidden", str(H), "--batch", str(B), "--epochs", str(epochs), "--print-every", "1",
           "--show", "0", "--dropout", "0", "--device", "cuda"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(f"bench-cuda: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    epochs_seen = [EPOCH.match(l) for l in r.stdout.splitlines()]
    epochs_seen = [m for m in epochs_seen if m]
    last = epochs_seen[-1]
    kept = re.search(r"; kept (\d+)", r.stdout)
    # The epoch's time is printed to 0.1 s; pairs/s to 1 in some 10^4: use that.
    sec = int(kept.group(1)) / float(last.group(4)) if kept else float(last.group(3))
    stats = STATS.search(r.stderr)
    gflop = float(stats.group(3)) / epochs if stats else float("nan")
    return {"sec": sec, "tok_s": float(last.group(5)), "loss": float(last.group(2)),
            "gflop_epoch": gflop, "launches": int(stats.group(1)) // epochs if stats else 0}


def pairs(binary, data, filt):
    r = subprocess.run([binary, "pairs", "--data", data, "--filter", filt], capture_output=True,
                       text=True, check=True)
    return [l.split("\t")[:2] for l in r.stdout.splitlines()]


def sgemm_peak(torch):
    torch.backends.cuda.matmul.allow_tf32 = False
    n = 8192
    a = torch.randn(n, n, device="cuda")
    b = torch.randn(n, n, device="cuda")
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    reps, t = 20, time.perf_counter()
    for _ in range(reps):
        a @ b
    torch.cuda.synchronize()
    return 2.0 * n ** 3 * reps / (time.perf_counter() - t)


def torch_epoch(torch, prs, H, B, device="cuda"):
    """One epoch of the Bahdanau model in PyTorch, in file order, B pairs a batch."""
    import torch.nn as nn
    import torch.nn.functional as F
    PAD, SOS, EOS = 2, 0, 1

    def vocab(side):
        v = {"<SOS>": 0, "<EOS>": 1, "<PAD>": 2, "<UNK>": 3}
        for p in prs:
            for w in p[side].split():
                v.setdefault(w, len(v))
        return v
    vin, vout = vocab(0), vocab(1)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.eemb = nn.Embedding(len(vin), H)
            self.egru = nn.GRU(H, H)
            self.demb = nn.Embedding(len(vout), H)
            self.Wa, self.Ua, self.Va = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, 1)
            self.dgru = nn.GRUCell(2 * H, H)
            self.out = nn.Linear(H, len(vout))

        def forward(self, src, slen, din, tgt):
            S, Bn = src.shape
            x = nn.utils.rnn.pack_padded_sequence(self.eemb(src), slen, enforce_sorted=False)
            keys, h = self.egru(x)
            keys, _ = nn.utils.rnn.pad_packed_sequence(keys, total_length=S)
            keys = keys.transpose(0, 1)  # B S H
            uk = self.Ua(keys)
            mask = torch.arange(S, device=src.device)[None, :] >= slen.to(src.device)[:, None]
            h = h[0]
            e = self.demb(din)
            outs = []
            for t in range(din.shape[0]):
                sc = self.Va(torch.tanh(self.Wa(h)[:, None, :] + uk)).squeeze(2)
                w = torch.softmax(sc.masked_fill(mask, float("-inf")), dim=1)
                c = torch.bmm(w[:, None, :], keys).squeeze(1)
                h = self.dgru(torch.cat([e[t], c], 1), h)
                outs.append(h)
            logits = self.out(torch.stack(outs))
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1),
                                   ignore_index=PAD)

    dev = torch.device(device)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()
    batches, tokens = [], 0
    for k in range(0, len(prs), B):
        chunk = prs[k:k + B]
        s = [[vin[w] for w in p[0].split()] + [EOS] for p in chunk]
        t = [[vout[w] for w in p[1].split()] + [EOS] for p in chunk]
        S, T = max(map(len, s)), max(map(len, t))
        tokens += sum(map(len, t))
        src = torch.tensor([[x[i] if i < len(x) else PAD for x in s] for i in range(S)])
        tgt = torch.tensor([[x[i] if i < len(x) else PAD for x in t] for i in range(T)])
        din = torch.tensor([[SOS if i == 0 else x[i - 1] if i <= len(x) else PAD for x in t]
                            for i in range(T)])
        batches.append((src.to(dev), torch.tensor(list(map(len, s))), din.to(dev), tgt.to(dev)))
    m = Model().to(dev)
    opt = torch.optim.Adam(m.parameters(), lr=0.001)

    def step(b):
        opt.zero_grad()
        loss = m(*b)
        loss.backward()
        opt.step()
        return loss
    for b in batches[:10]:  # warm-up: cuDNN and cuBLAS choose their kernels
        step(b)
    sync()
    t0 = time.perf_counter()
    for b in batches:
        loss = step(b)
    sync()
    sec = time.perf_counter() - t0
    return {"sec": sec, "tok_s": tokens / sec, "loss": float(loss)}


def main():
    binary = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else "./attention")
    data = corpus_path()
    try:
        import torch
        have_torch = torch.cuda.is_available()
    except ImportError:
        torch, have_torch = None, False
    peak = sgemm_peak(torch) if have_torch else float("nan")
    if have_torch:
        print(f"bench-cuda: {torch.cuda.get_device_name(0)}; PyTorch {torch.__version__}; "
              f"cuBLAS sgemm peak {peak / 1e12:.1f} TFLOP/s (8192^3, TF32 off)")
    else:
        print("bench-cuda: no torch.cuda here: the kit alone, no sgemm peak")
    configs = [("tutorial: hidden 128, batch 32, tutorial filter", "tutorial", 128, 32, 2, 10.0),
               ("large: hidden 512, batch 256, every pair under 10 words", "length", 512, 256, 1, 1.0)]
    for name, filt, H, B, epochs, target in configs:
        print(f"bench-cuda: {name}")
        best = None
        for graphs in (False, True):
            r = kit(binary, data, filt, H, B, epochs, graphs)
            share = r["gflop_epoch"] * 1e9 / max(r["sec"], 1e-9) / peak
            print(f"  kit{' + graphs' if graphs else '         '}: epoch {r['sec']:7.2f} s, "
                  f"{r['tok_s']:9.0f} tokens/s, {r['launches']} launches, products "
                  f"{r['gflop_epoch']:.0f} Gflop = {100 * share:.1f}% of sgemm peak over the epoch")
            if best is None or r["sec"] < best["sec"]:
                best = r
        if have_torch:
            t = torch_epoch(torch, pairs(binary, data, filt), H, B)
            ratio = t["sec"] / best["sec"]
            print(f"  PyTorch      : epoch {t['sec']:7.2f} s, {t['tok_s']:9.0f} tokens/s")
            print(f"  kit / PyTorch: {ratio:.1f} times as fast (target {target:g}: "
                  f"{'met' if ratio >= target else 'NOT met'})")


if __name__ == "__main__":
    main()

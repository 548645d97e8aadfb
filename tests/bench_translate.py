#!/usr/bin/python3
"""Translating a test split with a Part II checkpoint: the kit against PyTorch.

  bench_translate.py KIT TEST_FILE CKPT [CKPT ...] [--threads N] [--beam K]
                     [--batch B] [--repeat R]

For each checkpoint (bahdanau, luong-dot, luong-general or multihead, as the kit
writes them), the English sentences of TEST_FILE (one source per distinct
sentence, in order of first appearance, as `attention eval` numbers them) are
translated greedily and with a beam of K (Wu's length penalty, alpha 0.6, as the
kit's default), by `attention eval` and by the batched PyTorch decoder below, in
the same run, alternated, at the same number of threads. Each time is the
decoding alone (encoder and decoder, no loading), the best of R runs. Prints
sentences per second, the ratio, and how many translations the two agree on;
for greedy decoding also the floor: the sentences per second of a program
that did nothing but the output layer's products of the same steps (timed in
PyTorch), and its ratio to PyTorch, the most any program can gain on it.

The PyTorch decoder is written from the equations of Part II (spec-part2.md):
torch.nn.GRU with packed sequences for the encoder, GRUCell for the decoder, the
masked softmax as masked_fill(-inf), multi-head attention with the checkpoint's
in_proj/out_proj. Greedy takes the argmax of the logits (as the kit's greedy);
the beam keeps K - (finished) candidates per sentence per step, gives <PAD> and
<SOS> -inf, and ranks finished translations by logprob / lp (as the kit).
"""
import json
import math
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_ref import read_safetensors  # noqa: E402

SOS, EOS, PAD, UNK = 0, 1, 2, 3


def die(msg):
    print(f"bench_translate: {msg}", file=sys.stderr)
    sys.exit(1)


def sources(kit, path):
    out = subprocess.run([kit, "pairs", "--data", path, "--filter", "length",
                          "--max-length", "40"], capture_output=True, text=True)
    if out.returncode:
        die(out.stderr.strip())
    seen, src = set(), []
    for line in out.stdout.splitlines():
        en = line.split("\t")[0]
        if en not in seen:
            seen.add(en)
            src.append(en)
    return src


class Model:
    def __init__(self, path):
        import torch
        t, meta = read_safetensors(path)
        self.kind = meta.get("attention", "seed")
        if self.kind == "seed":
            die(f"{path}: the notebook's kind is not batched; give a Part II model")
        self.vin = json.loads(meta["input_vocab"])
        self.vout = json.loads(meta["output_vocab"])
        self.H = int(meta["hidden_size"])
        self.L = int(meta["max_length"])
        self.step_rows = []  # the rows of each greedy decoding step, for the floor
        self.heads = int(meta.get("heads", "1"))
        self.t = {k: torch.from_numpy(v.copy()) for k, v in t.items()}
        H = self.H
        self.enc = torch.nn.GRU(H, H, batch_first=True)
        self.dec = torch.nn.GRUCell(2 * H, H)
        for mod, pre in ((self.enc, "encoder.gru."), (self.dec, "decoder.gru.")):
            sd = {}
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                key = name + ("_l0" if mod is self.enc else "")
                sd[key] = self.t[pre + name + "_l0"]
            mod.load_state_dict(sd)
        self.index = {w: i for i, w in enumerate(self.vin)}

    def tokens(self, sentence):
        ids = [self.index.get(w, UNK) for w in sentence.split(" ") if w]
        return ids + [EOS] if 0 < len(ids) <= self.L - 1 else None

    # -- encoder and the per-sentence arrays the attention reads
    def encode(self, batch):
        import torch
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
        lens = torch.tensor([len(s) for s in batch])
        S = int(lens.max())
        src = torch.full((len(batch), S), PAD, dtype=torch.long)
        for b, s in enumerate(batch):
            src[b, :len(s)] = torch.tensor(s)
        x = self.t["encoder.embedding.weight"][src]
        packed = pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
        out, h = self.enc(packed)
        keys, _ = pad_packed_sequence(out, batch_first=True, total_length=S)
        mask = torch.arange(S)[None, :] >= lens[:, None]
        mem = {"keys": keys, "mask": mask}
        t, H = self.t, self.H
        if self.kind == "bahdanau":
            mem["uk"] = keys @ t["decoder.attention.Ua.weight"].T + t["decoder.attention.Ua.bias"]
        if self.kind == "multihead":
            W, bias = t["decoder.attention.in_proj_weight"], t["decoder.attention.in_proj_bias"]
            mem["kp"] = keys @ W[H:2 * H].T + bias[H:2 * H]
            mem["vp"] = keys @ W[2 * H:].T + bias[2 * H:]
        return h[0], mem

    # -- one decoder step for N rows; mem rows already gathered per row
    def step(self, y, s, ht, mem):
        import torch
        t = self.t
        e = t["decoder.embedding.weight"][y]
        mask = mem["mask"]
        if self.kind == "bahdanau":
            wq = s @ t["decoder.attention.Wa.weight"].T + t["decoder.attention.Wa.bias"]
            a = torch.tanh(wq[:, None, :] + mem["uk"])
            sc = (a @ t["decoder.attention.Va.weight"][0]) + t["decoder.attention.Va.bias"]
            w = torch.softmax(sc.masked_fill(mask, -math.inf), dim=1)
            c = torch.bmm(w[:, None, :], mem["keys"])[:, 0]
            s = self.dec(torch.cat([e, c], 1), s)
            out = s
        else:
            s = self.dec(torch.cat([e, ht], 1), s)
            if self.kind == "multihead":
                H, nh = self.H, self.heads
                d = H // nh
                W, bias = t["decoder.attention.in_proj_weight"], t["decoder.attention.in_proj_bias"]
                q = (s @ W[:H].T + bias[:H]).view(-1, nh, 1, d)
                N, S = mask.shape
                k = mem["kp"].view(N, S, nh, d).transpose(1, 2)
                v = mem["vp"].view(N, S, nh, d).transpose(1, 2)
                sc = (q @ k.transpose(2, 3))[:, :, 0] / math.sqrt(d)
                w = torch.softmax(sc.masked_fill(mask[:, None, :], -math.inf), dim=2)
                ctx = (w[:, :, None, :] @ v)[:, :, 0].reshape(N, H)
                c = ctx @ t["decoder.attention.out_proj.weight"].T + t["decoder.attention.out_proj.bias"]
                Wc = t["decoder.combine.weight"]
            else:
                q = s if self.kind == "luong-dot" else s @ t["decoder.attention.linear_in.weight"].T
                sc = torch.bmm(mem["keys"], q[:, :, None])[:, :, 0]
                w = torch.softmax(sc.masked_fill(mask, -math.inf), dim=1)
                c = torch.bmm(w[:, None, :], mem["keys"])[:, 0]
                Wc = t["decoder.attention.linear_out.weight"]
            ht = torch.tanh(torch.cat([c, s], 1) @ Wc.T)
            out = ht
        logits = out @ t["decoder.out.weight"].T + t["decoder.out.bias"]
        return logits, s, ht

    def greedy(self, batch):
        import torch
        s, mem = self.encode(batch)
        B = len(batch)
        ht = torch.zeros(B, self.H)
        y = torch.full((B,), SOS, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        words = []
        for _ in range(self.L):
            logits, s, ht = self.step(y, s, ht, mem)
            self.step_rows.append(B)
            y = logits.argmax(1)
            words.append(y)
            done = done | (y == EOS)
            if bool(done.all()):
                break
        W = torch.stack(words, 1).tolist()
        res = []
        for row in W:
            res.append(row[:row.index(EOS)] if EOS in row else row)
        return res

    def beam(self, batch, K, alpha=0.6):
        import torch
        s0, mem0 = self.encode(batch)
        B, H, L = len(batch), self.H, self.L
        V = len(self.vout)
        # rows b*K + k; only slot 0 of each sentence is alive at the start
        sent = torch.arange(B).repeat_interleave(K)
        mem = {k: v[sent] for k, v in mem0.items()}
        s = s0[sent]
        ht = torch.zeros(B * K, H)
        y = torch.full((B * K,), SOS, dtype=torch.long)
        score = torch.full((B, K), -math.inf, dtype=torch.float64)
        score[:, 0] = 0.0
        hist = torch.zeros(B, K, 0, dtype=torch.long)
        n_done = torch.zeros(B, dtype=torch.long)
        finished = [[] for _ in range(B)]
        lp = lambda n: ((5.0 + n) / 6.0) ** alpha
        for t in range(L):
            logits, s, ht = self.step(y, s, ht, mem)
            logp = torch.log_softmax(logits, 1)
            logp[:, PAD] = -math.inf
            logp[:, SOS] = -math.inf
            cand = (score.view(B * K, 1) + logp.double()).view(B, K * V)
            val, idx = cand.topk(K, dim=1)
            rank = torch.arange(K)[None, :]
            valid = (rank < (K - n_done)[:, None]) & torch.isfinite(val)
            parent, word = idx // V, idx % V
            eos = valid & (word == EOS)
            live = valid & ~eos
            for b, k in eos.nonzero().tolist():
                finished[b].append((val[b, k].item() / lp(t + 1), hist[b, parent[b, k]].tolist()))
            n_done += eos.sum(1)
            order = ((~live).long() * K + rank).argsort(1)  # live ones first, in rank order
            parent, word, val, live = (z.gather(1, order) for z in (parent, word, val, live))
            rows = (torch.arange(B)[:, None] * K + parent).view(-1)
            s, ht = s[rows], ht[rows]
            hist = torch.cat([hist.gather(1, parent[:, :, None].expand(-1, -1, hist.shape[2])),
                              word[:, :, None]], 2)
            score = torch.where(live, val, torch.full_like(val, -math.inf))
            y = word.view(-1)
            if not bool(live.any()):
                break
        for b, k in torch.isfinite(score).nonzero().tolist():
            finished[b].append((score[b, k].item() / lp(hist.shape[2]), hist[b, k].tolist()))
        res = []
        for f in finished:
            best = f[0]
            for x in f[1:]:
                if x[0] > best[0]:
                    best = x
            res.append(best[1])
        return res


def product_floor(model, rows, repeat=20):
    """Seconds that the output layer's products alone take, for the decoding
    steps of a greedy run (each step one product of its rows by H by V, in
    PyTorch, on this machine): no program that computes the logits with this
    BLAS decodes faster."""
    import torch
    t = model.t
    W, b = t["decoder.out.weight"], t["decoder.out.bias"]
    total = 0.0
    for B in sorted(set(rows)):
        h = torch.randn(B, model.H)
        best = math.inf
        for _ in range(repeat):
            t0 = time.perf_counter()
            h @ W.T + b
            best = min(best, time.perf_counter() - t0)
        total += best * rows.count(B)
    return total


def torch_translate(model, srcs, K, batch):
    todo = [(i, ids) for i, ids in enumerate(model.tokens(x) for x in srcs) if ids]
    out = [""] * len(srcs)
    t0 = time.perf_counter()
    for a in range(0, len(todo), batch):
        chunk = todo[a:a + batch]
        ids = [c[1] for c in chunk]
        got = model.greedy(ids) if K == 1 else model.beam(ids, K)
        for (i, _), w in zip(chunk, got):
            out[i] = " ".join(model.vout[x] for x in w)
    return time.perf_counter() - t0, len(todo), out


def kit_translate(kit, ckpt, test, K, batch, threads, outfile):
    cmd = [kit, "eval", "--model", ckpt, "--data", test, "--batch", str(batch),
           "--output", outfile] + (["--beam", str(K)] if K > 1 else [])
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        die(r.stderr.strip())
    m = re.search(r"^Speed: (\d+) sources in ([0-9.]+) s", r.stdout, re.M)
    bleu = re.search(r"^BLEU = ([0-9.]+)", r.stdout, re.M).group(1)
    with open(outfile) as f:
        lines = f.read().split("\n")[:-1]
    return float(m.group(2)), int(m.group(1)), lines, bleu


def main():
    args = sys.argv[1:]
    opts = {"--threads": 1, "--beam": 5, "--batch": 64, "--repeat": 2}
    pos = []
    i = 0
    while i < len(args):
        if args[i] in opts and i + 1 < len(args):
            opts[args[i]] = int(args[i + 1])
            i += 2
        else:
            pos.append(args[i])
            i += 1
    if len(pos) < 3:
        die("usage: bench_translate.py KIT TEST_FILE CKPT [CKPT ...] [--threads N] "
            "[--beam K] [--batch B] [--repeat R]")
    kit, test, ckpts = pos[0], pos[1], pos[2:]
    import torch
    torch.set_num_threads(opts["--threads"])
    srcs = sources(kit, test)
    tmp = f"/tmp/bench_translate.{os.getpid()}"
    print(f"{test}: {len(srcs)} sources; {opts['--threads']} thread(s), batch {opts['--batch']}, "
          f"best of {opts['--repeat']}; torch {torch.__version__}")
    print(f"{'kind':<14} {'decoding':<8} {'kit sent/s':>10} {'torch sent/s':>12} {'ratio':>6} "
          f"{'agree':>6} {'kit BLEU':>8}")
    for ck in ckpts:
        model = Model(ck)
        with torch.no_grad():
            for K in (1, opts["--beam"]):
                kt = tt = math.inf
                model.step_rows = []
                for _ in range(opts["--repeat"]):
                    t, n_kit, kit_out, bleu = kit_translate(kit, ck, test, K, opts["--batch"],
                                                            opts["--threads"], tmp)
                    kt = min(kt, t)
                    t, n_torch, torch_out = torch_translate(model, srcs, K, opts["--batch"])
                    tt = min(tt, t)
                agree = sum(a == b for a, b in zip(kit_out, torch_out))
                name = "greedy" if K == 1 else f"beam {K}"
                print(f"{model.kind:<14} {name:<8} {n_kit / kt:10.0f} {n_torch / tt:12.0f} "
                      f"{(n_kit / kt) / (n_torch / tt):6.2f} {100.0 * agree / len(srcs):5.1f}% "
                      f"{bleu:>8}", flush=True)
                if K == 1:
                    rows = model.step_rows[:len(model.step_rows) // opts["--repeat"]]
                    fl = product_floor(model, rows)
                    print(f"{'':<14} {'floor':<8} {n_torch / fl:10.0f} {'':>12} "
                          f"{(n_torch / fl) / (n_torch / tt):6.2f}  (the output layer's "
                          f"{len(rows)} products alone, {fl:.3f} s)", flush=True)
    if os.path.exists(tmp):
        os.remove(tmp)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""PyTorch reference for Part II of the kit: content-based attention, minibatches, masks.

An independent implementation of the four kinds of /work/spec-part2.md (the
contract shared with the kit's C batched trainer):

  bahdanau       additive score before the GRU step (the PyTorch tutorial's
                 AttnDecoderRNN without its padding bugs)
  luong-dot      Luong's global attention with input feeding, dot score
  luong-general  the same with the bilinear ("general") score
  multihead      torch.nn.MultiheadAttention in Luong's place, then a tanh combine

The encoder is packed (pack_padded_sequence), the attention is masked, the loss
is NLL with ignore_index=<PAD> averaged over the real target tokens, and one
Adam steps all the parameters once per batch.  Checkpoints are the kit's
safetensors files, read and written by tests/torch_ref.py's functions.

Subcommands (each has --help):
  init       vocabularies from a pairs file, seeded initial weights
  train      train a checkpoint on a pairs file, print the epoch losses
  translate  greedy, batched translation with a checkpoint
  grads      loss and gradients of one batch, as safetensors (to debug parity)
  compare    relative Frobenius error of every tensor (torch_ref.py's)
  selftest   batch equivalence, zero-gradient biases, round trip, training
  bench      one epoch of the tutorial's training, masked, timed
  sgemm      this machine's float32 GEMM rate on the trainer's shapes
"""
import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch                                            # noqa: E402
import torch.nn as nn                                   # noqa: E402
import torch.nn.functional as F                         # noqa: E402
from torch.nn.utils.rnn import (pack_padded_sequence,   # noqa: E402
                                pad_packed_sequence)

import normalize_ref                                    # noqa: E402
import torch_ref                                        # noqa: E402
from torch_ref import KitError                          # noqa: E402

KINDS = ("bahdanau", "luong-dot", "luong-general", "multihead")
SOS, EOS, PAD, UNK = 0, 1, 2, 3
SPECIALS = ["<SOS>", "<EOS>", "<PAD>", "<UNK>"]
MAX_LENGTH = 10
DTYPES = {"float32": torch.float32, "float64": torch.float64}


# --------------------------------------------------------------------- threads

def blas_library():
    """The BLAS this process loaded (Debian's torch calls libblas.so.3)."""
    with open("/proc/self/maps") as f:
        libs = sorted({l.split()[-1] for l in f if "blas" in l and "/" in l})
    return ", ".join(os.path.basename(l) for l in libs) or "no BLAS library mapped"


def set_threads(n):
    """torch.set_num_threads, and OpenBLAS's own pool as well: a torch built
    against the generic libblas.so.3 (Debian's) does not pass the number on,
    and OpenBLAS would otherwise use every core."""
    if n < 1:
        raise KitError(f"--threads {n}: must be at least 1")
    torch.set_num_threads(n)
    try:
        import ctypes
        blas = ctypes.CDLL("libblas.so.3")
        setter = getattr(blas, "openblas_set_num_threads", None)
        if setter is not None:
            setter(n)
            return "OpenBLAS", int(blas.openblas_get_num_threads())
    except OSError:
        pass
    return "not OpenBLAS", None


# ------------------------------------------------------------ data, vocabulary

def read_pairs(path):
    """The kit's reader and filter (tests/normalize_ref.py): list of (en, fr)."""
    if not os.path.isfile(path):
        raise KitError(f"{path}: no such file")
    try:
        return normalize_ref.read_pairs(path)
    except UnicodeDecodeError as e:
        raise KitError(f"{path}: not UTF-8 ({e})")
    except SystemExit as e:                 # normalize_ref's "line N has no tab"
        raise KitError(str(e.code))


def build_vocab(sentences, min_count=1):
    """<SOS> <EOS> <PAD> <UNK>, then words by first appearance, seen >= min_count times."""
    count, order = {}, []
    for s in sentences:
        for w in s.split(" "):
            if w not in count:
                count[w] = 0
                order.append(w)
            count[w] += 1
    return SPECIALS + [w for w in order if count[w] >= min_count]


def encode(sentence, index):
    """Word ids of a sentence, then <EOS>; unknown words are <UNK>."""
    return [index.get(w, UNK) for w in sentence.split(" ")] + [EOS]


def pad_columns(seqs, value=PAD):
    """List of id lists -> LongTensor [L, B], padded on the right (time first)."""
    longest = max(len(s) for s in seqs)
    out = torch.full((longest, len(seqs)), value, dtype=torch.long)
    for b, s in enumerate(seqs):
        out[:len(s), b] = torch.tensor(s, dtype=torch.long)
    return out


def make_batch(examples):
    """examples: list of (src ids, tgt ids) -> dict of the batch's tensors."""
    src = pad_columns([e[0] for e in examples])
    tgt = pad_columns([e[1] for e in examples])
    dec_in = pad_columns([[SOS] + e[1][:-1] for e in examples])
    lengths = torch.tensor([len(e[0]) for e in examples], dtype=torch.long)
    return {"src": src, "lengths": lengths, "tgt": tgt, "dec_in": dec_in,
            "tokens": sum(len(e[1]) for e in examples)}


# ------------------------------------------------------------------ the model

class Encoder(nn.Module):
    def __init__(self, vocab_size, hidden):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, hidden)
        self.gru = nn.GRU(hidden, hidden)

    def forward(self, src, lengths, p):
        """src [S,B], lengths [B] -> outputs [S,B,H] (0 past each end), h [B,H]."""
        x = F.dropout(self.embedding(src), p, self.training)
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, h = self.gru(packed)
        out, _ = pad_packed_sequence(out, total_length=src.size(0))
        return out, h[0]


def masked_softmax(scores, pad_mask):
    """scores [B,S]; pad_mask [B,S] True at padding, which gets weight 0."""
    return F.softmax(scores.masked_fill(pad_mask, float("-inf")), dim=1)


class Bahdanau(nn.Module):
    """score_i = Va . tanh(Wa q + Ua k_i) (all three with bias)."""

    def __init__(self, hidden):
        super().__init__()
        self.Wa = nn.Linear(hidden, hidden)
        self.Ua = nn.Linear(hidden, hidden)
        self.Va = nn.Linear(hidden, 1)

    def forward(self, q, keys, ua_keys, pad_mask):
        """q [B,H], keys and Ua k [B,S,H] -> context [B,H], weights [B,S]."""
        scores = self.Va(torch.tanh(self.Wa(q).unsqueeze(1) + ua_keys)).squeeze(2)
        w = masked_softmax(scores, pad_mask)
        return torch.bmm(w.unsqueeze(1), keys).squeeze(1), w


class Luong(nn.Module):
    """OpenNMT-py's GlobalAttention: dot or general score, tanh(W_c [c; h])."""

    def __init__(self, hidden, general):
        super().__init__()
        if general:
            self.linear_in = nn.Linear(hidden, hidden, bias=False)
        self.general = general
        self.linear_out = nn.Linear(2 * hidden, hidden, bias=False)

    def forward(self, q, keys, pad_mask):
        """q [B,H] (s_t), keys [B,S,H] -> h~ [B,H], weights [B,S]."""
        query = self.linear_in(q) if self.general else q
        scores = torch.bmm(keys, query.unsqueeze(2)).squeeze(2)
        w = masked_softmax(scores, pad_mask)
        c = torch.bmm(w.unsqueeze(1), keys).squeeze(1)
        return torch.tanh(self.linear_out(torch.cat((c, q), 1))), w


class Decoder(nn.Module):
    def __init__(self, kind, vocab_size, hidden, heads):
        super().__init__()
        self.kind = kind
        self.embedding = nn.Embedding(vocab_size, hidden)
        if kind == "bahdanau":
            self.attention = Bahdanau(hidden)
        elif kind in ("luong-dot", "luong-general"):
            self.attention = Luong(hidden, kind == "luong-general")
        else:
            self.attention = nn.MultiheadAttention(hidden, heads, bias=True)
        self.gru = nn.GRU(2 * hidden, hidden)
        if kind == "multihead":
            self.combine = nn.Linear(2 * hidden, hidden, bias=False)
        self.out = nn.Linear(hidden, vocab_size)

    def prepare(self, enc_out):
        """What one batch's steps share: keys [B,S,H], and Ua k for bahdanau."""
        keys = enc_out.transpose(0, 1)
        ua = self.attention.Ua(keys) if self.kind == "bahdanau" else None
        return enc_out, keys, ua

    def step(self, e, state, feed, mem, pad_mask):
        """One decoder step.  e [B,H] the dropped-out input embedding, state
        s_{t-1} [B,H], feed h~_{t-1} [B,H] (Luong, multihead) ->
        (vector for the output layer, s_t, h~_t, attention weights [B,S])."""
        enc_out, keys, ua = mem
        if self.kind == "bahdanau":
            c, w = self.attention(state, keys, ua, pad_mask)
            state = self.gru(torch.cat((e, c), 1).unsqueeze(0), state.unsqueeze(0))[1][0]
            return state, state, feed, w
        state = self.gru(torch.cat((e, feed), 1).unsqueeze(0), state.unsqueeze(0))[1][0]
        if self.kind == "multihead":
            c, w = self.attention(state.unsqueeze(0), enc_out, enc_out,
                                  key_padding_mask=pad_mask, need_weights=True)
            feed = torch.tanh(self.combine(torch.cat((c[0], state), 1)))
            w = w[:, 0, :]
        else:
            feed, w = self.attention(state, keys, pad_mask)
        return feed, state, feed, w


class Seq2Seq(nn.Module):
    def __init__(self, kind, in_vocab, out_vocab, hidden, heads=4, max_length=MAX_LENGTH):
        super().__init__()
        if kind not in KINDS:
            raise KitError(f"unknown attention kind {kind!r} (expected one of "
                           f"{', '.join(KINDS)})")
        if hidden < 1:
            raise KitError(f"hidden size {hidden} is not positive")
        if kind == "multihead" and (heads < 1 or hidden % heads):
            raise KitError(f"--heads {heads} does not divide hidden size {hidden}")
        self.kind, self.heads, self.hidden, self.max_length = kind, heads, hidden, max_length
        self.in_vocab, self.out_vocab = list(in_vocab), list(out_vocab)
        self.in_index = {w: i for i, w in enumerate(self.in_vocab)}
        self.out_index = {w: i for i, w in enumerate(self.out_vocab)}
        self.dropout = 0.0
        self.encoder = Encoder(len(in_vocab), hidden)
        self.decoder = Decoder(kind, len(out_vocab), hidden, heads)

    def begin(self, src, lengths):
        enc_out, h = self.encoder(src, lengths, self.dropout)
        pad_mask = (torch.arange(src.size(0)).unsqueeze(0) >= lengths.unsqueeze(1))
        feed = torch.zeros_like(h)
        return self.decoder.prepare(enc_out), h, feed, pad_mask

    def forward(self, batch):
        """Teacher-forced log-probabilities [T,B,V] of a batch."""
        mem, state, feed, pad_mask = self.begin(batch["src"], batch["lengths"])
        emb = F.dropout(self.decoder.embedding(batch["dec_in"]), self.dropout,
                        self.training)
        outs = []
        for t in range(emb.size(0)):
            o, state, feed, _ = self.decoder.step(emb[t], state, feed, mem, pad_mask)
            outs.append(o)
        return F.log_softmax(self.decoder.out(torch.stack(outs)), dim=-1)

    def loss(self, batch):
        """Mean NLL over the batch's real target tokens."""
        logp = self.forward(batch)
        return F.nll_loss(logp.reshape(-1, logp.size(-1)), batch["tgt"].reshape(-1),
                          ignore_index=PAD, reduction="mean")

    def greedy(self, sentences, batch_size=64):
        """Greedy translation of a list of sentences; lists of (words, weights)."""
        self.eval()
        results = []
        with torch.no_grad():
            for k in range(0, len(sentences), batch_size):
                chunk = [encode(s, self.in_index) for s in sentences[k:k + batch_size]]
                src = pad_columns(chunk)
                lengths = torch.tensor([len(c) for c in chunk])
                mem, state, feed, pad_mask = self.begin(src, lengths)
                x = torch.full((len(chunk),), SOS, dtype=torch.long)
                words = [[] for _ in chunk]
                attn = [[] for _ in chunk]
                done = [False] * len(chunk)
                for _ in range(self.max_length):
                    o, state, feed, w = self.decoder.step(
                        self.decoder.embedding(x), state, feed, mem, pad_mask)
                    x = self.decoder.out(o).argmax(1)
                    for b, i in enumerate(x.tolist()):
                        if done[b]:
                            continue
                        attn[b].append(w[b, :lengths[b]].tolist())
                        if i == EOS:
                            done[b] = True
                        else:
                            words[b].append(self.out_vocab[i])
                    if all(done):
                        break
                results.extend(zip(words, attn))
        return results


# ------------------------------------------------------------- checkpoints

def save_model(model, path):
    meta = {"input_vocab": json.dumps(model.in_vocab),
            "output_vocab": json.dumps(model.out_vocab),
            "hidden_size": str(model.hidden), "max_length": str(model.max_length),
            "attention": model.kind}
    if model.kind == "multihead":
        meta["heads"] = str(model.heads)
    torch_ref.write_safetensors(path, list(model.state_dict().items()), meta)


def load_model(path):
    """The model a checkpoint describes; its kind and its tensors must agree."""
    tensors, meta = torch_ref.read_safetensors(path)
    kind = meta.get("attention")
    if kind not in KINDS:
        raise KitError(f"{path}: metadata attention is {kind!r}, not one of "
                       f"{', '.join(KINDS)}")
    try:
        hidden, max_len = int(meta["hidden_size"]), int(meta["max_length"])
        heads = int(meta["heads"]) if kind == "multihead" else 4
        assert hidden > 0 and max_len > 0 and heads > 0
    except (KeyError, ValueError, AssertionError):
        raise KitError(f"{path}: metadata hidden_size/max_length"
                       f"{'/heads' if kind == 'multihead' else ''} missing or "
                       "not positive integers")
    try:
        model = Seq2Seq(kind, torch_ref.meta_vocab(path, meta, "input_vocab"),
                        torch_ref.meta_vocab(path, meta, "output_vocab"),
                        hidden, heads, max_len)
    except KitError as e:
        raise KitError(f"{path}: {e}")
    for name, vocab in (("input_vocab", model.in_vocab), ("output_vocab", model.out_vocab)):
        if vocab[:4] != SPECIALS:
            raise KitError(f"{path}: metadata {name} does not start with "
                           f"{' '.join(SPECIALS)}")
    try:
        torch_ref.load_weights(model, tensors, path)
    except KitError as e:
        raise KitError(f"{e} (attention {kind!r})")
    return model


# ---------------------------------------------------------------- training

def examples_of(model, pairs):
    return [(encode(en, model.in_index), encode(fr, model.out_index)) for en, fr in pairs]


def train_epochs(model, examples, epochs, batch_size, lr, shuffle_seed=None,
                 report=None, on_batch=None):
    """One Adam over all parameters, a step per batch; returns the epoch losses
    (token-weighted: sum of NLL over the epoch / its target tokens)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
    rng = random.Random(shuffle_seed)
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = list(range(len(examples)))
        if shuffle_seed is not None:
            rng.shuffle(order)
        total, tokens = 0.0, 0
        for k in range(0, len(order), batch_size):
            chunk = [examples[i] for i in order[k:k + batch_size]]
            if on_batch:
                on_batch(chunk)
            batch = make_batch(chunk)
            opt.zero_grad()
            loss = model.loss(batch)
            loss.backward()
            opt.step()
            total += loss.item() * batch["tokens"]
            tokens += batch["tokens"]
        losses.append(total / tokens)
        if report:
            report(epoch, epochs, losses[-1])
    return losses


def evaluate(model, examples, batch_size):
    """Token-weighted mean NLL of examples, without dropout or gradients."""
    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for k in range(0, len(examples), batch_size):
            batch = make_batch(examples[k:k + batch_size])
            total += float(model.loss(batch)) * batch["tokens"]
            tokens += batch["tokens"]
    return total / tokens


def new_model(args, pairs):
    torch.manual_seed(args.seed)
    return Seq2Seq(args.attention, build_vocab((p[0] for p in pairs), args.min_count),
                   build_vocab((p[1] for p in pairs), args.min_count),
                   args.hidden, args.heads)


# ------------------------------------------------------------- subcommands

def cmd_init(args):
    pairs = read_pairs(args.data)
    if not pairs:
        raise KitError(f"{args.data}: no pair passes the filter")
    model = new_model(args, pairs)
    save_model(model, args.out)
    print(f"wrote {args.attention} initial weights (seed {args.seed}, hidden "
          f"{args.hidden}, {len(model.in_vocab)} English and {len(model.out_vocab)} "
          f"French words from {len(pairs)} pairs) to {args.out}")


def cmd_train(args):
    set_threads(args.threads)
    pairs = read_pairs(args.data)
    if not pairs:
        raise KitError(f"{args.data}: no pair passes the filter")
    if args.batch < 1:
        raise KitError(f"--batch {args.batch}: must be at least 1")
    if not 0 <= args.dropout < 1:
        raise KitError(f"--dropout {args.dropout}: must be in [0, 1)")
    if args.init:
        model = load_model(args.init)
    else:
        model = new_model(args, pairs)
    model.to(DTYPES[args.dtype])
    model.dropout = args.dropout
    valid = None
    if args.valid:
        valid = examples_of(model, read_pairs(args.valid))
        if not valid:
            raise KitError(f"{args.valid}: no pair passes the filter")

    def report(epoch, epochs, loss):
        extra = ""
        if valid:
            extra = f" valid_loss {evaluate(model, valid, args.batch):.6f}"
        print(f"epoch {epoch}/{epochs} loss {loss:.6f}{extra}", flush=True)

    torch.manual_seed(args.seed)
    t0 = time.perf_counter()
    losses = train_epochs(model, examples_of(model, pairs), args.epochs, args.batch,
                          args.lr, None if args.no_shuffle else args.seed, report)
    print(f"final_loss {losses[-1]!r}")
    print(f"train_seconds {time.perf_counter() - t0:.3f} ({args.dtype}, "
          f"{torch.get_num_threads()} thread(s))")
    if args.save:
        save_model(model, args.save)
        print(f"saved trained weights to {args.save}")


def cmd_translate(args):
    model = load_model(args.model)
    sentences = args.sentence or [l.rstrip("\r\n") for l in sys.stdin]
    warned = set()
    for s in sentences:
        if s == "" or "" in s.split(" "):
            raise KitError(f"empty word in sentence {s!r} (blank line, or "
                           "leading/trailing/double space)")
        for w in s.split(" "):
            if w not in model.in_index and w not in warned:
                warned.add(w)
                print(f"torch_batched.py: warning: unknown word {w!r} "
                      f"becomes <UNK>", file=sys.stderr)
    for words, _ in model.greedy(sentences):
        print(" ".join(words))


def cmd_grads(args):
    """Loss and gradients of one batch (file order), for debugging parity."""
    set_threads(1)
    pairs = read_pairs(args.data)
    model = load_model(args.init)
    model.to(DTYPES[args.dtype])
    exs = examples_of(model, pairs)[args.batch * args.index:args.batch * (args.index + 1)]
    if not exs:
        raise KitError(f"{args.data}: no batch {args.index} of {args.batch} pairs "
                       f"({len(pairs)} pairs)")
    model.train()
    model.zero_grad()
    loss = model.loss(make_batch(exs))
    loss.backward()
    grads = [(n, p.grad if p.grad is not None else torch.zeros_like(p))
             for n, p in model.named_parameters()]
    meta = {"loss": repr(float(loss)), "batch": str(args.index), "pairs": str(len(exs)),
            "input_vocab": json.dumps(model.in_vocab),
            "output_vocab": json.dumps(model.out_vocab)}
    torch_ref.write_safetensors(args.out, grads, meta)
    print(f"loss {float(loss)!r} of batch {args.index} ({len(exs)} pairs); gradients "
          f"written to {args.out}")


def cmd_compare(args):
    return torch_ref.cmd_compare(args)


# ------------------------------------------------------------------ selftest

SELFTEST_DATA = os.path.join(HERE, "data", "sample-pairs.txt")


def flat_grads(model):
    return {n: (p.grad.clone() if p.grad is not None else torch.zeros_like(p))
            for n, p in model.named_parameters()}


def spec_names(kind):
    """The checkpoint's tensor names in the order /work/spec-part2.md lists them."""
    gru = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    attention = {
        "bahdanau": [f"{m}.{p}" for m in ("Wa", "Ua", "Va") for p in ("weight", "bias")],
        "luong-dot": ["linear_out.weight"],
        "luong-general": ["linear_in.weight", "linear_out.weight"],
        "multihead": ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"],
    }[kind]
    return (["encoder.embedding.weight"] + [f"encoder.gru.{g}" for g in gru]
            + ["decoder.embedding.weight"] + [f"decoder.attention.{a}" for a in attention]
            + [f"decoder.gru.{g}" for g in gru]
            + (["decoder.combine.weight"] if kind == "multihead" else [])
            + ["decoder.out.weight", "decoder.out.bias"])


def batch_against_singles(model, group):
    """Gradients and loss of one batch of `group`, and the token-weighted sum of
    those of its pairs in batches of one."""
    model.zero_grad()
    big = make_batch(group)
    loss_b = model.loss(big)
    loss_b.backward()
    g_batch = flat_grads(model)
    n_all = big["tokens"]
    loss_sum = 0.0
    g_sum = {n: torch.zeros_like(g) for n, g in g_batch.items()}
    for ex in group:
        model.zero_grad()
        one = make_batch([ex])
        l1 = model.loss(one)
        (l1 * one["tokens"] / n_all).backward()
        loss_sum += float(l1) * one["tokens"] / n_all
        for n, p in model.named_parameters():
            if p.grad is not None:
                g_sum[n] += p.grad
    return g_batch, float(loss_b), g_sum, loss_sum


def selftest_kind(kind, pairs, log):
    """Checks (a)-(d) for one kind; returns the number of failures."""
    fails = 0

    def check(ok, what):
        nonlocal fails
        log(f"selftest: {'ok' if ok else 'FAILED'}: {kind}: {what}")
        fails += not ok

    torch.manual_seed(11)
    H = 16
    model = Seq2Seq(kind, build_vocab(p[0] for p in pairs),
                    build_vocab(p[1] for p in pairs), H, heads=4)
    model.to(torch.float64)
    exs = examples_of(model, pairs)
    # (a) a batch of different lengths = token-weighted sum over batches of one
    group, seen = [], set()
    for pick in (lambda ex: len(ex[0]), lambda ex: len(ex[1])):
        have = {pick(g) for g in group}   # pairs of new source, then target lengths
        for ex in exs:
            if pick(ex) not in have and len(group) < 12:
                have.add(pick(ex))
                group.append(ex)
                seen.add((len(ex[0]), len(ex[1])))
    srcs = {s for s, _ in seen}
    tgts = {t for _, t in seen}
    g_batch, loss_b, g_sum, loss_sum = batch_against_singles(model, group)
    worst = max(float((g_batch[n] - g_sum[n]).abs().max()) for n in g_batch)
    size = max(float(g.abs().max()) for g in g_batch.values())
    dl = abs(loss_b - loss_sum)
    check(len(srcs) > 3 and len(tgts) > 3 and size > 1e-3 and dl < 1e-10 and worst < 1e-10,
          f"batch of 12 ({len(srcs)} source, {len(tgts)} target lengths) = "
          f"token-weighted batches of one: |dloss| {dl:.1e}, max |dgrad| {worst:.1e} "
          f"(< 1e-10; largest |grad| {size:.1e})")
    # ... and the comparison has the power to see a leak: without the mask it fails
    begin = Seq2Seq.begin

    def unmasked(self, src, lengths):
        mem, h, feed, pad_mask = begin(self, src, lengths)
        return mem, h, feed, torch.zeros_like(pad_mask)
    Seq2Seq.begin = unmasked
    try:
        g_leak, _, g_leak_sum, _ = batch_against_singles(model, group)
    finally:
        Seq2Seq.begin = begin
    leak = max(float((g_leak[n] - g_leak_sum[n]).abs().max()) for n in g_leak)
    check(leak > 1e-6, f"the same check with the attention mask left out fails "
          f"(max |dgrad| {leak:.1e})")
    # the padding's own rows get no gradient at all
    pad_g = max(float(g_batch["encoder.embedding.weight"][PAD].abs().max()),
                float(g_batch["decoder.embedding.weight"][PAD].abs().max()))
    check(pad_g == 0.0, f"<PAD> embedding rows get gradient exactly 0 ({pad_g:.1e})")
    # (b) the biases a softmax cannot see
    if kind == "bahdanau":
        g = float(g_batch["decoder.attention.Va.bias"].abs().max())
        check(g < 1e-12, f"|grad decoder.attention.Va.bias| {g:.1e} (< 1e-12)")
    if kind == "multihead":
        g = float(g_batch["decoder.attention.in_proj_bias"][H:2 * H].abs().max())
        gq = float(g_batch["decoder.attention.in_proj_bias"][:H].abs().max())
        check(g < 1e-12 and gq > 1e-6,
              f"|grad key third of in_proj_bias| {g:.1e} (< 1e-12; query third "
              f"{gq:.1e})")
    # (c) round trip: float32 save -> load -> save is bit-exact
    with tempfile.TemporaryDirectory() as tmp:
        model32 = Seq2Seq(kind, model.in_vocab, model.out_vocab, H, heads=4)
        model32.load_state_dict({k: v.to(torch.float32) for k, v in
                                 model.state_dict().items()})
        a, b = os.path.join(tmp, "a.st"), os.path.join(tmp, "b.st")
        save_model(model32, a)
        back = load_model(a)
        same = all(torch.equal(v, back.state_dict()[k])
                   for k, v in model32.state_dict().items())
        save_model(back, b)
        with open(a, "rb") as fa, open(b, "rb") as fb:
            same_bytes = fa.read() == fb.read()
        order = list(torch_ref.read_safetensors(a)[0])
        check(same and same_bytes and back.kind == kind
              and back.in_vocab == model.in_vocab and back.out_vocab == model.out_vocab
              and order == spec_names(kind),
              "save/load/save round trip bit-exact, kind and vocabularies kept, tensors "
              "named and ordered as the spec lists them")
        # a checkpoint whose kind and tensors disagree is an error
        other = "luong-dot" if kind != "luong-dot" else "luong-general"
        tensors, meta = torch_ref.read_safetensors(a)
        meta["attention"] = other
        if other == "multihead":
            meta["heads"] = "4"
        torch_ref.write_safetensors(b, [(k, torch.from_numpy(v)) for k, v in tensors.items()],
                                    meta)
        try:
            load_model(b)
            check(False, f"a {kind} checkpoint labelled {other} is refused")
        except KitError as e:
            check("tensor names differ" in str(e) or "has shape" in str(e),
                  f"a {kind} checkpoint labelled {other} is refused: {e}"[:160])
    # (d) a short training run decreases the loss
    torch.manual_seed(5)
    model32.dropout = 0.1
    losses = train_epochs(model32, examples_of(model32, pairs), 4, 16, 0.01)
    check(losses[-1] < 0.9 * losses[0],
          f"4 epochs, float32, dropout 0.1: loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    return fails


def cmd_selftest(args):
    set_threads(1)
    pairs = read_pairs(args.data)
    for kind in args.kinds:
        if kind not in KINDS:
            raise KitError(f"unknown attention kind {kind!r} (expected one of "
                           f"{', '.join(KINDS)})")
    fails = 0
    for kind in args.kinds or KINDS:
        fails += selftest_kind(kind, pairs, lambda m: print(m, flush=True))
    # greedy decoding in batches = one sentence at a time; <UNK> for unknown words
    torch.manual_seed(3)
    model = Seq2Seq("bahdanau", build_vocab(p[0] for p in pairs),
                    build_vocab(p[1] for p in pairs), 16)
    model.dropout = 0.0
    train_epochs(model, examples_of(model, pairs), 3, 16, 0.01)
    sents = [p[0] for p in pairs[:20]] + ["i am zyxwv ."]
    together = [w for w, _ in model.greedy(sents, batch_size=8)]
    alone = [model.greedy([s])[0][0] for s in sents]
    ok = together == alone and all(len(w) <= MAX_LENGTH for w in together)
    print(f"selftest: {'ok' if ok else 'FAILED'}: batched greedy decoding (batches of 8, "
          "an unknown word included) = one sentence at a time")
    fails += not ok
    print(f"selftest: {'all passed' if not fails else f'{fails} FAILED'}")
    return 1 if fails else 0


# --------------------------------------------------------------------- bench

def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def batch_products(chunk, H, V):
    """Multiply-adds of the products of one bahdanau training batch, as
    (padded, real): padded counts the decoder's T steps for every sentence and
    attention over all S positions, as this script computes them; real counts
    only each sentence's own tokens.  Forward from the shapes, backward as twice
    the forward (two products per forward product)."""
    B = len(chunk)
    S = max(len(s) for s, _ in chunk)
    T = max(len(t) for _, t in chunk)
    enc = sum(len(s) for s, _ in chunk) * (3 * H * H + 3 * H * H)   # encoder GRU (packed)

    def dec(steps, positions):   # Wa q, Va tanh(.), context, decoder GRU, out
        return steps * (H * H + 2 * positions * H + 3 * H * 2 * H + 3 * H * H + V * H)
    padded = enc + B * S * H * H + dec(B * T, S)
    real = enc + sum(len(s) * H * H + dec(len(t), len(s)) for s, t in chunk)
    return 3 * padded, 3 * real


def cmd_bench(args):
    blas, blas_threads = set_threads(args.threads)
    pairs = read_pairs(args.data)
    args.attention, args.min_count, args.heads = "bahdanau", 1, 4
    model = new_model(args, pairs)
    if args.init:
        model = load_model(args.init)
    model.dropout = args.dropout
    exs = examples_of(model, pairs)
    tgt_tokens = sum(len(t) for _, t in exs)
    src_tokens = sum(len(s) for s, _ in exs)
    torch.manual_seed(args.seed)
    times = []

    def report(epoch, epochs, loss):
        times.append(time.perf_counter())
        print(f"epoch {epoch}/{epochs} loss {loss:.6f} {times[-1] - times[-2]:.3f} s",
              flush=True)

    madds = [0, 0]

    def count(chunk):
        for i, m in enumerate(batch_products(chunk, model.hidden, len(model.out_vocab))):
            madds[i] += m

    times.append(time.perf_counter())
    losses = train_epochs(model, exs, args.epochs, args.batch, args.lr, args.seed, report,
                          count)
    secs = (times[-1] - times[0]) / args.epochs
    gflop = [2 * m / args.epochs / 1e9 for m in madds]
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s), bahdanau "
          f"hidden {model.hidden}, batch {args.batch}, {len(pairs)} pairs, dropout "
          f"{args.dropout}: {secs:.3f} s per epoch")
    print(f"pytorch_blas {blas} ({blas_library()}), {blas_threads} BLAS thread(s)")
    print(f"pytorch_threads {torch.get_num_threads()}")
    print(f"pytorch_epoch_seconds {secs:.6f}")
    print(f"pytorch_target_tokens {tgt_tokens}")
    print(f"pytorch_target_tokens_per_second {tgt_tokens / secs:.1f}")
    print(f"pytorch_tokens_per_second {(src_tokens + tgt_tokens) / secs:.1f}")
    print(f"pytorch_final_loss {losses[-1]!r}")
    print(f"pytorch_peak_rss_mib {peak_rss_mib():.1f}")
    print(f"epoch_products_gflop {gflop[0]:.1f} padded, {gflop[1]:.1f} real tokens only "
          "(forward from the shapes, backward as twice the forward)")
    print(f"pytorch_gflops {gflop[0] / secs:.1f} (padded products / epoch seconds)")


SGEMM_SHAPES = [  # (m, k, n, what): [m x k] x [k x n]
    (32, 128, 384, "GRU hidden side, one step of a batch"),
    (320, 128, 384, "GRU input side, all steps of a batch"),
    (32, 128, 128, "Wa q, one step of a batch"),
    (320, 128, 128, "Ua k, once a batch"),
    (32, 128, 4345, "output layer, one step of a batch"),
    (320, 128, 4345, "output layer, all tokens of a batch"),
    (320, 4345, 128, "output layer backward, input gradient"),
    (4345, 320, 128, "output layer backward, weight gradient"),
]


def sgemm_rate(m, k, n, min_seconds, trials):
    """Best GFLOP/s of torch.mm on [m x k] x [k x n] over `trials` timings of
    at least min_seconds each (the machine is shared: the best is its rate)."""
    torch.manual_seed(0)
    a, b, c = torch.randn(m, k), torch.randn(k, n), torch.empty(m, n)
    torch.mm(a, b, out=c)
    reps = 1
    while True:                          # calls that fill min_seconds
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b, out=c)
        if time.perf_counter() - t0 >= min_seconds:
            break
        reps *= 2
    best = 0.0
    for _ in range(trials):
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b, out=c)
        best = max(best, 2.0 * m * k * n * reps / (time.perf_counter() - t0) / 1e9)
    return best


def cmd_sgemm(args):
    print(f"sgemm: torch.mm, float32, {blas_library()}; best of {args.trials} timings "
          f"of at least {args.min_seconds} s each")
    summary = []
    for threads in args.threads:
        blas, blas_threads = set_threads(threads)
        rates = []
        for m, k, n, what in SGEMM_SHAPES:
            rates.append(sgemm_rate(m, k, n, args.min_seconds, args.trials))
            print(f"sgemm threads {threads} ({blas} {blas_threads}) [{m}x{k}]x[{k}x{n}] "
                  f"{rates[-1]:7.1f} GFLOP/s  ({what})", flush=True)
        summary.append(f"sgemm_gflops_threads{threads} min {min(rates):.1f} median "
                       f"{sorted(rates)[len(rates) // 2]:.1f} max {max(rates):.1f}")
    print("\n".join(summary))


# ---------------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    def model_options(p, data_required=True):
        p.add_argument("--data", required=data_required,
                       help="pairs file, English<TAB>French lines (normalised and "
                            "filtered as the kit does)")
        p.add_argument("--attention", choices=KINDS, default="bahdanau")
        p.add_argument("--heads", type=int, default=4)
        p.add_argument("--hidden", type=int, default=128)
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--min-count", type=int, default=1)

    p = sub.add_parser("init", help="vocabularies and seeded initial weights")
    model_options(p)
    p.add_argument("--out", required=True, help="safetensors file to write")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("train", help="train on a pairs file, print the losses")
    model_options(p)
    p.add_argument("--init", help="start from this checkpoint (weights, kind, vocabularies)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--no-shuffle", action="store_true",
                   help="file order (default: a shuffle seeded by --seed each epoch)")
    p.add_argument("--dtype", choices=sorted(DTYPES), default="float32")
    p.add_argument("--valid", help="pairs file whose loss is printed after each epoch "
                   "(unknown words are <UNK>)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--save", help="write the trained weights here (F32)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("translate", help="greedy, batched translation")
    p.add_argument("--model", required=True)
    p.add_argument("sentence", nargs="*", help="sentences (default: lines of stdin)")
    p.set_defaults(func=cmd_translate)

    p = sub.add_parser("grads", help="loss and gradients of one batch (for debugging)")
    p.add_argument("--init", required=True, help="the checkpoint")
    p.add_argument("--data", required=True)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--index", type=int, default=0, help="which batch, file order (default 0)")
    p.add_argument("--dtype", choices=sorted(DTYPES), default="float64")
    p.add_argument("--out", required=True, help="safetensors file of the gradients (F32)")
    p.set_defaults(func=cmd_grads)

    p = sub.add_parser("compare", help="relative error per tensor")
    p.add_argument("--ref", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--tol", type=float, default=5e-4)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("selftest", help="checks that need no C trainer")
    p.add_argument("--data", default=SELFTEST_DATA)
    p.add_argument("kinds", nargs="*", help=f"kinds to test (default: {' '.join(KINDS)})")
    p.set_defaults(func=cmd_selftest)

    p = sub.add_parser("bench", help="time the masked tutorial training")
    p.add_argument("--data", default=os.environ.get("ATTENTION_CORPUS",
                                                    "/work/shared/data/eng-fra.txt"))
    p.add_argument("--init", help="start from these weights instead of --seed")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("sgemm", help="float32 GEMM rate on the trainer's shapes")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--min-seconds", type=float, default=0.05)
    p.add_argument("--trials", type=int, default=5)
    p.set_defaults(func=cmd_sgemm)

    args = ap.parse_args(argv)
    try:
        return args.func(args) or 0
    except KitError as e:
        print(f"torch_batched.py: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"torch_batched.py: error: {e.filename or ''}: {e.strerror}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

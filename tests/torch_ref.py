#!/usr/bin/python3
"""PyTorch reference for the kit's attention seq2seq translator.

Written for this kit from the notebook's model description (see
docs/reference.md); it is the yardstick the C program is checked against,
not a copy of the notebook.  Five English->French pairs, batch size 1, one
word at a time: Embedding+GRU encoder, a "location-based" attention decoder
(scores from [embedding; hidden] over all max_length slots), greedy decoding.

Subcommands (each has --help):
  init       seed the model, write its initial weights (safetensors, F32)
  train      train from an init file or a seed, print losses and translations
  translate  greedy translation with a saved checkpoint
  compare    relative Frobenius error of every tensor of two checkpoints
  bench      time the notebook's own training loop (float32, 400 epochs)

Checkpoints are safetensors files read and written here with json, struct
and numpy only (no safetensors package needed).
"""
import argparse
import json
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

PAIRS = [
    ("i am a student", "je suis etudiant"),
    ("he is a teacher", "il est professeur"),
    ("she is a doctor", "elle est medecin"),
    ("we are engineers", "nous sommes ingenieurs"),
    ("they are artists", "ils sont artistes"),
]
SOS, EOS = 0, 1
MAX_LENGTH = 10


class KitError(Exception):
    """A user-facing error: printed as one line on stderr, exit status 1."""


def build_vocab(sentences):
    """<SOS>=0, <EOS>=1, then words in order of first appearance."""
    words = ["<SOS>", "<EOS>"]
    for s in sentences:
        for w in s.split(" "):
            if w not in words:
                words.append(w)
    return words


IN_VOCAB = build_vocab(p[0] for p in PAIRS)
OUT_VOCAB = build_vocab(p[1] for p in PAIRS)


# ---------------------------------------------------------------- the model

class Encoder(nn.Module):
    def __init__(self, vocab_size, hidden):
        super().__init__()
        self.hidden_size = hidden
        self.embedding = nn.Embedding(vocab_size, hidden)
        self.gru = nn.GRU(hidden, hidden)

    def forward(self, word, h):
        """One word (index tensor) and hidden [1,1,H] -> output, hidden."""
        x = self.embedding(word).view(1, 1, -1)
        return self.gru(x, h)


class AttnDecoder(nn.Module):
    def __init__(self, hidden, vocab_size, max_length=MAX_LENGTH):
        super().__init__()
        self.hidden_size = hidden
        self.max_length = max_length
        self.embedding = nn.Embedding(vocab_size, hidden)
        self.attn = nn.Linear(2 * hidden, max_length)
        self.attn_combine = nn.Linear(2 * hidden, hidden)
        self.gru = nn.GRU(hidden, hidden)
        self.out = nn.Linear(hidden, vocab_size)

    def forward(self, word, h, enc_out):
        """word index, hidden [1,1,H], encoder outputs [L,H] -> logp, h, w."""
        e = self.embedding(word).view(1, -1)                  # [1,H]
        w = F.softmax(self.attn(torch.cat((e, h[0]), 1)), dim=1)  # [1,L]
        c = w @ enc_out                                       # [1,H]
        o = F.relu(self.attn_combine(torch.cat((e, c), 1)))   # [1,H]
        o, h = self.gru(o.unsqueeze(0), h)
        return F.log_softmax(self.out(o[0]), dim=1), h, w


class Seq2Seq(nn.Module):
    """Wrapper so that state_dict() names are encoder.* then decoder.*."""

    def __init__(self, in_vocab, out_vocab, hidden, max_length=MAX_LENGTH):
        super().__init__()
        self.in_vocab, self.out_vocab = list(in_vocab), list(out_vocab)
        self.in_index = {w: i for i, w in enumerate(self.in_vocab)}
        self.out_index = {w: i for i, w in enumerate(self.out_vocab)}
        self.max_length = max_length
        self.encoder = Encoder(len(in_vocab), hidden)
        self.decoder = AttnDecoder(hidden, len(out_vocab), max_length)

    def encode(self, words):
        """Encode a list of indices; returns (outputs [L,H], final hidden)."""
        p = self.encoder.embedding.weight
        h = torch.zeros(1, 1, self.encoder.hidden_size, dtype=p.dtype)
        outs = torch.zeros(self.max_length, self.encoder.hidden_size,
                           dtype=p.dtype)
        for i in range(words.size(0)):
            o, h = self.encoder(words[i], h)
            outs[i] = o[0, 0]
        return outs, h

    def greedy(self, sentence):
        """Greedy translation of a known-word sentence; list of words."""
        idx = torch.tensor([self.in_index[w] for w in sentence.split(" ")])
        result = []
        with torch.no_grad():
            enc_out, h = self.encode(idx)
            x = torch.tensor([[SOS]])
            for _ in range(self.max_length):
                logp, h, _ = self.decoder(x, h, enc_out)
                k = int(logp.argmax(1).item())
                if k == EOS:
                    break
                result.append(self.out_vocab[k])
                x = torch.tensor([[k]])
        return result


def train_pair(model, src, tgt, enc_opt, dec_opt):
    """One optimisation step on one pair (teacher forcing); loss / length."""
    enc_opt.zero_grad(), dec_opt.zero_grad()
    enc_out, h = model.encode(src)
    x = torch.tensor([[SOS]])
    loss = 0
    for t in range(tgt.size(0)):
        logp, h, _ = model.decoder(x, h, enc_out)
        loss = loss + F.nll_loss(logp, tgt[t].view(1))
        x = tgt[t]
    loss.backward()
    enc_opt.step(), dec_opt.step()
    return loss.item() / tgt.size(0)


def train_loop(model, epochs, lr, eos=True, print_every=0):
    """The notebook's loop: two Adam optimisers, pairs in order every epoch,
    index tensors built inside the loop.  Returns the last epoch's mean loss."""
    enc_opt = torch.optim.Adam(model.encoder.parameters(), lr=lr,
                               betas=(0.9, 0.999), eps=1e-8)
    dec_opt = torch.optim.Adam(model.decoder.parameters(), lr=lr,
                               betas=(0.9, 0.999), eps=1e-8)
    avg = float("nan")
    for epoch in range(1, epochs + 1):
        total = 0.0
        for en, fr in PAIRS:
            src = torch.tensor([model.in_index[w] for w in en.split(" ")])
            tgt_idx = [model.out_index[w] for w in fr.split(" ")]
            tgt = torch.tensor(tgt_idx + [EOS] if eos else tgt_idx)
            total += train_pair(model, src, tgt, enc_opt, dec_opt)
        avg = total / len(PAIRS)
        if print_every and epoch % print_every == 0:
            print(f"Epoch {epoch}/{epochs}, Average Loss: {avg:.4f}", flush=True)
    return avg


# ---------------------------------------------------------- safetensors I/O

def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, tensor); written contiguously as F32."""
    header, chunks, offset = {"__metadata__": dict(metadata)}, [], 0
    for name, t in tensors:
        a = t.detach().cpu().to(torch.float32).numpy().astype("<f4", order="C")
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        chunks.append(a.tobytes())
        offset += a.nbytes
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * (-len(hb) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for c in chunks:
            f.write(c)


def read_safetensors(path):
    """Returns (dict name -> float32 ndarray in file order, metadata dict)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise KitError(f"{path}: cannot read: {e.strerror}")
    if len(raw) < 8:
        raise KitError(f"{path}: truncated: {len(raw)} bytes, "
                       "shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise KitError(f"{path}: header length {n} is longer than the "
                       f"{len(raw) - 8} bytes after the length field")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise KitError(f"{path}: header is not valid UTF-8 JSON ({e})")
    if not isinstance(header, dict):
        raise KitError(f"{path}: header is not a JSON object")
    meta = header.pop("__metadata__", {}) or {}
    if not isinstance(meta, dict) or not all(
            isinstance(v, str) for v in meta.values()):
        raise KitError(f"{path}: __metadata__ must map names to strings")
    data = memoryview(raw)[8 + n:]
    tensors = {}
    for name, info in header.items():
        try:
            dtype, shape = info["dtype"], [int(d) for d in info["shape"]]
            begin, end = (int(v) for v in info["data_offsets"])
        except (TypeError, KeyError, ValueError):
            raise KitError(f"{path}: tensor {name}: malformed header entry")
        if dtype != "F32":
            raise KitError(f"{path}: tensor {name} has dtype {dtype}, "
                           "expected F32")
        count = int(np.prod(shape, dtype=np.int64))
        if min(shape, default=0) < 0 or not 0 <= begin <= end \
                or end - begin != 4 * count:
            raise KitError(f"{path}: tensor {name}: data_offsets "
                           f"[{begin}, {end}] do not fit shape {shape} (F32)")
        if end > len(data):
            raise KitError(f"{path}: truncated: tensor {name} needs bytes up "
                           f"to {end} of the data, only {len(data)} present")
        a = np.frombuffer(data[begin:end], dtype="<f4").astype(np.float32)
        tensors[name] = a.reshape(shape)
    return tensors, meta


def save_model(model, path):
    meta = {"input_vocab": json.dumps(model.in_vocab),
            "output_vocab": json.dumps(model.out_vocab),
            "hidden_size": str(model.encoder.hidden_size),
            "max_length": str(model.max_length), "attention": "seed"}
    write_safetensors(path, list(model.state_dict().items()), meta)


def meta_vocab(path, meta, key):
    try:
        v = json.loads(meta[key])
        assert isinstance(v, list) and all(isinstance(w, str) for w in v)
        return v
    except (KeyError, ValueError, AssertionError):
        raise KitError(f"{path}: metadata {key!r} missing or not a JSON "
                       "array of strings")


def load_model(path):
    """Build the model from a checkpoint's metadata; strict weight load."""
    tensors, meta = read_safetensors(path)
    try:
        hidden, max_len = int(meta["hidden_size"]), int(meta["max_length"])
        assert hidden > 0 and max_len > 0
    except (KeyError, ValueError, AssertionError):
        raise KitError(f"{path}: metadata hidden_size/max_length missing "
                       "or not positive integers")
    model = Seq2Seq(meta_vocab(path, meta, "input_vocab"),
                    meta_vocab(path, meta, "output_vocab"), hidden, max_len)
    load_weights(model, tensors, path)
    return model


def load_weights(model, tensors, path):
    want = model.state_dict()
    missing = [k for k in want if k not in tensors]
    extra = [k for k in tensors if k not in want]
    if missing or extra:
        raise KitError(f"{path}: tensor names differ from the model "
                       f"(missing {missing}, unexpected {extra})")
    for k, v in want.items():
        if tuple(tensors[k].shape) != tuple(v.shape):
            raise KitError(f"{path}: tensor {k} has shape "
                           f"{list(tensors[k].shape)}, expected {list(v.shape)}")
    model.load_state_dict({k: torch.from_numpy(tensors[k]) for k in want},
                          strict=True)


# ------------------------------------------------------------- subcommands

def cmd_init(args):
    torch.manual_seed(args.seed)
    model = Seq2Seq(IN_VOCAB, OUT_VOCAB, args.hidden)
    save_model(model, args.out)
    print(f"wrote initial weights (seed {args.seed}, hidden {args.hidden}) "
          f"to {args.out}")


def cmd_train(args):
    if args.init:
        model = load_model(args.init)
        for what, have, built in (("input_vocab", model.in_vocab, IN_VOCAB),
                                  ("output_vocab", model.out_vocab, OUT_VOCAB)):
            if have != built:
                raise KitError(f"{args.init}: metadata {what} differs from the "
                               "vocabulary built from the five pairs")
        hidden = model.encoder.hidden_size
        if args.hidden is not None and args.hidden != hidden:
            raise KitError(f"{args.init}: hidden size {hidden}, "
                           f"but --hidden {args.hidden} was given")
    else:
        torch.manual_seed(args.seed)
        model = Seq2Seq(IN_VOCAB, OUT_VOCAB, args.hidden or 128)
    model.to({"float32": torch.float32, "float64": torch.float64}[args.dtype])
    final = train_loop(model, args.epochs, args.lr, eos=not args.no_eos,
                       print_every=args.print_every)
    print(f"final_loss {final!r}")
    for en, fr in PAIRS:
        pred = " ".join(model.greedy(en))
        print(f"EN: {en:<16} | FR (true): {fr:<22} | FR (predicted): {pred}")
    if args.save:
        save_model(model, args.save)
        print(f"saved trained weights to {args.save}")


def cmd_translate(args):
    model = load_model(args.model)
    sentences = args.sentence or [l.rstrip("\r\n") for l in sys.stdin]
    for s in sentences:                 # check everything before printing
        words = s.split(" ")
        for w in words:
            if w == "":
                raise KitError(f"empty word in sentence {s!r} (blank line, "
                               "or leading/trailing/double space)")
            if w not in model.in_index:
                raise KitError(f"unknown word {w!r} in sentence {s!r} "
                               f"(not in the vocabulary of {args.model})")
        if len(words) > model.max_length:
            raise KitError(f"sentence {s!r} has {len(words)} words, more "
                           f"than max_length {model.max_length}")
    for s in sentences:
        print(" ".join(model.greedy(s)))


def cmd_compare(args):
    ref, ref_meta = read_safetensors(args.ref)
    test, test_meta = read_safetensors(args.test)
    for key in ("input_vocab", "output_vocab"):
        if ref_meta.get(key) is None or test_meta.get(key) is None:
            raise KitError(f"metadata {key} missing in {args.ref} or {args.test}")
        if meta_vocab(args.ref, ref_meta, key) != meta_vocab(args.test, test_meta, key):
            raise KitError(f"metadata {key} differs between {args.ref} "
                           f"and {args.test}")
    worst = 0.0
    for name, a in ref.items():
        if name not in test:
            raise KitError(f"{args.test}: tensor {name} missing")
        b = test[name]
        if a.shape != b.shape:
            raise KitError(f"{args.test}: tensor {name} has shape "
                           f"{list(b.shape)}, {args.ref} has {list(a.shape)}")
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        diff, norm = np.linalg.norm(b64 - a64), np.linalg.norm(a64)
        rel = diff / norm if norm > 0 else (0.0 if diff == 0 else float("inf"))
        worst = rel if not rel <= worst else worst     # NaN counts as worst
        print(f"{name:<32} {str(list(a.shape)):<11} rel_err {rel:.3e}")
    print(f"max_rel_err {worst:.3e} (tolerance {args.tol:g})")
    return 0 if worst < args.tol else 1


def cmd_bench(args):
    if args.init:
        model = load_model(args.init)
    else:
        torch.manual_seed(args.seed)
        model = Seq2Seq(IN_VOCAB, OUT_VOCAB, 128)
    t0 = time.perf_counter()
    final = train_loop(model, args.epochs, 0.01, eos=True)
    seconds = time.perf_counter() - t0
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s): "
          f"{args.epochs} epochs of the notebook loop in {seconds:.3f} s")
    print(f"pytorch_train_seconds {seconds:.6f}")
    print(f"pytorch_final_loss {final!r}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("init", help="write seeded initial weights")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--out", required=True, help="safetensors file to write")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("train", help="train and print losses/translations")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--init", help="initial weights (safetensors)")
    src.add_argument("--seed", type=int, default=0,
                     help="initialise with this seed instead (default 0)")
    p.add_argument("--epochs", type=int, default=400)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--no-eos", action="store_true",
                   help="do not append <EOS> to targets (the notebook's bug)")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--hidden", type=int, default=None,
                   help="hidden size (default 128, or the init file's)")
    p.add_argument("--save", help="write trained weights here (F32)")
    p.add_argument("--print-every", type=int, default=50,
                   help="epochs between loss lines (0: none)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("translate", help="greedy translation with a checkpoint")
    p.add_argument("--model", required=True)
    p.add_argument("sentence", nargs="*",
                   help="sentences (default: one per line from stdin)")
    p.set_defaults(func=cmd_translate)

    p = sub.add_parser("compare", help="relative error per tensor")
    p.add_argument("--ref", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--tol", type=float, default=5e-4)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("bench", help="time the notebook's training loop")
    p.add_argument("--epochs", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init", help="start from these weights (safetensors)")
    p.set_defaults(func=cmd_bench)

    args = ap.parse_args(argv)
    try:
        return args.func(args) or 0
    except KitError as e:
        print(f"torch_ref.py: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"torch_ref.py: error: {e.filename or ''}: {e.strerror}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

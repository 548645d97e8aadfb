#!/usr/bin/env python3
"""Compare two safetensors checkpoints tensor by tensor (standard library only).

usage: compare.py A B TOL
Prints, for every tensor, its relative Frobenius error |A-B|/|B| (the absolute
error where |B| is 0), and exits 1 if any tensor's error is above TOL, if the
files hold different tensors or shapes, or if their metadata differ."""
import json, math, struct, sys
from array import array


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    head = json.loads(data[8:8 + n])
    meta = head.pop("__metadata__", {})
    out = {}
    for name, t in head.items():
        if t["dtype"] != "F32":
            raise SystemExit(f"{path}: {name}: dtype {t['dtype']}, expected F32")
        a, b = t["data_offsets"]
        x = array("f")
        x.frombytes(data[8 + n + a:8 + n + b])
        if sys.byteorder != "little":
            x.byteswap()
        out[name] = (t["shape"], x)
    return meta, out


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    ma, a = load(sys.argv[1])
    mb, b = load(sys.argv[2])
    tol = float(sys.argv[3])
    bad = 0
    if ma != mb:
        print(f"compare: the metadata differ: {ma} against {mb}")
        bad = 1
    if sorted(a) != sorted(b):
        print(f"compare: the tensors differ: {sorted(set(a) ^ set(b))}")
        return 1
    worst = (0.0, "")
    for name in sorted(a):
        (sa, xa), (sb, xb) = a[name], b[name]
        if sa != sb:
            print(f"compare: {name}: shape {sa} against {sb}")
            bad = 1
            continue
        diff = math.sqrt(sum((p - q) ** 2 for p, q in zip(xa, xb)))
        norm = math.sqrt(sum(q * q for q in xb))
        err = diff / norm if norm > 0 else diff
        if not err <= tol:
            print(f"compare: {name}: relative error {err:.3g} above {tol:g}")
            bad = 1
        if err > worst[0] or math.isnan(err):
            worst = (err, name)
    print(f"compare: {len(a)} tensors, worst relative Frobenius error {worst[0]:.3g}"
          f"{' (' + worst[1] + ')' if worst[1] else ''}, tolerance {tol:g}")
    return bad


if __name__ == "__main__":
    sys.exit(main())

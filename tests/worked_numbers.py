#!/usr/bin/python3
"""The worked numbers of the book, computed here in double precision.

The book states, beside its formulas, small examples that a student can check
by hand (a softmax of three scores, one GRU unit, the context of a three-word
sentence, p - onehot(y), the attention backward, Adam's first step, a colour of
the `bone' map). This script computes them from the definitions, independently
of the kit's C code, and tests/book-check fails when a number printed here is
not in attention.w as printed here. Run it to see them: tests/worked_numbers.py
"""
import math


def fnv1a(word):
    h = 2166136261
    for b in word.encode():
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h


def softmax(s):
    m = max(s)
    e = [math.exp(x - m) for x in s]
    t = sum(e)
    return [x / t for x in e]


def sigmoid(a):
    return 1.0 / (1.0 + math.exp(-a))


def numbers():
    """(label, [numbers]) in the order the book uses them."""
    out = []
    s = [1.0, 2.0, 3.0]
    w = softmax(s)
    lse = max(s) + math.log(sum(math.exp(x - max(s)) for x in s))
    out.append(("softmax of (1,2,3)", w))
    out.append(("log-softmax of (1,2,3)", [x - lse for x in s]))
    # one GRU unit: the six products and the old state
    gir, giz, gin, ghr, ghz, ghn, h = 0.5, 0.1, 0.3, -0.3, 0.4, -0.6, 0.8
    r = sigmoid(gir + ghr)
    z = sigmoid(giz + ghz)
    n = math.tanh(gin + r * ghn)
    hn = (1 - z) * n + z * h
    out.append(("GRU r, z, n, h'", [r, z, n, hn]))
    # its backward pass with dh' = 1
    dhn = 1.0
    dn = dhn * (1 - z)
    dz = dhn * (h - n)
    dan = dn * (1 - n * n)
    dr = dan * ghn
    out.append(("GRU backward: dgir, dgiz, dgin, dghn, dh", [dr * r * (1 - r), dz * z * (1 - z), dan,
                                                           dan * r, dhn * z]))
    # the context of a three-word sentence, H = 2
    O = [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]
    c = [sum(w[i] * O[i][j] for i in range(3)) for j in range(2)]
    out.append(("context", c))
    # p - onehot(y), y the second word; the loss -l_y
    p = w
    out.append(("p - onehot(y)", [p[0], p[1] - 1.0, p[2]]))
    out.append(("loss -l_y", [-(s[1] - lse)]))
    # the attention backward with dc = (1, -1)
    dc = (1.0, -1.0)
    dw = [dc[0] * O[i][0] + dc[1] * O[i][1] for i in range(3)]
    avg = sum(w[i] * dw[i] for i in range(3))
    ds = [w[k] * (dw[k] - avg) for k in range(3)]
    out.append(("attention backward: avg, ds", [avg] + ds))
    # Adam's first step, lr 0.01, for g = 0.5 and g = -0.002, and g = 1e-8
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    steps = []
    for g in (0.5, -0.002, 1e-8):
        m = (1 - b1) * g
        v = (1 - b2) * g * g
        mh, vh = m / (1 - b1), v / (1 - b2)
        steps.append(lr * mh / (math.sqrt(vh) + eps))
    out.append(("Adam first step for g = 0.5, -0.002, 1e-8", steps))
    # the colour of 0.5 in `bone' (matplotlib's control points)
    bone = [((0.0, 0.746032, 1.0), (0.0, 0.652778, 1.0)),
            ((0.0, 0.365079, 0.746032, 1.0), (0.0, 0.319444, 0.777778, 1.0)),
            ((0.0, 0.365079, 1.0), (0.0, 0.444444, 1.0))]
    rgb = []
    for xs, vs in bone:
        k = 0
        while k + 2 < len(xs) and 0.5 > xs[k + 1]:
            k += 1
        t = (0.5 - xs[k]) / (xs[k + 1] - xs[k])
        rgb.append(vs[k] + t * (vs[k + 1] - vs[k]))
    out.append(("bone(0.5)", rgb))
    return out


def integers():
    """The hash example: FNV-1a of two words and their home slot among 32."""
    return [("FNV-1a of <SOS> and i, and their slot", [fnv1a("<SOS>"), fnv1a("i"),
                                                    fnv1a("<SOS>") & 31, fnv1a("i") & 31])]


def strings():
    """Every number as the book must print it: four decimals, a minus sign
    written as a hyphen (in TeX math), and the integers in full."""
    res = [(label, str(x)) for label, xs in integers() for x in xs if x > 9]
    for label, xs in numbers():
        for x in xs:
            s = f"{abs(x):.4f}"
            res.append((label, ("-" if x < 0 else "") + s))
    return res


if __name__ == "__main__":
    for label, xs in integers():
        print(f"{label}: " + ", ".join(str(x) for x in xs))
    for label, xs in numbers():
        print(f"{label}: " + ", ".join(f"{x:.4f}" for x in xs))

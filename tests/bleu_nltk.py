"""The kit's corpus BLEU-4 against nltk's corpus_bleu (Debian's python3-nltk,
no smoothing), on random corpora with one and several references.

Each corpus is written as a file of translations and parallel files of
references (an empty reference line means no reference there), scored by
'attention bleu --precise', and compared with nltk to 1e-9. Every
translation has at least four words: nltk counts a translation shorter than
n words as having one n-gram (its denominator is max(1, count)), where
Papineni and sacreBLEU count none; with four words or more the two
definitions agree."""
import os, random, subprocess, sys, tempfile, warnings
from nltk.translate.bleu_score import corpus_bleu

warnings.filterwarnings("ignore")  # nltk warns of every order without a match

kit = sys.argv[1] if len(sys.argv) > 1 else "./attention"
rng = random.Random(20021)
WORDS = ["le", "la", "chat", "chien", "est", "sur", "tapis", "un", "une", "petit", "grand", "noir"]


def sentence(vocab, lo, hi):
    return [rng.choice(vocab) for _ in range(rng.randint(lo, hi))]


def one_corpus(tmp, k):
    vocab = WORDS[: rng.randint(2, len(WORDS))]
    n = rng.randint(1, 25)
    most = 1 if k % 3 == 0 else rng.randint(2, 4)
    hyps, refs = [], []
    for _ in range(n):
        h = sentence(vocab, 4, 14)
        # references: some near copies of the translation, some random
        rs = []
        for _ in range(rng.randint(1, most)):
            if rng.random() < 0.5:
                r = [w if rng.random() < 0.8 else rng.choice(vocab) for w in h]
                r = r[: rng.randint(1, len(r))] + sentence(vocab, 0, 3)
            else:
                r = sentence(vocab, 1, 16)
            rs.append(r)
        hyps.append(h)
        refs.append(rs)
    hp = os.path.join(tmp, "hyp.txt")
    with open(hp, "w") as f:
        f.writelines(" ".join(h) + "\n" for h in hyps)
    paths = []
    for i in range(most):
        p = os.path.join(tmp, f"ref{i}.txt")
        with open(p, "w") as f:
            f.writelines((" ".join(rs[i]) if i < len(rs) else "") + "\n" for rs in refs)
        paths.append(p)
    out = subprocess.run([kit, "bleu", "--precise", "--hyp", hp] + paths, capture_output=True,
                         text=True)
    if out.returncode != 0:
        sys.exit(f"bleu_nltk: corpus {k}: attention bleu failed: {out.stderr}")
    line = out.stdout.splitlines()[1].split()
    ours = float(line[1]) / 100.0
    theirs = corpus_bleu(refs, hyps)
    return ours, theirs, n, most


def main():
    worst, nonzero, multi = 0.0, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(300):
            ours, theirs, n, most = one_corpus(tmp, k)
            err = abs(ours - theirs)
            if err > 1e-9:
                sys.exit(f"bleu_nltk: FAIL: corpus {k} ({n} sentences, up to {most} references): "
                         f"kit {ours!r}, nltk {theirs!r}, difference {err:.3g}")
            worst = max(worst, err)
            nonzero += theirs > 1e-6
            multi += most > 1
    if nonzero < 100 or multi < 100:
        sys.exit(f"bleu_nltk: FAIL: only {nonzero} corpora with a BLEU above 0 and {multi} "
                 "with several references: the test would prove little")
    print(f"bleu_nltk: ok: 300 corpora ({multi} with several references, {nonzero} with BLEU "
          f"above 0) agree with nltk's corpus_bleu; largest difference {worst:.3g} (tolerance 1e-9)")


main()

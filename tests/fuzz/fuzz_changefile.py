#!/usr/bin/python3
"""Fuzzing the grader's change-file checker (tests/grader/cweb.py and the
grader's own text steps), which runs as root on what a student wrote.

  fuzz_changefile.py --seconds S [--corpus DIR]   mutate the seeds for S seconds
  fuzz_changefile.py --replay DIR                 run every file of DIR once

Each input goes through what the grader does to a change file before and
after ctangle: parse_change, check_new_lines (the control codes, the
patterns), simulate and check_inside against the handout's web, compose,
tangled_sections on the text as if ctangle had written it, and the search
for a function's body. A failure is any exception but ChangeError, or one
step that takes more than a second (every step is meant to be linear in a
text of at most 200 kB). Python's standard library only."""
import argparse
import random
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / 'tests' / 'grader'))
import cweb  # noqa: E402
import grader  # noqa: E402

WEB = (ROOT / 'attention.w').read_text().split('\n')
SECTIONS = cweb.parse_web(WEB)
EXERCISE = ['Set |wb| to the softmax of |s| and |c| to the weighted sum of the rows of |O|']
STEP_SECONDS = 1.0


def one(text):
    """Every step on |text|; returns the failure, or None."""
    steps = []

    def timed(what, fn, *a):
        t = time.time()
        try:
            return fn(*a)
        finally:
            steps.append((what, time.time() - t))

    try:
        try:
            blocks = timed('parse_change', cweb.parse_change, text, 'x.ch')
            timed('check_new_lines', cweb.check_new_lines, blocks, 'x.ch')
            if blocks:
                timed('simulate', cweb.simulate, WEB, blocks, 'x.ch')
                regions = cweb.regions_of(WEB, SECTIONS, EXERCISE)
                timed('check_inside', cweb.check_inside, WEB, SECTIONS, blocks, regions, 5, 'x.ch')
                timed('compose', cweb.compose, WEB, [('x.ch', blocks)])
        except cweb.ChangeError:
            pass
        timed('tangled_sections', cweb.tangled_sections, text, 'x.ch')
        timed('fix_change_file_names', cweb.fix_change_file_names, text, 'web.w', 'x.ch')
        timed('function_start', grader.function_start, text, 'gru_unit_forward')
        timed('without_body', grader.without_body, text, 'gru_unit_forward')
    except Exception:
        return traceback.format_exc()
    slow = [(w, s) for w, s in steps if s > STEP_SECONDS]
    return f"{slow[0][0]} took {slow[0][1]:.2f} s" if slow else None


TOKENS = ['@x', '@y', '@z', '@ ', '@*', '@<', '@>', '@>=', '@>+ =', '@&', '@=', '@@', '@c', '@i',
          '#include', '%:include', '__asm__', 'asm', '/*1:*/', '/*:1*/', '#line 1 "x.ch"',
          'gru_unit_forward(', ')', '{', '}', ';', '"', "'", '\\\n', '\n', '\t', '\u00e9', '\x00']


def mutate(text, rnd):
    t = list(text)
    for _ in range(rnd.randint(1, 8)):
        op = rnd.randrange(5)
        i = rnd.randint(0, len(t))
        if op == 0 and t:
            del t[min(i, len(t) - 1)]
        elif op == 1:
            t[i:i] = list(rnd.choice(TOKENS))
        elif op == 2:
            t[i:i] = list(rnd.choice(TOKENS) * rnd.randint(1, 2000))
        elif op == 3 and t:
            j = rnd.randint(0, len(t))
            a, b = min(i, j), max(i, j)
            t[i:i] = t[a:b][:5000]
        else:
            t[i:i] = [chr(rnd.randrange(1, 0x250))]
    return ''.join(t)[:cweb.MAX_CHANGE_BYTES]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seconds', type=float)
    ap.add_argument('--replay')
    ap.add_argument('--corpus', default=str(HERE / 'corpus' / 'changefile'))
    ap.add_argument('--out', default=str(ROOT / 'build' / 'fuzz'))
    a = ap.parse_args()
    if a.replay:
        files = sorted(p for p in Path(a.replay).iterdir() if p.is_file())
        bad = [(p, one(p.read_text(errors='replace'))) for p in files]
        bad = [(p, e) for p, e in bad if e]
        for p, e in bad:
            print(f"changefile: {p.name}: {e}")
        print(f"replay: {len(files)} inputs, {'none failed' if not bad else f'{len(bad)} failed'}")
        return 1 if bad else 0
    seeds = [p.read_text(errors='replace') for p in sorted(Path(a.corpus).iterdir()) if p.is_file()]
    seeds += [p.read_text() for p in sorted((ROOT / 'solutions').glob('*.ch'))]
    seeds += [p.read_text() for p in sorted((ROOT / 'tests' / 'submissions').glob('*/*.ch'))]
    rnd, n, t0 = random.Random(), 0, time.time()
    Path(a.out).mkdir(parents=True, exist_ok=True)
    while time.time() - t0 < (a.seconds or 60):
        text = mutate(rnd.choice(seeds), rnd)
        e = one(text)
        n += 1
        if e:
            f = Path(a.out) / f"changefile-crash-{n}"
            f.write_text(text)
            print(f"changefile: failure, input in {f}:\n{e}")
            return 1
    print(f"changefile: {n} inputs in {time.time() - t0:.0f} s, no failure")
    return 0


if __name__ == '__main__':
    sys.exit(main())

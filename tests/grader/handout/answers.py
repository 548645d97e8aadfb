#!/usr/bin/env python3
"""Your answers, checked, tangled and woven: the handout's helper (the
Makefile calls it; Python standard library only).

  answers.py check CH...          check change files the way the grader does
  answers.py tangle DIR CH... [--with CH...]
                                  tangle attention.w with the change files into
                                  DIR/generated (compiler messages then point
                                  at exercises/NN-name.ch:LINE); the files after
                                  --with are left out, with a warning, if they
                                  are not acceptable
  answers.py weave PDF [--changed-only] CH...
                                  the book with your answers (or only the
                                  sections you changed: what the grader sees)

The grader accepts a change file only if it parses, its @x lines match the
handout's attention.w exactly, and every change stays inside its own
exercise's sections; it never starts a section, includes a file or uses asm.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import cweb  # noqa: E402

KIT = HERE.parents[1]
WEB = KIT / 'attention.w'


def exercises():
    return json.loads((KIT / 'exercises' / 'exercises.json').read_text())


def load(paths, optional=()):
    """[(relative name, blocks)] for the change files; exits with the reasons
    if any of |paths| is not acceptable (one of |optional| is left out, with
    a warning)."""
    web = WEB.read_text().split('\n')
    sections = cweb.parse_web(web)
    by_slug = {e['slug']: e for e in exercises()}
    out, errors = [], []
    must = {str(p) for p in paths}
    for p in list(paths) + [q for q in optional if str(q) not in must]:
        required = str(p) in must
        p = Path(p)
        rel = os.path.relpath(p.resolve(), Path.cwd())
        ex = by_slug.get(p.stem)
        try:
            if ex is None:
                raise cweb.ChangeError(f"{rel}: not the name of an exercise's change file "
                                       f"({', '.join(sorted(by_slug))}.ch)")
            blocks = cweb.parse_change(p.read_text(), rel)
            cweb.check_new_lines(blocks, rel)
            cweb.simulate(web, blocks, rel)
            cweb.check_inside(web, sections, blocks, cweb.regions_of(web, sections, ex['sections']),
                              ex['id'], rel)
            out.append((rel, blocks))
        except (cweb.ChangeError, UnicodeDecodeError) as e:
            msg = str(e) if isinstance(e, cweb.ChangeError) else f"{rel}: not UTF-8 text"
            if required:
                errors.append(msg)
            else:
                print(f"answers: warning: left out {rel}: {msg}", file=sys.stderr)
    if errors:
        print('\n'.join(f"answers: {e}" for e in errors), file=sys.stderr)
        sys.exit(1)
    return web, out


def tangle(outdir, paths, optional=()):
    web, changes = load(paths, optional)
    outdir = Path(outdir)
    (outdir / 'generated').mkdir(parents=True, exist_ok=True)
    text, linemap = cweb.compose(web, changes)
    (outdir / 'answers.ch').write_text(text)
    rel_web = os.path.relpath(WEB, outdir)
    p = subprocess.run(['ctangle', rel_web, 'answers.ch', 'generated/main.c'], cwd=outdir,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        print(p.stdout, file=sys.stderr)
        print(f"answers: ctangle failed (status {p.returncode})", file=sys.stderr)
        sys.exit(1)
    web_name = os.path.relpath(WEB, Path.cwd())
    for f in (outdir / 'generated').iterdir():
        t = f.read_text()
        t = cweb.fix_change_file_names(t, rel_web, 'answers.ch')
        t = cweb.fix_line_directives(t, 'answers.ch', linemap)
        t = t.replace(f'"{rel_web}"', f'"{web_name}"')
        f.write_text(t)


def weave(pdf, paths, changed_only):
    web, changes = load(paths)
    text, _ = cweb.compose(web, changes)
    d = Path(pdf).resolve().parent / (Path(pdf).stem + '.weave')
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    shutil.copy(WEB, d / 'attention.w')
    limbo = ''
    if changed_only:
        limbo = f"@x\n{web[0]}\n@y\n{web[0]}\n\\let\\maybe=\\iffalse\n@z\n"
    (d / 'answers.ch').write_text(limbo + text)
    # one pdftex run for the changed sections only: on a second run the table
    # of contents comes to the front, and that breaks cwebmac's \maybe skipping
    tex = ['pdftex', '-interaction=nonstopmode', '-halt-on-error', 'attention.tex']
    for cmd in [['cweave', 'attention.w', 'answers.ch', 'attention.tex'], tex] + ([] if changed_only else [tex]):
        p = subprocess.run(cmd, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode not in (0, 5 if cmd[0] == 'cweave' else 0):
            print(p.stdout[-3000:], file=sys.stderr)
            print(f"answers: {cmd[0]} failed (status {p.returncode})", file=sys.stderr)
            sys.exit(1)
    shutil.move(d / 'attention.pdf', pdf)
    shutil.rmtree(d)
    print(f"answers: wrote {pdf}")


def main():
    a = sys.argv[1:]
    if len(a) >= 1 and a[0] == 'check':
        load(a[1:])
        print(f"answers: {len(a) - 1} change file{'s' if len(a) != 2 else ''} accepted")
    elif len(a) >= 2 and a[0] == 'tangle':
        rest = a[2:]
        if '--with' in rest:   # tangle DIR MAIN.ch --with OTHER.ch ...: the others if acceptable
            k = rest.index('--with')
            tangle(a[1], rest[:k], rest[k + 1:])
        else:
            tangle(a[1], rest)
    elif len(a) >= 2 and a[0] == 'weave':
        only = '--changed-only' in a
        rest = [x for x in a[2:] if x != '--changed-only']
        weave(a[1], rest, only)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == '__main__':
    main()

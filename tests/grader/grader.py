#!/usr/bin/python3
"""The kit's grader: the student handout, one student's grade, a class's
gradebook, and the self-checks. Python standard library only.

  grader.py handout [--out handout]
  grader.py grade SUBDIR [--out grades/NAME] [--name NAME]
  grader.py grade-class SUBMISSIONS [--out grades/class] [--jobs N]
  grader.py selfcheck
  grader.py solutions          (re)write solutions/*.ch from attention.w and the stubs
  grader.py sections           print each exercise's section numbers

How a change file is graded (see tests/grader/README.md for the reasons):
the web for exercise k is attention.w with only exercise k's stub applied
(ctie -m), so every other exercise runs the reference code; the student's
change file is checked (it must parse, match, and touch only exercise k's
sections), tangled with ctangle, compiled and linked into a worker, all as an
unprivileged user without network; the worker is copied into an empty jail;
the exercise's judge (public and hidden tests) runs it, one sandboxed process
per call, and writes Check's XML where the worker cannot reach.
"""
import argparse
import concurrent.futures
import csv
import datetime
import errno
import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import cweb  # noqa: E402

WEB = ROOT / 'attention.w'
EXERCISES = ROOT / 'exercises'
JUDGES = ROOT / 'tests' / 'exercises'
SOLUTIONS = ROOT / 'solutions'
BUILD = ROOT / 'build' / 'grader'
UID_BASE, UID_SLOTS = 61000, 64
UID_LOCKS = Path('/run/lock/attention-grader') if os.path.isdir('/run/lock') else Path('/tmp/attention-grader-locks')

CC = shutil.which(os.environ.get('CC') or 'cc') or '/usr/bin/cc'   # the sandbox does not search PATH
DEFAULT_CFLAGS = '-O2 -march=native -ffp-contract=off -fno-math-errno'
CFLAGS = (os.environ.get('GRADER_CFLAGS') or DEFAULT_CFLAGS).split()
WARN = ['-std=gnu11', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Wno-missing-field-initializers']
PKG_CFLAGS = subprocess.run(['pkg-config', '--cflags', 'cairo', 'libutf8proc'], stdout=subprocess.PIPE,
                            text=True).stdout.split()
# What a worker links: no checkpoints, no command line. figures.c draws with
# Cairo, but the worker calls only its colormap: every function gets a
# section of its own and the linker drops the unused ones (and with them
# every reference to Cairo), so the worker links statically without it.
LIB_TUS = ['util', 'vocab', 'layers', 'model', 'figures', 'decode']
WRAP = ['-Wl,--gc-sections', '-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc']
SECTIONS = ['-ffunction-sections', '-fdata-sections']

# Limits of the build steps (ctangle, cc, cweave, pdftex) of one exercise.
BUILD_LIMITS = dict(wall=120, cpu=90, mem=2048, nproc=32, fsize=64, out_keep=20000, tmpfs=64)
# What one student's steps may write in all (their work folder is a tmpfs of
# this size when the grader is root): bytes and inodes.
STUDENT_DISK = dict(bytes=512 << 20, inodes=20000)
# The judges set the worker's limits (judge.h): a wall-clock and CPU limit per
# test (its 'seconds' column), 1 GiB of address space, 16 processes, 1 MiB
# files, 1 MiB of output, 64 MiB of reply.

IS_ROOT = os.geteuid() == 0


def is_tty():
    return sys.stdout.isatty()


def log(msg):
    print(msg, flush=True)


def die(msg):
    print(f"grader: {msg}", file=sys.stderr)
    sys.exit(1)


def run(cmd, **kw):
    """A trusted command (ours): its output, or an exception with it."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout}")
    return p.stdout


def sha256(data):
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()


# ---------------------------------------------------------------- the kit
class Exercise:
    def __init__(self, d):
        self.id = d['id']
        self.slug = d['slug']
        self.title = d['title']
        self.difficulty = d['difficulty']
        self.points = d['points']
        self.sections = d['sections']
        self.pending = d.get('status') == 'pending'
        self.header_function = d.get('header_function')
        self.tests = []          # from the judge: dicts name, points, visibility, seconds, what

    @property
    def chname(self):
        return f'{self.slug}.ch'


def load_exercises(include_pending=False):
    data = json.loads((EXERCISES / 'exercises.json').read_text())
    exs = [Exercise(d) for d in data['exercises']]
    return exs if include_pending else [e for e in exs if not e.pending]


def read_lines(path):
    return Path(path).read_text().split('\n')


def check_stub(ex, master_lines, master_sections):
    """The stub must replace exactly the whole code of each of the exercise's
    sections, one block per section, in order, and nothing else."""
    fname = f'exercises/{ex.slug}/stub.ch'
    blocks = cweb.parse_change((EXERCISES / ex.slug / 'stub.ch').read_text(), fname)
    cweb.check_new_lines(blocks, fname)
    regions = cweb.regions_of(master_lines, master_sections, ex.sections)
    if len(blocks) != len(ex.sections):
        raise cweb.ChangeError(f"{fname}: {len(blocks)} changes for {len(ex.sections)} sections")
    cweb.simulate(master_lines, blocks, fname)
    for b, name in zip(blocks, ex.sections):
        sec, (a, e) = regions[name]
        if b.at != a or len(b.old) != e - a:
            raise cweb.ChangeError(
                f"{fname}:{b.x_line}: must replace all of section {sec.number} "
                f"(@<{name}@>), lines {a + 1}-{e} of attention.w; it replaces lines "
                f"{b.at + 1}-{b.at + len(b.old)}. Did the reference answer change? Copy "
                f"its current code between @x and @y.")
    return blocks


class Kit:
    """Everything that does not depend on a student, prepared once (and cached
    under build/grader/prep-HASH, keyed by every input)."""

    def __init__(self, quiet=False, prep=None):
        self.exercises = load_exercises()
        self.all_exercises = load_exercises(include_pending=True)
        self.master_lines = read_lines(WEB)
        self.master_sections = cweb.parse_web(self.master_lines)
        self.stubs = {ex.slug: check_stub(ex, self.master_lines, self.master_sections)
                      for ex in self.exercises}
        for ex in self.exercises:
            if not (JUDGES / ex.slug / 'hidden.c').exists():
                die(f"no judge tests/exercises/{ex.slug}/hidden.c")
        self.dir = Path(prep) if prep else BUILD / f'prep-{self.key()}'
        if not (self.dir / 'done').exists():
            BUILD.mkdir(parents=True, exist_ok=True)
            with open(BUILD / 'prep.lock', 'w') as lock:   # one preparation at a time
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not (self.dir / 'done').exists():
                    self.prepare(quiet)
        self.tests = json.loads((self.dir / 'tests.json').read_text())
        for ex in self.exercises:
            ex.tests = self.tests[ex.slug]
            total = sum(t['points'] for t in ex.tests)
            if abs(total - ex.points) > 1e-9:
                die(f"exercise {ex.slug}: its tests add up to {total} points, exercises.json says {ex.points}")
        self.env = json.loads((self.dir / 'environment.json').read_text())
        self.webs = {ex.slug: read_lines(self.dir / 'webs' / f'{ex.slug}.w') for ex in self.exercises}
        self.handout_lines = read_lines(self.dir / 'webs' / 'handout.w')
        self.handout_sections = cweb.parse_web(self.handout_lines)

    def key(self):
        h = hashlib.sha256()
        files = [WEB, EXERCISES / 'exercises.json'] + sorted(EXERCISES.glob('*/stub.ch')) \
            + sorted(JUDGES.glob('*/*.c')) + sorted(HERE.glob('*.[ch]'))
        for f in files:
            h.update(str(f.relative_to(ROOT)).encode() + b'\0' + f.read_bytes())
        h.update(' '.join([CC] + CFLAGS).encode())
        h.update(os.environ.get('ATTENTION_SANDBOX_NO_NAMESPACES', '').encode())
        return h.hexdigest()[:16]

    def prepare(self, quiet):
        if not quiet:
            log(f"grader: preparing the kit in {self.dir.relative_to(ROOT)} (once per version of the sources)")
        BUILD.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix='prep-tmp-', dir=BUILD))
        os.chmod(tmp, 0o755)
        (tmp / 'bin').mkdir()
        (tmp / 'webs').mkdir()
        (tmp / 'master' / 'generated').mkdir(parents=True)
        run([CC, '-O2', '-Wall', '-o', tmp / 'bin' / 'sandbox', HERE / 'sandbox.c'])
        # the stubbed webs: one per exercise, and the handout's (all stubs)
        for ex in self.exercises:
            make_web(tmp / 'webs' / f'{ex.slug}.w', [EXERCISES / ex.slug / 'stub.ch'])
        make_web(tmp / 'webs' / 'handout.w', [EXERCISES / ex.slug / 'stub.ch' for ex in self.exercises])
        # the reference library, compiled as the workers will link it
        m = tmp / 'master'
        run(['ctangle', WEB, '-', 'generated/main.c'], cwd=m)
        jobs = []
        for tu in LIB_TUS:
            jobs.append([CC] + CFLAGS + WARN + SECTIONS + PKG_CFLAGS + ['-Igenerated', '-c', f'generated/{tu}.c',
                                                                  '-o', f'{tu}.o'])
        jobs.append([CC] + CFLAGS + WARN + SECTIONS + PKG_CFLAGS + ['-Igenerated', f'-I{HERE}', '-c',
                                                              HERE / 'worker.c', '-o', 'worker.o'])
        check = run(['pkg-config', '--cflags', '--libs', 'check']).split()
        for ex in self.exercises:
            jobs.append([CC] + CFLAGS + WARN + [f'-I{HERE}', '-o', tmp / 'bin' / f'judge-{ex.slug}',
                                                JUDGES / ex.slug / 'hidden.c'] + check + ['-lm'])
        parallel(jobs, cwd=m)
        run([CC, '-static', '-o', 'worker', 'worker.o'] + [f'{tu}.o' for tu in LIB_TUS]
            + ['-lutf8proc', '-lm'] + WRAP, cwd=m)
        tests = {}
        for ex in self.exercises:
            out = run([tmp / 'bin' / f'judge-{ex.slug}', '--list'])
            tests[ex.slug] = []
            for line in out.splitlines():
                name, pts, vis, secs, what = line.split('\t')
                tests[ex.slug].append(dict(name=name, points=float(pts), visibility=vis,
                                           seconds=float(secs), what=what))
        (tmp / 'tests.json').write_text(json.dumps(tests, indent=1))
        (tmp / 'environment.json').write_text(json.dumps(environment(tmp), indent=1))
        (tmp / 'done').write_text('')
        if self.dir.exists():
            shutil.rmtree(self.dir)
        os.rename(tmp, self.dir)
        for old in BUILD.glob('prep-*'):   # earlier versions of the sources
            if old != self.dir and (old / 'done').exists() and time.time() - old.stat().st_mtime > 3600:
                shutil.rmtree(old, ignore_errors=True)

    def reference_sections(self):
        """The section numbers in ctangle's output of the reference web."""
        if getattr(self, '_ref_sections', None) is None:
            self._ref_sections = set()
            for f in (self.dir / 'master' / 'generated').iterdir():
                self._ref_sections |= cweb.tangled_sections(f.read_text(), None)[0]
        return self._ref_sections

    @property
    def sandbox(self):
        return self.dir / 'bin' / 'sandbox'

    def judge(self, ex):
        return self.dir / 'bin' / f'judge-{ex.slug}'


def parallel(cmds, cwd, jobs=None):
    jobs = jobs or os.cpu_count() or 2
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for f in [pool.submit(run, c, cwd=cwd) for c in cmds]:
            f.result()


def make_web(out, changes):
    """attention.w with the change files applied in turn (ctie -m)."""
    p = subprocess.run(['ctie', '-m', out, WEB] + list(changes), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0 or '(No errors were found.)' not in p.stdout:
        raise RuntimeError(f"ctie -m {out.name} failed:\n{p.stdout}")


def tool_version(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return 'unknown'


def environment(prep):
    def pc(mod):
        return tool_version(['pkg-config', '--modversion', mod])
    commit = tool_version(['git', '-C', str(ROOT), 'rev-parse', 'HEAD'])
    dirty = subprocess.run(['git', '-C', str(ROOT), 'status', '--porcelain', '--', 'attention.w',
                            'exercises', 'tests'], stdout=subprocess.PIPE, text=True).stdout.strip()
    return {
        'compiler': tool_version([CC, '--version']),
        'cc': CC,
        'cflags': ' '.join(CFLAGS + WARN + SECTIONS),
        'worker_link': f'-static ... -lutf8proc -lm {" ".join(WRAP)}',
        'libraries': {'check': pc('check'), 'utf8proc': pc('libutf8proc'),
                      'glibc': platform.libc_ver()[1] or 'unknown'},
        'cweb': {'ctangle': tool_version(['ctangle', '--version']),
                 'ctie': tool_version(['ctie', '--version']),
                 'cweave': tool_version(['cweave', '--version']),
                 'pdftex': tool_version(['pdftex', '--version'])},
        'python': sys.version.split()[0],
        'kernel': platform.release(),
        'machine': platform.machine(),
        'cpus': os.cpu_count(),
        'kit_commit': commit + (' (with uncommitted changes)' if dirty else ''),
        'attention_w_sha256': sha256(WEB.read_bytes()),
        'sandbox': tool_version([prep / 'bin' / 'sandbox', '--mode']),
        'build_limits': BUILD_LIMITS,
        'worker_limits': 'per test: wall and CPU seconds as listed; 1 GiB address space, '
                         '16 processes, 1 MiB files, 1 MiB output, 64 MiB reply; no network; '
                         'chroot into a folder holding only the worker; own user id',
    }


# ------------------------------------------------------ user ids and jails
class UidLease:
    """A sandbox user id of our own for one student, held with a lock file, so
    that parallel graders never share one (a fork loop or a kill(-1) of one
    student cannot touch another's processes)."""

    def __init__(self):
        self.uid, self.fd = -1, None
        if not IS_ROOT:
            return
        UID_LOCKS.mkdir(parents=True, exist_ok=True)
        os.chmod(UID_LOCKS, 0o700)
        for i in range(UID_SLOTS):
            fd = os.open(UID_LOCKS / f'{UID_BASE + i}', os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid, self.fd = UID_BASE + i, fd
            return
        die("no free sandbox user id (64 graders at once?)")

    def release(self, kit):
        if self.fd is not None:
            sweep(kit, self.uid)
            os.close(self.fd)
            self.fd = None


def sweep(kit, uid):
    if uid >= 0:
        subprocess.run([kit.sandbox, '--sweep', str(uid)])


def jail_root(cwd):
    """The empty folder on which a build step's new root (a tmpfs) is mounted:
    one per student's work folder, made by root."""
    r = Path(cwd).parent / '.root'
    if not r.exists():
        root_dir(r, 0o755)
    return r


def sandboxed(kit, uid, cwd, cmd, env=(), **limits):
    """Run a build step on student input in the sandbox: as root, in its own
    namespaces and memory cgroup, in a new root that holds the system's /usr
    and /etc read-only and |cwd| (the step's folder, all it may write), and
    nothing of the kit. Returns (status, output) where status is 'exit 0',
    'exit 1', 'signal 9', 'timeout', ..."""
    lim = dict(BUILD_LIMITS, **limits)
    jail = ['--root', str(jail_root(cwd)), '--bind', f'{cwd}:rw', '--tmpfs', str(lim['tmpfs'])] \
        if IS_ROOT else []
    args = [kit.sandbox, '--uid', str(uid), '--cwd', str(cwd), '--no-network'] + jail + [
            '--wall', str(lim['wall']), '--cpu', str(lim['cpu']), '--mem', str(lim['mem']),
            '--nproc', str(lim['nproc']), '--fsize', str(lim['fsize']),
            '--out-keep', str(lim['out_keep']), '--out-kill', str(1 << 20),
            '--env', f'HOME={cwd}', '--env', f'TMPDIR={cwd}']
    for e in env:
        args += ['--env', e]
    p = subprocess.run(args + ['--'] + [str(c) for c in cmd], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=lim['wall'] + 60)
    status = p.stderr.decode(errors='replace').strip().splitlines()
    status = status[-1] if status else 'sandbox: no status'
    m = re.match(r'sandbox: (.*?) wall ([\d.]+) cpu ([\d.]+)', status)
    out = p.stdout.decode(errors='replace')
    if not m:
        return status, out
    return m.group(1), out, f"{m.group(2)} s"


def own_dir(path, uid):
    path.mkdir(parents=True, exist_ok=True)
    if uid >= 0:
        os.chown(path, uid, uid)
    os.chmod(path, 0o700)


def root_dir(path, mode=0o700):
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)


def read_submission_file(path, limit=cweb.MAX_CHANGE_BYTES):
    """A student's file, read without following a symbolic link (a link to
    /etc/shadow or to another student's work must not be read as root)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise cweb.ChangeError(f"{path.name} is a symbolic link: submit the file itself")
        raise cweb.ChangeError(f"{path.name}: cannot read it: {e.strerror}")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise cweb.ChangeError(f"{path.name} is not a regular file")
        if st.st_size > limit:
            raise cweb.ChangeError(f"{path.name} has {st.st_size} bytes; a change file may have at most {limit}")
        data = os.read(fd, limit + 1)
    finally:
        os.close(fd)
    try:
        return data.decode('utf-8').replace('\r\n', '\n')
    except UnicodeDecodeError as e:
        raise cweb.ChangeError(f"{path.name} is not UTF-8 text (byte {e.start})")


def rewrite_untrusted(path, fn):
    """Rewrite a file that a sandboxed step wrote, without following links."""
    fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        with os.fdopen(os.dup(fd), 'r+') as f:
            t = f.read(20_000_000)
            f.seek(0)
            f.truncate()
            f.write(fn(t))
    finally:
        os.close(fd)


def find_submission(sub, ex):
    """The student's file for |ex|, at the top of the folder or in its
    exercises/ (not through a symbolic link: it could point at another
    student's folder)."""
    for p in (sub / ex.chname, sub / 'exercises' / ex.chname):
        if p.parent != sub and os.path.islink(p.parent):
            continue
        if os.path.lexists(p):
            return p
    return None


# ------------------------------------------------------ grading one exercise
def strip_lines(text):
    return '\n'.join(l for l in text.split('\n') if not l.startswith('#line '))


def function_start(text, fn):
    """The index after the opening brace of the definition of |fn| in |text|
    (its name, blanks, '(', then up to the first ';' or '{' a ')' and blanks
    before a '{'), or None. One pass over the text: a regular expression with
    a repetition up to that brace was quadratic on text full of 'fn('."""
    n = len(text)
    stop = [n] * (n + 1)     # stop[i]: the first ';' or '{' at or after i
    for i in range(n - 1, -1, -1):
        stop[i] = i if text[i] in ';{' else stop[i + 1]
    for m in re.finditer(r'\b' + re.escape(fn) + r'\b', text):
        i = m.end()
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != '(':
            continue
        j = stop[i]
        if j >= n or text[j] != '{':
            continue
        k = j - 1
        while k > i and text[k].isspace():
            k -= 1
        if text[k] == ')':
            return j + 1
    return None


def without_body(text, fn):
    """|text| with the body of the function |fn| cut out, or None if it cannot
    be found for sure (braces are counted outside literals and comments)."""
    start = function_start(text, fn)
    if start is None:
        return None
    i, depth, n = start, 1, len(text)
    while i < n and depth:
        c = text[i]
        if c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            i = j
        elif text.startswith('/*', i):
            i = text.find('*/', i + 2)
            if i < 0:
                return None
            i += 1
        elif text.startswith('//', i):
            i = text.find('\n', i)
            if i < 0:
                return None
        elif c == '{':
            depth += 1
        elif c == '}':
            depth -= 1
        i += 1
    return text[:start] + text[i - 1:] if depth == 0 else None


MAX_TANGLED_BYTES = 8 << 20   # all of ctangle's output for one exercise


def check_tangled(kit, ex, gen, fname, before_fix=False):
    """The checks of the change file, applied to what ctangle made of it: the
    section markers ctangle writes say where every line of the change file
    landed (it must be in the exercise's own sections), no section may appear
    that the web does not have (a change that starts a section renumbers the
    rest), and the lines, with comments gone, @& joined and lines spliced, may
    not include a file or use asm. Returns the problem, or None."""
    files = sorted(gen.iterdir())
    size = 0
    for f in files:
        st = os.lstat(f)
        if not stat.S_ISREG(st.st_mode):
            return f"ctangle's output {f.name} is not a regular file"
        size += st.st_size
    if len(files) > 16 or size > MAX_TANGLED_BYTES:
        return f"the tangled code is too large ({size} bytes in {len(files)} files)"
    if before_fix:
        return None
    allowed = {sec.number for sec, _ in cweb.regions_of(kit.webs[ex.slug], cweb.parse_web(kit.webs[ex.slug]),
                                                       ex.sections).values()}
    known = kit.reference_sections()
    for f in files:
        numbers, pieces, problem = cweb.tangled_sections(f.read_text(errors='replace'), fname)
        if problem:
            return f"{f.name}: {problem}"
        new = sorted(numbers - known)
        if new:
            return (f"ctangle found a section the web does not have (number {new[0]}): does a line "
                    f"of the change file start a section (an '@ ' or '@*' anywhere in a line)?")
        for sec, line in pieces:
            if sec not in allowed:
                return (f"a line of {fname} lands in section {sec}, which is not part of exercise "
                        f"{ex.id}: {line.strip()[:80]!r}")
            for pat, why in cweb.TANGLED_FORBIDDEN:
                if pat.search(line):
                    return f"after ctangle, a line of {fname} {why}: {line.strip()[:80]!r}"
    return None


def needs_rebuild(ex, gen, master_gen):
    """The translation units whose object code may differ from the
    reference's: those whose tangled text differs, and, when the header
    differs, those that include it and may see the difference. If the header
    differs only inside the body of the exercise's inline function, only the
    units that call that function (and the worker) are affected."""
    h, mh = strip_lines((gen / 'attention.h').read_text()), strip_lines((master_gen / 'attention.h').read_text())
    texts = {tu: strip_lines((gen / f'{tu}.c').read_text()) for tu in LIB_TUS}
    changed = {tu for tu in LIB_TUS if texts[tu] != strip_lines((master_gen / f'{tu}.c').read_text())}
    if h == mh:
        return changed, False
    fns = ex.header_function or []
    fns = [fns] if isinstance(fns, str) else fns
    cut, mcut = h, mh
    for fn in fns:
        cut, mcut = (without_body(cut, fn) if cut is not None else None,
                     without_body(mcut, fn) if mcut is not None else None)
    if fns and cut is not None and cut == mcut:
        return changed | {tu for tu in LIB_TUS for fn in fns
                          if re.search(r'\b' + re.escape(fn) + r'\b', texts[tu])}, True
    return set(LIB_TUS), True


TEXT_SECONDS = 20   # the grader's own work on one change file's text, at most


class time_limit:
    """Stop the grader's own checks of a student's text after |seconds|
    (ChangeError), as a guard: they are linear in the text, which is capped."""

    def __init__(self, seconds, what):
        self.seconds, self.what = seconds, what

    def _alarm(self, *_):
        raise cweb.ChangeError(f"the grader's {self.what} took more than {self.seconds} s "
                               f"(the change file is too large or too convoluted)")

    def __enter__(self):
        import signal
        import threading
        self.on = threading.current_thread() is threading.main_thread()
        if self.on:
            self.old = signal.signal(signal.SIGALRM, self._alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        if self.on:
            import signal
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


def zero(ex, message, status='failed'):
    return [dict(t, score=0.0, status=status, message=message) for t in ex.tests]


def grade_exercise(kit, ex, path, work, uid, cache=None):
    """Returns dict(tests=[...], score, log, blocks) for one exercise."""
    res = dict(slug=ex.slug, log='', blocks=None, submitted=path is not None, text=None)
    if path is None:
        res['tests'] = zero(ex, f"not submitted: no file {ex.chname}")
        return res
    try:
      with time_limit(TEXT_SECONDS, "checks of the change file"):
        text = read_submission_file(path)
        res['text'] = text
        fname = ex.chname
        blocks = cweb.parse_change(text, fname)
        if not blocks:
            raise cweb.ChangeError(f"{fname}: no change (@x ... @y ... @z) in the file")
        cweb.check_new_lines(blocks, fname)
        # first against the handout's web, which the student has (so the
        # messages name its lines), then against the web that is built: the
        # reference code everywhere but in this exercise
        hblocks = cweb.parse_change(text, fname)
        cweb.simulate(kit.handout_lines, hblocks, fname)
        cweb.check_inside(kit.handout_lines, kit.handout_sections, hblocks,
                          cweb.regions_of(kit.handout_lines, kit.handout_sections, ex.sections), ex.id, fname)
        web = kit.webs[ex.slug]
        sections = cweb.parse_web(web)
        cweb.simulate(web, blocks, fname)
        cweb.check_inside(web, sections, blocks, cweb.regions_of(web, sections, ex.sections), ex.id, fname)
        res['blocks'] = hblocks
    except cweb.ChangeError as e:
        res['tests'] = zero(ex, f"change file rejected: {e}")
        res['log'] = str(e)
        return res
    key = (ex.slug, sha256(text))
    if cache is not None and key in cache:
        res.update(tests=cache[key]['tests'], log=cache[key]['log'])
        return res
    d = work / ex.slug
    own_dir(d, uid)
    own_dir(d / 'generated', uid)
    shutil.copy(kit.dir / 'webs' / f'{ex.slug}.w', d / 'web.w')
    (d / fname).write_text(text)
    if uid >= 0:
        for f in (d / 'web.w', d / fname):
            os.chown(f, uid, uid)
    logs = []

    def step(what, cmd, **kw):
        status, out, secs = (sandboxed(kit, uid, d, cmd, **kw) + ('',))[:3]
        out = out.replace(str(d) + '/', '')
        logs.append(f"$ {what}\n{out.rstrip()}\n[{status}, {secs}]" if out.strip() else f"$ {what}\n[{status}, {secs}]")
        return status, out

    status, out = step(f'ctangle web.w {fname}', ['/usr/bin/ctangle', 'web.w', fname, 'generated/main.c'])
    if status != 'exit 0':
        msg = "ctangle rejected the change file" if status in ('exit 10', 'exit 20') else f"ctangle: {status}"
        res['tests'] = zero(ex, f"{msg}: {first_lines(out, 6)}")
        res['log'] = '\n'.join(logs)
        return finish(res, cache, key)
    gen = d / 'generated'
    master = kit.dir / 'master'
    os.unlink(d / 'web.w')   # the other exercises' answers: the compiler needs only the tangled code
    try:
        with time_limit(TEXT_SECONDS, "checks of the tangled code"):
            problem = check_tangled(kit, ex, gen, fname, before_fix=True)
            if not problem:
                for f in sorted(gen.iterdir()):
                    rewrite_untrusted(f, lambda t: cweb.fix_change_file_names(t, 'web.w', fname))
                problem = check_tangled(kit, ex, gen, fname)
            if not problem:
                rebuild, header_changed = needs_rebuild(ex, gen, master / 'generated')
    except cweb.ChangeError as e:
        problem = str(e)
    if problem:
        res['tests'] = zero(ex, f"change file rejected: {problem}")
        res['log'] = '\n'.join(logs + [problem])
        return finish(res, cache, key)
    objs = []
    # the build steps see only their own folder: what they need of the kit
    # (reference objects, the worker's sources) is copied into it
    ref = d / 'ref'
    root_dir(ref, 0o755)
    for f in [f'{tu}.o' for tu in LIB_TUS] + ['worker.o']:
        shutil.copyfile(master / f, ref / f)
    for f in ('worker.c', 'proto.h'):
        shutil.copyfile(HERE / f, ref / f)
    for tu in LIB_TUS:
        if tu not in rebuild:
            objs.append(f'ref/{tu}.o')
            continue
        status, out = step(f'cc -c generated/{tu}.c', [CC] + CFLAGS + WARN + SECTIONS + PKG_CFLAGS + [
            '-Igenerated', '-c', f'generated/{tu}.c', '-o', f'{tu}.o'])
        if status != 'exit 0':
            res['tests'] = zero(ex, f"does not compile: {compile_failure(status, out)}")
            res['log'] = '\n'.join(logs)
            return finish(res, cache, key)
        objs.append(f'{tu}.o')
    if not header_changed:
        worker_o = 'ref/worker.o'
    else:
        status, out = step('cc -c worker.c', [CC] + CFLAGS + WARN + SECTIONS + PKG_CFLAGS + [
            '-Igenerated', '-Iref', '-c', 'ref/worker.c', '-o', 'worker.o'])
        if status != 'exit 0':
            res['tests'] = zero(ex, f"does not compile: {compile_failure(status, out)}")
            res['log'] = '\n'.join(logs)
            return finish(res, cache, key)
        worker_o = 'worker.o'
    status, out = step('cc -static -o worker ...', [CC, '-static', '-o', 'worker', worker_o] + objs
                       + ['-lutf8proc', '-lm'] + WRAP)
    if status != 'exit 0':
        res['tests'] = zero(ex, f"does not link: {compile_failure(status, out)}")
        res['log'] = '\n'.join(logs)
        return finish(res, cache, key)
    sweep(kit, uid)   # nothing of the build may still run when we take the worker
    jail = work / f'jail-{ex.slug}'
    root_dir(jail, 0o755)
    root_dir(jail / 'tmp', 0o755)   # the sandbox mounts a small private tmpfs on it
    wpath = d / 'worker'
    st = os.lstat(wpath)
    if not stat.S_ISREG(st.st_mode):
        res['tests'] = zero(ex, "the build did not produce a worker")
        return finish(res, cache, key)
    shutil.copyfile(wpath, jail / 'worker')
    os.chmod(jail / 'worker', 0o755)
    private = work / 'private'
    root_dir(private)
    xml = private / f'{ex.slug}.xml'
    if IS_ROOT:
        cmd = [kit.judge(ex), '--xml', xml, '--worker', '/worker', '--jail', jail, '--uid', str(uid)]
    else:
        cmd = [kit.judge(ex), '--xml', xml, '--worker', jail / 'worker']
    limit = sum(4 * t['seconds'] + 20 for t in ex.tests) + 30
    t0 = time.time()
    try:
        p = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=limit, env=dict({'PATH': '/usr/bin:/bin'}, **{k: v for k, v in os.environ.items()
                                                   if k == 'ATTENTION_SANDBOX_NO_NAMESPACES'}), cwd=private)
        jout = p.stdout.decode(errors='replace')
    except subprocess.TimeoutExpired:
        jout = f"the judge did not finish in {limit} s"
    sweep(kit, uid)
    logs.append(f"$ judge ({time.time() - t0:.1f} s)" + (f"\n{jout.strip()}" if jout.strip() else ''))
    res['tests'] = read_xml(ex, xml)
    res['log'] = '\n'.join(logs)
    return finish(res, cache, key)


def finish(res, cache, key):
    if cache is not None:
        cache[key] = dict(tests=res['tests'], log=res['log'])
    return res


def first_lines(text, n):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return ' | '.join(lines[:n])[:1500]


def first_errors(out):
    errs = [l for l in out.splitlines() if ' error: ' in l or 'error:' in l[:40] or 'undefined reference' in l]
    return ' | '.join(errs[:5])[:1500] if errs else first_lines(out, 6)


def compile_failure(status, out):
    if status.startswith('exit'):
        return first_errors(out)
    return (f"the compiler was stopped ({status}; the limits are {BUILD_LIMITS['cpu']} s of CPU, "
            f"{BUILD_LIMITS['mem']} MiB, 1 MiB of messages). {first_lines(out, 3)}")


def read_xml(ex, xml):
    """The judge's results from Check's XML. A test missing from it (or an
    unreadable file) scores zero."""
    found = {}
    try:
        root = ET.parse(xml).getroot()
        ns = {'c': 'http://check.sourceforge.net/ns'}
        for t in root.iter('{http://check.sourceforge.net/ns}test'):
            name = t.findtext('c:description', namespaces=ns)
            found[name] = (t.get('result'), t.findtext('c:message', default='', namespaces=ns))
    except (ET.ParseError, OSError) as e:
        return zero(ex, f"the judge's results could not be read ({e}): a grader problem")
    tests = []
    for t in ex.tests:
        r, msg = found.get(t['name'], (None, 'the judge did not report this test'))
        ok = r == 'success'
        tests.append(dict(t, score=t['points'] if ok else 0.0, status='passed' if ok else 'failed',
                          message='' if ok else (msg if r else msg)))
    return tests


# ----------------------------------------------------- grading one student
_LIBC = None
_PRIVATE_MOUNTS = None


def libc():
    global _LIBC
    if _LIBC is None:
        import ctypes
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def private_mounts():
    """As root, the grader moves into a mount namespace of its own (once), so
    that the tmpfs it mounts for a student's work vanishes with it, whatever
    happens. True if it did."""
    global _PRIVATE_MOUNTS
    if _PRIVATE_MOUNTS is None:
        import threading
        _PRIVATE_MOUNTS = False
        if IS_ROOT and threading.active_count() == 1:
            c = libc()
            MS_REC, MS_PRIVATE = 16384, 1 << 18
            if c.unshare(0x00020000) == 0 and c.mount(b'none', b'/', None, MS_REC | MS_PRIVATE, None) == 0:
                _PRIVATE_MOUNTS = True
    return _PRIVATE_MOUNTS


def mount_work(work):
    """A size- and inode-limited tmpfs on the student's work folder: all that
    the student's steps can write. False where that cannot be done."""
    if not private_mounts() or os.environ.get('GRADER_KEEP'):
        return False
    opts = f"size={STUDENT_DISK['bytes']},nr_inodes={STUDENT_DISK['inodes']},mode=0711".encode()
    return libc().mount(b'attention-grade', str(work).encode(), b'tmpfs', 2 | 4, opts) == 0


def grade_student(kit, sub, out, name=None, cache=None, quiet=False):
    sub, out = Path(sub), Path(out)
    name = name or sub.name
    t0 = time.time()
    root_dir(out, 0o755)
    work = Path(tempfile.mkdtemp(prefix='attention-grade-'))
    mounted = mount_work(work)
    os.chmod(work, 0o711)   # the sandbox user may enter its own folders, nothing else
    lease = UidLease()
    results = []
    try:
        known = {ex.chname for ex in kit.all_exercises}
        extra = sorted(p.name for p in list(sub.glob('*.ch')) + list(sub.glob('exercises/*.ch'))
                       if p.name not in known) if sub.is_dir() else []
        for ex in kit.exercises:
            path = find_submission(sub, ex) if sub.is_dir() else None
            try:
                r = grade_exercise(kit, ex, path, work, lease.uid, cache)
            except Exception:
                r = dict(slug=ex.slug, tests=zero(ex, "the grader failed on this exercise (a grader "
                         "bug; the instructor has the details)"), log=traceback.format_exc(),
                         blocks=None, submitted=path is not None, text=None)
            results.append((ex, r))
            if not quiet:
                got = sum(t['score'] for t in r['tests'])
                log(f"  {name}: exercise {ex.id:2d} {ex.slug:24s} {got:5.1f}/{ex.points}")
        pdf_note = weave_changes(kit, results, work, out, lease.uid, name)
    finally:
        lease.release(kit)
        if os.environ.get('GRADER_KEEP'):
            log(f"grader: kept {work}")
        else:
            if mounted:
                libc().umount2(str(work).encode(), 2)   # MNT_DETACH
            shutil.rmtree(work, ignore_errors=True)
    total = sum(t['score'] for _, r in results for t in r['tests'])
    maxp = sum(ex.points for ex in kit.exercises)
    write_reports(kit, name, results, out, total, maxp, pdf_note, extra, time.time() - t0)
    return name, results, total, maxp


def weave_changes(kit, results, work, out, uid, name):
    """The woven PDF of just the sections the student changed."""
    changes = [(ex.chname, r['blocks']) for ex, r in results if r.get('blocks')]
    pdf = out / 'changes.pdf'
    if pdf.exists():
        pdf.unlink()
    if not changes:
        return "no change file applied, so there is no woven view of the changes"
    text, _ = cweb.compose(kit.handout_lines, changes)
    first = kit.handout_lines[0]
    title = re.sub(r'[^A-Za-z0-9 .,_-]', '', name)[:40].upper() or 'STUDENT'
    limbo = f"@x\n{first}\n@y\n{first}\n\\let\\maybe=\\iffalse\n@z\n"
    tl = next((l for l in kit.handout_lines if l.startswith('\\def\\title{')), None)
    if tl:
        limbo += f"@x\n{tl}\n@y\n\\def\\title{{ATTENTION.W: CHANGES BY {title}}}\n@z\n"
    d = work / 'weave'
    own_dir(d, uid)
    shutil.copy(kit.dir / 'webs' / 'handout.w', d / 'attention.w')
    (d / 'changes.ch').write_text(limbo + text)
    if uid >= 0:
        for f in ('attention.w', 'changes.ch'):
            os.chown(d / f, uid, uid)
    tex_env = ['openin_any=p', 'openout_any=p', 'shell_escape=f']
    status, o = sandboxed(kit, uid, d, ['/usr/bin/cweave', 'attention.w', 'changes.ch', 'changes.tex'],
                          env=tex_env, wall=60, cpu=30)[:2]
    if status != 'exit 0':
        return f"the woven view of the changes failed: cweave: {status}: {first_lines(o, 4)}"
    status, o = sandboxed(kit, uid, d, ['/usr/bin/pdftex', '-interaction=nonstopmode', '-halt-on-error',
                                        'changes.tex'], env=tex_env, wall=60, cpu=30)[:2]
    sweep(kit, uid)
    src = d / 'changes.pdf'
    if status != 'exit 0' or not os.path.lexists(src) or not stat.S_ISREG(os.lstat(src).st_mode):
        errs = [l for l in o.splitlines() if l.startswith('!')]
        return f"the woven view of the changes could not be typeset (pdftex: {' | '.join(errs[:3]) or status}); " \
               f"TeX in a comment of the change file?"
    if os.lstat(src).st_size > 50 << 20:
        return "the woven view of the changes is too large"
    shutil.copyfile(src, pdf)
    return "changes.pdf: the sections changed, woven"


def write_reports(kit, name, results, out, total, maxp, pdf_note, extra, seconds):
    tests_json, lines = [], []
    stamp = datetime.datetime.now().strftime('%Y-%m-%d %H:%M')
    lines.append(f"attention.w exercises: feedback for {name}")
    lines.append(f"Graded {stamp}: {fmt(total)} of {fmt(maxp)} points.")
    lines.append("Public tests are the ones in your handout; hidden tests are run only by the grader.")
    if extra:
        lines.append(f"Ignored (not the name of an exercise's change file): {', '.join(extra)}")
    for ex, r in results:
        got = sum(t['score'] for t in r['tests'])
        lines.append('')
        lines.append(f"Exercise {ex.id} ({ex.difficulty}): {ex.title}: {fmt(got)}/{fmt(ex.points)}")
        for t in r['tests']:
            ok = t['status'] == 'passed'
            lines.append(f"  {'ok  ' if ok else 'FAIL'} {fmt(t['score']):>4}/{fmt(t['points']):<4} "
                         f"{t['visibility']:6s} {t['name']}: {t['what']}")
            if not ok:
                lines.append(f"       {t['message']}")
            tests_json.append(dict(
                name=f"Exercise {ex.id} ({ex.slug}): {t['name']}",
                score=t['score'], max_score=t['points'], status=t['status'],
                output=(t['what'] + ('' if ok else '\n' + t['message'])),
                visibility='visible' if t['visibility'] == 'public' else 'after_published'))
        warnings = [l for l in r.get('log', '').splitlines() if 'warning:' in l]
        if warnings:
            lines.append("  Compiler warnings (they cost nothing, but read them):")
            lines.extend(f"    {w}" for w in warnings[:10])
    lines.append('')
    lines.append(pdf_note)
    feedback = '\n'.join(lines) + '\n'
    (out / 'feedback.txt').write_text(feedback)
    (out / 'results.json').write_text(json.dumps(dict(
        score=total, execution_time=round(seconds, 1),
        output=f"{fmt(total)} of {fmt(maxp)} points. {pdf_note}",
        visibility='visible', stdout_visibility='hidden', tests=tests_json), indent=1) + '\n')
    build_log = []
    for ex, r in results:
        build_log.append(f"==== exercise {ex.id} {ex.slug}\n{r.get('log', '')}")
    (out / 'build.log').write_text('\n'.join(build_log) + '\n')


def fmt(x):
    return f"{x:g}"


def print_table(name, results, total, maxp):
    log(f"\n{'Exercise':24s} {'Test':44s} {'Points':>7s}  Message")
    for ex, r in results:
        for t in r['tests']:
            msg = t['message'] if t['status'] != 'passed' else ''
            log(f"{ex.slug:24s} {(t['name'] + (' (hidden)' if t['visibility'] == 'hidden' else ''))[:44]:44s} "
                f"{fmt(t['score']):>3}/{fmt(t['points']):<3}  {msg[:160]}")
        got = sum(t['score'] for t in r['tests'])
        log(f"{'':24s} {'= exercise ' + str(ex.id):44s} {fmt(got):>3}/{fmt(ex.points):<3}")
    log(f"Total for {name}: {fmt(total)} of {fmt(maxp)} points")


# ------------------------------------------------------ grading a class
def grade_class(kit, subs, out, jobs):
    subs, out = Path(subs), Path(out)
    root_dir(out, 0o755)
    students = sorted(p for p in subs.iterdir() if p.is_dir() and not p.is_symlink())
    skipped = sorted(p.name for p in subs.iterdir() if not (p.is_dir() and not p.is_symlink()))
    names = {}
    for p in students:
        safe = re.sub(r'[^A-Za-z0-9._-]', '_', p.name).lstrip('.') or 'student'
        while safe in names.values():
            safe += '_'
        names[p] = safe
    log(f"grader: {len(students)} students in {subs}, {jobs} at a time; results in {out}")
    t0 = time.time()
    rows = {}

    def one(p):
        o = out / names[p]
        cmd = [sys.executable, str(Path(__file__)), 'grade', str(p), '--out', str(o), '--name', p.name,
               '--prep', str(kit.dir), '--quiet']
        output = ''
        try:
            if (o / 'results.json').exists():
                (o / 'results.json').unlink()
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=3600)
            output = r.stdout
            data = json.loads((o / 'results.json').read_text())
            per = {}
            for t in data['tests']:
                slug = re.match(r'Exercise \d+ \(([^)]*)\)', t['name']).group(1)
                per[slug] = per.get(slug, 0.0) + t['score']
            return p, per, data['score'], ''
        except Exception as e:  # one student's failure never stops the class
            root_dir(o, 0o755)
            (o / 'feedback.txt').write_text(f"The grader failed on this submission; the instructor "
                                            f"must look at it.\ngrader error: {e}\n{output[-3000:]}\n")
            return p, {}, 0.0, 'grader error'

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for fut in concurrent.futures.as_completed([pool.submit(one, p) for p in students]):
            p, per, score, note = fut.result()
            rows[p] = (per, score, note)
            log(f"  {p.name:30s} {fmt(score):>5} {note}")
    with open(out / 'gradebook.csv', 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['student'] + [ex.slug for ex in kit.exercises] + ['total', 'note'])
        for p in students:
            per, score, note = rows[p]
            name = "'" + p.name if p.name[:1] in '=+-@\t\r' else p.name  # no formulas in spreadsheets
            w.writerow([name] + [fmt(per.get(ex.slug, 0.0)) for ex in kit.exercises]
                       + [fmt(score), note])
    elapsed = time.time() - t0
    env = dict(kit.env, python=sys.version.split()[0], kernel=platform.release(),
               graded=datetime.datetime.now().isoformat(timespec='seconds'),
               students=len(students), skipped_entries=skipped, parallel_jobs=jobs,
               seconds=round(elapsed, 1),
               exercises=[dict(slug=ex.slug, points=ex.points, difficulty=ex.difficulty,
                               tests=[(t['name'], t['points'], t['visibility'], t['seconds'])
                                      for t in ex.tests]) for ex in kit.exercises],
               max_points=sum(ex.points for ex in kit.exercises),
               pending=[ex.slug for ex in kit.all_exercises if ex.pending])
    (out / 'environment.json').write_text(json.dumps(env, indent=1) + '\n')
    with open(out / 'environment.txt', 'w') as f:
        for k in ('graded', 'kit_commit', 'attention_w_sha256', 'compiler', 'cflags', 'worker_link',
                  'libraries', 'cweb', 'python', 'kernel', 'cpus', 'sandbox', 'worker_limits',
                  'build_limits', 'parallel_jobs', 'students', 'seconds', 'max_points', 'pending'):
            f.write(f"{k}: {env[k]}\n")
    log(f"grader: {len(students)} students graded in {elapsed:.1f} s; {out / 'gradebook.csv'}")
    return rows, elapsed


# ---------------------------------------------------------------- handout
def student_change_file(ex, kit):
    """The file a student fills in: @x the stub @y the stub (to edit) @z."""
    regions = cweb.regions_of(kit.handout_lines, kit.handout_sections, ex.sections)
    nums = [regions[n][0].number for n in ex.sections]
    out = [f"Exercise {ex.id} ({ex.difficulty}, {fmt(ex.points)} points): {ex.title}.",
           f"Section{'s' if len(nums) > 1 else ''} {', '.join(map(str, nums))} of attention.pdf; "
           f"the statement is in exercises/{ex.slug}.md.",
           "Write your code between @y and @z, in place of the stub. Keep the lines",
           "between @x and @y exactly as they are: they say which lines you replace.",
           "Text outside @x ... @z, like this, is yours for notes.", ""]
    for name in ex.sections:
        sec, (a, e) = regions[name]
        out.append('@x')
        out.extend(kit.handout_lines[a:e])
        out.append('@y')
        out.extend(kit.handout_lines[a:e])
        out.append('@z')
        out.append('')
    return '\n'.join(out)


def build_handout(kit, dest):
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    (dest / 'exercises').mkdir(parents=True)
    (dest / 'tests' / 'grader').mkdir(parents=True)
    shutil.copy(kit.dir / 'webs' / 'handout.w', dest / 'attention.w')
    for f in ('judge.h', 'proto.h', 'sandbox.h', 'worker.c', 'refmodel.h', 'cweb.py'):
        shutil.copy(HERE / f, dest / 'tests' / 'grader' / f)
    shutil.copy(HERE / 'handout' / 'answers.py', dest / 'tests' / 'grader' / 'answers.py')
    shutil.copy(HERE / 'handout' / 'Makefile', dest / 'Makefile')
    shutil.copy(HERE / 'handout' / 'README.md', dest / 'README.md')
    index = []
    for ex in kit.exercises:
        (dest / 'exercises' / ex.chname).write_text(student_change_file(ex, kit))
        (dest / 'exercises' / f'{ex.slug}.md').write_text((EXERCISES / ex.slug / 'README.md').read_text())
        jd = dest / 'tests' / 'exercises' / ex.slug
        jd.mkdir(parents=True)
        shutil.copy(JUDGES / ex.slug / 'public.c', jd / 'public.c')
        index.append(dict(id=ex.id, slug=ex.slug, title=ex.title, difficulty=ex.difficulty,
                          points=ex.points, sections=ex.sections,
                          public_points=sum(t['points'] for t in ex.tests if t['visibility'] == 'public')))
    (dest / 'exercises' / 'exercises.json').write_text(json.dumps(index, indent=1) + '\n')
    # the book, woven from the handout's web: exercises marked, no solutions
    (dest / 'book').mkdir()
    run(['cweave', '../attention.w', '-', 'attention.tex'], cwd=dest / 'book')
    for _ in range(2):
        run(['pdftex', '-interaction=nonstopmode', '-halt-on-error', 'attention.tex'], cwd=dest / 'book')
    shutil.move(dest / 'book' / 'attention.pdf', dest / 'attention.pdf')
    shutil.rmtree(dest / 'book')
    leaks = solution_leaks(kit, dest)
    if leaks:
        raise RuntimeError("the handout contains reference code:\n" + '\n'.join(leaks[:20]))
    log(f"grader: handout written to {dest} ({len(kit.exercises)} exercises, "
        f"{sum(ex.points for ex in kit.exercises)} points)")


def solution_leaks(kit, dest):
    """Lines of the reference answers that appear in the handout's web, change
    files or statements (lines that also occur elsewhere in attention.w or in
    a stub, like '}' or 'k.eps = (float) eps;', do not count)."""
    regions = set()
    for ex in kit.exercises:
        for name, (sec, (a, e)) in cweb.regions_of(kit.master_lines, kit.master_sections, ex.sections).items():
            regions.update(range(a, e))
    public = {l.strip() for i, l in enumerate(kit.master_lines) if i not in regions}
    for blocks in kit.stubs.values():
        for b in blocks:
            public.update(l.strip() for l in b.new)
    secret = {kit.master_lines[i].strip() for i in regions} - public
    secret = {s for s in secret if len(s) > 12}
    dest = Path(dest)
    files = [dest / 'attention.w', dest / 'README.md'] + sorted((dest / 'exercises').glob('*'))
    leaks = []
    for f in files:
        if f.is_file():
            for k, line in enumerate(f.read_text(errors='replace').split('\n'), 1):
                if line.strip() in secret:
                    leaks.append(f"{f}:{k}: {line.strip()}")
    return leaks


def write_solutions(kit):
    SOLUTIONS.mkdir(exist_ok=True)
    for ex in kit.exercises:
        regions = cweb.regions_of(kit.master_lines, kit.master_sections, ex.sections)
        out = [f"Exercise {ex.id}: the reference answer, as a student submits it (written by",
               "tests/grader/grader.py solutions from attention.w; make check grades it).", ""]
        for name, b in zip(ex.sections, kit.stubs[ex.slug]):
            sec, (a, e) = regions[name]
            out += ['@x'] + b.new + ['@y'] + kit.master_lines[a:e] + ['@z', '']
        (SOLUTIONS / ex.chname).write_text('\n'.join(out))
    log(f"grader: wrote {len(kit.exercises)} files in solutions/")


# ---------------------------------------------- section numbers in READMEs
SECTIONS_LINE = re.compile(r'^\*\*Sections:\*\* .*$', re.M)


def sections_line(kit, ex):
    regions = cweb.regions_of(kit.master_lines, kit.master_sections, ex.sections)
    nums = ', '.join(f"§{regions[n][0].number}" for n in ex.sections)
    st = [s.number for s in kit.master_sections
          if kit.master_lines[s.start].startswith(f"@ Exercise~{ex.id} ")]
    where = f" (statement in §{st[0]})" if st else " (no statement in the book!)"
    return f"**Sections:** {nums} of the book{where}. **Your file:** `exercises/{ex.chname}`."


def check_readmes(kit, fix=False):
    """The section numbers in exercises/*/README.md against attention.w (they
    move when sections are added before them)."""
    stale = []
    for ex in kit.exercises:
        f = EXERCISES / ex.slug / 'README.md'
        text = f.read_text()
        want = sections_line(kit, ex)
        m = SECTIONS_LINE.search(text)
        if not m or m.group(0) != want:
            stale.append(f"{f.relative_to(ROOT)}: want '{want}'")
            if fix and m:
                f.write_text(text[:m.start()] + want + text[m.end():])
    return stale


# ------------------------------------------------------------- self-checks
def selfcheck(kit):
    failures = []

    def expect(cond, what):
        log(f"selfcheck: {'ok  ' if cond else 'FAIL'} {what}")
        if not cond:
            failures.append(what)

    t0 = time.time()
    base = ROOT / 'build' / 'selfcheck'
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    os.chmod(base, 0o755)
    stale = check_readmes(kit)
    expect(not stale, "the section numbers in exercises/*/README.md are current (else: grader.py sections --fix)"
           + (f": {stale[0]}" if stale else ''))
    # the solutions in solutions/ are what attention.w and the stubs say
    for ex in kit.exercises:
        regions = cweb.regions_of(kit.master_lines, kit.master_sections, ex.sections)
        blocks = cweb.parse_change((SOLUTIONS / ex.chname).read_text())
        want = [kit.master_lines[a:e] for (_, (a, e)) in (regions[n] for n in ex.sections)]
        expect([b.new for b in blocks] == want and [b.old for b in blocks] == [s.new for s in kit.stubs[ex.slug]],
               f"solutions/{ex.chname} is the reference answer of attention.w (else: grader.py solutions)")
    # the handout: built, no solution in it, compiles and runs
    hand = base / 'handout'
    build_handout(kit, hand)
    expect(not solution_leaks(kit, hand), "the handout holds no line of the reference answers")
    expect(not list(hand.rglob('hidden.c')) and not list(hand.rglob('stub.ch')),
           "the handout holds no hidden test and no stub change file")
    p = subprocess.run(['make', '-C', str(hand), 'attention'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    expect(p.returncode == 0 and 'warning' not in p.stdout, "the untouched handout builds without a warning")
    if p.returncode != 0 or 'warning' in p.stdout:
        log(p.stdout[-3000:])
    p = subprocess.run(['make', '-C', str(hand), 'run', 'EPOCHS=3'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    expect(p.returncode == 0 and 'translated exactly' in p.stdout, "the untouched handout's make run runs")
    p = subprocess.run(['make', '-C', str(hand), 'test', 'EX=03-softmax'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    expect(p.returncode == 0 and re.search(r'0 of \d+ points \(public tests\)', p.stdout) is not None,
           "the handout's public tests run and give the untouched exercise 3 nothing")
    # the handout with every solution in it: the public tests of the exercises
    # that call others pass (make test builds with all the student's answers)
    full = base / 'handout-solved'
    shutil.copytree(hand, full)
    for ex in kit.exercises:
        shutil.copy(SOLUTIONS / ex.chname, full / 'exercises' / ex.chname)
    for slug in ('05-attention', '10-greedy'):
        ex = next(e for e in kit.exercises if e.slug == slug)
        pub = fmt(sum(t['points'] for t in ex.tests if t['visibility'] == 'public'))
        p = subprocess.run(['make', '-C', str(full), 'test', f'EX={slug}'], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        expect(f"{pub} of {pub} points (public tests)" in p.stdout,
               f"in the handout with all the answers, exercise {ex.id}'s public tests pass")
    cache = {}
    maxp = sum(ex.points for ex in kit.exercises)
    # every solution: full marks
    _, res, total, _ = grade_student(kit, SOLUTIONS, base / 'grades' / 'solutions', 'solutions', cache, quiet=True)
    for ex, r in res:
        got = sum(t['score'] for t in r['tests'])
        bad = [f"{t['name']}: {t['message']}" for t in r['tests'] if t['status'] != 'passed']
        expect(got == ex.points, f"solution of exercise {ex.id} gets {fmt(got)}/{fmt(ex.points)}"
               + (f" ({bad[0][:300]})" if bad else ''))
    expect(total == maxp, f"all solutions together get {fmt(total)}/{fmt(maxp)}")
    expect((base / 'grades' / 'solutions' / 'changes.pdf').exists(), "the woven view of the changes is made")
    # the untouched handout: zero everywhere
    _, res, total, _ = grade_student(kit, hand / 'exercises', base / 'grades' / 'untouched', 'untouched',
                                     cache, quiet=True)
    for ex, r in res:
        got = sum(t['score'] for t in r['tests'])
        passed = [t['name'] for t in r['tests'] if t['status'] == 'passed']
        built = not any(t['message'].startswith(('does not compile', 'change file rejected', 'ctangle'))
                        for t in r['tests'])
        expect(got == 0 and built, f"untouched exercise {ex.id} builds and gets {fmt(got)}"
               + (f" (passes {passed})" if passed else ''))
    # one solution among untouched files: that exercise's points only
    for ex in kit.exercises:
        d = base / 'mixed' / ex.slug
        d.mkdir(parents=True)
        for e2 in kit.exercises:
            src = SOLUTIONS / e2.chname if e2 is ex else hand / 'exercises' / e2.chname
            shutil.copy(src, d / e2.chname)
        _, res, total, _ = grade_student(kit, d, base / 'grades' / 'mixed' / ex.slug, ex.slug, cache, quiet=True)
        expect(total == ex.points, f"the solution of exercise {ex.id} alone gets {fmt(total)} = its {fmt(ex.points)} points")
    # a missing file is a zero, not an error
    d = base / 'only-one'
    d.mkdir()
    shutil.copy(SOLUTIONS / kit.exercises[2].chname, d)
    _, res, total, _ = grade_student(kit, d, base / 'grades' / 'only-one', 'only-one', cache, quiet=True)
    expect(total == kit.exercises[2].points, f"a submission of one file gets that exercise's points ({fmt(total)})")
    # the grader's own steps on a student's text are linear: 10,000 decoys
    # before a definition (a regular expression took seconds on 4,000)
    text = 'gru_unit_forward(0) + ' * 10000 + ';\nstatic float gru_unit_forward(float a)\n{ return a; }\n'
    t1 = time.time()
    at = function_start(text, 'gru_unit_forward')
    dt = time.time() - t1
    expect(at == text.index('{ return') + 1 and dt < 2,
           f"the function's body is found in one pass over 10,000 decoys ({dt:.2f} s)")
    log(f"selfcheck: solutions, handout and isolation checked in {time.time() - t0:.0f} s")
    # hostile submissions, graded as a class next to two honest ones
    hostile_check(kit, base, expect)
    log(f"selfcheck: {len(failures)} failures, {time.time() - t0:.0f} s")
    return failures


def hostile_check(kit, base, expect):
    cls = base / 'class'
    cls.mkdir()
    spec = {}
    for d in sorted((ROOT / 'tests' / 'submissions').iterdir()):
        if not d.is_dir():
            continue
        e = json.loads((d / 'expect.json').read_text())
        if e.get('root_only') and not IS_ROOT:
            log(f"selfcheck: skip {d.name}: {e.get('why', '')} (needs root to be safe)")
            continue
        if e.get('namespaces') and not kit_has_namespaces(kit):
            log(f"selfcheck: skip {d.name}: {e.get('why', '')} (needs the sandbox's namespaces, "
                f"which this machine does not allow: {kit.env['sandbox']})")
            continue
        shutil.copytree(d, cls / d.name, symlinks=True)
        for f in (cls / d.name).glob('*.ch'):
            if not f.is_symlink():   # the attacks name the kit's real files
                f.write_text(f.read_text().replace('REPO_ROOT', str(ROOT)))
        spec[d.name] = e
    for k in (1, 2):
        shutil.copytree(SOLUTIONS, cls / f'honest-{k}')
    canaries = [ROOT / 'attention.w', ROOT / 'Makefile', SOLUTIONS / kit.exercises[0].chname]
    before = {c: sha256(c.read_bytes()) for c in canaries}
    keys_before = sandbox_keys()
    out = base / 'class-grades'
    rows, elapsed = grade_class(kit, cls, out, os.cpu_count() or 2)
    maxp = sum(ex.points for ex in kit.exercises)
    byname = {p.name: v for p, v in rows.items()}
    for k in (1, 2):
        per, score, note = byname[f'honest-{k}']
        expect(score == maxp, f"honest student {k} next to the hostile ones gets {fmt(score)}/{fmt(maxp)}")
    for name, e in spec.items():
        per, score, note = byname[name]
        fb = (out / name / 'feedback.txt').read_text() if (out / name / 'feedback.txt').exists() else ''
        got = per.get(e['exercise'], 0.0)
        msg_ok = re.search(e['message'], fb) is not None and not ('absent' in e and re.search(e['absent'], fb))
        secs = None
        if 'max_seconds' in e and (out / name / 'results.json').exists():
            secs = json.loads((out / name / 'results.json').read_text()).get('execution_time')
        fast = 'max_seconds' not in e or (secs is not None and secs <= e['max_seconds'])
        expect(got == e.get('score', 0) and score == e.get('total', e.get('score', 0)) and msg_ok and not note
               and fast,
               f"hostile '{name}' ({e['why']}): {fmt(got)} points on {e['exercise']}"
               + ('' if msg_ok else f"; feedback lacks /{e['message']}/ or has /{e.get('absent')}/")
               + (f"; graded in {secs} s" if 'max_seconds' in e else ''))
    leaks = hidden_leaks(out)
    expect(not leaks, "no student's feedback, build log or changes.pdf holds a line of a hidden test"
           + (f": {leaks[0]}" if leaks else ''))
    for c in canaries:
        expect(c.exists() and sha256(c.read_bytes()) == before[c], f"{c.relative_to(ROOT)} is intact")
    gb = list(csv.reader(open(out / 'gradebook.csv')))
    expect(len(gb) == 1 + len(byname) and gb[0][-2:] == ['total', 'note'], "gradebook.csv has a row per student")
    expect((out / 'environment.txt').exists(), "environment.txt records the compiler, flags and libraries")
    busy_uids(refresh=True)   # other graders at work on this machine are not our leftovers
    leftovers = subprocess.run(['ps', '-eo', 'uid='], stdout=subprocess.PIPE, text=True).stdout.split()
    expect(not [u for u in leftovers if is_sandbox_uid(u)],
           "no process of a sandbox user is left"
           + (f" (other graders hold uids {sorted(busy_uids())})" if busy_uids() else ''))
    if kit_has_namespaces(kit):
        left = sandbox_leftovers(keys_before)
        expect(not left, "no IPC object, POSIX message queue, key or file of a sandbox user is left"
               + (f": {'; '.join(left[:4])}" if left else ''))


def kit_has_namespaces(kit):
    return IS_ROOT and kit.env['sandbox'].startswith('root: per run fresh')


def is_sandbox_uid(uid):
    return UID_BASE <= int(uid) < UID_BASE + UID_SLOTS and int(uid) not in busy_uids()


_BUSY = None


def busy_uids(refresh=False):
    """The sandbox user ids that another grader on this machine holds now (its
    lock is taken): what they own is theirs, not a leftover of ours."""
    global _BUSY
    if _BUSY is None or refresh:
        _BUSY = set()
        for i in range(UID_SLOTS):
            try:
                fd = os.open(UID_LOCKS / f'{UID_BASE + i}', os.O_RDWR)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError:
                _BUSY.add(UID_BASE + i)
            finally:
                os.close(fd)
    return _BUSY


def sandbox_keys():
    """{uid: number of keys} of the sandbox users, from /proc/key-users."""
    keys = {}
    try:
        for line in Path('/proc/key-users').read_text().splitlines():
            uid, rest = line.split(':', 1)
            if is_sandbox_uid(uid.strip()):
                keys[int(uid)] = int(rest.split()[1].split('/')[0])
    except (OSError, ValueError, IndexError):
        pass
    return keys


def sandbox_leftovers(keys_before):
    """What the sandbox users own after a class: SysV shared memory, message
    queues and semaphores, POSIX message queues, keys, files in the shared
    temporary folders."""
    left = []
    for kind in ('shm', 'msg', 'sem'):
        try:
            rows = Path(f'/proc/sysvipc/{kind}').read_text().split('\n')
        except OSError:
            continue
        head = rows[0].split()
        for r in rows[1:]:
            f = r.split()
            if len(f) == len(head) and is_sandbox_uid(f[head.index('uid')]):
                left.append(f"SysV {kind} key {f[0]} of uid {f[head.index('uid')]}")
    for uid, n in sandbox_keys().items():
        if n > keys_before.get(uid, 0):
            left.append(f"{n - keys_before.get(uid, 0)} new keys of uid {uid}")
    if private_mounts():   # POSIX message queues: the mqueue file system lists them
        d = Path(tempfile.mkdtemp(prefix='attention-mq-'))
        if libc().mount(b'mqueue', str(d).encode(), b'mqueue', 0, None) == 0:
            left += [f"POSIX message queue /{q.name} of uid {q.stat().st_uid}" for q in d.iterdir()
                     if is_sandbox_uid(q.stat().st_uid)]
            libc().umount2(str(d).encode(), 2)
        d.rmdir()
    p = subprocess.run(['find', '/tmp', '/var/tmp', '/dev/shm', '-xdev', '-uid', f'+{UID_BASE - 1}', '-uid',
                        f'-{UID_BASE + UID_SLOTS}', '-printf', '%U %p\\n'], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, timeout=120)
    left += [f"file {f.split(' ', 1)[1]}" for f in p.stdout.split('\n') if f and is_sandbox_uid(f.split(' ', 1)[0])][:5]
    return left


def hidden_leaks(out):
    """Lines of the hidden tests (those not in the public ones) found in what
    the students get back: any such line as a line of theirs, and the first
    ten of each hidden.c (where a leak of its beginning would show) anywhere."""
    lines, first = set(), []
    for ex_dir in sorted(JUDGES.iterdir()):
        if not (ex_dir / 'hidden.c').exists():
            continue
        public = {l.strip() for l in (ex_dir / 'public.c').read_text().split('\n')} \
            if (ex_dir / 'public.c').exists() else set()
        mine = [l.strip().encode() for l in (ex_dir / 'hidden.c').read_text().split('\n')
                if len(l.strip()) >= 30 and l.strip() not in public]
        lines |= set(mine)
        first += mine[:10]
    leaks = []
    for f in sorted(out.glob('*/*')):
        if f.is_file() and f.name in ('feedback.txt', 'build.log', 'changes.pdf', 'results.json'):
            data = f.read_bytes()
            hit = next((l for l in first if l in data), None) \
                or next((l.strip() for l in data.split(b'\n') if l.strip() in lines), None)
            if hit:
                leaks.append(f"{f.relative_to(out)}: {hit[:60].decode(errors='replace')}")
    return leaks


# --------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = ap.add_subparsers(dest='cmd', required=True)
    h = sp.add_parser('handout')
    h.add_argument('--out', default=str(ROOT / 'handout'))
    g = sp.add_parser('grade')
    g.add_argument('sub')
    g.add_argument('--out')
    g.add_argument('--name')
    g.add_argument('--prep', help=argparse.SUPPRESS)
    g.add_argument('--quiet', action='store_true')
    c = sp.add_parser('grade-class')
    c.add_argument('submissions')
    c.add_argument('--out', default=str(ROOT / 'grades' / 'class'))
    c.add_argument('--jobs', type=int, default=os.cpu_count() or 2)
    sp.add_parser('selfcheck')
    sp.add_parser('solutions')
    se = sp.add_parser('sections')
    se.add_argument('--fix', action='store_true', help='rewrite the Sections lines of the READMEs')
    a = ap.parse_args()
    kit = Kit(quiet=getattr(a, 'quiet', False), prep=getattr(a, 'prep', None))
    if not IS_ROOT and a.cmd in ('grade', 'grade-class', 'selfcheck'):
        print("grader: WARNING: not root, so student code runs as this user, can read what this "
              "user reads and reach the network; rlimits, timeouts and output caps still hold. "
              "Grade as root (or in a container) for the full sandbox.", file=sys.stderr)
    if IS_ROOT and a.cmd in ('grade', 'grade-class', 'selfcheck') and 'WITHOUT namespaces' in kit.env['sandbox']:
        print(f"grader: WARNING: {kit.env['sandbox']}", file=sys.stderr)
    if IS_ROOT and a.cmd in ('grade', 'grade-class', 'selfcheck') and 'NO memory cgroup' in kit.env['sandbox']:
        print("grader: WARNING: no memory cgroup on this machine: shared memory and tmpfs pages "
              "are not counted against the sandbox's memory limit (see environment.txt)", file=sys.stderr)
    if a.cmd == 'handout':
        build_handout(kit, a.out)
    elif a.cmd == 'grade':
        sub = Path(a.sub)
        if not sub.is_dir():
            die(f"{sub}: not a folder of change files")
        out = Path(a.out) if a.out else ROOT / 'grades' / sub.resolve().name
        name, results, total, maxp = grade_student(kit, sub, out, a.name, quiet=a.quiet)
        if not a.quiet:
            print_table(name, results, total, maxp)
            log(f"grader: wrote {out}/results.json, feedback.txt, build.log"
                + (", changes.pdf" if (out / 'changes.pdf').exists() else ''))
    elif a.cmd == 'grade-class':
        grade_class(kit, a.submissions, a.out, max(1, a.jobs))
    elif a.cmd == 'selfcheck':
        failures = selfcheck(kit)
        if failures:
            print("selfcheck FAILED:\n  " + '\n  '.join(failures))
            sys.exit(1)
        print("selfcheck: all passed")
    elif a.cmd == 'solutions':
        write_solutions(kit)
    elif a.cmd == 'sections':
        for ex in kit.exercises:
            log(f"{ex.slug}: {sections_line(kit, ex)}")
        stale = check_readmes(kit, a.fix)
        for st in stale:
            log(("fixed " if a.fix else "stale ") + st)


if __name__ == '__main__':
    main()

"""Reading webs and change files the way ctangle reads them.

A web is split into sections; a named section's *region* is the code after
its `@<Name@>=` line, up to the next section, without trailing blank lines.
An exercise owns the regions of its named sections.

A change file is a list of blocks `@x old lines @y new lines @z`; text outside
blocks is commentary. ctangle applies a block at the FIRST web line, after the
previous block, that equals the block's first old line (trailing white space
ignored); the other old lines must follow exactly. `simulate` reproduces that
and says where each block lands, so a student's change file can be checked
before anything is built: every block must land inside the regions of the
exercise's own sections, and no new line may start a section, define a
section or an output file, include a file (@i, #include) or use asm.
"""
import re

SECTION_START = re.compile(r'^@([ \t*]|$)')
DEFINITION = re.compile(r'@<(.+?)@>\s*\+?=')
MAX_LINE = 500          # longer lines are rejected (ctangle's buffer is finite)
MAX_CHANGE_BYTES = 200_000

# What no line of an answer may contain, with the reason shown to the student.
# Every pattern is linear in the line (no nested or lazy repetition that a
# student's text could make backtrack); the CWEB control codes are found by
# control_codes(), which reads a line once, as ctangle does (@@ is an @).
FORBIDDEN = [
    (re.compile(r'(#|%:|\?\?=)[ \t]*(include|include_next|import|embed)\b'), "includes a file"),
    (re.compile(r'\b(asm|__asm__|__asm)\b'), "uses asm"),
]
FORBIDDEN_CODES = {
    ' ': "starts a new section (an answer stays inside its section)",
    '\t': "starts a new section (an answer stays inside its section)",
    '*': "starts a new section (an answer stays inside its section)",
    '': "starts a new section (an answer stays inside its section)",
    '(': "names an output file",
    '=': "writes verbatim text into the code",
    'x': "looks like a stray @x, @y or @z", 'y': "looks like a stray @x, @y or @z",
    'z': "looks like a stray @x, @y or @z",
}
for _c in 'dfscpi':
    FORBIDDEN_CODES[_c] = "is a CWEB definition, format or include line"
TANGLED_FORBIDDEN = FORBIDDEN + [
    (re.compile(r'\b_Pragma\b|(#|%:|\?\?=)[ \t]*pragma\b'), "uses a pragma"),
]


def control_codes(line):
    """(position, code) of each CWEB control code in |line|, in one pass:
    code is the character after the @ ('' at the end of the line), lower case."""
    out, i, n = [], 0, len(line)
    while True:
        i = line.find('@', i)
        if i < 0:
            return out
        c = line[i + 1:i + 2]
        if c == '@':
            i += 2
            continue
        out.append((i, c.lower()))
        i += 2


def defines_section(line, codes):
    """Whether a section name in |line| is followed by = or + = (a definition,
    or an addition to one): @<...@> then blanks, an optional +, blanks, =."""
    for i, c in codes:
        if c != '<':
            continue
        j = line.find('@>', i + 2)
        while j >= 0 and line[j - 1:j] == '@' and line[j - 2:j - 1] != '@':
            j = line.find('@>', j + 1)
        if j < 0:
            continue
        k = j + 2
        while k < len(line) and line[k] in ' \t':
            k += 1
        if line[k:k + 1] == '+':
            k += 1
            while k < len(line) and line[k] in ' \t':
                k += 1
        if line[k:k + 1] == '=':
            return True
    return False


def line_problem(line):
    """Why a new line of an answer is refused, or None."""
    codes = control_codes(line)
    for _, c in codes:
        if c in FORBIDDEN_CODES:
            return FORBIDDEN_CODES[c]
    if defines_section(line, codes):
        return "defines a named section (an answer stays inside its section)"
    for pat, why in FORBIDDEN:
        if pat.search(line):
            return why
    return None


def norm_name(s):
    return ' '.join(s.split())


class Section:
    def __init__(self, number, start):
        self.number = number      # CWEB's section number, 1, 2, ...
        self.start = start        # index of its first line
        self.end = None           # index after its last line
        self.name = None          # name of the section it defines, if any
        self.code_start = None    # index of the line after the definition line

    def region(self, lines):
        """(first, end) line indices of the code, trailing blank lines dropped."""
        if self.code_start is None:
            return None
        e = self.end
        while e > self.code_start and not lines[e - 1].strip():
            e -= 1
        return (self.code_start, e)


def parse_web(lines):
    sections = []
    for i, line in enumerate(lines):
        if SECTION_START.match(line):
            if sections:
                sections[-1].end = i
            sections.append(Section(len(sections) + 1, i))
        if sections and sections[-1].code_start is None:
            m = DEFINITION.search(line)
            if m:
                sections[-1].name = norm_name(m.group(1))
                sections[-1].code_start = i + 1
            elif line.startswith('@c') or line.startswith('@p') or line.startswith('@('):
                sections[-1].code_start = i + 1
    if sections:
        sections[-1].end = len(lines)
    return sections


def section_of_line(sections, i):
    """The section that holds line index i (None in limbo)."""
    lo, hi, found = 0, len(sections) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if sections[mid].start <= i:
            found, lo = sections[mid], mid + 1
        else:
            hi = mid - 1
    return found


def regions_of(lines, sections, names):
    """{name: (section, (first, end))} for the named sections; KeyError if absent."""
    out = {}
    for name in names:
        n = norm_name(name)
        hits = [s for s in sections if s.name == n]
        if len(hits) != 1:
            raise KeyError(f"section @<{name}@> is defined {len(hits)} times in the web")
        out[name] = (hits[0], hits[0].region(lines))
    return out


class ChangeError(Exception):
    pass


class Block:
    def __init__(self, x_line):
        self.x_line = x_line      # 1-based line of the @x in the change file
        self.y_line = None
        self.old = []
        self.new = []
        self.at = None            # where it lands in the web (line index)


def parse_change(text, fname='change file'):
    """The blocks of a change file, or ChangeError with the line at fault."""
    if '\0' in text:
        raise ChangeError(f"{fname} contains a NUL byte")
    blocks, cur, state = [], None, 'out'
    for k, line in enumerate(text.split('\n'), 1):
        if len(line) > MAX_LINE:
            raise ChangeError(f"{fname}:{k}: a line of {len(line)} characters (at most {MAX_LINE})")
        tag = line[:2].lower() if line.startswith('@') else ''
        if tag == '@x':
            if state != 'out':
                raise ChangeError(f"{fname}:{k}: @x inside a change (the previous one has no @z)")
            cur, state = Block(k), 'old'
        elif tag == '@y':
            if state != 'old':
                raise ChangeError(f"{fname}:{k}: @y without @x before it")
            if not cur.old:
                raise ChangeError(f"{fname}:{k}: the change that starts at line {cur.x_line} "
                                  f"has no lines between @x and @y")
            cur.y_line, state = k, 'new'
        elif tag == '@z':
            if state != 'new':
                raise ChangeError(f"{fname}:{k}: @z without @x and @y before it")
            blocks.append(cur)
            cur, state = None, 'out'
        elif state == 'old':
            cur.old.append(line)
        elif state == 'new':
            cur.new.append(line)
        elif line.lstrip().startswith('@i') or line.lstrip().startswith('@I'):
            raise ChangeError(f"{fname}:{k}: an @i line (file inclusion) is not allowed")
    if state != 'out':
        raise ChangeError(f"{fname}: the change that starts at line {cur.x_line} has no @z")
    return blocks


def check_new_lines(blocks, fname):
    for b in blocks:
        for j, line in enumerate(b.new):
            why = line_problem(line)
            if why:
                raise ChangeError(f"{fname}:{b.y_line + 1 + j}: this line {why}: {line.strip()[:80]!r}")


def simulate(lines, blocks, fname='change file'):
    """Find where ctangle applies each block; sets block.at. ChangeError if a block
    does not match. Lines are compared with trailing white space removed."""
    web = [l.rstrip() for l in lines]
    pos = 0
    for b in blocks:
        first = b.old[0].rstrip()
        try:
            i = web.index(first, pos)
        except ValueError:
            where = ' after the previous change' if pos else ''
            raise ChangeError(
                f"{fname}:{b.x_line + 1}: the @x line {b.old[0].strip()[:70]!r} does not occur "
                f"in the handout's attention.w{where}: the lines between @x and @y must be "
                f"copied exactly from the handout (keep them as they were given)")
        for j, old in enumerate(b.old):
            if i + j >= len(web) or web[i + j] != old.rstrip():
                have = web[i + j] if i + j < len(web) else '(end of file)'
                raise ChangeError(
                    f"{fname}:{b.x_line + 1 + j}: this @x line does not match the handout: "
                    f"ctangle matched the block's first line at line {i + 1} of attention.w, "
                    f"where line {i + 1 + j} is {have.strip()[:70]!r} but your file has "
                    f"{old.strip()[:70]!r}")
        b.at = i
        pos = i + len(b.old)
    return blocks


def check_inside(lines, sections, blocks, allowed, exercise, fname):
    """Every block must land inside one of the |allowed| regions {name: (section, (a, e))}."""
    for b in blocks:
        lo, hi = b.at, b.at + len(b.old)
        if any(a <= lo and hi <= e for (_, (a, e)) in allowed.values()):
            continue
        s = section_of_line(sections, lo)
        what = f"section {s.number}" + (f" (@<{s.name}@>)" if s and s.name else "") if s else "the limbo"
        names = ', '.join(f"{sec.number}" for (sec, _) in allowed.values())
        raise ChangeError(
            f"{fname}:{b.x_line}: this change edits line {lo + 1} of attention.w, in {what}, "
            f"which is not part of exercise {exercise}: its change file may only replace lines "
            f"of section{'s' if len(allowed) > 1 else ''} {names}")


def compose(web_lines, changes):
    """One change file from several already-checked ones (a list of (fname, blocks)),
    blocks in web order, and a map from its lines to (fname, line) for #line fixing.
    Returns (text, linemap) with linemap[k] = (fname, line) for 1-based line k."""
    all_blocks = [(b.at, fname, b) for fname, blocks in changes for b in blocks
                  if [l.rstrip() for l in b.old] != [l.rstrip() for l in b.new]]  # (no-op blocks change nothing)
    all_blocks.sort(key=lambda t: t[0])
    out, linemap = [], {}
    for _, fname, b in all_blocks:
        out.append('@x')
        out.extend(b.old)
        out.append('@y')
        for j, line in enumerate(b.new):
            out.append(line)
            linemap[len(out)] = (fname, b.y_line + 1 + j)
        out.append('@z')
    return '\n'.join(out) + '\n', linemap


def fix_line_directives(c_text, composed_name, linemap):
    """Point the #line directives that name the composed change file at the
    student's own files."""
    def repl(m):
        n = int(m.group(1))
        if n in linemap:
            f, k = linemap[n]
            return f'#line {k} "{f}"'
        return m.group(0)
    return re.sub(r'#line (\d+) "' + re.escape(composed_name) + '"', repl, c_text)


def fix_change_file_names(c_text, web_name, ch_name):
    """ctangle 4.7 (TeX Live 2022) writes a wrong file name in the #line
    directives of lines that come from the change file, in every output file
    but the first (e.g. '#line 9 "kit_fail"'); the line numbers are right. The
    only two sources are the web and the change file (neither may include
    files), so every name that is not the web's is the change file's. The
    wrong name is whatever lay in ctangle's buffer: a NUL byte and a newline
    and the rest of a section name have been seen, so a name may run over a
    few lines to its closing quote."""
    def repl(m):
        return m.group(0) if m.group(2) == web_name else f'#line {m.group(1)} "{ch_name}"'
    return re.sub(r'^#line (\d+) "((?:[^"\n]*\n){0,3}[^"\n]*)"$', repl, c_text, flags=re.M)


# ------------------------------------------- the tangled text, as ctangle wrote it
MARKER_BODY = re.compile(r'(:?)(\d+)(:?)')
LINE_DIRECTIVE = re.compile(r'#line (\d+) "([^"\n]*)"')


def spliced_lines(text):
    """The lines of C text after the preprocessor's line splices (a backslash
    at the end of a line joins the next)."""
    return text.replace('\\\n', '').split('\n')


def trailing_markers(line):
    """Split off the section markers that end |line| (ctangle writes them at
    the end of a line of code, or on lines of their own): (code, markers),
    markers as (opens, number) in order. One pass from the end of the line."""
    marks = []
    while line.endswith('*/'):
        i = line.rfind('/*', 0, len(line) - 2)
        m = MARKER_BODY.fullmatch(line, i + 2, len(line) - 2) if i >= 0 else None
        if not m or bool(m.group(1)) == bool(m.group(3)):
            break
        marks.append((bool(m.group(3)), int(m.group(2))))
        line = line[:i]
    return line, marks[::-1]


def tangled_sections(text, source):
    """Read ctangle's output once: the section markers it writes (/\*N:*/ opens
    section N's code, /\*:N*/ closes it) and its #line directives. Returns
    (numbers, pieces, problem): every section number that occurs, and for each
    line of code that came from |source| (the change file) the innermost
    section it lies in, as (number, line). (A change file cannot write a
    marker: ctangle drops comments, and verbatim text, @=, is refused.)"""
    stack, numbers, pieces, src = [], set(), [], None
    for line in spliced_lines(text):
        m = LINE_DIRECTIVE.fullmatch(line)
        if m:
            src = m.group(2)
            continue
        code, marks = trailing_markers(line)
        if src == source and code.strip():
            pieces.append((stack[-1] if stack else None, code))
        for opens, n in marks:
            if opens:
                stack.append(n)
                numbers.add(n)
            elif not stack or stack[-1] != n:
                return numbers, pieces, f"section {n}'s code ends where it did not begin"
            else:
                stack.pop()
    return numbers, pieces, None

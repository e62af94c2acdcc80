"""One unified diff for every edited config file.

- paths are relative to a base directory (`patch_base`): the `--root` when
  there is one (so the patch reads `a/etc/nginx/nginx.conf` and applies from
  the image's top), else the deepest directory holding every file the
  configuration read (`/etc/nginx` for a stock install); a symlinked
  `sites-enabled` entry appears at its real path;
- `a/` and `b/` prefixes: `cd BASE && patch -p1 < confcheck.patch` and
  `git apply` (run from BASE) both accept it;
- lines are compared as bytes (decoded with surrogateescape, so nothing is
  lost), CRLF newlines are kept, and a last line without a newline gets
  `\\ No newline at end of file` as diff(1) writes it;
- names with spaces, quotes, backslashes or control characters are C-quoted
  (`"a/with space.conf"`), which both git and GNU patch read (GNU patch would
  cut an unquoted name at the space).
"""

from __future__ import annotations

import difflib
import os
import posixpath
from typing import Iterable, Iterator, Sequence

from .edits import FilePlan

NO_NEWLINE = "\\ No newline at end of file\n"


def patch_base(paths: Iterable[str], root: str | None = None) -> str:
    """The directory patch paths are relative to."""
    paths = [os.path.abspath(p) for p in paths]
    if root:
        top = os.path.abspath(root)
        if all(p == top or p.startswith(top.rstrip("/") + "/") for p in paths):
            return top
    if not paths:
        return os.path.abspath(root) if root else "/"
    return os.path.commonpath([os.path.dirname(p) for p in paths])


def inside(path: str, base: str) -> bool:
    """`path` (absolute, normalised: a real path) lies under the patch base."""
    return path.startswith(base.rstrip("/") + "/")


def _quote(name: str) -> str:
    if not any(c in name for c in '"\\ ') and all(" " < c != "\x7f" for c in name):
        return name
    out = ['"']
    esc = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\a": "\\a",
           "\b": "\\b", "\f": "\\f", "\v": "\\v"}
    for ch in name:
        if ch in esc:
            out.append(esc[ch])
        elif ch < " " or ch == "\x7f":
            out.append(f"\\{ord(ch):03o}")
        elif "\udc80" <= ch <= "\udcff":        # a byte that is not UTF-8
            out.append(f"\\{ord(ch) - 0xdc00:03o}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _header(prefix: str, rel: str) -> str:
    name = prefix + rel
    quoted = _quote(name)
    return quoted


def file_diff(old: bytes, new: bytes, rel: str, context: int = 3, whole: bool = False) -> str:
    """The unified diff of one file (empty when nothing changed); `whole` hands
    difflib the whole file (the reference the windowed diff is tested against)."""
    if old == new:
        return ""
    # A fix edits a few lines of a long file: only the changed stretch and its
    # context are split into lines and go to difflib (it is quadratic in the lines
    # it sees); the hunk headers count the lines left out in front.
    start, a_end, b_end = (0, len(old), len(new)) if whole else _byte_window(old, new, context)
    a = _lines(old[start:a_end].decode("utf-8", "surrogateescape"))
    b = _lines(new[start:b_end].decode("utf-8", "surrogateescape"))
    groups = None
    if not whole:
        groups = _one_change(a, b, context)
        if groups is AMBIGUOUS:
            return file_diff(old, new, rel, context, whole=True)
    out: list[str] = []
    for line in _unified(a, b, _header("a/", rel), _header("b/", rel), context, old.count(b"\n", 0, start),
                         groups):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n" + NO_NEWLINE)
    return "".join(out)


def _unified(a: list[str], b: list[str], old: str, new: str, context: int, offset: int,
             groups: list | None = None) -> Iterator[str]:
    """diff -u's lines for a and b (their first line is line offset+1). difflib's
    own unified_diff would treat lines frequent in a long file (`}`, blank lines)
    as junk and could answer a one-line edit with a hunk of a hundred lines.
    `groups`: the hunks when they are known already (_one_change)."""
    if groups is None:
        groups = difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context)
    first = True
    for group in groups:
        if first:
            yield f"--- {old}\n"
            yield f"+++ {new}\n"
            first = False
        yield (f"@@ -{_range(group[0][1] + offset, group[-1][2] + offset)} "
               f"+{_range(group[0][3] + offset, group[-1][4] + offset)} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            yield from ("-" + line for line in a[i1:i2])
            yield from ("+" + line for line in b[j1:j2])


def _range(start: int, stop: int) -> str:
    """A hunk's range as diff -u writes it: the first line, and the count unless it is 1
    (an empty range names the line before it)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


def _byte_window(old: bytes, new: bytes, context: int) -> tuple[int, int, int]:
    """(start, a_end, b_end): old[start:a_end] and new[start:b_end] hold every changed
    line and `context` equal lines around it (fewer at the ends of the file); the
    bytes before and after are the same in both. The harness in
    tests/speed/test_same_findings.py checks the hunks against the whole-file diff."""
    shorter = min(len(old), len(new))
    same = _common(old, new, shorter)
    after = _common(old[::-1], new[::-1], shorter - same)
    start = old.rfind(b"\n", 0, same) + 1
    for _ in range(context):
        if start == 0:
            break
        start = old.rfind(b"\n", 0, start - 1) + 1
    end = old.find(b"\n", len(old) - after)
    end = len(old) if end < 0 else end + 1
    for _ in range(context):
        if end >= len(old):
            break
        nl = old.find(b"\n", end)
        end = len(old) if nl < 0 else nl + 1
    return start, end, end - len(old) + len(new)


def _common(a: bytes, b: bytes, limit: int) -> int:
    """How many leading bytes a and b share, at most `limit` (bisected: each compare runs in C)."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


AMBIGUOUS: list = []


def _one_change(a: list[str], b: list[str], context: int) -> list | None:
    """The hunk difflib makes of a window holding one changed stretch; AMBIGUOUS when
    a changed line equals a context line (an insertion after `}` that ends with `}`
    ...: difflib could pair it with that line, and which pairing it picks depends on
    the whole file, so the whole file goes to it); None when difflib has to say (an
    old changed line equals a new one, or a line is both before and after the
    change). Otherwise every matching block lies in the lines before or in the lines
    after, and difflib keeps both whole: one hunk, made here without it."""
    limit = min(len(a), len(b))
    head = 0
    while head < limit and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < limit - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    removed, added = set(a[head:len(a) - tail]), set(b[head:len(b) - tail])
    changed = removed | added
    if any(line in changed for line in a[:head]) or any(line in changed for line in a[len(a) - tail:]):
        return AMBIGUOUS
    if not removed.isdisjoint(added) or not set(a[:head]).isdisjoint(a[len(a) - tail:]):
        return None
    # difflib's get_grouped_opcodes for [equal, change, equal]: `context` equal lines each side
    group = [("equal", max(0, head - context), head, max(0, head - context), head)] if head else []
    group.append(("replace", head, len(a) - tail, head, len(b) - tail))
    if tail:
        group.append(("equal", len(a) - tail, len(a) - tail + min(tail, context),
                      len(b) - tail, len(b) - tail + min(tail, context)))
    return [group]


def _lines(text: str) -> list[str]:
    """The lines as diff(1) splits them: at LF only (str.splitlines also splits at
    lone CR, FF, VT, U+2028...), each keeping its ending."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(plans: Sequence[FilePlan], base: str) -> str:
    """One patch for every file in `plans`, relative to `base`."""
    chunks = []
    for plan in sorted(plans, key=lambda p: p.path):
        if not inside(plan.path, base):
            raise ValueError(f"{plan.path} is outside the patch base {base}")
        rel = posixpath.relpath(plan.path, base)
        chunks.append(file_diff(plan.source.data, plan.new_data(), rel))
    return "".join(chunks)

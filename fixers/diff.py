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

import os
import posixpath
import re
from bisect import bisect_right
from typing import Callable, Iterable, Sequence

from .edits import Edit, FilePlan, apply

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


# a name patch(1) and git read as it is: no control character, space, quote, backslash or DEL
_PLAIN = re.compile(r'[^\x00-\x20"\\\x7f]*')


def _quote(name: str) -> str:
    if _PLAIN.fullmatch(name):
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
    return _quote(prefix + rel)


def file_diff(old: bytes, new: bytes, rel: str, context: int = 3, whole: bool = False) -> str:
    """The unified diff of one file (empty when nothing changed); `whole` hands
    difflib the whole file (the reference the windowed diff is tested against)."""
    if old == new:
        return ""
    if whole:
        return _render(_lines(old.decode("utf-8", "surrogateescape")), _lines(new.decode("utf-8", "surrogateescape")),
                       rel, context, 0, None)
    # A fix edits a few lines of a long file: only the changed stretch and its
    # context are split into lines and go to difflib (it is quadratic in the lines
    # it sees); the hunk headers count the lines left out in front.
    shorter = min(len(old), len(new))
    same = _common(old, new, shorter)
    after = _common_suffix(old, new, shorter - same)
    start, a_end = _byte_window(old, same, after, context)
    return _window_diff(old, new.__getitem__, rel, context, start, a_end, a_end - len(old) + len(new),
                        old.count(b"\n", 0, start), lambda: file_diff(old, new, rel, context, whole=True))


def plan_diff(plan: FilePlan, rel: str, context: int = 3) -> str:
    """file_diff(old bytes, new bytes, rel) of one file's edits, made from the edits'
    offsets: the new file is never built, and only the bytes around the edits are
    compared (a 2,000-server tree has 4,000 fixes, each a few lines of a 10 kB file)."""
    old = plan.source.data
    edits = plan.edits
    # sorted and disjoint (plan_files): the last edit ends last
    s0, e1 = edits[0].start, edits[-1].end
    mid = edits[0].replacement if len(edits) == 1 else apply(old, edits, s0, e1)   # what old[s0:e1] becomes
    if mid == old[s0:e1]:
        return ""
    # new is old[:s0] + mid + old[e1:]
    m1 = s0 + len(mid)
    new_len = len(old) - (e1 - s0) + len(mid)

    def new_slice(cut: slice) -> bytes:
        i, j = cut.start, cut.stop
        out = old[i:min(j, s0)] if i < s0 else b""
        if i < m1 and j > s0:
            out += mid[max(i, s0) - s0:min(j, m1) - s0]
        if j > m1:
            out += old[max(i, m1) - m1 + e1:j - m1 + e1]
        return out

    shorter = min(len(old), new_len)
    same = _common_from(old, new_slice, s0, shorter)
    limit = shorter - same
    after = _common_suffix_from(old, new_slice, new_len, min(len(old) - e1, limit), limit)
    start, a_end = _byte_window(old, same, after, context)
    return _window_diff(old, new_slice, rel, context, start, a_end, a_end - len(old) + new_len,
                        bisect_right(plan.source.line_starts, start) - 1,
                        lambda: file_diff(old, plan.new_data(), rel, context, whole=True))


def edit_diff(source, start: int, end: int, replacement: bytes, rel: str, context: int = 3) -> str:
    """plan_diff of the plan of one edit (source.data[start:end] becomes `replacement`),
    which is most fixes, from the file's line table. The bytes before `start` and from
    `end` on are the same in old and new, so every changed line of old lies in the lines
    from `start`'s to `end`'s, and the window of those lines and `context` more each side holds the
    change and its context: _one_change on it gives the hunk plan_diff's window gives
    (whichever window holds them: a changed line equal to a line of either window's
    context makes both go the general way, as does anything else it cannot tell)."""
    if replacement == source.data[start:end]:
        return ""
    top, _stop, a, b, groups = _edit_window(source, start, end, replacement, context)
    if groups is AMBIGUOUS or groups is None:
        return plan_diff(FilePlan(source, [Edit(source, start, end, replacement)]), rel, context)
    return _render(a, b, rel, context, top, groups)


def _edit_window(source, start: int, end: int, replacement: bytes, context: int) -> tuple:
    """(top, stop, a, b, groups): edit_diff's window, lines top to stop (excluded) of old, as
    old's lines and new's, and _one_change of them."""
    old = source.data
    starts = source.line_starts
    first = bisect_right(starts, start) - 1
    last = bisect_right(starts, end) - 1       # the line new's bytes from `end` on start in
    top = first - context if first > context else 0
    stop = last + 1 + context
    win_start = starts[top]
    win_end = starts[stop] if stop < len(starts) else len(old)
    a = _lines(old[win_start:win_end].decode("utf-8", "surrogateescape"))
    if start == starts[first] and end == starts[last] and (not replacement or replacement[-1] == 10):
        # whole lines replaced by whole lines: new's window is old's lines around the new ones
        b = a[:first - top] + _lines(replacement.decode("utf-8", "surrogateescape")) + a[last - top:]
    else:
        b = _lines((old[win_start:start] + replacement + old[end:win_end]).decode("utf-8", "surrogateescape"))
    return top, stop, a, b, _one_change(a, b, context)


class EditTemplate:
    """edit_diff of one edit inside a stretch of a file that look-alikes repeat (a server
    block generated from one template): the same edit at the same place of a stretch whose
    bytes differ only inside `holes`, the same lengths, has the same diff but for those
    bytes, its lines and its file (see edit_template). Filling it costs a join, where
    edit_diff splits, compares and joins the window's lines again."""

    __slots__ = ("hunk", "top", "pieces", "slots")

    def __init__(self, top: int, group: list, pieces: list[str], slots: list[int]) -> None:
        # the hunk header's numbers move with the stretch's line, its counts stay: a %-format
        # of the two first lines (_range writes an empty range's line without the + 1)
        ranges = []
        for first, stop in ((group[0][1], group[-1][2]), (group[0][3], group[-1][4])):
            length = stop - first
            ranges.append((first + (length != 0), "%d" if length == 1 else f"%d,{length}"))
        self.hunk = f"@@ -{ranges[0][1]} +{ranges[1][1]} @@\n"
        self.top = (top + ranges[0][0], top + ranges[1][0])
        self.pieces, self.slots = pieces, slots

    def fill(self, header: str, first_line: int, tokens: Sequence[str]) -> str:
        """The diff of the look-alike whose stretch starts on line first_line + 1 (`header`:
        file_header of its path) and has tokens[slot] in each hole of that slot."""
        parts = [header, self.hunk % (first_line + self.top[0], first_line + self.top[1])]
        pieces = self.pieces
        for index, slot in enumerate(self.slots):
            parts.append(pieces[index])
            parts.append(tokens[slot])
        parts.append(pieces[-1])
        return "".join(parts)


def edit_template(source, start: int, end: int, replacement: bytes, lo: int, hi: int,
                  holes: Sequence[tuple[int, int, int]], tokens: Sequence[str],
                  context: int = 3) -> EditTemplate | None:
    """edit_diff of the edit as a template for look-alikes of the stretch source.data[lo:hi]
    (`lo` a line's start): `holes`, sorted (start, end, slot) byte spans of the stretch, are
    where a look-alike's bytes may differ (`tokens[slot]` is this stretch's). None when the
    diff could tell them apart otherwise: its window (the edit's lines and `context` more
    each side) leaves the stretch or meets the file's first line, a hole crosses the edit's
    bounds, or edit_diff would go another way than _one_change's hunk. The caller vouches
    that a look-alike's lines compare among themselves and with the replacement's as this
    stretch's do (what _one_change decides on)."""
    old = source.data
    if replacement == old[start:end] or b"\0" in replacement:
        return None
    top, stop, a, b, groups = _edit_window(source, start, end, replacement, context)
    starts = source.line_starts
    if groups is AMBIGUOUS or groups is None or top == 0 or stop >= len(starts):
        return None
    win_start, win_end = starts[top], starts[stop]
    if win_start < lo or win_end > hi or b"\0" in old[win_start:win_end]:
        return None
    holes = [hole for hole in holes if win_start <= hole[0] and hole[1] <= win_end]
    if any(s < start < e or s < end < e for s, e, _slot in holes):
        return None
    # the same lines with each hole's bytes replaced by NUL, its slot, NUL: rendered with
    # the hunk of the real lines, then cut at the NULs
    first = bisect_right(starts, start) - 1
    last = bisect_right(starts, end) - 1
    a_masked = _lines(_masked(old, win_start, win_end, holes).decode("utf-8", "surrogateescape"))
    if start == starts[first] and end == starts[last] and (not replacement or replacement[-1] == 10):
        b_masked = (a_masked[:first - top] + _lines(replacement.decode("utf-8", "surrogateescape"))
                    + a_masked[last - top:])
    else:
        middle = (_masked(old, starts[first], start, holes) + replacement
                  + _masked(old, end, starts[last + 1], holes))
        b_masked = (a_masked[:first - top] + _lines(middle.decode("utf-8", "surrogateescape"))
                    + a_masked[last + 1 - top:])
    if len(a_masked) != len(a) or len(b_masked) != len(b):
        return None
    group = groups[0]
    body: list[str] = []
    _hunk_body(a_masked, b_masked, group, body)
    cut = "".join(body).split("\0")
    line = bisect_right(starts, lo) - 1
    template = EditTemplate(top - line, group, cut[0::2], [int(slot) for slot in cut[1::2]])
    # filled with this stretch's own tokens it must be edit_diff's hunk
    real: list[str] = []
    _hunk_body(a, b, group, real)
    if template.fill("", line, tokens) != _hunk_header(group, top) + "".join(real):
        return None
    return template


def _masked(data: bytes, start: int, end: int, holes: Sequence[tuple[int, int, int]]) -> bytes:
    """data[start:end] with each hole inside it written as NUL, its slot, NUL."""
    out = []
    at = start
    for s, e, slot in holes:
        if start <= s and e <= end:
            out.append(data[at:s])
            out.append(b"\0%d\0" % slot)
            at = e
    out.append(data[at:end])
    return b"".join(out)


def _window_diff(old: bytes, new_slice: Callable[[slice], bytes], rel: str, context: int, start: int, a_end: int,
                 b_end: int, offset: int, whole: Callable[[], str]) -> str:
    """The diff of old[start:a_end] and new[start:b_end] (new_slice gives new's bytes),
    whose first line is line offset+1 (the bytes around them are the same in both);
    whole() when difflib has to see the whole file."""
    a = _lines(old[start:a_end].decode("utf-8", "surrogateescape"))
    b = _lines(new_slice(slice(start, b_end)).decode("utf-8", "surrogateescape"))
    groups = _one_change(a, b, context)
    if groups is AMBIGUOUS:
        return whole()
    return _render(a, b, rel, context, offset, groups)


def _render(a: list[str], b: list[str], rel: str, context: int, offset: int, groups: list | None) -> str:
    """diff -u's text for a and b (their first line is line offset+1). difflib's
    own unified_diff would treat lines frequent in a long file (`}`, blank lines)
    as junk and could answer a one-line edit with a hunk of a hundred lines.
    `groups`: the hunks when they are known already (_one_change)."""
    if groups is None:
        import difflib      # seldom needed: most hunks are known without it (_one_change)
        groups = difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context)
    # only a last line can lack its newline: diff(1) adds one and says so
    if a and not a[-1].endswith("\n"):
        a = a[:-1] + [a[-1] + "\n" + NO_NEWLINE]
    if b and not b[-1].endswith("\n"):
        b = b[:-1] + [b[-1] + "\n" + NO_NEWLINE]
    out: list[str] = []
    for group in groups:
        if not out:
            out.append(file_header(rel))
        out.append(_hunk_header(group, offset))
        _hunk_body(a, b, group, out)
    return "".join(out)


def file_header(rel: str) -> str:
    """The `---`/`+++` lines of a file's diff."""
    return f"--- {_header('a/', rel)}\n+++ {_header('b/', rel)}\n"


def _hunk_header(group: list, offset: int) -> str:
    return (f"@@ -{_range(group[0][1] + offset, group[-1][2] + offset)} "
            f"+{_range(group[0][3] + offset, group[-1][4] + offset)} @@\n")


def _hunk_body(a: list[str], b: list[str], group: list, out: list[str]) -> None:
    # every line ends with a newline: the prefix joins them
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            if i2 > i1:
                out.append(" " + " ".join(a[i1:i2]))
            continue
        if i2 > i1:
            out.append("-" + "-".join(a[i1:i2]))
        if j2 > j1:
            out.append("+" + "+".join(b[j1:j2]))


def _range(start: int, stop: int) -> str:
    """A hunk's range as diff -u writes it: the first line, and the count unless it is 1
    (an empty range names the line before it)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


def _byte_window(old: bytes, same: int, after: int, context: int) -> tuple[int, int]:
    """(start, a_end): old[start:a_end] holds every changed line and `context` equal
    lines around it (fewer at the ends of the file), given that old and new share
    their first `same` and their last `after` bytes (and no more); the bytes before
    and after the window are the same in both, new's window ends at a_end - len(old)
    + len(new). The harness in tests/speed/test_same_findings.py checks the hunks
    against the whole-file diff."""
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
    return start, end


def _common(a: bytes, b: bytes, limit: int) -> int:
    """How many leading bytes a and b share, at most `limit` (<= both lengths): the
    first byte where they differ holds the highest bit set in their XOR as numbers."""
    diff = int.from_bytes(a[:limit], "big") ^ int.from_bytes(b[:limit], "big")
    return limit - (diff.bit_length() + 7) // 8


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """How many trailing bytes a and b share, at most `limit` (<= both lengths): the
    lowest bit set in their XOR lies in the last byte where they differ."""
    if limit <= 0:
        return 0
    diff = int.from_bytes(a[-limit:], "big") ^ int.from_bytes(b[-limit:], "big")
    return limit if not diff else ((diff & -diff).bit_length() - 1) // 8


def _common_from(old: bytes, new_slice: Callable[[slice], bytes], known: int, limit: int) -> int:
    """_common(old, new, limit) when the first `known` bytes are known to be the same:
    chunks of growing size from there, so the cost follows the distance to the first
    difference, not the file's size."""
    step = 64
    while known < limit:
        stop = min(known + step, limit)
        a, b = old[known:stop], new_slice(slice(known, stop))
        if a != b:
            return known + _common(a, b, stop - known)
        known, step = stop, step * 2
    return limit


def _common_suffix_from(old: bytes, new_slice: Callable[[slice], bytes], new_len: int, known: int,
                        limit: int) -> int:
    """How many trailing bytes old and new share, at most `limit`, when the last
    `known` are known to be the same (as _common_from, from the end)."""
    step = 64
    while known < limit:
        stop = min(known + step, limit)
        a = old[len(old) - stop:len(old) - known]
        b = new_slice(slice(new_len - stop, new_len - known))
        if a != b:
            return known + _common_suffix(a, b, stop - known)
        known, step = stop, step * 2
    return limit


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
    before, behind = a[:head], a[len(a) - tail:]
    if not changed.isdisjoint(before) or not changed.isdisjoint(behind):
        return AMBIGUOUS
    if not removed.isdisjoint(added) or not set(before).isdisjoint(behind):
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


def relative(path: str, base: str) -> str:
    """posixpath.relpath(path, base) for a path inside the base (see `inside`); the
    slice it is when both are normalised, as real paths and patch bases are."""
    top = base.rstrip("/") + "/"
    if "//" in top or "/." in top or "//" in path or "/." in path or path.endswith("/"):
        return posixpath.relpath(path, base)
    return path[len(top):]


def edit_diff_of(edit: Edit, base: str) -> str:
    """unified_diff of the one plan of `edit`."""
    path = edit.source.realpath
    if not inside(path, base):
        raise ValueError(f"{path} is outside the patch base {base}")
    return edit_diff(edit.source, edit.start, edit.end, edit.replacement, relative(path, base))


def unified_diff(plans: Sequence[FilePlan], base: str) -> str:
    """One patch for every file in `plans`, relative to `base`."""
    chunks = []
    for plan in sorted(plans, key=lambda p: p.path):
        if not inside(plan.path, base):
            raise ValueError(f"{plan.path} is outside the patch base {base}")
        chunks.append(plan_diff(plan, relative(plan.path, base)))
    return "".join(chunks)

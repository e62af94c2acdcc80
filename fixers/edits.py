"""Config edits: byte-span replacements on a file's original bytes.

A fix never rebuilds a file from the syntax tree (LibCST's rule): it says
"replace bytes [start, end) of this `SourceFile` with these bytes", and
everything it does not name stays byte for byte as it was: comments, blank
lines, odd spacing, CRLF newlines, bytes that are not UTF-8.

- `Edit`: one replacement (an insertion when start == end, a deletion when
  the replacement is empty).
- `plan_files(edits)`: the edits grouped per file (by real path: a symlinked
  `sites-enabled` entry is patched at its target), sorted, duplicates (the
  same file included from two places yields the same edit twice) dropped,
  overlaps refused with `EditConflict`.
- `apply(data, edits)`: the new bytes.
- Helpers that write new text the way the file around it is written:
  `insert_before` / `insert_after` a node (a whole line with the node's
  indentation and the file's newline when the node owns its line; in place,
  separated by one space, inside a one-line block such as
  `location ~ /\\. { deny all; }`), `insert_child` (first line of a block),
  `remove` / `move_after` a node, `append_arg` / `prepend_arg` /
  `replace_arg` / `arg_suffix` for arguments (quotes kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from confcheck.parsers.syntax import Arg, Node
from confcheck.source import SourceFile

DEFAULT_UNIT = "    "


class EditConflict(ValueError):
    """Two edits touch the same bytes: refuse rather than guess an order."""


@dataclass(frozen=True, slots=True)
class Edit:
    source: SourceFile
    start: int
    end: int
    replacement: bytes

    def __init__(self, source: SourceFile, start: int, end: int, replacement: bytes) -> None:
        # Hand-written (dataclass keeps it), as Span's: the generated frozen __init__ goes through
        # object.__setattr__ per field, and look-alike servers move thousands of fixes. Still frozen.
        if not 0 <= start <= end <= len(source.data):
            raise ValueError(f"edit [{start}, {end}) is outside {source.realpath} ({len(source.data)} bytes)")
        _SET_SOURCE(self, source)
        _SET_START(self, start)
        _SET_END(self, end)
        _SET_REPLACEMENT(self, replacement)

    @property
    def key(self) -> str:
        return self.source.realpath

    def describe(self) -> str:
        line, col = self.source.line_col(self.start)
        return f"{self.source.display_path}:{line}:{col} [{self.start}:{self.end}]"


_SET_SOURCE = Edit.source.__set__
_SET_START = Edit.start.__set__
_SET_END = Edit.end.__set__
_SET_REPLACEMENT = Edit.replacement.__set__


@dataclass(slots=True)
class FilePlan:
    """Every edit of one file, sorted and checked."""

    source: SourceFile
    edits: list[Edit]

    @property
    def path(self) -> str:
        return self.source.realpath

    def new_data(self) -> bytes:
        return apply(self.source.data, self.edits)


def plan_files(edits: Iterable[Edit]) -> list[FilePlan]:
    """Group `edits` per real file, sorted; drop exact duplicates; refuse overlaps.

    Two insertions at one offset keep the order they were given in; an
    insertion at the start of a replaced span goes before it. Anything else
    that shares a byte is an `EditConflict`.
    """
    by_file: dict[str, FilePlan] = {}
    for edit in edits:
        plan = by_file.get(edit.key)
        if plan is None:
            plan = by_file[edit.key] = FilePlan(edit.source, [])
        elif plan.source.data != edit.source.data:
            raise EditConflict(f"{edit.source.realpath} was read twice with different contents; "
                               "re-run the scan")
        if any(e.start == edit.start and e.end == edit.end and e.replacement == edit.replacement
               for e in plan.edits):
            continue
        plan.edits.append(edit)
    out = []
    for key in sorted(by_file):
        plan = by_file[key]
        # stable sort: insertions at one offset stay in the order given
        plan.edits.sort(key=lambda e: (e.start, e.end > e.start))
        check_disjoint(plan.edits)
        out.append(plan)
    return out


def check_disjoint(edits: Sequence[Edit]) -> None:
    """`edits` (sorted, one file) must not share a byte."""
    for prev, cur in zip(edits, edits[1:]):
        if cur.start < prev.end or (cur.start == prev.start and prev.end > prev.start
                                    and cur.end > cur.start):
            raise EditConflict(f"two fixes edit the same text: {prev.describe()} and {cur.describe()}; "
                               "apply one, re-run the scan, then the other")


def apply(data: bytes, edits: Sequence[Edit], start: int = 0, end: int | None = None) -> bytes:
    """The bytes after `edits` (sorted, disjoint: see plan_files); with `start` and
    `end`, what data[start:end] becomes (every edit inside it)."""
    out: list[bytes] = []
    pos = start
    for edit in edits:
        if edit.start < pos:
            raise EditConflict(f"edits overlap at {edit.describe()}")
        out.append(data[pos:edit.start])
        out.append(edit.replacement)
        pos = edit.end
    out.append(data[pos:end])
    return b"".join(out)


# ---------------------------------------------------------------- text helpers


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def line_bounds(source: SourceFile, offset: int) -> tuple[int, int, int]:
    """(start of the line, end of its text, end including the newline) around `offset`."""
    data = source.data
    start = data.rfind(b"\n", 0, offset) + 1
    nl = data.find(b"\n", offset)
    if nl == -1:
        return start, len(data), len(data)
    text_end = nl - 1 if nl > start and data[nl - 1:nl] == b"\r" else nl
    return start, text_end, nl + 1


def _blank(raw: bytes) -> bool:
    return raw.strip(b" \t") == b""


def owns_line(node: Node) -> bool:
    """Nothing but indentation before the node on its first line, and nothing
    but spaces or a comment after it on its last line."""
    span = node.span
    start, _, _ = line_bounds(span.source, span.start)
    _, text_end, _ = line_bounds(span.source, span.end)
    before = span.source.data[start:span.start]
    after = span.source.data[span.end:text_end].strip(b" \t")
    return _blank(before) and (after == b"" or after.startswith(b"#"))


def indent_of(node: Node) -> str:
    """The indentation of the line the node starts on."""
    line = node.span.line
    return node.source.line_indent(line)


def unit_of(source: SourceFile) -> str:
    """The file's indentation step (SourceFile.indent_unit), or the default."""
    return source.indent_unit or DEFAULT_UNIT


def child_indent(block: Node) -> str:
    """The indentation of a new line inside `block`."""
    for child in block.children or ():
        if child.source is block.source and owns_line(child):
            return indent_of(child)
    return indent_of(block) + unit_of(block.source)


def _lines(text: str | Sequence[str]) -> list[str]:
    return [text] if isinstance(text, str) else list(text)


def render_lines(lines: Sequence[str], indent: str, newline: str, unit: str = DEFAULT_UNIT) -> str:
    """Lines written with `indent`; a line's own leading '\\t' markers mean one
    more indentation step each (so a fixer can describe nesting without
    knowing the file's style)."""
    out = []
    for line in lines:
        depth = len(line) - len(line.lstrip("\t"))
        out.append(indent + unit * depth + line.lstrip("\t") + newline)
    return "".join(out)


def insert_before(node: Node, text: str | Sequence[str]) -> Edit:
    """New line(s) before `node`, at its indentation (in place in a one-line block)."""
    source = node.source
    lines = _lines(text)
    if owns_line(node):
        start, _, _ = line_bounds(source, node.span.start)
        body = render_lines(lines, indent_of(node), source.newline, unit_of(source))
        return Edit(source, start, start, encode(body))
    inline = " ".join(line.lstrip("\t") for line in lines)
    return Edit(source, node.span.start, node.span.start, encode(inline + " "))


def insert_after(node: Node, text: str | Sequence[str]) -> Edit:
    """New line(s) after `node`, at its indentation (in place in a one-line block)."""
    source = node.source
    lines = _lines(text)
    if owns_line(node):
        _, text_end, full_end = line_bounds(source, node.span.end)
        body = render_lines(lines, indent_of(node), source.newline, unit_of(source))
        if full_end == text_end:            # last line of a file without a final newline
            return Edit(source, text_end, text_end, encode(source.newline + body.rstrip("\r\n")))
        return Edit(source, full_end, full_end, encode(body))
    inline = " ".join(line.lstrip("\t") for line in lines)
    return Edit(source, node.span.end, node.span.end, encode(" " + inline))


def insert_child(block: Node, text: str | Sequence[str]) -> Edit:
    """New line(s) as the first thing inside `block` (after its `{`)."""
    if block.header_span is None:
        raise ValueError(f"{block!r} is not a block")
    source = block.source
    lines = _lines(text)
    head_end = block.header_span.end
    _, text_end, full_end = line_bounds(source, head_end)
    rest = source.data[head_end:text_end].strip(b" \t")
    if rest == b"" or rest.startswith(b"#"):
        body = render_lines(lines, child_indent(block), source.newline, unit_of(source))
        return Edit(source, full_end, full_end, encode(body))
    inline = " ".join(line.lstrip("\t") for line in lines)
    return Edit(source, head_end, head_end, encode(" " + inline))


def remove(node: Node) -> Edit:
    """Delete `node`: its whole line when it owns it (trailing comment included),
    else the node and the spaces after it."""
    source = node.source
    if owns_line(node):
        start, _, _ = line_bounds(source, node.span.start)
        _, _, full_end = line_bounds(source, node.span.end)
        return Edit(source, start, full_end, b"")
    end = node.span.end
    data = source.data
    while end < len(data) and data[end:end + 1] in (b" ", b"\t"):
        end += 1
    return Edit(source, node.span.start, end, b"")


def node_text(node: Node) -> str:
    """The node exactly as written, with its trailing comment when it owns its line."""
    source = node.source
    if owns_line(node):
        _, text_end, _ = line_bounds(source, node.span.end)
        return source.slice(node.span.start, text_end).rstrip(" \t")
    return source.slice(node.span.start, node.span.end)


def move_after(node: Node, anchor: Node) -> list[Edit]:
    """Move `node` to just after `anchor` (both in one file, `node` first)."""
    if node.source is not anchor.source:
        raise EditConflict("cannot move a directive across files")
    text = node_text(node)
    return [remove(node), insert_after(anchor, text)]


# ---------------------------------------------------------------- arguments


def arg_suffix(arg: Arg, suffix: str) -> Edit:
    """Append `suffix` to an argument's value, inside its quotes."""
    source = arg.span.source
    pos = arg.span.end - (1 if arg.quote else 0)
    return Edit(source, pos, pos, encode(suffix))


def replace_arg(arg: Arg, value: str) -> Edit:
    """Replace an argument's value, keeping its quotes; quote it when needed."""
    source = arg.span.source
    if arg.quote:
        start, end = arg.span.start + 1, arg.span.end - 1
        return Edit(source, start, end, encode(value))
    return Edit(source, arg.span.start, arg.span.end, encode(nginx_word(value)))


def append_arg(node: Node, value: str) -> Edit:
    """One more argument after the node's last one (before `;` or `{`)."""
    if node.args:
        pos = node.args[-1].span.end
    else:
        pos = node.name_span.end
    return Edit(node.source, pos, pos, encode(" " + nginx_word(value)))


def prepend_arg(node: Node, value: str) -> Edit:
    """One more argument before the node's first one."""
    if not node.args:
        return append_arg(node, value)
    pos = node.args[0].span.start
    return Edit(node.source, pos, pos, encode(nginx_word(value) + " "))


_SPECIAL = set(" \t\r\n;{}\"'#\\")


def nginx_word(value: str) -> str:
    """`value` as one nginx argument (double-quoted when it needs to be)."""
    if value and not any(c in _SPECIAL for c in value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'

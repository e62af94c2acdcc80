"""Source files and spans: the one place that knows bytes, lines and columns.

Every position confcheck reports comes from a `Span` over a `SourceFile`'s
original bytes, so a finding's file:line:column and a fixer's byte edit always
agree. Line and column are computed on demand (1-based; columns count
characters, not bytes) so parsing large trees stays cheap.
"""

from __future__ import annotations

import re

import os
import stat as _stat
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate


# Each line's indentation (spaces and tabs), any other leading whitespace, and
# its first visible byte (empty for a blank line).
_LINE_START = re.compile(rb"^([ \t]*)([^\S\n]*)(\S?)", re.MULTILINE)


MAX_LINKS = 40       # the kernel's own limit on links met resolving one path


def resolve_in_root(root: str, path: str, dirs: dict[str, str] | None = None) -> str:
    """Where the server path `path` lives under the image `root` (no trailing slash): every
    link met on the way, the last component's too, resolved inside the root (an absolute
    target starts again at the root, `..` stops there), as chroot or a container sees it;
    a Debian image's `sites-enabled/x -> /etc/nginx/sites-available/x` must not open this
    machine's file. What is missing is kept as written, so opening it fails as it would.
    `dirs`: a cache of resolved folders (a loader resolves thousands of files in a few)."""
    if dirs is not None:
        head, name = os.path.split(path)
        if name not in ("", ".", ".."):
            base = dirs.get(head)
            if base is None:
                base = dirs[head] = resolve_in_root(root, head)
            candidate = base.rstrip("/") + "/" + name
            if not os.path.islink(candidate):
                return candidate
    todo = [c for c in path.split("/") if c not in ("", ".")]
    todo.reverse()          # a stack: the next component at the end
    cur: list[str] = []     # resolved components under the root
    links = 0
    while todo:
        comp = todo.pop()
        if comp == "..":
            if cur:
                cur.pop()
            continue
        cand = root + "/" + "/".join(cur + [comp])
        try:
            st = os.lstat(cand)
        except OSError:
            cur.append(comp)
            cur.extend(reversed(todo))
            break
        if _stat.S_ISLNK(st.st_mode) and links < MAX_LINKS:
            links += 1
            target = os.readlink(cand)
            if target.startswith("/"):
                cur = []
            todo.extend(reversed([c for c in target.split("/") if c not in ("", ".")]))
            continue
        cur.append(comp)
    return root + ("/" + "/".join(cur) if cur else "")


def named_in_root(root: str, path: str, dirs: dict[str, str] | None = None) -> str:
    """`path` under the image `root` with its folders resolved and its own name kept: a
    `sites-enabled` link is named as itself (and read at resolve_in_root's answer)."""
    head, name = os.path.split(os.path.normpath(path))
    return resolve_in_root(root, head, dirs).rstrip("/") + "/" + name


class SourceFile:
    """The raw bytes of one config file, read once.

    `path` is the path as the config referenced it (what users recognise);
    `realpath` is where the bytes live (a `sites-enabled` symlink is patched at
    its target); `display_path` is what output shows (the path under `--root`
    mapped back to the server's view).
    """

    __slots__ = ("path", "realpath", "data", "display_path", "__dict__")

    def __init__(self, path: str, data: bytes, realpath: str | None = None,
                 display_path: str | None = None) -> None:
        self.path = path
        self.realpath = realpath if realpath is not None else path
        self.data = data
        self.display_path = display_path if display_path is not None else path

    @classmethod
    def read(cls, path: str, display_path: str | None = None,
             realpaths: "RealPaths | None" = None) -> "SourceFile":
        with open(path, "rb") as fh:
            data = fh.read()
        real = realpaths(path) if realpaths is not None else os.path.realpath(path)
        return cls(path, data, real, display_path)

    @cached_property
    def sha256(self) -> str:
        import hashlib      # only `fix` asks (is the file unchanged?): a --no-cache scan loads no OpenSSL
        return hashlib.sha256(self.data).hexdigest()

    @cached_property
    def text(self) -> str:
        """The whole file decoded; undecodable bytes survive as surrogates."""
        return self.data.decode("utf-8", "surrogateescape")

    @cached_property
    def bom(self) -> bool:
        return self.data.startswith(b"\xef\xbb\xbf")

    @cached_property
    def newline(self) -> str:
        """The file's newline style, for inserting lines that match it."""
        first = self.data.find(b"\n")
        return "\r\n" if first > 0 and self.data[first - 1:first] == b"\r" else "\n"

    @cached_property
    def indent_unit(self) -> str | None:
        """The file's indentation step: the smallest increase from one indented
        line to the next deeper one (a tab when the file indents with tabs);
        None when nothing is indented. Edits copy it to match the file's style.
        Blank lines and comment lines do not count."""
        best: str | None = None
        prev = b""
        for ind, lead, first in _LINE_START.findall(self.data):
            if not first or (first == b"#" and not lead):
                continue
            if ind.startswith(prev) and len(ind) > len(prev):
                step = ind[len(prev):]
                if best is None or len(step) < len(best):
                    best = step
            prev = ind
        return best.decode("ascii") if best is not None else None

    @cached_property
    def line_starts(self) -> list[int]:
        # each line's start is the one before plus its length and newline, summed at C speed
        # (why --batch asks for the lines of every file its servers are in, once per worker)
        lines = self.data.split(b"\n")
        lines.pop()         # what follows the last newline starts no further line
        return list(accumulate(map((1).__add__, map(len, lines)), initial=0))

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and character column of a byte offset (memoised: a
        batch of requests asks for the same few directives again and again)."""
        cache = self._positions
        hit = cache.get(offset)
        if hit is None:
            hit = cache[offset] = self._line_col(offset)
        return hit

    @cached_property
    def _positions(self) -> dict[int, tuple[int, int]]:
        return {}

    def _line_col(self, offset: int) -> tuple[int, int]:
        index = bisect_right(self.line_starts, offset) - 1
        start = self.line_starts[index]
        if index == 0 and self.bom:
            start = min(3, offset)  # editors do not show the BOM as a character
        prefix = self.data[start:offset].decode("utf-8", "surrogateescape")
        return index + 1, len(prefix) + 1

    def line_text(self, line: int) -> str:
        """Line `line` (1-based) without its newline."""
        starts = self.line_starts
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] if line < len(starts) else len(self.data)
        raw = self.data[starts[line - 1]:end].rstrip(b"\r\n")
        return raw.decode("utf-8", "surrogateescape")

    def line_indent(self, line: int) -> str:
        text = self.line_text(line)
        return text[: len(text) - len(text.lstrip(" \t"))]

    def slice(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "surrogateescape")

    def __repr__(self) -> str:
        return f"SourceFile({self.path!r})"


class RealPaths:
    """os.path.realpath of files, resolving each directory once: a `sites/*.conf`
    of 2,000 files otherwise lstats every component of every file (~15 ms)."""

    __slots__ = ("dirs",)

    def __init__(self) -> None:
        self.dirs: dict[str, str] = {}   # directory -> os.path.realpath of it

    def __call__(self, path: str) -> str:
        head, tail = os.path.split(path)
        if tail in ("", ".", ".."):
            return os.path.realpath(path)
        real_dir = self.dirs.get(head)
        if real_dir is None:
            real_dir = self.dirs[head] = os.path.realpath(head)
        joined = os.path.join(real_dir, tail)
        # a symlinked file (Debian's sites-enabled) is resolved in full
        return os.path.realpath(joined) if os.path.islink(joined) else joined


@dataclass(frozen=True, slots=True)
class Span:
    """Bytes [start, end) of `source`."""

    source: SourceFile
    start: int
    end: int

    def __init__(self, source: SourceFile, start: int, end: int) -> None:
        # Hand-written (dataclass keeps it): the generated frozen __init__ goes through
        # object.__setattr__ per field, and a large config makes ~200,000 spans; the
        # slot descriptors set the same three fields in ~60% of the time. Still frozen.
        _SET_SOURCE(self, source)
        _SET_START(self, start)
        _SET_END(self, end)

    @property
    def file(self) -> str:
        return self.source.display_path

    @property
    def line(self) -> int:
        return self.source.line_col(self.start)[0]

    @property
    def column(self) -> int:
        return self.source.line_col(self.start)[1]

    @property
    def end_line(self) -> int:
        return self.source.line_col(self.end)[0]

    @property
    def end_column(self) -> int:
        return self.source.line_col(self.end)[1]

    @property
    def text(self) -> str:
        return self.source.slice(self.start, self.end)

    def position(self) -> dict:
        """file/line/column/end_line/end_column as the JSON contract names them."""
        line, column = self.source.line_col(self.start)
        end_line, end_column = self.source.line_col(self.end)
        return {"file": self.file, "line": line, "column": column,
                "end_line": end_line, "end_column": end_column}

    def __repr__(self) -> str:
        return f"Span({self.file}:{self.line}:{self.column} [{self.start}:{self.end}])"


# Span's slot descriptors (constants: what Span.__init__ stores through)
_SET_SOURCE = Span.source.__set__
_SET_START = Span.start.__set__
_SET_END = Span.end.__set__


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem reading input (parse error, missing include): never an exception."""

    message: str
    span: Span | None = None
    file: str | None = None  # when there is no span (an unreadable file)
    severity: str = "error"
    code: str = "parse"

    def position(self) -> dict:
        if self.span is not None:
            pos = self.span.position()
            return {"file": pos["file"], "line": pos["line"], "column": pos["column"]}
        return {"file": self.file, "line": None, "column": None}

    def __str__(self) -> str:
        pos = self.position()
        where = pos["file"] or "<input>"
        if pos["line"] is not None:
            where += f":{pos['line']}:{pos['column']}"
        return f"{where}: {self.message}"


@dataclass(slots=True)
class Diagnostics:
    """Collects diagnostics while reading; passed down, never global."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, message: str, span: Span | None = None, *, file: str | None = None,
            severity: str = "error", code: str = "parse") -> None:
        self.items.append(Diagnostic(message, span, file, severity, code))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

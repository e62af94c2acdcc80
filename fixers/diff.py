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
from typing import Iterable, Sequence

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


def file_diff(old: bytes, new: bytes, rel: str, context: int = 3) -> str:
    """The unified diff of one file (empty when nothing changed)."""
    if old == new:
        return ""
    a = old.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    b = new.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    a = _split_cr(a)
    b = _split_cr(b)
    out: list[str] = []
    for line in difflib.unified_diff(a, b, _header("a/", rel), _header("b/", rel), n=context):
        if line.startswith(("---", "+++")) and not out[2:]:
            out.append(line.rstrip("\n") + "\n")
            continue
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n" + NO_NEWLINE)
    return "".join(out)


def _split_cr(lines: list[str]) -> list[str]:
    """str.splitlines also splits at lone CR, FF, VT, U+2028...: diff(1) splits at
    LF only, so glue those pieces back together."""
    out: list[str] = []
    for piece in lines:
        if out and not out[-1].endswith("\n"):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def unified_diff(plans: Sequence[FilePlan], base: str) -> str:
    """One patch for every file in `plans`, relative to `base`."""
    chunks = []
    for plan in sorted(plans, key=lambda p: p.path):
        if not inside(plan.path, base):
            raise ValueError(f"{plan.path} is outside the patch base {base}")
        rel = posixpath.relpath(plan.path, base)
        chunks.append(file_diff(plan.source.data, plan.new_data(), rel))
    return "".join(chunks)

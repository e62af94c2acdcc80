"""A small reader of ModSecurity configuration files (the files nginx's
`modsecurity_rules_file` names, and the files Apache includes): directives one
per logical line (a trailing backslash continues it), `#` comments, `Include`
with globs relative to the including file (libmodsecurity3's rule). Enough to
replay them; the WAF reader with spans is confcheck.waf's."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

# directives that name a path the engine writes to: a replay must not write there
WRITES = {"secauditlog", "secauditlog2", "secauditlogstoragedir", "secdebuglog", "secdatadir", "sectmpdir",
          "secuploaddir", "secguardianlog"}
MAX_DEPTH = 32


class RuleFileError(Exception):
    pass


@dataclass
class Item:
    """One ModSecurity directive as written."""
    text: str      # the directive's text, continuations kept
    key: str       # lower-case name
    file: str      # the file it is written in
    line: int      # its first line

    @property
    def directory(self) -> str:
        return os.path.dirname(self.file)


def logical_lines(text: str):
    """(first line number, text) of each directive, comments and blank lines skipped."""
    start, parts = None, []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if start is None:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            start = number
        if line.endswith("\\"):
            parts.append(line)
            continue
        parts.append(line)
        yield start, "\n".join(parts)
        start, parts = None, []
    if parts:
        yield start, "\n".join(parts)


def read_items(path: str, depth: int = 0) -> list[Item]:
    """Every directive of `path`, includes followed (in sorted glob order)."""
    if depth > MAX_DEPTH:
        raise RuleFileError(f"{path}: includes nested more than {MAX_DEPTH} deep")
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except OSError as exc:
        raise RuleFileError(f"{path}: cannot read: {exc.strerror}") from None
    out: list[Item] = []
    for line, directive in logical_lines(text):
        name = directive.split(None, 1)[0]
        key = name.lower()
        if key in ("include", "includeoptional"):
            target = directive.split(None, 1)[1].strip().strip("\"'") if len(directive.split(None, 1)) > 1 else ""
            if not os.path.isabs(target):
                target = os.path.join(os.path.dirname(path), target)
            matches = sorted(glob.glob(target))
            if not matches and key == "include" and not glob.has_magic(target):
                raise RuleFileError(f"{path}:{line}: Include {target}: no such file")
            for match in matches:
                out += read_items(match, depth + 1)
            continue
        out.append(Item(directive, key, path, line))
    return out


def whole_file(path: str) -> bool:
    """Can the replay Include this file as it is: only Sec* directives, no
    include, nothing the engine would write to?"""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except OSError:
        return False
    for _, directive in logical_lines(text):
        key = directive.split(None, 1)[0].lower()
        if not key.startswith("sec") or key in WRITES or key == "secunicodemapfile":
            return False
    return True

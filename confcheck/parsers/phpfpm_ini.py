"""PHP-FPM's configuration reader: php-fpm.conf and its pool files, with exact spans.

php-fpm reads its files one line at a time and hands each line to PHP's INI
scanner on its own (sapi/fpm/fpm/fpm_conf.c), so a quoted value never spans
lines and an error is always on one line. What that scanner does, as measured
against `php-fpm8.2 -tt` (which prints every value it settled on):

* `;` starts a comment outside quotes; a `#` is an ordinary character.
* `[name]` opens a section: `[global]` (any case) or a pool, re-opened when
  the name comes again.
* `name = value`, `name[key] = value` (php_value, php_admin_value, env, ...);
  the name is case-insensitive for php-fpm's own entries.
* A value is unquoted words (trailing blanks dropped), `"..."` (`\\"`, `\\\\`,
  `\\$` unescaped, `${VAR}` expanded), `'...'` (raw) and `${VAR}` (the
  environment), concatenated with the blanks between them dropped. A lone word
  yes/on/true is "1", no/off/false/none/null is "". `(`, `!`, `=` are syntax
  errors; `|&~^` make an expression of PHP constants (not computed here).
* `include=GLOB` reads the files it matches right after that line (sorted, as
  glob(3)); nothing matching is only a warning. `$pool` in a pool's value is
  that pool's name (confcheck.servers.phpfpm.pools applies it).

The result is a flat list of sections and entries in the order php-fpm sees
them, includes expanded. Problems are Diagnostics worded like php-fpm's.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field

from confcheck.source import Diagnostics, SourceFile, Span

PHP_PREFIX = "/usr"          # Debian's and RHEL's build prefix: relative include paths start there
MAX_DEPTH = 5                # "failed to include more than 5 files recursively"
_TRUE = {"yes", "on", "true"}
_FALSE = {"no", "off", "false", "none", "null"}
_BAD = set("(!=)")
_EXPR = set("|&~^")
_ENV = re.compile(r"\$\{([^}]*)\}")


@dataclass(slots=True, eq=False)
class Section:
    name: str
    span: Span                   # "[name]"


@dataclass(slots=True, eq=False)
class Entry:
    name: str                    # as written ("listen.owner", "php_admin_value")
    key: str | None              # the array key: php_admin_value[open_basedir] -> "open_basedir"
    value: str | None            # as php-fpm sees it (None: no `=`)
    raw: str                     # the value's source text
    span: Span                   # the whole entry, comment excluded
    name_span: Span
    value_span: Span             # the raw value (empty at the end of the line when there is none)
    env: tuple[str, ...] = ()    # ${VARS} read from the environment (not known offline)
    computed: bool = False       # an expression of PHP constants: `value` is its source text
    env_given: tuple[str, ...] = ()   # ${VARS} read from the environment the caller gave (the unit's)

    @property
    def file(self) -> str:
        return self.span.file

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def label(self) -> str:
        return self.name if self.key is None else f"{self.name}[{self.key}]"


@dataclass(eq=False)
class FpmFiles:
    """One php-fpm configuration as read: its files and what they say, in order."""

    path: str                                         # the file named (php-fpm.conf or a pool file)
    files: dict[str, SourceFile] = field(default_factory=dict)
    items: list[Section | Entry] = field(default_factory=list)
    alone: bool = False                               # a pool file read without its php-fpm.conf


def read_fpm(path: str, diags: Diagnostics, *, root: str | None = None, alone: bool = False,
             env: dict[str, str] | None = None) -> FpmFiles:
    """Read `path` (a local path) with every file it includes. `root`: --root (server paths
    of includes are read under it). `env`: the environment php-fpm starts with (default none:
    `${VAR}` is then empty and the entry says which variable it read)."""
    out = FpmFiles(path, alone=alone)
    _read_file(path, out, diags, root, env or {}, 0, None)
    return out


def _read_file(path: str, out: FpmFiles, diags: Diagnostics, root: str | None, env: dict[str, str],
               depth: int, at: Span | None) -> bool:
    try:
        source = SourceFile.read(path)      # named by the path read, like the servers' files
    except OSError as exc:
        diags.add(f"failed to open configuration file '{_display(path, root)}': {exc.strerror} ({exc.errno})",
                  at, file=None if at else _display(path, root))
        return False
    out.files.setdefault(path, source)
    for start, end in split_lines(source.data):
        item = parse_line(source, start, end, diags, env)
        if item is None:
            continue
        if item is False:
            return False
        out.items.append(item)
        if isinstance(item, Entry) and item.name == "include" and item.key is None:
            if depth + 1 >= MAX_DEPTH:
                diags.add("failed to include more than 5 files recursively", item.span)
                return False
            if not _include(item, path, out, diags, root, env, depth):
                return False
    return True


def _include(entry: Entry, includer: str, out: FpmFiles, diags: Diagnostics, root: str | None,
             env: dict[str, str], depth: int) -> bool:
    pattern = entry.value or ""
    if not pattern.startswith("/"):
        pattern = PHP_PREFIX + "/" + pattern
    local = pattern if root is None else os.path.join(root, pattern.lstrip("/"))
    matches = sorted(glob.glob(local))
    name = os.path.basename(_display(includer, root))
    folder = _glob_folder(local)
    if folder is not None and not os.path.isdir(folder):
        # glob(3) with GLOB_ERR cannot open the folder the pattern searches
        diags.add(f"Unable to globalize '{pattern}' (ret=2) from {name} at line {entry.line}.", entry.value_span)
        return False
    if not matches:
        diags.add(f"Nothing matches the include pattern '{pattern}' from {name} at line {entry.line}.",
                  entry.value_span, severity="warning", code="include")
        return True
    for match in matches:
        if os.path.isdir(match):
            continue
        if not _read_file(match, out, diags, root, env, depth + 1, entry.value_span):
            diags.add(f"Unable to include {_display(match, root)} from {name} at line {entry.line}",
                      entry.value_span)
            return False
    return True


def _glob_folder(pattern: str) -> str | None:
    """The folder glob(3) opens first: the one above the first component with a wildcard."""
    parts = pattern.split("/")
    for i, part in enumerate(parts):
        if glob.has_magic(part):
            return "/".join(parts[:i]) or "/"
    return None


def _display(path: str, root: str | None) -> str:
    if root and path.startswith(root.rstrip("/") + "/"):
        return path[len(root.rstrip("/")):]
    return path


def split_lines(data: bytes):
    start = 0
    size = len(data)
    while start < size:
        end = data.find(b"\n", start)
        end = size if end == -1 else end
        yield start, end
        start = end + 1


def parse_line(source: SourceFile, start: int, end: int, diags: Diagnostics, env: dict[str, str],
               *, expressions: bool = False):
    """One line: None (blank or comment), a Section, an Entry, or False after an error.
    `expressions`: `(` and `!` start an expression (php.ini) instead of being refused (php-fpm)."""
    text = source.data[start:end].decode("utf-8", "surrogateescape")
    if text.endswith("\r"):
        text = text[:-1]
    offsets = _char_offsets(text, start)

    def span(a: int, b: int) -> Span:
        return Span(source, offsets[a], offsets[b])

    def error(message: str, at: int) -> bool:
        diags.add(message, span(at, at))
        return False

    i = _skip_blank(text, 0)
    if i == len(text) or text[i] == ";":
        return None
    if text[i] == "[":
        close = text.find("]", i)
        if close == -1:
            return error("syntax error, unexpected end of file, expecting ']'", len(text))
        rest = _skip_blank(text, close + 1)
        if rest < len(text) and text[rest] != ";":
            return error(f"syntax error, unexpected '{text[rest]}'", rest)
        name, _env, _computed, err = _value(text, i + 1, close, env)
        if err is not None:
            return error(err[0], err[1])
        return Section(name, span(i, close + 1))
    name_start = i
    while i < len(text) and text[i] not in "=[;":
        i += 1
    name_end = len(text[:i].rstrip(" \t"))
    name = text[name_start:name_end]
    key = None
    if i < len(text) and text[i] == "[":
        close = text.find("]", i)
        if close == -1:
            return error("syntax error, unexpected end of file, expecting ']'", len(text))
        key = text[i + 1:close].lstrip(" \t")
        i = _skip_blank(text, close + 1)
    if i >= len(text) or text[i] != "=":
        if i < len(text) and text[i] != ";":
            return error(f"syntax error, unexpected '{text[i]}'", i)
        whole = span(name_start, name_end)
        return Entry(name, key, None, "", whole, span(name_start, name_end), span(name_end, name_end))
    value_start = _skip_blank(text, i + 1)
    stop = _value_end(text, value_start)
    value, used, computed, err = _value(text, value_start, stop, env, expressions)
    if err is not None:
        return error(err[0], err[1])
    value_end = len(text[:stop].rstrip(" \t"))
    value_end = max(value_end, value_start)
    if not computed and value is not None and _single_word(text[value_start:value_end]):
        word = value.lower()
        value = "1" if word in _TRUE else "" if word in _FALSE else value
    return Entry(name, key, value, text[value_start:value_end], span(name_start, value_end),
                 span(name_start, name_end), span(value_start, value_end),
                 tuple(n for n in used if n not in env), computed, tuple(n for n in used if n in env))


def _char_offsets(text: str, start: int) -> list[int]:
    """Byte offset of each character of the line (and of its end)."""
    offsets = []
    pos = start
    for char in text:
        offsets.append(pos)
        pos += len(char.encode("utf-8", "surrogateescape"))
    offsets.append(pos)
    return offsets


def _skip_blank(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _single_word(raw: str) -> bool:
    return bool(raw) and not any(c in raw for c in " \t\"'$")


def _value_end(text: str, i: int) -> int:
    """Where the value ends: a `;` outside quotes, or the end of the line."""
    quote = None
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == ";":
            return i
        i += 1
    return i


def _value(text: str, i: int, stop: int, env: dict[str, str], expressions: bool = False):
    """(value, env vars read, computed, error (message, column index) or None)."""
    parts: list[str] = []
    used: list[str] = []
    computed = False
    depth = 0
    while i < stop:
        char = text[i]
        if char in " \t":
            i += 1
            continue
        if char == '"':
            j = i + 1
            buf = []
            while j < stop and text[j] != '"':
                if text[j] == "\\" and j + 1 < stop and text[j + 1] in '"\\$':
                    buf.append(text[j + 1])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if j >= stop:
                return None, used, computed, ("syntax error, unexpected end of file, expecting "
                                              "TC_DOLLAR_CURLY or TC_QUOTED_STRING or '\"'", stop)
            parts.append(_expand("".join(buf), env, used))
            i = j + 1
        elif char == "'":
            j = text.find("'", i + 1, stop)
            if j == -1:
                return None, used, computed, ("syntax error, unexpected end of file", stop)
            parts.append(text[i + 1:j])
            i = j + 1
        elif text.startswith("${", i):
            j = text.find("}", i, stop)
            if j == -1:
                return None, used, computed, ("syntax error, unexpected end of file, expecting '}'", stop)
            parts.append(_expand(text[i:j + 1], env, used))
            i = j + 1
        else:
            j = i
            while j < stop and text[j] not in "\"'" and not text.startswith("${", j):
                if expressions and text[j] in "()!":       # php.ini: ( ) group, ! negates
                    depth += {"(": 1, ")": -1}.get(text[j], 0)
                    if depth < 0:
                        return None, used, computed, (f"syntax error, unexpected '{text[j]}'", j)
                    computed = True
                elif text[j] in _BAD:
                    return None, used, computed, (f"syntax error, unexpected '{text[j]}'", j)
                if text[j] in _EXPR:
                    computed = True
                j += 1
            parts.append(text[i:j].rstrip(" \t"))
            i = j
    return "".join(parts), used, computed, None


def _expand(value: str, env: dict[str, str], used: list[str]) -> str:
    def one(match: re.Match) -> str:
        used.append(match.group(1))
        return env.get(match.group(1), "")
    return _ENV.sub(one, value)

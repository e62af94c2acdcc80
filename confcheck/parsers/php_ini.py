"""php.ini (and conf.d/*.ini, .user.ini) as PHP reads them, with exact spans.

The Zend INI scanner that php-fpm hands its own lines to reads php.ini too, so
each line goes through confcheck.parsers.phpfpm_ini.parse_line (quoting,
`${VAR}`, booleans, constant expressions, the same errors). What php.ini adds:

* `[PATH=/dir]` and `[HOST=name]` open a per-directory / per-host section
  (main/php_ini.c: the name compared without case, trailing slashes of the
  path dropped); entries after it belong to it until the next section. Any
  other section name (`[PHP]`, `[Date]`) scopes nothing.
* every key is accepted (PHP stores what it does not know); `(` and `!` start an
  expression of constants (kept as written, marked computed), `)` alone and a second
  `=` are refused as PHP refuses them (measured with `php-fpm8.2 -c FILE -i`).
* a value spanning lines in double quotes is not supported (each line is read
  alone): the line is refused with the scanner's error, never misread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from confcheck.parsers.phpfpm_ini import Entry, parse_line, split_lines
from confcheck.source import Diagnostics, SourceFile, Span


@dataclass(slots=True, eq=False)
class IniEntry:
    entry: Entry
    scope: str | None = None       # "PATH=/dir", "HOST=name" or None (global)

    @property
    def key(self) -> str:
        return self.entry.name if self.entry.key is None else f"{self.entry.name}[{self.entry.key}]"


@dataclass(eq=False)
class IniFile:
    path: str
    source: SourceFile | None = None
    entries: list[IniEntry] = field(default_factory=list)


def read_ini_file(path: str, diags: Diagnostics, *, data: bytes | None = None,
                  display: str | None = None, env: dict[str, str] | None = None) -> IniFile:
    """One php.ini-dialect file (`data`: its content, already read, e.g. through the
    filesystem view). A syntax error stops the file there, as PHP stops parsing it."""
    out = IniFile(path)
    try:
        source = (SourceFile.read(path, display) if data is None
                  else SourceFile(path, data, display_path=display))
    except OSError as exc:
        diags.add(f"Failed opening '{display or path}': {exc.strerror} ({exc.errno})", file=display or path)
        return out
    out.source = source
    scope: str | None = None
    for start, end in split_lines(source.data):
        text = source.data[start:end].decode("utf-8", "surrogateescape").strip(" \t\r")
        if text.startswith("["):
            close = text.find("]")
            if close == -1:
                diags.add("syntax error, unexpected end of file, expecting ']'",
                          Span(source, end, end))
                return out
            scope = _scope(text[1:close])
            continue
        item = parse_line(source, start, end, diags, env or {}, expressions=True)
        if item is False:
            return out
        if isinstance(item, Entry) and item.value is not None:
            out.entries.append(IniEntry(item, scope))
    return out


def _scope(name: str) -> str | None:
    name = name.strip(" \t").strip("\"'")
    kind, sep, value = name.partition("=")
    if not sep or kind.strip().upper() not in ("PATH", "HOST"):
        return None
    value = value.strip(" \t").strip("\"'")
    if kind.strip().upper() == "PATH":
        value = value.rstrip("/\\") or "/"
    else:
        value = value.lower()
    return f"{kind.strip().upper()}={value}"

"""A systemd service unit as systemd reads it: the fragment, then its drop-ins.

Semantics follow systemd 252 (Debian 12), read from its source:
- src/basic/path-lookup.c (lookup_paths_init): the system unit search path,
  highest priority first; the first directory holding NAME.service supplies
  the fragment; a fragment that is empty or a link to /dev/null is masked.
- src/shared/dropin.c (unit_file_find_dropin_paths) and
  src/basic/conf-files.c (conf_files_list_strv): *.conf files of every
  NAME.service.d/ (and the dash-prefix and type-level `service.d/`) in every
  search directory, one per file name (the highest-priority directory's copy
  masks the others), applied in file-name order after the fragment.
- src/shared/conf-parser.c (config_parse, parse_line): a line ending in an
  unescaped backslash continues on the next (the backslash becomes a space;
  comment lines inside a continuation are skipped); `#` and `;` start comment
  lines; `[Section]`; `Key=Value` with whitespace stripped on both sides.

Nothing here interprets a setting: `Unit.assignments` keeps every assignment in
the order systemd applies them, each with its span (file:line:column), and
confcheck/fs/sandbox.py gives the namespace settings their meaning.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from confcheck.source import SourceFile, Span

# src/basic/path-lookup.c, system scope, highest priority first. /lib comes
# after /usr/lib for hosts without merged /usr (on merged ones it is the same
# directory and its files mask themselves).
SEARCH_PATH = (
    "/etc/systemd/system.control",
    "/run/systemd/system.control",
    "/run/systemd/transient",
    "/run/systemd/generator.early",
    "/etc/systemd/system",
    "/etc/systemd/system.attached",
    "/run/systemd/system",
    "/run/systemd/system.attached",
    "/run/systemd/generator",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
    "/run/systemd/generator.late",
)

_COMMENTS = "#;"
_WHITESPACE = " \t\n\r"


@dataclass(frozen=True, slots=True)
class Assignment:
    section: str        # "Service"
    key: str            # "ProtectHome"
    value: str          # as conf-parser hands it to the setting's parser (stripped, continuations joined)
    span: Span          # the whole line (from the key to the end of the value)

    @property
    def where(self) -> str:
        return f"{self.span.file}:{self.span.line}:{self.span.column}"

    @property
    def text(self) -> str:
        return f"{self.key}={self.value}"


@dataclass(slots=True)
class Unit:
    name: str                                   # nginx.service
    fragment: str | None = None                 # server path of the unit file
    dropins: list[str] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    masked: bool = False
    problems: list[str] = field(default_factory=list)   # lines systemd would ignore with a warning

    @property
    def files(self) -> list[str]:
        """Every file read, in the order systemd applies them (what `systemctl cat` shows)."""
        return ([self.fragment] if self.fragment else []) + self.dropins

    def get(self, section: str, key: str) -> list[Assignment]:
        return [a for a in self.assignments if a.section == section and a.key == key]


def _readable(fs, path: str) -> bytes | None:
    from confcheck.fs.model import NotChecked
    try:
        return fs.read_bytes(path)
    except (NotChecked, OSError):
        return None


def _is_masked(data: bytes) -> bool:
    """systemd's null_or_empty: an empty file (or a link to /dev/null, checked first) masks the unit."""
    return not data.strip()


def _lstat(fs, path: str):
    """A path the view cannot show (a snapshot that recorded no units) counts as absent."""
    from confcheck.fs.model import NotChecked
    try:
        return fs.lstat(path)
    except (NotChecked, OSError):
        return None


def _dropin_dirs(name: str) -> list[str]:
    """NAME.service.d, then `foo-.service.d` for each dash prefix, then `service.d`
    (src/shared/dropin.c: unit_file_find_dirs with the name's prefixes and type)."""
    stem, _, suffix = name.rpartition(".")
    names = [name]
    parts = stem.split("-")
    for i in range(len(parts) - 1, 0, -1):
        names.append("-".join(parts[:i]) + "-." + suffix)
    names.append(suffix)
    return [n + ".d" for n in names]


def _list_confs(fs, directory: str) -> list[str]:
    from confcheck.fs.model import NotChecked
    try:
        return sorted(posixpath.basename(m.path) for m in fs.scandir(directory)
                      if m.path.endswith(".conf") and m.kind in ("file", "link"))
    except (NotChecked, OSError):
        return []


def find_files(fs, name: str) -> tuple[str | None, list[str]]:
    """(fragment, drop-ins in the order applied) for unit `name`, as server paths."""
    fragment = None
    for directory in SEARCH_PATH:
        path = directory + "/" + name
        if _lstat(fs, path) is not None:
            fragment = path
            break
    chosen: dict[str, str] = {}
    # dropin.c walks the search path, and in each directory the unit's own and
    # prefix directories; conf-files.c keeps the first file of each name (the
    # highest priority masks the rest) and applies them in file-name order
    for directory in SEARCH_PATH:
        for sub in _dropin_dirs(name):
            for base in _list_confs(fs, directory + "/" + sub):
                chosen.setdefault(base, directory + "/" + sub + "/" + base)
    dropins = [chosen[base] for base in sorted(chosen)]
    return fragment, dropins


def parse(source: SourceFile, out: Unit) -> None:
    """Append the assignments of one unit file to `out` (conf-parser.c's line rules)."""
    text = source.text
    offsets = source.line_starts
    section = None
    cont: list[tuple[str, int]] | None = None    # pieces of a continued line: (text, offset)
    lines = text.split("\n")
    for number, line in enumerate(lines):
        start = offsets[number] if number < len(offsets) else len(source.data)
        if line.endswith("\r"):
            line = line[:-1]
        if number == 0 and line.startswith("\ufeff"):
            line, start = line[1:], start + 3
        if cont is not None and line.lstrip(_WHITESPACE)[:1] in tuple(_COMMENTS):
            continue
        pieces = (cont or []) + [(line, start)]
        joined = "".join(p for p, _ in pieces)
        if _escaped_end(joined):
            pieces[-1] = (line[:-1] + " ", start)
            cont = pieces
            continue
        cont = None
        section = _parse_line(source, pieces, section, out)
    if cont is not None:
        _parse_line(source, cont, section, out)


def _escaped_end(text: str) -> bool:
    escaped = False
    for ch in text:
        escaped = (not escaped) and ch == "\\"
    return escaped


def _parse_line(source: SourceFile, pieces: list[tuple[str, int]], section: str | None, out: Unit) -> str | None:
    joined = "".join(p for p, _ in pieces)
    stripped = joined.strip(_WHITESPACE)
    if not stripped or stripped[0] in _COMMENTS:
        return section
    first_text, first_off = pieces[0]
    lead = len(first_text) - len(first_text.lstrip(_WHITESPACE))
    begin = first_off + len(first_text[:lead].encode("utf-8", "surrogateescape"))
    last_text, last_off = pieces[-1]
    end = last_off + len(last_text.rstrip(_WHITESPACE).encode("utf-8", "surrogateescape"))
    span = Span(source, begin, max(begin, end))
    if stripped.startswith("["):
        if not stripped.endswith("]"):
            out.problems.append(f"{span.file}:{span.line}:{span.column}: invalid section header {stripped!r}")
            return None
        return stripped[1:-1]
    if "=" not in stripped:
        out.problems.append(f"{span.file}:{span.line}:{span.column}: missing '=', line ignored")
        return section
    if section is None:
        out.problems.append(f"{span.file}:{span.line}:{span.column}: assignment outside of a section, ignored")
        return section
    key, _, value = stripped.partition("=")
    out.assignments.append(Assignment(section, key.strip(_WHITESPACE), value.strip(_WHITESPACE), span))
    return section


def load_unit(fs, name: str, display=None) -> Unit | None:
    """Unit `name` as the view `fs` holds it (host or --root image); None when no file
    of it exists. `display(path)` gives a file's display path (the host path under a root)."""
    fragment, dropins = find_files(fs, name)
    if fragment is None and not dropins:
        return None
    unit = Unit(name)
    for path in ([fragment] if fragment else []) + dropins:
        meta = _lstat(fs, path)
        if path == fragment and meta is not None and meta.kind == "link" and meta.target == "/dev/null":
            unit.fragment, unit.masked = path, True
            return unit
        data = _readable(fs, path)
        if data is None:
            unit.problems.append(f"{path}: cannot be read")
            continue
        if path == fragment:
            unit.fragment = path
            if _is_masked(data):
                unit.masked = True
                return unit
        else:
            unit.dropins.append(path)
        shown = display(path) if display is not None else path
        parse(SourceFile(path, data, path, shown), unit)
    return unit


__all__ = ["Assignment", "Unit", "SEARCH_PATH", "find_files", "load_unit", "parse"]


def in_effect(unit: "Unit", key: str, section: str = "Service") -> list:
    """The assignments of a list setting after its last reset (an empty assignment)."""
    kept: list = []
    for a in unit.get(section, key):
        kept = kept + [a] if a.value else []
    return kept


def environment(unit: "Unit", read_file) -> dict[str, tuple[str, str]]:
    """The unit's environment as (value, where) by name: Environment=, then EnvironmentFile=
    over it (systemd.exec(5): "Settings from these files override settings made with
    Environment="), each list reset by an empty assignment. `read_file(path)` reads one
    EnvironmentFile= (its leading `-` already dropped) the same way."""
    import shlex
    out: dict[str, tuple[str, str]] = {}
    for item in in_effect(unit, "Environment"):
        try:
            words = shlex.split(item.value)
        except ValueError:
            continue
        for word in words:
            key, sep, value = word.partition("=")
            if sep:
                out[key] = (value, item.where)
    for item in in_effect(unit, "EnvironmentFile"):
        out.update(read_file(item.value.lstrip("-")))
    return out

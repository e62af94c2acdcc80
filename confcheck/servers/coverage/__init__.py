"""The coverage table: what each directive of nginx and Apache can do to a status.

Every directive of the modules Debian 12's nginx 1.22 and Apache 2.4 are built
with belongs to one class (nginx_classes.py, apache_classes.py):

  modelled   decide() reproduces it;
  no-effect  it cannot change the status of a request;
  unknown    it can, and the model does not know how: a request that passes
             it is answered with status null and the directive named.

A directive no table knows (a third-party module) is unknown too. The models
ask `unknown_directive()` about each directive a request passes; the
documentation page docs/coverage.md is generated from the same data
(`python -m confcheck.servers.coverage` writes it, `--check` compares).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

MODELLED, NO_EFFECT, UNKNOWN = "modelled", "no-effect", "unknown"
CLASSES = (MODELLED, NO_EFFECT, UNKNOWN)
THIRD_PARTY = "a directive of no module Debian's build has (a third-party module): its effect is not modelled"


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    module: str
    origin: str                  # built-in | dynamic:FILE.so | not-built | not-in-1.22 | mods-available ...
    cls: str
    reason: str
    off_values: frozenset = frozenset()   # first-argument values that switch an `unknown` directive off


def _parse_classes(text: str) -> tuple[dict, dict]:
    """(module defaults, directive lines) of a class table; names lower-cased."""
    defaults: dict[str, tuple] = {}
    lines: dict[str, tuple] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        spec, _, reason = line.partition(" -- ")
        words = spec.split()
        name, cls = words[0], words[1]
        if cls not in CLASSES:
            raise ValueError(f"coverage table: {line!r}: class {cls!r}")
        off = frozenset()
        for word in words[2:]:
            if word.startswith("except="):
                off = frozenset(v.lower() for v in word[7:].split(","))
        value = (cls, reason.strip(), off)
        target, key = (defaults, name[1:]) if name.startswith("*") else (lines, name.lower())
        if key in target:
            raise ValueError(f"coverage table: {name} is classed twice")
        target[key] = value
    return defaults, lines


def _side(name: str) -> bool:
    """stream{} and mail{} modules: their directives share names with http's, never their class."""
    return name.startswith(("ngx_stream_", "ngx_mail_"))


@lru_cache(maxsize=1)
def nginx_entries() -> tuple[Entry, ...]:
    """One entry per (module, directive) of nginx 1.22, in source order."""
    from confcheck.servers.coverage.nginx_classes import CLASSES as TEXT
    from confcheck.servers.coverage.nginx_modules import MODULES
    defaults, lines = _parse_classes(TEXT)
    out: list[Entry] = []
    home: set[str] = set()
    module = origin = ""
    for line in MODULES.splitlines():
        if line.startswith("@"):
            module, origin = line[1:].split()
            continue
        for name in line.split():
            own = lines.get(name) if not _side(module) and name not in home else None
            if not _side(module):
                home.add(name)
            cls, reason, off = own or defaults[module]
            out.append(Entry(name, module, origin, cls, reason, off))
    return tuple(out)


@lru_cache(maxsize=1)
def _nginx_by_name() -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    for entry in nginx_entries():
        if entry.name not in found or (_side(found[entry.name].module) and not _side(entry.module)):
            found[entry.name] = entry
    return found


def nginx_entry(name: str) -> Entry | None:
    return _nginx_by_name().get(name)


@lru_cache(maxsize=1)
def apache_entries() -> tuple[Entry, ...]:
    """One entry per directive of confcheck's Apache directive table."""
    from confcheck.parsers.apache_directives import _table
    from confcheck.servers.coverage.apache_classes import CLASSES as TEXT
    defaults, lines = _parse_classes(TEXT)
    out: list[Entry] = []
    for key, info in sorted(_table().items(), key=lambda kv: (kv[1].modules, kv[0])):
        module = info.modules[0]
        own = lines.get(key) or lines.get(key.lstrip("<"))
        cls, reason, off = own or defaults[module[:-len("_module")]]
        out.append(Entry(info.name, module, _apache_origin(module), cls, reason, off))
    return tuple(out)


def _apache_origin(module: str) -> str:
    from confcheck.servers.coverage.apache_classes import BUILT_IN, NOT_PACKAGED
    short = module[:-len("_module")]
    if short in BUILT_IN:
        return "built-in"
    if short in NOT_PACKAGED:
        return NOT_PACKAGED[short]
    return f"mods-available/{short}.load"


@lru_cache(maxsize=1)
def _apache_by_name() -> dict[str, Entry]:
    return {e.name.lower(): e for e in apache_entries()}


def apache_entry(name: str) -> Entry | None:
    """`name` as written (case-insensitive); a section as `<Name` or `Name`."""
    table = _apache_by_name()
    key = name.lower()
    return table.get(key) or (table.get("<" + key) if not key.startswith("<") else None)


def unknown_reason(entry: Entry | None, first_value: str | None) -> str | None:
    """Why passing this directive makes the answer unknown, or None when it does not."""
    if entry is None:
        return THIRD_PARTY
    if entry.cls != UNKNOWN:
        return None
    if first_value is not None and first_value.lower() in entry.off_values:
        return None
    return entry.reason


# -- which modules exist ------------------------------------------------------

def nginx_dynamic_files() -> dict[str, str]:
    """Module name -> the .so `load_module` must name for it (Debian's dynamic modules)."""
    return {e.module: e.origin.split(":", 1)[1] for e in nginx_entries() if e.origin.startswith("dynamic:")}


def nginx_loaded_modules(load_module_paths: list[str]) -> frozenset[str]:
    """The modules nginx has: those built in, and the dynamic ones whose .so a
    `load_module` line names (Debian: /etc/nginx/modules-enabled/*.conf)."""
    files = {path.rsplit("/", 1)[-1] for path in load_module_paths}
    have = {e.module for e in nginx_entries() if e.origin == "built-in"}
    have |= {module for module, so in nginx_dynamic_files().items() if so in files}
    return frozenset(have)


@lru_cache(maxsize=32)
def _nginx_unloaded(files: frozenset[str]) -> frozenset[str]:
    loaded = nginx_loaded_modules(list(files))
    have = {e.name for e in nginx_entries() if e.module in loaded or not e.origin.startswith("dynamic:")}
    return frozenset(e.name for e in nginx_entries() if e.origin.startswith("dynamic:")) - have


def nginx_unloaded_directives(load_module_paths: list[str]) -> frozenset[str]:
    """The directives only Debian's dynamic modules define, of the modules these
    `load_module` paths do not load: nginx answers `unknown directive` to them."""
    return _nginx_unloaded(frozenset(p.rsplit("/", 1)[-1] for p in load_module_paths))


def nginx_directive_exists(name: str, loaded: frozenset[str]) -> bool | None:
    """Whether nginx with these modules knows `name`; None: no module of nginx 1.22 has it
    (a third-party module may)."""
    modules = {e.module for e in nginx_entries() if e.name == name}
    if not modules:
        return None
    return bool(modules & loaded)


def apache_directive_exists(name: str, loaded: set[str]) -> bool | None:
    """Whether httpd with these modules (LoadModule, mods-enabled) knows `name`; None: unknown name."""
    from confcheck.parsers.apache_directives import providing_modules
    modules = providing_modules(name)
    if modules is None:
        return None
    return any(m in loaded for m in modules)

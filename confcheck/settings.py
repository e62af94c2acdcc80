"""Project settings: `[tool.confcheck]` in pyproject.toml or a `.confcheck.toml`.

Discovery works like ruff's: starting at a directory (the current one), the
nearest directory that holds a `.confcheck.toml`, or a `pyproject.toml` with a
`[tool.confcheck]` table, wins; there is no merging between files. In one
directory `.confcheck.toml` beats `pyproject.toml`. A pyproject.toml without
the table is skipped, so a Python project's unrelated pyproject never hides
the config repository's settings further up.

Keys (all optional; dashes or underscores):

    select = ["FS101", "NGX"]        # rule ids or id prefixes to run
    ignore = ["NGX106"]              # rule ids or prefixes to skip
    fail-on = "warning"              # info | warning | error
    worker-user = "www-data"
    server = "nginx"                 # nginx | apache
    baseline = ".confcheck-baseline.json"
    [per-file-ignores]               # (or [tool.confcheck.per-file-ignores])
    "sites-available/legacy-*" = ["NGX105"]

Command-line flags override the file key by key (a `--select` replaces the
file's `select`, it does not add to it). Relative paths in the file (baseline,
per-file-ignores patterns) are relative to the file's directory: the
*project root*, which is also what SARIF URIs, fingerprints and baselines are
relative to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

CONFIG_NAMES = (".confcheck.toml", "pyproject.toml")
SEVERITIES = ("info", "warning", "error")
SERVERS = ("nginx", "apache")


class SettingsError(Exception):
    """A settings file that cannot be used (exit 2, one line naming the file)."""


@dataclass(frozen=True)
class Settings:
    path: str | None = None                 # the file read, None when there is none
    root: str = "."                         # project root: the file's directory, else the cwd
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    worker_user: str | None = None
    server: str | None = None
    baseline: str | None = None
    app_settings: tuple[str, ...] = ()      # Django settings files behind the proxy ([HOST=]FILE)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)


def _load_toml(path: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:   # Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None


def _table_in(path: str) -> dict | None:
    data = _load_toml(path)
    if os.path.basename(path) == "pyproject.toml":
        table = data.get("tool", {}).get("confcheck")
        return table if isinstance(table, dict) else None
    return data


def find_settings_file(start: str) -> tuple[str, dict] | None:
    """The nearest settings file at or above `start`, with its confcheck table."""
    directory = os.path.abspath(start)
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                table = _table_in(candidate)
                if table is not None:
                    return candidate, table
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _ids(path: str, key: str, value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{path}: {key} must be a list of rule ids, like [\"FS101\"]")
    return tuple(v.strip().upper() for v in value)


def _choice(path: str, key: str, value, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        raise SettingsError(f"{path}: {key} must be one of {', '.join(choices)} (got {value!r})")
    return value.lower()


def parse_settings(path: str, table: dict) -> Settings:
    root = os.path.dirname(os.path.abspath(path))
    values: dict = {}
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key == "select":
            values["select"] = _ids(path, key, value)
        elif key == "ignore":
            values["ignore"] = _ids(path, key, value)
        elif key == "fail-on":
            values["fail_on"] = _choice(path, key, value, SEVERITIES)
        elif key == "server":
            values["server"] = _choice(path, key, value, SERVERS)
        elif key in ("worker-user", "baseline"):
            if not isinstance(value, str) or not value:
                raise SettingsError(f"{path}: {key} must be a non-empty string")
            values[key.replace("-", "_")] = value
        elif key == "app-settings":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise SettingsError(f"{path}: app-settings must be a list of settings files, like "
                                    "[\"shop/settings.py\"] (or \"HOST=FILE\")")
            values["app_settings"] = tuple(_under(root, v) for v in value)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise SettingsError(f"{path}: per-file-ignores must be a table of "
                                    "\"glob\" = [\"RULE\", ...]")
            values["per_file_ignores"] = tuple((pattern, _ids(path, f"per-file-ignores {pattern!r}", ids))
                                               for pattern, ids in value.items())
        else:
            known = "select, ignore, fail-on, per-file-ignores, worker-user, server, baseline, app-settings"
            raise SettingsError(f"{path}: unknown key {raw_key!r} (known: {known})")
    return Settings(path=path, root=root, **values)


def _under(root: str, value: str) -> str:
    """An app-settings entry with its file relative to the settings file's directory."""
    host, sep, path = value.rpartition("=")
    if not sep:
        host, path = "", value
    path = os.path.join(root, path)
    return f"{host}={path}" if host else path


def load_settings(start: str | None = None, explicit: str | None = None,
                  isolated: bool = False) -> Settings:
    """The settings that apply: `explicit` (--settings FILE), else the nearest file
    above `start` (default: the current directory), else none."""
    cwd = os.path.abspath(start or os.getcwd())
    if isolated:
        return Settings(root=cwd)
    if explicit is not None:
        if not os.path.isfile(explicit):
            raise SettingsError(f"{explicit}: " + ("a directory, not a settings file" if os.path.isdir(explicit)
                                                   else "no such settings file"))
        table = _table_in(explicit)
        if table is None:
            raise SettingsError(f"{explicit}: has no [tool.confcheck] table")
        return parse_settings(explicit, table)
    found = find_settings_file(cwd)
    if found is None:
        return Settings(root=cwd)
    return parse_settings(*found)


def matches_rule(rule_id: str, patterns) -> bool:
    """A rule id against ids or prefixes ("NGX" matches every nginx rule; "ALL" all)."""
    return any(p == "ALL" or rule_id.startswith(p) for p in patterns)


def per_file_ignored(settings: Settings, rule_id: str, file: str | None) -> bool:
    """Is `rule_id` ignored for `file` by a per-file-ignores glob?

    Globs match the path relative to the project root (`sites-available/*`) or,
    for patterns without a slash, the file name alone (ruff does the same).
    """
    if not settings.per_file_ignores or not file:
        return False
    from fnmatch import fnmatchcase
    rel = relative_to_root(settings.root, file)
    name = os.path.basename(file)
    for pattern, ids in settings.per_file_ignores:
        target = rel if "/" in pattern else name
        if fnmatchcase(target, pattern) and matches_rule(rule_id, ids):
            return True
    return False


def relative_to_root(root: str, file: str) -> str:
    """`file` relative to the project root with `/` separators, or absolute when
    it lies outside (a config read from /etc while the project is elsewhere)."""
    absolute = os.path.abspath(file)
    root_abs = os.path.abspath(root)
    if absolute == root_abs or absolute.startswith(root_abs.rstrip("/") + "/"):
        return os.path.relpath(absolute, root_abs).replace(os.sep, "/")
    return absolute

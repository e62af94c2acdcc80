"""Django projects in the trees the user named, and the app server that runs each.

A project is a `manage.py` (its DJANGO_SETTINGS_MODULE default from
`os.environ.setdefault(...)`), or a settings file named with `--app-settings
FILE` (or `HOST=FILE`: linked to the server block answering HOST). A systemd
unit (`*.service`) in the same trees whose ExecStart runs gunicorn gives the
bind address and DJANGO_SETTINGS_MODULE (Environment=, EnvironmentFile=); a
`.env` beside manage.py gives environment values; a `gunicorn.conf.py` beside
it gives the bind when no unit does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import libcst as cst

from confcheck.apps import gunicorn as gunicorn_conf
from confcheck.apps import uwsgi as uwsgi_conf
from confcheck.apps.django.settings import DjangoSettings, read_settings

SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "site-packages", ".tox", "static", "media"}
MAX_DEPTH = 6


@dataclass
class App:
    settings: DjangoSettings
    gunicorn: gunicorn_conf.Gunicorn | None = None
    uwsgi: uwsgi_conf.Uwsgi | None = None
    server_names: list[str] = field(default_factory=list)   # --app-settings HOST=FILE
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.settings.path


class AppError(Exception):
    """An --app-settings value that cannot be read (exit 2)."""


def _walk(top: str):
    for dirpath, dirnames, filenames in os.walk(top):
        depth = dirpath[len(top):].count(os.sep)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                             and depth < MAX_DEPTH)
        yield dirpath, filenames


def _setdefault_module(path: str) -> str | None:
    """DJANGO_SETTINGS_MODULE from manage.py/wsgi.py's os.environ.setdefault(...)."""
    try:
        tree = cst.parse_module(open(path, "rb").read())
    except (OSError, cst.ParserSyntaxError):
        return None
    found: list[str] = []

    class Visit(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "setdefault" and \
                    len(node.args) == 2 and all(isinstance(a.value, cst.SimpleString) for a in node.args) and \
                    node.args[0].value.evaluated_value == "DJANGO_SETTINGS_MODULE":
                found.append(node.args[1].value.evaluated_value)

    tree.visit(Visit())
    return found[0] if found else None


def module_file(root: str, dotted: str) -> str | None:
    base = os.path.join(root, *dotted.split("."))
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


def read_env_file(path: str) -> dict[str, tuple[str, str]]:
    """KEY=VALUE lines of a .env or an EnvironmentFile (comments, `export`, quotes)."""
    out: dict[str, tuple[str, str]] = {}
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        return out
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("export "):
            line = line[7:].strip()
        key, sep, value = line.partition("=")
        if sep and key.strip().isidentifier():
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            out[key.strip()] = (value, f"{path}:{number}")
    return out


@dataclass
class _UnitApp:
    gunicorn: gunicorn_conf.Gunicorn
    environ: dict[str, tuple[str, str]]
    workdir: str | None


def _units(trees: list[str]) -> list[_UnitApp]:
    from confcheck.parsers import systemd_unit
    from confcheck.source import SourceFile
    found = []
    for top in trees:
        for dirpath, files in _walk(top):
            for name in files:
                if not name.endswith(".service"):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    source = SourceFile.read(path)
                except OSError:
                    continue
                unit = systemd_unit.Unit(name)
                systemd_unit.parse(source, unit)
                starts = unit.get("Service", "ExecStart")
                if not starts:
                    continue
                start = starts[-1]
                workdir = (unit.get("Service", "WorkingDirectory") or [None])[-1]
                cwd = workdir.value.lstrip("-") if workdir is not None else None
                g = gunicorn_conf.from_command(gunicorn_conf.split_exec(start.value), start.where, cwd)
                if g is None:
                    continue
                found.append(_UnitApp(g, systemd_unit.environment(unit, read_env_file), g.chdir or cwd))
    return found


def _inis(trees: list[str]) -> list[uwsgi_conf.Uwsgi]:
    """uWSGI ini files (a [uwsgi] section) in the trees: Debian's /etc/uwsgi/apps-enabled, a
    project's own uwsgi.ini."""
    found = []
    for top in trees:
        for dirpath, files in _walk(top):
            for name in sorted(files):
                if name.endswith(".ini"):
                    u = uwsgi_conf.read_ini(os.path.join(dirpath, name))
                    if u is not None:
                        found.append(u)
    return found


def _ini_for(inis: list[uwsgi_conf.Uwsgi], root: str) -> uwsgi_conf.Uwsgi | None:
    root = os.path.realpath(root)
    for u in inis:
        where = uwsgi_conf.app_root(u)
        if where and os.path.realpath(where) == root:
            return u
    return None


def _ini_settings(u: uwsgi_conf.Uwsgi) -> tuple[str | None, str]:
    """The settings file a uWSGI ini loads: env DJANGO_SETTINGS_MODULE, else the WSGI file's
    os.environ.setdefault; (path or None, how found)."""
    root = uwsgi_conf.app_root(u)
    if root is None:
        return None, ""
    dsm = u.environ.get("DJANGO_SETTINGS_MODULE")
    if dsm is not None:
        return module_file(root, dsm[0]), f"DJANGO_SETTINGS_MODULE={dsm[0]} ({dsm[1]})"
    wsgi = uwsgi_conf.wsgi_path(u)
    dotted = _setdefault_module(wsgi) if wsgi and os.path.isfile(wsgi) else None
    return (module_file(root, dotted), f"{wsgi} (uWSGI {u.source})") if dotted else (None, "")


def discover(trees: list[str], app_settings: list[str]) -> tuple[list[App], list[str]]:
    """The Django apps in `trees` and named by --app-settings; (apps, notes)."""
    notes: list[str] = []
    units = _units(trees)
    inis = _inis(trees)
    apps: list[App] = []
    seen: set[str] = set()

    def add(settings_path: str, root: str, how: str, names: list[str]) -> None:
        real = os.path.realpath(settings_path)
        if real in seen:
            for app in apps:
                if os.path.realpath(app.settings.path) == real:
                    app.server_names += names
            return
        seen.add(real)
        unit = _unit_for(units, root)
        ini = _ini_for(inis, root)
        environ = read_env_file(os.path.join(root, ".env"))
        g = None
        if ini is not None:
            environ.update(ini.environ)
        if unit is not None:
            environ.update(unit.environ)
            g = unit.gunicorn
        elif os.path.isfile(os.path.join(root, "gunicorn.conf.py")):
            g = gunicorn_conf.Gunicorn(source=os.path.join(root, "gunicorn.conf.py"))
            gunicorn_conf.read_config_file(os.path.join(root, "gunicorn.conf.py"), g, environ)
        dsm = environ.get("DJANGO_SETTINGS_MODULE")
        if dsm is not None and how == "manage.py":
            other = module_file(root, dsm[0])
            if other is not None and os.path.realpath(other) != real:
                settings_path, how = other, f"DJANGO_SETTINGS_MODULE={dsm[0]} ({dsm[1]})"
                seen.add(os.path.realpath(other))
        settings = read_settings(settings_path, environ=environ, package_root=root, how_found=how)
        apps.append(App(settings, g, ini, list(names)))

    for value in app_settings:
        host, sep, path = value.rpartition("=")
        names = [host] if sep and host else []
        path = path if sep else value
        if not os.path.isfile(path):
            raise AppError(f"--app-settings {value}: {path} is not a file")
        add(path, _package_root(path), "--app-settings", names)
    for top in trees:
        for dirpath, files in _walk(top):
            if "manage.py" in files:
                dotted = _setdefault_module(os.path.join(dirpath, "manage.py"))
                if dotted is None:
                    notes.append(f"{os.path.join(dirpath, 'manage.py')}: no DJANGO_SETTINGS_MODULE default in it")
                    continue
                path = module_file(dirpath, dotted)
                if path is None:
                    notes.append(f"{os.path.join(dirpath, 'manage.py')}: {dotted} is not a file under {dirpath}")
                    continue
                add(path, dirpath, "manage.py", [])
    for u in inis:
        # an app server whose project is outside the trees named (/etc/uwsgi/apps-enabled named alone)
        path, how = _ini_settings(u)
        if path is not None and os.path.realpath(path) not in seen:
            add(path, uwsgi_conf.app_root(u), how, [])
        elif path is None:
            notes.append(f"{u.source}: the Django settings it loads are not found")
    return apps, notes


def _package_root(settings_path: str) -> str:
    """The directory dotted names start from: above the last folder with __init__.py."""
    directory = os.path.dirname(os.path.abspath(settings_path))
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory = os.path.dirname(directory)
    return directory


def _unit_for(units: list[_UnitApp], root: str) -> _UnitApp | None:
    root = os.path.realpath(root)
    for unit in units:
        if unit.workdir and os.path.realpath(unit.workdir) == root:
            return unit
    return units[0] if len(units) == 1 and not any(u.workdir for u in units) else None

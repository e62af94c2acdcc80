"""uWSGI between the proxy and the app: its ini file (where it listens, which
app it loads, its environment) and how it decides wsgi.url_scheme.

Semantics of uWSGI 2.0.30 (the version the test extra pins):
- core/ini.c: `[uwsgi]` is the section read; `key = value` lines, `;`/`#`
  comments; a repeated key adds (sockets, env) or replaces (chdir, module).
  core/utils.c magic vars: %d the ini's folder (with a trailing /), %n its
  name without extension, %p its full path, %s its file name, %c the folder's
  name; `%(key)` a value set earlier.
- core/uwsgi.c: `socket`/`uwsgi-socket`/`-s` bind the uwsgi protocol (the
  default `protocol` unless `protocol = http`), `http-socket` plain HTTP,
  `http` an HTTP router process in front of the workers; an address with a
  `:` is TCP (`:3031` every address), otherwise a unix socket path.
  plugins/python: `module`/`wsgi` (dotted[:callable]), `wsgi-file`/`file`,
  `chdir`; `env = KEY=VALUE`.
- core/protocol.c uwsgi_parse_vars, plugins/python/wsgi_subhandler.c: the
  request's variables are read in packet order; `HTTPS` and
  `HTTP_X_FORWARDED_SSL` fill one slot, `UWSGI_SCHEME` and
  `HTTP_X_FORWARDED_PROTO` another (the last one seen wins, an empty value
  included). wsgi.url_scheme is the scheme slot's value as it is when not
  empty, else `https` when the https slot starts with `on` (any case) or
  `1`, else `http`. No peer is trusted or distrusted: any client's
  X-Forwarded-Proto that reaches uWSGI sets the scheme.
- Debian's uwsgi package starts each /etc/uwsgi/apps-enabled/NAME.ini as
  `--inherit /usr/share/uwsgi/conf/default.ini --ini NAME.ini`
  (init/specific_daemon), whose `socket` is /run/uwsgi/app/NAME/socket.
  That socket is assumed only for an ini without a socket of its own (with
  one, whether the inherited one is also bound is not followed: a pass to it
  stays unlinked, null).
- `env` calls setenv() before the uwsgi binary starts Python, so os.environ
  sees it; under pip's pyuwsgi the Python VM is already running and
  os.environ does not (measured here with pyuwsgi 2.0.30 and Debian 12's
  uwsgi 2.0.21, whose protocol.c and wsgi_subhandler.c equal 2.0.30's). Outside Debian's apps-enabled the value is used and
  this is stated in its assumption.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from confcheck.apps.gunicorn import binds_match

UWSGI_SOCKETS = ("socket", "uwsgi-socket", "s")
HTTP_SOCKETS = ("http-socket", "http")
# the request variables uWSGI reads for wsgi.url_scheme (core/protocol.c)
SCHEME_VARIABLES = ("HTTPS", "HTTP_X_FORWARDED_SSL", "UWSGI_SCHEME", "HTTP_X_FORWARDED_PROTO")


@dataclass
class Uwsgi:
    source: str                                             # the ini file
    sockets: list[str] = field(default_factory=list)        # uwsgi protocol, gunicorn's bind form
    http_sockets: list[str] = field(default_factory=list)   # HTTP (http-socket, http router)
    chdir: str | None = None
    module: str | None = None                               # shop.wsgi[:application]
    wsgi_file: str | None = None
    environ: dict[str, tuple[str, str]] = field(default_factory=dict)   # KEY -> (value, file:line)
    where: dict[str, str] = field(default_factory=dict)     # option -> file:line
    unknown: dict[str, str] = field(default_factory=dict)   # option -> why not known
    notes: list[str] = field(default_factory=list)

    kind = "uwsgi"

    def bound_to(self, protocol: str, address: str | None, port: int | None, socket: str | None) -> str | None:
        """The option binding this address for this protocol, or None."""
        for option, binds in (("socket", self.sockets), ("http-socket", self.http_sockets)):
            if (protocol == "uwsgi") == (option == "socket") and binds_match(binds, address, port, socket):
                return self.where.get(option, self.source)
        return None


def url_scheme(variables: list[tuple[str, str]]) -> tuple[str, str]:
    """wsgi.url_scheme from the request's variables in packet order, and why."""
    scheme = https = None
    for name, value in variables:
        if name in ("UWSGI_SCHEME", "HTTP_X_FORWARDED_PROTO"):
            scheme = (name, value)
        elif name in ("HTTPS", "HTTP_X_FORWARDED_SSL"):
            https = (name, value)
    if scheme is not None and scheme[1]:
        return scheme[1], f"uWSGI takes {scheme[0]}={scheme[1]!r} as wsgi.url_scheme (from any peer)"
    if https is not None and (https[1][:2].lower() == "on" or https[1][:1] == "1"):
        return "https", f"uWSGI: {https[0]}={https[1]!r} makes wsgi.url_scheme https"
    got = ", ".join(f"{slot[0]}={slot[1]!r}" for slot in (scheme, https) if slot) or \
        "no HTTPS, UWSGI_SCHEME, X-Forwarded-Proto or X-Forwarded-Ssl"
    return "http", f"uWSGI: {got}, so wsgi.url_scheme is http"


def header_variables(headers: dict[str, str]) -> list[tuple[str, str]]:
    """HTTP headers as the variables uWSGI makes of them (HTTP_NAME, - as _)."""
    return [("HTTP_" + name.upper().replace("-", "_"), value) for name, value in headers.items()]


_MAGIC = re.compile(r"%\(([^)]*)\)|%([a-zA-Z])")


def read_ini(path: str, text: str | None = None) -> Uwsgi | None:
    """The [uwsgi] section of an ini file; None when it has none."""
    try:
        text = text if text is not None else open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return None
    u = Uwsgi(source=path)
    folder = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    magic = {"d": folder + "/", "n": os.path.splitext(base)[0], "p": os.path.abspath(path), "s": base,
             "c": os.path.basename(folder), "%": "%"}
    values: dict[str, str] = {}
    section, seen = "", False
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(" \t\r")
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("["):
            section = line[1:-1]
            continue
        if section != "uwsgi":
            continue
        seen = True
        key, _, value = line.partition("=")
        key, value = key.strip(" \t\r"), value.strip(" \t\r")
        where = f"{path}:{number}"
        expanded, why = _expand(value, magic, values)
        if expanded is None:
            u.unknown[key] = f"{where}: {why}"
            continue
        values[key] = expanded
        _apply(u, key, expanded, where, folder)
    if not seen:
        return None
    if _debian_app(path) and not u.sockets and "socket" not in u.unknown:
        u.sockets.append(f"unix:/run/uwsgi/app/{magic['n']}/socket")
        u.where["socket"] = f"{path} (Debian's default.ini for apps-enabled/{base})"
    return u


def _expand(value: str, magic: dict[str, str], values: dict[str, str]) -> tuple[str | None, str]:
    out, pos = [], 0
    for m in _MAGIC.finditer(value):
        out.append(value[pos:m.start()])
        if m.group(1) is not None:
            if m.group(1) not in values:
                return None, f"%({m.group(1)}) names nothing set before it"
            out.append(values[m.group(1)])
        elif m.group(2) in magic:
            out.append(magic[m.group(2)])
        else:
            return None, f"the magic variable %{m.group(2)} is not followed offline"
        pos = m.end()
    out.append(value[pos:])
    text = "".join(out)
    if "$(" in text or "@(" in text:
        return None, "an environment or file reference ($(...)/@(...)) is not followed offline"
    return text, ""


def _apply(u: Uwsgi, key: str, value: str, where: str, folder: str) -> None:
    if key in UWSGI_SOCKETS or key in HTTP_SOCKETS:
        target = u.sockets if key in UWSGI_SOCKETS else u.http_sockets
        target.append(_bind(value))
        u.where["socket" if key in UWSGI_SOCKETS else "http-socket"] = where
    elif key in ("protocol", "socket-protocol"):
        if value != "uwsgi":
            u.unknown["socket"] = f"{where}: protocol = {value}: the sockets' protocol is not modelled"
    elif key == "chdir":
        u.chdir = value if os.path.isabs(value) else os.path.join(folder, value)
        u.where[key] = where
    elif key in ("module", "wsgi", "w"):
        u.module, u.where["module"] = value, where
    elif key in ("wsgi-file", "file"):
        u.wsgi_file, u.where["wsgi-file"] = value, where
    elif key == "env":
        name, sep, val = value.partition("=")
        if sep:
            u.environ[name] = (val, where if _debian_app(u.source) else
                               f"{where} (env= reaches os.environ under the uwsgi binary; pip's pyuwsgi "
                               "starts Python first, whose os.environ does not see it)")
    elif key in ("ini", "include", "inherit"):
        u.notes.append(f"{where}: {key} = {value} is not followed")


def _bind(value: str) -> str:
    """A uWSGI socket address in gunicorn's bind form (unix:PATH, HOST:PORT)."""
    if ":" not in value:
        return "unix:" + value
    host, _, port = value.rpartition(":")
    return f"{host or '0.0.0.0'}:{port}"


def _debian_app(path: str) -> bool:
    parts = os.path.abspath(path).split(os.sep)
    return len(parts) >= 3 and parts[-2] == "apps-enabled" and parts[-3] == "uwsgi"


def app_root(u: Uwsgi) -> str | None:
    """The folder Python imports the app from: chdir, else the wsgi-file's folder."""
    if u.chdir:
        return u.chdir
    if u.wsgi_file and os.path.isabs(u.wsgi_file):
        return os.path.dirname(u.wsgi_file)
    return None


def wsgi_path(u: Uwsgi) -> str | None:
    """The WSGI file uWSGI loads (module or wsgi-file), when it can be placed."""
    root = app_root(u)
    if u.wsgi_file:
        return u.wsgi_file if os.path.isabs(u.wsgi_file) else (root and os.path.join(root, u.wsgi_file))
    if u.module and root:
        return os.path.join(root, *u.module.split(":")[0].split(".")) + ".py"
    return None

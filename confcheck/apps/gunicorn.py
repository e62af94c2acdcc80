"""gunicorn between the proxy and the app: its bind addresses and whom it
trusts to say the request was secure.

Semantics of gunicorn 27.0 (gunicorn/config.py, gunicorn/http/message.py):
- `bind` (-b/--bind, repeatable): HOST:PORT, HOST, `unix:PATH`; default
  127.0.0.1:8000 (0.0.0.0:$PORT when PORT is set).
- `forwarded_allow_ips` (--forwarded-allow-ips): comma list or list, `*` for
  any; default "127.0.0.1,::1" (or $FORWARDED_ALLOW_IPS). A peer on a unix
  socket is always trusted (HeaderPolicy._peer_is_trusted_proxy).
- `secure_scheme_headers` (config file only): default X-FORWARDED-PROTOCOL: ssl,
  X-FORWARDED-PROTO: https, X-FORWARDED-SSL: on. From a trusted peer, a header
  listed there sets wsgi.url_scheme to https when its value matches exactly,
  else http (_apply_header_policy); from an untrusted peer they are ignored.
- `proxy_allow_ips` (--proxy-allow-from) is for the PROXY protocol only.
- The command line overrides the config file; `-c FILE` names it, else
  ./gunicorn.conf.py in the working directory is read.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
from dataclasses import dataclass, field

DEFAULT_BIND = ["127.0.0.1:8000"]
DEFAULT_FORWARDED = ["127.0.0.1", "::1"]
DEFAULT_SCHEME_HEADERS = {"X-FORWARDED-PROTOCOL": "ssl", "X-FORWARDED-PROTO": "https", "X-FORWARDED-SSL": "on"}


@dataclass
class Gunicorn:
    binds: list[str] = field(default_factory=lambda: list(DEFAULT_BIND))
    forwarded_allow_ips: list[str] = field(default_factory=lambda: list(DEFAULT_FORWARDED))
    secure_scheme_headers: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SCHEME_HEADERS))
    proxy_allow_ips: list[str] = field(default_factory=lambda: list(DEFAULT_FORWARDED))
    where: dict[str, str] = field(default_factory=dict)     # setting -> file:line:column (or "the default")
    unknown: dict[str, str] = field(default_factory=dict)   # setting -> why it is not known
    app: str | None = None                                  # the WSGI app named (proj.wsgi:application)
    chdir: str | None = None
    config_file: str | None = None
    source: str = ""                                        # where gunicorn was found (unit or config)

    kind = "gunicorn"

    def trusts(self, peer: str | None) -> bool | None:
        """Whether a peer address may set the scheme headers; None when not known.
        `peer` None is a unix socket peer (always trusted)."""
        if "forwarded_allow_ips" in self.unknown:
            return None
        if peer is None or "*" in self.forwarded_allow_ips:
            return True
        try:
            ip = ipaddress.ip_address(peer)
        except ValueError:
            return False
        for entry in self.forwarded_allow_ips:
            try:
                if ip in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
        return False

    def scheme(self, headers: dict[str, str], peer: str | None) -> tuple[str | None, str]:
        """wsgi.url_scheme for a plain-HTTP connection from `peer` with these headers, and why."""
        trusted = self.trusts(peer)
        names = {k.upper(): v for k, v in headers.items()}
        listed = [(h, v) for h, v in self.secure_scheme_headers.items() if h.upper() in names]
        if "secure_scheme_headers" in self.unknown and listed is not None:
            return None, f"gunicorn's secure_scheme_headers is not known: {self.unknown['secure_scheme_headers']}"
        if not listed:
            return "http", "gunicorn: no secure_scheme_headers header arrives, so wsgi.url_scheme is http"
        if trusted is None:
            return None, f"gunicorn's forwarded_allow_ips is not known: {self.unknown['forwarded_allow_ips']}"
        who = "a unix socket peer" if peer is None else peer
        if not trusted:
            return "http", (f"gunicorn ignores {listed[0][0].title()} from {who}: not in forwarded_allow_ips "
                            f"{','.join(self.forwarded_allow_ips)} ({self.where.get('forwarded_allow_ips', 'the default')}); "
                            "wsgi.url_scheme is http")
        schemes = {"https" if names[h.upper()] == v else "http" for h, v in listed}
        if len(schemes) > 1:
            # gunicorn's header policy: a second scheme header disagreeing with the first is
            # InvalidSchemeHeaders, answered 400 before the app runs
            return None, (f"gunicorn receives {', '.join(h.title() for h, _ in listed)} from {who} and they "
                          "disagree on the scheme: it refuses the request (400 Contradictory scheme headers)")
        header, want = listed[0]
        got = names[header.upper()]
        scheme = "https" if got == want else "http"
        return scheme, (f"gunicorn trusts {who} (forwarded_allow_ips {','.join(self.forwarded_allow_ips)}): "
                        f"{header.title()}: {got} makes wsgi.url_scheme {scheme}")

    def bound_to(self, address: str | None, port: int | None, socket: str | None) -> bool:
        return binds_match(self.binds, address, port, socket)


def binds_match(binds: list[str], address: str | None, port: int | None, socket: str | None) -> bool:
    """Whether one of `binds` (HOST:PORT, HOST, unix:PATH) listens where a proxy connects."""
    for bind in binds:
        if bind.startswith("unix:"):
            if socket is not None and os.path.normpath(bind[5:]) == os.path.normpath(socket):
                return True
            continue
        host, _, bport = bind.rpartition(":") if ":" in bind else (bind, "", "8000")
        host = host.strip("[]") or "0.0.0.0"
        if socket is not None or port is None or not bport.isdigit() or int(bport) != port:
            continue
        if host in ("0.0.0.0", "::") or host == address or (host == "localhost" and address in (
                "127.0.0.1", "::1", "localhost")) or (address == "localhost" and host in ("127.0.0.1", "::1")):
            return True
    return False


def _as_list(value) -> list[str] | None:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    return None


def read_config_file(path: str, into: Gunicorn, environ=None) -> list[str]:
    """Apply a gunicorn.conf.py (read statically); returns its errors."""
    from confcheck.parsers.pysettings import Reader
    module = Reader(environ).read(path)
    into.config_file = path
    for name in ("bind", "forwarded_allow_ips", "proxy_allow_ips", "secure_scheme_headers", "wsgi_app", "chdir"):
        value = module.get(name)
        if value is None:
            continue
        if not value.known:
            into.unknown[name] = value.why
            continue
        into.where[name] = value.where()
        if name in ("bind", "forwarded_allow_ips", "proxy_allow_ips"):
            items = _as_list(value.value)
            if items is None:
                into.unknown[name] = f"{value.where()}: not a string or a list of strings"
            else:
                setattr(into, "binds" if name == "bind" else name, items)
        elif name == "secure_scheme_headers":
            if isinstance(value.value, dict):
                into.secure_scheme_headers = dict(value.value)
            else:
                into.unknown[name] = f"{value.where()}: a value not followed offline"
        elif name == "wsgi_app" and isinstance(value.value, str):
            into.app = value.value
        elif name == "chdir" and isinstance(value.value, str):
            into.chdir = value.value
    return module.errors


def from_command(argv: list[str], where: str, cwd: str | None, read_file=True) -> Gunicorn | None:
    """gunicorn as a command line starts it (a unit's ExecStart); None when it is not gunicorn."""
    if not argv:
        return None
    exe = os.path.basename(argv[0])
    args = argv[1:]
    if exe.startswith("python") and args[:2] == ["-m", "gunicorn"]:
        args = args[2:]
    elif exe != "gunicorn":
        return None
    g = Gunicorn(source=where)
    opts: dict[str, list[str]] = {}
    positional: list[str] = []
    flags = {"-b": "bind", "--bind": "bind", "--forwarded-allow-ips": "forwarded_allow_ips",
             "--proxy-allow-from": "proxy_allow_ips", "-c": "config", "--config": "config",
             "--chdir": "chdir"}
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, inline = arg.partition("=")
        if name in flags:
            if eq:
                value = inline
            elif i + 1 < len(args):
                value = args[i + 1]
                i += 1
            else:
                break
            opts.setdefault(flags[name], []).append(value)
        elif not arg.startswith("-"):
            positional.append(arg)
        elif arg.startswith("-") and not eq and i + 1 < len(args) and arg in _VALUE_FLAGS:
            i += 1      # another option with a value: skip its value
        i += 1
    g.chdir = (opts.get("chdir") or [cwd])[-1]
    config = (opts.get("config") or [None])[-1]
    base = g.chdir or cwd or "."
    if config is None:
        candidate = os.path.join(base, "gunicorn.conf.py")
        config = candidate if os.path.isfile(candidate) else None
    elif config.startswith("python:"):
        g.unknown["config"] = f"{where}: a config module ({config}) is not read"
        config = None
    elif not os.path.isabs(config):
        config = os.path.join(base, config)
    if config is not None and read_file and os.path.isfile(config):
        read_config_file(config, g)
    for key, attr in (("bind", "binds"), ("forwarded_allow_ips", "forwarded_allow_ips"),
                      ("proxy_allow_ips", "proxy_allow_ips")):
        if key in opts:
            values = opts[key] if key == "bind" else _as_list(opts[key][-1]) or []
            setattr(g, attr, values)
            g.where[key] = where
            g.unknown.pop(key, None)
    if positional:
        g.app = positional[-1]
    return g


# gunicorn options taking a value (config.py `cli` with an action other than store_true): skipped over
_VALUE_FLAGS = frozenset({"-w", "--workers", "-k", "--worker-class", "-t", "--timeout", "--threads", "-u",
                          "--user", "-g", "--group", "-n", "--name", "-e", "--env", "--pid", "-p",
                          "--access-logfile", "--error-logfile", "--log-level", "--log-file", "--umask",
                          "--max-requests", "--graceful-timeout", "--keep-alive", "--backlog",
                          "--worker-connections", "--pythonpath", "--paste", "--access-logformat",
                          "--statsd-host", "--log-config"})


def split_exec(value: str) -> list[str]:
    """A unit's ExecStart= as argv (its special prefixes dropped)."""
    value = value.lstrip("@-:+!")
    try:
        return shlex.split(value)
    except ValueError:
        return []

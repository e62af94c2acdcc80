"""Files nginx opens while reading its configuration (so `nginx -t` refuses
the configuration when they are missing on the machine).

Measured with nginx 1.22 (`nginx -t`), following ngx_conf_open_file,
ngx_log_set_log and ngx_http_ssl_merge_srv_conf:
* `error_log`, `access_log` and `pid` files are created at start: only a
  missing directory refuses (`open() "..." failed (2: ...)`); relative paths
  are joined to the prefix. `off`, `stderr`, `syslog:`, `memory:` and paths
  with variables (opened per request) open nothing at start.
* TLS files are loaded per server whose (possibly inherited) `ssl_certificate`
  is set; relative paths are joined to the conf prefix. A path with variables
  is loaded per handshake, `data:` holds the PEM itself, `engine:` a key in an
  engine. `ssl_password_file` is read where it is written, servers or not.
* `auth_basic_user_file` is opened per request (FS106), not at start.
* `*_cache_path` and `*_temp_path` folders are made at start (ngx_create_paths, one mkdir():
  the parent must exist; relative paths are joined to the prefix): `mkdir() "..." failed`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Iterator

from confcheck.parsers.syntax import Node, effective_children


@dataclass(frozen=True, slots=True)
class StartFile:
    node: Node           # the directive naming it
    path: str            # full path in the server's view
    want: str            # "dir": its directory must exist (created files); "file": it must exist
    message: str         # nginx's words when it is missing


_LOGS = frozenset({"error_log", "access_log"})
_MKDIR = frozenset({"proxy_cache_path", "fastcgi_cache_path", "uwsgi_cache_path", "scgi_cache_path",
                    "client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path",
                    "scgi_temp_path"})
_DATA = frozenset({"map", "geo", "types", "split_clients", "charset_map", "match"})   # entries, not directives
_TLS = ("ssl_certificate", "ssl_certificate_key", "ssl_trusted_certificate",
        "ssl_client_certificate", "ssl_dhparam")
_SSL_WORDS = {
    "ssl_certificate": 'cannot load certificate "{}": BIO_new_file() failed (No such file or directory)',
    "ssl_certificate_key": 'cannot load certificate key "{}": BIO_new_file() failed (No such file or directory)',
    "ssl_trusted_certificate": 'SSL_CTX_load_verify_locations("{}") failed (No such file or directory)',
    "ssl_client_certificate": 'SSL_CTX_load_verify_locations("{}") failed (No such file or directory)',
    "ssl_dhparam": 'BIO_new_file("{}") failed (No such file or directory)',
}


def _full(prefix: str, path: str) -> str:
    return path if path.startswith("/") else posixpath.normpath(posixpath.join(prefix, path))


def _opened(message_path: str) -> str:
    return f'open() "{message_path}" failed (2: No such file or directory)'


def _log_path(node: Node) -> str | None:
    if not node.args:
        return None
    value = node.args[0].value
    if (value in ("off", "stderr") or value.startswith(("syslog:", "memory:"))
            or "$" in value or not value):
        return None
    return value


def start_files(nodes: list[Node], prefix: str, conf_prefix: str) -> Iterator[StartFile]:
    """Every file the configuration `nodes` (a main, includes followed) makes
    nginx open at start, with what must exist of it."""
    stack: list[tuple[list[Node], tuple[str, ...], dict[str, list[Node]]]] = [(nodes, (), {})]
    seen_tls: set[tuple[int, str]] = set()
    while stack:
        block, ctx, inherited = stack.pop()
        # a block's own settings replace the inherited ones; ssl_certificate and
        # ssl_certificate_key may be given several times (RSA and ECDSA): all load
        own: dict[str, list[Node]] = {}
        for node in effective_children(block):
            if node.children is None and node.key in _TLS and len(node.args) == 1:
                own.setdefault(node.key, []).append(node)
        here = {**inherited, **own}
        for node in effective_children(block):
            key = node.key
            if node.children is not None:
                if key in _DATA:
                    continue
                stack.append((node.children, ctx + (key,), here if ctx[:1] == ("http",) or key == "http" else {}))
                continue
            if key in _LOGS or (key == "pid" and not ctx):
                path = _log_path(node)
                if path is not None:
                    full = _full(prefix, path)
                    yield StartFile(node, full, "dir", _opened(full))
            elif key in _MKDIR and node.args and node.args[0].value:
                full = _full(prefix, node.args[0].value.rstrip("/") or "/")
                yield StartFile(node, full, "dir", f'mkdir() "{full}" failed (2: No such file or directory)')
            elif key == "ssl_password_file" and len(node.args) == 1:
                full = _full(conf_prefix, node.args[0].value)
                yield StartFile(node, full, "file", _opened(full))
        if ctx[-1:] == ("server",) and ctx[:1] == ("http",) and here.get("ssl_certificate"):
            for key in _TLS:
                for setting in here.get(key, ()):
                    value = setting.args[0].value
                    if ((id(setting), key) in seen_tls or "$" in value or not value
                            or value.startswith(("data:", "engine:"))):
                        continue
                    seen_tls.add((id(setting), key))
                    full = _full(conf_prefix, value)
                    yield StartFile(setting, full, "file", _SSL_WORDS[key].format(full))

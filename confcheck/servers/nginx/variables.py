"""nginx variables for one request, as far as they can be known offline.

Values that depend on something confcheck cannot see (an upstream, the time)
evaluate to "" the way an uninitialised variable does in nginx, and are
recorded in `unknown` so the answer can say it rests on them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from confcheck.servers.nginx import realip

if TYPE_CHECKING:
    from confcheck.servers.nginx.decide import State

_VAR = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def expand(text: str, state: "State") -> str:
    """A complex value ("$document_root$fastcgi_script_name") for this request."""
    if "$" not in text:
        return text
    return _VAR.sub(lambda m: get(m.group(1) or m.group(2), state), text)


def _remote_addr(state: "State", name: str) -> str:
    addr = realip.remote_addr(state)
    if addr is None:
        state.unknown.add(name)
        return ""
    return addr


def get(name: str, state: "State") -> str:
    req = state.request
    if name.isdigit():
        groups = state.captures
        index = int(name)
        if index == 0:
            return state.capture_whole
        return groups[index - 1] or "" if index <= len(groups) else ""
    if name in state.named_captures:
        return state.named_captures[name] or ""
    if name in state.set_vars:
        return state.set_vars[name]
    simple = {
        "uri": lambda: state.uri,
        "document_uri": lambda: state.uri,
        "request_uri": lambda: req.request_uri,
        "args": lambda: state.args,
        "query_string": lambda: state.args,
        "is_args": lambda: "?" if state.args else "",
        "request_method": lambda: req.method,
        "remote_addr": lambda: _remote_addr(state, name),
        "binary_remote_addr": lambda: _remote_addr(state, name),
        "realip_remote_addr": lambda: req.client_ip,
        "scheme": lambda: req.scheme,
        "https": lambda: "on" if req.scheme == "https" else "",
        "server_port": lambda: str(req.port),
        "host": lambda: req.host or state.server.primary_name,
        "server_name": lambda: state.server.primary_name,
        "server_protocol": lambda: "HTTP/1.1",
        "request": lambda: f"{req.method} {req.request_uri} HTTP/1.1",
        "document_root": lambda: state.document_root(),
        "realpath_root": lambda: state.document_root(),
        "request_filename": lambda: state.request_filename(),
        "fastcgi_script_name": lambda: _fastcgi_split(state)[0],
        "fastcgi_path_info": lambda: _fastcgi_split(state)[1],
        "invalid_referer": lambda: state.invalid_referer(),
        "remote_user": lambda: (req.basic_credentials() or ("", ""))[0],
        "content_type": lambda: req.header("content-type") or "",
        "content_length": lambda: req.header("content-length") or "",
        "cookie": lambda: req.header("cookie") or "",
    }
    if name in simple:
        return simple[name]()
    if name.startswith("http_"):
        return req.header(name[5:].replace("_", "-")) or ""
    if name.startswith("arg_"):
        return _arg(state.args, name[4:])
    if name.startswith("cookie_"):
        return _cookie(req.header("cookie") or "", name[7:])
    mapped = state.map_value(name)
    if mapped is not None:
        return mapped
    state.unknown.add(name)
    return ""


def _fastcgi_split(state: "State") -> tuple[str, str]:
    """$fastcgi_script_name and $fastcgi_path_info (ngx_http_fastcgi_module.c): the two
    captures of fastcgi_split_path_info when it matches the URI (else the URI and ""),
    and fastcgi_index appended to a script name that ends in /."""
    uri, info = state.uri, ""
    split = state.scope.last("fastcgi_split_path_info")
    if split is not None and split.args:
        from confcheck.servers.nginx.conf import BadRegex, compile_regex
        try:
            match = compile_regex(split.args[0].value, False).search(uri)
        except BadRegex:
            match = None
        if match is not None and match.re.groups >= 2:
            uri, info = match.group(1) or "", match.group(2) or ""
    index = state.scope.last("fastcgi_index")
    if uri.endswith("/") and index is not None and index.args:
        uri += index.args[0].value
    return uri, info


def _arg(args: str, key: str) -> str:
    for pair in args.split("&"):
        k, _, v = pair.partition("=")
        if k.lower() == key.lower():
            return v
    return ""


def _cookie(header: str, key: str) -> str:
    for part in header.split(";"):
        k, _, v = part.strip().partition("=")
        if k == key:
            return v
    return ""


def map_lookup(block, source_value: str, state: "State") -> str:
    """Evaluate a `map $src $dst { ... }` block for one value."""
    default = ""
    hostnames = False
    exact: dict[str, str] = {}
    patterns: list[tuple[re.Pattern, str]] = []
    wild: list[tuple[str, str]] = []
    for entry in block.children or []:
        key = entry.name
        value = entry.args[0].value if entry.args else ""
        if key == "default":
            default = value
        elif key == "hostnames":
            hostnames = True
        elif key in ("volatile", "include"):
            continue
        elif key.startswith("~"):
            caseless = key.startswith("~*")
            pattern = key[2:] if caseless else key[1:]
            try:
                from confcheck.servers.nginx.conf import compile_regex
                patterns.append((compile_regex(pattern, caseless), value))
            except Exception:  # noqa: BLE001 - a bad regex never matches; nginx refuses to start
                continue
        elif key.startswith("\\"):
            exact[key[1:]] = value
        elif hostnames and ("*" in key or key.startswith(".")):
            wild.append((key, value))
        else:
            exact[key] = value
    probe = source_value.lower() if hostnames else source_value
    if probe in exact:
        return expand(exact[probe], state)
    for key, value in wild:
        from confcheck.servers.nginx.select import wildcard_match
        if wildcard_match(key, probe):
            return expand(value, state)
    for pattern, value in patterns:
        match = pattern.search(source_value)
        if match:
            return expand(value, state)
    return expand(default, state)


def geo_lookup(block, state: "State") -> str:
    """Evaluate a `geo [$src] $var { ... }` block for the client address."""
    args = block.values
    source = _remote_addr(state, "remote_addr") if len(args) < 2 else expand(args[0], state)
    try:
        addr = ipaddress.ip_address(source)
    except ValueError:
        return ""
    default = ""
    best: tuple[int, str] | None = None
    for entry in block.children or []:
        value = entry.args[0].value if entry.args else ""
        if entry.name == "default":
            default = value
            continue
        if entry.name in ("ranges", "proxy", "proxy_recursive", "delete", "include"):
            continue
        try:
            net = ipaddress.ip_network(entry.name, strict=False)
        except ValueError:
            continue
        if addr.version == net.version and addr in net:
            if best is None or net.prefixlen > best[0]:
                best = (net.prefixlen, value)
    return best[1] if best else default

"""nginx variables for one request, as far as they can be known offline.

Values that depend on something confcheck cannot see (an upstream, the time,
GeoIP, split_clients, perl_set/js_set, third-party modules) evaluate to "" the
way an uninitialised variable does in nginx, and are recorded in `unknown`.
Each read of one is also kept in `state.unknown_reads` (a `set` or a `map` fed
by one carries its origin along, `state.derived`): where such a value decides
the status (an `if`, a rewritten URI, a path), `expand_deciding` makes the
answer unknown, naming the variable and the directive.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from confcheck.servers.nginx import realip, secure_link

if TYPE_CHECKING:
    from confcheck.servers.nginx.decide import State

VAR = re.compile(r"\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def expand(text: str, state: "State") -> str:
    """A complex value ("$document_root$fastcgi_script_name") for this request."""
    if "$" not in text:
        return text
    return VAR.sub(lambda m: get(m.group(1) or m.group(2), state), text)


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
        if name in state.derived:
            state.unknown_reads.append(state.derived[name])
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
        "secure_link": lambda: secure_link.value(state),
        "secure_link_expires": lambda: state.secure_link_expires,
    }
    if name in simple:
        return simple[name]()
    if name.startswith("http_"):
        return req.header(name[5:].replace("_", "-")) or ""
    if name.startswith("arg_"):
        return _arg(state.args, name[4:])
    if name.startswith("cookie_"):
        return _cookie(req.header("cookie") or "", name[7:])
    mark = len(state.unknown_reads)
    mapped = state.map_value(name)
    if mapped is not None:
        _carry(state, name, mark)
        return mapped
    state.unknown.add(name)
    state.unknown_reads.append(name)
    return ""


def _carry(state: "State", name: str, mark: int) -> None:
    """A map/geo result carries the unknown value it was computed from (once
    computed it is cached, so later reads add the origin themselves), unless
    every entry gives the same constant: then the key does not matter."""
    new = state.unknown_reads[mark:]
    if new:
        block = state.http.maps.get(name)
        if block is not None and _constant(block):
            del state.unknown_reads[mark:]
        else:
            state.derived.setdefault(name, new[0])
    elif name in state.derived:
        state.unknown_reads.append(state.derived[name])


def _constant(block) -> bool:
    values = {"" if not any(e.name == "default" for e in block.children or []) else None}
    values.discard(None)
    for entry in block.children or []:
        if entry.name in ("hostnames", "volatile", "include"):
            if entry.name == "include":
                return False        # entries the model did not read
            continue
        values.add(entry.args[0].value if entry.args else "")
    return len(values) == 1 and "$" not in next(iter(values))


# Where a value the model cannot compute comes from, for the answer's wording.
_SOURCES = (("geoip2_", "the GeoIP2 database"), ("geoip_", "the GeoIP database"),
            ("upstream_", "the upstream's answer"), ("ssl_", "the TLS connection"),
            ("request_id", "a random number"), ("secure_link", "the clock (an expiry within the hour)"), ("msec", "the clock"), ("time_", "the clock"))


def source_of(name: str, state: "State") -> str:
    block = state.http.maps.get(name)
    if block is not None:
        return (f"the map at {block.file}:{block.line}, whose entry for this request the model cannot tell "
                "(a regex key it cannot compile, or an include it did not read)")
    for block_name in ("split_clients", "perl_set", "js_set"):
        for node in state.http.scope.children_nodes:
            if node.key == block_name and len(node.values) >= 2 and node.values[-1 if block_name == "split_clients" else 0].lstrip("$") == name:
                return f"{block_name} at {node.file}:{node.line}"
    for prefix, source in _SOURCES:
        if name.startswith(prefix):
            return source
    return "a module or a value the model does not compute"


def expand_deciding(text: str, state: "State", node, role: str | None = None) -> str:
    """`expand` where the value decides the status: an unknown value in it makes the answer unknown."""
    mark = len(state.unknown_reads)
    value = expand(text, state)
    decided_by_unknown(state, node, mark, role)
    return value


def decided_by_unknown(state: "State", node, mark: int, role: str | None = None) -> None:
    """Reads of unknown values since `mark` decided what `node` does: keep the first one
    (the request is still decided, as nginx would with the value empty)."""
    new = state.unknown_reads[mark:]
    if new and state.not_modelled is None:
        name = new[0]
        state.not_modelled = (node, f"${name} comes from {source_of(name, state)}, which the model does not "
                              f"compute offline; what {role or node.name} does depends on it", f"${name}")


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


def map_lookup(block, source_value: str, state: "State") -> str | None:
    """Evaluate a `map $src $dst { ... }` block for one value (ngx_http_map_module.c); None
    when the model cannot tell which entry nginx picks (a regex key it cannot compile, an
    include it did not read).

    Exact and wildcard keys are lower-cased when read and the value when looked up (the
    hash is case-insensitive); with `hostnames` one trailing dot of the value is dropped;
    regexes are tried in order after them, on the value as it is. A regex with groups that
    matches leaves its captures in the request ($1, named ones), as ngx_http_regex_exec does."""
    from confcheck.parsers.syntax import effective_children
    from confcheck.servers.nginx.conf import BadRegex, compile_regex
    default = ""
    hostnames = False
    exact: dict[str, str] = {}
    patterns: list[tuple[re.Pattern | None, str]] = []
    wild: list[tuple[str, str]] = []
    for entry in effective_children(block.children):
        key = entry.name
        value = entry.args[0].value if entry.args else ""
        if key == "default":
            default = value
        elif key == "hostnames":
            hostnames = True
        elif key == "volatile":
            continue
        elif key == "include":
            return None         # an include the loader did not follow: its entries are unknown
        elif key.startswith("~"):
            caseless = key.startswith("~*")
            try:
                patterns.append((compile_regex(key[2:] if caseless else key[1:], caseless), value))
            except BadRegex:
                patterns.append((None, value))
        elif key.startswith("\\"):
            exact.setdefault(key[1:].lower(), value)
        elif hostnames and ("*" in key or key.startswith(".")):
            wild.append((key.lower(), value))
        else:
            exact.setdefault(key.lower(), value)
    if hostnames and source_value.endswith("."):
        source_value = source_value[:-1]
    probe = source_value.lower()
    if probe in exact:
        return expand(exact[probe], state)
    # the wildcard hashes: the most specific leading wildcard, then the most specific trailing one
    wild.sort(key=lambda kv: (kv[0].endswith("*"), -len(kv[0])))
    for key, value in wild:
        from confcheck.servers.nginx.select import wildcard_match
        if wildcard_match(key, probe):
            return expand(value, state)
    for pattern, value in patterns:
        if pattern is None:
            return None         # nginx compiled it (it started); whether it matches is unknown here
        match = pattern.search(source_value)
        if match:
            if pattern.groups:
                state.captures, state.capture_whole = match.groups(), match.group(0)
                state.named_captures = {**state.named_captures, **match.groupdict()}
            return expand(value, state)
    return expand(default, state)


def geo_lookup(block, state: "State", name: str = "") -> str:
    """Evaluate a `geo [$src] $var { ... }` block for the client address (ngx_http_geo_module):
    the source variable's value, 255.255.255.255 when it is no address; with `proxy` lines and a
    trusted address, the one X-Forwarded-For gives; networks (a later equal one replaces the
    value, `delete` removes it) matched most specific first, or `ranges` (start-end)."""
    args = block.values
    if len(args) < 2:
        source = _remote_addr(state, "remote_addr")
        if not source:
            return ""       # not known here (recorded as such)
    else:
        source = expand(args[0], state)
    addr = realip._parse_addr(source) or ipaddress.IPv4Address("255.255.255.255")
    entries = block.children or []
    if any(e.name == "include" for e in entries):
        state.unknown.add(name)             # entries the model did not read
        state.unknown_reads.append(name)
        return ""
    proxies = [ipaddress.ip_network(e.args[0].value, strict=False) for e in entries
               if e.name == "proxy" and e.args and _is_network(e.args[0].value)]
    forwarded = state.request.header("x-forwarded-for")
    if proxies and forwarded is not None:
        recursive = any(e.name == "proxy_recursive" for e in entries)
        addr = realip.forwarded_addr(addr, forwarded, proxies, recursive) or addr
    if addr.version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    ranges = any(e.name == "ranges" for e in entries)
    default = ""
    nets: dict = {}
    for entry in entries:
        value = entry.args[0].value if entry.args else ""
        if entry.name == "default":
            default = value
        elif entry.name == "delete":
            nets.pop(_geo_key(value, ranges), None)
        elif entry.name not in ("ranges", "proxy", "proxy_recursive"):
            key = _geo_key(entry.name, ranges)
            if key is not None:
                nets.pop(key, None)
                nets[key] = value
    if ranges:
        values = {v for (lo, hi), v in nets.items() if addr.version == 4 and lo <= addr <= hi}
        if len(values) > 1:
            # overlapping ranges: which part of which one nginx kept is not modelled
            state.unknown.add(name)
            state.unknown_reads.append(name)
            return ""
        return values.pop() if values else default
    best = max((net for net in nets if addr.version == net.version and addr in net),
               key=lambda net: net.prefixlen, default=None)
    return nets[best] if best is not None else default


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _geo_key(text: str, ranges: bool):
    """A geo entry's network (an address is a /32 or /128), or with `ranges` its (start, end)."""
    if ranges:
        lo, sep, hi = text.partition("-")
        lo_addr, hi_addr = realip._inet_addr(lo), realip._inet_addr(hi)
        return (lo_addr, hi_addr) if sep and lo_addr and hi_addr else None
    return ipaddress.ip_network(text, strict=False) if _is_network(text) else None

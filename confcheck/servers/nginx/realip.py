"""ngx_http_realip_module: the client address taken from a header sent by a trusted proxy.

Facts from nginx 1.22's ngx_http_realip_module.c and ngx_http_get_forwarded_addr
(ngx_http_core_module.c):
- the handler runs in the post-read phase with the server's settings (before
  the server's rewrite phase) and again in the preaccess phase with the
  location's (after its rewrite phase, before allow/deny); once it has changed
  the address it never runs again, internal redirects included;
- `set_real_ip_from` lists of an inner level replace the outer ones;
  `real_ip_header` (X-Real-IP by default) and `real_ip_recursive` (off) inherit;
- only when the connection's address is in a `set_real_ip_from` network is the
  header read: the last address of it (after trailing spaces and commas), and
  with `real_ip_recursive on`, going leftwards while the address found is
  itself trusted. A token that is not an address (a port is allowed) stops
  there: nothing changes when it is the first one, otherwise the address found
  so far is kept.
- X-Real-IP and any other named header: the first such header line.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from confcheck.servers.outcome import Final

if TYPE_CHECKING:
    from confcheck.servers.nginx.conf import Scope
    from confcheck.servers.nginx.decide import State


def _froms(scope: "Scope") -> list:
    """The `set_real_ip_from` lines in force: the nearest level having any (found once per
    level: every request asks twice)."""
    return scope.group("realip") if scope is not None else []


def _networks(froms: list) -> list:
    nets = []
    for node in froms:
        text = node.args[0].value if node.args else ""
        if text == "unix:":
            continue          # a UNIX-socket client: never the TCP client `why` is asked about
        try:
            nets.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            # a host name, resolved when nginx reads the configuration: not known offline
            raise Final(None, f"set_real_ip_from {text} names a host resolved when nginx starts; "
                              "its addresses are not known here", node) from None
    return nets


def _trusted(addr, nets: list) -> bool:
    if addr.version == 6 and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped        # ngx_cidr_match compares a mapped IPv4 address as IPv4
    return any(addr.version == net.version and addr in net for net in nets)


def _inet_addr(text: str):
    """ngx_inet_addr: four decimal parts of at most 255 (leading zeros allowed)."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and p.isascii() and int(p) <= 255 for p in parts):
        return None
    return ipaddress.IPv4Address(".".join(str(int(p)) for p in parts))


def _parse_addr(text: str):
    addr = _inet_addr(text)
    if addr is not None:
        return addr
    try:
        return ipaddress.IPv6Address(text) if ":" in text and "%" not in text else None
    except ValueError:
        return None


def parse_addr_port(text: str):
    """ngx_parse_addr_port: an address, `a.b.c.d:port` or `[v6]:port` (port 1-65535)."""
    addr = _parse_addr(text)
    if addr is not None:
        return addr
    if text.startswith("["):
        close = text.find("]")
        if close < 0 or close == len(text) - 1 or text[close + 1] != ":":
            return None
        host, port = text[1:close], text[close + 2:]
    else:
        host, sep, port = text.partition(":")
        if not sep:
            return None
    if not (port.isdigit() and port.isascii() and 1 <= int(port) <= 65535):
        return None
    return _parse_addr(host)


def forwarded_addr(client, value: str, nets: list, recursive: bool):
    """ngx_http_get_forwarded_addr_internal on one header value: the new address, or None."""
    addr, found, end = client, False, len(value)
    while True:
        if not _trusted(addr, nets):
            return addr if found else None
        p = end - 1
        while p > 0 and value[p] in " ,":
            p -= 1
            end -= 1
        while p > 0 and value[p] not in " ,":
            p -= 1
        if p > 0:
            p += 1
        token = value[max(p, 0):end]
        parsed = parse_addr_port(token)
        if parsed is None:
            return addr if found else None
        addr, found = parsed, True
        end = p - 1
        if not (recursive and p > 0):
            return addr


def _header(state: "State", scope: "Scope") -> tuple[str, str | None]:
    name = scope.value("real_ip_header", "X-Real-IP")
    if name == "proxy_protocol":
        return name, None    # the request of `why` never comes with a PROXY protocol header
    return name, state.request.header(name.lower())


def remote_addr(state: "State") -> str | None:
    """$remote_addr now; None when it is not known: an address from a log is the one realip
    produced, and realip has yet to act here (location-level set_real_ip_from, rewrite phase)."""
    if state.request.address_from_log and not state.realip_done and _froms(state.scope):
        return None
    return state.client_ip


def run(state: "State", phase: str) -> None:
    """The realip handler in `phase` ("post-read": the server's settings; "preaccess": the
    location's). Changes state.client_ip and says so in the trace."""
    if state.realip_done:
        return
    scope = state.server if phase == "post-read" else state.scope
    froms = _froms(scope)
    if not froms:
        return
    if state.request.address_from_log:
        # nginx logs the address realip produced: the headers it came from are not in the log
        state.realip_done = True
        state.step("realip", f"{state.client_ip} is the client address as logged, after set_real_ip_from "
                   f"({phase} phase)", froms[0])
        return
    name, value = _header(state, scope)
    client = ipaddress.ip_address(state.client_ip)
    if not _trusted(client, _networks(froms)):
        state.step("realip", f"{state.client_ip} is not in set_real_ip_from ({phase} phase): "
                   f"{name} is not used", froms[0])
        return
    if value is None:
        state.step("realip", f"{state.client_ip} is trusted but the request has no {name} "
                   f"({phase} phase): the address stays", froms[0])
        return
    recursive = scope.value("real_ip_recursive", "off") == "on"
    found = forwarded_addr(client, value, _networks(froms), recursive)
    if found is None:
        state.step("realip", f"{name}: {value!r} ends with no address nginx can parse ({phase} phase): "
                   f"{state.client_ip} stays", froms[0])
        return
    if found.version == 6 and found.ipv4_mapped is None:
        text = found.compressed
    else:
        text = str(found)
    state.realip_done = True
    state.step("realip", f"{state.client_ip} is in set_real_ip_from: the client address is now {text}, "
               f"from {name}: {value!r}" + (" (real_ip_recursive on)" if recursive else "")
               + f" ({phase} phase)", froms[0])
    state.client_ip = text

"""Which server block answers: ngx_http_find_virtual_server's order.

Among the servers listening on the request's port: an exact server_name, then
the longest name with a leading wildcard (`*.example.com`, `.example.com`),
then the longest with a trailing one (`www.example.*`), then regular
expressions in the order they appear; otherwise the `default_server` of that
port, or the first server listening there.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from confcheck.parsers.syntax import Node
from confcheck.servers.nginx.conf import BadRegex, Http, Server, compile_regex
from confcheck.servers.nginx.request import Request, RequestError


@dataclass
class Selection:
    server: Server
    reason: str
    node: Node | None
    captures: dict[str, str]


def wildcard_match(pattern: str, host: str) -> bool:
    if pattern.startswith("."):
        return host == pattern[1:] or host.endswith(pattern)
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    if pattern.endswith(".*"):
        return host.startswith(pattern[:-1]) and len(host) > len(pattern) - 1
    return False


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
        return True
    except ValueError:
        return False


def candidates(http: Http, request: Request) -> tuple[list[Server], Server]:
    """Servers that share the listening socket the request arrives on, and its default."""
    on_port = [(s, l) for s in http.servers for l in s.listens if l.port == request.port]
    if not on_port:
        ports = sorted({l.port for s in http.servers for l in s.listens})
        raise RequestError(f"no server listens on port {request.port}"
                           + (f" (ports: {', '.join(map(str, ports))})" if ports else ""))
    address = request.address.strip("[]")
    if _is_ip(address):
        specific = [(s, l) for s, l in on_port if l.addr.strip("[]") == address]
        group = specific or [(s, l) for s, l in on_port if l.addr == "*"] or on_port
    else:
        # The destination address is unknown for a name: the wildcard socket's servers.
        group = [(s, l) for s, l in on_port if l.addr == "*"] or on_port
    servers: list[Server] = []
    for server, _ in group:
        if server not in servers:
            servers.append(server)
    default = next((s for s, l in group if l.default), servers[0])
    return servers, default


def select_server(http: Http, request: Request) -> Selection:
    servers, default = candidates(http, request)
    host = request.host
    for server in servers:
        for name, node in server.names:
            if not name.startswith("~") and "*" not in name and not name.startswith(".") and name.lower() == host:
                return Selection(server, f"server_name {name} matches Host {host or '(empty)'} exactly", node, {})
    best: tuple[int, str, Server, Node] | None = None
    for leading in (True, False):
        for server in servers:
            for name, node in server.names:
                is_lead = name.startswith("*.") or name.startswith(".")
                is_trail = name.endswith(".*")
                if (leading and is_lead or not leading and is_trail) and wildcard_match(name.lower(), host):
                    if best is None or len(name) > best[0]:
                        best = (len(name), name, server, node)
        if best is not None:
            kind = "leading" if leading else "trailing"
            return Selection(best[2], f"server_name {best[1]} matches Host {host} ({kind} wildcard)", best[3], {})
    for server in servers:
        for name, node in server.names:
            if name.startswith("~"):
                try:
                    pattern = compile_regex(name[1:], False)
                except BadRegex:
                    continue
                match = pattern.search(host)
                if match:
                    return Selection(server, f"server_name {name} matches Host {host} (regex)", node,
                                     {k: v for k, v in match.groupdict().items() if v is not None})
    listen = next((l for l in default.listens if l.default and l.port == request.port), None)
    why = "default_server" if listen is not None else "first server"
    return Selection(default, f"no server_name matches Host {host or '(empty)'}: the {why} for port {request.port}",
                     listen.node if listen is not None else default.node, {})


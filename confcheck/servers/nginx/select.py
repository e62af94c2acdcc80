"""Which server block answers: ngx_http_find_virtual_server's order.

Among the servers listening on the request's port: an exact server_name, then
the longest name with a leading wildcard (`*.example.com`, `.example.com`),
then the longest with a trailing one (`www.example.*`), then regular
expressions in the order they appear; otherwise the `default_server` of that
port, or the first server listening there.
"""

from __future__ import annotations

from dataclasses import dataclass

from confcheck.parsers.syntax import Node
from confcheck.servers.nginx.conf import BadRegex, Http, Server, compile_regex
from confcheck.servers.nginx.request import Request, RequestError, parse_address


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
    return parse_address(text.strip("[]")) is not None


class _Group:
    """The servers of one listening socket, with their names indexed the way
    nginx hashes them (built once per configuration, then O(1) per request)."""

    def __init__(self, pairs) -> None:
        self.servers: list[Server] = []
        seen: set[int] = set()
        for server, _ in pairs:
            if id(server) not in seen:
                seen.add(id(server))
                self.servers.append(server)
        self.default = next((s for s, l in pairs if l.default), self.servers[0])
        self.default_listen = next((l for s, l in pairs if l.default), None)
        self.exact: dict[str, tuple[Server, Node, str]] = {}
        self.leading: list[tuple[str, Server, Node]] = []
        self.trailing: list[tuple[str, Server, Node]] = []
        self.regexes: list[tuple[object, str, Server, Node]] = []
        for server in self.servers:
            for name, node in server.names:
                lower = name.lower()
                if name.startswith("~"):
                    try:
                        # ngx_http_core_server_name compiles a name with any A-Z caselessly
                        # (the Host it meets is lower-case)
                        caseless = any("A" <= c <= "Z" for c in name)
                        self.regexes.append((compile_regex(name[1:], caseless), name, server, node))
                    except BadRegex:
                        continue
                elif lower.startswith("*.") or lower.startswith("."):
                    self.leading.append((lower, server, node))
                elif lower.endswith(".*"):
                    self.trailing.append((lower, server, node))
                else:
                    self.exact.setdefault(lower, (server, node, name))
        # longest wildcard first, as nginx's wildcard hash prefers the most specific
        self.leading.sort(key=lambda item: -len(item[0]))
        self.trailing.sort(key=lambda item: -len(item[0]))


class ServerIndex:
    def __init__(self, http: Http) -> None:
        self.by_port: dict[int, list] = {}
        for server in http.servers:
            for listen in server.listens:
                self.by_port.setdefault(listen.port, []).append((server, listen))
        self._groups: dict[tuple[int, str], _Group] = {}
        self._reached: dict[tuple[int, str], _Group] = {}     # (port, address as sent) -> its group

    def group(self, request: Request) -> _Group:
        reached = self._reached.get((request.port, request.address))
        if reached is not None:
            return reached
        group = self._group(request)
        if len(self._reached) < 4096:      # a batch's few addresses, the names most requests use
            self._reached[(request.port, request.address)] = group
        return group

    def _group(self, request: Request) -> _Group:
        on_port = self.by_port.get(request.port)
        if not on_port:
            ports = sorted(self.by_port)
            raise RequestError(f"no server listens on port {request.port}"
                               + (f" (ports: {', '.join(map(str, ports))})" if ports else ""))
        address = request.address.strip("[]")
        key_addr = address if _is_ip(address) else "*"
        key = (request.port, key_addr)
        group = self._groups.get(key)
        if group is None:
            if key_addr != "*":
                pairs = _reaching(on_port, parse_address(key_addr))
                if not pairs:
                    raise RequestError(f"nothing listens on {_at(key_addr, request.port)} (listen "
                                       + ", ".join(sorted({_shown(l) for _s, l in on_port})) + ")")
            else:
                # The destination address is unknown for a name: the wildcard socket's servers.
                pairs = [(s, l) for s, l in on_port if l.addr == "*"] or on_port
            group = self._groups[key] = _Group(pairs)
        return group


def _reaching(on_port: list, dest) -> list:
    """The (server, listen) pairs of one port a connection to the IP `dest` reaches: the
    listens on that very address, else the wildcard of its family (`listen 80` is IPv4's
    0.0.0.0, `[::]:80` IPv6's unless ipv6only=off); a listen naming a host is resolved by
    nginx at start, so with one of those any pair may be the one (the old guess)."""
    exact, wild, named = [], [], False
    for pair in on_port:
        listen = pair[1]
        addr = listen.addr
        if addr == "*":
            if dest.version == 4:
                wild.append(pair)
            continue
        ip = parse_address(addr.strip("[]"))
        if ip is None:
            named = named or not addr.startswith("unix:")
        elif ip == dest:
            exact.append(pair)
        elif ip.is_unspecified and (ip.version == dest.version or _dual_stack(listen)):
            wild.append(pair)
    return exact or wild or (on_port if named else [])


def _dual_stack(listen) -> bool:
    return listen.node is not None and any(a.value == "ipv6only=off" for a in listen.node.args[1:])


def _shown(listen) -> str:
    return str(listen.port) if listen.addr == "*" else _at(listen.addr, listen.port)


def _at(addr: str, port: int) -> str:
    return (f"[{addr}]" if ":" in addr and not addr.startswith("unix:") else addr) + f":{port}"


def select_server(http: Http, request: Request) -> Selection:
    if http.server_index is None:
        http.server_index = ServerIndex(http)
    group = http.server_index.group(request)
    host = request.host
    if request.bad_host:
        return _default(group, request, f"nginx refuses the Host {request.header('host')!r}")
    hit = group.exact.get(host)
    if hit is not None:
        return Selection(hit[0], f"server_name {hit[2]} matches Host {host or '(empty)'} exactly", hit[1], {})
    for kind, entries in (("leading", group.leading), ("trailing", group.trailing)):
        for name, server, node in entries:
            if wildcard_match(name, host):
                return Selection(server, f"server_name {name} matches Host {host} ({kind} wildcard)", node, {})
    for pattern, name, server, node in group.regexes:
        match = pattern.search(host)
        if match:
            return Selection(server, f"server_name {name} matches Host {host} (regex)", node,
                             {k: v for k, v in match.groupdict().items() if v is not None})
    return _default(group, request, f"no server_name matches Host {host or '(empty)'}")


def _default(group: _Group, request: Request, why: str) -> Selection:
    default = group.default
    which = "default_server" if group.default_listen is not None else "first server"
    listen = group.default_listen
    return Selection(default, f"{why}: the {which} for port {request.port}",
                     listen.node if listen is not None else default.node, {})

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
from confcheck.servers.nginx.request import Request, RequestError, aim_parts, parse_address


@dataclass
class Selection:
    server: Server
    reason: str
    node: Node | None
    captures: dict[str, str]
    # a plain http request on a socket that expects TLS: the `listen ... ssl` (or the
    # default server's `ssl on`) that makes nginx answer it 497 (ngx_http_process_request)
    plain_on_tls: Node | None = None


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
        self.tls, self.tls_node = _tls(pairs)


def _tls(pairs) -> tuple[bool | None, Node | None]:
    """Whether the connection expects a TLS handshake, and the directive that says so.
    Per listening address: any of its listens with `ssl` (nginx ORs the parameter over one
    address:port), or `ssl on` in its default server (ngx_http_init_connection reads the
    default server's setting); None when the pairs are several addresses that disagree."""
    sockets: dict[str, list] = {}
    for pair in pairs:
        sockets.setdefault(pair[1].addr, []).append(pair)
    states: dict[bool, Node | None] = {}
    for socket in sockets.values():
        node = next((l.node for _s, l in socket if l.ssl), None)
        if node is None:
            default = next((s for s, l in socket if l.default), socket[0][0])
            switch = default.last("ssl")
            if switch is not None and switch.args and switch.args[0].value == "on":
                node = switch
        states.setdefault(node is not None, node)
    if len(states) != 1:
        return None, None
    ((tls, node),) = states.items()
    return tls, node


class ServerIndex:
    def __init__(self, http: Http) -> None:
        self.by_port: dict[int, list] = {}
        for server in http.servers:
            for listen in server.listens:
                self.by_port.setdefault(listen.port, []).append((server, listen))
        self._groups: dict[tuple[int, str], _Group] = {}
        self._reached: dict[tuple[int, str], _Group] = {}     # (port, address as sent) -> its group

    def group(self, request: Request) -> _Group:
        return self.group_at(request.port, request.address)

    def group_at(self, port: int, address: str) -> _Group:
        """The servers a connection to `address` (a request's) on `port` reaches."""
        reached = self._reached.get((port, address))
        if reached is not None:
            return reached
        group = self._group_at(port, address)
        if len(self._reached) < 4096:      # a batch's few addresses, the names most requests use
            self._reached[(port, address)] = group
        return group

    def _group_at(self, port: int, address: str) -> _Group:
        on_port = self.by_port.get(port)
        if not on_port:
            ports = sorted(self.by_port)
            raise RequestError(f"no server listens on port {port}"
                               + (f" (ports: {', '.join(map(str, ports))})" if ports else ""))
        address = address.strip("[]")
        key_addr = address if _is_ip(address) else "*"
        key = (port, key_addr)
        group = self._groups.get(key)
        if group is None:
            if key_addr != "*":
                pairs = _reaching(on_port, parse_address(key_addr))
                if not pairs:
                    raise RequestError(f"nothing listens on {_at(key_addr, port)} (listen "
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
    group = _index(http).group_at(request.port, request.address)
    if request.stated and request.scheme == "https" and group.tls is False:
        raise RequestError(f"port {request.port} does not speak TLS (no `listen ... ssl` there): an https "
                           f"request gets no HTTP answer (nginx reads the handshake as a bad request); "
                           f"ask for http://{request.host or request.address}:{request.port}/ instead")
    selection = _select(group, request.port, request.host, request.bad_host, request.header)
    if request.stated and request.scheme == "http" and group.tls:
        # the answering server's own `listen ... ssl` names it best; else the socket's
        own = next((l.node for l in selection.server.listens if l.ssl and l.port == request.port), None)
        selection.plain_on_tls = own or group.tls_node
    return selection


def select_aimed(http: Http, address: str, port: int, host: str) -> Selection:
    """select_server's answer to Request.aimed(address, port, host, "/") (no other header),
    without making the request (rules find out which Host reaches each of thousands of servers)."""
    address, name, valid = aim_parts(address, host)
    return _select(_index(http).group_at(port, address), port, name, not valid, {"host": host.strip(" ")}.get)


def _index(http: Http) -> "ServerIndex":
    if http.server_index is None:
        http.server_index = ServerIndex(http)
    return http.server_index


def _select(group: "_Group", port: int, host: str, bad_host: bool, header) -> Selection:
    """The server of `group` (the listens reaching the request's port and address) for the
    Host name `host` (`header`: the request's header by lower-case name)."""
    if bad_host:
        return _default(group, port, f"nginx refuses the Host {header('host')!r}")
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
    return _default(group, port, f"no server_name matches Host {host or '(empty)'}")


def _default(group: _Group, port: int, why: str) -> Selection:
    default = group.default
    which = "default_server" if group.default_listen is not None else "first server"
    listen = group.default_listen
    return Selection(default, f"{why}: the {which} for port {port}",
                     listen.node if listen is not None else default.node, {})

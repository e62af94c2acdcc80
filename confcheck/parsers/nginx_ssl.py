"""nginx's refusal of TLS without a certificate, decided on a whole main configuration.

Facts of nginx 1.22 (ngx_http_ssl_module.c), checked against the real `nginx -t`:
- `ssl on` in a server (or inherited from http) whose merged `ssl_certificate` is
  unset: 'no "ssl_certificate" is defined for the "ssl" directive', at the `ssl` line
  (merge time: before the check below).
- Every address:port where some `listen` carries `ssl` (the flag is shared by all
  servers on that address): when its default server (`default_server`, else the first
  server listening there) has no certificate and no `ssl_reject_handshake on`, nginx
  refuses at that server's line; when the default server rejects handshakes, each
  other server there needs a certificate or the same. A default server with a
  certificate ends the check for its address.
Listens naming a host are resolved by nginx at start: their port is not judged here.
"""

from __future__ import annotations

from confcheck.parsers.nginx_values import listen_address
from confcheck.parsers.syntax import Node, effective_children

LISTEN_MESSAGE = 'no "ssl_certificate" is defined for the "listen ... ssl" directive'
SSL_MESSAGE = 'no "ssl_certificate" is defined for the "ssl" directive'


_LOOKED_AT = frozenset({"ssl_certificate", "ssl_reject_handshake", "ssl"})


def _own(nodes, name: str) -> Node | None:
    found = None
    for node in nodes:
        if node.name == name:
            found = node
    return found


def _flag(node: Node | None) -> bool | None:
    if node is None or len(node.args) != 1:
        return None
    return node.args[0].value.lower() == "on"


def _collect(nodes: list[Node], own: dict[str, Node], listens: list[Node]) -> None:
    """The last of each directive in _LOOKED_AT and the listens with an address, in the
    order nginx reads them (what an include brings in, at its place)."""
    for node in nodes:
        name = node.name
        if name == "listen":
            if node.args:
                listens.append(node)
        elif name in _LOOKED_AT:
            own[name] = node
        elif node.included:
            for included in node.included:
                _collect(included.nodes, own, listens)


def certificate_problems(nodes: list[Node]) -> list[tuple[str, Node]]:
    """(message, node) for each http block's first such refusal (nginx stops at the first)."""
    out = []
    for http in effective_children(nodes):
        if http.name == "http" and http.children is not None:
            problem = _http_problem(effective_children(http.children))
            if problem is not None:
                out.append(problem)
    return out


def _http_problem(body) -> tuple[str, Node] | None:
    http_cert = _own(body, "ssl_certificate") is not None
    http_reject = bool(_flag(_own(body, "ssl_reject_handshake")))
    http_ssl = _own(body, "ssl")
    servers = []   # (server node, its listens with an address, has certificate, rejects handshakes)
    for server in body:
        if server.name != "server" or server.children is None:
            continue
        # one pass over the server (thousands of them in generated configs): the last of each
        # directive looked at, and the listens
        own: dict[str, Node] = {}
        listens: list[Node] = []
        _collect(server.children, own, listens)
        cert = http_cert or "ssl_certificate" in own
        reject = _flag(own.get("ssl_reject_handshake"))
        servers.append((server, listens, cert, http_reject if reject is None else reject))
        ssl = own.get("ssl") or http_ssl
        if _flag(ssl) and not cert:
            return SSL_MESSAGE, ssl
    addresses: dict[str, dict] = {}
    unknown_ports = set()
    for server, listens, cert, reject in servers:
        for listen in listens or [None]:   # None: nginx's default listen, *:80
            if listen is None:
                addr, params = "0.0.0.0:80", ()
            else:
                addr = listen_address(listen.args[0].value)
                params = [a.value for a in listen.args[1:]]
                if addr is None:
                    unknown_ports.add(listen.args[0].value.rpartition(":")[2])
                    continue
            entry = addresses.get(addr)
            if entry is None:
                entry = addresses[addr] = {"ssl": False, "default": None, "servers": []}
            entry["ssl"] = entry["ssl"] or "ssl" in params
            entry["servers"].append((server, cert, reject))
            if entry["default"] is None and ("default_server" in params or "default" in params):
                entry["default"] = (server, cert, reject)
    for addr, entry in addresses.items():
        if not entry["ssl"] or addr.rpartition(":")[2] in unknown_ports:
            continue
        server, cert, reject = entry["default"] or entry["servers"][0]
        if cert:
            continue
        if not reject:
            return LISTEN_MESSAGE, server
        for other, cert, reject in entry["servers"]:
            if not cert and not reject:
                return LISTEN_MESSAGE, other
    return None

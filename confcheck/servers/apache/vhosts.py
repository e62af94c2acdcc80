"""Which server answers: IP-based first, then name-based (server/vhost.c).

The connection's address:port picks the `<VirtualHost>`s listening there
(an exact IP beats `*`, `_default_` comes last); among them the first whose
ServerName or ServerAlias (wildcards allowed) equals the Host header wins,
else the first of them. No `<VirtualHost>` on that address: the main server.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from confcheck.servers.apache.conf import ApacheConf, Server, split_address
from confcheck.servers.nginx.request import RequestError, parse_address


@dataclass
class Selection:
    server: Server
    reason: str
    node: object = None
    assumption: str | None = None
    # a plain http request on a connection mod_ssl runs TLS on: (the server whose
    # `SSLEngine on` says so, that node); see plain_on_tls
    plain_on_tls: tuple | None = None


def _is_ip(text: str) -> bool:
    return parse_address(text.strip("[]")) is not None


class _Group:
    """The <VirtualHost>s of one address:port, names indexed (first definition wins)."""

    def __init__(self, vhosts: list[Server]) -> None:
        self.vhosts = vhosts
        self.order = {id(vh): i for i, vh in enumerate(vhosts)}
        self.names: dict[str, tuple[Server, object, str]] = {}
        self.wildcards: list[tuple[str, Server, object]] = []
        for vh in vhosts:
            for name, node in vh.names:
                if any(c in name for c in "*?"):
                    self.wildcards.append((name, vh, node))
                else:
                    self.names.setdefault(name, (vh, node, name))

    def match(self, host: str):
        """The first vhost (in config order) naming `host`: exact or wildcard."""
        hit = self.names.get(host)
        best = None
        if hit is not None:
            best = (self.order[id(hit[0])], hit[0], hit[1], hit[2])
        for name, vh, node in self.wildcards:
            if fnmatchcase(host, name):
                order = self.order[id(vh)]
                if best is None or order < best[0]:
                    best = (order, vh, node, name)
                break
        return best


def _groups(conf: ApacheConf, request) -> tuple[list[Server], bool]:
    """(the vhosts the connection reaches, whether that rests on a name's address)."""
    port = str(request.port)
    address = request.address.lower()
    named = conf.select_cache.get("named-addresses")
    if named is None:
        named = conf.select_cache["named-addresses"] = any(
            host not in ("*", "_default_") and not _is_ip(host) for vh in conf.vhosts for host, _ in vh.addresses)
    # only <VirtualHost name:port> makes the group depend on the Host header
    key = (port, address if _is_ip(address) else "", request.host if named and not _is_ip(address) else "")
    hit = conf.select_cache.get(key)
    if hit is not None:
        return hit
    exact, wild, default = [], [], []
    for vh in conf.vhosts:
        for host, vport in vh.addresses:
            if vport not in ("*", port):
                continue
            if host in ("*",):
                wild.append(vh)
            elif host == "_default_":
                default.append(vh)
            elif _is_ip(host):
                if not _is_ip(address) or host.strip("[]") == address.strip("[]"):
                    exact.append(vh)
            else:
                # a name in <VirtualHost name:port>: httpd resolves it at start-up
                if host in (address, request.host):
                    exact.append(vh)
            break
    result = (exact or wild or default, bool(exact) and not _is_ip(address))
    if len(conf.select_cache) < 4096:
        conf.select_cache[key] = result
    return result


def select(conf: ApacheConf, request) -> Selection:
    if not request.stated:       # a probe or a replayed log line: it speaks what the socket speaks
        return _select(conf, request)
    _listening(conf, request)
    group, _by_name = _groups(conf, request)
    tls = _tls(conf, group, str(request.port))
    if request.scheme == "https" and tls is not None and tls[1] is None:
        raise RequestError(f"port {request.port} does not speak TLS (no `SSLEngine on` for it): an https request "
                           f"gets no HTTP answer (Apache reads the handshake as a bad request); ask for "
                           f"http://{request.host or request.address}:{request.port}/ instead")
    selection = _select(conf, request)
    if request.scheme == "http" and tls is not None and tls[1] is not None:
        selection.plain_on_tls = tls
    return selection


def _listening(conf: ApacheConf, request) -> None:
    """A request to a port (or IP address) no `Listen` opens gets no answer: RequestError, as
    nginx's model says for a port no `listen` names. A configuration without Listen (a lone
    vhost: its main opens the ports) is not judged."""
    listens = [node for node in conf.main.all("listen") if node.values]
    if not listens:
        return
    port, address = str(request.port), request.address.strip("[]").lower()
    literal = _is_ip(address)
    for node in listens:
        text = node.values[0]
        host, lport = ("*", text) if text.isdigit() else split_address(text)
        if lport != port:
            continue
        host = host.strip("[]")
        if not literal or host in ("*", "", "::") or host == address or (host == "0.0.0.0" and ":" not in address):
            return
    where = ", ".join(f"Listen {' '.join(n.values)} ({n.span.file}:{n.span.line})" for n in listens)
    target = f"{address}:{port}" if literal else f"port {port}"
    raise RequestError(f"nothing listens on {target}: {where}")


def _tls(conf: ApacheConf, group: list[Server], port: str) -> tuple | None:
    """(server, its `SSLEngine on`, or None when it runs no TLS) for the connection: mod_ssl
    reads the setting of the connection's base server (the address's first <VirtualHost>,
    or the main server); None when the group's addresses disagree (a name's address unknown)."""
    firsts: dict[str, Server] = {}
    for vh in group:
        for host, vport in vh.addresses:
            if vport in ("*", port):
                firsts.setdefault(host, vh)
                break
    states: dict[bool, tuple] = {}
    for server in (list(firsts.values()) or [conf.main]):
        node = conf.server_value(server, "sslengine")
        on = node if node is not None and node.values and node.values[0].lower() == "on" else None
        states.setdefault(on is not None, (server, on))
    return next(iter(states.values())) if len(states) == 1 else None


def _select(conf: ApacheConf, request) -> Selection:
    port = str(request.port)
    address = request.address.lower()
    group, by_name = _groups(conf, request)
    assumption = None
    if by_name:
        assumption = (f"{address} is not an IP address: taken to reach the address(es) of the <VirtualHost>s "
                      f"on port {port}")
    if not group:
        return Selection(conf.main, f"no <VirtualHost> on port {port}: the main server answers", None)
    index_key = ("names", id(group))
    index = conf.select_cache.get(index_key)
    if index is None:
        index = conf.select_cache[index_key] = _Group(group)
    host = request.host.lower()
    found = index.match(host)
    if found is not None:
        _, vh, node, name = found
        return Selection(vh, f"ServerName/ServerAlias {name} matches Host {host}", node, assumption)
    first = group[0]
    return Selection(first, f"no ServerName/ServerAlias matches Host {host}: the first <VirtualHost> for "
                            f"this address answers", first.node, assumption)

"""Which server answers: IP-based first, then name-based (server/vhost.c).

The connection's address:port picks the `<VirtualHost>`s listening there
(an exact IP beats `*`, `_default_` comes last); among them the first whose
ServerName or ServerAlias (wildcards allowed) equals the Host header wins,
else the first of them. No `<VirtualHost>` on that address: the main server.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from fnmatch import fnmatchcase

from confcheck.servers.apache.conf import ApacheConf, Server


@dataclass
class Selection:
    server: Server
    reason: str
    node: object = None
    assumption: str | None = None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
        return True
    except ValueError:
        return False


def select(conf: ApacheConf, request) -> Selection:
    port = str(request.port)
    address = request.address.lower()
    assumption = None
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
    if exact and not _is_ip(address):
        assumption = (f"{address} is not an IP address: taken to reach the address(es) of the <VirtualHost>s "
                      f"on port {port}")
    group = exact or wild or default
    if not group:
        return Selection(conf.main, f"no <VirtualHost> on port {port}: the main server answers", None)
    host = request.host.lower()
    for vh in group:
        for name, node in vh.names:
            if name == host or (any(c in name for c in "*?") and fnmatchcase(host, name)):
                return Selection(vh, f"ServerName/ServerAlias {name} matches Host {host}", node, assumption)
    first = group[0]
    return Selection(first, f"no ServerName/ServerAlias matches Host {host}: the first <VirtualHost> for "
                            f"this address answers", first.node, assumption)

"""mod_remoteip: the client address `Require ip`, `Require local`, `Allow from` and
%{REMOTE_ADDR} see, taken from a header (httpd 2.4 modules/metadata/mod_remoteip.c,
remoteip_modify_request, a post_read_request hook: before any section applies).

* Server settings only: a virtual host's RemoteIPHeader / RemoteIPProxiesHeader
  replace the main server's; its proxy list (every RemoteIPTrustedProxy,
  RemoteIPInternalProxy and their *List files) replaces the main server's whole.
* No proxy list: every peer is a trusted *external* proxy. With a list, the
  peer is looked up in it; not listed -> the header is not read. The peer
  starts as internal; a listed trusted (external) proxy makes the rest external
  (an external proxy cannot present an internal one).
* The header is read right to left: each address taken becomes the peer for the
  next step, which is looked up in the list again. An empty element or one that is
  not an address stops; behind an external proxy a private address (10/8, 127/8,
  169.254/16, 172.16/12, 192.168/16; IPv6 outside 2000::/3) stops too.
* What was taken replaces the address; the header keeps the elements not taken
  (or is removed), and RemoteIPProxiesHeader gets the external proxies passed.
* RemoteIPProxyProtocol reads the address from the PROXY protocol: the coverage
  table's unknown class (apache/coverage.py makes the answer null).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import posixpath

from confcheck.servers.apache.authz import parse_subnet

LISTS = ("remoteiptrustedproxy", "remoteipinternalproxy", "remoteiptrustedproxylist", "remoteipinternalproxylist")
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
                                               "192.168.0.0/16")]
_GLOBAL6 = ipaddress.ip_network("2000::/3")


class Unknown(Exception):
    """The address mod_remoteip gives is not known offline (node, why)."""

    def __init__(self, node, why: str) -> None:
        super().__init__(why)
        self.node, self.why = node, why


def _proxies(st, server) -> list:
    """[(network, internal, node)] in force for this server."""
    conf = st.model.conf
    nodes = [n for n in server.scope if n.key in LISTS]
    if not nodes and server is not conf.main:
        nodes = [n for n in conf.main.scope if n.key in LISTS]
    found = []
    for node in nodes:
        internal = "internal" in node.key
        if node.key.endswith("list"):
            words = _list_words(st, node)
        else:
            words = node.values
        for word in words:
            found.append((_network(word, node), internal, node))
    return found


def _list_words(st, node) -> list[str]:
    path = node.values[0] if node.values else ""
    if not path.startswith("/"):
        root = st.model.conf.main.last("serverroot")
        path = posixpath.join(root.values[0] if root is not None and root.values else "/etc/apache2", path)
    fs = st.model.fs
    data = fs.read_bytes(path) if fs is not None else None
    if data is None:
        raise Unknown(node, f"the proxy list {path} is read when httpd starts; it cannot be read here")
    words = []
    for line in data.decode("utf-8", "replace").splitlines():
        for word in line.split():
            if word.startswith("#"):
                break
            words.append(word)
    return words


def _network(word: str, node):
    ip = word.partition("/")[0]
    if ":" not in ip and any(c not in "0123456789." for c in ip):
        # a host name, resolved when httpd starts
        return Unknown(node, f"{word} is a host name resolved when httpd starts; its addresses are not known here")
    net = parse_subnet(word)
    return None if isinstance(net, str) else net     # httpd refuses a bad one at start-up


def _listed(addr, proxies) -> tuple | None:
    for net, internal, node in proxies:
        if isinstance(net, Unknown):
            raise net
        if net is not None and addr.version == net.version and addr in net:
            return internal, node
    return None


def _address(text: str):
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _private(addr) -> bool:
    if addr.version == 4:
        return any(addr in net for net in _PRIVATE)
    return addr not in _GLOBAL6


def apply(st) -> None:
    """Replace st.request by what the rest of httpd sees (client address, headers)."""
    request = st.request
    conf = st.model.conf
    if "remoteip_module" not in conf.modules or request.address_from_log:
        return        # a log's client address is already mod_remoteip's
    header_node = conf.server_value(st.server, "remoteipheader")
    if header_node is None or not header_node.values:
        return
    name = header_node.values[0]
    value = request.header(name)
    if value is None:
        return
    try:
        proxies = _proxies(st, st.server)
    except Unknown as exc:
        st.remoteip_unknown = exc
        return
    internal = bool(proxies)
    peer = _address(request.client_ip)
    remote: str | None = value
    taken = None
    passed: list[str] = []
    try:
        while remote is not None:
            if proxies:
                hit = _listed(peer, proxies) if peer is not None else None
                if hit is None:
                    break
                if internal:
                    internal = hit[0]
            rest, sep, last = remote.rpartition(",")
            element = last.strip(" ")
            if not element:
                break
            addr = _address(element)
            if addr is None:
                # httpd hands the token to the resolver (getaddrinfo): a name, or a short
                # form like 10.1, may resolve to an address; not known here
                raise Unknown(header_node, f"'{element}' in {name} is handed to the resolver by httpd; "
                                           "what it resolves to is not known here")
            if not internal and _private(addr):
                break
            if not internal:
                passed.append(str(peer))
            taken = addr
            peer = addr
            remote = rest if sep else None
    except Unknown as exc:
        st.remoteip_unknown = exc
        return
    if taken is None:
        st.step("remoteip", f"{header_node.name} {name}: {value!r} gives no address: the client stays "
                            f"{request.client_ip}", header_node)
        return
    headers = dict(request.headers)
    if remote is not None:
        headers[name.lower()] = remote
    else:
        headers.pop(name.lower(), None)
    proxies_header = conf.server_value(st.server, "remoteipproxiesheader")
    if passed and proxies_header is not None and proxies_header.values:
        headers[proxies_header.values[0].lower()] = ", ".join(passed)
    st.request = dataclasses.replace(request, client_ip=str(taken), headers=headers)
    st.step("remoteip", f"{header_node.name} {name}: {value!r} from {request.client_ip}: the client is {taken}"
            + (f" (by proxies {', '.join(passed)})" if passed else " (by internal proxies)"), header_node)

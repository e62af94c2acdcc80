"""The request as the proxied app receives it: the backend's address and the
headers the proxy sends.

nginx (ngx_http_proxy_module.c, nginx 1.22): the default headers are
`Host $proxy_host` and `Connection close`; `proxy_set_header` replaces a
header of that name (an empty value removes it), inherited from the enclosing
level only when the level has none of its own; every other client header is
passed as it came (proxy_pass_request_headers on). No X-Forwarded-* header is
added by default. $proxy_host is the proxy_pass URL's host[:port] (the port
only when not 80), `localhost` for a unix socket.

Apache (modules/proxy/mod_proxy_http.c, proxy_util.c ap_proxy_create_hdrbrgd,
httpd 2.4): the backend's Host is the URL's host[:port] unless
`ProxyPreserveHost On` passes the client's; with ProxyAddHeaders On (the
default) X-Forwarded-For, X-Forwarded-Host (the client's Host) and
X-Forwarded-Server (ServerName) are added; X-Forwarded-Proto is not.
mod_headers' `RequestHeader set|append|add|unset` (fixups, before the
handler) change what is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from confcheck.parsers.syntax import Node


@dataclass
class Backend:
    server: str                        # nginx | apache
    handler: Node                      # proxy_pass / ProxyPass / uwsgi_pass
    protocol: str                      # http | uwsgi | other
    address: str | None = None
    port: int | None = None
    socket: str | None = None          # unix socket path
    headers: dict[str, str] = field(default_factory=dict)          # lower-case name -> value sent
    unknown: dict[str, str] = field(default_factory=dict)          # lower-case name -> why not known
    set_by: dict[str, Node] = field(default_factory=dict)          # lower-case name -> the directive
    steps: list[str] = field(default_factory=list)
    public_host: str = ""              # the Host the client sent (what the public origin names)
    server_names: list[str] = field(default_factory=list)
    scope: object = None               # nginx: the Scope holding the handler
    vhost: object = None               # apache: the Server
    # the uwsgi protocol: the variables sent, in packet order (uwsgi_param, then HTTP_* of the headers)
    variables: list[tuple[str, str]] = field(default_factory=list)
    unknown_variables: dict[str, str] = field(default_factory=dict)   # name -> why its value is not known
    upstream: str | None = None        # nginx: the upstream{} group named by the pass
    members: list[tuple[str | None, int | None, str | None]] = field(default_factory=list)  # its servers

    @property
    def peer(self) -> str | None:
        """The address the app sees the connection come from; None on a unix socket.
        A loopback backend sees 127.0.0.1 (the proxy's own loopback address)."""
        if self.socket is not None:
            return None
        if self.address in ("127.0.0.1", "localhost") or (self.address or "").startswith("127."):
            return "127.0.0.1"
        if self.address == "::1":
            return "::1"
        return self.address and f"this host's address toward {self.address}"

    def where(self) -> str:
        if self.upstream is not None:
            return f"upstream {self.upstream}"
        return self.socket and f"unix:{self.socket}" or f"{self.address}:{self.port}"


def _target(url: str) -> tuple[str | None, int | None, str | None, str]:
    """(address, port, socket, $proxy_host) of an http:// backend URL (nginx and Apache forms)."""
    if url.startswith("unix:"):          # Apache: unix:/path|http://localhost/
        path, _, rest = url[5:].partition("|")
        return None, None, path, urlsplit(rest).netloc or "localhost"
    parts = urlsplit(url)
    netloc = parts.netloc
    if netloc.startswith("unix:"):        # nginx: http://unix:/path:/uri
        path = netloc[5:]
        full = url.split("://", 1)[1][5:]
        path = full.split(":", 1)[0]
        return None, None, path, "localhost"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    return (parts.hostname or None), port, None, netloc if parts.port not in (None, 80) or parts.scheme != "http" \
        else (parts.hostname or "")


def scope_of(http, node: Node):
    """The nginx scope whose own directives hold `node`."""
    def walk(scope):
        if node in scope.own(node.key):
            return scope
        children = list(getattr(scope, "static", [])) + list(getattr(scope, "regexes", [])) + \
            list(getattr(scope, "named", {}).values() if getattr(scope, "kind", "") == "server" else []) + \
            list(getattr(scope, "ifs", {}).values())
        if getattr(scope, "limit_except", None) is not None:
            children.append(scope.limit_except)
        for child in children:
            found = walk(child)
            if found is not None:
                return found
        return None
    for server in http.servers:
        found = walk(server)
        if found is not None:
            return found
    return None


_NGINX_VARS = ("host", "http_host", "scheme", "remote_addr", "proxy_add_x_forwarded_for", "server_port",
               "server_name", "proxy_host", "request_uri", "https", "server_addr")


def nginx_backend(http, node: Node, request) -> Backend | None:
    scope = scope_of(http, node)
    protocol = "http" if node.key == "proxy_pass" else ("uwsgi" if node.key == "uwsgi_pass" else "other")
    url = node.args[0].value if node.args else ""
    if protocol == "uwsgi":
        if url.startswith("suwsgi://"):
            protocol = "other"      # uwsgi over TLS: not modelled
        url = url.split("://", 1)[1] if "://" in url else url
        url = "http://" + url if not url.startswith("unix:") else "http://" + url + ":"
    backend = Backend("nginx", node, protocol, scope=scope, public_host=request.headers.get("host", ""))
    if scope is not None:
        backend.server_names = [n for n, _ in scope.server().names]
    if "$" in url:
        backend.steps.append(f"{node.name} {url}: the backend is named by a variable, not followed")
        return backend
    backend.address, backend.port, backend.socket, proxy_host = _target(url)
    name = url.split("://", 1)[-1].split("/")[0]
    upstreams = _upstreams(http)
    if not url.startswith("http://unix:") and name in upstreams:
        backend.upstream = name
        backend.members = upstreams[name]
        backend.steps.append(f"{node.name} names the upstream {name} "
                             f"({len(backend.members)} server{'s' if len(backend.members) != 1 else ''})")
        backend.address, backend.port, backend.socket = backend.members[0] if backend.members else (None,) * 3
    if protocol == "other":
        return backend
    server_name = backend.server_names[0] if backend.server_names else ""
    values = {"host": request.host or server_name, "http_host": request.headers.get("host", ""),
              "scheme": request.scheme, "remote_addr": request.client_ip,
              "proxy_add_x_forwarded_for": ", ".join(filter(None, [request.headers.get("x-forwarded-for"),
                                                                   request.client_ip])),
              "server_port": str(request.port), "server_name": server_name, "proxy_host": proxy_host,
              "request_uri": request.request_uri, "https": "on" if request.scheme == "https" else "",
              "request_method": request.method, "query_string": request.args, "args": request.args,
              "document_uri": request.raw_path.split("?")[0], "uri": request.raw_path.split("?")[0],
              "content_type": request.headers.get("content-type", ""),
              "content_length": request.headers.get("content-length", ""),
              "server_protocol": "HTTP/1.1"}
    if protocol == "uwsgi":
        _uwsgi_variables(backend, scope, request, values)
        return backend
    sent = {"host": "$proxy_host", "connection": "close"}
    set_nodes = scope.group("proxy_set_header") if scope is not None else []
    for set_node in set_nodes:
        if len(set_node.args) >= 2:
            name = set_node.args[0].value.lower()
            sent[name] = set_node.args[1].value
            backend.set_by[name] = set_node
    for name, value in request.headers.items():
        if name not in sent:
            backend.headers[name] = value
    for name, template in sent.items():
        value, missing = _expand(template, values, request)
        if missing:
            backend.unknown[name] = f"${missing} in {template!r} is not followed offline"
        elif value:
            backend.headers[name] = value
        else:
            backend.headers.pop(name, None)
    how = (f"proxy_set_header at {set_nodes[0].file}:{set_nodes[0].line} and below" if set_nodes
           else "no proxy_set_header in force: nginx's defaults (Host $proxy_host, no X-Forwarded-*)")
    backend.steps.append(f"nginx sends to {backend.where()}: Host {backend.headers.get('host')!r}; {how}")
    return backend


def _uwsgi_variables(backend: Backend, scope, request, values: dict[str, str]) -> None:
    """The uwsgi packet (ngx_http_uwsgi_module.c, nginx 1.22: ngx_http_uwsgi_create_request):
    first every uwsgi_param in force (inherited as a whole, like proxy_set_header; with
    `if_not_empty` an empty value is left out), then, unless uwsgi_pass_request_headers off,
    each client header as HTTP_NAME (upper case, - as _) except the names a uwsgi_param sets."""
    params = scope.group("uwsgi_param") if scope is not None else []
    for param in params:
        if len(param.args) < 2:
            continue
        name, template = param.args[0].value, param.args[1].value
        value, missing = _expand(template, values, request)
        if missing:
            backend.unknown_variables[name] = f"${missing} in {template!r} ({param.file}:{param.line}) " \
                                              "is not followed offline"
            continue
        if value == "" and len(param.args) > 2 and param.args[2].value == "if_not_empty":
            continue
        backend.variables.append((name, value))
        backend.set_by[name[5:].lower().replace("_", "-") if name.startswith("HTTP_") else name.lower()] = param
    passes = scope.last("uwsgi_pass_request_headers") if scope is not None else None
    set_names = {p.args[0].value for p in params if p.args}
    if passes is None or not passes.args or passes.args[0].value != "off":
        for name, value in request.headers.items():
            var = "HTTP_" + name.upper().replace("-", "_")
            if var not in set_names:
                backend.variables.append((var, value))
    for var, value in backend.variables:
        if var.startswith("HTTP_"):
            backend.headers[var[5:].lower().replace("_", "-")] = value
    for var, why in backend.unknown_variables.items():
        if var.startswith("HTTP_"):
            backend.unknown[var[5:].lower().replace("_", "-")] = why
    how = (f"uwsgi_param at {params[0].file}:{params[0].line} and below" if params
           else "no uwsgi_param in force (no `include uwsgi_params`)")
    backend.steps.append(f"nginx sends the uwsgi variables to {backend.where()}: HTTP_HOST "
                         f"{backend.headers.get('host')!r}, HTTPS {dict(backend.variables).get('HTTPS')!r}; {how}")


def _upstreams(http) -> dict[str, list[tuple[str | None, int | None, str | None]]]:
    """Each upstream{} group's servers as (address, port, socket); a `down` server takes no request."""
    from confcheck.parsers.syntax import effective_children
    groups = {}
    for child in http.scope.children_nodes:
        if child.key == "upstream" and child.args and child.children is not None:
            members = []
            for server in effective_children(child.children):
                if server.key != "server" or not server.args or any(a.value == "down" for a in server.args[1:]):
                    continue
                address = server.args[0].value
                url = "http://" + address + (":" if address.startswith("unix:") else "")
                members.append(_target(url)[:3])
            groups[child.args[0].value] = members
    return groups


def _expand(template: str, values: dict[str, str], request) -> tuple[str, str | None]:
    out, i = [], 0
    while i < len(template):
        ch = template[i]
        if ch != "$":
            out.append(ch)
            i += 1
            continue
        j = i + 1
        braced = template[j:j + 1] == "{"
        if braced:
            end = template.find("}", j)
            name = template[j + 1:end] if end != -1 else ""
            i = end + 1 if end != -1 else len(template)
        else:
            k = j
            while k < len(template) and (template[k].isalnum() or template[k] == "_"):
                k += 1
            name, i = template[j:k], k
        if name in values:
            out.append(values[name])
        elif name.startswith("http_"):
            out.append(request.headers.get(name[5:].replace("_", "-"), ""))
        else:
            return "", name
    return "".join(out), None


def apache_backend(conf, node: Node, url: str, request) -> Backend:
    backend = Backend("apache", node, "http" if url.startswith(("http://", "unix:")) else "other",
                      public_host=request.headers.get("host", ""))
    vhost = _vhost_of(conf, node)
    backend.vhost = vhost
    backend.server_names = [n for n, _ in vhost.names] if vhost is not None else []
    if backend.protocol != "http":
        return backend
    backend.address, backend.port, backend.socket, proxy_host = _target(url)
    server = vhost or conf.main
    headers = dict(request.headers)
    preserve = conf.server_value(server, "proxypreservehost")
    if preserve is not None and preserve.values and preserve.values[0].lower() == "on":
        backend.set_by["host"] = preserve
        host_step = f"ProxyPreserveHost On ({preserve.file}:{preserve.line}) passes the client's Host"
    else:
        headers["host"] = proxy_host
        host_step = f"Host is the backend's {proxy_host!r} (no ProxyPreserveHost On)"
    add = conf.server_value(server, "proxyaddheaders")
    if add is None or not add.values or add.values[0].lower() != "off":
        headers["x-forwarded-for"] = ", ".join(filter(None, [request.headers.get("x-forwarded-for"),
                                                             request.client_ip]))
        headers["x-forwarded-host"] = ", ".join(filter(None, [request.headers.get("x-forwarded-host"),
                                                              request.headers.get("host", "")]))
        name = backend.server_names[0] if backend.server_names else ""
        headers["x-forwarded-server"] = ", ".join(filter(None, [request.headers.get("x-forwarded-server"), name]))
    for hnode in _request_headers(conf, vhost, request, backend):
        values = [v for v in hnode.values]
        if values and values[0].lower() in ("early",):
            values = values[1:]
        if len(values) < 2:
            continue
        action, name = values[0].lower(), values[1].lower()
        value = values[2] if len(values) > 2 else ""
        if len(values) > 3 or "%{" in value:
            backend.unknown[name] = f"{hnode.name} at {hnode.file}:{hnode.line}: a condition or format not followed"
            continue
        backend.set_by[name] = hnode
        if action == "set":
            headers[name] = value
        elif action in ("append", "merge"):
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        elif action == "add":
            headers.setdefault(name, value)
        elif action == "unset":
            headers.pop(name, None)
        elif action == "setifempty":
            headers.setdefault(name, value)
    backend.headers = headers
    backend.steps.append(f"Apache sends to {backend.where()}: {host_step}")
    return backend


def _request_headers(conf, vhost, request, backend: Backend) -> list[Node]:
    """The RequestHeader lines that apply to this request, in mod_headers' merge order
    (merge_headers_config appends each level's list): the main server's and the virtual
    host's own, then every <Location>/<LocationMatch> whose URL matches (httpd's
    location walk: the main server's sections, then the vhost's). A RequestHeader in
    any other section (<Directory>, <Files>, <If>, <Proxy>, <Limit>, or nested in a
    <Location>) makes its header unknown: whether it applies is not followed."""
    from confcheck.servers.apache.conf import Section, iter_directives
    from confcheck.servers.apache.sections import location_matches
    servers = [conf.main] + ([vhost] if vhost is not None and vhost is not conf.main else [])
    out = [n for server in servers for n in server.all("requestheader")]
    uri = request.raw_path.split("?", 1)[0]
    uncertain: list[tuple[Node, str]] = []
    for server in servers:
        for sec in server.locs:
            if not location_matches(sec, uri):
                continue
            out += [n for n in sec.directives() if n.key == "requestheader"]
            uncertain += [(n, sec.where) for sub in sec.items if isinstance(sub, Section)
                          for n in iter_directives(sub.items) if n.key == "requestheader"]
        for sec in [*server.dirs, *(i for i in server.perdir if isinstance(i, Section))]:
            uncertain += [(n, sec.where) for n in iter_directives(sec.items) if n.key == "requestheader"]
    for hnode, where in uncertain:
        values = [v for v in hnode.values if v.lower() != "early"]
        if len(values) >= 2:
            backend.unknown[values[1].lower()] = (f"{hnode.name} at {hnode.file}:{hnode.line} is inside {where}: "
                                                  "whether it applies to this request is not followed")
    return out


def _vhost_of(conf, node: Node):
    for server in [*conf.vhosts, conf.main]:
        if node in server.scope:
            return server
    return None

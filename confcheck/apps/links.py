"""For scan: every proxy directive of a configuration that reaches a Django app
read here, with the public origin of its server block, and probes through the
whole chain (proxy -> app server -> Django) that rules ask instead of
re-deriving any of it."""

from __future__ import annotations

from dataclasses import dataclass

from confcheck.apps.backend import apache_backend, nginx_backend
from confcheck.apps.chain import AppAnswer, follow, link
from confcheck.servers.nginx.request import Request

# a well-formed CSRF secret (32 letters/digits): probes carry it as the app's CSRF cookie and token header
PROBE_SECRET = "confcheckprobe0123456789abcdefgh"


@dataclass
class Link:
    target: object              # NginxTarget / ApacheTarget
    server: str                 # nginx | apache
    block: object               # the nginx Server / Apache Server (vhost)
    handler: object             # proxy_pass / ProxyPass node
    url: str                    # the backend URL (Apache) or proxy_pass argument
    scheme: str                 # the public scheme the block answers on
    host: str                   # its first server name
    port: int
    app: object                 # confcheck.apps.django.discover.App
    linked_by: str

    @property
    def origin(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return f"{self.scheme}://{self.host}" + (f":{self.port}" if self.port != default else "")

    def request(self, method: str = "GET", headers: dict[str, str] | None = None) -> Request:
        return Request.parse(self.origin + self.path, method,
                             {"Host": self.origin.split("://", 1)[1], **(headers or {})})

    def backend(self, request: Request):
        if self.server == "nginx":
            return nginx_backend(self.target_http, self.handler, request)
        return apache_backend(self.target.conf, self.handler, self.url, request)

    target_http: object = None
    path: str = "/"             # a path the block hands to this directive (analyzers/app/_common.reached_links)

    def probe(self, method: str = "POST", *, origin: bool = True, cookie_kept: bool | None = None,
              apps: list | None = None) -> AppAnswer:
        """A form POST (or GET) from the site's own page: Origin (and Referer) the public
        origin, the CSRF cookie and its token in X-CSRFToken, as a browser sends it."""
        cookie, header = _csrf_names(self.app)
        headers = {"Cookie": f"{cookie}={PROBE_SECRET}", header: PROBE_SECRET}
        if origin:
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + self.path
        request = self.request(method, headers)
        return follow(self.backend(request), apps if apps is not None else [self.app], method, self.path,
                      cookie_kept=cookie_kept)


def _csrf_names(app) -> tuple[str, str]:
    """(the CSRF cookie, the token header) the app's own pages use: CSRF_COOKIE_NAME and
    CSRF_HEADER_NAME when they are known, else Django's csrftoken and X-CSRFToken."""
    names = []
    for setting, default in (("CSRF_COOKIE_NAME", "csrftoken"), ("CSRF_HEADER_NAME", "HTTP_X_CSRFTOKEN")):
        value = app.settings.get(setting) if app is not None and getattr(app, "settings", None) else None
        names.append(value.value if value is not None and value.known and isinstance(value.value, str) else default)
    header = names[1][5:].replace("_", "-") if names[1].startswith("HTTP_") else "X-CSRFToken"
    return names[0], header


def _nginx_origins(server) -> list[tuple[str, int]]:
    """(scheme, port) of each listen of a server block, one per scheme: `listen ... ssl`
    (or the old `ssl on`) answers https."""
    ssl_on = server.last("ssl")
    all_ssl = ssl_on is not None and bool(ssl_on.args) and ssl_on.args[0].value == "on"
    out: dict[str, int] = {}
    for listen in server.listens:
        node = listen.node
        secure = all_ssl or (node is not None and any(a.value == "ssl" for a in node.args[1:]))
        out.setdefault("https" if secure else "http", listen.port or (443 if secure else 80))
    return list(out.items())


def links(ctx) -> list[Link]:
    """Every proxy directive in ctx's configurations that reaches an app of ctx.apps."""
    key = "app_links"
    if key in ctx.memo:
        return ctx.memo[key]
    out: list[Link] = []
    apps = list(getattr(ctx, "apps", []) or [])
    if apps:
        for target in ctx.nginx:
            out += _nginx_links(ctx, target, apps)
        for target in ctx.apache:
            out += _apache_links(target, apps)
    ctx.memo[key] = out
    return out


def _nginx_links(ctx, target, apps) -> list[Link]:
    http = ctx.request_model(target).http
    found = []
    for server in http.servers:
        host = next((n for n, _ in server.names if n and not n.startswith(("~", "*", ".")) and n != "_"), None)
        if host is None:
            continue
        for scheme, port in _nginx_origins(server):
            for scope in _scopes(server):
                for node in [*scope.own("proxy_pass"), *scope.own("uwsgi_pass")]:
                    _keep(Link(target, "nginx", server, node, node.args[0].value if node.args else "", scheme,
                               host, port, None, "", target_http=http), apps, found)
    return found


def _keep(stub: Link, apps: list, found: list) -> None:
    """Add `stub` to `found` when its backend is one of `apps`."""
    app, how = link(stub.backend(stub.request()), apps)
    if app is not None:
        stub.app, stub.linked_by = app, how
        found.append(stub)


def _scopes(container):
    yield container
    for loc in [*container.static, *container.regexes]:
        yield from _scopes(loc)


def _apache_links(target, apps) -> list[Link]:
    conf = target.conf
    found = []
    for vhost in conf.vhosts:
        names = [n for n, _ in vhost.names if n and "*" not in n]
        if not names:
            continue
        engine = conf.server_value(vhost, "sslengine")
        scheme = "https" if engine is not None and engine.values and engine.values[0].lower() == "on" else "http"
        port = next((int(p) for _, p in vhost.addresses if p.isdigit()), 443 if scheme == "https" else 80)
        for node in vhost.all("proxypass"):
            if len(node.values) < 2 or node.values[1] == "!":
                continue
            _keep(Link(target, "apache", vhost, node, node.values[1], scheme, names[0], port, None, ""), apps, found)
    return found

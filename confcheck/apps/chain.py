"""The request continued past the proxy: which app receives it, what arrives
there (headers, wsgi.url_scheme through the app server) and Django's answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from confcheck.apps.backend import Backend, apache_backend, nginx_backend
from confcheck.apps.django.decide import AppRequest, Decision, decide
from confcheck.servers.nginx.conf import UPSTREAM_HANDLERS

if TYPE_CHECKING:   # discover imports libcst: loaded only when apps are read
    from confcheck.apps.django.discover import App


@dataclass
class AppAnswer:
    backend: Backend
    app: "App | None"
    linked_by: str = ""
    url_scheme: str | None = None
    url_scheme_why: str = ""
    decision: Decision | None = None
    steps: list[str] = field(default_factory=list)
    server: object = None              # the app server between: Gunicorn or Uwsgi (None: not known)

    @property
    def status(self) -> int | None:
        return self.decision.status if self.decision is not None else None

    @property
    def reason(self) -> str:
        if self.decision is not None:
            return self.decision.reason
        return self.steps[-1] if self.steps else "the app behind the proxy is not known"

    def setting_span(self):
        if self.decision is None or self.decision.setting is None or self.app is None:
            return None
        value = self.app.settings.module.get(self.decision.setting)
        return value.stmt or value.span if value is not None else None

    def to_json(self) -> dict:
        b = self.backend
        out = {
            "backend": {"server": b.server, "protocol": b.protocol, "address": b.address, "port": b.port,
                        "socket": b.socket, "handler": {"file": b.handler.file, "line": b.handler.line,
                                                        "column": b.handler.column,
                                                        "directive": b.handler.name},
                        "upstream": b.upstream,
                        "upstream_servers": [f"unix:{s}" if s else f"{a}:{p}" for a, p, s in b.members]},
            "headers_received": dict(sorted(b.headers.items())),
            # the uwsgi protocol only: the variables sent, in packet order
            **({"variables_sent": [list(v) for v in b.variables]} if b.protocol == "uwsgi" else {}),
            "headers_unknown": dict(sorted(b.unknown.items())),
            "app": None,
        }
        if self.app is not None:
            out["app"] = {"framework": "django", "settings": self.app.settings.path,
                          "settings_files": list(self.app.settings.files), "linked_by": self.linked_by,
                          "app_server": app_server_json(self.server)}
        out["url_scheme"] = self.url_scheme
        d = self.decision
        out["is_secure"] = d.is_secure if d is not None else None
        out["host"] = d.host if d is not None else None
        out["status"] = self.status
        out["reason"] = self.reason
        span = self.setting_span()
        out["decided_by"] = None if span is None else {
            "file": span.file, "line": span.line, "column": span.column, "setting": d.setting}
        out["steps"] = self.steps + (d.steps if d is not None else [])
        out["assumptions"] = list(d.assumptions) if d is not None else []
        return out


def app_server_json(server) -> dict | None:
    if server is None:
        return None
    if server.kind == "uwsgi":
        return {"kind": "uwsgi", "source": server.source, "socket": list(server.sockets),
                "http_socket": list(server.http_sockets)}
    return {"kind": "gunicorn", "source": server.source, "bind": list(server.binds),
            "forwarded_allow_ips": list(server.forwarded_allow_ips),
            "secure_scheme_headers": dict(server.secure_scheme_headers)}


def _listener(app, protocol: str, address, port, socket) -> tuple:
    """(app server, how) of `app` listening at this address for this protocol, else (None, "")."""
    if not (address or socket):
        return None, ""
    where = f"unix:{socket}" if socket else f"{address}:{port}"
    g = app.gunicorn
    if g is not None and protocol == "http" and g.bound_to(address, port, socket):
        return g, f"gunicorn binds {where} ({g.where.get('bind', g.source)})"
    u = getattr(app, "uwsgi", None)
    if u is not None:
        by = u.bound_to(protocol, address, port, socket)
        if by is not None:
            return u, f"uWSGI {'socket' if protocol == 'uwsgi' else 'http-socket'} {where} ({by})"
    return None, ""


def _reached(apps: list, protocol: str, address, port, socket) -> tuple:
    """(the app listening at this address, how), else (None, "")."""
    for app in apps:
        server, how = _listener(app, protocol, address, port, socket)
        if server is not None:
            return app, how
    return None, ""


def link(backend: Backend, apps: list) -> tuple:
    """The app listening where the proxy sends, else the one named for this server;
    (app, how), or (None, why not) when an upstream group's servers disagree."""
    if backend.upstream is not None and backend.members:
        found = [_reached(apps, backend.protocol, a, p, s) for a, p, s in backend.members]
        reached = {id(app) for app, _ in found if app is not None}
        # gunicorn trusts by the peer's address: one app reached from two addresses is two answers
        peers = {Backend("", backend.handler, "", address=a, socket=s).peer for a, _, s in backend.members}
        if len(reached) == 1 and all(app is not None for app, _ in found):
            if len(peers) == 1:
                return found[0][0], f"upstream {backend.upstream}: every server reaches it ({found[0][1]})"
            return None, (f"upstream {backend.upstream}: its servers reach the app from different addresses "
                          "(which one answers is not known)")
        if reached:
            where = ", ".join(f"{'unix:' + s if s else f'{a}:{p}'} -> "
                              f"{app.settings.path if app is not None else 'no app read here'}"
                              for (a, p, s), (app, _) in zip(backend.members, found))
            return None, (f"upstream {backend.upstream}: its servers do not all reach one app read here "
                          f"({where}): which one answers is not known")
    else:
        app, how = _reached(apps, backend.protocol, backend.address, backend.port, backend.socket)
        if app is not None:
            return app, how
    names = {n.lower() for n in backend.server_names}
    host = backend.public_host.split(":")[0].lower()
    for app in apps:
        if any(n.lower() in names or n.lower() == host for n in app.server_names):
            return app, f"--app-settings {','.join(app.server_names)}={app.settings.path}"
    return None, ""


def app_server_of(app, backend: Backend):
    """The app server the request meets: the one listening where the proxy sends, else the
    app's only one (linked by --app-settings HOST=); None when not known."""
    for address, port, socket in backend.members or [(backend.address, backend.port, backend.socket)]:
        server, _ = _listener(app, backend.protocol, address, port, socket)
        if server is not None:
            return server
    servers = [s for s in (app.gunicorn, getattr(app, "uwsgi", None)) if s is not None]
    return servers[0] if len(servers) == 1 else None


def backend_of(outcome, model, request) -> Backend | None:
    """The backend a proxied answer was handed to (status null at the proxy), or None."""
    node = outcome.decided_by
    if outcome.status is not None or node is None or outcome.not_modelled is not None or \
            outcome.internal_error is not None:
        return None
    if outcome.server == "nginx" and node.key in UPSTREAM_HANDLERS:
        return nginx_backend(model.http, node, request)
    if outcome.server == "apache" and node.key in ("proxypass", "proxypassmatch") and len(node.values) >= 2:
        return apache_backend(model.conf, node, node.values[1], request)
    return None


def follow(backend: Backend, apps: list, method: str, path: str, *, cookie_kept: bool | None = None) -> AppAnswer:
    app, how = link(backend, apps)
    answer = AppAnswer(backend, app, how if app is not None else "")
    answer.steps += backend.steps
    if app is None:
        answer.steps.append(how or f"no app read here listens on {backend.where()} (name it with --app-settings)")
        return answer
    server = answer.server = app_server_of(app, backend)
    if backend.protocol not in ("http", "uwsgi"):
        answer.steps.append(f"{backend.handler.name}: what the app receives over this protocol is not modelled")
        return answer
    answer.steps.append(f"the app is the Django project {app.settings.path}, linked by {how}")
    unknown = dict(backend.unknown)
    if server is None:
        answer.url_scheme_why = "the app server is not known (no gunicorn unit or config, no uWSGI ini read)"
    elif server.kind == "uwsgi":
        answer.url_scheme, answer.url_scheme_why = _uwsgi_scheme(backend)
        if backend.protocol == "uwsgi":
            if "REQUEST_METHOD" not in dict(backend.variables):
                answer.steps.append("the uwsgi variables carry no REQUEST_METHOD (no `include uwsgi_params`?): "
                                    "Django fails before any check; its answer is not modelled")
                return answer
            if "host" not in backend.headers:
                unknown.setdefault("host", "no HTTP_HOST is sent: Django then builds the host from SERVER_NAME "
                                           "and SERVER_PORT, not modelled")
    elif backend.protocol != "http":
        answer.steps.append("gunicorn does not speak the uwsgi protocol: not modelled")
        return answer
    else:
        answer.url_scheme, answer.url_scheme_why = server.scheme(backend.headers, backend.peer) \
            if not any(h.upper() in {k.upper() for k in server.secure_scheme_headers} for h in backend.unknown) \
            else (None, "a header gunicorn reads for the scheme is not known")
    request = AppRequest(method, path, dict(backend.headers), answer.url_scheme, answer.url_scheme_why,
                         unknown, cookie_kept)
    answer.decision = decide(app.settings, request)
    return answer


def _uwsgi_scheme(backend: Backend) -> tuple:
    """uWSGI's wsgi.url_scheme: from the uwsgi variables (uwsgi_pass) or the HTTP headers (http-socket)."""
    from confcheck.apps.uwsgi import SCHEME_VARIABLES, header_variables, url_scheme
    if backend.protocol == "uwsgi":
        variables, unknown = backend.variables, dict(backend.unknown_variables)
    else:
        variables = header_variables(backend.headers)
        unknown = {v: why for v, why in header_variables(backend.unknown)}
    for name in SCHEME_VARIABLES:
        if name in unknown:
            return None, f"{name}, which uWSGI reads for the scheme, is not known: {unknown[name]}"
    return url_scheme(variables)

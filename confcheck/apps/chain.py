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
                                                        "directive": b.handler.name}},
            "headers_received": dict(sorted(b.headers.items())),
            "headers_unknown": dict(sorted(b.unknown.items())),
            "app": None,
        }
        if self.app is not None:
            g = self.app.gunicorn
            out["app"] = {"framework": "django", "settings": self.app.settings.path,
                          "settings_files": list(self.app.settings.files), "linked_by": self.linked_by,
                          "app_server": None if g is None else {
                              "kind": "gunicorn", "source": g.source, "bind": list(g.binds),
                              "forwarded_allow_ips": list(g.forwarded_allow_ips),
                              "secure_scheme_headers": dict(g.secure_scheme_headers)}}
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


def link(backend: Backend, apps: list) -> tuple:
    """The app listening where the proxy sends, else the one named for this server."""
    for app in apps:
        g = app.gunicorn
        if g is not None and backend.protocol == "http" and (backend.address or backend.socket) and \
                g.bound_to(backend.address, backend.port, backend.socket):
            return app, f"gunicorn binds {backend.where()} ({g.where.get('bind', g.source)})"
    names = {n.lower() for n in backend.server_names}
    host = backend.public_host.split(":")[0].lower()
    for app in apps:
        if any(n.lower() in names or n.lower() == host for n in app.server_names):
            return app, f"--app-settings {','.join(app.server_names)}={app.settings.path}"
    return None, ""


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
    answer = AppAnswer(backend, app, how)
    answer.steps += backend.steps
    if app is None:
        answer.steps.append(f"no app read here listens on {backend.where()} (name it with --app-settings)")
        return answer
    if backend.protocol != "http":
        answer.steps.append(f"{backend.handler.name}: what the app receives over this protocol is not modelled")
        return answer
    answer.steps.append(f"the app is the Django project {app.settings.path}, linked by {how}")
    g = app.gunicorn
    if g is not None:
        answer.url_scheme, answer.url_scheme_why = g.scheme(backend.headers, backend.peer) \
            if not any(h.upper() in {k.upper() for k in g.secure_scheme_headers} for h in backend.unknown) \
            else (None, "a header gunicorn reads for the scheme is not known")
    else:
        answer.url_scheme, answer.url_scheme_why = None, "the app server is not known (no gunicorn unit or config read)"
    request = AppRequest(method, path, dict(backend.headers), answer.url_scheme, answer.url_scheme_why,
                         dict(backend.unknown), cookie_kept)
    answer.decision = decide(app.settings, request)
    return answer

"""What the app rules share: the links from proxy directives to the Django apps
(confcheck/apps/links.py), which view reports a settings-only finding, and
where a setting is written. No rule lives here."""

from __future__ import annotations

from confcheck.apps.links import Link, links
from confcheck.isolation import decide_contained
from confcheck.source import Span

REFERENCE_CSRF = "Django 5.2 django/middleware/csrf.py (CsrfViewMiddleware.process_view, _origin_verified, " \
                 "_check_referer, _check_token)"
REFERENCE_HOST = "Django 5.2 django/http/request.py (HttpRequest.get_host, scheme, is_secure)"
REFERENCE_GUNICORN = "gunicorn 27.0 gunicorn/http/message.py (HeaderPolicy), gunicorn/config.py " \
                     "(forwarded_allow_ips, secure_scheme_headers)"


def reached_links(ctx) -> list[Link]:
    """The links whose proxy directive a form POST to the block's own origin reaches (the
    server model answers it by handing it to that directive), each with a path that does."""
    out = []
    for item in links(ctx):
        if item.server == "nginx":
            from confcheck.analyzers.nginx._common import config_model, sample_uri
            from confcheck.servers.nginx.decide import decide
            scope = item.backend(item.request()).scope
            while scope is not None and scope.kind not in ("location", "server"):
                scope = scope.parent
            path = sample_uri(item.block, scope) if scope is not None and scope.kind == "location" else "/"
            if path is None:
                continue
            item.path = path
            outcome = decide_contained(decide, config_model(ctx, item.target), item.request("POST"))
        else:
            from confcheck.analyzers.apache._common import config_model, probe
            if item.handler.key != "proxypass" or not item.handler.values[0].startswith("/"):
                continue
            item.path = item.handler.values[0]
            outcome = probe(config_model(ctx, item.target), item.block, item.path, method="POST",
                            headers={"Host": item.origin.split("://", 1)[1]})
            if outcome is None:
                continue
        if outcome.status is not None or outcome.decided_by is not item.handler:
            continue
        out.append(item)
    return out


def owned_apps(ctx) -> list:
    """The apps whose settings-only findings this view reports: each app once per scan,
    in the view of the first configuration that proxies to it (else the first one)."""
    apps = list(getattr(ctx, "apps", []) or [])
    if not apps:
        return []
    everyone = list(getattr(ctx, "all_targets", []) or [])
    mine = {id(t) for t in ctx.targets()}
    if not everyone:
        return apps
    out = []
    for app in apps:
        owner = None
        for target in everyone:
            if any(link.app is app for link in _links_of(ctx, target)):
                owner = target
                break
        owner = owner if owner is not None else everyone[0]
        if id(owner) in mine:
            out.append(app)
    return out


def _links_of(ctx, target) -> list[Link]:
    import copy
    one = copy.copy(ctx)
    one.nginx = [target] if target.server == "nginx" else []
    one.apache = [target] if target.server == "apache" else []
    one.memo = {}
    return links(one)


def setting_span(app, name: str) -> Span:
    """Where `name` is assigned (the statement), else the start of the settings file."""
    value = app.settings.module.get(name)
    if value is not None and (value.stmt or value.span) is not None:
        return value.stmt or value.span
    return Span(app.settings.module.source, 0, 0)


def answer_text(answer) -> str:
    d = answer.decision
    if d is None:
        return "the app's answer is not known"
    if d.status is None:
        return d.reason
    return f"Django answers {d.status}: {d.reason}"

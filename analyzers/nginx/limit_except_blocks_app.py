"""NGX110: `limit_except` refuses POST (forms) or OPTIONS (CORS preflight) on an application location."""

from __future__ import annotations

import re

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import limit_except_methods
from confcheck.registry import RuleDoc, rule
from confcheck.servers.nginx.conf import iter_locations

from ._common import PRIVATE_IPS, PUBLIC_IP, by_config, config_model, probe, sample_uri
from ._shapes import per_server

APP_HANDLERS = frozenset({"proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass"})
FORMS = re.compile(r"/api\b|graphql|/login|/signin|/auth|/wp-admin|admin-ajax\.php|wp-login\.php|\\?\.php|/contact"
                   r"|/submit|/checkout|/cart|/comment", re.IGNORECASE)
API = re.compile(r"/api\b|graphql|/v\d+\b|/rest\b|/rpc\b", re.IGNORECASE)

DOC = RuleDoc(
    what="Finds `limit_except` blocks that refuse POST to a location that serves forms or an "
         "application (proxy_pass / fastcgi_pass / uwsgi_pass, or a name like `/api/`, `/graphql`, "
         "`/login`, `/wp-admin`, `admin-ajax.php`), or refuse OPTIONS to an API location or to one "
         "that sends `add_header Access-Control-Allow-*` (a CORS preflight answered 403). The rule "
         "asks the request model what `POST` and `OPTIONS` get from any client.",
    why="`limit_except GET { deny all; }` means 'every method except GET (and HEAD) goes "
        "through these rules'. POST, and also OPTIONS, PUT and DELETE, get 403 `access "
        "forbidden by rule` (server-behavior rows 23-25). A login form or an API behind it "
        "cannot be used, and browsers' CORS preflight (OPTIONS) fails before the real request "
        "is even sent.",
    example="location /api/ {\n    limit_except GET {\n        deny all;\n    }\n"
            "    proxy_pass http://app;\n}",
    fixed="location /api/ {\n    limit_except GET POST OPTIONS {\n        deny all;\n    }\n"
          "    proxy_pass http://app;\n}",
    fix_safety="Allowing a method lets every client use it; the application must check "
               "authorization for writes itself (or keep an allow list inside limit_except).",
    references=("https://nginx.org/en/docs/http/ngx_http_core_module.html#limit_except",
                "https://developer.mozilla.org/en-US/docs/Glossary/Preflight_request"),
)


def _text(node) -> str:
    return " ".join([node.name] + [a.raw for a in node.args]) + ";"


def _refused_for_all(model, server, uri, method, allows) -> object | None:
    """The outcome when `method` is refused by config for every client tried, else None."""
    ips = [PUBLIC_IP, *PRIVATE_IPS, *allows]
    outcome = None
    for ip in ips:
        outcome = probe(model, server, uri, method=method, client_ip=ip)
        if not by_config(outcome, (403,)):
            return None
    return outcome


@rule(id="NGX110", name="limit-except-blocks-app", severity="warning", server="nginx", fixable=True,
      summary="limit_except refuses POST or OPTIONS on a location that serves forms or an API", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        model = config_model(ctx, target)
        # look-alike servers share verdicts (per_server: never in a scan that sees the disk)
        yield from per_server(ctx.request_model(target), model.http.servers,
                              lambda server: _server_findings(ctx, target, model, server))


def _server_findings(ctx, target, model, server):
    for loc in iter_locations(server):
        block = loc.limit_except
        if block is None:
            continue
        handler = loc.handler()
        app = handler is not None and handler.key in APP_HANDLERS
        name = loc.name or ""
        api = API.search(name) is not None or (handler is not None and handler.key in
                                                ("proxy_pass", "grpc_pass", "uwsgi_pass"))
        # a location announcing cross-origin access expects the browser's preflight
        cors = [n for n in loc.group("add_header")
                if n.args and n.args[0].value.lower().startswith("access-control-allow-")]
        api = api or bool(cors)
        if not (app or FORMS.search(name) or cors):
            continue
        uri = sample_uri(server, loc)
        if uri is None:
            continue
        allows = [n.args[0].value.split("/")[0] for n in block.group("access")
                  if n.key == "allow" and n.args and n.args[0].value != "all"]
        refused = []
        for method in ("POST", "OPTIONS") if api else ("POST",):
            if block.applies_to(method) and _refused_for_all(model, server, uri, method, allows):
                refused.append(method)
        if not refused:
            continue
        what = " and ".join(refused)
        why = []
        if "POST" in refused:
            why.append("forms and API writes cannot be sent")
        if "OPTIONS" in refused:
            why.append("browsers' CORS preflight fails" + (
                f" although `{_text(cors[0])}` at {cors[0].file}:{cors[0].line} announces cross-origin "
                "access" if cors else ""))
        yield Finding(
            rule="NGX110", name="limit-except-blocks-app", severity="warning",
            message=(f"`{block.describe()}` in {loc.describe()} answers {what} {uri} with 403 "
                     f"for every client: {' and '.join(why)}; add "
                     f"{' '.join(refused)} to the methods limit_except lets through"),
            span=block.node.span, server="nginx",
            fix=limit_except_methods(ctx, target, loc, block, refused))


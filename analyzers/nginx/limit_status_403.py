"""NGX114: limit_req_status / limit_conn_status 403 makes a rate limit look like a permission denial."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule
from confcheck.servers.nginx.limits import MODULES, in_force
from confcheck.servers.outcome import under_load_403

from ._common import server_scopes
from ._shapes import per_server

DOC = RuleDoc(
    what="Finds `limit_req_status 403` and `limit_conn_status 403` that apply to a `limit_req` or "
         "`limit_conn` in force, and names each limit with its zone, rate and burst.",
    why="A single request is never limited, but under load (more requests per key than the zone's "
        "rate allows, beyond the burst; or more connections than `limit_conn` allows) nginx "
        "refuses the excess with the configured status. With 403 the client, the access log and "
        "monitoring cannot tell it from an access rule or a file permission problem; only the "
        "error log says `limiting requests, excess: ... by zone \"NAME\"`. The default, 503, "
        "and 429 (Too Many Requests) say what happened. `confcheck explain` maps those log "
        "lines to the limit.",
    example="limit_req_zone $binary_remote_addr zone=one:10m rate=1r/s;\nlimit_req_status 403;\n"
            "server {\n    location /api/ {\n        limit_req zone=one burst=5;\n    }\n}",
    fixed="limit_req_zone $binary_remote_addr zone=one:10m rate=1r/s;\nlimit_req_status 429;\n"
          "server {\n    location /api/ {\n        limit_req zone=one burst=5;\n    }\n}",
    fix_safety="Clients and monitoring that treat 403 specially (retry logic, alerts) see 429 instead; "
               "the limit itself does not change.",
    references=("https://nginx.org/en/docs/http/ngx_http_limit_req_module.html#limit_req_status",
                "https://nginx.org/en/docs/http/ngx_http_limit_conn_module.html#limit_conn_status"),
)


@rule(id="NGX114", name="limit-status-403", severity="info", server="nginx",
      summary="a rate or connection limit answers 403, which looks like a permission denial", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        model = ctx.request_model(target)
        http = model.http
        by_status: dict[int, list] = {}     # status line -> the limits it answers for
        # (a look-alike of a server none of whose limits answers 403 has none either)
        applied = [*_answering(http.scope, http), *per_server(model, http.servers, lambda server: (
            limit for scope in server_scopes(server) for limit in _answering(scope, http)))]
        for limit in applied:
            held = by_status.setdefault(id(limit.status_node), [limit.status_node])
            if all(seen.directive is not limit.directive for seen in held[1:]):
                held.append(limit)
        for status_node, *limits in by_status.values():
            named = "; ".join(limit.describe() for limit in limits)
            yield Finding(
                rule="NGX114", name="limit-status-403", severity="info",
                message=under_load_403(f"`{status_node.name} 403` makes the limits it applies to", named,
                                       "429 (or the default 503)"),
                span=status_node.span, server="nginx")


def _answering(scope, http):
    """The limits written at `scope` that answer 403."""
    if scope.kind == "limit_except":
        return
    for limit in in_force(scope, http):
        if limit.status == 403 and limit.status_node is not None and not limit.dry_run \
                and limit.directive.key in MODULES and limit.directive in scope.own(limit.directive.key):
            yield limit

"""NGX102: `allow` lines after a `deny` that already covers them never match."""

from __future__ import annotations

import ipaddress

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import allow_before_deny
from confcheck.registry import RuleDoc, rule
from confcheck.servers.nginx.decide import _ip_match

from ._common import PUBLIC_IP, by_config, config_model, own_access, probe, sample_uri, server_scopes
from ._shapes import per_server

DOC = RuleDoc(
    what="Finds `allow` rules written after a `deny` that already matches every address they "
         "name (`deny all; allow 10.0.0.0/8;`), in one allow/deny list.",
    why="nginx checks allow/deny rules in order and the first one that matches the client "
        "decides. After `deny all` nothing else is ever looked at, so the `allow` below it is "
        "dead and the addresses it was meant to let in get 403 `access forbidden by rule` "
        "(server-behavior row 22). Apache's `Order deny,allow` reads the same lines the other "
        "way round, which is where this order usually comes from.",
    example="location /admin/ {\n    deny all;\n    allow 10.0.0.0/8;\n}",
    fixed="location /admin/ {\n    allow 10.0.0.0/8;\n    deny all;\n}",
    fix_safety="Moving the `allow` lines above the `deny` lets those addresses in, which is what "
               "the lines say; check that the addresses are the ones you mean to trust.",
    references=("https://nginx.org/en/docs/http/ngx_http_access_module.html",),
)


def _covers(deny_spec: str, allow_spec: str) -> bool:
    """Every address `allow_spec` names is matched by `deny_spec` (asked of the model's matcher)."""
    if deny_spec == "all":
        return True
    if allow_spec == "all" or allow_spec.startswith("unix:"):
        return False
    try:
        net = ipaddress.ip_network(allow_spec, strict=False)
    except ValueError:
        return False
    return _ip_match(deny_spec, str(net.network_address)) and _ip_match(deny_spec, str(net.broadcast_address))


def _answer(ctx, target, scope, deny, allow) -> str | None:
    """What decide() answers a client the dead `allow` names, for a URI in `scope`, when `deny` decides it."""
    from confcheck.servers.nginx.conf import Location
    spec = allow.args[0].value
    try:
        ip = PUBLIC_IP if spec == "all" else str(ipaddress.ip_network(spec, strict=False).network_address)
    except ValueError:
        return None
    model = config_model(ctx, target)
    loc = None if scope.kind in ("http", "server") else scope if isinstance(scope, Location) else scope.location()
    servers = model.http.servers if scope.kind == "http" else [scope.server()]
    for server in servers:
        uri = sample_uri(server, loc) if loc is not None else "/"
        if uri is None:
            continue
        method = {"method": "POST"} if scope.kind == "limit_except" else {}
        outcome = probe(model, server, uri, client_ip=ip, **method)
        if by_config(outcome, (403, 404, 444)) and outcome.decided_by is deny:
            return f"{outcome.request.method} {uri} from {ip} is answered {outcome.status}"
    return None


@rule(id="NGX102", name="allow-after-deny-all", severity="error", server="nginx", fixable=True,
      summary="an allow rule after `deny all` can never match (first match wins)", doc=DOC)
def check(ctx):
    seen: set[int] = set()
    for target in ctx.nginx:
        model = ctx.request_model(target)
        yield from _scope_findings(ctx, target, model.http.scope, seen)
        yield from per_server(model, model.http.servers, lambda server: (
            found for scope in server_scopes(server) for found in _scope_findings(ctx, target, scope, seen)))


def _scope_findings(ctx, target, scope, seen: set[int]):
    rules = own_access(scope)
    if not rules or id(rules[0]) in seen:
        return
    seen.add(id(rules[0]))
    for i, deny in enumerate(rules):
        if deny.key != "deny" or not deny.args:
            continue
        dead = [n for n in rules[i + 1:] if n.key == "allow" and n.args
                and _covers(deny.args[0].value, n.args[0].value)]
        if not dead:
            continue
        lines = ", ".join(f"`allow {n.args[0].raw}` (line {n.line})" for n in dead)
        said = _answer(ctx, target, scope, deny, dead[0])
        yield Finding(
            rule="NGX102", name="allow-after-deny-all", severity="error",
            message=(f"`deny {deny.args[0].raw}` in {scope.describe()} matches first, so {lines} "
                     "never match: those clients are refused (nginx stops at the first matching "
                     "rule)" + (f"; {said}" if said else "") + "; put the allow lines before the deny"),
            span=deny.span, server="nginx",
            fix=allow_before_deny(ctx, target, rules, deny, dead))
        break

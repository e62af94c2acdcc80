"""NGX103: allow/deny lists are inherited all-or-nothing (replaced, not extended)."""

from __future__ import annotations

import re

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import public_allow_all, repeat_outer_rules
from confcheck.registry import RuleDoc, rule
from confcheck.servers.nginx.conf import Location, iter_locations

from ._common import PRIVATE_IPS, PUBLIC_IP, config_model, own_access, probe, sample_uri
from ._shapes import per_server

DOC = RuleDoc(
    what="Finds two mistakes that come from nginx inheriting allow/deny lists whole:\n"
         "1. a location with its own allow/deny list inside a level that restricts clients "
         "(`allow 10.0.0.0/8; deny all;` at server level): the location's list *replaces* the "
         "outer one, so clients the outer list refused and the inner list does not mention are "
         "let in;\n"
         "2. a location written to be public (the ACME challenge, robots.txt, a health check) "
         "that has no list of its own and so inherits the outer `deny all`.\n"
         "A server-wide restriction inherited by every location (an intranet vhost) is not reported.",
    why="allow/deny is an array setting: a level that has any allow or deny takes none from its "
        "parents (server-behavior N20/N21). `location /api/ { deny 192.0.2.1; }` inside an "
        "intranet-only server therefore serves /api/ to the whole Internet, and a location with "
        "no rules of its own answers 403 to anyone the server-level list refuses.",
    example="server {\n    allow 10.0.0.0/8;\n    deny all;\n    location /api/ {\n"
            "        deny 10.9.9.9;          # meant: also keep this host out\n"
            "        proxy_pass http://app;\n    }\n}",
    fixed="server {\n    allow 10.0.0.0/8;\n    deny all;\n    location /api/ {\n"
          "        deny 10.9.9.9;\n        allow 10.0.0.0/8;   # repeat the outer list\n"
          "        deny all;\n        proxy_pass http://app;\n    }\n}",
    fix_safety="Repeating the outer list inside the location narrows who may reach it; clients "
               "that the inner list alone let in will get 403 afterwards. For a public location "
               "inside a restricted server, `allow all;` in that location opens only it.",
    references=("https://nginx.org/en/docs/http/ngx_http_access_module.html",
                "https://nginx.org/en/docs/http/ngx_http_core_module.html#location"),
)

# Locations that exist to be reached by anyone.
PUBLIC = re.compile(r"^/\.well-known/acme-challenge|^/robots\.txt$|^/favicon\.ico$|^/health|^/ping$"
                    r"|^/\.well-known/?$")


def _first_match(rules, ip):
    from confcheck.servers.nginx.decide import _ip_match
    for node in rules:
        if node.args and _ip_match(node.args[0].value, ip):
            return node
    return None


def _probe_ips(*lists) -> list[str]:
    import ipaddress
    ips = [PUBLIC_IP, *PRIVATE_IPS]
    for rules in lists:
        for node in rules:
            if node.args:
                try:
                    net = ipaddress.ip_network(node.args[0].value, strict=False)
                except ValueError:
                    continue
                ips.append(str(net.network_address))
                ips.append(str(net.broadcast_address))
    return list(dict.fromkeys(ips))


def _outer_rules(loc):
    parent = loc.parent
    return parent.group("access") if parent is not None else []


@rule(id="NGX103", name="access-rules-replaced", severity="warning", server="nginx", fixable=True,
      summary="a location's own allow/deny replaces the outer list (or a public location inherits `deny all`)",
      doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        model = config_model(ctx, target)
        # look-alike servers share verdicts (per_server: never in a scan that sees the disk)
        yield from per_server(ctx.request_model(target), model.http.servers,
                              lambda server: _server_findings(ctx, target, model, server))


def _server_findings(ctx, target, model, server):
    for loc in iter_locations(server):
        if loc.modifier == "@":
            continue
        outer = _outer_rules(loc)
        if not outer or not any(n.key == "deny" for n in outer):
            continue
        inner = own_access(loc)
        if inner:
            yield from _replaced(ctx, target, model, server, loc, inner, outer)
        elif loc.modifier in ("", "^~", "=") and PUBLIC.search(loc.name or ""):
            yield from _public_inherits(ctx, target, model, server, loc, outer)


def _replaced(ctx, target, model, server, loc: Location, inner, outer):
    opened = []
    for ip in _probe_ips(inner, outer):
        before = _first_match(outer, ip)
        after = _first_match(inner, ip)
        # Refused by the outer list, and let in only because the inner list does
        # not mention it (an explicit `allow` there is a deliberate opening).
        if before is not None and before.key == "deny" and after is None:
            opened.append(ip)
    if not opened:
        return
    uri = sample_uri(server, loc)
    if uri is not None:
        outcome = probe(model, server, uri, client_ip=opened[0])
        if outcome is not None and outcome.status == 403:
            return          # something else still refuses them
    deny = next(n for n in outer if n.key == "deny")
    clients = "any address" if PUBLIC_IP in opened else ", ".join(opened[:3])
    yield Finding(
        rule="NGX103", name="access-rules-replaced", severity="warning",
        message=(f"{loc.describe()} has its own allow/deny list, which replaces the outer one "
                 f"(`deny {deny.args[0].raw}` at line {deny.line} no longer applies here): "
                 f"{clients} the outer list refuses is let in; repeat the outer rules in the "
                 "location if they should still hold"),
        span=inner[0].span, server="nginx",
        fix=repeat_outer_rules(ctx, target, loc, inner, outer, opened))


def _public_inherits(ctx, target, model, server, loc: Location, outer):
    uri = sample_uri(server, loc)
    if uri is None:
        return
    outcome = probe(model, server, uri, client_ip=PUBLIC_IP)
    if outcome is None or outcome.status != 403 or outcome.decided_by is None \
            or not any(outcome.decided_by is n for n in outer):
        return
    yield Finding(
        rule="NGX103", name="access-rules-replaced", severity="warning",
        message=(f"{loc.describe()} looks meant for everyone but has no allow/deny of its own, so it "
                 f"inherits `{outcome.decided_by.name} {outcome.decided_by.args[0].raw}` "
                 f"(line {outcome.decided_by.line}) and GET {uri} is answered 403; add `allow all;` "
                 "inside the location"),
        span=loc.node.span, server="nginx", fix=public_allow_all(ctx, target, loc))

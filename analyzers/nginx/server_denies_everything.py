"""NGX112: every URL of a server is answered 403 by a directive."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import server_denies_advice
from confcheck.registry import RuleDoc, rule
from confcheck.servers.nginx.conf import iter_locations

from ._common import PRIVATE_IPS, PUBLIC_IP, by_config, config_model, probe, sample_uri
from ._shapes import per_server

DOC = RuleDoc(
    what="Finds server blocks where `GET /`, `GET /index.html` and `GET /a/b` - and a URL in "
         "each of the server's locations - are all answered 403 by the configuration (a `deny "
         "all` or `return 403` that every request reaches), for every client address tried "
         "(public, loopback and private ranges, and each address the allow lists name). "
         "A catch-all server (`server_name _;`, no name, or a `default_server` that only "
         "rejects) is meant to do this and is not reported.",
    why="A `deny all` or `return 403` at server level, in `location /`, or in the rewrite phase "
        "before any location, decides every request before the content phase. The site looks "
        "'up' (nginx answers) but serves nothing: `access forbidden by rule` in the error log "
        "for deny, no log line at all for `return 403` (server-behavior rows 19, 30).",
    example="server {\n    server_name shop.example.com;\n    root /var/www/shop;\n"
            "    deny all;          # left over from maintenance\n}",
    fixed="server {\n    server_name shop.example.com;\n    root /var/www/shop;\n}",
    fix_safety="Removing the rule opens the whole site to everyone; if the server was meant to "
               "be private, replace it with the allow list of the addresses that may use it.",
    references=("https://nginx.org/en/docs/http/ngx_http_access_module.html",
                "https://nginx.org/en/docs/http/ngx_http_rewrite_module.html#return"),
)


def _catch_all(server) -> bool:
    """No real name: the server answers hosts nobody configured."""
    names = [n for n, _ in server.names if n]
    return not names or all(n == "_" for n in names)


@rule(id="NGX112", name="server-denies-everything", severity="error", server="nginx",
      summary="every URL of a server is answered 403 by the configuration, for every client", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        model = config_model(ctx, target)
        yield from per_server(model, model.http.servers, lambda server: _server_findings(model, server))


def _server_findings(model, server):
    if _catch_all(server):
        return
    # Cheap first question: a server whose home page is not refused by
    # its config is not refusing everything (most servers stop here).
    if not by_config(probe(model, server, "/"), (403,)):
        return
    paths = ["/", "/index.html", "/a/b"]
    for loc in iter_locations(server):
        uri = sample_uri(server, loc)
        if uri is not None:
            paths.append(uri)
    allows = [n.args[0].value.split("/")[0] for loc in [server, *iter_locations(server)]
              for n in loc.own("allow") if n.args and n.args[0].value != "all"]
    first = None
    refused = True
    for ip in dict.fromkeys([PUBLIC_IP, *PRIVATE_IPS, *allows]):
        for path in dict.fromkeys(paths):
            outcome = probe(model, server, path, client_ip=ip)
            if outcome is None:
                refused = False
                break
            if not by_config(outcome, (403,)):
                refused = False
                break
            first = first or outcome
        if not refused:
            break
    if not refused or first is None:
        return
    node = first.decided_by
    if node.parent is not None and node.parent.key == "if":
        return        # conditional (Referer, User-Agent...): not every request
    if node.key == "return" and any(l.default for l in server.listens):
        return        # a default_server that rejects unknown hosts, on purpose
    yield Finding(
        rule="NGX112", name="server-denies-everything", severity="error",
        message=(f"{server.describe()} answers 403 to every URL tried ({', '.join(dict.fromkeys(paths))}) "
                 f"from every client address: `{node.name} {' '.join(a.raw for a in node.args)}` "
                 "decides each request before anything is served"),
        span=node.span, server="nginx", fix=server_denies_advice(server, node))

"""NGX101: a dot-file rule that also refuses Let's Encrypt's /.well-known/acme-challenge/."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import acme_exception
from confcheck.registry import RuleDoc, rule

from ._common import by_config, config_model, probe
from ._shapes import per_server

ACME = "/.well-known/acme-challenge/confcheck-token"

DOC = RuleDoc(
    what="Finds servers where a rule meant for hidden files (`location ~ /\\. { deny all; }`, "
         "`return 404` for dot paths...) also answers the ACME HTTP-01 challenge "
         "`/.well-known/acme-challenge/<token>`. The rule asks the request model what "
         "`GET http://<server_name>/.well-known/acme-challenge/<token>` gets, from the config alone.",
    why="`/.well-known/` starts with a dot, so a regex like `/\\.` matches it; a regex location "
        "beats every plain prefix location, so even a `location /.well-known/acme-challenge/ {}` "
        "written without `^~` loses to it. nginx answers 403 (`access forbidden by rule`), the "
        "certificate authority cannot read the token, and certificate issuance or renewal fails "
        "(server-behavior row 27). Apache's `<FilesMatch \"^\\.\">` does not have this problem, so "
        "configs ported from Apache often do.",
    example="location ~ /\\. {\n    deny all;\n}",
    fixed="location ^~ /.well-known/acme-challenge/ {\n    default_type text/plain;\n}\n"
          "location ~ /\\.(?!well-known) {\n    deny all;\n}",
    fix_safety="Opening `/.well-known/acme-challenge/` serves whatever files are in that "
               "directory of the root; only challenge tokens should live there. Keep the `^~` so "
               "no regex location (PHP handler, dot-file deny) takes these URIs back.",
    references=("https://nginx.org/en/docs/http/ngx_http_core_module.html#location",
                "https://nginx.org/en/docs/http/ngx_http_access_module.html",
                "https://letsencrypt.org/docs/challenge-types/#http-01-challenge"),
)


def _plain_http(server) -> bool:
    """HTTP-01 challenges arrive over plain HTTP: a server with a non-ssl listen sees them."""
    for listen in server.listens:
        node = listen.node
        if node is None or not any(a.value in ("ssl", "quic") for a in node.args[1:]):
            return True
    return False


@rule(id="NGX101", name="acme-challenge-denied", severity="error", server="nginx", fixable=True,
      summary="a dot-file deny also refuses /.well-known/acme-challenge/ (certificate renewal fails)", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        model = config_model(ctx, target)
        yield from per_server(model, model.http.servers,
                              lambda server: _server_findings(ctx, target, model, server))


def _server_findings(ctx, target, model, server):
    if not _plain_http(server):
        return
    acme = probe(model, server, ACME)
    if not by_config(acme, (403, 404, 444)):
        return
    # A server that refuses everything is NGX112's (or meant to); here only
    # a rule that refuses the challenge while the site itself is served.
    home = probe(model, server, "/")
    if home is not None and home.decided_by is acme.decided_by:
        return
    loc = acme.decided_by
    holder = loc.parent
    while holder is not None and holder.key != "location":
        holder = holder.parent
    if holder is not None and holder.values[:1] not in (["~"], ["~*"]) \
            and any(v.startswith("/.well-known") for v in holder.values):
        return        # a location written for /.well-known itself: deliberate
    where = f" ({' '.join(holder.values)})" if holder is not None else ""
    yield Finding(
        rule="NGX101", name="acme-challenge-denied", severity="error",
        message=(f"GET {ACME} is answered {acme.status} by `{acme.decided_by.name} "
                 f"{' '.join(a.raw for a in acme.decided_by.args)}`{where}: Let's Encrypt's "
                 "HTTP-01 challenge is refused, so certificates cannot be issued or renewed; "
                 "add `location ^~ /.well-known/acme-challenge/ {}` or exclude it from the "
                 "dot-file pattern with `(?!well-known)`"),
        span=acme.decided_by.span, server="nginx",
        fix=acme_exception(ctx, target, server, holder) if holder is not None else None)

"""NGX107: `location /img/ { alias /x/images; }` - the alias lacks the location's trailing slash."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import alias_slash
from confcheck.registry import RuleDoc, rule
from confcheck.servers.nginx.conf import iter_locations

from ._common import config_model, file_for, probe
from ._shapes import per_server

DOC = RuleDoc(
    what="Finds prefix locations ending in `/` whose `alias` does not end in `/`.",
    why="`alias` replaces exactly the location's prefix with the alias text. With "
        "`location /img/ { alias /srv/images; }`, `GET /img/a.png` opens `/srv/imagesa.png`: "
        "the slash that separated the directory from the file name went away with the prefix. "
        "Every file under the location is a 404 (`open() \"/srv/imagesa.png\" failed (2: No "
        "such file or directory)`, server-behavior N13), while `GET /img/` may still work.",
    example="location /img/ {\n    alias /srv/images;\n}",
    fixed="location /img/ {\n    alias /srv/images/;\n}",
    fix_safety="Safe: the edit only restores the separator; no other URI changes meaning.",
    references=("https://nginx.org/en/docs/http/ngx_http_core_module.html#alias",),
)


@rule(id="NGX107", name="alias-missing-slash", severity="error", server="nginx", fixable=True,
      summary="a location ending in / has an alias without the trailing slash: every file is a 404", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        model = config_model(ctx, target)
        # look-alike servers share verdicts (per_server: never in a scan that sees the disk)
        yield from per_server(ctx.request_model(target), model.http.servers,
                              lambda server: _server_findings(ctx, target, model, server))


def _server_findings(ctx, target, model, server):
    for loc in iter_locations(server):
        if loc.modifier not in ("", "^~") or not loc.name or not loc.name.endswith("/"):
            continue
        nodes = loc.own("alias")
        if not nodes or not nodes[-1].args:
            continue
        alias = nodes[-1].args[0].value
        if alias.endswith("/") or "$" in alias:
            continue
        uri = loc.name + "a.png"
        path = file_for(model, server, loc, uri)
        if path is None or not path.endswith(alias.rsplit("/", 1)[-1] + "a.png"):
            continue
        # the status is decide()'s on the disk (config-only scans name none)
        disk = ctx.request_model(target)
        outcome = probe(disk, server, uri) if disk.fs is not None else None
        opens = (f"GET {uri} is answered {outcome.status}: it opens {path}"
                 if outcome is not None and outcome.status else f"GET {uri} opens {path}")
        yield Finding(
            rule="NGX107", name="alias-missing-slash", severity="error",
            message=(f"{opens}: the alias lacks the trailing slash of "
                     f"{loc.describe()}, so every file under it is looked for beside the directory "
                     f"instead of in it; write `alias {alias}/;`"),
            span=nodes[-1].span, server="nginx", fix=alias_slash(ctx, target, nodes[-1]))


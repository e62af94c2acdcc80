"""NGX108: `location /assets { alias /x/static/; }` - `/assets../` walks out of the alias."""

from __future__ import annotations

import posixpath

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import location_slash
from confcheck.registry import RuleDoc, rule
from confcheck.servers.nginx.conf import iter_locations
from confcheck.servers.nginx.locations import find_location

from ._common import config_model, file_for
from ._shapes import per_server

DOC = RuleDoc(
    what="Finds prefix locations without a trailing `/` whose `alias` ends in `/`, and checks "
         "with the model that `GET <prefix>../<file>` reaches the location and maps outside "
         "the alias directory.",
    why="nginx normalises `..` only as a whole path segment, so `/assets../secret.txt` stays "
        "as it is, matches the prefix `/assets`, and the rest (`../secret.txt`) is appended to "
        "the alias: `/srv/static/../secret.txt`, i.e. `/srv/secret.txt`. Real nginx serves it "
        "(server-behavior N14): everything in the alias's parent directory leaks. "
        "This is the classic 'alias off-by-slash'.",
    example="location /assets {\n    alias /srv/app/static/;\n}",
    fixed="location /assets/ {\n    alias /srv/app/static/;\n}",
    fix_safety="After the fix `GET /assets` (no slash) is no longer answered by this location; "
               "nginx's own redirect or another location answers it.",
    references=("https://nginx.org/en/docs/http/ngx_http_core_module.html#alias",
                "https://github.com/yandex/gixy/blob/master/docs/en/plugins/aliastraversal.md"),
)


@rule(id="NGX108", name="alias-traversal", severity="warning", server="nginx", fixable=True,
      summary="a location without trailing / aliases a directory with one: /prefix../ escapes it", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        model = config_model(ctx, target)
        # look-alike servers share verdicts (per_server: never in a scan that sees the disk)
        yield from per_server(ctx.request_model(target), model.http.servers,
                              lambda server: _server_findings(ctx, target, model, server))


def _server_findings(ctx, target, model, server):
    for loc in iter_locations(server):
        if loc.modifier not in ("", "^~") or not loc.name or loc.name.endswith("/"):
            continue
        nodes = loc.own("alias")
        if not nodes or not nodes[-1].args:
            continue
        alias = nodes[-1].args[0].value
        if not alias.endswith("/") or "$" in alias:
            continue
        for name in ("confcheck.txt", ""):
            uri = loc.name + "../" + name
            if find_location(server, uri).location is not loc:
                continue
            path = file_for(model, server, loc, uri)
            if path is None:
                continue
            real = posixpath.normpath(path)
            if real == alias.rstrip("/") or real.startswith(alias):
                continue
            yield Finding(
                rule="NGX108", name="alias-traversal", severity="warning",
                message=(f"GET {uri} is answered from {real}: {loc.describe()} has no trailing "
                         f"slash but its alias {alias} has one, so `..` after the prefix walks "
                         f"out of the alias into {posixpath.dirname(alias.rstrip('/'))}/; "
                         f"write `location {loc.name}/`"),
                span=nodes[-1].span, server="nginx", fix=location_slash(ctx, target, loc))
            break


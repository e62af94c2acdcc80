"""NGX109: `location /static/ { root /var/www/static; }` looks in /var/www/static/static/."""

from __future__ import annotations

import posixpath

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import root_parent
from confcheck.registry import RuleDoc, rule
from confcheck.servers.nginx.conf import iter_locations

from ._common import config_model, file_for
from ._shapes import per_server

DOC = RuleDoc(
    what="Finds prefix locations whose own `root` already ends with the location's prefix, so "
         "that the file nginx opens has the prefix twice (`/var/www/static/static/app.css`). "
         "With the disk, it stays quiet when that doubled directory really exists; in a "
         "config-only scan it is reported as a likely mistake.",
    why="`root` is the directory the *whole URI* is appended to, location prefix included: "
        "`location /static/ { root /var/www/static; }` maps `/static/app.css` to "
        "`/var/www/static/static/app.css`. Unless that directory exists, every file under the "
        "location is a 404 (server-behavior N15). `alias` is the directive that replaces the prefix.",
    example="location /static/ {\n    root /var/www/static;\n}",
    fixed="location /static/ {\n    root /var/www;\n}\n# or: alias /var/www/static/;",
    fix_safety="Safe when the files are in `/var/www/static/`: the new root names the same "
               "files the location was written for.",
    references=("https://nginx.org/en/docs/http/ngx_http_core_module.html#root",
                "https://nginx.org/en/docs/http/ngx_http_core_module.html#alias"),
)


@rule(id="NGX109", name="root-repeats-prefix", severity="warning", server="nginx", fixable=True,
      summary="a location's root ends with the location prefix: files are looked up with it twice", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        full = ctx.request_model(target)
        model = config_model(ctx, target)
        # look-alike servers share verdicts (per_server: never in a scan that sees the disk)
        yield from per_server(full, model.http.servers,
                              lambda server: _server_findings(ctx, target, model, full, server))


def _server_findings(ctx, target, model, full, server):
    for loc in iter_locations(server):
        if loc.modifier not in ("", "^~") or not loc.name or not loc.name.strip("/"):
            continue
        nodes = loc.own("root")
        if not nodes or not nodes[-1].args or "$" in nodes[-1].args[0].value:
            continue
        root = nodes[-1].args[0].value.rstrip("/")
        prefix = "/" + loc.name.strip("/")
        if not root.endswith(prefix):
            continue
        uri = prefix + "/app.css"
        path = file_for(model, server, loc, uri)
        path = posixpath.normpath(path) if path is not None else None
        if path is None or not path.endswith(prefix + prefix + "/app.css"):
            continue
        doubled = posixpath.dirname(path)
        files_there = None
        if full.fs is not None:
            try:
                meta = full.fs.lstat(doubled)
            except Exception:  # noqa: BLE001 - cannot look: treat as absent
                meta = None
            if meta is not None:
                continue
            try:
                files_there = full.fs.lstat(root) is not None
            except Exception:  # noqa: BLE001 - cannot look: unknown
                files_there = None
        yield Finding(
            rule="NGX109", name="root-repeats-prefix", severity="warning",
            message=(f"GET {uri} opens {path}: `root` is prepended to the whole URI, prefix "
                     f"included, so {loc.describe()} looks in {doubled}/"
                     + (" (which does not exist)" if full.fs is not None else "")
                     + f"; write `root {root[: -len(prefix)] or '/'};` or `alias {root}/;`"),
            span=nodes[-1].span, server="nginx",
            fs_path=doubled if full.fs is not None else None,
            fix=root_parent(ctx, target, nodes[-1], root[: -len(prefix)] or "/", files_there))


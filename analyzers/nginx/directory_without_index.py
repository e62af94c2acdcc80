"""NGX105: the site root (or a location with its own `index`) has no index file: 403."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import index_entry
from confcheck.registry import RuleDoc, rule

from ._index_probe import dir_try_files, no_index_outcomes

DOC = RuleDoc(
    what="Finds directory URLs a site is meant to answer (each server's `/`, and the prefix "
         "of a location that sets its own `index`) for which none of the `index` files exists "
         "on disk while `autoindex` is off. The rule asks the request model, with the disk, "
         "what `GET <prefix>` gets. Needs the disk: config-only scans skip it.",
    why="For a URI ending in `/` the index module tries each `index` name in order (default "
        "`index.html`); when none exists and `autoindex` is off, nginx answers 403 and logs "
        "`directory index of \"...\" is forbidden` (server-behavior row 16, N9). A typical "
        "cause is a PHP site whose only index is `index.php` while the config says "
        "`index index.html;`, or a deploy that has not built `index.html` yet.",
    example="root /var/www/shop;          # holds index.php only\nindex index.html index.htm;",
    fixed="root /var/www/shop;\nindex index.php index.html;",
    fix_safety="Adding a name to `index` changes which file `/` serves when several exist "
               "(the first that exists wins). `autoindex on` would publish a file listing "
               "instead: only do that for download areas.",
    references=("https://nginx.org/en/docs/http/ngx_http_index_module.html",
                "https://nginx.org/en/docs/http/ngx_http_autoindex_module.html"),
)


@rule(id="NGX105", name="directory-without-index", severity="error", server="nginx", needs_fs=True,
      fixable=True,
      summary="a directory the site is meant to answer has no index file and autoindex is off (403)", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        for server, scope, url, outcome in no_index_outcomes(ctx, target):
            if dir_try_files(scope) is not None:
                continue        # NGX106 explains that one
            names = [v for n in scope.group("index") for v in n.values] or ["index.html"]
            yield Finding(
                rule="NGX105", name="directory-without-index", severity="error",
                message=(f"GET {url} is answered 403: none of the index files ({', '.join(names)}) "
                         f"exists in {outcome.fs_path} and autoindex is off; add the file or name the "
                         "one that exists in `index`"),
                span=outcome.decided_by.span if outcome.decided_by is not None else None,
                server="nginx", fs_path=outcome.fs_path,
                fix=index_entry(ctx, target, server, scope, url, outcome.fs_path))

"""NGX106: `try_files ... $uri/ <fallback>` answers 403 for a directory without an index."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import try_files_directory
from confcheck.registry import RuleDoc, rule

from ._index_probe import dir_try_files, no_index_outcomes

DOC = RuleDoc(
    what="Finds `try_files` lists with a `$uri/` test and a fallback (`/index.php?$args`, "
         "`@app`) where a directory the site is meant to answer (each server's `/`, a location "
         "with its own `index`) exists but has no index file. The rule asks the request model, "
         "with the disk, what `GET <prefix>` gets. Needs the disk.",
    why="`$uri/` only tests that the directory exists. Once it does, try_files stops and the "
        "request goes to the index module; when no index file is there and autoindex is off "
        "the answer is 403 `directory index of \"...\" is forbidden` - the fallback (the front "
        "controller) never runs for that URL (server-behavior N9). WordPress or Laravel with "
        "`index index.html;` answers 403 on its home page this way.",
    example="index index.html;\nlocation / {\n    try_files $uri $uri/ /index.php?$args;\n}",
    fixed="index index.php index.html;\nlocation / {\n    try_files $uri $uri/ /index.php?$args;\n}",
    fix_safety="Adding the front controller to `index` (or dropping `$uri/` from try_files) sends "
               "directory URLs to the application; check that it answers them.",
    references=("https://nginx.org/en/docs/http/ngx_http_core_module.html#try_files",
                "https://nginx.org/en/docs/http/ngx_http_index_module.html"),
)


@rule(id="NGX106", name="try-files-directory-403", severity="error", server="nginx", needs_fs=True,
      fixable=True,
      summary="try_files $uri/ stops at a directory without index: 403 instead of the fallback", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        for server, scope, url, outcome in no_index_outcomes(ctx, target):
            node = dir_try_files(scope)
            if node is None:
                continue
            names = [v for n in scope.group("index") for v in n.values] or ["index.html"]
            yield Finding(
                rule="NGX106", name="try-files-directory-403", severity="error",
                message=(f"GET {url} is answered 403: `$uri/` finds the directory {outcome.fs_path}, "
                         f"which has none of the index files ({', '.join(names)}), so the fallback "
                         f"{node.values[-1]} never runs; add it to `index` or drop `$uri/`"),
                span=node.span, server="nginx", fs_path=outcome.fs_path,
                fix=try_files_directory(ctx, target, server, scope, url, outcome.fs_path, node))

"""NGX113: a rewrite / try_files / error_page chain that never ends (500)."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import rewrite_loop_advice
from confcheck.registry import RuleDoc, rule
from confcheck.servers.nginx.conf import compile_regex, BadRegex, iter_locations

from ._common import probe, regex_samples
from ._shapes import per_server

DOC = RuleDoc(
    what="Finds URIs for which the rewrite rules, `try_files` fallbacks or `error_page` targets "
         "send the request from location to location more than 10 times. URIs are suggested by "
         "the rewrite patterns, the rewrite targets and the location prefixes, and each is put "
         "to the request model (with the disk when the scan has it: try_files loops depend on "
         "which files exist).",
    why="Every internal redirect (`rewrite ... last`, a try_files fallback URI, an index file, "
        "an error_page URI) starts the location search again. nginx allows 10 such URI changes "
        "per request; the 11th ends it with 500 and `rewrite or internal redirection cycle "
        "while processing \"...\"` in the error log. Typical causes: `rewrite ^/(.*)$ /app/$1 "
        "last;` that also matches its own result, or a `try_files` fallback that no file "
        "satisfies and that lands in the same location again.",
    example="location / {\n    rewrite ^/(.*)$ /index.php/$1 last;\n}",
    fixed="location / {\n    rewrite ^/(?!index\\.php)(.*)$ /index.php/$1 last;\n}",
    fix_safety="Narrowing the pattern changes which URIs are rewritten; `break` instead of "
               "`last` keeps the request in the current location, which then must serve it.",
    references=("https://nginx.org/en/docs/http/ngx_http_rewrite_module.html#rewrite",
                "https://nginx.org/en/docs/http/ngx_http_core_module.html#try_files",
                "https://nginx.org/en/docs/http/ngx_http_core_module.html#internal"),
)


def _candidate_uris(http, server) -> list[str]:
    uris = ["/", "/index.html", "/a/b", "/missing.html", "/x.php"]
    scopes = [server, *iter_locations(server)]
    for scope in scopes:
        loc_name = getattr(scope, "name", None)
        modifier = getattr(scope, "modifier", None)
        if loc_name and modifier in ("", "^~", "="):
            uris += [loc_name, loc_name.rstrip("/") + "/x"]
        elif loc_name and modifier in ("~", "~*"):
            uris += regex_samples(loc_name)
        for node in scope.children_nodes:
            if node.key == "rewrite" and len(node.args) >= 2:
                pattern = node.args[0].value
                try:
                    regex = compile_regex(pattern, False)
                except BadRegex:
                    continue
                for sample in regex_samples(pattern):
                    if regex.search(sample):
                        uris.append(sample)
                target = node.args[1].value.split("?", 1)[0]
                if target.startswith("/"):
                    uris.append(_fill(target))
            elif node.key in ("try_files", "error_page") and node.args:
                target = node.args[-1].value.split("?", 1)[0]
                if target.startswith("/"):
                    uris.append(_fill(target))
    return [u for u in dict.fromkeys(uris) if u.startswith("/")]


def _fill(text: str) -> str:
    import re
    return re.sub(r"\$\{?\w+\}?", "x", text)


def _can_loop(server, with_disk: bool) -> bool:
    """Only URI changes can loop. Without the disk a try_files answer is unknown
    and an error_page runs once, so only `rewrite` can; with it, try_files
    fallbacks and error_page targets can too (index alone cannot)."""
    keys = {"rewrite"} | ({"try_files", "error_page"} if with_disk else set())
    return any(node.key in keys for scope in (server, *iter_locations(server))
               for node in scope.children_nodes)


@rule(id="NGX113", name="rewrite-loop", severity="error", server="nginx",
      summary="a rewrite / try_files / error_page chain loops until nginx gives up with 500", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        model = ctx.request_model(target)
        yield from per_server(model, model.http.servers, lambda server: _server_findings(model, server))


def _server_findings(model, server):
    if not _can_loop(server, model.fs is not None):
        return
    seen: set[int] = set()
    for uri in _candidate_uris(model.http, server):
        outcome = probe(model, server, uri)
        if outcome is None or outcome.status != 500 or outcome.rule != "NGX-rewrite-loop":
            continue
        node = outcome.decided_by
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        yield Finding(
            rule="NGX113", name="rewrite-loop", severity="error",
            message=(f"GET {uri} is answered 500: {outcome.reason}; "
                     f"`{node.name} {' '.join(a.raw for a in node.args)}` keeps sending the "
                     "request back through the location search"),
            span=node.span, server="nginx", fix=rewrite_loop_advice(node))

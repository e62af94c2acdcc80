"""NGX111: valid_referers that refuses direct visits, privacy-stripped Referers or www."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import referer_additions
from confcheck.registry import RuleDoc, rule

from ._common import by_config, config_model, sample_uri, server_scopes
from ._common import probe
from ._shapes import per_server

DOC = RuleDoc(
    what="Finds `valid_referers` lists that, combined with `if ($invalid_referer) { return 403; }`, "
         "refuse ordinary visitors: no `none` (requests without a Referer: typed URLs, "
         "bookmarks, apps, most feed readers), no `blocked` (Referers that a proxy or privacy "
         "tool reduced to something without `http://`), or a bare domain `example.com` with "
         "no `www.example.com`, `*.example.com` or `.example.com`. Each case is confirmed by "
         "asking the request model with that Referer.",
    why="`$invalid_referer` is empty only for what the list names. Without `none` an empty "
        "Referer is invalid; without `blocked` a Referer that does not start with `http://` "
        "or `https://` is invalid; and `example.com` matches that host only, not "
        "`www.example.com` (server-behavior N1-N4). The `return 403` that follows logs "
        "nothing, so these 403s are hard to explain from the error log.",
    example="valid_referers example.com;\nif ($invalid_referer) {\n    return 403;\n}",
    fixed="valid_referers none blocked server_names example.com *.example.com;\n"
          "if ($invalid_referer) {\n    return 403;\n}",
    fix_safety="`none` and `blocked` let anyone fetch the files by typing the URL, which "
               "hotlink protection cannot prevent anyway; it only stops embedding on other sites.",
    references=("https://nginx.org/en/docs/http/ngx_http_referer_module.html",),
)


def _names(values):
    return [v for v in values if v not in ("none", "blocked", "server_names") and not v.startswith("~")]


def _refused(model, server, uri, referer) -> int | None:
    """The status the configuration refuses this Referer with (decide()), None when it lets it in."""
    headers = {"Referer": referer} if referer is not None else None
    outcome = probe(model, server, uri, headers=headers)
    return outcome.status if by_config(outcome, (403, 404, 444)) else None


@rule(id="NGX111", name="valid-referers-incomplete", severity="warning", server="nginx", fixable=True,
      summary="valid_referers without none/blocked or with a bare domain refuses ordinary visitors", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        model = config_model(ctx, target)
        # look-alike servers share verdicts (per_server: never in a scan that sees the disk)
        yield from _scope_findings(ctx, target, model, model.http.scope)
        yield from per_server(ctx.request_model(target), model.http.servers, lambda server: (
            found for scope in server_scopes(server) for found in _scope_findings(ctx, target, model, scope)))


def _scope_findings(ctx, target, model, scope):
    for node in scope.own("valid_referers"):
        servers = [scope] if scope.kind == "server" else (
            [scope.server()] if scope.kind != "http" else model.http.servers)
        problems = _problems(model, scope, node, servers)
        if problems:
            yield Finding(
                rule="NGX111", name="valid-referers-incomplete", severity="warning",
                message=("valid_referers refuses ordinary visitors: "
                         + "; ".join(text for text, _ in problems)),
                span=node.span, server="nginx",
                fix=referer_additions(ctx, target, node, [add for _, add in problems]))


def _problems(model, scope, node, servers) -> list[tuple[str, str]]:
    """(message, what to add to the list) for each kind of visitor refused."""
    values = node.values
    for server in servers:
        uri = _uri_in(server, scope)
        if uri is None:
            continue
        # The check must be used: a good Referer passes, a foreign one is refused.
        if not _refused(model, server, uri, "http://confcheck-elsewhere.invalid/"):
            continue
        out = []
        status = _refused(model, server, uri, None) if "none" not in values else None
        if status:
            out.append((f"GET {uri} without a Referer (typed URL, bookmark, app) is answered {status}: "
                        "add `none`", "none"))
        status = _refused(model, server, uri, "XXXXXXXX:++++++++") if "blocked" not in values else None
        if status:
            out.append((f"GET {uri} with a Referer stripped by a proxy or privacy tool is answered {status}: "
                        "add `blocked`", "blocked"))
        listed = {v.lower() for v in values}
        for name in _names(values):
            host = name.split("/", 1)[0].lower()
            if "*" in host or host.startswith(".") or host.startswith("www.") or host.count(".") != 1:
                continue
            if {f"www.{host}", f"*.{host}", f".{host}"} & listed:
                continue
            status = _refused(model, server, uri, f"http://www.{host}/")
            if status:
                out.append((f"GET {uri} with Referer http://www.{host}/ is answered {status}: `{name}` covers "
                            "that host only; "
                            f"add `*.{host}` or `www.{host}`", f"*.{host}"))
        return out
    return []


def _uri_in(server, scope):
    from confcheck.servers.nginx.conf import Location
    loc = scope if isinstance(scope, Location) else None
    if loc is None:
        return "/confcheck.jpg"
    return sample_uri(server, loc)

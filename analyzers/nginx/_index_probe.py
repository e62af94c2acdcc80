"""Shared by NGX105/NGX106: the directory URLs a site is meant to answer, put to the disk model."""

from __future__ import annotations

from confcheck.servers.nginx.locations import find_location

from ._common import probe


def no_index_outcomes(ctx, target):
    """(server, location scope or server, url, outcome) for every meant-to-be-served
    directory URL that the model answers 403 "directory index ... is forbidden".

    Meant to be served: the site root `/` of each server, and the URL prefix of a
    location that sets its own `index` (a directory page was expected there).
    """
    model = ctx.request_model(target)
    if model.fs is None:
        return
    seen: set[tuple[int, str]] = set()
    for server in model.http.servers:
        urls = ["/"]
        for place in target.model.places:
            if place.server is not server.node or place.location is None or not place.static:
                continue
            values = place.location.values
            if not values or values[0] in ("~", "~*") or values[-1].startswith("@"):
                continue
            if any(c.key == "index" and c.children is None for c in place.location.children or []):
                urls.append(values[-1] if values[-1].endswith("/") else values[-1] + "/")
        for url in dict.fromkeys(urls):
            if (id(server), url) in seen:
                continue
            seen.add((id(server), url))
            outcome = probe(model, server, url)
            if outcome is None or outcome.status != 403 or outcome.rule != "NGX-no-index":
                continue
            scope = find_location(server, url).location or server
            yield server, scope, url, outcome


def dir_try_files(scope):
    """The try_files of `scope` that tests `$uri/` and falls back to a URI or named location."""
    nodes = scope.own("try_files")
    if not nodes:
        return None
    node = nodes[-1]
    values = node.values
    if len(values) < 2 or not any(v.endswith("/") for v in values[:-1]):
        return None
    last = values[-1]
    if last.startswith("=") and last[1:].isdigit():
        return None
    return node

"""What the php-fpm rules share: requests nginx hands to a pool, put to the request model.

Rules never judge sockets, extensions or the pool user's access themselves:
they aim a request at each location that passes to php-fpm (a sample URI, and
the URI of every file under the folders the server serves, bounded) and read
decide()'s answer, which follows the request into the pool
(confcheck.servers.phpfpm.handoff). No rule lives here.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import quote

from confcheck.analyzers.nginx._common import probe, sample_uri
from confcheck.servers.nginx.conf import iter_locations
from confcheck.servers.nginx.locations import find_location

MAX_FILES = 3000        # files probed per served folder: a scan stays bounded on a large tree


@dataclass
class Answer:
    target: object
    uri: str
    outcome: object


def answers(ctx) -> list[Answer]:
    """decide()'s answer for every request the scan aims at a php-fpm location (memoised per view)."""
    if "php-answers" in ctx.memo:
        return ctx.memo["php-answers"]
    out: list[Answer] = []
    if ctx.pools is not None:
        for target in ctx.nginx:
            model = ctx.request_model(target)
            if model.fs is None:
                continue
            for server in model.http.servers:
                out += _server_answers(target, model, server)
    ctx.memo["php-answers"] = out
    return out


def _fastcgi(loc) -> bool:
    handler = loc.handler() if loc is not None else None
    return handler is not None and handler.key == "fastcgi_pass"


def _server_answers(target, model, server) -> list[Answer]:
    uris: list[str] = []
    for loc in iter_locations(server):
        if _fastcgi(loc):
            uri = sample_uri(server, loc)
            if uri is not None:
                uris.append(uri)
    if not uris:
        return []
    for folder, prefix in _served_folders(server):
        for path in _files(model.fs, folder):
            uri = quote(prefix.rstrip("/") + "/" + posixpath.relpath(path, folder), safe="/~")
            try:
                if _fastcgi(find_location(server, uri).location):
                    uris.append(uri)
            except Exception:  # noqa: BLE001 - a URI that cannot be searched is not probed
                continue
    out = []
    for uri in dict.fromkeys(uris):
        outcome = probe(model, server, uri)
        if outcome is not None:
            out.append(Answer(target, uri, outcome))
    return out


def _served_folders(server) -> list[tuple[str, str]]:
    """(folder, URL prefix): the server's literal root, and each prefix location's literal alias or root."""
    out = []
    root = server.docroot()
    if root is not None and root.args and "$" not in root.args[0].value:
        out.append((root.args[0].value.rstrip("/") or "/", "/"))
    for loc in iter_locations(server):
        node = loc.docroot()
        if node is None or node is root or not node.args or "$" in node.args[0].value or loc.modifier not in ("", "^~"):
            continue
        if node.key == "alias":
            out.append((node.args[0].value.rstrip("/") or "/", loc.name))
    return out


def _files(fs, top: str):
    """Regular files under `top` (depth first, sorted, at most MAX_FILES), as the scanner sees them."""
    count = 0
    stack = [top]
    while stack and count < MAX_FILES:
        folder = stack.pop()
        try:
            entries = sorted(fs.scandir(folder), key=lambda m: m.path, reverse=True)
        except Exception:  # noqa: BLE001 - a folder the scanner cannot list is the survey's to report
            continue
        for meta in entries:
            if meta.kind == "dir":
                stack.append(meta.path)
            elif meta.kind == "file":
                count += 1
                yield meta.path
                if count >= MAX_FILES:
                    return


def linked_pools(ctx) -> list:
    """The pools some fastcgi_pass of this scan's nginx configurations connects to, in the order read."""
    from confcheck.servers.phpfpm.handoff import address_of, pool_for
    linked = set()
    for target in ctx.nginx:
        model = ctx.request_model(target)
        for server in model.http.servers:
            for loc in iter_locations(server):
                handler = loc.handler()
                if handler is None or handler.key != "fastcgi_pass" or not handler.args:
                    continue
                address = address_of(handler.args[0].value)
                pool = pool_for(ctx.pools or [], address) if address is not None else None
                if pool is not None:
                    linked.add(id(pool))
    return [pool for pool in ctx.pools or [] if id(pool) in linked]


def of_rule(ctx, rule: str) -> list[Answer]:
    return [a for a in answers(ctx) if a.outcome.rule == rule]


def said(answer: Answer) -> str:
    """`GET /x is answered 403` as decide() answers it."""
    return f"GET {answer.uri} is answered {answer.outcome.status}"

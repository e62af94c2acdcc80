"""What the php-fpm rules share: requests nginx or Apache hands to a pool, put to the
request model.

Rules never judge sockets, extensions or the pool user's access themselves:
they aim requests at the server and read decide()'s answer, which follows the
request into the pool (confcheck.servers.phpfpm.handoff). nginx: a sample URI
of each location that passes to php-fpm, and the URI of every file under the
folders the server serves that such a location takes (bounded). Apache
(mod_proxy_fcgi: `SetHandler "proxy:...|fcgi://..."`, `ProxyPass[Match]
... fcgi://`): the URI of every file under each DocumentRoot and Alias, when the
configuration hands anything to FastCGI at all. No rule lives here.
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
    worker: object = None       # the web worker's Identity (who connects to the socket)

    @property
    def server(self) -> str:
        return self.target.server


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
        for target in ctx.apache:
            out += _apache_answers(ctx, target)
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
            out.append(Answer(target, uri, outcome, model.identity))
    return out


def _apache_answers(ctx, target) -> list[Answer]:
    """Every file under the folders an Apache configuration serves, asked for by its URI, when
    the configuration hands anything to FastCGI (the walk maps each URI as httpd does: which
    ones reach php-fpm is decide()'s to say)."""
    from confcheck.analyzers.apache._common import disk_model, probe
    if target.refused or not fcgi_handlers(target.conf):
        return []
    model = disk_model(ctx, target, php=True)
    if model is None:
        return []
    out = []
    for server in target.served.servers:
        uris = ["/", "/index.php"]
        for place in target.served.places:
            if place.server is not server or place.variable or not place.static:
                continue
            prefix = place.url_prefix if place.url_prefix.endswith("/") else place.url_prefix + "/"
            for path in _files(model.fs, place.directory):
                uris.append(quote(prefix + posixpath.relpath(path, place.directory), safe="/~",
                                  errors="surrogateescape"))
        for uri in dict.fromkeys(uris):
            outcome = probe(model, server, uri)
            if outcome is not None:
                out.append(Answer(target, uri, outcome, model.identity))
    return out


_FCGI_KEYS = frozenset({"sethandler", "addhandler", "proxypass", "proxypassmatch", "rewriterule"})


def fcgi_handlers(conf) -> list[tuple[object, object]]:
    """(directive, address) of every SetHandler/AddHandler/ProxyPass/ProxyPassMatch/RewriteRule [P]
    of an Apache configuration (ApacheConf) naming a FastCGI backend (memoised on it)."""
    from confcheck.servers.apache.conf import iter_directives
    from confcheck.servers.apache.fcgi import split_fcgi
    if "php-fcgi" not in conf.rule_cache:
        found = []
        for server in [conf.main, *conf.vhosts]:
            for node in iter_directives([*server.scope, *server.perdir, *server.dirs, *server.locs]):
                if node.key not in _FCGI_KEYS:
                    continue
                for value in node.values:
                    address, _path = split_fcgi(value)
                    if address is not None:
                        found.append((node, address))
                        break
        conf.rule_cache["php-fcgi"] = list({id(n): (n, a) for n, a in found}.values())
    return conf.rule_cache["php-fcgi"]


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
        elif node.key == "root" and loc.name.startswith("/"):
            # a location's own root serves root + URI: the files under root/<prefix>
            prefix = loc.name if loc.name.endswith("/") else posixpath.dirname(loc.name) + "/"
            out.append((node.args[0].value.rstrip("/") + prefix.rstrip("/") or "/", prefix))
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
            elif meta.kind in ("file", "link"):     # a link is served as what it points to
                count += 1
                yield meta.path
                if count >= MAX_FILES:
                    return


def linked_pools(ctx) -> list:
    """The pools some fastcgi_pass of this scan's nginx configurations, or some FastCGI handler of
    its Apache configurations, connects to, in the order read."""
    from confcheck.servers.phpfpm.handoff import address_of, pool_for
    linked = set()
    for target in ctx.apache:
        for _node, address in fcgi_handlers(target.conf):
            pool = pool_for(ctx.pools or [], address)
            if pool is not None:
                linked.add(id(pool))
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

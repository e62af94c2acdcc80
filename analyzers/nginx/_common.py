"""What the nginx rules share: synthetic requests put to the request model.

Rules never match locations or evaluate access lists themselves: they build a
`Request` that reaches one server block, hand it to `decide()` (or to
`find_location()` for "which location answers this URI") and read the
`Outcome`. This module only knows how to aim a request at a server and how
to find a URI that reaches a given location. No rule lives here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from confcheck.isolation import decide_contained
from confcheck.servers.nginx.conf import Http, Location, Scope, Server, iter_locations
from confcheck.servers.nginx.decide import Model, Outcome, decide
from confcheck.servers.nginx.locations import find_location
from confcheck.servers.nginx.request import Request, RequestError
from confcheck.servers.nginx.select import select_aimed

from ._decisions import decide_shared, shared_on
from ._shapes import sharing_on

# A client no allow list of a public site names (TEST-NET-3, RFC 5737).
PUBLIC_IP = "203.0.113.7"
# Clients an intranet restriction usually lets in.
PRIVATE_IPS = ("127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1")

# Directives that decide a status from the configuration alone.
CONFIG_DECIDERS = frozenset({"deny", "allow", "return", "limit_except", "rewrite", "error_page"})


def config_model(ctx, target) -> Model:
    """The request model of `target` without the disk: answers that follow from the config alone."""
    model = ctx.request_model(target)
    return Model(model.http, None, None, prefix=model.prefix, conf_prefix=model.conf_prefix,
                 failures=model.failures)


def _host_candidates(server: Server) -> Iterator[str]:
    for name, _node in server.names:
        if not name or name.startswith("~") or name == "_":
            continue
        if name.startswith("*."):
            yield "www" + name[1:]
        elif name.startswith("."):
            yield name[1:]
        elif name.endswith(".*"):
            yield name[:-1] + "com"
        elif "*" not in name:
            yield name
    yield "confcheck-probe.invalid"     # no name matches: the default server of the port


def request_for(http: Http, server: Server, path: str, *, method: str = "GET",
                headers: dict[str, str] | None = None, client_ip: str = PUBLIC_IP) -> Request | None:
    """A request that nginx hands to `server` (None when no Host reaches it)."""
    aim = _aim(http, server)
    if aim is None:
        return None
    address, port, host = aim
    try:
        return Request.aimed(address, port, host, path, method, headers, client_ip)
    except RequestError:
        return None


def _aim(http: Http, server: Server) -> tuple[str, int, str] | None:
    """(address, port, Host) that reach `server`, found once per server: rules send
    many probes to each server and selection does not depend on the path."""
    memo = http.memo.get("probe_aims")
    if memo is None:
        memo = http.memo["probe_aims"] = {}
    key = id(server)
    if key not in memo:
        memo[key] = _find_aim(http, server)
    return memo[key]


def _aimed_selection(http: Http, server: Server):
    """select_aimed's answer for the (address, port, Host) that reach `server` (once per server)."""
    memo = http.memo.get("probe_selections")
    if memo is None:
        memo = http.memo["probe_selections"] = {}
    key = id(server)
    if key not in memo:
        memo[key] = select_aimed(http, *_aim(http, server))
    return memo[key]


def _find_aim(http: Http, server: Server) -> tuple[str, int, str] | None:
    for listen in server.listens:
        if listen.port <= 0 or listen.addr.startswith("unix:"):
            continue
        address = listen.addr if listen.addr != "*" else "127.0.0.1"
        if ":" in address and not address.startswith("["):
            address = f"[{address}]"
        for host in _host_candidates(server):
            try:
                # the server a probe aimed this way reaches (Request.aimed(address, port, host, "/")'s)
                if select_aimed(http, address, listen.port, host).server is server:
                    return address, listen.port, host
            except RequestError:
                break
    return None


def probe(model: Model, server: Server, path: str, **kwargs) -> Outcome | None:
    """decide() for one synthetic request to `server` (None when it cannot be aimed there)."""
    request = request_for(model.http, server, path, **kwargs)
    if request is None:
        return None
    try:
        if shared_on(model) and _sharing(model):
            # a Host-only probe reaches `server` the way _aim found (select_aimed is select_server's answer)
            selection = None if kwargs.get("headers") else _aimed_selection(model.http, server)
            return decide_shared(model, request, server, selection)
        return decide_contained(decide, model, request)
    except RequestError:
        return None


def _sharing(model: Model) -> bool:
    """sharing_on(model), asked of the environment once per configuration (not per probe)."""
    memo = model.http.memo
    on = memo.get("probe_sharing")
    if on is None:
        on = memo["probe_sharing"] = sharing_on(model)
    return on


def by_config(outcome: Outcome | None, status: tuple[int, ...] = (403,)) -> bool:
    """The outcome is one of `status`, decided by a directive rather than by the disk."""
    return (outcome is not None and outcome.status in status and outcome.decided_by is not None
            and outcome.fs_path is None and outcome.decided_by.key in CONFIG_DECIDERS)


def is_inside(loc: Scope | None, outer: Scope) -> bool:
    """`loc` is `outer` or nested in it."""
    while loc is not None:
        if loc is outer:
            return True
        loc = loc.parent
    return False


# URIs tried when a location is a regex and a sample has to be found.
_COMMON_URIS = ("/", "/index.php", "/index.html", "/x.php", "/api/", "/api/x", "/graphql", "/login",
                "/wp-admin/", "/wp-admin/admin-ajax.php", "/wp-login.php", "/x.jpg", "/x.png", "/x.gif",
                "/x.css", "/x.js", "/x.svg", "/x.ico", "/x.woff2", "/x.mp4", "/x.pdf", "/x.txt", "/x.json",
                "/x.xml", "/x.html", "/.htaccess", "/.git/config", "/.env", "/admin/", "/static/x",
                "/media/x", "/uploads/x.jpg")

_REGEX_ATOMS = (
    (r"\(\?[imsx]+\)", ""), (r"\(\?:", "("), (r"\(\?P?<\w+>", "("),
    (r"\[\^/\]\+|\[\^/\]\*", "x"), (r"\\d\+|\\d\*|\[0-9\]\+|\[0-9\]\*", "1"), (r"\\w\+|\\w\*", "x"),
    (r"\.\*\?|\.\+\?|\.\*|\.\+", "x"), (r"\[[^\]]*\][+*?]?", "x"),
)


def regex_samples(pattern: str) -> list[str]:
    """A few strings a simple regex probably matches (callers check with the regex itself)."""
    return list(_regex_samples(pattern))


@lru_cache(maxsize=4096)
def _regex_samples(pattern: str) -> tuple[str, ...]:
    """regex_samples, worked out once per pattern (look-alike servers repeat the same few)."""
    text = pattern.lstrip("^").rstrip("$")
    for atom, repl in _REGEX_ATOMS:
        text = re.sub(atom, repl, text)
    out = []
    # alternatives: take the first branch of each group, then every branch of the first group
    first_group = re.search(r"\(([^()]*)\)\??", text)
    variants = [text]
    if first_group:
        variants = [text[:first_group.start()] + branch + text[first_group.end():]
                    for branch in first_group.group(1).split("|")]
    for variant in variants:
        variant = re.sub(r"\(([^()|]*)(\|[^()]*)?\)\??", r"\1", variant)
        variant = re.sub(r"\\(.)", r"\1", variant).replace("?", "")
        if not variant.startswith("/"):
            variant = "/x" + ("" if variant.startswith(".") else "/") + variant
        out.append(variant)
    return tuple(out)


def sample_uri(server: Server, loc: Location) -> str | None:
    """A URI for which find_location(server, uri) selects `loc` (None when none is found)."""
    candidates: list[str] = []
    if loc.modifier == "@" or loc.name is None:
        return None
    if loc.modifier == "=":
        candidates.append(loc.name)
    elif loc.modifier in ("", "^~"):
        candidates += [loc.name, loc.name.rstrip("/") + "/x", loc.name + "x"]
    else:
        candidates += regex_samples(loc.name)
        outer = loc.parent.location() if isinstance(loc.parent, Location) else None
        if outer is not None and outer.modifier in ("", "^~", "="):
            candidates += [outer.name.rstrip("/") + s for s in regex_samples(loc.name)]
            candidates += [outer.name.rstrip("/") + u for u in _COMMON_URIS]
        candidates += list(_COMMON_URIS)
    for uri in candidates:
        if not uri.startswith("/") or any(c in uri for c in "?#"):
            continue
        try:
            if find_location(server, uri).location is loc:
                return uri
        except Exception:  # noqa: BLE001 - a sample that cannot be searched is just skipped
            continue
    return None


def all_scopes(http: Http) -> Iterator[Scope]:
    """http, every server, every location (nested), and their limit_except blocks."""
    yield http.scope
    for server in http.servers:
        yield from server_scopes(server)


def server_scopes(server: Server) -> Iterator[Scope]:
    """The server, every location in it (nested), and their limit_except blocks."""
    yield server
    if server.limit_except is not None:
        yield server.limit_except
    for loc in iter_locations(server):
        yield loc
        if loc.limit_except is not None:
            yield loc.limit_except


def own_access(scope: Scope) -> list:
    """The allow/deny list written at this very level (empty when it inherits)."""
    rules = scope.group("access")
    mine = {id(n) for n in scope.children_nodes}
    return [n for n in rules if id(n) in mine]


def file_for(model: Model, server: Server, loc: Location, uri: str) -> str | None:
    """The disk path the model maps `uri` to inside `loc` (root/alias, as ngx_http_map_uri_to_path)."""
    from confcheck.servers.nginx.decide import State, map_uri
    request = request_for(model.http, server, "/")
    if request is None:
        return None
    state = State(model, request, server)
    state.scope = loc
    state.uri = uri
    return map_uri(state, uri)

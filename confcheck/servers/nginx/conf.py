"""nginx's configuration levels as the request model walks them.

http > server > location (nested) > if / limit_except, each a `Scope` that
looks settings up the way nginx merges them: a simple directive comes from the
nearest level that sets it; "array" settings (allow/deny, error_page, index)
come whole from the nearest level that has any; try_files and the rewrite
script are never inherited. Locations are indexed the way
ngx_http_core_find_location searches them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from confcheck.parsers.syntax import Node, effective_children

# Content handlers that take the request away from the static module.
UPSTREAM_HANDLERS = frozenset({"proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass",
                               "grpc_pass", "memcached_pass"})
OTHER_HANDLERS = frozenset({"empty_gif", "stub_status", "perl", "js_content", "content_by_lua",
                            "content_by_lua_block", "content_by_lua_file", "flv", "mp4"})
# Handlers answering GET and HEAD only (content_modules.own_handler).
CONTENT_OWN = frozenset({"empty_gif", "stub_status", "flv", "mp4"})
# dav_methods is no handler of its own: ngx_http_dav_handler declines the methods it was not
# given (GET stays with the static module); the ones it takes: dav.py.
REWRITE_DIRECTIVES = frozenset({"rewrite", "return", "set", "break", "if"})
# Directives whose value nginx takes whole from the nearest level that has any.
ARRAY_GROUPS = {"access": ("allow", "deny"), "error_page": ("error_page",), "index": ("index",),
                "limit_req": ("limit_req",), "limit_conn": ("limit_conn",), "add_header": ("add_header",),
                "proxy_set_header": ("proxy_set_header",), "fastcgi_param": ("fastcgi_param",),
                "uwsgi_param": ("uwsgi_param",), "realip": ("set_real_ip_from",)}

ALL_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "MKCOL", "COPY", "MOVE", "OPTIONS",
                         "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "PATCH", "TRACE", "CONNECT"})


class BadRegex(Exception):
    pass


@lru_cache(maxsize=4096)
def compile_regex(pattern: str, caseless: bool) -> re.Pattern:
    """A PCRE pattern as Python's re understands it (named groups, flags).
    A pure memo: every probe of every server evaluates the same few patterns."""
    text = re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", pattern)
    text = re.sub(r"\(\?P?'([A-Za-z_][A-Za-z0-9_]*)'", r"(?P<\1>", text)
    try:
        return re.compile(text, re.IGNORECASE if caseless else 0)
    except re.error as exc:
        raise BadRegex(f"{pattern}: {exc}") from None


class Scope:
    """One configuration level; lookups climb to the parents."""

    kind = "scope"

    def __init__(self, node: Node | None, parent: "Scope | None") -> None:
        self.node = node
        self.parent = parent
        self.children_nodes = list(effective_children(node.children if node is not None else None))
        self._own: dict[str, list[Node]] = {}
        self._groups: dict[str, list[Node]] = {}
        for child in self.children_nodes:
            if child.children is None:
                self._own.setdefault(child.key, []).append(child)

    # -- lookups ------------------------------------------------------------
    def own(self, key: str) -> list[Node]:
        return self._own.get(key, [])

    def last(self, key: str) -> Node | None:
        """The nearest definition of a simple setting (this level, then outwards)."""
        scope: Scope | None = self
        while scope is not None:
            nodes = scope._own.get(key)
            if nodes:
                return nodes[-1]
            scope = scope.parent
        return None

    def value(self, key: str, default: str | None = None) -> str | None:
        node = self.last(key)
        if node is None or not node.args:
            return default
        return node.args[0].value

    def group(self, name: str) -> list[Node]:
        """An array setting (ARRAY_GROUPS): every node of the nearest level having any
        (found once per level: every probe through it asks again)."""
        key = "^" + name
        found = self._groups.get(key)
        if found is None:
            scope: Scope | None = self
            found = []
            while scope is not None:
                found = scope._own_group(name)
                if found:
                    break
                scope = scope.parent
            self._groups[key] = found
        return found

    def _own_group(self, name: str) -> list[Node]:
        cache = self._groups
        found = cache.get(name)
        if found is None:
            keys = ARRAY_GROUPS[name]
            if any(key in self._own for key in keys):
                # source order matters: allow/deny are tried first to last
                found = [n for n in self.children_nodes if n.children is None and n.key in keys]
            else:
                found = []
            cache[name] = found
        return found

    def docroot(self) -> Node | None:
        """root or alias: one slot in nginx, inherited together."""
        scope: Scope | None = self
        while scope is not None:
            for key in ("alias", "root"):
                nodes = scope._own.get(key)
                if nodes:
                    return nodes[-1]
            scope = scope.parent
        return None

    def handler(self) -> Node | None:
        """A content handler directive in force here (proxy_pass inherits into if/limit_except only).
        Each handler directive sets the location's one handler (clcf->handler): the last one wins."""
        scope: Scope | None = self
        while scope is not None:
            for child in reversed(scope.children_nodes):
                if child.children is None and (child.key in UPSTREAM_HANDLERS or child.key in OTHER_HANDLERS):
                    return child
            if scope.kind not in ("if", "limit_except"):
                break
            scope = scope.parent
        return None

    def location(self) -> "Location | None":
        scope: Scope | None = self
        while scope is not None:
            if isinstance(scope, Location):
                return scope
            scope = scope.parent
        return None

    def server(self) -> "Server":
        scope: Scope | None = self
        while scope is not None:
            if isinstance(scope, Server):
                return scope
            scope = scope.parent
        raise LookupError("scope outside any server")

    def rewrite_script(self) -> list[Node]:
        """This level's rewrite-module directives, in order (not inherited)."""
        script = self._groups.get(" rewrite")
        if script is None:
            script = self._groups[" rewrite"] = [n for n in self.children_nodes if n.key in REWRITE_DIRECTIVES]
        return script

    def describe(self) -> str:
        return self.kind


class IfScope(Scope):
    kind = "if"

    def describe(self) -> str:
        return "if (" + " ".join(a.raw for a in self.node.args) + ")"


class LimitExcept(Scope):
    kind = "limit_except"

    def __init__(self, node: Node, parent: Scope) -> None:
        super().__init__(node, parent)
        allowed = {v.upper() for v in node.values}
        if "GET" in allowed:
            allowed.add("HEAD")
        self.allowed = frozenset(allowed)

    def applies_to(self, method: str) -> bool:
        return method not in self.allowed

    def describe(self) -> str:
        return "limit_except " + " ".join(self.node.values)


class _Container(Scope):
    """A level that holds locations: a server or a location."""

    def __init__(self, node: Node | None, parent: Scope | None) -> None:
        super().__init__(node, parent)
        self._blocks()

    def _blocks(self) -> None:
        self.static: list[Location] = []      # prefix, ^~ and = locations
        self.regexes: list[Location] = []     # ~ and ~* in order
        self.named: dict[str, Location] = {}
        self.ifs: dict[int, IfScope] = {}
        self.limit_except: LimitExcept | None = None
        for child in self.children_nodes:
            if child.children is None:
                continue
            if child.key == "location":
                loc = Location(child, self)
                if loc.modifier == "@":
                    self.server().named[loc.name] = loc
                elif loc.modifier in ("~", "~*"):
                    self.regexes.append(loc)
                elif loc.name is not None:
                    self.static.append(loc)
            elif child.key == "if":
                self.ifs[id(child)] = IfScope(child, self)
            elif child.key == "limit_except":
                self.limit_except = LimitExcept(child, self)

    def if_scope(self, node: Node) -> IfScope:
        return self.ifs[id(node)]


class Location(_Container):
    kind = "location"

    def __init__(self, node: Node, parent: Scope) -> None:
        values = node.values
        self.modifier = ""
        self.name: str | None = values[0] if values else None
        if len(values) >= 2 and values[0] in ("=", "^~", "~", "~*"):
            self.modifier, self.name = values[0], values[1]
        elif self.name is not None and self.name.startswith("@"):
            self.modifier = "@"
        elif self.name is not None and len(self.name) > 1 and self.name[0] == "=" :
            self.modifier, self.name = "=", self.name[1:]        # "location =/x" is accepted by nginx
        self.regex: re.Pattern | None = None
        self.regex_error: str | None = None
        if self.modifier in ("~", "~*") and self.name is not None:
            try:
                self.regex = compile_regex(self.name, self.modifier == "~*")
            except BadRegex as exc:
                self.regex_error = str(exc)
        super().__init__(node, parent)

    @property
    def internal(self) -> bool:
        return self.internal_node() is not None

    def internal_node(self) -> Node | None:
        """The `internal` in force: a nested location inherits it (merged like any flag).
        Found once per location: every request that lands here asks."""
        found = self._groups.get(" internal")
        if found is None:
            found = self._groups[" internal"] = self._internal_nodes()
        return found[0] if found else None

    def _internal_nodes(self) -> list[Node]:
        scope: Scope | None = self
        while isinstance(scope, Location):
            nodes = scope.own("internal")
            if nodes:
                return nodes[:1]
            scope = scope.parent
        return []

    @property
    def noregex(self) -> bool:
        return self.modifier == "^~"

    @cached_property
    def auto_redirect(self) -> bool:
        # set by the upstream handlers whatever the modifier (an exact "= /x/" redirects "/x" too)
        return (self.name is not None and self.name.endswith("/") and self.modifier in ("", "^~", "=")
                and any(n.key in UPSTREAM_HANDLERS for n in self.children_nodes if n.children is None))

    def describe(self) -> str:
        kind = {"": "prefix", "^~": "prefix (^~)", "=": "exact", "~": "regex", "~*": "regex (caseless)",
                "@": "named"}[self.modifier]
        return f"{kind} location {'' if self.modifier in ('', '@') else self.modifier + ' '}{self.name}"


@dataclass(frozen=True, slots=True)
class Listen:
    addr: str          # "*" for any address
    port: int
    default: bool
    node: Node | None
    ssl: bool = False   # the `ssl` parameter: the socket expects a TLS handshake


class Server(_Container):
    """A server block. Its locations, ifs and limit_except are indexed on first use: selection
    reads only listen and server_name, and a look-alike's analysis is shared, so most servers
    of a generated fleet are never searched."""

    kind = "server"
    _LAZY = frozenset({"static", "regexes", "named", "ifs", "limit_except"})

    def __init__(self, node: Node, parent: Scope) -> None:
        Scope.__init__(self, node, parent)
        self.listens = [_listen(n) for n in self.own("listen")] or [Listen("*", 80, False, None)]
        self.names: list[tuple[str, Node]] = [(v.value, n) for n in self.own("server_name") for v in n.args]

    def __getattr__(self, name: str):
        # only called for attributes not set yet: the location index, built once
        if name not in Server._LAZY:
            raise AttributeError(name)
        self.named: dict[str, Location] = {}      # named locations anywhere inside register here
        self._blocks()
        return getattr(self, name)

    def server(self) -> "Server":
        return self

    @property
    def primary_name(self) -> str:
        return self.names[0][0] if self.names else ""

    def describe(self) -> str:
        names = " ".join(n for n, _ in self.names) or '""'
        return f"server {names}"


def _listen(node: Node) -> Listen:
    if not node.args:
        return Listen("*", 80, False, node)
    spec = node.args[0].value
    default = any(a.value in ("default_server", "default") for a in node.args[1:])
    ssl = any(a.value == "ssl" for a in node.args[1:])
    if spec.startswith("unix:"):
        return Listen(spec, 0, default, node, ssl)
    if spec.startswith("["):
        addr, _, port = spec[1:].partition("]")
        return Listen(addr, int(port[1:]) if port.startswith(":") and port[1:].isdigit() else 80, default, node, ssl)
    if spec.isdigit():
        return Listen("*", int(spec), default, node, ssl)
    addr, sep, port = spec.rpartition(":")
    if sep and port.isdigit():
        return Listen("*" if addr in ("*", "0.0.0.0") else addr, int(port), default, node, ssl)
    return Listen(spec, 80, default, node, ssl)


@dataclass
class Http:
    scope: Scope
    servers: list[Server] = field(default_factory=list)
    maps: dict[str, Node] = field(default_factory=dict)      # $var -> map block
    geos: dict[str, Node] = field(default_factory=dict)
    server_index: object = field(default=None, repr=False)   # select.ServerIndex, built on first use
    memo: dict = field(default_factory=dict, repr=False)      # derived per-config data callers cache here


def build_http(nodes: list[Node]) -> Http:
    """The http{} levels of a loaded config (a lone vhost file is its own http)."""
    http_nodes = [n for n in effective_children(nodes) if n.key == "http" and n.children is not None]
    if http_nodes:
        http_node = http_nodes[0]
        scope = Scope(http_node, None)
    else:
        scope = _TopScope(nodes)
    scope.kind = "http"
    http = Http(scope)
    for child in scope.children_nodes:
        if child.children is None:
            continue
        if child.key == "server":
            http.servers.append(Server(child, scope))
        elif child.key == "map" and len(child.args) >= 2:
            http.maps[child.args[1].value.lstrip("$")] = child
        elif child.key == "geo" and child.args:
            http.geos[child.args[-1].value.lstrip("$")] = child
    return http


class _TopScope(Scope):
    def __init__(self, nodes: list[Node]) -> None:
        self.node = None
        self.parent = None
        self.children_nodes = list(effective_children(nodes))
        self._own = {}
        self._groups = {}
        for child in self.children_nodes:
            if child.children is None:
                self._own.setdefault(child.key, []).append(child)


def iter_locations(container: _Container) -> tuple[Location, ...]:
    """Every location in `container`, nested ones after their parent (listed once per level:
    rules walk them again and again, and they never change)."""
    found = container._groups.get(" locations")
    if found is None:
        found = container._groups[" locations"] = tuple(
            inner for loc in container.static + container.regexes + list(getattr(container, "named", {}).values())
            for inner in (loc, *iter_locations(loc)))
    return found

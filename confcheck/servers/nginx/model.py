"""What an nginx config serves from disk, as nginx's own merge rules decide.

This is the static half of the nginx model: which `root`/`alias` directories
requests can reach, with the settings in force there (index, autoindex,
disable_symlinks, auth_basic_user_file), and who the worker is. Values are
looked up the way nginx merges them: a directive in a location overrides the
server's, which overrides http's.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Iterator

from confcheck.parsers.syntax import Node, effective_children

# Debian's build: --prefix=/usr/share/nginx --conf-path=/etc/nginx/nginx.conf
DEFAULT_PREFIX = "/usr/share/nginx"
DEFAULT_CONF_PREFIX = "/etc/nginx"


def prefix_for(conf_prefix: str) -> str:
    """nginx's prefix (what `root html` is relative to) for a main kept in `conf_prefix`:
    a source build's layout (--prefix=P, the main in P/conf/: /usr/local/nginx/conf/nginx.conf,
    or `nginx -p P -c conf/nginx.conf`) has P; anywhere else, Debian's build."""
    conf_prefix = conf_prefix.rstrip("/")
    if conf_prefix.endswith("/conf") and len(conf_prefix) > len("/conf"):
        return conf_prefix[: -len("/conf")]
    return DEFAULT_PREFIX

# Directives that hand the request to something other than the static module.
CONTENT_HANDLERS = frozenset({
    "proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass",
    "memcached_pass", "empty_gif", "stub_status", "perl", "js_content",
    "content_by_lua", "content_by_lua_block", "content_by_lua_file", "flv", "mp4",
    "return",
})


@dataclass(frozen=True, slots=True)
class SymlinkSetting:
    mode: str = "off"           # off | on | if_not_owner
    from_: str | None = None    # disable_symlinks ... from=PART
    node: Node | None = None
    unknown: str | None = None  # why the policy of the place cannot be known without a request


@dataclass(slots=True)
class Place:
    """A directory that requests reach through one root/alias directive."""

    server: Node
    location: Node | None         # None: the server level itself
    directive: Node | None        # the root/alias that serves it (None: nginx's default root)
    kind: str                     # root | alias | default
    directory: str                # the directory on disk whose files are served
    url_prefix: str               # the URL prefix that maps onto `directory`
    static: bool                  # the static module answers here (not proxy/fastcgi/return)
    autoindex: bool
    autoindex_node: Node | None
    index: list[str]
    symlinks: SymlinkSetting
    variable: bool = False        # the path uses variables: only its fixed part is known

    @property
    def anchor(self) -> Node:
        """The directive a finding about this place points at."""
        return self.directive or self.location or self.server


@dataclass(slots=True)
class AuthFile:
    node: Node                    # auth_basic_user_file
    path: str
    auth_basic: Node | None       # the auth_basic directive that turns it on


@dataclass(slots=True)
class UserSetting:
    user: str
    group: str | None
    node: Node | None             # None: nginx's compiled default


@dataclass(slots=True)
class NginxModel:
    servers: list[Node] = field(default_factory=list)
    user: UserSetting = field(default_factory=lambda: UserSetting("nobody", None, None))
    prefix: str = DEFAULT_PREFIX
    conf_prefix: str = DEFAULT_CONF_PREFIX
    # (server, inherited http settings) whose places are worked out on first read: only
    # the disk rules read them, and a config-only scan of thousands of servers never does
    _pending: list = field(default_factory=list, repr=False)
    _places: list[Place] = field(default_factory=list, repr=False)
    _auth_files: list[AuthFile] = field(default_factory=list, repr=False)

    @property
    def places(self) -> list[Place]:
        self._settle()
        return self._places

    @property
    def auth_files(self) -> list[AuthFile]:
        self._settle()
        return self._auth_files

    def _settle(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            builder = _Builder(self)
            for server, scope in pending:
                builder.server(server, scope)


def _last(nodes: list[Node] | None, key: str) -> Node | None:
    found = None
    for node in effective_children(nodes):
        if node.key == key and node.children is None:
            found = node
    return found


def _blocks(nodes: list[Node] | None, key: str) -> Iterator[Node]:
    for node in effective_children(nodes):
        if node.key == key and node.children is not None:
            yield node


def _has_variable(text: str) -> bool:
    return "$" in text


def _full_name(prefix: str, path: str) -> str:
    return path if path.startswith("/") else posixpath.normpath(posixpath.join(prefix, path))


_SCOPED = ("root", "alias", "index", "autoindex", "disable_symlinks", "auth_basic", "auth_basic_user_file")


def _last_of(nodes: list[Node] | None, keys: tuple[str, ...]) -> dict[str, Node]:
    """The last simple directive of each name in `keys` (one pass over the block)."""
    found: dict[str, Node] = {}
    for node in effective_children(nodes):
        if node.children is None and node.key in keys:
            found[node.key] = node
    return found


class _Scope:
    """Inherited settings at one level of http > server > location nesting."""

    __slots__ = ("docroot", "index", "autoindex", "symlinks", "auth_basic", "auth_file")

    def __init__(self) -> None:
        self.docroot: Node | None = None   # root or alias: nginx keeps them in one slot
        self.index: Node | None = None
        self.autoindex: Node | None = None
        self.symlinks: Node | None = None
        self.auth_basic: Node | None = None
        self.auth_file: Node | None = None

    def child(self, nodes: list[Node] | None) -> "_Scope":
        here = _last_of(nodes, _SCOPED)
        scope = _Scope()
        # root and alias share one setting in nginx (a location may have only
        # one of them); a nested location without either inherits the outer one.
        scope.docroot = here.get("root") or here.get("alias") or self.docroot
        scope.index = here.get("index") or self.index
        scope.autoindex = here.get("autoindex") or self.autoindex
        scope.symlinks = here.get("disable_symlinks") or self.symlinks
        scope.auth_basic = here.get("auth_basic") or self.auth_basic
        scope.auth_file = here.get("auth_basic_user_file") or self.auth_file
        return scope


def _symlinks(node: Node | None, document_root: str | None = None) -> SymlinkSetting:
    """The policy at a place whose $document_root is `document_root` (None: not fixed)."""
    if node is None or not node.args:
        return SymlinkSetting()
    mode = node.args[0].value
    mode = mode if mode in ("on", "if_not_owner") else "off"
    from_ = None
    for arg in node.args[1:]:
        if arg.value.startswith("from="):
            from_ = arg.value[5:]
    if from_ is not None and "$" in from_ and mode != "off":
        # from= is a complex value nginx evaluates per request (ngx_http_set_disable_symlinks);
        # a place knows $document_root when its root is fixed, nothing else.
        if document_root is not None:
            from_ = re.sub(r"\$(?:document_root\b|\{document_root\})", lambda _m: document_root, from_)
        if "$" in from_:
            return SymlinkSetting(mode, None, node, unknown=f"disable_symlinks ... from={from_} depends on "
                                  "the request: which links are refused is not known")
    if from_ is not None and not from_.startswith("/"):
        from_ = None    # never a prefix of the absolute path nginx opens: every component is checked
    return SymlinkSetting(mode, from_, node)


def _is_static(nodes: list[Node] | None) -> bool:
    return not any(n.key in CONTENT_HANDLERS for n in effective_children(nodes))


def _location_prefix(location: Node) -> tuple[str | None, bool]:
    """(URL prefix, is_regex) of a location block."""
    values = location.values
    if not values:
        return None, False
    if values[0] in ("~", "~*"):
        return None, True
    if values[0] in ("=", "^~") and len(values) > 1:
        return values[1], False
    if values[0].startswith("@"):
        return None, False
    return values[0], False


class _Builder:
    def __init__(self, model: NginxModel) -> None:
        self.model = model
        self._auth_seen: set[int] = set()   # an inherited auth file is reported once

    def server(self, server: Node, http_scope: _Scope) -> None:
        scope = http_scope.child(server.children)
        has_root_location = False
        for location in _blocks(server.children, "location"):
            prefix, _ = _location_prefix(location)
            if prefix == "/":
                has_root_location = True
            self.location(server, location, scope)
        # Requests no location matches use the server level's own settings.
        if not has_root_location:
            self.place(server, None, scope, "/", _is_static(server.children))
        self.auth(scope)

    def location(self, server: Node, location: Node, outer: _Scope) -> None:
        scope = outer.child(location.children)
        prefix, regex = _location_prefix(location)
        static = _is_static(location.children)
        if prefix is not None or regex:
            self.place(server, location, scope, prefix or "/", static, regex=regex)
        self.auth(scope)
        for nested in _blocks(location.children, "location"):
            self.location(server, nested, scope)

    def auth(self, scope: _Scope) -> None:
        node = scope.auth_file
        if node is None or not node.args:
            return
        if scope.auth_basic is not None and scope.auth_basic.values[:1] == ["off"]:
            return
        value = node.args[0].value
        if _has_variable(value):
            return
        if id(node) not in self._auth_seen:
            self._auth_seen.add(id(node))
            path = _full_name(self.model.conf_prefix, value)
            self.model._auth_files.append(AuthFile(node, path, scope.auth_basic))

    def place(self, server: Node, location: Node | None, scope: _Scope, prefix: str,
              static: bool, regex: bool = False) -> None:
        index_node = scope.index
        index = index_node.values if index_node is not None else ["index.html"]
        autoindex = scope.autoindex is not None and scope.autoindex.values[:1] == ["on"]
        docroot_value = scope.docroot.args[0].value if scope.docroot is not None and scope.docroot.args else "html"
        symlinks = _symlinks(scope.symlinks, None if "$" in docroot_value
                             else _full_name(self.model.prefix, docroot_value))
        if scope.docroot is not None and scope.docroot.key == "alias" and scope.docroot.args:
            value = scope.docroot.args[0].value
            directory, variable = _fixed_part(value)
            directory = _full_name(self.model.prefix, directory)
            kind, directive, url_prefix = "alias", scope.docroot, prefix
        else:
            directive = scope.docroot
            value = directive.args[0].value if directive is not None and directive.args else "html"
            base, variable = _fixed_part(value)
            base = _full_name(self.model.prefix, base)
            # A prefix location reaches only its own part of the root.
            if regex or variable or prefix in ("", "/"):
                directory = base
            else:
                directory = posixpath.normpath(base + "/" + prefix.strip("/")) if prefix.strip("/") else base
            kind = "root" if directive is not None else "default"
            url_prefix = "/" if regex else prefix
        self.model._places.append(Place(
            server=server, location=location, directive=directive, kind=kind,
            directory=directory, url_prefix=url_prefix, static=static,
            autoindex=autoindex, autoindex_node=scope.autoindex, index=index,
            symlinks=symlinks, variable=variable or symlinks.unknown is not None))


def _fixed_part(path: str) -> tuple[str, bool]:
    """The part of a path before its first variable; whether it had one."""
    if "$" not in path:
        return path.rstrip("/") or "/", False
    fixed = path[: path.index("$")]
    fixed = fixed.rsplit("/", 1)[0] if "/" in fixed else ""
    return fixed or "/", True


def build_model(nodes: list[Node], *, prefix: str = DEFAULT_PREFIX,
                conf_prefix: str = DEFAULT_CONF_PREFIX, places: bool = True) -> NginxModel:
    """The served places, auth files and worker user of a loaded nginx config, the places and
    auth files worked out when first read (`places=False`: the servers and the worker user
    alone, what `why` reads of it)."""
    model = NginxModel(prefix=prefix, conf_prefix=conf_prefix)
    user = _last(nodes, "user")
    if user is not None and user.args:
        group = user.args[1].value if len(user.args) > 1 else None
        model.user = UserSetting(user.args[0].value, group, user)
    root_scope = _Scope().child(None)
    http_blocks = list(_blocks(nodes, "http"))
    if http_blocks:
        for http in http_blocks:
            http_scope = root_scope.child(http.children)
            for server in _blocks(http.children, "server"):
                model.servers.append(server)
                if places:
                    model._pending.append((server, http_scope))
    else:
        # A lone vhost file (sites-available/x.conf): its server blocks are http's.
        for server in _blocks(nodes, "server"):
            model.servers.append(server)
            if places:
                model._pending.append((server, root_scope))
    return model


def conf_prefix_of(main_path: str) -> str:
    return os.path.dirname(main_path) or "."

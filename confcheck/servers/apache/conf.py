"""The loaded Apache configuration as httpd holds it after start-up.

Conditional sections (`<IfModule>`, `<IfDefine>`, `<IfVersion>`, `<IfFile>`,
`<IfDirective>`, `<IfSection>`) are settled here, once: what is left is a
tree of `Section`s (blocks that exist at request time) and directive `Node`s.
The main server and each `<VirtualHost>` become a `Server`: its per-directory
directives, its `<Directory>`/`<Location>`/`<Files>`/`<If>` sections (in
config order) and its server-scope directives. Facts from httpd's core.c
(dirsection, urlsection, filesection, ifsection) and config.c.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import dataclass, field
from typing import Iterator

from confcheck.parsers.syntax import Node, effective_children

# Apache 2.4 as Debian 12 ships it (for <IfVersion>)
APACHE_VERSION = (2, 4, 71)

CONDITIONAL = frozenset({"ifmodule", "ifdefine", "ifversion", "iffile", "ifdirective", "ifsection"})
DIR_KINDS = frozenset({"directory", "directorymatch"})
FILE_KINDS = frozenset({"files", "filesmatch"})
LOC_KINDS = frozenset({"location", "locationmatch"})
IF_KINDS = frozenset({"if", "elseif", "else"})
AUTHZ_KINDS = frozenset({"requireall", "requireany", "requirenone", "requirenotall"})
LIMIT_KINDS = frozenset({"limit", "limitexcept"})


class ConfError(Exception):
    """A section httpd would refuse at start-up (bad regex, ...)."""


@dataclass(eq=False)
class Section:
    """One block that exists at request time, its conditionals settled."""

    kind: str                      # directory, directorymatch, files, ..., if, limit, requireall, htaccess
    node: Node | None
    items: list = field(default_factory=list)   # Node (directive) or Section, in order
    pattern: str = ""              # path / file name / URL / expression text
    regex: re.Pattern | None = None
    wildcard: bool = False         # path with * ? [ (fnmatch)
    components: int = 0            # <Directory>: number of slashes ("/" counts 0)
    where: str = ""                # for the trace: "<Directory /var/www>" or ".htaccess /x/.htaccess"
    # .htaccess directives a Nonfatal= AllowOverride skipped: their module's config for this
    # section exists all the same (config.c makes it before invoke_cmd refuses the directive)
    skipped: tuple = ()

    def describe(self) -> str:
        return self.where

    def directives(self):
        """Plain directives of this section itself, conditionals settled (not nested sections)."""
        return [i for i in self.items if isinstance(i, Node)]


def iter_directives(items) -> Iterator[Node]:
    """Every plain directive in `items` (Nodes and Sections) and in the sections
    nested in them, depth first, in order. An explicit stack: one generator per
    section costs more than the walk itself on thousands of vhosts."""
    stack = [iter(items)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, Section):
                stack.append(iter(item.items))
                break
            yield item
        else:
            stack.pop()


@dataclass(eq=False)
class Server:
    """The main server or one <VirtualHost>."""

    node: Node | None
    addresses: list[tuple[str, str]] = field(default_factory=list)   # (host, port): host may be * / _default_
    names: list[tuple[str, Node]] = field(default_factory=list)      # ServerName first, then ServerAlias words
    perdir: list = field(default_factory=list)       # per-directory items at server scope (lookup_defaults)
    dirs: list[Section] = field(default_factory=list)
    locs: list[Section] = field(default_factory=list)
    scope: list[Node] = field(default_factory=list)  # every plain directive at this server's top level

    def last(self, key: str) -> Node | None:
        for node in reversed(self.scope):
            if node.key == key:
                return node
        return None

    def all(self, key: str) -> list[Node]:
        return [n for n in self.scope if n.key == key]

    def describe(self) -> str:
        if self.node is None:
            return "the main server"
        name = self.names[0][0] if self.names else "(no ServerName)"
        return f"<VirtualHost {' '.join(a.raw for a in self.node.args)}> {name}"


@dataclass(eq=False)
class ApacheConf:
    main: Server
    vhosts: list[Server]
    modules: set[str]
    errors: list[tuple[str, Node | None]] = field(default_factory=list)   # start-up failures we model
    server_root: str = "/"     # ServerRoot (server view): relative paths of the configuration start there
    # vhosts.select's per-address groups and name indexes, built on first use
    select_cache: dict = field(default_factory=dict, repr=False)
    # what the rules derive from this configuration once and share (analyzers/apache/_common.py)
    rule_cache: dict = field(default_factory=dict, repr=False)

    def server_value(self, server: Server, key: str) -> Node | None:
        """A server-scope directive: the vhost's own, else the main server's."""
        node = server.last(key)
        if node is None and server is not self.main:
            node = self.main.last(key)
        return node


# -- pattern helpers ---------------------------------------------------------------

def fnmatch_regex(pattern: str, pathname: bool = True) -> re.Pattern:
    """apr_fnmatch with APR_FNM_PATHNAME: `*`/`?` never match `/`."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*" if pathname else ".*")
        elif c == "?":
            out.append("[^/]" if pathname else ".")
        elif c == "[":
            j = pattern.find("]", i + 2)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.S)


def has_wildcard(text: str) -> bool:
    return any(c in text for c in "*?[")


def compile_regex(text: str, icase: bool = False) -> re.Pattern | None:
    """A PCRE pattern in Python's dialect (close enough for config patterns); None if invalid."""
    from confcheck.parsers.apache_regex import python_pattern
    try:
        return re.compile(python_pattern(text), re.I if icase else 0)
    except re.error:
        return None


def count_dirs(path: str) -> int:
    return path.count("/")


# -- building ---------------------------------------------------------------------

class _Builder:
    def __init__(self, modules: set[str], inactive: set[Node], defines: dict[str, str], fs) -> None:
        self.modules = modules
        self.inactive = inactive
        self.defines = defines
        self.fs = fs
        self.errors: list[tuple[str, Node | None]] = []

    # conditionals ------------------------------------------------------------
    def active(self, node: Node) -> bool:
        from confcheck.parsers.apache_parser import _test
        if node in self.inactive:
            return False
        key = node.key
        if key == "ifmodule":
            return bool(_test(node, lambda n: n in self.modules))
        if key == "ifdefine":
            return bool(_test(node, lambda n: n in self.defines))
        if key == "ifversion":
            return _ifversion(node.values)
        if key == "iffile":
            return bool(_test(node, self._exists))
        if key in ("ifdirective", "ifsection"):
            from confcheck.parsers.apache_directives import providing_modules

            def known(name: str) -> bool:
                mods = providing_modules(("<" + name) if key == "ifsection" else name)
                return bool(mods) and any(m in self.modules for m in mods)
            return bool(_test(node, known))
        return True

    def _exists(self, path: str) -> bool:
        if self.fs is None or not path.startswith("/"):
            return True
        try:
            return self.fs.lstat(path) is not None
        except Exception:  # noqa: BLE001 - the scanner cannot look: assume present
            return True

    def items(self, nodes, where: str) -> list:
        out: list = []
        for node in effective_children(nodes):
            if node.children is None:
                out.append(node)
                continue
            key = node.key
            if key in CONDITIONAL:
                if self.active(node):
                    out.extend(self.items(node.children, where))
                continue
            if key == "macro" or key == "virtualhost":
                continue
            section = self.section(node)
            if section is not None:
                out.append(section)
        return out


    def _name_or_regex(self, sec, base: str, regex_section: bool, values: list[str], node) -> bool:
        """<Files>/<Location> (wildcards, or `~ regex`) and their *Match forms; False on a bad regex."""
        tilde = bool(values) and values[0] == "~"
        pattern = (values[1] if tilde and len(values) > 1 else values[0]) if values else ""
        if regex_section or tilde:
            sec.kind = base + "match"
            sec.regex = compile_regex(pattern)
            if sec.regex is None:
                self.errors.append(("Regex could not be compiled", node))
                return False
        else:
            sec.kind = base
            sec.wildcard = has_wildcard(pattern)
        sec.pattern = pattern
        return True
    def section(self, node: Node) -> Section | None:
        key = node.key
        values = node.values
        sec = Section(key, node, where=f"<{node.name} {' '.join(a.raw for a in node.args)}>".replace(" >", ">"))
        if key in ("directory", "directorymatch"):
            regex = key == "directorymatch" or (values and values[0] == "~")
            pattern = (values[1] if values and values[0] == "~" and len(values) > 1 else values[0]) if values else ""
            if regex:
                sec.kind = "directorymatch"
                sec.regex = compile_regex(pattern, icase=False)
                if sec.regex is None:
                    self.errors.append(("Regex could not be compiled", node))
                    return None
            else:
                sec.kind = "directory"
                if pattern != "/":
                    pattern = posixpath.normpath(pattern) if pattern.startswith("/") else pattern
                    if not pattern.endswith("/"):
                        pattern += "/"
                sec.wildcard = has_wildcard(pattern)
                sec.components = 0 if pattern == "/" else count_dirs(pattern)
            sec.pattern = pattern
        elif key in ("files", "filesmatch", "location", "locationmatch"):
            base = key[:-5] if key.endswith("match") else key
            if not self._name_or_regex(sec, base, key.endswith("match"), values, node):
                return None
        elif key in IF_KINDS:
            sec.pattern = " ".join(a.value for a in node.args)
        elif key in LIMIT_KINDS:
            sec.pattern = " ".join(v.upper() for v in values)
        elif key in AUTHZ_KINDS:
            pass
        else:
            # <Proxy>, <AuthnProviderAlias> and the like: kept, not applied to files
            sec.kind = "other:" + key
        sec.items = self.items(node.children, sec.where)
        return sec

    # servers -------------------------------------------------------------------
    def server(self, node: Node | None, items: list) -> Server:
        srv = Server(node)
        for item in items:
            if isinstance(item, Section):
                if item.kind in DIR_KINDS:
                    srv.dirs.append(item)
                elif item.kind in LOC_KINDS:
                    srv.locs.append(item)
                else:
                    srv.perdir.append(item)     # <Files>, <If>, <Limit>, <Require*> at server level
                continue
            srv.scope.append(item)
            srv.perdir.append(item)
            if item.key == "servername" and item.args:
                srv.names.insert(0, (_host_only(item.args[0].value), item))
            elif item.key == "serveralias":
                srv.names.extend((a.value.lower(), item) for a in item.args)
        if node is not None:
            for arg in node.args:
                host, port = split_address(arg.value)
                srv.addresses.append((host, port))
        return srv


def _host_only(name: str) -> str:
    name = name.lower()
    if "://" in name:
        name = name.split("://", 1)[1]
    if name.startswith("["):
        return name.split("]")[0] + "]"
    return name.rsplit(":", 1)[0] if ":" in name else name


def split_address(text: str) -> tuple[str, str]:
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, rest.lstrip(":") or "*"
    host, sep, port = text.rpartition(":")
    if not sep:
        return text.lower(), "*"
    return host.lower(), port or "*"


def _ifversion(values: list[str]) -> bool:
    if not values:
        return True
    op, ver = ("=", values[0]) if len(values) == 1 else (values[0], values[1])
    negate = op.startswith("!")
    op = op.lstrip("!")
    if op in ("~",) or ver.startswith("/"):
        text = ver.strip("/")
        rx = compile_regex(text)
        result = bool(rx and rx.search(".".join(map(str, APACHE_VERSION))))
    else:
        try:
            want = tuple(int(p) for p in ver.split("."))
        except ValueError:
            return True
        have = APACHE_VERSION[:len(want)]
        result = {"=": have == want, "==": have == want, ">": have > want, ">=": have >= want,
                  "<": have < want, "<=": have <= want}.get(op, True)
    return result != negate


def build(config, modules: set[str], fs=None) -> ApacheConf:
    """The request-time model of a loaded configuration (apache_loader.ApacheConfig)."""
    b = _Builder(modules, config.inactive, config.defines, fs)
    top = b.items(config.nodes, "main")
    main = b.server(None, top)
    vhosts: list[Server] = []
    for node in _vhost_nodes(config.nodes, b):
        vhosts.append(b.server(node, b.items(node.children, "vhost")))
    return ApacheConf(main, vhosts, modules, b.errors, config.server_root or "/")


def _vhost_nodes(nodes, b: _Builder):
    for node in effective_children(nodes):
        if node.children is None:
            continue
        if node.key == "virtualhost":
            yield node
        elif node.key in CONDITIONAL and b.active(node):
            yield from _vhost_nodes(node.children, b)


def matches_path_pattern(sec: Section, text: str) -> bool:
    if sec.regex is not None:
        return sec.regex.search(text) is not None
    if sec.wildcard:
        return fnmatch_regex(sec.pattern).match(text) is not None
    return sec.pattern == text


__all__ = ["ApacheConf", "Section", "Server", "build", "fnmatch", "matches_path_pattern"]

"""Where ModSecurity's configuration is written, as a tree of scopes per server.

Apache (mod_security2 is a per-directory module): the main server, each
`<VirtualHost>` (inheriting the main server's), and each `<Location>`,
`<LocationMatch>`, `<Directory>`, `<DirectoryMatch>` section of either
(inheriting its server's). The Sec* directives of a scope are the ones httpd
runs there, `<IfModule>`/`<IfDefine>` settled and includes followed
(servers/apache/conf.py).

nginx (ngx_http_modsecurity_module): the http block, each server, each
location (nested ones too), each inheriting its parent's. A scope holds its
`modsecurity` switch and the ModSecurity directives of its
`modsecurity_rules_file` (with the files those `Include`) and
`modsecurity_rules` lines, in the order written.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

from confcheck.parsers.syntax import Node, effective_children
from confcheck.source import Diagnostics, SourceFile

APACHE_SECTIONS = ("location", "locationmatch", "directory", "directorymatch")
NGINX_RULES = ("modsecurity_rules_file", "modsecurity_rules")


@dataclass(eq=False)
class WafScope:
    server: str                      # apache | nginx
    label: str                       # "the main server", "<Location /wp-admin/>", "location /api/" ...
    node: Node | None                # the section, vhost or block (None: Apache's main server)
    parent: "WafScope | None"
    nodes: list[Node] = field(default_factory=list)            # ModSecurity directives written here
    statements: list = field(default_factory=list)   # the rule language among them (parsers.secrule.Statement)
    switch: Node | None = None       # nginx: this block's own `modsecurity on|off`
    problems: list[tuple[str, object]] = field(default_factory=list)   # (message, Span or None)
    children: list["WafScope"] = field(default_factory=list)
    kind: str = ""                   # main | vhost | section | http | server | location
    sources: list = field(default_factory=list)   # nginx, top scope: every rules file read (SourceFile)

    def chain(self) -> list["WafScope"]:
        """Outermost first, this scope last."""
        out, scope = [], self
        while scope is not None:
            out.append(scope)
            scope = scope.parent
        return out[::-1]

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def narrow(self) -> bool:
        """A location or directory: one part of a site, not the whole server."""
        return self.kind in ("section", "location")


def is_modsecurity(node: Node) -> bool:
    from confcheck.parsers.apache_directives import providing_modules   # Apache's table: Apache scans only
    mods = providing_modules(node.name)
    return bool(mods) and "security2_module" in mods


def waf_scopes(target) -> WafScope | None:
    """The scope tree of an engine target (ApacheTarget or NginxTarget), None when its
    configuration has no ModSecurity in it."""
    if target.server == "apache":
        if "security2_module" not in target.conf.modules:
            return None
        root = apache_scopes(target.conf)
        return root if any(s.nodes for s in root.walk()) else None
    # a directive named modsecurity* has those bytes in its file (quotes and escapes make no
    # letter of it): the files without them are not walked (thousands of vhost files)
    if not any(n.name.startswith("modsecurity") for p in target.config.parsed
               if b"modsecurity" in p.source.data for n in _all_nodes(p.nodes)):
        return None
    return nginx_scopes(target.config)


def _all_nodes(nodes):
    for node in nodes:
        yield node
        if node.children:
            yield from _all_nodes(node.children)


# -- Apache ----------------------------------------------------------------------------

def apache_scopes(conf) -> WafScope:
    """The scope tree of an ApacheConf (servers/apache/conf.py): main server, vhosts, sections."""
    main = _apache_scope("the main server", None, None, conf.main.scope, "main")
    _apache_sections(main, conf.main)
    for vhost in conf.vhosts:
        scope = _apache_scope(vhost.describe(), vhost.node, main, vhost.scope, "vhost")
        main.children.append(scope)
        _apache_sections(scope, vhost)
    return main


def _apache_scope(label, node, parent, directives, kind) -> WafScope:
    scope = WafScope("apache", label, node, parent, kind=kind)
    scope.nodes = [n for n in directives if is_modsecurity(n)]
    diags = Diagnostics()
    from confcheck.parsers.secrule import read_statements   # only configurations with ModSecurity load it
    scope.statements = read_statements(scope.nodes, diags)
    scope.problems = [(d.message, d.span) for d in diags.items]
    return scope


def _apache_sections(scope: WafScope, server) -> None:
    from confcheck.servers.apache.conf import iter_directives
    for section in [*server.dirs, *server.locs]:
        if section.kind not in APACHE_SECTIONS:
            continue
        child = _apache_scope(section.where or section.kind, section.node, scope,
                              list(iter_directives(section.items)), "section")
        if child.nodes:
            scope.children.append(child)


# -- nginx -----------------------------------------------------------------------------

def nginx_scopes(config) -> WafScope | None:
    """The scope tree of an NginxConfig's http block (None without one)."""
    http = next((n for n in effective_children(config.nodes) if n.name == "http" and n.children is not None), None)
    if http is None:
        return None
    top = WafScope("nginx", "http", http, None, kind="http")
    reader = _RuleFiles(config)
    _nginx_fill(top, http, reader)
    top.sources = list(reader.sources.values())
    return top


def _nginx_fill(scope: WafScope, block: Node, reader: "_RuleFiles") -> None:
    from confcheck.parsers.secrule import read_statements   # only configurations with ModSecurity load it
    diags = Diagnostics()
    for node in effective_children(block.children):
        if node.name == "modsecurity":
            scope.switch = node
        elif node.name == "modsecurity_rules_file" and node.args:
            scope.nodes += reader.file(node.args[0].value, node, scope.problems)
        elif node.name == "modsecurity_rules" and node.args:
            scope.nodes += _inline(node, diags)
        elif node.children is not None and node.name in ("server", "location"):
            child = WafScope("nginx", _nginx_label(node), node, scope, kind=node.name)
            scope.children.append(child)
            _nginx_fill(child, node, reader)
    scope.statements = read_statements(scope.nodes, diags)
    scope.problems += [(d.message, d.span) for d in diags.items]


def _nginx_label(node: Node) -> str:
    if node.name == "location":
        return "location " + " ".join(a.value for a in node.args)
    names = next((n.values for n in effective_children(node.children) if n.name == "server_name"), None)
    return f"server {names[0]}" if names else f"server at {node.file}:{node.line}"


def _inline(node: Node, diags: Diagnostics) -> list[Node]:
    """`modsecurity_rules '...'`: the string read as a rules file whose lines and columns are
    those of the nginx file (everything else blanked), so spans point into the nginx config."""
    from confcheck.parsers.apache_parser import parse_apache   # only configs with inline rules need it
    arg = node.args[0]
    source = arg.span.source
    data = source.data
    start, end = arg.span.start, arg.span.end
    if arg.quote:
        start, end = start + 1, end - 1
    blank = bytes(b if b in (10, 13) else 32 for b in data[:start])
    tail = bytes(b if b in (10, 13) else 32 for b in data[end:])
    view = SourceFile(source.path, blank + data[start:end] + tail, realpath=source.realpath,
                      display_path=source.display_path)
    return parse_apache(view, diags).nodes


class _RuleFiles:
    """Rules files as libmodsecurity reads them: `Include` globs relative to the including file;
    server paths read the way the nginx configuration was (--root, a repository's own files)."""

    def __init__(self, config) -> None:
        self.disk = config.disk()
        self.prefix = config.prefix
        self.cache: dict[str, list[Node]] = {}
        self.sources: dict[str, SourceFile] = {}

    def file(self, path: str, where: Node, problems: list) -> list[Node]:
        server = path if path.startswith("/") else os.path.join(self.prefix, path)
        return self._read(server, where, problems, 0, set())

    def _read(self, server: str, where: Node, problems: list, depth: int, stack: set) -> list[Node]:
        from confcheck.parsers.apache_parser import parse_apache   # rules files share Apache's line rules
        if server in stack or depth > 32:
            problems.append((f"ModSecurity: {server} includes itself", where.span))
            return []
        if server not in self.cache:
            source = self.disk.read(server)
            if isinstance(source, OSError):
                problems.append((f"ModSecurity cannot read the rules file {server}: {source.strerror}", where.span))
                return []
            diags = Diagnostics()
            self.sources[server] = source
            self.cache[server] = parse_apache(source, diags, via=where).nodes
            problems += [(d.message, d.span) for d in diags.items]
        out: list[Node] = []
        for node in self.cache[server]:
            if node.key == "include" and node.args:
                pattern = node.args[0].value
                if not pattern.startswith("/"):
                    pattern = os.path.join(os.path.dirname(server), pattern)
                matches = self.disk.glob(pattern) if glob.has_magic(pattern) else [pattern]
                for match in matches:
                    out += self._read(match, node, problems, depth + 1, stack | {server})
            else:
                out.append(node)
        return out

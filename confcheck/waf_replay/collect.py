"""The ModSecurity configuration in force for one request, from confcheck's
parsed trees: the engine mode, where it is set, and the directives to replay
(as written, with the file:line they come from).

Apache (mod_security2): the Sec* directives at server level (includes
followed, `<IfModule>` settled), then the selected vhost's, then every
`<Location>`/`<LocationMatch>` section holding Sec* directives (the replay
server matches them itself: the request keeps its URI). Sec* directives in
`<Directory>`, `<Files>` or `<If>` depend on where the site's files are: not
replayed, so the answer is unknown.

nginx (ngx_http_modsecurity_module): `modsecurity on|off` (innermost wins) and
`modsecurity_rules_file` / `modsecurity_rules` of http, the server and the
location the request first lands in (ModSecurity sets itself up there, in the
rewrite phase), in that order; the rule files are read by rulefile.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from confcheck.parsers.syntax import Node, effective_children
from confcheck.waf_replay.rulefile import Item, RuleFileError, logical_lines, read_items

NGINX_RULES = ("modsecurity_rules_file", "modsecurity_rules")


@dataclass
class Section:
    """An Apache <Location>/<LocationMatch> carrying Sec* directives."""
    header: str          # '<Location "/api">' as written
    close: str           # '</Location>'
    items: list[Item]
    in_vhost: bool       # inside the <VirtualHost> (else at server level)


@dataclass
class WafSetup:
    server: str                      # nginx | apache
    engine: str                      # On | DetectionOnly | Off
    engine_node: Node | None         # the directive that set it (None: the default, Off)
    server_items: list[Item] = field(default_factory=list)   # server (Apache main / nginx http..location)
    vhost_items: list[Item] = field(default_factory=list)    # Apache: the vhost's own
    sections: list[Section] = field(default_factory=list)    # Apache: <Location> sections
    module_path: str | None = None   # the module file the config loads, as the server sees it
    unknown: str | None = None       # why the WAF part of the answer cannot be known (replay impossible)

    def all_items(self) -> list[Item]:
        return self.server_items + self.vhost_items + [i for s in self.sections for i in s.items]

    @property
    def active(self) -> bool:
        return self.engine in ("On", "DetectionOnly")


def _item(node: Node) -> Item:
    return Item(node.span.text, node.key, node.span.source.realpath, node.line)


def _engine_word(node: Node) -> str:
    value = node.values[0].lower() if node.values else ""
    return {"on": "On", "detectiononly": "DetectionOnly", "off": "Off"}.get(value, "Off")


# -- Apache ----------------------------------------------------------------------

def _sec(node) -> bool:
    return isinstance(node, Node) and node.children is None and node.key.startswith("sec")


def apache_setup(conf, request) -> WafSetup:
    """`conf`: confcheck.servers.apache.conf.ApacheConf; `request`: the Request."""
    from confcheck.servers.apache.conf import iter_directives
    from confcheck.servers.apache.sections import location_matches
    from confcheck.servers.apache.vhosts import select

    server = select(conf, request).server
    levels = [conf.main] + ([server] if server is not conf.main else [])
    setup = WafSetup("apache", "Off", None)
    for level, items in zip(levels, (setup.server_items, setup.vhost_items)):
        for node in level.scope:
            if _sec(node):
                items.append(_item(node))
                if node.key == "secruleengine":
                    setup.engine, setup.engine_node = _engine_word(node), node
            elif node.key == "loadmodule" and len(node.values) >= 2 and node.values[0] == "security2_module":
                setup.module_path = node.values[1]
    from confcheck.servers.apache.request import UriStatus, normalize
    try:
        uri = normalize(request.raw_path)      # <Location> matches the decoded, normalised URI
    except UriStatus:
        uri = request.raw_path
    for level in levels:
        in_vhost = level is not conf.main
        for sec in level.locs:
            nodes = [n for n in sec.directives() if _sec(n)]
            if not nodes or sec.node is None:
                continue
            head = sec.node.header_span.text if sec.node.header_span is not None else f"<{sec.node.name}>"
            setup.sections.append(Section(head, f"</{sec.node.name}>", [_item(n) for n in nodes], in_vhost))
            if location_matches(sec, uri):
                for n in nodes:
                    if n.key == "secruleengine":
                        setup.engine, setup.engine_node = _engine_word(n), n
        for sec in level.dirs:
            hidden = [n for n in iter_directives(sec.items) if _sec(n)]
            if hidden and setup.unknown is None:
                first = hidden[0]
                setup.unknown = (f"{first.name} at {first.file}:{first.line} in {sec.describe()}: ModSecurity "
                                 "directives in a <Directory>/<Files>/<If> section are not replayed")
    return setup


# -- nginx -----------------------------------------------------------------------

def _first_location(outcome) -> Node | None:
    for step in outcome.trace:
        if step.step == "location" and step.node is not None and step.node.children is not None:
            return step.node
    return None


def nginx_setup(model, request, outcome) -> WafSetup:
    """`model`: confcheck.servers.nginx.decide.Model; `outcome`: the model's answer (its
    trace names the location the request first landed in)."""
    from confcheck.servers.nginx.select import select_server

    server = select_server(model.http, request).server
    chain: list[Node] = []
    block = _first_location(outcome) or server.node
    while block is not None:
        chain.append(block)
        block = block.parent
    chain.reverse()                      # main .. http .. server .. location
    setup = WafSetup("nginx", "Off", None)
    for block in chain:
        for node in effective_children(block.children):
            if node.key == "modsecurity":
                setup.engine, setup.engine_node = ("On" if node.values[:1] == ["on"] else "Off"), node
            elif node.key == "modsecurity_rules_remote":
                setup.unknown = (f"modsecurity_rules_remote at {node.file}:{node.line}: rules fetched over the "
                                 "network are not replayed")
            elif node.key == "load_module" and node.values and "modsecurity" in node.values[0]:
                path = node.values[0]
                setup.module_path = path if os.path.isabs(path) else os.path.join(model.prefix or "/", path)
            elif node.key in NGINX_RULES and node.values:
                try:
                    setup.server_items += _nginx_rules(node, model)
                except RuleFileError as exc:
                    setup.unknown = f"{node.name} at {node.file}:{node.line}: {exc}"
    if setup.engine == "On" and _detection_only(setup.server_items):
        setup.engine = "DetectionOnly"
    elif setup.engine == "On" and _engine_off(setup.server_items):
        setup.engine = "Off"
    return setup


def _nginx_rules(node: Node, model) -> list[Item]:
    value = node.values[0]
    if node.key == "modsecurity_rules":
        # inline rules: Include paths in them are relative to the config prefix
        return [Item(text, text.split(None, 1)[0].lower(), node.span.source.realpath, node.line)
                for _, text in logical_lines(value)]
    path = value if os.path.isabs(value) else os.path.join(model.conf_prefix or "/", value)
    return read_items(path)


def _last_engine(items: list[Item]) -> str | None:
    word = None
    for item in items:
        if item.key == "secruleengine":
            parts = item.text.split()
            word = parts[1].strip("\"'").lower() if len(parts) > 1 else None
    return word


def _detection_only(items: list[Item]) -> bool:
    return _last_engine(items) == "detectiononly"


def _engine_off(items: list[Item]) -> bool:
    # libmodsecurity3: `modsecurity on` runs the engine; SecRuleEngine in the rules decides what it does
    return _last_engine(items) == "off"

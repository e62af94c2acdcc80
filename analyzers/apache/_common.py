"""What the Apache rules share: the sections of a configuration, the authorization a
directory ends up with, and the .htaccess files of a scan.

Until the request model (confcheck/servers/apache) answers whole requests,
rules that need "what does Apache answer here" read the merged sections the
way core.c and mod_authz_core merge them (`<Directory>` shortest first, then
`<DirectoryMatch>`, then `<Location>`; a section with `Require` replaces the
inherited ones). No rule lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from confcheck.servers.apache.conf import LIMIT_KINDS, Section
from confcheck.survey import apache_dir_sections

# a public client no allow list names (TEST-NET-3, RFC 5737)
PUBLIC_IP = "203.0.113.7"
ACCESS_COMPAT = frozenset({"order", "allow", "deny", "satisfy"})


def walk_sections(items, parents=()) -> Iterator[tuple[Section, tuple]]:
    """Every Section below `items` (depth first) with the sections around it, outermost first."""
    for item in items:
        if isinstance(item, Section):
            yield item, parents
            yield from walk_sections(item.items, parents + (item,))


def every_section(conf) -> Iterator[tuple[object, Section, tuple]]:
    """(server, section, enclosing sections) for the main server and every virtual host."""
    for server in [conf.main, *conf.vhosts]:
        for top in [*server.dirs, *server.locs, *[i for i in server.perdir if isinstance(i, Section)]]:
            yield server, top, ()
            for sec, parents in walk_sections(top.items, (top,)):
                yield server, sec, parents


def own_directives(section: Section, key: str | None = None) -> list:
    """Directives written directly in `section` (conditionals settled; not nested sections)."""
    return [n for n in section.directives() if key is None or n.key == key]


@dataclass(frozen=True)
class Verdict:
    """What `Require` (and Order/Deny) in force say to an anonymous GET from a public client."""

    state: str            # denied | granted | conditional | none
    node: object          # the directive that decides it (None for "none")
    section: Section | None


def _require_lines(section: Section) -> list:
    """Require lines of a section that apply to GET (outside <Limit>s that leave GET out)."""
    out = []
    for item in section.items:
        if isinstance(item, Section):
            if item.kind in LIMIT_KINDS:
                methods = set(item.pattern.split())
                applies = ("GET" in methods) if item.kind == "limit" else ("GET" not in methods)
                if applies:
                    out.extend(_require_lines(item))
            elif item.kind.startswith("require"):
                out.append(item)
        elif item.key == "require":
            out.append(item)
    return out


def _state_of(lines: list) -> tuple[str, object]:
    """Denied when every requirement refuses everyone; granted when one grants everyone."""
    states = []
    for line in lines:
        if isinstance(line, Section):
            states.append(("conditional", line.node))
            continue
        values = [v.lower() for v in line.values]
        if values[:2] == ["all", "granted"]:
            return "granted", line
        if values[:2] == ["all", "denied"]:
            states.append(("denied", line))
        else:
            states.append(("conditional", line))
    if states and all(s == "denied" for s, _ in states):
        return "denied", states[-1][1]
    return ("conditional", states[-1][1]) if states else ("none", None)


def _compat_state(section: Section) -> tuple[str, object] | None:
    """mod_access_compat's answer for a public client when the section sets Order/Allow/Deny."""
    nodes = [n for n in own_directives(section) if n.key in ACCESS_COMPAT]
    if not nodes:
        return None
    order = next((n for n in reversed(nodes) if n.key == "order"), None)
    order_value = "".join(order.values).lower() if order is not None else "deny,allow"
    allow_all = any(n.key == "allow" and [v.lower() for v in n.values[1:]] == ["all"] for n in nodes)
    deny_all = next((n for n in nodes if n.key == "deny" and [v.lower() for v in n.values[1:]] == ["all"]), None)
    allows = [n for n in nodes if n.key == "allow"]
    if order_value == "allow,deny":
        if allow_all and deny_all is None:
            return "granted", order
        return ("denied" if not allows else "conditional"), (deny_all or order)
    if deny_all is not None:
        return ("conditional" if allows else "denied"), deny_all
    return "granted", order


def dir_verdict(conf, server, directory: str, url: str | None = None) -> Verdict:
    """The authorization in force for `directory` (reached at `url`), from the config alone.

    Sections merge in httpd's order; a later one with `Require` replaces the
    earlier ones (AuthMerging Off). `<Location>` sections come last and win.
    """
    state = Verdict("none", None, None)
    compat = None
    sections = list(apache_dir_sections(conf, server, directory))
    if url is not None:
        sections += location_sections(conf, server, url)
    for sec in sections:
        lines = _require_lines(sec)
        if lines:
            st, node = _state_of(lines)
            state = Verdict(st, node, sec)
        found = _compat_state(sec)
        if found is not None:
            compat = Verdict(found[0], found[1], sec)
    if state.state == "none" and compat is not None:
        return compat
    return state


def location_sections(conf, server, url: str) -> list[Section]:
    from confcheck.servers.apache.conf import matches_path_pattern
    out = []
    for srv in ([conf.main] if server is conf.main else [conf.main, server]):
        for sec in srv.locs:
            if sec.regex is not None:
                if sec.regex.search(url):
                    out.append(sec)
            elif sec.wildcard:
                if matches_path_pattern(sec, url):
                    out.append(sec)
            elif url.startswith(sec.pattern) or url.rstrip("/") == sec.pattern.rstrip("/") \
                    or url.startswith(sec.pattern.rstrip("/") + "/"):
                out.append(sec)
    return out


def served_places(target):
    """Places (DocumentRoot, Alias targets) a request can reach, without CGI directories."""
    return [p for p in target.served.places if p.kind != "userdir"]


def describe(node) -> str:
    return f"{node.name} {' '.join(a.raw for a in node.args)}".strip()


# -- .htaccess files -----------------------------------------------------------------

@dataclass
class Htaccess:
    """One access file a rule looks at: found on disk under a served tree, or named alone."""

    path: str                 # server path (disk) or local path (named alone)
    parsed: object            # ParsedFile
    diags: object             # Diagnostics of its own read
    target: object | None     # the ApacheTarget whose tree holds it (None: named alone)
    place: object | None      # the served place it sits under
    override: frozenset | None   # AllowOverride in force for its directory (None: unknown)
    settings: object | None   # DirSettings of its directory


def htaccess_files(ctx, *, with_disk: bool = True) -> list[Htaccess]:
    """Access files named on the command line, and those the disk walk found under served trees.

    Files under `AllowOverride None` are included (APA111 reports them);
    parsing happens once per scan per file: the list is kept on the survey.
    """
    out: list[Htaccess] = []
    from confcheck.source import Diagnostics
    for parsed in ctx.htaccess:
        out.append(Htaccess(parsed.source.path, parsed, Diagnostics(), None, None, None, None))
    if not with_disk or ctx.fs is None:
        return out
    from confcheck.survey import apache_dir_settings
    for target in ctx.apache:
        for item in ctx.survey(target).htaccess:
            if item.loaded is None:
                directory = item.path.rsplit("/", 1)[0] or "/"
                settings = apache_dir_settings(target.conf, item.place.server, directory)
                diags = Diagnostics()
                parsed = None
                event = item.event
                if event.denial is None and event.blocked is None and event.meta is not None \
                        and event.meta.kind == "file":
                    parsed = _read_htaccess(ctx, item.path, diags)
                item.loaded = Htaccess(item.path, parsed, diags, target, item.place,
                                       settings.override or frozenset(), settings)
            out.append(item.loaded)
    return out


def _read_htaccess(ctx, path: str, diags):
    """Parse an access file through the scan's view (live disk or snapshot)."""
    import os

    from confcheck.parsers.apache_parser import ReadState, parse_apache_state
    from confcheck.source import SourceFile
    try:
        data = ctx.fs.read_bytes(path)
    except Exception:  # noqa: BLE001 - a file the scanner cannot read is simply not judged
        return None
    if data is None:
        return None
    root = ctx.options.root
    local = os.path.join(os.path.abspath(root), path.lstrip("/")) if root else path
    return parse_apache_state(SourceFile(local, data), diags, ReadState(), dialect="htaccess")


def finding(rule_id: str, name: str, severity: str, message: str, node, fs_path: str | None = None):
    from confcheck.findings import Finding
    return Finding(rule=rule_id, name=name, severity=severity, message=message,
                   span=node.span if node is not None else None, server="apache", fs_path=fs_path)


def htaccess_sections(ctx):
    """(Section, where) for every readable .htaccess file (conditionals taken as active)."""
    from confcheck.servers.apache.conf import _Builder
    for item in htaccess_files(ctx):
        if item.parsed is None:
            continue
        modules = item.target.conf.modules if item.target is not None else None
        builder = _Builder(modules if modules is not None else _AnyModule(), set(), {}, None)
        section = Section("htaccess", None, builder.items(item.parsed.nodes, item.path),
                          pattern=item.path, where=f".htaccess {item.path}")
        yield section, item.path


class _AnyModule(set):
    """A lone .htaccess: its server's modules are unknown; every `<IfModule>` is taken as loaded."""

    def __contains__(self, name) -> bool:  # noqa: D105
        return True


def limit_denials(section: Section):
    """([(limit section, Require all denied node)], unconditional sibling grant or None)."""
    denials = []
    grant = None
    for item in section.items:
        if isinstance(item, Section) and item.kind in LIMIT_KINDS:
            for node in item.directives():
                values = [v.lower() for v in node.values]
                if node.key == "require" and values[:2] == ["all", "denied"]:
                    denials.append((item, node))
        elif not isinstance(item, Section) and item.key == "require" \
                and [v.lower() for v in item.values][:2] == ["all", "granted"]:
            grant = item
    return denials, grant


# -- mod_rewrite, read from the config -------------------------------------------------

@dataclass
class Rewrite:
    node: object              # the RewriteRule
    conds: list               # the RewriteCond lines right before it
    perdir: bool              # directory context (<Directory>, .htaccess): the subject has no leading slash
    where: str
    section: Section | None   # the section holding it (None: server scope)

    @property
    def pattern(self) -> str:
        return self.node.values[0] if self.node.values else ""

    @property
    def flags(self) -> set[str]:
        text = self.node.values[2] if len(self.node.values) > 2 else ""
        return {f.strip().split("=")[0].lower() for f in text.strip("[]").split(",") if f.strip()}

    def matches(self, subject: str) -> bool | None:
        """Does the pattern match `subject`? None when Python cannot read the regex."""
        import re
        pattern = self.pattern
        negate = pattern.startswith("!")
        if negate:
            pattern = pattern[1:]
        try:
            rx = re.compile(pattern, re.I if "nc" in self.flags or "nocase" in self.flags else 0)
        except re.error:
            return None
        return (rx.search(subject) is not None) != negate


def _rewrites_in(items, perdir: bool, where: str, section) -> list[Rewrite]:
    out: list[Rewrite] = []
    conds: list = []
    for item in items:
        if isinstance(item, Section):
            continue
        if item.key == "rewritecond":
            conds.append(item)
        elif item.key == "rewriterule":
            out.append(Rewrite(item, conds, perdir, where, section))
            conds = []
    return out


def engine_on(items) -> bool:
    on = False
    for item in items:
        if not isinstance(item, Section) and item.key == "rewriteengine" and item.values:
            on = item.values[0].lower() == "on"
    return on


def all_rewrites(ctx, target=None) -> list[Rewrite]:
    """Every RewriteRule whose RewriteEngine is on: server scope, directory sections, .htaccess."""
    out: list[Rewrite] = []
    targets = [target] if target is not None else list(ctx.apache)
    for tgt in targets:
        conf = tgt.conf
        if "rewrite_module" not in conf.modules:
            continue
        for server in [conf.main, *conf.vhosts]:
            if engine_on(server.scope):
                out += _rewrites_in(server.scope, False, server.describe(), None)
            for sec in server.dirs:
                # the engine state is inherited from the server for directory sections
                if engine_on(sec.items) or (engine_on(server.scope) and not any(
                        not isinstance(i, Section) and i.key == "rewriteengine" for i in sec.items)):
                    out += _rewrites_in(sec.items, True, sec.where, sec)
    if target is None:
        for section, where in htaccess_sections(ctx):
            if engine_on(section.items):
                out += _rewrites_in(section.items, True, f".htaccess {where}", section)
    return out

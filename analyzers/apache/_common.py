"""What the Apache rules share: synthetic requests put to the request model,
the sections of a configuration, and the .htaccess files of a scan.

Rules never merge sections or evaluate `Require` themselves: they build a
`Request` aimed at one virtual host (`request_for`), hand it to decide()
(`probe`) and read the Outcome (status, decided_by, fs_path, rule), the way
analyzers/nginx/_common.py does for nginx. Two models:

* `config_model`: answers that follow from the configuration. Without the
  disk, every path a request names is taken to exist (directories 0755,
  files 0644, owned by root, no access files); with the disk, the real tree
  is used and only what is missing is taken to exist, so .htaccess files
  count. Rules read config-decided outcomes from it (`by_config`).
* `disk_model`: the real disk as the worker sees it (None without one).

No rule lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from confcheck.servers.apache.conf import LIMIT_KINDS, Section

if TYPE_CHECKING:
    from confcheck.fs.model import Meta

# a public client no allow list names (TEST-NET-3, RFC 5737)
PUBLIC_IP = "203.0.113.7"
# clients an intranet restriction (`Require local`, `Require ip 10.`) usually lets in
PRIVATE_IPS = ("127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1")
# a browser: bot blocks keyed on the User-Agent must not refuse the probes
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
ACCESS_COMPAT = frozenset({"order", "allow", "deny", "satisfy"})
# a file name a probe asks for (config-only: taken to exist)
PROBE_FILE = "confcheck-probe.html"
# names without a dot that probes ask for as files
_PROBE_LEAVES = frozenset({"config", "confcheck-token", "HEAD", ".env"})
# outcomes decided by a directive, not by the disk
_CONFIG_RULES = frozenset({"APA-require", "APA-access-compat", "APA-rewrite-F", "APA114"})


# -- the request model, asked ------------------------------------------------------------

# extensions of the files probes (and DirectoryIndex) name; anything else is a directory
# (DocumentRoots such as /var/www/example.com hold dots too)
_FILE_EXTENSIONS = frozenset({"html", "htm", "xhtml", "php", "cgi", "pl", "css", "js", "png", "jpg",
                              "gif", "ico", "svg", "txt", "json", "xml"})


class AssumedFs:
    """Config-only: every path a request names exists and the worker may read it."""

    def __init__(self) -> None:
        # fs.model loads with the first Apache model, not with the rule registry: nginx-only
        # scans never need it. Kept on the instance, as lstat runs once per path probed.
        from confcheck.fs import model
        self._meta, self._file, self._dir = model.Meta, model.FILE, model.DIR

    def lstat(self, path: str) -> Meta | None:
        name = path.rsplit("/", 1)[-1]
        if name.startswith(".ht"):
            return None                     # no access files, no password files
        is_file = name in _PROBE_LEAVES or ("." in name[1:] and name.rsplit(".", 1)[1] in _FILE_EXTENSIONS)
        return self._meta(path, self._file if is_file else self._dir, 0o644 if is_file else 0o755, 0, 0)

    def scandir(self, path: str):
        return iter(())

    def read_bytes(self, path: str) -> bytes | None:
        return None

    def selinux_enforcing(self) -> bool | None:
        return None


class OverlayFs:
    """The real disk, where what a probe names but the disk lacks is taken to exist."""

    def __init__(self, real) -> None:
        self.real = real
        self.assumed = AssumedFs()

    def lstat(self, path: str) -> Meta | None:
        meta = self.real.lstat(path)
        return meta if meta is not None else self.assumed.lstat(path)

    def scandir(self, path: str):
        return self.real.scandir(path)

    def read_bytes(self, path: str) -> bytes | None:
        return self.real.read_bytes(path)

    def selinux_enforcing(self) -> bool | None:
        return self.real.selinux_enforcing()


def _anyone():
    """The worker config-only probes run as (fs.model is imported with the first model)."""
    from confcheck.fs.model import Identity
    return Identity(user="www-data", uid=33, gid=33, source="config-only probe")


def _models(ctx) -> dict:
    return ctx.memo.setdefault("apache_models", {})


def _real_identity(ctx, target):
    from confcheck.servers.nginx.worker import IdentityProblem
    if ctx.fs is None:
        return None
    identity = ctx.identity(target)
    return None if isinstance(identity, IdentityProblem) else identity


def config_model(ctx, target):
    """decide()'s Model for answers that follow from the configuration (see the module doc)."""
    key = ("config", id(target))
    cache = _models(ctx)
    if key not in cache:
        from confcheck.servers.apache.decide import Model
        identity = _real_identity(ctx, target)
        fs = OverlayFs(ctx.fs_for(target)) if identity is not None else AssumedFs()
        cache[key] = Model(target.conf, fs, identity or _anyone(),
                           access_name=target.served.access_file(target.conf.main), failures=ctx.failures)
    return cache[key]


def disk_model(ctx, target, *, php: bool = False):
    """decide()'s Model on the real disk as the worker sees it; None when it cannot look.
    `php`: with the php-fpm pools of the scan, so requests handed to php-fpm get its answer
    (the PHP rules); without, they end at the handler (status null), as the other rules expect."""
    pools = ctx.pools if php else None
    key = ("disk", id(target), pools is not None)
    cache = _models(ctx)
    if key not in cache:
        from confcheck.servers.apache.decide import Model
        identity = _real_identity(ctx, target)
        cache[key] = None if identity is None else Model(
            target.conf, ctx.fs_for(target), identity, access_name=target.served.access_file(target.conf.main),
            failures=ctx.failures, pools=pools)
    return cache[key]


def _host_candidates(server) -> Iterator[str]:
    for name, _node in server.names:
        if not name:
            continue
        if name.startswith("*."):
            yield "www" + name[1:]
        elif "*" not in name and "?" not in name:
            yield name
    yield "confcheck-probe.invalid"     # no name matches: the first vhost of the address


def request_for(conf, server, path: str, *, method: str = "GET", headers: dict[str, str] | None = None,
                client_ip: str = PUBLIC_IP):
    """A request that httpd hands to `server` (None when no address and Host reach it)."""
    import ipaddress

    from confcheck.servers.apache.request import Request, RequestError
    from confcheck.servers.apache.vhosts import select
    addresses = server.addresses or [("127.0.0.1", "80")]
    for host, port in addresses:
        port = port if port.isdigit() else "80"
        try:
            address = str(ipaddress.ip_address(host.strip("[]")))
        except ValueError:
            address = "127.0.0.1"
        if ":" in address:
            address = f"[{address}]"
        for name in _host_candidates(server):
            hdrs = {"Host": name, "User-Agent": BROWSER_UA, **(headers or {})}
            try:
                request = Request.parse(f"http://{address}:{port}{path}", method, hdrs, client_ip)
            except RequestError:
                break
            if select(conf, request).server is server:
                return request
    return None


def probe(model, server, path: str, **kwargs):
    """decide() for one synthetic request to `server` (None when it cannot be aimed there)."""
    from confcheck.isolation import decide_contained
    from confcheck.servers.apache.decide import decide
    from confcheck.servers.apache.request import RequestError
    if model is None:
        return None
    request = request_for(model.conf, server, path, **kwargs)
    if request is None:
        return None
    try:
        return decide_contained(decide, model, request, server="apache")
    except RequestError:
        return None


def by_config(outcome, status: tuple[int, ...] = (403,)) -> bool:
    """The outcome is one of `status`, decided by a directive rather than by the disk."""
    return (outcome is not None and outcome.status in status and outcome.decided_by is not None
            and outcome.fs_path is None and outcome.rule in _CONFIG_RULES)


def section_of(conf, node) -> Section | None:
    """The section whose own items (or `<Limit>`/`<Require*>` inside) hold directive `node`
    (None: server scope or unknown)."""
    index = getattr(conf, "_confcheck_section_index", None)
    if index is None:
        index = {}
        for _server, sec, _parents in every_section(conf):
            for item in sec.items:
                if not isinstance(item, Section):
                    index[id(item)] = sec
                elif item.kind in LIMIT_KINDS or item.kind.startswith("require"):
                    for inner, _ in walk_sections([item]):
                        for sub in inner.items:
                            if not isinstance(sub, Section):
                                index.setdefault(id(sub), sec)
            for sub in sec.items:
                if isinstance(sub, Section) and (sub.kind in LIMIT_KINDS or sub.kind.startswith("require")):
                    for item in sub.items:
                        if not isinstance(item, Section):
                            index.setdefault(id(item), sec)
        conf._confcheck_section_index = index
    return index.get(id(node))


def probe_dir_url(place, directory: str | None = None, leaf: str = PROBE_FILE) -> str | None:
    """A URL for a file `leaf` in `directory` (default: the place's own) through `place`."""
    url = place.url_for(directory or place.directory)
    return None if url is None else url + leaf


# -- the sections of a configuration ------------------------------------------------------

def walk_sections(items, parents=()) -> Iterator[tuple[Section, tuple]]:
    """Every Section below `items` (depth first) with the sections around it, outermost first."""
    for item in items:
        if isinstance(item, Section):
            yield item, parents
            yield from walk_sections(item.items, parents + (item,))


def every_section(conf) -> list[tuple[object, Section, tuple]]:
    """(server, section, enclosing sections) for the main server and every virtual host.
    Listed once per configuration: most rules walk it (six times per scan)."""
    found = conf.rule_cache.get("every_section")
    if found is None:
        found = conf.rule_cache["every_section"] = list(_every_section(conf))
    return found


def _every_section(conf) -> Iterator[tuple[object, Section, tuple]]:
    for server in [conf.main, *conf.vhosts]:
        for top in [*server.dirs, *server.locs, *[i for i in server.perdir if isinstance(i, Section)]]:
            yield server, top, ()
            for sec, parents in walk_sections(top.items, (top,)):
                yield server, sec, parents


def own_directives(section: Section, key: str | None = None) -> list:
    """Directives written directly in `section` (conditionals settled; not nested sections)."""
    return [n for n in section.directives() if key is None or n.key == key]


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
    settings: object | None   # DirConf of its directory (served.dir_conf: no .htaccess applied)

    @property
    def read_by_httpd(self) -> bool:
        """httpd opens it: AllowOverride or AllowOverrideList allows something there."""
        from confcheck.servers.apache.served import reads_access_files
        return self.settings is not None and reads_access_files(self.settings)


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
    for target in ctx.apache:
        for item in ctx.survey(target).htaccess:
            if item.loaded is None:
                directory = item.path.rsplit("/", 1)[0] or "/"
                settings = target.served.dir_conf(item.place.server, directory)
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
    for item, section in htaccess_items(ctx):
        yield section, item.path


class _AnyModule(set):
    """A lone .htaccess: its server's modules are unknown; every `<IfModule>` is taken as loaded."""

    def __contains__(self, name) -> bool:  # noqa: D105
        return True


def limit_denials(section: Section):
    """([(limit section, Require all denied node)], unconditional sibling grant or None).

    Without denials the grant is not looked for (None): both callers (APA106, APA107)
    skip such a section, and they ask this of every section of every vhost."""
    denials = []
    for item in section.items:
        if isinstance(item, Section) and item.kind in LIMIT_KINDS:
            for node in item.directives():
                if node.key == "require" and _first_two(node) == ("all", "denied"):
                    denials.append((item, node))
    if not denials:
        return denials, None
    grant = None
    for item in section.items:
        if not isinstance(item, Section) and item.key == "require" and _first_two(item) == ("all", "granted"):
            grant = item
    return denials, grant


def _first_two(node) -> tuple[str, ...]:
    """The first two argument values, lower-cased (() with fewer than two)."""
    args = node.args
    return (args[0].value.lower(), args[1].value.lower()) if len(args) >= 2 else ()


# -- mod_rewrite, read from the config (what to ask the model about) ---------------------

@dataclass
class Rewrite:
    node: object              # the RewriteRule
    conds: list               # the RewriteCond lines right before it
    perdir: bool              # directory context (<Directory>, .htaccess)
    where: str
    section: Section | None   # the section holding it (None: server scope)
    target: object = None     # the ApacheTarget (None: a lone .htaccess)
    servers: tuple = ()       # the servers whose requests it can see

    @property
    def flags(self) -> set[str]:
        text = self.node.values[2] if len(self.node.values) > 2 else ""
        return {f.strip().split("=")[0].lower() for f in text.strip("[]").split(",") if f.strip()}

    @property
    def forbids(self) -> bool:
        """`[F]` (or `[R=403]`): the rule answers 403 when it matches."""
        text = self.node.values[2].lower() if len(self.node.values) > 2 else ""
        return bool({"f", "forbidden"} & self.flags) or "r=403" in text.replace(" ", "")


def _rewrites_in(items, perdir: bool, where: str, section, target, servers) -> list[Rewrite]:
    out: list[Rewrite] = []
    conds: list = []
    for item in items:
        if isinstance(item, Section):
            continue
        if item.key == "rewritecond":
            conds.append(item)
        elif item.key == "rewriterule":
            out.append(Rewrite(item, conds, perdir, where, section, target, tuple(servers)))
            conds = []
    return out


def engine_on(items) -> bool:
    on = False
    for item in items:
        if not isinstance(item, Section) and item.key == "rewriteengine" and item.values:
            on = item.values[0].lower() == "on"
    return on


def all_rewrites(ctx, target=None) -> list[Rewrite]:
    """Every RewriteRule whose RewriteEngine is on: server scope, directory sections, .htaccess
    (only those of `target` when given). Computed once per scan."""
    cache = _models(ctx)
    key = ("rewrites", id(target))
    if key not in cache:
        cache[key] = _all_rewrites(ctx, None) if target is None else \
            [rw for rw in all_rewrites(ctx) if rw.target is target]
    return cache[key]


def _all_rewrites(ctx, target) -> list[Rewrite]:
    out: list[Rewrite] = []
    targets = [target] if target is not None else list(ctx.apache)
    for tgt in targets:
        conf = tgt.conf
        if "rewrite_module" not in conf.modules:
            continue
        everyone = tgt.served.servers
        for server in [conf.main, *conf.vhosts]:
            servers = everyone if server is conf.main else [server]
            server_on = engine_on(server.scope)
            if server_on:
                out += _rewrites_in(server.scope, False, server.describe(), None, tgt, servers)
            for sec in server.dirs:
                # the engine state is inherited from the server for directory sections
                if engine_on(sec.items) or (server_on and not any(
                        not isinstance(i, Section) and i.key == "rewriteengine" for i in sec.items)):
                    out += _rewrites_in(sec.items, True, sec.where, sec, tgt, servers)
    for item, section in htaccess_items(ctx):
        if target is not None and item.target is not target:
            continue
        if engine_on(section.items):
            servers = [item.place.server] if item.place is not None else []
            out += _rewrites_in(section.items, True, f".htaccess {item.path}", section, item.target, servers)
    return out


# -- where a section applies -------------------------------------------------------------

def sections_with_targets(ctx, kinds=("directory", "directorymatch", "location", "locationmatch",
                                      "files", "filesmatch")):
    """(target, servers it applies to, section, where) for every section of the configurations, and
    (target, [server], htaccess section, where) for every .htaccess httpd reads; once each."""
    seen: set[int] = set()
    for target in ctx.apache:
        conf = target.conf
        everyone = target.served.servers
        for server, section, _parents in every_section(conf):
            if id(section) in seen or section.kind not in kinds:
                continue
            seen.add(id(section))
            yield target, (everyone if server is conf.main else [server]), section, section.where
    for item, section in htaccess_items(ctx):
        servers = [item.place.server] if item.place is not None else []
        yield item.target, servers, section, section.where


def htaccess_items(ctx):
    """(Htaccess, Section) for every readable .htaccess (conditionals taken as active)."""
    from confcheck.servers.apache.conf import _Builder
    for item in htaccess_files(ctx):
        if item.parsed is None:
            continue
        modules = item.target.conf.modules if item.target is not None else None
        builder = _Builder(modules if modules is not None else _AnyModule(), set(), {}, None)
        section = Section("htaccess", None, builder.items(item.parsed.nodes, item.path),
                          pattern=item.path, where=f".htaccess {item.path}")
        yield item, section


def urls_reaching(target, servers, section) -> list[tuple[object, str]]:
    """(server, URL of a directory) pairs whose requests pass through `section`: a directory
    section or .htaccess inside (or above) a served place, a plain `<Location>`. Regex and
    wildcard sections: none (no sample is guessed)."""
    out: list[tuple[object, str]] = []
    if target is None:
        return out
    places = [p for p in target.served.places if p.static and not p.variable and p.server in servers]
    if section.kind in ("directory", "htaccess") and not section.wildcard:
        directory = section.pattern.rsplit("/", 1)[0] if section.kind == "htaccess" else section.pattern
        directory = directory.rstrip("/") or "/"
        for place in places:
            url = place.url_for(directory)
            if url is None and (directory == "/" or place.directory.startswith(directory + "/")):
                url = place.url_for(place.directory)
            if url is not None:
                out.append((place.server, url))
    elif section.kind == "location" and not section.wildcard:
        url = section.pattern if section.pattern.endswith("/") else section.pattern + "/"
        out += [(server, url) for server in servers]
    return out


def same_directive(a, b) -> bool:
    """The same directive, also when the model parsed its own copy of a .htaccess."""
    if a is None or b is None:
        return False
    return a is b or (a.key == b.key and a.line == b.line and a.span.start == b.span.start)

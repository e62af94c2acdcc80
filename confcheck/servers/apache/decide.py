"""One request through Apache httpd 2.4, phase by phase (server/request.c
ap_process_request_internal, modules/http/http_request.c):

virtual host -> URI normalisation -> translate (mod_rewrite server context,
mod_alias, mod_userdir, DocumentRoot) -> map to storage (directory walk with
.htaccess, DirectoryMatch, Files, Location, If) -> access (mod_access_compat,
Satisfy) -> authorization (Require, without then with a user) -> fixups
(mod_rewrite per directory, mod_dir) -> handler (autoindex, static file).
Internal redirects (DirectoryIndex, per-directory rewrites, [PT]) run the
phases again, at most 10 times (LimitInternalRecursion).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from confcheck.parsers.syntax import Node
from confcheck.servers.apache import authz as authz_mod
from confcheck.servers.apache import content, evasive, negotiation, proxy, remoteip, rewrite, sections, setenvif
from confcheck.servers.apache.conf import ApacheConf, Server
from confcheck.servers.apache.coverage import in_force, not_modelled
from confcheck.servers.apache.envvars import RequestEnv
from confcheck.servers.apache.perdir import (OPT_INDEXES, OPT_MULTI, OPT_SYM_LINKS, OPT_SYM_OWNER, DirConf, merge,
                                             read_layer)
from confcheck.servers.apache.request import Request, UriStatus, normalize
from confcheck.servers.apache.sections import WalkStop
from confcheck.parsers.apache_loader import STATIC_NAMES
from confcheck.servers.apache.vhosts import select
from confcheck.servers.outcome import (MAX_STEPS, Final, Outcome, Step, Unfinished, not_modelled_outcome, rule_of,
                                       unfinished_reason)

MAX_RECURSION = 10
DEFAULT_DOCROOT = "/usr/local/apache2/htdocs"   # compiled-in DOCUMENT_LOCATION (Debian: /var/www/html)


class RewriteStatus(Final):
    """A status or redirect mod_rewrite answers. It sets r->status back to 200 before
    returning it (hook_uri2file, hook_fixup), so ap_die takes it as a first error: during
    an ErrorDocument's internal redirect it replaces the original status."""


@dataclass
class Model:
    """What decide() needs, built once per configuration."""

    conf: ApacheConf
    fs: object | None
    identity: object | None
    access_name: str = ".htaccess"
    _checker: object = None
    _base: dict = field(default_factory=dict)
    mime: dict = field(default_factory=dict)   # negotiation.extensions per server
    failures: list | None = None      # where confcheck.isolation records a decision that failed
    pools: list | None = None         # php-fpm pools read (None: no php-fpm configuration read)
    pool_views: object = None         # servers.phpfpm.views.PoolViews: each pool's own view of the disk
    fcgi_checkers: dict = field(default_factory=dict)
    # name prefixes of directives another layer answers for (the WAF replay, confcheck.waf_replay):
    # the model passes them as if absent, and that layer combines its verdict with this answer
    outside: tuple[str, ...] = ()

    @property
    def checker(self):
        if self._checker is None:
            from confcheck.fs.access import Checker
            if self.identity is None:
                # a disk without a worker identity: unknown, never a check as nobody in particular
                raise Final(None, "the worker's identity is unknown, so disk access cannot be judged "
                                  "(--worker-user names it)")
            self._checker = Checker(self.fs, self.identity)
        return self._checker

    def base_conf(self, server: Server) -> DirConf:
        """The server's lookup_defaults: the main server's per-directory directives, then the vhost's."""
        key = id(server)
        if key not in self._base:
            from confcheck.servers.apache.conf import Section
            conf = DirConf()
            for srv in ([self.conf.main] + ([server] if server is not self.conf.main else [])):
                sec = Section("server", srv.node, list(srv.perdir), where=srv.describe() + " (server scope)")
                conf = merge(conf, read_layer(sec, None, modules=self.conf.modules), sec.where)
            self._base[key] = conf
        return self._base[key]


class State:
    def __init__(self, model: Model, request: Request, server: Server) -> None:
        self.model = model
        self.request = request
        self.server = server
        self.trace: list[Step] = []
        self.assumptions: list[str] = []
        self.uri = "/"
        self.args = request.args
        self.filename = ""
        self.path_info = ""
        self.env = RequestEnv(self.unknown_env)
        self.user: str | None = None
        self.depth = 0
        self.no_more_rewrite = False
        self.last_redirect: Node | None = None
        self.context: tuple[str, str] | None = None     # Alias: (URL prefix, directory) for mod_rewrite
        self.coverage: dict = {}        # per-directory directives no module of the model reads (every walk)
        self.rw_nodes: list[Node] = []  # per-directory rewrite rules and conditions in force
        # (node, name[, why]): a value not known offline decided (rewrite.Env), or an environment
        # variable whose value is not known offline was read (RequestEnv)
        self.unknown_value: tuple | None = None
        self.remoteip_unknown = None    # remoteip.Unknown: the client address mod_remoteip gives is not known
        self.undecided: tuple | None = None       # (node, why): a Require the model cannot answer decided
        self.peer_ip = request.client_ip          # the connection's address (before mod_remoteip)
        self.in_subrequest = False      # inside a subrequest (mod_dir's index, MultiViews' variants)
        self.main_sections: list | None = None   # the sections the request a subrequest comes from merged
        # (cached directory, its directory-walk result): the walk cache a subrequest or an
        # internal redirect inherits from the request it came from (request.c prep_walk_cache)
        self.dir_cache: tuple | None = None
        self.unknown_directive: tuple | None = None   # (node, why): a module's case the model does not follow
        self.limits: list = []          # rate limits met: not for one request, under load (evasive.py)
        conf = model.conf
        self.root_node = conf.server_value(server, "documentroot")
        self.docroot_node = self.root_node     # what mapped the current URI (DocumentRoot, an Alias...)
        dirs = list(conf.main.dirs) + (list(server.dirs) if server is not conf.main else [])
        plain = [s for s in dirs if s.kind == "directory"]
        plain.sort(key=lambda s: s.components)      # stable: config order within a depth
        self.dir_sections = plain + [s for s in dirs if s.kind == "directorymatch"]
        self.loc_sections = list(conf.main.locs) + (list(server.locs) if server is not conf.main else [])

    def step(self, step: str, detail: str, node: Node | None = None) -> None:
        if len(self.trace) >= MAX_STEPS:
            raise Unfinished(f"more than {MAX_STEPS} steps")
        self.trace.append(Step(step, detail, node))

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)
            self.step("assumption", text)

    def unknown_env(self, name: str, node: Node, why: str) -> None:
        """A variable whose value is not known offline was read (RequestEnv.on_unknown)."""
        if self.unknown_value is None:
            self.unknown_value = (node, f"ENV:{name}", f"{why}; the answer depends on {name}")

    def document_root(self) -> str:
        node = self.root_node
        if node is None or not node.args:
            return DEFAULT_DOCROOT
        value = node.args[0].value
        if not value.startswith("/"):       # relative to ServerRoot (core's DocumentRoot, as served.py reads it)
            value = posixpath.normpath(posixpath.join(self.model.conf.server_root, value))
        return value.rstrip("/") or "/"

    def home_of(self, user: str) -> str | None:
        fs = self.model.fs
        data = fs.read_bytes("/etc/passwd") if fs is not None else None
        for line in (data or b"").decode("utf-8", "replace").splitlines():
            parts = line.split(":")
            if len(parts) >= 6 and parts[0] == user:
                return parts[5]
        return None

    # what %{...} and the file tests see ------------------------------------------
    def variable(self, name: str) -> str | None:
        req = self.request
        upper = name.upper()
        if upper.startswith("HTTP:"):
            return req.header(name[5:]) or ""
        if upper.startswith("ENV:"):
            return self.env.get(name[4:], "")
        if upper.startswith("HTTP_"):
            return req.header(upper[5:].replace("_", "-")) or ""
        if upper in ("REMOTE_ADDR", "REMOTE_HOST") and self.remoteip_unknown is not None:
            return None         # mod_remoteip's address is not known offline
        if upper == "REMOTE_HOST":
            return setenvif.remote_host(self)
        values = {
            "REQUEST_URI": self.uri, "REQUEST_FILENAME": self.filename or self.uri,
            "SCRIPT_FILENAME": self.filename or self.uri, "QUERY_STRING": self.args or "",
            "REQUEST_METHOD": req.method, "REMOTE_ADDR": req.client_ip, "HTTPS": "on" if req.scheme == "https"
            else "off", "REQUEST_SCHEME": req.scheme, "SERVER_PORT": str(req.port),
            "SERVER_NAME": req.host, "DOCUMENT_ROOT": self.document_root(), "PATH_INFO": self.path_info,
            "THE_REQUEST": f"{req.method} {req.request_uri} HTTP/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_USER": self.user or "", "IS_SUBREQ": "true" if self.in_subrequest else "false", "SERVER_ADDR": req.address,
            "CONTEXT_DOCUMENT_ROOT": self.document_root(), "CONTEXT_PREFIX": "", "AUTH_TYPE": "",
            "SERVER_SOFTWARE": "Apache", "API_VERSION": "20120211:140",
        }
        return values.get(upper)

    def file_test(self, kind: str, path: str) -> bool | None:
        if self.model.fs is None:
            return None
        if not path.startswith("/"):
            return False
        checker = self.model.checker
        if kind in ("-l", "-L", "-h"):
            parent = checker.check(posixpath.dirname(path) or "/", "search")
            if not parent.ok:
                return False
            meta = self.model.fs.lstat(parent.resolved.rstrip("/") + "/" + posixpath.basename(path))
            return meta is not None and meta.kind == "link"
        access = checker.check(path, "stat")
        if access.not_checked is not None:
            return None
        if not access.ok or access.meta is None:
            return False
        if kind == "-d":
            return access.meta.kind == "dir"
        if kind in ("-f", "-F", "-U"):
            return access.meta.kind == "file"
        if kind == "-s":
            return access.meta.kind == "file" and access.meta.size > 0
        if kind == "-x":
            return bool(access.meta.mode & 0o111)
        return True


def decide(model: Model, request: Request) -> Outcome:
    selection = select(model.conf, request)
    if selection.plain_on_tls is not None:
        return _plain_on_tls(model, request, *selection.plain_on_tls)
    st = State(model, request, selection.server)
    st.step("vhost", f"{selection.server.describe()}: {selection.reason}", selection.node)
    if selection.assumption:
        st.assume(selection.assumption)
    try:
        remoteip.apply(st)
        try:
            uri = normalize(request.raw_path, allow_encoded_slashes=_encoded_slashes(st))
        except UriStatus as exc:
            raise Final(exc.status, exc.reason, None, None, "APA-encoded-slash" if exc.status == 404 else None) from None
        st.step("uri", f"URI {uri}" + (f" query {request.args}" if request.args else ""))
        _process(st, uri, request.args)
    except (Unfinished, RecursionError) as exc:
        del st.trace[MAX_STEPS // 10:]     # the head shows where it started; the rest repeats
        final = Final(None, unfinished_reason(exc))
    except Final as caught:
        final = _conditional(request, _error_document(st, caught))
        unknown = not_modelled(st, final.status) or st.unknown_directive
        if unknown is None and st.undecided is not None:
            unknown = st.undecided
        if unknown is None and st.unknown_value is not None:
            node, name, *why = st.unknown_value
            unknown = (node, why[0] if why else f"%{{{name}}} is not known offline; what {node.name} does depends on it",
                       f"%{{{name}}}")
        if unknown is not None:
            node, why, *variable = unknown
            return not_modelled_outcome(request, st.trace, node, why, final, *variable, assumptions=st.assumptions,
                                        server="apache", limits=st.limits)
    else:
        raise AssertionError("decide() always ends with a status")
    st.trace.append(Step("status", f"{final.status if final.status is not None else 'unknown'}: {final.reason}",
                         final.node))
    return Outcome(request, final.status, final.reason, final.node, final.fs_path, final.rule, st.trace,
                   final.location, [], st.assumptions, server="apache", limits=st.limits)


# headers whose answer to a 200 httpd decides after the handler (ap_meets_conditions: 304/412;
# the byterange filter: 206/416): not modelled here, so such a 200 is unknown, never a 200
_CONDITIONAL = ("if-modified-since", "if-unmodified-since", "if-match", "if-none-match", "range")


def _conditional(request: Request, final: Final) -> Final:
    if final.status != 200:
        return final
    sent = [name for name in _CONDITIONAL if request.header(name) is not None]
    if not sent:
        return final
    names = ", ".join(name.title() for name in sent)
    return Final(None, f"not modelled: httpd's answer to a request with {names} (304, 412, 206 or 416 "
                       f"from the conditional and byte-range checks); without it: 200 ({final.reason})",
                 final.node, final.fs_path)


def _plain_on_tls(model: Model, request: Request, server, node: Node) -> Outcome:
    """Plain HTTP on a port mod_ssl runs TLS on: mod_ssl drops what the client sent and feeds
    the core `GET / HTTP/1.0` with no header (ssl_io_filter_error), so the base server answers
    it, and its post_read_request hook refuses it 400 ("You're speaking plain HTTP to an
    SSL-enabled server port"): that server's ErrorDocument 400 for `/` applies."""
    from dataclasses import replace
    pos = node.span.position()
    why = (f"a plain HTTP request on a TLS port (SSLEngine on at {pos['file']}:{pos['line']}): mod_ssl "
           f"answers the request `GET /` it substitutes 400 (You're speaking plain HTTP to an SSL-enabled "
           f"server port)")
    st = State(model, replace(request, method="GET", raw_path="/", args="", headers={}), server)
    st.step("vhost", f"{server.describe()}: the connection's base server (what the client sent is not read)", node)
    st.step("tls", why, node)
    final = _error_document(st, Final(400, why, node))
    unknown = not_modelled(st, final.status) or st.unknown_directive or st.undecided
    if unknown is not None:
        found, reason, *variable = unknown
        return not_modelled_outcome(request, st.trace, found, reason, final, *variable, assumptions=st.assumptions,
                                    server="apache", limits=st.limits)
    st.trace.append(Step("status", f"{final.status if final.status is not None else 'unknown'}: {final.reason}",
                         final.node))
    return Outcome(request, final.status, final.reason, final.node, final.fs_path, final.rule, st.trace,
                   final.location, [], st.assumptions, server="apache", limits=st.limits)


def _error_document(st: State, final: Final) -> Final:
    """ErrorDocument for an error (http_request.c ap_die): a URL turns it into a 302 to that
    URL; a message keeps the status; a local page is an internal redirect (as GET, the
    environment renamed REDIRECT_*, REDIRECT_STATUS the error) whose own failures keep the
    first status (a recursive error), except a status mod_rewrite answers there: that one
    set r->status back to 200 first, so it replaces the first and has its own ErrorDocument."""
    if final.status is None or final.status < 400:
        return final
    node = in_force(st).get(f"errordocument {final.status}")
    if node is None or len(node.args) < 2:
        return final
    target = node.args[1]
    value = target.value
    if target.raw.startswith('"') or value.lower() == "default" or not (_URL.match(value) or value.startswith("/")):
        st.step("error_document", f"ErrorDocument {final.status} {target.raw}: the status stays {final.status}",
                node)
        return final
    if value.startswith("/"):
        return _error_page(st, final, node, value)
    if final.status == 401:
        # ap_die: the client must see the challenge (AH00568: cannot use a full URL in a 401 ErrorDocument)
        st.step("error_document", "ErrorDocument 401 names a URL: ignored, the status stays 401", node)
        return final
    st.step("error_document", f"ErrorDocument {final.status} names a URL: redirect", node)
    return Final(302, f"{final.reason}; ErrorDocument {final.status} redirects to {value}", node,
                 location=value)


def _error_page(st: State, final: Final, node: Node, value: str) -> Final:
    from dataclasses import replace
    path, _, query = value.partition("?")
    st.step("error_document", f"ErrorDocument {final.status} {value}: internal redirect (GET) to {path}", node)
    request = st.request
    st.request = replace(request, method="GET")
    st.env = st.env.redirected(final.status)
    st.depth += 1
    try:
        _process(st, path, query)
    except RewriteStatus as again:
        st.step("error_document", f"the error page's request: {again.reason}; mod_rewrite's status replaces "
                f"{final.status}", again.node)
        return _error_document(st, again)
    except Final as page:
        if page.status is None:
            return Final(None, f"ErrorDocument {final.status} {value}: {page.reason}", page.node)
        st.step("error_document", f"the error page answers {page.status} ({page.reason}): the status stays "
                f"{final.status}", page.node)
        return final
    except (Unfinished, RecursionError) as exc:
        return Final(None, unfinished_reason(exc))
    finally:
        st.request = request
    raise AssertionError("_process always ends with a status")


_URL = re.compile(r"^[A-Za-z0-9+.-]+:")     # ap_is_url


def _encoded_slashes(st: State) -> str:
    node = st.model.conf.server_value(st.server, "allowencodedslashes")
    if node is None or not node.values:
        return "off"
    return node.values[0].lower()


def _process(st: State, uri: str, args: str, *, filename: str | None = None) -> None:
    limit = _recursion_limit(st)
    if st.depth > limit:
        if st.last_redirect is not None and st.last_redirect.key == "fallbackresource":
            # mod_dir's fallback is a lookup subrequest inside the one before it
            raise Final(500, f"Request exceeded the limit of {limit} subrequest nesting levels due to probable "
                             "configuration error (AH00125)", st.last_redirect, None, "APA-rewrite-loop")
        raise Final(500, f"Request exceeded the limit of {limit} internal redirects due to probable "
                         "configuration error (AH00124)", st.last_redirect, None, "APA-rewrite-loop")
    st.uri, st.args = uri, args
    walk, script = _lookup(st, uri, filename)
    _content(st, walk, script)


def _lookup(st: State, uri: str, filename: str | None = None):
    """ap_process_request_internal up to the access checks: translate, the section
    walks, mod_setenvif, access and authorization. Returns (walk, script)."""
    st.context = None
    script = False
    if filename is None:
        taken = proxy.pass_for(st, uri)
        if taken is not None:
            _proxy(st, *taken)
        filename, script = _translate(st, uri)
        if st.request.method == "TRACE" and not st.in_subrequest:
            _trace(st)
    st.filename = filename
    base = st.model.base_conf(st.server)
    if not filename.startswith("/"):
        raise Final(None, f"{filename}: not a file path (handled by another module)")
    if st.model.fs is None:
        raise Final(None, f"the directory walk would look at {filename}; config-only answers do not read "
                          "the disk", st.docroot_node)
    try:
        walk = None
        if st.dir_cache is not None:
            walk = sections.cached_walk(st, st.dir_cache, filename)
        if walk is None:
            walk = sections.directory_walk(st, base, filename)
        st.dir_cache = (sections.walk_cache_key(walk), walk.conf)
        conf = sections.file_walk(st, walk.conf, walk.filename)
        conf = sections.location_walk(st, conf, uri)
        conf = sections.if_walk(st, conf)
    except WalkStop as stop:
        raise Final(stop.status, stop.reason, stop.node, stop.fs_path, stop.rule) from None
    walk.conf = conf
    st.coverage.update(conf.others)
    st.rw_nodes += [n for rule in conf.rw_rules for n in [rule.node] + [c.node for c in rule.conds]]
    st.filename, st.path_info = walk.filename, walk.path_info
    st.step("map", f"file {walk.filename}" + (f" path info {walk.path_info}" if walk.path_info else "")
            + ("" if walk.meta is not None else " (does not exist)"))
    if not st.in_subrequest:
        st.main_sections = conf.applied
        setenvif.run(st, conf)
    elif conf.applied == st.main_sections:
        # request.c skips authn/authz of a subrequest whose merged configuration is its main
        # request's (the walks' caches give the same sections the same result): a GET lookup
        # under `Require method POST` or <Limit POST> passes where the request itself did
        st.step("access", "the subrequest merged the same sections as the request: its access checks "
                "are skipped (the request passed them)")
        return walk, script
    # (mod_setenvif runs in post_read_request and header_parser: never for a subrequest,
    # which starts from a copy of its main request's environment)
    _access(st, conf)
    return walk, script


def _content(st: State, walk, script: bool, *, index: bool = False) -> None:
    """type_checker, fixups and the handler. `index`: mod_dir's index file, whose fixups ran
    in its subrequest (mod_rewrite passes over [R] and [NS] rules there)."""
    conf = walk.conf
    if walk.meta is None and conf.opts & OPT_MULTI and "negotiation_module" in st.model.conf.modules:
        found = negotiation.multiviews(st, walk, lambda path, uri, keep: _sub_lookup(st, uri, path, lambda _walk: keep),
                                       conf.opts_node)
        if found is not None:
            walk, script = found
            conf = walk.conf
    if _perdir_rewrite(st, walk, subrequest=index):
        return
    _perdir_redirect(st, conf)
    if script and not st.model.conf.modules & {"cgi_module", "cgid_module"}:
        st.step("content", "ScriptAlias: no CGI module is loaded, so the default handler serves the file")
        script = False
    if script:
        raise Final(None, f"ScriptAlias: {walk.filename} is run as a CGI program; its status is the "
                          "program's", st.docroot_node)
    handler, hnode = content.handler_for(st, walk)
    if handler is not None and handler.lower().startswith("proxy:"):
        from confcheck.servers.apache.fcgi import php_fpm_final
        final = php_fpm_final(st, hnode, handler, walk.filename)
        if final is not None:
            raise final
    if handler is not None and walk.meta is not None and walk.meta.kind == "file":
        raise Final(None, f"handled by '{handler}' ({hnode.name} {' '.join(a.raw for a in hnode.args)}): the "
                          "status is the program's", hnode)
    _serve(st, walk)


def _proxy(st: State, node: Node, url: str) -> None:
    """A URL ProxyPass takes: <Proxy> sections instead of <Directory>/<Files>, then
    <Location> and <If>; the access checks; then the backend answers (status null)."""
    st.filename = "proxy:" + url
    st.step("translate", f"{node.name} {' '.join(a.raw for a in node.args)} hands {st.uri} to mod_proxy "
            f"as {url}: no <Directory> or <Files> section applies", node)
    conf = st.model.base_conf(st.server)
    try:
        for sec in proxy.sections_for(st, url):
            conf = sections.apply(st, conf, sec, None)
        conf = sections.location_walk(st, conf, st.uri)
        conf = sections.if_walk(st, conf)
    except WalkStop as stop:
        raise Final(stop.status, stop.reason, stop.node, stop.fs_path, stop.rule) from None
    st.coverage.update(conf.others)
    setenvif.run(st, conf)
    _access(st, conf)
    from confcheck.servers.apache.fcgi import php_fpm_final
    final = php_fpm_final(st, node, url, None)
    if final is not None:
        raise final
    raise Final(None, f"{node.name} {' '.join(a.raw for a in node.args)}: handed to the backend {url} after the "
                      "access checks allowed it; the status is the backend's", node)


def _trace(st: State) -> None:
    """ap_send_http_trace, a map_to_storage hook: after translate_name (server-context rewrites,
    Alias, Redirect) and before the directory walk and every access check."""
    node = st.model.conf.server_value(st.server, "traceenable")
    if node is not None and node.values and node.values[0].lower() == "off":
        raise Final(405, "TraceEnable Off: TRACE is refused", node)
    raise Final(200, "TRACE is answered by the core (TraceEnable on by default) after the URL was "
                     "translated, before any access check", node)


def _translate(st: State, uri: str) -> tuple[str, bool]:
    st.docroot_node = st.root_node
    srv_rw = _server_rewrite(st, uri)
    if srv_rw is not None:
        return srv_rw, False
    kind, value, status, node = content.translate(st, uri)
    if kind == "redirect":
        if status == 410 or not value:
            raise Final(410 if status == 410 else status, f"{node.name}: gone", node)
        if st.args and "?" not in value:
            value += "?" + st.args      # mod_alias translate_alias_redir, as fixup_redir below
        raise Final(status, f"{node.name} {' '.join(a.raw for a in node.args)}: redirect to {value}", node,
                    location=value)
    if node is not None and node.key in ("alias", "aliasmatch", "scriptalias") and node.key == "alias":
        st.context = (node.values[0].rstrip("/"), node.values[1].rstrip("/"))
    if node is not None and node.key != "documentroot":
        st.step("translate", f"{node.name} {' '.join(a.raw for a in node.args)} maps {uri} to {value}", node)
        if node.key != "documentroot":
            st.docroot_node = node
    else:
        st.step("translate", f"DocumentRoot {st.document_root()} + {uri}", node)
    return value, kind == "script"


def _server_rewrite(st: State, uri: str) -> str | None:
    srv = st.server
    conf = st.model.conf
    if "rewrite_module" not in conf.modules or st.no_more_rewrite:
        return None
    rules, engine = _server_rules(st, srv)
    if not engine or not rules:
        return None
    env = rewrite.Env(st.variable, st.file_test, st.env)
    st.filename = uri
    action = rewrite.run(rules, uri, env, perdir=None, base=None, args=st.args, subrequest=st.in_subrequest)
    for name in env.unknown:
        st.assume(f"%{{{name}}} is not known offline: taken as empty")
    st.unknown_value = st.unknown_value or env.deciding
    return _apply_action(st, action, server=True)


def _server_rules(st: State, srv: Server):
    from confcheck.servers.apache.conf import Section
    from confcheck.servers.apache.perdir import _Layer
    layer = _Layer()
    engine = False
    for node in srv.scope:
        if node.key == "rewriteengine" and node.values:
            engine = node.values[0].lower() == "on"
        elif node.key in ("rewritecond", "rewriterule"):
            rewrite.add_directive(layer, node)
    rules = list(layer.rw_rules)
    options = {w.lower() for n in srv.scope if n.key == "rewriteoptions" for w in n.values}
    if srv is not st.model.conf.main and ("inherit" in options or "inheritbefore" in options):
        main_rules, _ = _server_rules(st, st.model.conf.main)
        rules = (main_rules + rules) if "inheritbefore" in options else (rules + main_rules)
    del Section
    return rules, engine


def _apply_action(st: State, action, *, server: bool) -> str | None:
    if action.kind == "none":
        return None
    text = " ".join([action.node.name] + [a.raw for a in action.node.args]) if action.node else ""
    if action.end:
        st.no_more_rewrite = True
    if action.kind == "status":
        rule = "APA-rewrite-F" if action.status == 403 else None
        raise RewriteStatus(action.status, f"{text}: mod_rewrite answers {action.status}"
                            + (" (the [F] flag; nothing is logged below LogLevel rewrite:trace2)"
                               if action.status == 403 else ""), action.node, None, rule)
    if action.kind == "proxy":
        raise Final(None, f"{text}: handed to mod_proxy ({action.target}); the status is the backend's",
                    action.node)
    if action.args is not None:
        st.args = action.args
    if action.kind == "redirect":
        target = action.target
        if not target.startswith(("http://", "https://")) and target.startswith("/"):
            target = f"{st.request.scheme}://{st.request.headers.get('host', st.request.host)}{target}"
        if st.args:
            target += "?" + st.args
        raise RewriteStatus(action.status, f"{text}: redirect to {target}", action.node, location=target)
    st.step("rewrite", f"{text}: {st.uri} -> {action.target}", action.node)
    if action.passthrough:
        kind, value, _, node = content.translate(st, action.target)
        st.uri = action.target
        return value
    if _prefix_exists(st, action.target):
        return action.target
    return st.document_root() + action.target


def _prefix_exists(st: State, path: str) -> bool:
    first = "/" + path.lstrip("/").split("/", 1)[0]
    test = st.file_test("-e", first)
    return bool(test)


def _access(st: State, conf: DirConf) -> None:
    req = st.request
    if st.depth == 0 and not st.in_subrequest and not st.limits:
        _note_evasive(st)
    ctx = authz_mod.Context(req.method, req.client_ip, st.env, None,
                            lambda text: __import__("confcheck.servers.apache.expr", fromlist=["evaluate"]).evaluate(text, st),
                            st.assume)
    if st.remoteip_unknown is not None:
        ctx.client_unknown = f"the client address is {st.remoteip_unknown.why}"
    ctx.file_ids = lambda: _file_ids(st)
    satisfy = conf.satisfy_for(req.method)
    compat_ok, compat_node, compat_why = authz_mod.check_access_compat(conf, ctx)
    if ctx.host_entries:
        # `Allow/Deny from NAME` needs DNS: the answer stands only if it is the same either way
        ctx.hosts_match = True
        if authz_mod.check_access_compat(conf, ctx)[0] != compat_ok:
            entry = ctx.host_entries[0]
            st.undecided = (entry.node, f"'{entry.node.name} from {entry.value}' is matched by a DNS lookup of "
                                        f"the client" if entry.kind == "host" else ctx.client_unknown)
            raise Final(403 if not compat_ok else None, compat_why, entry.node)
        ctx.hosts_match = False
    if conf.access_compat_set:
        st.step("access", f"mod_access_compat: {compat_why}", compat_node)
    if satisfy is not None and satisfy[0] == "any":
        if compat_ok:
            st.step("access", "Satisfy Any: the host-based check grants access; Require is not consulted",
                    satisfy[1])
            return
    elif not compat_ok:
        raise Final(403, f"AH01797: client denied by server configuration: {st.filename} ({compat_why})",
                    compat_node, None, "APA-access-compat")
    section = conf.authz
    if section is None:
        if conf.auth_type is not None and _auth_type(conf) != "none":
            raise Final(500, "AH01627: AuthType configured with no corresponding authorization directives",
                        conf.auth_type, None, "APA-auth")
        st.step("authz", "no Require applies: granted")
        return
    result = _authz(st, section, ctx)
    if result == authz_mod.GRANTED:
        with st.env.muted():
            node = authz_mod.deciding_require(section, ctx, authz_mod.GRANTED)
        st.step("authz", f"{node.text() if node else section.text()}: granted", node.node if node else section.node)
        return
    if result in (authz_mod.DENIED, authz_mod.NEUTRAL):
        with st.env.muted():
            node = authz_mod.deciding_require(section, ctx, authz_mod.DENIED) or section
        missing_root = _missing_root(st)
        if missing_root is not None:
            raise Final(403, f"AH01630: client denied by server configuration: {st.filename} ({node.text()}: "
                             f"{result}): DocumentRoot {missing_root} does not exist, so its <Directory> "
                             "never applies", st.docroot_node, missing_root, "APA102")
        raise Final(403, f"AH01630: client denied by server configuration: {st.filename} "
                         f"({node.text()}: {result})", node.node, None, "APA-require")
    # a user is needed: authentication (mod_auth_basic, mod_authn_file)
    with st.env.muted():
        needs = authz_mod.deciding_require(section, ctx, authz_mod.NO_USER)
    st.step("authz", f"{needs.text() if needs else section.text()}: needs an authenticated user",
            needs.node if needs else section.node)
    try:
        _authenticate(st, conf, section)
    except Final as final:
        if final.status == 401 and needs is not None:
            final.node = needs.node
        raise
    ctx.user = st.user
    ctx.groups = _groups_of(st, conf, st.user)
    result = _authz(st, section, ctx)
    if result == authz_mod.GRANTED:
        st.step("authz", f"user {st.user}: granted")
        return
    with st.env.muted():
        node = authz_mod.deciding_require(section, ctx, result) or section
    if result == authz_mod.NO_USER or not conf.authz_forbidden_on_fail:
        raise Final(401, f"user {st.user}: authorization failure ({node.text()})", node.node, None, "APA-auth")
    raise Final(403, f"user {st.user}: authorization failure ({node.text()}), AuthzSendForbiddenOnFailure",
                node.node, None, "APA-require")


def _note_evasive(st: State) -> None:
    """mod_evasive's access checker: the first request is never limited; the limit is named
    with what it answers under load, unless DOSWhitelist names the client."""
    found = evasive.limit(st.model.conf)
    if found is None:
        return
    listed = evasive.whitelisted(st.model.conf, st.peer_ip)
    if listed is not None:
        st.step("access", f"mod_evasive: {st.peer_ip} is listed by DOSWhitelist: never limited", listed)
        return
    st.limits.append(found)
    st.step("access", found.describe(), found.directive)


def _authz(st: State, section, ctx) -> str:
    """The Require tree's answer; one the model cannot give offline (DNS, LDAP, a database,
    an expression) stops the decision: status null naming that Require line."""
    result = authz_mod.evaluate(section, ctx)
    if result != authz_mod.UNKNOWN:
        return result
    leaf, why = ctx.undecided[0] if ctx.undecided else (section, "not known offline")
    st.undecided = (leaf.node, why)
    raise Final(403 if ctx.user is None else 401, f"{leaf.text()}: {why}", leaf.node)


def _file_ids(st: State):
    """mod_authz_owner: (owner name, group name) of r->filename as httpd stats it (following
    links), None when httpd cannot stat it (denied), or why it is not known."""
    if st.model.fs is None:
        return "the file's owner is on the disk, which config-only answers do not read"
    access = st.model.checker.check(st.filename, "stat")
    if access.not_checked is not None:
        return f"{st.filename}: {access.not_checked.reason}"
    if not access.ok or access.meta is None:
        return None
    from confcheck.fs.identity import Accounts
    accounts = Accounts.load(st.model.fs)
    return accounts.user_names.get(access.meta.uid), accounts.group_names.get(access.meta.gid)


def _groups_of(st: State, conf: DirConf, user: str | None):
    """The AuthGroupFile groups naming the user (mod_authz_groupfile groups_for_user),
    or None when there is no group file or the worker cannot open it (AH01664/AH01665:
    every `Require group` then denies)."""
    node = conf.auth_group_file
    if node is None or not node.values or user is None or st.model.fs is None:
        return None
    path = node.values[0]
    if not path.startswith("/"):
        path = posixpath.join("/etc/apache2", path)
    access = st.model.checker.check(path, "read")
    if access.not_checked is not None:
        raise Final(None, f"{path}: {access.not_checked.reason} (the scanner cannot read the group file)", node)
    if not access.ok:
        st.step("authz", f"AH01665: Could not open group file: {path} ({access.denial.detail}): "
                         "every Require group denies", node)
        return None
    groups = set()
    for line in (st.model.fs.read_bytes(path) or b"").decode("utf-8", "replace").splitlines():
        if not line or line.startswith("#"):
            continue
        name, sep, members = line.partition(":")
        if user in members.split():
            groups.add(name.rstrip())
    return groups


def _missing_root(st: State) -> str | None:
    node = st.docroot_node
    if node is None or node.key not in ("documentroot", "alias", "aliasmatch") or st.model.fs is None:
        return None
    root = st.document_root() if node.key == "documentroot" else (node.values[1] if len(node.values) > 1 else "")
    root = root.rstrip("/") or "/"
    if not st.filename.startswith(root):
        return None
    access = st.model.checker.check(root, "stat")
    if not access.ok and access.denial is not None and access.denial.need == "missing":
        return root
    return None


def _auth_type(conf: DirConf) -> str:
    node = conf.auth_type
    return node.values[0].lower() if node is not None and node.values else "none"


def _authenticate(st: State, conf: DirConf, section) -> None:
    auth_type = _auth_type(conf)
    if auth_type != "basic" or "auth_basic_module" not in st.model.conf.modules:
        raise Final(500, "a Require needs an authenticated user but no AuthType Basic applies: "
                         "'configuration error: couldn't check user. Check your authn provider!'",
                    conf.auth_type or section.node, None, "APA-auth")
    if conf.auth_name is None:
        # mod_auth_basic wants a realm before it looks at the credentials
        raise Final(500, f"AH01615: need AuthName: {st.uri}", conf.auth_type, None, "APA-auth")
    creds = st.request.basic_credentials()
    realm = conf.auth_name.values[0] if conf.auth_name.values else ""
    if creds is None:
        raise Final(401, f"AuthType Basic (realm \"{realm}\"): no credentials sent", conf.auth_type,
                    None, "APA-auth")
    node = conf.auth_user_file
    if node is None or not node.values:
        raise Final(500, "AuthType Basic without AuthUserFile: credentials cannot be checked",
                    conf.auth_type, None, "APA-auth")
    path = node.values[0]
    if not path.startswith("/"):
        path = posixpath.join("/etc/apache2", path)
    access = st.model.checker.check(path, "read")
    if access.not_checked is not None:
        st.assume(f"{path}: {access.not_checked.reason}: the credentials are taken as valid")
        st.user = creds[0]
        return
    if not access.ok:
        denial = access.denial
        missing = denial.need == "missing"
        raise Final(500, f"AH01620: Could not open password file: {path} ({denial.detail})", node,
                    path if missing else denial.path, "FS106" if missing else "FS105")
    from confcheck.servers.nginx.htpasswd import verify
    verdict = verify(st.model.fs.read_bytes(path) or b"", *creds)
    if verdict is None:
        st.assume(f"the password hash of {creds[0]} in {path} cannot be checked offline: taken as right")
    elif verdict is False:
        raise Final(401, f"user {creds[0]}: authentication failure (unknown user or wrong password)", node,
                    None, "APA-auth")
    st.user = creds[0]
    st.step("authn", f"user {creds[0]} authenticated against {path}", node)


def _perdir_rewrite(st: State, walk, *, subrequest: bool = False) -> bool:
    conf = walk.conf
    # hook_fixup: the engine on in a section is enough for the Options check, rules or not
    if not conf.rw_engine or "rewrite_module" not in st.model.conf.modules:
        return False
    if conf.rw_directory is None:
        if not st.no_more_rewrite:
            _section_rewrite(conf)
        return False
    directory = conf.rw_directory if conf.rw_directory.endswith("/") else conf.rw_directory + "/"
    if walk.filename == directory[:-1] or st.no_more_rewrite:
        return False            # .../dir without its slash: mod_dir redirects first; [END] was used
    if not conf.opts & (OPT_SYM_LINKS | OPT_SYM_OWNER):
        raise Final(403, "AH00670: Options FollowSymLinks and SymLinksIfOwnerMatch are both off, so the "
                         "RewriteRule directive is also forbidden due to its similar ability to circumvent "
                         f"directory restrictions: {walk.filename}",
                    conf.rw_rules[0].node if conf.rw_rules else conf.rw_engine_node, None, "APA114")
    if not conf.rw_rules:
        return False
    full = walk.filename + walk.path_info
    subject = full[len(directory):] if full.startswith(directory) else full
    env = rewrite.Env(st.variable, st.file_test, st.env)
    action = rewrite.run(conf.rw_rules, subject, env, perdir=directory,
                         base=conf.rw_base.values[0] if conf.rw_base is not None else None, args=st.args,
                         subrequest=subrequest)
    for name in env.unknown:
        st.assume(f"%{{{name}}} is not known offline: taken as empty")
    st.unknown_value = st.unknown_value or env.deciding
    if action.kind == "none":
        if action.end:
            st.no_more_rewrite = True
        return False
    if action.kind == "redirect" and not action.target.startswith(("http://", "https://")):
        action.target = _physical_to_uri(st, conf, directory, action.target)
    if action.kind != "rewrite":
        _apply_action(st, action, server=False)
        return False
    if action.end:
        st.no_more_rewrite = True
    text = " ".join([action.node.name] + [a.raw for a in action.node.args])
    target = action.target
    if target == walk.filename:
        st.step("rewrite", f"{text}: the result equals the current file name: ignored", action.node)
        return False
    if action.args is not None:
        st.args = action.args
    new_uri = _physical_to_uri(st, conf, directory, target)
    st.step("rewrite", f"{text}: {subject} -> {target}: internal redirect to {new_uri}", action.node)
    st.last_redirect = action.node
    st.depth += 1
    st.env = st.env.redirected(200)     # ap_internal_redirect from mod_rewrite's handler
    _process(st, new_uri, st.args)
    return True


def _section_rewrite(conf: DirConf) -> None:
    """Rules from a <Location>/<Files>/<DirectoryMatch> section: httpd's per-directory
    prefix is then the section's pattern (cmd->path), not a directory. The Options check
    comes before any rule (hook_fixup), so without FollowSymLinks and
    SymLinksIfOwnerMatch it is the same 403; what the rules do after it is
    not modelled."""
    sec = conf.rw_section
    if sec is None or sec.kind not in ("location", "locationmatch", "files", "filesmatch", "directorymatch"):
        return
    node = conf.rw_rules[0].node if conf.rw_rules else conf.rw_engine_node
    if not conf.opts & (OPT_SYM_LINKS | OPT_SYM_OWNER):
        raise Final(403, "AH00670: Options FollowSymLinks and SymLinksIfOwnerMatch are both off, so the "
                         "RewriteRule directive is also forbidden due to its similar ability to circumvent "
                         "directory restrictions", node, None, "APA114")
    if not conf.rw_rules:
        return
    raise Final(None, f"not modelled: RewriteRule in {sec.describe()} at {node.file}:{node.line} (per-directory "
                      "rules whose prefix is a URL or file pattern)", node)


def _perdir_redirect(st: State, conf: DirConf) -> None:
    """mod_alias fixup_redir: Redirect* in <Directory>/.htaccess, against the URI."""
    for node in conf.redirects:
        found = content._redirect(node, st.uri)
        if found is None:
            continue
        target, status = found
        if status == 410 or not target:
            raise Final(410, f"{node.name}: gone", node)
        if st.args and "?" not in target:
            target += "?" + st.args
        raise Final(status, f"{node.name} {' '.join(a.raw for a in node.args)}: redirect to {target}", node,
                    location=target)


def _physical_to_uri(st: State, conf: DirConf, directory: str, target: str) -> str:
    if conf.rw_base is not None and conf.rw_base.values:
        base = conf.rw_base.values[0]
        if target.startswith(directory):
            return base.rstrip("/") + "/" + target[len(directory):]
        return target
    if st.context is not None and target.startswith(st.context[1] + "/"):
        return st.context[0] + target[len(st.context[1]):]
    root = st.document_root().rstrip("/")
    if target.startswith(root + "/"):
        return target[len(root):]
    return target


def _serve(st: State, walk) -> None:
    conf = walk.conf
    meta = walk.meta
    method = st.request.method
    node = st.docroot_node
    from confcheck.servers.apache.perdir import method_key
    if method_key(method) == "OTHER":
        raise Final(501, f"{method} is not a method httpd knows: 501 Not Implemented", None)
    if meta is not None and meta.kind == "dir" and not walk.path_info:
        _directory(st, walk)
        return
    if meta is None and _usable_fallback(conf):
        # mod_dir's fixup, before the handler looks at the method
        st.step("content", f"FallbackResource {conf.fallback.values[0]}: {walk.filename} does not exist",
                conf.fallback)
        _fallback(st, conf.fallback)
    if method not in ("GET", "HEAD", "POST"):
        if method == "OPTIONS":
            raise Final(200, "OPTIONS is answered by the core with the allowed methods", node)
        raise Final(405, f"the default handler does not allow {method} (Allow: HEAD,GET,POST,OPTIONS,TRACE)",
                    node)
    if meta is None:
        from confcheck.fs.sandbox import hidden_note
        raise Final(404, f"AH00128: File does not exist: {walk.filename}{walk.path_info}"
                    + hidden_note(st.model.fs, walk.filename), node)
    if meta.kind == "dir":
        raise Final(404, f"AH00128: File does not exist: {walk.filename}{walk.path_info}", node)
    if walk.path_info and conf.accept_path_info != "on":
        # default_handler refuses path info it was not told to accept
        raise Final(404, f"AH00130: File does not exist: {walk.filename}{walk.path_info} (path info after a "
                         "file; AcceptPathInfo is not On)", node)
    access = st.model.checker.check(walk.filename, "read")
    if access.not_checked is not None:
        raise Final(None, f"{walk.filename}: {access.not_checked.reason} (the scanner cannot look)", node,
                    walk.filename)
    if not access.ok:
        denial = access.denial
        raise Final(403, f"AH00132: file permissions deny server access: {walk.filename} ({denial.detail})",
                    node, denial.path, rule_of(denial, "FS102" if denial.need == "r" else "FS101" if
                                               denial.need == "x" else "FS108"))
    raise Final(200, f"serves {walk.filename}" + (" (POST to a static file is served like GET)"
                                                  if method == "POST" else ""), node)


def _usable_fallback(conf: DirConf) -> bool:
    node = conf.fallback
    return node is not None and bool(node.values) and node.values[0].lower() != "disabled"


def _fallback(st: State, node: Node) -> None:
    """mod_dir's fixup_dflt: a GET subrequest for the FallbackResource. A regular file it
    may see is served in place with the request's own method (ap_internal_fast_redirect:
    a DELETE is then the default handler's 405); a redirect, or a status other than 200
    and 404, is the answer; otherwise the request goes on to its own handler. A fallback
    missing too runs the subrequest's own fallback, nesting until the limit (AH00125)."""
    target = node.values[0]
    limit = _recursion_limit(st)
    depth = st.depth
    st.depth += 1
    st.last_redirect = node
    if st.depth > limit:
        raise Final(500, f"Request exceeded the limit of {limit} subrequest nesting levels due to probable "
                         "configuration error (AH00125)", node, None, "APA-rewrite-loop")
    found = _sub_lookup(st, target.partition("?")[0], None,
                        lambda walk: walk.meta is not None and walk.meta.kind == "file")
    if isinstance(found, Final):
        if found.status not in (200, 404):
            st.step("content", f"FallbackResource {target}: its subrequest answers {found.status}", node)
            raise Final(found.status, found.reason, found.node, found.fs_path, found.rule, found.location)
    else:
        walk, script, kept = found
        if kept:
            st.step("content", f"FallbackResource {target}: {walk.filename} is served in place "
                    "(mod_dir's fast internal redirect; the request keeps its method)", node)
            _content(st, walk, script, index=True)
            return
        if walk.meta is None and _usable_fallback(walk.conf):
            _fallback(st, walk.conf.fallback)
        elif walk.meta is not None and not target.partition("?")[0].endswith("/"):
            if walk.conf.slash is not False:
                # the subrequest's fixup_dir redirects to the slash, and mod_dir passes a redirect on
                location = f"{st.request.scheme}://{st.request.headers.get('host', st.request.host)}" \
                           f"{target.partition('?')[0]}/" + (f"?{st.args}" if st.args else "")
                raise Final(301, f"FallbackResource {target} is a directory: its subrequest redirects to add "
                                 "the slash", node, location=location)
        elif walk.meta is not None:
            # the subrequest's own fixups (mod_dir's index lookups) decide what it is
            why = f"FallbackResource {target} names a directory ({walk.filename})"
            st.unknown_directive = (node, why)
            raise Final(None, f"not modelled: {why}", node)
    st.step("content", f"FallbackResource {target}: no file to serve in place; the request goes on", node)
    st.depth = depth


def _recursion_limit(st: State) -> int:
    node = st.model.conf.server_value(st.server, "limitinternalrecursion")
    if node is not None and node.values and node.values[0].isdigit():
        return int(node.values[0])
    return MAX_RECURSION


def _directory(st: State, walk) -> None:
    conf = walk.conf
    node = st.docroot_node
    if not st.uri.endswith("/"):
        if conf.slash is False:
            st.step("content", "DirectorySlash Off: no redirect and no DirectoryIndex lookup", conf.index)
            _autoindex(st, walk, ())
            return
        location = f"{st.request.scheme}://{st.request.headers.get('host', st.request.host)}{st.uri}/"
        if st.args:
            location += "?" + st.args
        raise Final(301, f"mod_dir: {st.uri} is a directory: redirect to add the slash", node, location=location)
    error = None
    names = conf.index_names
    for name in names:
        sub_uri = name if name.startswith("/") else st.uri + name
        found = _subrequest(st, sub_uri)
        if found is None:
            continue
        if not isinstance(found, Final):
            st.step("content", f"DirectoryIndex {name}: {sub_uri} is served in place of {walk.filename} "
                    "(mod_dir's fast internal redirect)", conf.index)
            _content(st, found[0], found[1], index=True)
            return
        status = found.status
        if 300 <= status < 400 or (status in (401, 406) and len(names) == 1):
            raise found                 # fixup_dir propagates a redirect (and a lone 401/406) at once
        if status not in (200, 404):
            error = found
    if error is not None:
        raise error
    _autoindex(st, walk, conf.index_names)


def _autoindex(st: State, walk, names) -> None:
    conf = walk.conf
    node = st.docroot_node
    method = st.request.method
    if method not in ("GET", "HEAD"):
        if method == "OPTIONS":
            raise Final(200, "OPTIONS is answered by the core", node)
        raise Final(405 if method != "POST" else 404, f"{method} to a directory without an index", node)
    modules = st.model.conf.modules
    handler = conf.handler.args[0].value if conf.handler is not None and conf.handler.args else "none"
    if handler.lower() == "default-handler":
        # mod_autoindex lists only what has the directory type as its handler; the core's refuses
        raise Final(404, f"AH00129: Attempt to serve directory: {walk.filename} (SetHandler default-handler: "
                         "mod_autoindex does not list it)", conf.handler, walk.filename.rstrip("/") or "/")
    if handler.lower() != "none":
        raise Final(None, f"handled by '{handler}' ({conf.handler.name} {handler}): the status is the handler's",
                    conf.handler)
    if "autoindex_module" not in modules and modules - STATIC_NAMES:
        # nothing lists it: the core's default handler meets a directory (a lone vhost's
        # modules are not known, and Debian loads mod_autoindex)
        raise Final(404, f"AH00129: Attempt to serve directory: {walk.filename} (no DirectoryIndex file, and "
                         "mod_autoindex is not loaded)", node, walk.filename.rstrip("/") or "/")
    if not conf.opts & OPT_INDEXES:
        shown = " ".join(names) if names else "none"
        real = st.model.checker.check(walk.filename.rstrip("/") or "/", "search")
        raise Final(403, f"AH01276: Cannot serve directory {walk.filename}: No matching DirectoryIndex ({shown}) "
                         "found, and server-generated directory index forbidden by Options directive",
                    conf.opts_node or conf.index or node, real.resolved or walk.filename.rstrip("/") or "/",
                    "APA110")
    access = st.model.checker.check(walk.filename.rstrip("/") or "/", "list")
    if not access.ok and access.not_checked is None:
        denial = access.denial
        raise Final(403, f"AH01275: Can't open directory for index: {walk.filename} ({denial.detail})",
                    conf.opts_node or node, denial.path, rule_of(denial, "FS103"))
    raise Final(200, f"mod_autoindex lists {walk.filename}", conf.opts_node or node)


def _subrequest(st: State, uri: str):
    """ap_sub_req_lookup_uri for a DirectoryIndex candidate. A regular file found and
    allowed is served in place of the directory (ap_internal_fast_redirect): then the
    state stays as the subrequest left it and (walk, script) is returned. Otherwise the
    answer is None (not found: the next name) or the Final it gave."""
    found = _sub_lookup(st, uri, None, lambda walk: walk.meta is not None and walk.meta.kind == "file")
    if isinstance(found, Final):
        if found.status in (200, 404):
            return None
        # mod_dir answers the subrequest's status itself: no longer one mod_rewrite returned
        return Final(found.status, found.reason, found.node, found.fs_path, found.rule, found.location)
    walk = found[0]
    fallback = walk.conf.fallback
    if not found[2] and walk.meta is None and _usable_fallback(walk.conf):
        # the candidate's own subrequest runs mod_dir's FallbackResource fixup (a nested
        # lookup, recursing while the fallback is missing too): not modelled
        why = (f"DirectoryIndex candidate {uri} does not exist and FallbackResource {fallback.values[0]} "
               "applies to its lookup")
        st.unknown_directive = (fallback, why)
        raise Final(None, f"not modelled: {why}", fallback)
    return found if found[2] else None


def _sub_lookup(st: State, uri: str, filename: str | None, keep):
    """A GET subrequest up to its access checks (ap_sub_req_lookup_uri; with `filename`,
    ap_sub_req_lookup_dirent). Returns (walk, script, kept): `kept` when keep(walk) said
    to leave the state as the subrequest left it (it is then served in place); or the
    Final it gave (the state put back). An unknown answer is the request's too."""
    from dataclasses import replace
    saved = (st.uri, st.args, st.filename, st.path_info, st.env.copy(), list(st.trace), st.depth,
             st.docroot_node, st.context, st.dir_cache)
    request = st.request
    st.uri, st.in_subrequest, st.request = uri, True, replace(request, method="GET")
    kept = False
    try:
        walk, script = _lookup(st, uri, filename)
        kept = bool(keep(walk))
        return walk, script, kept
    except Final as final:
        if final.status is None:
            raise
        return final
    finally:
        st.in_subrequest, st.request = False, request
        if not kept:
            st.uri, st.args, st.filename, st.path_info, st.env, trace, st.depth, st.docroot_node, \
                st.context, st.dir_cache = saved
            st.trace[:] = trace

"""One request through nginx's phases, as the real server runs them.

server selection -> server rewrite -> find location (again after every URI
change, at most 10 times, then 500) -> location rewrite (`if`, `rewrite`,
`return`, `set`) -> limit_except -> access (allow/deny, auth_basic, satisfy)
-> try_files -> content (upstream, index, autoindex, static) -> error_page.
Each step lands in the trace; the directive (or disk path) that decided the
status is reported with it. Facts come from nginx's sources
(ngx_http_core_module.c, ngx_http_static/index/try_files/access modules).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from confcheck.parsers.nginx_values import parse_size
from confcheck.parsers.syntax import Node
from confcheck.servers.nginx import auth_request, conditional, content_modules, dav, realip, variables
from confcheck.servers.nginx.coverage import note_phase
from confcheck.servers.nginx.conf import CONTENT_OWN, Http, LimitExcept, Location, Scope, Server, UPSTREAM_HANDLERS
from confcheck.servers.nginx.locations import describe_search, find_location
from confcheck.servers.nginx.request import BadUri, Request, normalize_uri, parse_complex_uri
from confcheck.servers.nginx.request import ip_match as _ip_match  # noqa: F401 - rules import it from here
from confcheck.servers.nginx.rewrite import Action, run_script
from confcheck.servers.nginx.select import select_server
from confcheck.servers.outcome import (MAX_STEPS, Final, Outcome, Step, rule_of,  # noqa: F401 - Step/Outcome: answer types
                                       Unfinished, not_modelled_outcome, unfinished_reason)

MAX_URI_CHANGES = 10


@dataclass
class Model:
    """What decide() needs, built once per config (a batch shares it)."""

    http: Http
    fs: object | None                 # FsView, None for config-only answers
    identity: object | None
    prefix: str = "/usr/share/nginx"
    conf_prefix: str = "/etc/nginx"
    checkers: dict = field(default_factory=dict)
    failures: list | None = None      # where confcheck.isolation records a decision that failed
    pools: list | None = None         # php-fpm pools read (None: no php-fpm configuration read)
    pool_views: object = None         # servers.phpfpm.views.PoolViews: each pool's own view of the disk
    # name prefixes of directives another layer answers for (the WAF replay, confcheck.waf_replay):
    # the model passes them as if absent, and that layer combines its verdict with this answer
    outside: tuple[str, ...] = ()

    @staticmethod
    def test_want(checker, path: str = "") -> str:
        """What a file test (try_files, index, -f/-d/-e) needs of the last
        component: a stat, or with disable_symlinks on/if_not_owner an
        open(O_RDONLY|O_NOFOLLOW) (ngx_file_info_wrapper), which needs r;
        a path ending in a slash is opened as openat(dir, ".") there, which
        also searches the directory (x)."""
        if checker.symlinks.mode == "off":
            return "stat"
        return "list" if path.endswith("/") and path != "/" else "read"

    def checker(self, scope: Scope, state: "State"):
        """The access checker under the symlink policy of `scope` for this request."""
        from confcheck.fs.access import Checker, SymlinkPolicy
        if self.identity is None:
            # a disk without a worker identity: unknown, never a check as nobody in particular
            raise Final(None, "the worker's identity is unknown, so disk access cannot be judged "
                              "(--worker-user names it)")
        node = scope.last("disable_symlinks")
        mode, from_ = "off", None
        if node is not None and node.args:
            mode = node.args[0].value if node.args[0].value in ("on", "if_not_owner") else "off"
            for arg in node.args[1:]:
                if arg.value.startswith("from="):
                    # a complex value, evaluated per request (ngx_http_set_disable_symlinks)
                    from_ = variables.expand_deciding(arg.value[5:], state, node)
        if from_ is not None and not from_.startswith("/"):
            from_ = None    # empty or relative: never a prefix of the path opened, every component is checked
        key = (mode, from_)
        if key not in self.checkers:
            self.checkers[key] = Checker(self.fs, self.identity, SymlinkPolicy(mode, from_))
        return self.checkers[key]

    def plain_checker(self):
        """The checker of plain system calls, which disable_symlinks does not govern (opendir, stat)."""
        from confcheck.fs.access import Checker, SymlinkPolicy
        if self.identity is None:
            raise Final(None, "the worker's identity is unknown, so disk access cannot be judged "
                              "(--worker-user names it)")
        if ("plain",) not in self.checkers:
            self.checkers[("plain",)] = Checker(self.fs, self.identity, SymlinkPolicy("off", None))
        return self.checkers[("plain",)]


class State:
    def __init__(self, model: Model, request: Request, server: Server) -> None:
        self.model = model
        self.request = request
        self.server = server
        self.http = model.http
        self.uri = "/"
        self.args = request.args
        self.scope: Scope = server
        self.captures: tuple = ()
        self.named_captures: dict[str, str] = {}
        self.capture_whole = ""
        self.set_vars: dict[str, str] = {}
        self.unknown: set[str] = set()
        self._client_ip: str | None = None   # set by realip (realip.py); else the request's
        self.realip_done = False
        self.secure_link_expires = ""           # set when $secure_link is computed (secure_link.py)
        self.secure_link: tuple[str, bool] | None = None   # its cached value, and whether the clock made it unknown
        self.subrequest = False              # auth_request's subrequest (auth_request.py)
        self.not_modelled: tuple | None = None   # (node, why[, $variable]): an unknown-class directive passed
        self.unknown_reads: list[str] = []       # or an unknown value decided (coverage.py, variables.py)
        self.derived: dict[str, str] = {}        # set/map results made from an unknown value: its name
        self.limits: list = []                   # limit_req/limit_conn passed (limits.py): not for one request
        self.internal = False
        self.valid_location = True    # False after `rewrite ... break`: alias cannot map the new URI
        self.add_uri_to_alias = False  # try_files found a file under a regex location's alias: the URI follows it
        self.error_page = False
        self.error_pages_open = 0       # error pages being served (more than one: recursive_error_pages)
        self.changes_left = MAX_URI_CHANGES + 1
        self.trace: list[Step] = []
        self._maps: dict[str, str] = {}
        # where decide()'s caller wants the URIs the server's rewrite script ran on, (uri, None),
        # and each location search, (uri, Found), noted (rules share decisions by them)
        self.searches: list | None = None

    @property
    def client_ip(self) -> str:
        """The address allow/deny and $remote_addr see: read from the request only when a
        decision asks (why --batch shares a decision that never asks between clients)."""
        ip = self._client_ip
        return self.request.client_ip if ip is None else ip

    @client_ip.setter
    def client_ip(self, value: str) -> None:
        self._client_ip = value

    def fork(self) -> "State":
        """A copy to try a decision on (random_index's candidates) without changing this one."""
        from copy import copy
        other = copy(self)
        for name in ("trace", "unknown_reads", "limits"):
            setattr(other, name, list(getattr(self, name)))
        for name in ("set_vars", "derived", "named_captures", "_maps"):
            setattr(other, name, dict(getattr(self, name)))
        other.unknown = set(self.unknown)
        return other

    def step(self, step: str, detail, node: Node | None = None) -> None:
        if len(self.trace) >= MAX_STEPS:
            raise Unfinished(f"more than {MAX_STEPS} steps")
        self.trace.append(Step(step, detail, node))

    # -- variables the phases need ------------------------------------------
    def document_root(self) -> str:
        node = self.scope.docroot()
        if node is None:
            return posixpath.join(self.model.prefix, "html")
        value = variables.expand_deciding(node.args[0].value, self, node) if node.args else ""
        if not value.startswith("/"):
            value = posixpath.normpath(posixpath.join(self.model.prefix, value))
        return value

    def request_filename(self) -> str:
        return map_uri(self, self.uri)

    def invalid_referer(self) -> str:
        from confcheck.servers.nginx.referer import invalid_referer
        return invalid_referer(self)

    def map_value(self, name: str) -> str | None:
        if name in self._maps:
            return self._maps[name]
        block = self.http.maps.get(name)
        if block is not None:
            self._maps[name] = ""   # a map that refers to itself ends here, as in nginx
            value = variables.map_lookup(block, variables.expand(block.args[0].value, self), self)
            if value is None:           # the model cannot tell the entry: an unknown value, read here
                self.unknown.add(name)
                self.unknown_reads.append(name)
                value = ""
        elif name in self.http.geos:
            value = variables.geo_lookup(self.http.geos[name], self, name)
        else:
            return None
        self._maps[name] = value
        return value

    def count_change(self, node: Node | None, during: str | None = None) -> None:
        """ngx_http_internal_redirect / ngx_http_named_location / post-rewrite: r->uri_changes--
        and 500 at 0 (the budget is never spent twice); `during` words it as nginx's error log does."""
        self.changes_left -= 1
        if self.changes_left <= 0:
            raise Final(500, f"rewrite or internal redirection cycle {during or f'while processing {self.uri}'}: "
                             f"more than {MAX_URI_CHANGES} URI changes", node, rule="NGX-rewrite-loop")

    def change_uri(self, uri: str, why: str, node: Node | None, *, redirect: bool = True) -> None:
        """A new URI: an internal redirect, or (redirect=False) rewrite ... last."""
        self.count_change(node, f'while internally redirecting to "{uri}"' if redirect
                          else f'while processing "{uri}"')
        self.uri = uri
        self.internal = True
        self.valid_location = True
        self.add_uri_to_alias = False
        self.step("redirect", f"{why}: URI is now {uri}", node)


def map_uri(state: State, uri: str) -> str:
    """ngx_http_map_uri_to_path: the file a URI names under root or alias."""
    alias = _alias_in_force(state)
    if alias is None:
        return state.document_root() + uri
    value, loc = alias
    if loc.regex is not None:
        # a regex location's alias is the whole path, unless try_files found a
        # file there (r->add_uri_to_alias): then the URI it set is appended
        return value + uri if state.add_uri_to_alias else value
    # the URI past as many characters as the name of the location that wrote
    # the alias (clcf->alias, inherited as a length by nested locations)
    return value + uri[len(loc.name):]


def try_files_path(state: State, name: str, scripted: bool) -> tuple[str, str, str | None]:
    """ngx_http_try_files_handler: one element's path, the element as nginx keeps it, and the URI
    it leaves when found (None: a regex location's alias, where a file found makes the URI follow
    the alias and a directory found leaves the URI as it was). The element is written after the
    root or the alias (a regex location's alias as it stands, not followed by the URI); under a
    prefix alias an element with variables loses the location's length when it starts with the
    URI's first that many characters."""
    alias = _alias_in_force(state)
    if alias is None:
        return state.document_root() + name, name, name
    value, loc = alias
    if loc.regex is not None:
        return value + name, name, None
    head = state.uri[:len(loc.name)]
    if scripted and name.startswith(head):
        name = name[len(head):]
    return value + name, name, head + name


def _alias_in_force(state: State) -> "tuple[str, Location] | None":
    """The alias mapping this request (its value, the location that wrote it), or None under root."""
    scope = state.scope
    node = scope.docroot()
    loc = _alias_location(scope, node)
    if node is None or node.key != "alias" or loc is None:
        return None
    if not state.valid_location:
        raise Final(500, f"\"alias\" cannot be used in {loc.describe()} where the URI was rewritten "
                    "(rewrite ... break): nginx logs an alert", node)
    value = variables.expand_deciding(node.args[0].value, state, node)
    if not value.startswith("/"):
        value = posixpath.join(state.model.prefix, value)    # ngx_get_full_name keeps a trailing slash
    return value, loc


def _alias_location(scope: Scope, node: Node | None) -> "Location | None":
    """The location whose own alias `node` is (a nested location inherits it)."""
    while scope is not None:
        if any(n is node for n in scope.own("alias")):
            return scope if isinstance(scope, Location) else scope.location()
        scope = scope.parent
    return None


def decide(model: Model, request: Request, server: Server | None = None, selection=None,
           searches: list | None = None) -> Outcome:
    """The answer to `request`; `server` skips server selection (a log line names its server),
    and so does `selection`, select_server's answer for this request made beforehand;
    `searches`: a list to note the decision's location searches in (State.searches)."""
    if selection is None and server is None:
        selection = select_server(model.http, request)
    elif selection is None:
        from confcheck.servers.nginx.select import Selection
        selection = Selection(server, "named by the log line", server.node, {})
    server = selection.server
    state = State(model, request, server)
    state.searches = searches
    state.named_captures.update(selection.captures)
    state.trace.append(server_step(selection))
    try:
        if request.bad_host:
            # ngx_http_process_host: before the request line's method is looked at
            _before_host(state, Final(400, f"nginx refuses the Host header {request.header('host')!r} (invalid host)"))
        try:
            state.uri = _parse_uri(state, request)
        except BadUri as exc:
            _before_host(state, Final(400, f"bad request URI: {exc}"))
        refused = _refused_header(request)
        if refused is not None:
            # ngx_http_process_request_header, after the request line's URI was parsed and the
            # Host chose the server: finalized with the status, so that server's error_page handles it
            _error_page(state, refused)
        state.step("uri", f"normalised URI {state.uri}" + (f" args {state.args}" if state.args else ""))
        if selection.plain_on_tls is not None:
            _plain_on_tls(state, selection.plain_on_tls)
        try:
            realip.run(state, "post-read")   # once per request, with the server's settings
            _run(state)
        except Final as final:
            _error_page(state, final)
    except Final as final:
        _forget_frames(final)
        return _outcome(state, final)
    except (Unfinished, RecursionError) as exc:
        _forget_frames(exc)
        del state.trace[MAX_STEPS // 10:]    # the head shows where it started; the rest repeats
        return _outcome(state, Final(None, unfinished_reason(exc)))
    raise AssertionError("decide() always ends with a status")


def _refused_header(request: Request) -> Final | None:
    """What ngx_http_process_request_header refuses once the headers are read: a Content-Length
    that is not a number (400), a Transfer-Encoding other than chunked (501) or chunked beside a
    Content-Length (400), the CONNECT and TRACE methods (405)."""
    length = request.header("content-length")
    if length is not None:
        digits = length.strip(" \t")
        if not (digits.isascii() and digits.isdigit() and int(digits) < 2 ** 63):
            return Final(400, f"nginx refuses the Content-Length header {length!r} (not a number)")
    coding = request.header("transfer-encoding")
    if coding is not None:
        if coding.strip(" \t").lower() != "chunked":
            return Final(501, f"nginx does not implement Transfer-Encoding {coding!r}")
        if length is not None:
            return Final(400, "nginx refuses Content-Length and Transfer-Encoding at the same time")
    if request.method in ("CONNECT", "TRACE"):
        return Final(405, f"nginx refuses the {request.method} method")
    return None


def _plain_on_tls(state: State, node: Node) -> None:
    """A plain-HTTP request on a TLS port: nginx finalizes it with 497 once its headers are
    read (the Host's server chosen, no location yet), so the server's error_page 497 may
    handle it; a 497 left as it is goes out as 400 (ngx_http_special_response_handler)."""
    pos = node.span.position()
    why = (f"a plain HTTP request on a TLS port ({' '.join([node.name] + [a.value for a in node.args])} "
           f"at {pos['file']}:{pos['line']}): nginx answers 497")
    state.step("tls", why, node)
    try:
        _error_page(state, Final(497, why, node))
    except Final as final:
        if final.status == 497:
            raise Final(400, f"{final.reason}, sent as 400 (The plain HTTP request was sent to HTTPS port)",
                        final.node, final.fs_path, final.rule, final.location) from None
        raise


def _forget_frames(exc: BaseException) -> None:
    """Drop the tracebacks of the answer's exception and of those it was raised while handling.
    _error_page holds the Final it re-raises, so its frame and the traceback through it make a
    cycle: every request's frames and state would wait for the cyclic collector (on 2,000
    servers a third of the rules' time went to collecting them)."""
    seen = 0
    while exc is not None and seen < 64:
        exc.__traceback__ = None
        exc, seen = exc.__context__ or exc.__cause__, seen + 1


def server_step(selection) -> Step:
    """The trace's first line: which server block answers, and why."""
    server = selection.server
    return Step("server", lambda: f"{server.describe()}: {selection.reason}", selection.node)


def _parse_uri(state: State, request: Request) -> str:
    """The URI as nginx parses it: with the merge_slashes of the server whose settings the
    connection has before the Host header is read (ngx_http_process_request_uri): the
    address's default server (for https the one SNI chose, taken as the Host's)."""
    if "//" not in request.raw_path and "%2f" not in request.raw_path.lower():
        return normalize_uri(request.raw_path)
    server = _connection_server(state)
    node = server.last("merge_slashes")
    if node is None or not node.args or node.args[0].value != "off":
        return normalize_uri(request.raw_path)
    state.step("uri", f"merge_slashes off in {server.describe()}: repeated slashes are kept", node)
    return parse_complex_uri(request.raw_path, merge_slashes=False)


def _connection_server(state: State) -> Server:
    """The server whose settings the connection has before the Host header is read: the
    address's default server (for https the one SNI chose, taken as the Host's)."""
    if state.request.scheme == "http" and state.http.server_index is not None:
        state.request.reads_connection()
        try:
            return state.http.server_index.group(state.request).default
        except Exception:  # noqa: BLE001 - a log line's server: its own setting
            return state.server
    return state.server


def _before_host(state: State, final: Final) -> None:
    """A request refused before its Host chose a server (the URI, or the Host itself): the
    connection's server finalizes it, so its error_page handles it (and serves the page)."""
    server = _connection_server(state)
    if server is not state.server:
        state.server = state.scope = server
        state.step("server", f"refused before the Host was read: {server.describe()} (the address's default "
                             "server) answers", server.node)
    _error_page(state, final)


def _outcome(state: State, final: Final) -> Outcome:
    if final.status == 200:
        note_phase(state, "answer")          # filters that act on what the content phase produced
        if not state.subrequest and conditional.asks(state.request):
            final = conditional.apply(state, final, final.entity)
    if state.not_modelled is not None:
        node, why, *variable = state.not_modelled
        return not_modelled_outcome(state.request, state.trace, node, why, final, *variable,
                                    unknown=sorted(state.unknown), limits=state.limits)
    # appended directly: the closing line is never refused by the step budget
    state.trace.append(Step("status", f"{final.status if final.status is not None else 'unknown'}: {final.reason}",
                            final.node))
    return Outcome(state.request, final.status, final.reason, final.node, final.fs_path, final.rule,
                   state.trace, final.location, sorted(state.unknown), limits=state.limits)


def _run(state: State, start: "str | Location" = "server") -> None:
    """The phases from `start`: "server" (a new request, or an internal
    redirect: ngx_http_internal_redirect re-enters at the server rewrite phase)
    or a named location (try_files/error_page @name: its rewrite phase comes
    next). `rewrite ... last` alone goes straight back to the location search."""
    if start == "server":
        _server_rewrite(state)
    named = start if isinstance(start, Location) else None
    while True:
        if named is not None:
            loc, named = named, None
            state.scope = loc
            state.step("location", f"named location {loc.name}", loc.node)
        else:
            loc = _find_config(state)
        note_phase(state, "request")
        if loc is not None:
            # limit_except takes over when the location is found
            # (ngx_http_update_location_config), before the rewrite phase: a
            # refused method never runs the location's rewrite/return/if
            _limit_except(state)
            action = run_script(state, state.scope.rewrite_script(), state.scope)
            if _apply_rewrite(state, action, server_level=False):
                continue
        realip.run(state, "preaccess")
        note_phase(state, "access")
        _access(state)
        after = _try_files(state)
        if after == "again":
            _server_rewrite(state)
            continue
        if isinstance(after, Location):
            named = after
            continue
        note_phase(state, "content")
        _content(state)   # raises Final, or returns after an internal redirect (index)
        _server_rewrite(state)


def _server_rewrite(state: State) -> None:
    state.scope = state.server
    if state.searches is not None:
        state.searches.append((state.uri, None))
    note_phase(state, "request")
    action = run_script(state, state.server.rewrite_script(), state.server)
    _apply_rewrite(state, action, server_level=True)


def _find_config(state: State) -> Location | None:
    found = find_location(state.server, state.uri)
    if state.searches is not None:
        state.searches.append((state.uri, found))
    for text in found.regex_errors:
        state.step("location", f"regex location {text} cannot be evaluated here")
    if found.redirect is not None:
        _body_too_large(state, found.redirect)
        raise Final(301, f"{found.redirect.describe()} answers {state.uri} with a redirect to add the slash",
                    found.redirect.node, location=found.redirect.name)
    loc = found.location
    state.captures, state.named_captures = found.captures, {**state.named_captures, **found.named}
    state.capture_whole = found.whole
    if loc is None:
        state.scope = state.server
        state.step("location", f"no location matches {state.uri}: the server level answers", state.server.node)
        _body_too_large(state, state.server)
        return None
    state.step("location", lambda: f"{loc.describe()} (searched: {describe_search(found)})", loc.node)
    state.scope = loc
    if loc.internal and not state.internal:
        raise Final(404, f"{loc.describe()} is internal: only internal redirects may use it",
                    loc.internal_node(), rule="NGX-internal")
    _body_too_large(state, loc)
    return loc


def _body_too_large(state: State, scope: Scope) -> None:
    """ngx_http_core_find_config_phase, every time a location is found: a Content-Length over
    the location's client_max_body_size (1m unless set; 0: no limit) is a 413 before the
    rewrite phase, until the body was discarded (an error page's search no longer checks)."""
    length = state.request.header("content-length")
    if state.error_pages_open or state.error_page or length is None or not length.strip().isdigit():
        return
    node = scope.last("client_max_body_size")
    limit = parse_size(node.args[0].value, "kmg") if node is not None and node.args else 1024 * 1024
    if limit and limit < int(length.strip()):
        raise Final(413, f"the request body (Content-Length {length.strip()}) is over client_max_body_size "
                         f"{node.args[0].value if node is not None else '1m (the default)'}", node)


def _apply_rewrite(state: State, action: Action | None, *, server_level: bool) -> bool:
    """Apply a rewrite-phase outcome; True when the location must be searched again."""
    if action is None:
        return False
    if action.kind in ("return", "redirect"):
        raise Final(action.status, action.reason, action.node, location=action.location,
                    rule="NGX-return" if action.status == 403 else None, entity=conditional.NONE)
    if action.kind == "last":
        if server_level:
            return False     # the location search that follows uses the new URI
        state.change_uri(action.uri, "rewrite ... last", action.node, redirect=False)
        return True
    return False             # break: stay in this location with the new URI


def _limit_except(state: State) -> None:
    loc = state.scope.location()
    holder = state.scope if isinstance(state.scope, Location) else loc
    if holder is None or holder.limit_except is None:
        return
    block: LimitExcept = holder.limit_except
    if block.applies_to(state.request.method):
        state.scope = block
        state.step("limit_except", f"{state.request.method} is not in limit_except {' '.join(block.node.values)}: "
                   "its rules apply", block.node)
    else:
        state.step("limit_except", f"{state.request.method} is allowed by limit_except {' '.join(block.node.values)}",
                   block.node)


def _access(state: State) -> None:
    scope = state.scope
    if state.subrequest:
        state.step("access", "a subrequest skips the access phase", None)
        return
    satisfy = scope.value("satisfy", "all")
    rules = scope.group("access")
    access: tuple[str, Node] | None = None
    for node in rules:
        if node.args and _ip_match(node.args[0].value, state.client_ip):
            access = (node.key, node)
            break
    if access is None:
        state.step("access", "no allow/deny rule applies" if not rules else
                   f"no allow/deny rule matches {state.client_ip}", rules[0] if rules else None)
    else:
        state.step("access", f"{access[1].name} {access[1].args[0].raw} matches {state.client_ip}"
                   " (first match wins)", access[1])
    auth = _auth_basic(state)
    if satisfy == "any":
        if (access is not None and access[0] == "allow") or (auth is not None and auth[0] == 200):
            state.step("access", "satisfy any: one check allows the request", scope.last("satisfy"))
            return
        codes = [a for a in (auth,) if a is not None and a[0] == 500]
        if codes:
            raise Final(500, codes[0][1], codes[0][2], fs_path=codes[0][3], rule=codes[0][4])
        sub = auth_request.check(state)    # runs only when allow/deny and auth_basic did not allow
        if sub is not None and sub[0] == 200:
            state.step("access", "satisfy any: auth_request allows the request", scope.last("satisfy"))
            return
        if sub is not None and sub[0] == 500:
            raise Final(500, sub[1], sub[2], fs_path=sub[3])
        for refusal in (auth, sub):        # a 401 from any check is the answer (r->access_code)
            if refusal is not None and refusal[0] == 401:
                raise Final(401, refusal[1], refusal[2])
        if access is not None and access[0] == "deny":
            raise Final(403, f"access forbidden by rule: {access[1].name} {access[1].args[0].raw} "
                             f"(satisfy any, and no other check allows)", _decider(scope, access[1]),
                        rule="NGX-deny")
        for refusal in (auth, sub):
            if refusal is not None and refusal[0] == 403:
                raise Final(403, refusal[1], refusal[2], fs_path=refusal[3], rule=refusal[4])
        return
    if access is not None and access[0] == "deny":
        raise Final(403, f"access forbidden by rule: {access[1].name} {access[1].args[0].raw}"
                    + (f" inside {scope.describe()}" if _own_rule(scope, access[1]) else ""),
                    _decider(scope, access[1]), rule="NGX-deny")
    if auth is not None and auth[0] != 200:
        raise Final(auth[0], auth[1], auth[2], fs_path=auth[3], rule=auth[4])
    sub = auth_request.check(state)
    if sub is not None and sub[0] != 200:
        raise Final(sub[0], sub[1], sub[2], fs_path=sub[3], rule=sub[4])


def _own_rule(scope: Scope, node: Node) -> bool:
    return isinstance(scope, LimitExcept) and any(n is node for n in scope.children_nodes)


def _decider(scope: Scope, rule: Node) -> Node:
    """What decided a deny: the matching rule, except when a limit_except block
    refuses everyone (`deny all` alone) - then the method restriction itself did."""
    if _own_rule(scope, rule):
        rules = scope.group("access")
        if all(n.key == "deny" and n.values[:1] == ["all"] for n in rules):
            return scope.node
    return rule


def _auth_basic(state: State):
    """None when auth_basic is off; else (status, reason, node, fs_path, rule)."""
    scope = state.scope
    realm = scope.last("auth_basic")
    user_file = scope.last("auth_basic_user_file")
    if realm is None or not realm.args or realm.args[0].value == "off" or user_file is None:
        return None
    creds = state.request.basic_credentials()
    if creds is None:
        state.step("access", f"auth_basic \"{realm.args[0].value}\": no credentials sent", realm)
        return (401, "no user/password was provided for basic authentication", realm, None, None)
    path = variables.expand_deciding(user_file.args[0].value, state, user_file) if user_file.args else ""
    if not path.startswith("/"):
        path = posixpath.normpath(posixpath.join(state.model.conf_prefix, path))
    if state.model.fs is None:
        state.unknown.add("auth_basic_user_file")
        state.step("access", f"credentials sent; {path} is not read in a config-only answer (assumed valid)")
        return (200, "", user_file, None, None)
    access = state.model.checker(scope, state).check(path, "read")
    if not access.ok and access.not_checked is None:
        denial = access.denial
        if denial is not None and denial.need == "missing":
            return (403, f"the password file {path} does not exist: credentials cannot be checked",
                    user_file, path, "FS106")
        return (500, f"{denial.detail if denial else path}: the password file cannot be opened",
                user_file, denial.path if denial else path, "FS105")
    data = state.model.fs.read_bytes(path) or b""
    from confcheck.servers.nginx.htpasswd import verify
    verdict = verify(data, *creds)
    if verdict is True:
        state.step("access", f"auth_basic: user {creds[0]} authenticated against {path}", user_file)
        return (200, "", user_file, None, None)
    if verdict is None:
        state.unknown.add("password")
        state.step("access", f"auth_basic: user {creds[0]} found in {path}; its password scheme "
                   "cannot be checked offline (assumed right)", user_file)
        return (200, "", user_file, None, None)
    return (401, f"user {creds[0]!r} was not found or the password is wrong in {path}", realm, None, None)


def _try_files(state: State):
    """Returns None (go on to content), "again" (URI changed: search locations), or a named Location."""
    scope = state.scope
    nodes = scope.own("try_files")
    if not nodes:
        loc = scope.location()
        if loc is not None and scope is not loc and loc.own("try_files"):
            state.step("try_files", f"try_files of {loc.describe()} does not apply inside {scope.describe()} "
                       "(not inherited)", loc.own("try_files")[0])
        return None
    node = nodes[-1]
    args = node.args
    if state.model.fs is None and len(args) > 1:
        state.unknown.add("filesystem")
        raise Final(None, f"try_files depends on which files exist under {state.document_root()}; "
                          "config-only answers do not read the disk", node)
    checker = state.model.checker(scope, state)
    hidden = None     # a denial that made a tried path look absent (logged [crit] by nginx)
    for arg in args[:-1]:
        # A directory test is decided by the config text ("$uri/"), whose
        # trailing slash nginx drops before testing and before setting $uri.
        want_dir = arg.value.endswith("/")
        text = variables.expand_deciding(arg.value[:-1] if want_dir else arg.value, state, node)
        path, _, uri = try_files_path(state, text, "$" in arg.value)
        access = checker.check(path.rstrip("/") or "/", Model.test_want(checker, path))
        if access.ok and access.meta is not None and access.meta.kind != "dir" and path.endswith("/"):
            # "$uri" of /x.html/ names x.html/: the kernel's ENOTDIR, nothing found
            state.step("try_files", f"{arg.raw} -> {path}: {path.rstrip('/')} is not a directory (ENOTDIR)", node)
            continue
        if access.ok and access.meta is not None and (access.meta.kind == "dir") == want_dir:
            if uri is not None:
                state.uri = uri
            elif not want_dir:
                state.uri, state.add_uri_to_alias = text, True
            state.step("try_files", f"{arg.raw} -> {path} exists: served from this location", node)
            return None
        if not access.ok and access.denial is not None and access.denial.need in ("x", "label"):
            hidden = hidden or access.denial
            state.step("try_files", f"{arg.raw} -> {path}: stat() fails ({access.denial.detail}); "
                       "nginx logs it and tries the next", node)
        elif access.ok and access.meta is not None:
            state.step("try_files", f"{arg.raw} -> {path} is a {'directory' if access.meta.kind == 'dir' else 'file'}, "
                       f"not what {arg.raw} asks for", node)
        else:
            state.step("try_files", f"{arg.raw} -> {path} does not exist", node)
    last = args[-1].value if args else ""
    if last.startswith("=") and last[1:].isdigit():
        if hidden is not None:
            raise Final(int(last[1:]), f"try_files found nothing and ends with {last}: {hidden.detail}, "
                        "so the file looks absent", node, hidden.path, _rule_of(hidden))
        raise Final(int(last[1:]), f"try_files found nothing and ends with {last}", node,
                    rule="NGX-try-files" if last == "=403" else None)
    target = variables.expand_deciding(last, state, node)
    if "$" in last:
        # the fallback is written where the elements are, and loses a prefix alias's length as they do
        target = try_files_path(state, target, True)[1]
    if target.startswith("@"):
        named = state.server.named.get(target)
        if named is None:
            raise Final(500, f"try_files names {target}, which does not exist", node)
        state.step("try_files", f"nothing found: continue in named location {target}", node)
        state.count_change(node, f'while redirect to named location "{target}"')
        return named
    uri, _, args_part = target.partition("?")
    if args_part:
        state.args = args_part
    state.change_uri(uri, "try_files fallback", node)
    return "again"


def _content(state: State) -> bool:
    """The content phase: raises Final, or returns True after an internal redirect (index)."""
    scope = state.scope
    handler = scope.handler()
    if handler is not None and isinstance(scope, LimitExcept) and handler.key in CONTENT_OWN:
        # a limit_except block is a location configuration of its own: only the upstream modules
        # copy their handler into it (ngx_http_proxy_merge_loc_conf), flv/mp4/... do not
        state.step("content", f"{handler.name} does not apply inside limit_except: the static module answers", handler)
        handler = None
    if handler is not None:
        if handler.key == "fastcgi_pass" and state.model.pools is not None:
            from confcheck.servers.nginx.fastcgi import php_fpm_final
            raise php_fpm_final(state, handler)
        if handler.key in UPSTREAM_HANDLERS:
            raise Final(None, f"handed to {handler.name} {' '.join(a.raw for a in handler.args)}: the status "
                              "comes from that upstream, after the access phase allowed the request", handler)
        if handler.key in CONTENT_OWN:
            content_modules.own_handler(state, handler)    # returns when flv/mp4 decline
        else:
            raise Final(200, f"{handler.name} answers the request", handler)
    dav.handle(state)     # the methods dav_methods names (the other handlers decline them)
    if state.uri.endswith("/"):
        return _random_index(state) or _directory(state)
    return _static(state)


def _random_index(state: State) -> bool:
    """random_index on: an internal redirect to one of the directory's files. The
    answer is confident only when every file it may pick is answered the same."""
    names = content_modules.random_candidates(state)
    if not names:
        return False
    node = state.scope.last("random_index")
    if len(names) > 1:
        answers = {}
        for name in names:
            trial = state.fork()
            try:
                trial.change_uri(state.uri + name, "random_index", node)
                _run(trial)
            except Final as final:
                try:
                    _error_page(trial, final)
                except Final as answered:
                    answers[name] = answered.status if trial.not_modelled is None else None
                    _forget_frames(answered)
        if None in answers.values() or len(set(answers.values())) != 1:
            content_modules.unknown(state, node, f"random_index picks one of {len(names)} files at random and "
                                    "they are answered differently: " + ", ".join(
                                        f"{n} {s if s is not None else 'unknown'}" for n, s in answers.items()))
        else:
            state.step("content", f"random_index: each of {', '.join(names)} is answered {answers[names[0]]}", node)
    state.change_uri(state.uri + names[0], "random_index picks a file", node)
    return True


def _stat_denial_status(state: State, access) -> tuple[int, str]:
    denial = access.denial
    if denial.need == "missing":
        return 404, "missing"
    if denial.need == "symlink" and _refused_midway(state, access):
        return 404, "symlink"
    return 403, denial.need


def _refused_midway(state: State, access) -> bool:
    """A refused link before the last component under `disable_symlinks on`: nginx's
    openat(O_NOFOLLOW|O_DIRECTORY) of it fails with ENOTDIR (404). The last component,
    and any link if_not_owner refuses (openat follows it, then the owners differ),
    fail with ELOOP (403). ngx_open_file_wrapper, ngx_openat_file_owner."""
    checker = state.model.checker(state.scope, state)
    if checker.symlinks.mode != "on":
        return False
    parent = checker.reach_dir(posixpath.dirname(access.path) or "/")
    # the denial names the link by its real path: compare with the real path of the last component
    return not (parent.ok and parent.resolved is not None
                and posixpath.join(parent.resolved, posixpath.basename(access.path)) == access.denial.path)


RULE_OF_NEED = {"x": "FS101", "r": "FS102", "label": "FS108", "symlink": "FS107", "loop": "FS107",
                "list": "FS103"}


def _rule_of(denial, rule: str | None = None) -> str | None:
    return rule_of(denial, rule if rule is not None else RULE_OF_NEED.get(denial.need))


def _fs_final(state: State, access, path: str) -> Final:
    denial = access.denial
    status, kind = _stat_denial_status(state, access)
    node = state.scope.docroot() or (state.scope.location().node if state.scope.location() else state.server.node)
    if status == 404:
        if kind == "symlink":
            reason = f"{denial.detail}: nginx's openat() of the next component fails (ENOTDIR)"
            return Final(404, reason, node, denial.path, "FS107")
        if access.meta is not None and access.meta.kind == "link":
            # a dangling symbolic link: the link is what is wrong, not its absent target
            return Final(404, f"{path} is a dangling symbolic link ({denial.detail})", node, path, None)
        return Final(404, f"{path} does not exist ({denial.detail})", node, denial.path,
                     "FS104" if not _exists_root(state) else None)
    rule = _rule_of(denial, "FS102" if denial.need == "x" and denial.path == path else None)
    return Final(403, f"{denial.detail}: open() of {path} fails with EACCES", node, denial.path, rule)


def _exists_root(state: State) -> bool:
    root = state.document_root()
    try:
        return state.model.fs.lstat(root) is not None
    except Exception:  # noqa: BLE001 - not knowing is not a missing root
        return True


def _static(state: State) -> bool:
    method = state.request.method
    if method not in ("GET", "HEAD", "POST"):
        raise Final(405, f"the static module serves GET, HEAD and POST only, not {method}",
                    state.scope.docroot())
    path = map_uri(state, state.uri)
    if state.model.fs is None:
        state.unknown.add("filesystem")
        raise Final(None, f"the static module would open {path}; config-only answers do not read the disk",
                    state.scope.docroot())
    content_modules.gzip_static(state, path)     # runs before the static module; returns when it declines
    access = state.model.checker(state.scope, state).check(path, "read")
    if access.not_checked is not None:
        raise Final(None, f"{path}: {access.not_checked.reason} (the scanner cannot look)", None, path)
    if not access.ok:
        # open(O_RDONLY) also needs r on a directory: a 0711 directory asked
        # for without its slash is a 403, not the 301 (ngx_open_and_stat_file).
        raise _fs_final(state, access, path)
    meta = access.meta
    state.step("content", f"static file {path} opened as {state.model.identity.user}", state.scope.docroot())
    if meta.kind == "dir":
        target = state.uri + "/" + (("?" + state.args) if state.args else "")
        raise Final(301, f"{path} is a directory: redirect to {state.uri}/", state.scope.docroot(),
                    location=target)
    if meta.kind != "file":
        raise Final(404, f"{path} is not a regular file", state.scope.docroot(), path)
    if method == "POST":
        raise Final(405, "the static module does not accept POST to a file that exists", state.scope.docroot())
    raise Final(200, f"serves {path}", state.scope.docroot(), None, entity=conditional.file_entity(state.scope, meta))


def _directory(state: State) -> bool:
    scope = state.scope
    method = state.request.method
    if method not in ("GET", "HEAD", "POST"):
        raise Final(405, f"the static module serves GET, HEAD and POST only, not {method}", scope.docroot())
    index_nodes = scope.group("index")
    names = [v for n in index_nodes for v in n.values] or ["index.html"]
    base = map_uri(state, state.uri)
    if state.model.fs is None:
        state.unknown.add("filesystem")
        raise Final(None, f"the index module would look in {base}; config-only answers do not read the disk",
                    index_nodes[0] if index_nodes else scope.docroot())
    checker = state.model.checker(scope, state)
    dir_tested = False
    node = index_nodes[0] if index_nodes else None
    for name in names:
        name = variables.expand_deciding(name, state, node or scope.docroot())
        if name.startswith("/"):
            state.change_uri(name, f"index {name}", node)
            return True
        path = base + name
        access = checker.check(path, Model.test_want(checker))
        if access.ok:
            state.change_uri(state.uri + name, f"index file {path} exists", node)
            return True
        if access.not_checked is not None:
            raise Final(None, f"{path}: {access.not_checked.reason} (the scanner cannot look)", None, path)
        denial = access.denial
        if (denial.need == "loop" and denial.path == path) or (
                denial.need == "symlink" and not _refused_midway(state, access)):
            raise Final(403, denial.detail, node or scope.docroot(), denial.path, "FS107")
        if denial.need == "symlink":
            # a refused link in the middle of the path: openat() fails with ENOTDIR (index_error: 404)
            raise Final(404, f"{denial.detail}: nginx's openat() of the next component fails (ENOTDIR)",
                        scope.docroot(), denial.path, "FS107")
        if denial.need == "missing" and denial.meta is not None and denial.meta.kind != "dir":
            # ENOTDIR (the "directory" is a file): ngx_http_index_error answers 404 at once
            raise Final(404, f"{denial.detail} (ENOTDIR)", scope.docroot(), denial.path)
        if denial.need in ("x", "label", "r"):
            # ngx_http_index_error: EACCES is '"..." is forbidden'
            raise Final(403, f"\"{path}\" is forbidden: {denial.detail}", scope.docroot(),
                        denial.path, _rule_of(denial))
        if not dir_tested:
            dir_tested = True
            dir_access = checker.check(base.rstrip("/") or "/", Model.test_want(checker))
            if not dir_access.ok and dir_access.denial is not None and dir_access.denial.need == "missing":
                raise Final(404, f"\"{base}\" is not found", scope.docroot(), dir_access.denial.path,
                            "FS104" if not _exists_root(state) else None)
            if dir_access.ok and dir_access.meta is not None and dir_access.meta.kind != "dir":
                raise Final(404, f"{base.rstrip('/')} is not a directory (ENOTDIR)", scope.docroot(),
                            base.rstrip("/"))
    state.step("index", f"no index file ({', '.join(names)}) in {base}", index_nodes[0] if index_nodes else None)
    autoindex = scope.last("autoindex")
    if autoindex is not None and autoindex.values[:1] == ["on"] and method in ("GET", "HEAD"):
        access = checker.check(base.rstrip("/") or "/", "list")
        if not access.ok and access.denial is not None:
            status, _ = _stat_denial_status(state, access)
            rule = _rule_of(access.denial, "FS103" if access.denial.need == "r" else None)
            raise Final(status, f"autoindex: opendir() of {base} fails: {access.denial.detail}", autoindex,
                        access.denial.path, rule)
        raise Final(200, f"autoindex lists {base}", autoindex, entity=conditional.NONE)
    raise Final(403, f"directory index of \"{base}\" is forbidden: no index file and autoindex is off",
                autoindex or (index_nodes[0] if index_nodes else scope.docroot()), base.rstrip("/") or "/",
                "NGX-no-index")


def _error_page(state: State, final: Final) -> None:
    """error_page for the status nginx generated; re-raises the final answer.

    ngx_http_special_response_handler: error pages are looked at only while
    the request has URI changes left (a redirection cycle's 500 is plain), and
    once per request unless recursive_error_pages is on (then the 10 URI
    changes bound the chain)."""
    if final.status is None or final.status < 300 or state.error_page or state.changes_left <= 0:
        raise final
    if final.upstream and state.scope.value("fastcgi_intercept_errors", "off") != "on":
        raise final         # the FastCGI server's own response is passed on as it is
    pages = state.scope.group("error_page")
    recursive = state.scope.value("recursive_error_pages", "off") == "on"
    if pages and not recursive:
        state.error_page = True
    for node in pages:
        values = node.values
        codes = []
        overwrite: int | str | None = None
        target = values[-1] if values else ""
        for value in values[:-1]:
            if value.startswith("="):
                overwrite = int(value[1:]) if value[1:].isdigit() else "="
            elif value.isdigit():
                codes.append(int(value))
        if final.status not in codes:
            continue
        state.step("error_page", f"error_page {' '.join(values)} handles {final.status}", node)
        if target.startswith(("http://", "https://")) or (target.startswith("$scheme")):
            status = overwrite if isinstance(overwrite, int) else 302
            raise Final(status, f"error_page redirects the {final.status} to {target}", node,
                        final.fs_path, final.rule, location=variables.expand(target, state))
        state.error_pages_open += 1
        try:
            if target.startswith("@"):
                # a named error page keeps the method (ngx_http_send_error_page
                # makes it GET only for a URI): limit_except there sees PUT
                named = state.server.named.get(target)
                if named is None:
                    raise final
                state.count_change(node, f'while redirect to named location "{target}"')
                _run(state, named)
            else:
                if state.request.method != "HEAD":
                    state.request = _as_get(state.request)
                uri, _, args = target.partition("?")
                state.args = args
                state.change_uri(uri, f"error_page for {final.status}", node)
                _run(state, "server")
        except Final as failed:
            second = failed
            if recursive:
                try:
                    _error_page(state, failed)
                except Final as handled:
                    second = handled
            if second.status is None:
                # the error page's own handler (an upstream) answers: its failure is a 502 of its
                # own, its success keeps the error's status; which one is not known here
                raise Final(None, f"{final.reason}; the error page {target}: {second.reason}",
                            second.node, second.fs_path, second.rule) from None
            if 300 <= second.status < 400 and second.status != 304:
                # a redirect the error page answers (return, rewrite redirect, a directory's 301)
                # is finalized through ngx_http_special_response_handler again, which sets
                # err_status: its own status is sent, whatever error_page's =code said
                raise Final(second.status, f"{final.reason}; the error page {target} answers {second.status}: "
                            f"{second.reason}", second.node, second.fs_path, second.rule, second.location) from None
            if second.status >= 400 and overwrite != "=":
                if state.error_pages_open > 1:
                    raise second from None      # a recursive error page: the outermost one tells the story
                if second.status != final.status:
                    # what made the error page fail decided the status (a return, a cycle's 500)
                    raise Final(second.status, f"{final.reason}; the error page {target} itself failed: "
                                f"{second.reason}", second.node, second.fs_path, second.rule) from None
                raise Final(second.status, f"{final.reason}; the error page {target} itself failed: {second.reason}",
                            final.node, final.fs_path, final.rule) from None
            status = overwrite if isinstance(overwrite, int) else (second.status if overwrite == "=" else final.status)
            # When error_page changes the status, it is what decided the answer.
            decider = node if status != final.status else final.node
            raise Final(status, f"{final.reason}; error_page answers with {target}"
                        + (f" and status {status}" if status != final.status else ""),
                        decider, final.fs_path, final.rule, second.location, entity=second.entity) from None
        finally:
            state.error_pages_open -= 1
    raise final


def _as_get(request: Request) -> Request:
    from dataclasses import replace
    return replace(request, method="GET")

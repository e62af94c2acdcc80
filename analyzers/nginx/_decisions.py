"""One decision shared by the rules' probes that read the same configuration.

Rules put the same requests (`GET /`, `GET /admin/x.php`...) to hundreds of
server blocks that are not look-alikes (_shapes.py: a random allow address or
rewrite regex makes each TLS server of an application fleet its own shape), yet
most probes pass through the same few pieces of configuration: a server level
that differs only in names, paths and a rewrite that does not match, and a
location that is the same text in each. A config-only decision reads nothing
else: the request (but its Host, when no directive on its way reads a name),
the http level, the server level, the locations the search lands on (with
their ancestors), the named locations, and what the location search answers.

So a decision made for one server (`rep`) holds for another server (`other`)
and the same request when:

- the server levels have the same *text* (`_text`): the same directives and
  arguments in the same order, but for `listen` and `server_name` (selection,
  done per request), the arguments of name and path directives (_shapes'
  NAME_KEYS: in a config-only answer they only reach texts) and of directives
  whose values only go out (_shapes' `_passed_on`), `client_max_body_size`
  (the nginx model never reads it; the WAF layer does, and sharing is off
  with it), and plain `rewrite` directives (no `if`, `set`, `return` or
  `break` beside them): those are tried on every URI the decision ran the
  server's script on, in both servers, and must match none (then they change
  nothing the location search does not overwrite: a failed regex only clears
  $1..$9, which the search sets again);
- every location search of the decision lands, in `other`, on a location
  chain of the same text with the same captures, and on no auto-redirect;
- the named locations have the same text;
- no directive on the way reads a variable the request key does not fix
  (`$host`, `$server_name`, `$document_root`, a map, a `set` variable...),
  nor `valid_referers` or `auth_request` (a subrequest's searches are not
  recorded);
- the model sees no disk, no worker identity, no php-fpm pool and no other layer.

What is shared is the verdict the rules read: status, rule, fs_path and the
deciding directive (moved to `other`'s directive at the same place). Everything
else (reason, trace, request, Location header...) holds names, and is made by
deciding the request for `other` in full the first time a caller reads it
(SharedOutcome): a shared answer is never a guess at a text.
"""

from __future__ import annotations

import re
from dataclasses import fields

from confcheck.isolation import decide_contained
from confcheck.parsers.syntax import effective_children
from confcheck.servers.coverage import nginx_entry
from confcheck.servers.nginx.conf import BadRegex, Location, Server, compile_regex
from confcheck.servers.nginx.decide import Model, Outcome, decide
from confcheck.servers.nginx.locations import find_location
from confcheck.servers.nginx.request import RequestError
from confcheck.servers.nginx.select import select_server

from ._shapes import NAME_KEYS, PASSED_ON, READS_NAMES, _passed_on

# Variables whose value follows from the request key (not the Host) and the text around them.
_REQUEST_VARIABLES = frozenset({"uri", "document_uri", "request_uri", "args", "query_string", "is_args",
                                "request_method", "remote_addr", "binary_remote_addr", "realip_remote_addr",
                                "scheme", "https", "server_port", "server_protocol", "request", "remote_user",
                                "content_type", "content_length", "cookie"})
_VARIABLE = re.compile(r"\$\{?(\w+)")
# Directives whose decision the texts cannot carry: the server's names, a subrequest's own searches.
_UNSHARED = READS_NAMES | {"auth_request"}
# Server-level directives the selection reads (done per request), and one the model never reads.
_SELECTION = frozenset({"listen", "server_name"})
_UNREAD = frozenset({"client_max_body_size"})
# Decisions kept per request, server text and first location chain.
_MAX_ENTRIES = 16


def _request_variable(name: str) -> bool:
    return (name.isdigit() or name in _REQUEST_VARIABLES or name.startswith(("arg_", "cookie_"))
            or (name.startswith("http_") and name != "http_host"))


class _Unshared(Exception):
    """A scope whose text cannot stand for what a decision reads there."""


def _masked(key: str) -> bool:
    """A name or path argument, unless the coverage table makes its value decide (unknown class)."""
    entry = nginx_entry(key)
    return entry is not None and entry.cls != "unknown"


_MASKED = frozenset(key for key in NAME_KEYS | _UNREAD if _masked(key))
# directives some of whose values only go out (_passed_on says which)
_MAY_PASS = PASSED_ON | {"return", "auth_basic"}


def _walk(nodes, out_text: list, out_nodes: list, skip) -> None:
    """Append each node's text (key and arguments, masked where they only name or go out) and
    the node itself, depth first; a nested location is left to its own scope. The separators
    (NUL, and \\x01 for a masked value) appear in no argument of a shared scope."""
    for node in effective_children(nodes):
        key = node.key
        children = node.children
        if children is not None and key == "location":
            continue
        if skip is not None and skip(node):
            continue
        if key in _UNSHARED:
            raise _Unshared(key)
        out_nodes.append(node)
        out_text.append(key)
        raws = [arg.raw for arg in node.args]
        joined = "\x00".join(raws)
        if key in _MASKED or key in _MAY_PASS or "$" in joined or "\x01" in joined \
                or joined.count("\x00") != max(len(raws) - 1, 0):
            _args(key, node.args, out_text)
        elif raws:
            out_text.append(joined)
        if children is not None:
            out_text.append("{")
            _walk(children, out_text, out_nodes, skip)
            out_text.append("}")
        out_text.append(";")


def _args(key: str, args, out_text: list) -> None:
    masked, may_pass = key in _MASKED, key in _MAY_PASS
    for index, arg in enumerate(args):
        raw = arg.raw
        if "\x00" in raw or "\x01" in raw:
            raise _Unshared(raw)
        if may_pass and _passed_on(key, index, arg.value):
            out_text.append("\x01")
        elif "$" in raw:
            if not all(_request_variable(name) for name in _VARIABLE.findall(raw)):
                raise _Unshared(raw)
            out_text.append(raw)
        else:
            out_text.append("\x01" if masked else raw)


class _Scope:
    """A scope's text (None: not shared) and its nodes in the same order (the places a
    deciding directive is moved by)."""

    __slots__ = ("text", "nodes", "scope")

    def __init__(self, scope, skip=None) -> None:
        self.scope = scope
        text: list = [] if scope.node is None else [scope.node.key, *(a.raw for a in scope.node.args)]
        nodes: list = [scope.node]
        try:
            _walk(scope.node.children, text, nodes, skip)
            self.text = "\x00".join(text)
        except _Unshared:
            self.text = None
        self.nodes = nodes


def _location(loc: Location) -> _Scope:
    found = loc._groups.get(" shared")
    if found is None:
        found = loc._groups[" shared"] = _Scope(loc)
    return found


def _chain(loc: Location | None) -> tuple | None:
    """The texts of a found location and its enclosing locations (what it inherits); None if one
    is not shared; () for no location."""
    if loc is None:
        return ()
    found = loc._groups.get(" shared chain")
    if found is None:
        texts = []
        scope = loc
        while isinstance(scope, Location):
            text = _location(scope).text
            if text is None:
                texts = None
                break
            texts.append(text)
            scope = scope.parent
        found = loc._groups[" shared chain"] = [None if texts is None else tuple(texts)]
    return found[0]


class _Server:
    """A server's part of the key: its text, its plain rewrites' regexes, its named locations."""

    __slots__ = ("key", "regexes", "level", "named")

    def __init__(self, server: Server) -> None:
        script = server.rewrite_script()
        plain = all(n.key == "rewrite" and len(n.args) >= 2 for n in script)
        regexes = []
        if plain:
            try:
                regexes = [compile_regex(n.args[0].value, False) for n in script]
            except BadRegex:
                plain = False
        plain_nodes = {id(n) for n in script} if plain else set()
        self.regexes = tuple(regexes)
        self.level = _Scope(server, lambda node: node.key in _SELECTION or id(node) in plain_nodes)
        self.named = {name: _location(loc) for name, loc in server.named.items()}
        named_ok = all(s.text is not None and s.scope.parent is server for s in self.named.values())
        self.key = None
        if self.level.text is not None and named_ok:
            self.key = (self.level.text, plain, tuple(sorted((name, s.text) for name, s in self.named.items())))


def _server(server: Server, http) -> _Server:
    found = server._groups.get(" shared")
    if found is None:
        found = server._groups[" shared"] = _Server(server)
        if found.key is not None:
            # a number for each server text (the memo's keys hash it for every probe)
            numbers = http.memo.setdefault("shared_server_texts", {})
            found.key = numbers.setdefault(found.key, len(numbers))
    return found


def _request_key(request) -> tuple | None:
    if "//" in request.raw_path or "%2f" in request.raw_path.lower() or request.stated:
        return None          # the URI is parsed with the address's default server's merge_slashes
    headers = request.headers
    headers = () if len(headers) == 1 and "host" in headers else tuple(
        sorted(item for item in headers.items() if item[0] != "host"))
    return (request.method, request.raw_path, request.args, request.client_ip, request.scheme, request.port,
            request.address, request.bad_host, request.address_from_log, headers)


def shared_on(model: Model) -> bool:
    """Only config-only answers of the nginx model alone can be shared."""
    return (model.fs is None and model.identity is None and model.pools is None and not model.outside)


class _Entry:
    """One decision made in full: what it read (searches, URIs the server script ran on) and its
    verdict with the deciding directive's place."""

    __slots__ = ("searches", "script_uris", "status", "rule", "fs_path", "place")

    def __init__(self, searches, script_uris, outcome, place) -> None:
        self.searches = searches          # ((uri, chain texts, captures, named, whole, regex errors), ...)
        self.script_uris = script_uris
        self.status, self.rule, self.fs_path = outcome.status, outcome.rule, outcome.fs_path
        self.place = place

    def holds(self, server: Server, mine: _Server, first) -> list | None:
        """The locations `server`'s searches land on when this decision holds for it, else None
        (`first`: where its first search lands, which the caller looked up by)."""
        for uri in self.script_uris:
            for regex in mine.regexes:
                if regex.search(uri):
                    return None
        found_locs = [first] if self.searches else []
        for uri, chain, captures, named, whole, errors in self.searches[1:]:
            found = find_location(server, uri)
            if _search_record(found) != (chain, captures, named, whole, errors):
                return None
            found_locs.append(found.location)
        return found_locs


def _search_record(found) -> tuple | None:
    """What a decision read of one location search (hashable); None when it cannot be shared."""
    if found.redirect is not None:
        return None
    chain = _chain(found.location)
    if chain is None:
        return None
    return chain, found.captures, tuple(sorted(found.named.items())), found.whole, tuple(found.regex_errors)


def _place(node, server: Server, mine: _Server, locs: list, http) -> tuple | None:
    """Where `node` is, in terms another server's decision can resolve; None when it cannot be said."""
    if node is None:
        return ("none",)
    for index, n in enumerate(mine.level.nodes):
        if n is node:
            return ("server", index)
    for which, loc in enumerate(locs):
        depth = 0
        while isinstance(loc, Location):
            for index, n in enumerate(_location(loc).nodes):
                if n is node:
                    return ("chain", which, depth, index)
            loc, depth = loc.parent, depth + 1
    for name, scope in mine.named.items():
        for index, n in enumerate(scope.nodes):
            if n is node:
                return ("named", name, index)
    if any(n is node for n in http.scope.children_nodes):
        return ("same", node)
    return None


def _resolve(place: tuple, mine: _Server, locs: list):
    kind = place[0]
    if kind == "none":
        return None
    if kind == "server":
        return mine.level.nodes[place[1]]
    if kind == "chain":
        loc = locs[place[1]]
        for _ in range(place[2]):
            loc = loc.parent
        return _location(loc).nodes[place[3]]
    if kind == "named":
        return mine.named[place[1]].nodes[place[2]]
    return place[1]


def decide_shared(model: Model, request, server: Server, selection=None) -> Outcome:
    """decide() for a probe aimed at `server`: the decision another server made for the same
    request when it read the same configuration (see the module's docstring), else made here.
    `selection`: select_server's answer for `request`, when the caller has it."""
    try:
        if selection is None:
            selection = select_server(model.http, request)
        mine = _server(server, model.http) if selection.server is server else None
        request_key = _request_key(request) if mine is not None and mine.key is not None else None
    except RequestError:
        raise
    except Exception:  # noqa: BLE001 - decide() meets it again, inside its isolation boundary
        return decide_contained(decide, model, request)
    if request_key is None or selection.captures or selection.plain_on_tls is not None:
        return decide_contained(decide, model, request, None, selection)
    memo = model.http.memo.setdefault("shared_decisions", {})
    key = (model.prefix, model.conf_prefix, request_key, mine.key)
    # the decisions made for this request and server text, by where their first search landed
    # (the same URI for all of them: the server's script changed none)
    groups = memo.get(key)
    if groups is None:
        groups = memo[key] = {}
    for uri, group in groups.items():
        first = None
        if uri is None:
            group = group.get(None)
        else:
            found = find_location(server, uri)
            group = group.get(_search_record(found))
            first = found.location
        for entry in group or ():
            locs = entry.holds(server, mine, first)
            if locs is not None:
                return SharedOutcome.made(entry, _resolve(entry.place, mine, locs), model, request, selection)
    searches: list = []
    outcome = decide_contained(decide, model, request, None, selection, searches)
    entry = _record(model, server, mine, outcome, searches)
    if entry is not None:
        uri, record = (entry.searches[0][0], entry.searches[0][1:]) if entry.searches else (None, None)
        group = groups.setdefault(uri, {}).setdefault(record, [])
        if len(group) < _MAX_ENTRIES:
            group.append(entry)
    return outcome


def _record(model: Model, server: Server, mine: _Server, outcome: Outcome, searches: list) -> _Entry | None:
    if outcome.internal_error is not None:
        return None
    script_uris = tuple(dict.fromkeys(uri for uri, found in searches if found is None))
    for uri in script_uris:
        if any(regex.search(uri) for regex in mine.regexes):
            return None          # the script changed the request: its text would have to be the same
    records, locs = [], []
    for uri, found in searches:
        if found is None:
            continue
        record = _search_record(found)
        if record is None:
            return None
        records.append((uri, *record))
        locs.append(found.location)
    place = _place(outcome.decided_by, server, mine, locs, model.http)
    if place is None:
        return None
    return _Entry(tuple(records), script_uris, outcome, place)


class _Later:
    """A field of a SharedOutcome made by deciding the request in full on first read."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        values = obj.__dict__
        if self.name not in values:
            obj._decide_in_full()
        return values[self.name]

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.name] = value


_VERDICT = ("status", "rule", "fs_path", "decided_by")


class SharedOutcome(Outcome):
    """An Outcome whose verdict (status, rule, fs_path, decided_by) comes from a shared decision;
    its other fields are this request's own, decided in full when first read."""

    @classmethod
    def made(cls, entry: _Entry, decided_by, model: Model, request, selection) -> "SharedOutcome":
        outcome = object.__new__(cls)
        values = outcome.__dict__
        values["status"], values["rule"], values["fs_path"] = entry.status, entry.rule, entry.fs_path
        values["decided_by"] = decided_by
        values["_asked"] = (model, request, selection)
        return outcome

    def _decide_in_full(self) -> None:
        values = self.__dict__
        model, request, selection = values.pop("_asked")
        full = decide_contained(decide, model, request, None, selection)
        for name, value in vars(full).items():
            values.setdefault(name, value)


for _field in fields(Outcome):
    if _field.name not in _VERDICT:
        setattr(SharedOutcome, _field.name, _Later(_field.name))

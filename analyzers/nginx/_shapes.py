"""Look-alike servers: one analysis per shape in config-only scans.

Generated and templated configs repeat one server block thousands of times
with only the names changed (`server_name siteN.example.com`, `root
/var/www/siteN`). Two servers have the same *shape* when their subtrees are
the same directives with the same arguments and the same layout, except for
tokens of name and path arguments that are renamed consistently (one
server's `site7` is the other's `site8` everywhere, and neither appears in
any other argument of the server or of the http level). Without the disk,
and when no argument reads those names back through a variable into
something that matches (a location, an `if`, a map), the model answers the
same requests the same way for both, up to the renaming: a rule's verdict
on one holds for the other.

What cannot be shown the same shape keeps its own analysis: a server that
reads a name or path variable where it can be matched, a regex server_name,
`valid_referers`, or a token that also appears outside name and path
arguments. Sharing is off when the scan sees the disk (paths then lead to
different files) and when CONFCHECK_NO_SHARING is set (tests compare both).
"""

from __future__ import annotations

import os
import re
from typing import Callable, Iterable, Iterator

from confcheck.servers.nginx.conf import Http, Server

# Arguments that only name things: their tokens may be renamed between look-alikes.
NAME_KEYS = frozenset({"server_name", "root", "alias", "ssl_certificate", "ssl_certificate_key",
                       "ssl_trusted_certificate", "ssl_client_certificate", "ssl_dhparam", "access_log",
                       "error_log", "auth_basic_user_file", "ssl_stapling_file"})
# Variables whose value comes from a name or a path argument (or the Host the probe sends).
NAME_VARIABLES = frozenset({"host", "server_name", "http_host", "document_root", "realpath_root",
                            "request_filename", "hostname", "ssl_server_name"})
# Directives whose values only go out (to the backend or the response) and are never matched.
PASSED_ON = frozenset({"fastcgi_param", "proxy_set_header", "add_header", "uwsgi_param", "scgi_param",
                       "grpc_set_header", "return"})
# Directives that read the server names themselves.
READS_NAMES = frozenset({"valid_referers"})

_TOKEN = re.compile(r"\$\{?\w+\}?|[A-Za-z0-9_]+")
_TOKEN_SPLIT = re.compile(r"(\$\{?\w+\}?|[A-Za-z0-9_]+)")
_VARIABLE = re.compile(r"\$\{?(\w+)")
_CLASS = str.maketrans("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                       "a" * 26 + "A" * 26 + "9" * 10)


def sharing_on(model) -> bool:
    """Look-alikes share verdicts: config-only models, unless switched off."""
    return model.fs is None and not os.environ.get("CONFCHECK_NO_SHARING")


def _walk(nodes, depth: int = 1) -> Iterator[tuple]:
    """(directive, nesting) under `nodes`, depth first, an include followed by what it brings in."""
    for child in nodes or ():
        yield child, depth
        for included in child.included:
            yield from _walk(included.nodes, depth + 1)
        if child.children is not None:
            yield from _walk(child.children, depth + 1)


def server_nodes(server: Server) -> list:
    """The server's directives, depth first: the positions look-alikes correspond by."""
    return [node for node, _depth in _walk(server.node.children)]


def _http_tokens(http: Http) -> frozenset[str]:
    """Every token of an argument outside the server blocks (a map or geo naming a host)."""
    tokens: set[str] = set()
    root = http.scope.node if getattr(http.scope, "node", None) is not None else None
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        for child in node.children or ():
            if child.key == "server":
                continue
            for arg in child.args:
                tokens.update(_TOKEN.findall(arg.raw))
            if child.children is not None:
                stack.append(child)
    return frozenset(tokens)


class _Tokens(dict):
    """raw argument text -> its tokens (look-alikes repeat the same texts)."""

    def __missing__(self, raw: str) -> tuple:
        value = self[raw] = tuple(_TOKEN.findall(raw))
        return value


def _shape_key(http: Http, server: Server, walk: list, outside: frozenset[str],
               tokens: _Tokens) -> tuple[tuple | None, tuple[str, ...]]:
    """(shape, renamed tokens in order of first occurrence) of the server. The shape: its own text (comments and layout
    included) with the free tokens renamed by first occurrence, the files it includes,
    how probes reach it; None when it cannot be shared safely."""
    fixed: set[str] = set(outside)
    named: set[str] = set()
    included: list[str] = []
    for node, _depth in walk:
        key = node.key
        if node.included:
            included += [inc.source.path for inc in node.included]
        if key in NAME_KEYS:
            if key == "server_name" and any(a.value.startswith("~") for a in node.args):
                return None, ()
            for arg in node.args:
                named.update(tokens[arg.raw])
            continue
        if key in READS_NAMES:
            return None, ()
        passed_on = key in PASSED_ON
        for arg in node.args:
            raw = arg.raw
            if "$" in raw and not passed_on and NAME_VARIABLES.intersection(_VARIABLE.findall(raw)):
                return None, ()
            if not passed_on:
                fixed.update(tokens[raw])
    # renamable: the tokens of names and paths, nowhere else but in values that are only passed on
    # ($variables are never renamed: `root /srv/$host` reads one)
    free = frozenset(token for token in named - fixed if not token.startswith("$"))
    source, start, end = _extent(server.node)
    line_start = source.data.rfind(b"\n", 0, start) + 1
    parts = _TOKEN_SPLIT.split(source.slice(line_start, end))
    renamed: dict[str, str] = {}
    if free:
        for part in parts[1::2]:
            if part in free and part not in renamed:
                renamed[part] = f"{len(renamed)}:{part.translate(_CLASS)}"
        parts = [(renamed[part],) if part in renamed else part for part in parts]
    return (_aim_key(http, server), tuple(parts), tuple(included)), tuple(renamed)


def _size(server: Server) -> int:
    """The length of the server's text from the start of its first line."""
    source, start, end = _extent(server.node)
    return end - (source.data.rfind(b"\n", 0, start) + 1)


def _extent(node) -> tuple:
    """(source, start, end) of the node's span, without making the Span of a lazy node."""
    try:
        return node._src, node._start, node._end
    except AttributeError:
        span = node.span
        return span.source, span.start, span.end


def _aim_key(http: Http, server: Server):
    """Which listen and which kind of Host the probes reach the server with."""
    from ._common import _aim, _host_candidates
    aim = _aim(http, server)
    if aim is None:
        return None
    hosts = list(_host_candidates(server))
    return aim[0], aim[1], hosts.index(aim[2]) if aim[2] in hosts else -1, len(hosts)


class Shapes:
    """The servers of one http block grouped by shape (computed once per configuration)."""

    def __init__(self, http: Http) -> None:
        outside = _http_tokens(http)
        tokens = _Tokens()
        self.key: dict[int, tuple | None] = {}
        self.renamed: dict[int, tuple[str, ...]] = {}   # each server's renamed tokens, in order
        # renaming keeps every token's length: a server whose text is the only one of its
        # length has no look-alike, and its shape is not worked out
        lengths: dict[int, int] = {}
        for server in http.servers:
            size = _size(server)
            lengths[size] = lengths.get(size, 0) + 1
        for server in http.servers:
            if lengths[_size(server)] < 2:
                self.key[id(server)], self.renamed[id(server)] = None, ()
                continue
            self.key[id(server)], self.renamed[id(server)] = _shape_key(
                http, server, list(_walk(server.node.children)), outside, tokens)

    def node_map(self, rep: Server, other: Server) -> dict[int, object]:
        """id(node of `rep`) -> the node at the same position in `other` (same shape)."""
        return {id(a): b for a, b in zip(server_nodes(rep), server_nodes(other))}

    def moved_fix(self, fix, rep: Server, other: Server):
        """`fix` (a ConfigFix made for `rep`) for its look-alike `other`: the same edits
        moved to `other`'s text. None when that is not shown to be the fix `other` would
        get: a title, command or new text naming one of `rep`'s tokens that `other` names
        otherwise, or an edit in `rep`'s file outside its block; the caller then makes
        `other`'s own."""
        from confcheck.fixers.config import ConfigFix, checked_fix
        from confcheck.fixers.edits import Edit
        if type(fix) is not ConfigFix:
            return None
        free = frozenset(a for a, b in zip(self.renamed[id(rep)], self.renamed[id(other)]) if a != b)
        if _names_any(fix.title, free) or any(_names_any(c, free) for c in fix.commands):
            return None
        source, start, end = _extent(rep.node)
        target, there, _end = _extent(other.node)
        first = source.data.rfind(b"\n", 0, start) + 1
        edits = []
        for edit in fix.edits:
            if _names_any(edit.replacement.decode("utf-8", "surrogateescape"), free):
                return None
            if edit.source is source:
                if not (first <= edit.start and edit.end <= end):
                    return None
                edit = Edit(target, edit.start - start + there, edit.end - start + there, edit.replacement)
            edits.append(edit)
        moved = checked_fix(edits, fix.base, fix.title, fix.applicability)
        if moved is not None:
            moved.commands = list(fix.commands)
        return moved


def _names_any(text: str, tokens: frozenset[str]) -> bool:
    return bool(tokens) and not tokens.isdisjoint(_TOKEN.findall(text))


def shapes(http: Http) -> Shapes:
    memo = http.memo
    if "server_shapes" not in memo:
        memo["server_shapes"] = Shapes(http)
    return memo["server_shapes"]


def per_server(model, servers: Iterable[Server], analyse: Callable[[Server], Iterable]) -> Iterator:
    """analyse(server)'s findings for every server, where a look-alike of a server
    that had none has none either (its analysis is skipped). A shape whose first
    analysis recorded an internal error is not shared: each server then says so."""
    if not sharing_on(model):
        for server in servers:
            yield from analyse(server)
        return
    table = shapes(model.http)
    clean: set = set()
    failures = model.failures if model.failures is not None else []
    for server in servers:
        key = table.key[id(server)]
        if key is not None and key in clean:
            continue
        before = len(failures)
        found = False
        for finding in analyse(server):
            found = True
            yield finding
        if key is not None and not found and len(failures) == before:
            clean.add(key)

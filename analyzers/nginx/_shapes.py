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

Rules share through `per_server` (a look-alike of a server without findings
has none) or map a representative's findings themselves (NGX104: the same
directives at the same places, `counterpart`, and the fix moved, `moved_fix`).
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from functools import lru_cache
from typing import Callable, Iterable, Iterator

from confcheck.parsers.nginx_alike import picker as _picker   # text -> its slices at cuts
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

# Tokens in ASCII, the same in arguments and in the bytes of the text
_TOKEN = re.compile(r"\$\{?\w+\}?|[A-Za-z0-9_]+", re.ASCII)
_TOKEN_SPLIT = re.compile(r"(\$\{?\w+\}?|[A-Za-z0-9_]+)", re.ASCII)
_TEXT_TOKEN = re.compile(rb"\$\{?\w+\}?|[A-Za-z0-9_]+")
_VARIABLE = re.compile(r"\$\{?(\w+)")
_CLASS_BYTES = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                               b"a" * 26 + b"A" * 26 + b"9" * 10)
# Placements of free tokens looked up per masked text (more: a server is analysed on its own)
_MAX_LAYOUTS = 8


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


def _http_tokens(http: Http) -> frozenset[str]:
    """Every token of an argument outside the server blocks (a map or geo naming a host),
    what the http level includes (a map in conf.d/) included."""
    tokens: set[str] = set()
    root = http.scope.node if getattr(http.scope, "node", None) is not None else None
    stack = [root.children or []] if root is not None else []
    while stack:
        for child in stack.pop():
            if child.key == "server":
                continue
            tokens.update(_TOKEN.findall(child.key))      # a map's or geo's entry: `site1.example.com 1;`
            for arg in child.args:
                tokens.update(_TOKEN.findall(arg.raw))
            if child.children is not None:
                stack.append(child.children)
            stack.extend(included.nodes for included in child.included)
    return frozenset(tokens)


class _Tokens(dict):
    """raw argument text -> its tokens (look-alikes repeat the same texts)."""

    def __missing__(self, raw: str) -> tuple:
        value = self[raw] = tuple(_TOKEN.findall(raw))
        return value


def _text(server: Server) -> bytes:
    """The server's bytes from the start of its first line (what look-alikes are compared on)."""
    source, start, end = _extent(server.node)
    return source.data[source.data.rfind(b"\n", 0, start) + 1:end]


class _Layout:
    """One server analysed for sharing: the spans of its free tokens (renamed between
    look-alikes) and what a look-alike may not rename them to. Another server is its
    look-alike when its text differs only in those spans, consistently (one token for
    each of this server's free tokens, two different ones for two), and no token it
    puts there appears anywhere else in this server's text, its included files, or
    outside the server blocks (then it is a free token of the other server too)."""

    __slots__ = ("text", "spans", "slots", "order", "blocked", "shareable", "apart", "pick", "firsts")

    def __init__(self, server: Server, text: bytes, outside: frozenset[str], tokens: _Tokens) -> None:
        self.text = text
        named, used, self.shareable = _names(server, tokens)
        # renamable: the tokens of names and paths, nowhere else but in values that are only passed
        # on ($variables are never renamed: `root /srv/$host` reads one)
        free = frozenset(token for token in named - used - outside if not token.startswith("$"))
        spans: list[tuple[int, int]] = []
        slots: list[int] = []
        order: dict[str, int] = {}
        elsewhere: set[str] = set()
        for match in _TEXT_TOKEN.finditer(text):
            token = match.group().decode("ascii")
            if token in free:
                spans.append(match.span())
                slots.append(order.setdefault(token, len(order)))
            else:
                elsewhere.add(token)
        self.spans, self.slots, self.order = spans, slots, tuple(order)
        self.pick = _picker(spans)                          # text -> its bytes in the free spans
        self.firsts = [slots.index(slot) for slot in range(len(order))]   # each slot's first span
        self.blocked = frozenset(named | used | outside | elsewhere)
        # tokens only its included files use (a look-alike by text that names one of them
        # where this server has a free token is none)
        self.apart = frozenset((named | used) - elsewhere - order.keys())

    def renaming(self, text: bytes) -> tuple[str, ...] | None:
        """The tokens `text` has in place of this layout's free tokens, in their order;
        None when `text` is no look-alike of it. `text` has this layout's bytes everywhere
        else (_look_up found it by them)."""
        tokens = self.pick(text)
        # one token per free token of this layout, wherever it appears
        if len(set(zip(self.slots, tokens))) != len(self.order):
            return None
        renamed = tuple([tokens[index].decode("ascii") for index in self.firsts])
        if len(set(renamed)) != len(renamed):
            return None
        blocked = self.blocked
        for old, new in zip(self.order, renamed):
            if old != new and new in blocked:
                return None
        return renamed


def _names(server: Server, tokens: _Tokens) -> tuple[set[str], set[str], bool]:
    """(tokens of name and path arguments, every other token the server's directives and the
    files they include use, whether the server can be shared at all)."""
    named: set[str] = set()
    used: set[str] = set()
    shareable = True
    for node, _depth in _walk(server.node.children):
        key = node.key
        used.add(key)
        args = node.args
        if key in NAME_KEYS:
            if key == "server_name" and any(a.value.startswith("~") for a in args):
                shareable = False
            for arg in args:
                named.update(tokens[arg.raw])
            continue
        if key in READS_NAMES:
            shareable = False
        for index, arg in enumerate(args):
            raw = arg.raw
            passed_on = _passed_on(key, index, arg.value)
            if "$" in raw and not passed_on and NAME_VARIABLES.intersection(_VARIABLE.findall(raw)):
                shareable = False
            if not passed_on:
                used.update(tokens[raw])
    return named, used, shareable


def _passed_on(key: str, index: int, value: str) -> bool:
    """The argument is a value that only goes out (to the backend or the response)."""
    if key == "return":
        return index > 0             # the status code decides; the text or URL goes out
    if key == "auth_basic":
        # the realm goes out, unless it is one word, which a renaming could turn into `off`
        return _TOKEN.fullmatch(value) is None
    return key in PASSED_ON


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


def _look_up(group: dict, text: bytes) -> tuple[_Layout | None, tuple[str, ...]]:
    """The layout `text` is a look-alike of, and its renamed tokens ((None, ()) if none)."""
    for gaps, by_rest in group.values():
        # the same bytes between the free spans (the spans sit at the same places: the
        # texts have one length), so only the spans' tokens are left to compare
        layout = by_rest.get(b"".join(gaps(text)))
        if layout is not None:
            renamed = layout.renaming(text)
            if renamed is not None:
                return layout, renamed
    return None, ()


def _register(group: dict, layout: _Layout) -> None:
    spans = tuple(layout.spans)
    if spans not in group:
        if len(group) >= _MAX_LAYOUTS:
            return
        ends = [0] + [end for _start, end in spans]
        starts = [start for start, _end in spans] + [len(layout.text)]
        group[spans] = (_picker(list(zip(ends, starts))), {})
    gaps, by_rest = group[spans]
    by_rest.setdefault(b"".join(gaps(layout.text)), layout)


class Finder:
    """Each server's layout, found when asked (why --batch asks about the servers requests
    reach, Shapes about all of them).

    Renaming keeps every token's characters' classes, so look-alikes have the same text
    once letters and digits are masked: that masked text groups the candidates at C
    speed, a server alone in its group is nobody's look-alike, and only the first server
    of each layout has its directives read; the others are compared with it byte by byte.
    """

    def __init__(self, http: Http) -> None:
        self.outside = _http_tokens(http)
        self.tokens = _Tokens()
        self.texts: dict[int, tuple[bytes, bytes]] = {}     # id(server) -> (its text, masked)
        self.counts: dict[bytes, int] = {}
        for server in http.servers:
            text = _text(server)
            mask = text.translate(_CLASS_BYTES)
            self.texts[id(server)] = (text, mask)
            self.counts[mask] = self.counts.get(mask, 0) + 1
        # masked text -> {spans of free tokens -> (the text between them, {that text -> layout})}
        self.groups: dict[bytes, dict[tuple, tuple[list, dict[bytes, _Layout]]]] = {}
        self.layouts: list[_Layout] = []

    def find(self, server: Server) -> tuple[_Layout | None, tuple[str, ...]]:
        """(the layout `server` shares, its tokens in the layout's free places); (None, ())
        when it shares none."""
        text, mask = self.texts[id(server)]
        if self.counts[mask] < 2:
            return None, ()
        group = self.groups.setdefault(mask, {})
        layout, renamed = _look_up(group, text)
        if layout is None:
            layout = _Layout(server, text, self.outside, self.tokens)
            renamed = layout.order
            self.layouts.append(layout)
            _register(group, layout)
        if not layout.shareable:
            return None, ()
        return layout, renamed


class Shapes:
    """The servers of one http block grouped by shape (computed once per configuration)."""

    def __init__(self, http: Http) -> None:
        finder = Finder(http)
        self.key: dict[int, tuple | None] = {}
        self.renamed: dict[int, tuple[str, ...]] = {}   # each server's renamed tokens, in order
        self.layout: dict[int, _Layout] = {}            # id(server) -> its layout, when it has look-alikes
        for server in http.servers:
            layout, renamed = finder.find(server)
            key = None if layout is None else (id(layout), _aim_key(http, server))
            self.key[id(server)], self.renamed[id(server)] = key, renamed
            if layout is not None:
                self.layout[id(server)] = layout
        self._layouts = finder.layouts     # every layout whose id is in a key, kept alive
        self._paths: dict[int, tuple] = {}        # id(server) -> (server, its directives' places)
        self._fixes: dict[int, tuple] = {}        # id(fix) -> (fix, what moving it needs)
        self._bases: dict[tuple, tuple] = {}      # (id(file), patch base) -> (file, inside the base)
        self._headers: dict[tuple, tuple] = {}    # (id(file), patch base) -> (file, its diff's file header)
        self._lines: dict[int, tuple] = {}        # id(server) -> (server, index of its first line)

    def counterpart(self, rep: Server, other: Server, node):
        """The directive at `node`'s place in `other`, a look-alike of `rep` (`node` itself
        when it is not inside `rep`: an http-level directive is the same one for both)."""
        path = self._places(rep).get(id(node))
        if path is None:
            return node
        node = other.node
        for included, index in path:
            node = node.children[index] if included < 0 else node.included[included].nodes[index]
        return node

    def _places(self, rep: Server) -> dict[int, tuple]:
        """id(directive) -> its place in `rep`, (included file or -1 for the block's own, index) per
        level (worked out once per server that look-alikes are mapped from)."""
        found = self._paths.get(id(rep))
        if found is None:
            found = self._paths[id(rep)] = (rep, _places_under(rep.node, ()))
        return found[1]

    def moved_fix(self, fix, rep: Server, other: Server):
        """`fix` (a ConfigFix made for `rep`) for its look-alike `other`: the same edits
        moved to `other`'s text. None when that is not shown to be the fix `other` would
        get: a title, command or new text naming one of `rep`'s tokens that `other` names
        otherwise, or an edit in `rep`'s file outside its block; the caller then makes
        `other`'s own."""
        prepared = self._fixes.get(id(fix))
        if prepared is None:
            named, relative, all_move, names = _prepare(fix, rep, self.renamed[id(rep)])
            diffs = _MovedDiffs(self, fix, rep, names) if relative is not None and len(relative) == 1 else None
            prepared = self._fixes[id(fix)] = (fix, named, relative, all_move, diffs)
        _fix, named, relative, all_move, diffs = prepared
        if relative is None:
            return None
        renamed = self.renamed[id(other)]
        # only the tokens the fix's texts name must be the same in both servers
        if any(renamed[index] != token for index, token in named):
            return None
        ConfigFix, checked_fix, Edit, _inside = _fixers()
        target, there, _end = _extent(other.node)
        edits = [Edit(target, start + there, end + there, new) if moves else Edit(source, start, end, new)
                 for moves, source, start, end, new in relative]
        if all_move:
            # every edit moved with the block: they keep their places among themselves, so they
            # do not conflict when `rep`'s did not; only the file has to be inside the patch base
            if not self._inside(target, fix.base):
                return None
            moved = ConfigFix(applicability=fix.applicability, title=fix.title, commands=list(fix.commands),
                              edits=edits, base=fix.base)
            if diffs is not None:
                moved._made_by = (diffs, other)
            return moved
        moved = checked_fix(edits, fix.base, fix.title, fix.applicability)
        if moved is not None:
            moved.commands = list(fix.commands)
        return moved

    def file_header(self, source, base: str) -> str:
        """fixers.diff.file_header of the file's path under the patch base (once per file)."""
        key = (id(source), base)
        found = self._headers.get(key)
        if found is None:
            from confcheck.fixers.diff import file_header, relative
            found = self._headers[key] = (source, file_header(relative(source.realpath, base)))
        return found[1]

    def first_line(self, server: Server) -> int:
        """The index (from 0) of the line the server's text starts on."""
        found = self._lines.get(id(server))
        if found is None:
            source, start, _end = _extent(server.node)
            line = bisect_right(source.line_starts, source.data.rfind(b"\n", 0, start) + 1) - 1
            found = self._lines[id(server)] = (server, line)
        return found[1]

    def _inside(self, source, base: str) -> bool:
        """fixers.diff.inside for a file (asked once per file and patch base)."""
        key = (id(source), base)
        found = self._bases.get(key)
        if found is None:
            found = self._bases[key] = (source, _fixers()[3](source.realpath, base))
        return found[1]


@lru_cache(maxsize=None)
def _fixers() -> tuple:
    """(ConfigFix, checked_fix, Edit, inside), imported once, on first use (a statement in
    moved_fix would import them again for each of thousands of findings; why --batch loads this
    module without them)."""
    from confcheck.fixers.config import ConfigFix, checked_fix
    from confcheck.fixers.diff import inside
    from confcheck.fixers.edits import Edit
    return ConfigFix, checked_fix, Edit, inside


class _MovedDiffs:
    """The diffs of one fix of `rep` whose one edit moves with the block, for each look-alike
    it is moved to: `rep`'s diff made once as a template (fixers.diff.edit_template, with the
    layout's free tokens as its holes) and filled with the look-alike's tokens, lines and file.

    The template holds only when a look-alike's lines compare as `rep`'s do. They do among
    themselves (a renaming is one-to-one, and a token it brings in appears nowhere in `rep`'s
    text), and with the new text when no token the look-alike renames is one the fix's texts
    name (a look-alike where it is gets its diff made in full)."""

    __slots__ = ("table", "fix", "rep", "names", "template")

    def __init__(self, table: Shapes, fix, rep: Server, names: frozenset[str]) -> None:
        self.table, self.fix, self.rep, self.names = table, fix, rep, names
        self.template = None        # made on the first diff asked for (text output shows none)

    def diff(self, other: Server) -> str | None:
        """The diff of the fix moved to `other`; None when it has to be made in full."""
        template = self.template
        if template is None:
            template = self.template = self._make() or False
        if template is False:
            return None
        table, names = self.table, self.names
        tokens = table.renamed[id(other)]
        if not names.isdisjoint(tokens) and any(
                mine != theirs and theirs in names for mine, theirs in zip(table.renamed[id(self.rep)], tokens)):
            return None
        source = _extent(other.node)[0]
        return template.fill(table.file_header(source, self.fix.base), table.first_line(other), tokens)

    def _make(self):
        from confcheck.fixers.diff import edit_template
        rep, table = self.rep, self.table
        layout = table.layout.get(id(rep))
        (edit,) = self.fix.edits
        source, start, end = _extent(rep.node)
        if layout is None or edit.source is not source:
            return None
        lo = source.data.rfind(b"\n", 0, start) + 1
        holes = [(lo + s, lo + e, slot) for (s, e), slot in zip(layout.spans, layout.slots)]
        return edit_template(source, edit.start, edit.end, edit.replacement, lo, end, holes,
                             table.renamed[id(rep)])


def _prepare(fix, rep: Server, renamed: tuple[str, ...]) -> tuple:
    """What moving `fix` (a ConfigFix, made for `rep`) needs, or (None, None, False, ()) for
    another kind of fix: ((index, token) of each of `rep`'s renamed tokens (`renamed`) that
    the fix's texts name, its edits as (moves with the block, file, start, end, new text), a
    moving edit's offsets relative to the block (None if one is in `rep`'s file outside its
    block), whether every edit moves, the tokens the fix's texts name)."""
    if type(fix) is not _fixers()[0]:
        return None, None, False, frozenset()
    texts = [fix.title, *fix.commands, *(e.replacement.decode("utf-8", "surrogateescape") for e in fix.edits)]
    names = frozenset(token for text in texts for token in _TOKEN.findall(text))
    named = tuple((index, token) for index, token in enumerate(renamed) if token in names)
    source, start, end = _extent(rep.node)
    first = source.data.rfind(b"\n", 0, start) + 1
    relative = []
    for edit in fix.edits:
        if edit.source is not source:
            relative.append((False, edit.source, edit.start, edit.end, edit.replacement))
        elif first <= edit.start and edit.end <= end:
            relative.append((True, source, edit.start - start, edit.end - start, edit.replacement))
        else:
            return named, None, False, names
    return named, relative, all(moves for moves, *_rest in relative), names


def _places_under(node, path: tuple) -> dict[int, tuple]:
    places: dict[int, tuple] = {}
    for index, child in enumerate(node.children or ()):
        _place(child, path + ((-1, index),), places)
    return places


def _place(node, path: tuple, places: dict) -> None:
    places[id(node)] = path
    for included, file in enumerate(node.included):
        for index, child in enumerate(file.nodes):
            _place(child, path + ((included, index),), places)
    for index, child in enumerate(node.children or ()):
        _place(child, path + ((-1, index),), places)


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

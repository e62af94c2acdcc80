"""why --batch: one JSON line per request, one decision shared by look-alike servers.

Generated configs repeat one server block with only its names changed, and
in a config-only batch a request to one of them is answered like the same
request, names renamed, to another of the same shape
(confcheck.analyzers.nginx._shapes says when two servers are look-alikes).
So the decision is made once per shape and request class, and its JSON line
kept as a template whose holes are the names, the request, the server
selection and the places (file, line) of the nodes it cites, filled for each
server. A request class is what every decision reads of a request (method,
URL, Host) and what this decision read besides (the client address, a header:
the model notes each read, _watching), so requests from other clients share
the decision of a location that never looks at the client.

A template answers only after it proved itself: the first two servers of a
shape that get the same request are decided in full, and the second answer
must be the first one's renamed; a server whose names differ at a position no
such pair covered is decided in full once more the same way. What renaming
cannot carry fails that proof, and the request keeps the full decision for
every server: a message citing the server's own file:line (which differs
between any two servers), a name the request itself spells (left as the
request spelled it in one answer, renamed in the other), a rate limit (its
directive's place is not a hole). An answer with an internal error is never a
template. CONFCHECK_NO_SHARING turns sharing off (tests compare both).
"""

from __future__ import annotations

import functools
import json
import operator
import re
from bisect import bisect_right
from itertools import compress, count
from operator import ne
from json.encoder import encode_basestring_ascii as _quote

from confcheck.analyzers.nginx._shapes import _TOKEN_SPLIT, _extent  # the tokens look-alikes rename
from confcheck.why import Prepared, explain

_UNSEEN = object()     # a server no request reached yet
_CONNECTION = "connection"   # a read of the connection's own server (Request.reads_connection)

# a hole standing for a whole value, and a token's position inside a string
_MARK = re.compile(r'"\\u0001(\d+)\\u0001"|\\u0002(\d+)\\u0002')


def answerer(prepared: Prepared):
    """request -> (its JSON line, its internal error or None)."""
    if prepared.server == "nginx" and _shareable(prepared):
        return _Shared(prepared)
    return _direct(prepared)


# a batch line's URL host (the first `://` of the line: a key for balancing work, not a parse)
_HOST = re.compile(r'://([^/?#"\\]*)')
# letters and digits masked by class (look-alikes' names have the same classes: _shapes.Finder)
_CLASSES = str.maketrans("abcdefghijklmnopqrstuvwxyz0123456789", "a" * 26 + "9" * 10)


def split_key(prepared: Prepared):
    """For why --batch's workers (why_workers.answer_split): a batch line -> its URL's host
    with letters and digits masked, when look-alike servers share decisions (else None).
    Look-alike servers' names have the same characters' classes (site10 and site11, not
    site9), so lines with one key mostly reach servers of one shape: one process then
    learns the shape's answers once (a key that is wrong only costs time)."""
    if not (prepared.server == "nginx" and _shareable(prepared)):
        return None
    masked: dict[str, str] = {}
    search = _HOST.search

    def key(line: str) -> str | None:
        found = search(line)
        if found is None:
            return None
        host = found[1]
        name = masked.get(host)
        if name is None:
            name = masked[host] = host.lower().translate(_CLASSES)
        return name
    return key


def _direct(prepared: Prepared):
    def answer(request) -> tuple[str, str | None]:
        outcome = explain(prepared, request)
        return json.dumps(outcome.to_json(), ensure_ascii=True), outcome.internal_error
    return answer


def _shareable(prepared: Prepared) -> bool:
    """Config-only answers from the nginx model alone: no layer in front (WAF) or behind
    (apps, php-fpm pools, whose settings may name one server's paths)."""
    from confcheck.analyzers.nginx._shapes import sharing_on
    model = prepared.model
    return sharing_on(model) and not prepared.apps and not model.outside and not model.pools


class _Names:
    """One server as its look-alikes see it: its shape, its renamed tokens, where its text starts."""

    __slots__ = ("server", "shape", "free", "index", "_place", "steps", "moved")

    def __init__(self, server, shape: int, free: tuple[str, ...]) -> None:
        self.server, self.shape, self.free = server, shape, free
        self.index = {token: i for i, token in enumerate(free)}
        self._place: tuple[str, int] | None = None
        self.steps: dict[tuple, str] = {}            # the selection's trace line as JSON, by reason and node
        self.moved: dict[int, frozenset[int]] = {}   # id(other _Names) -> positions where the tokens differ

    def place(self) -> tuple[str, int]:
        """(the server's file as JSON text, the line it starts on)."""
        if self._place is None:
            file, line = _position(self.server.node)
            self._place = (_quote(file), line)
        return self._place

    def holds(self, node) -> bool:
        """Whether the node is written in the server's own text (not in a file it includes)."""
        source, start, end = _extent(self.server.node)
        there, at, _end = _extent(node)
        return there is source and start <= at < end

    def abstract(self, texts) -> tuple:
        """`texts` with this server's renamed tokens as their positions (one text from them all,
        a NUL inside one escaped: two different lists never give the same key)."""
        parts = _TOKEN_SPLIT.split("\x00\x02".join([text.replace("\x00", "\x00\x01") for text in texts]))
        tokens = parts[1::2]
        parts[1::2] = map(self.index.get, tokens, tokens)
        return tuple(parts)


class _Refused(Exception):
    """The answer holds something renaming cannot carry to a look-alike."""


class _Template:
    """An answer's JSON line with holes: a position in the server's renamed tokens, ("request",),
    ("server",) (the selection's trace line), ("file",) (the server's file), ("line", n) (n lines
    below the server's first)."""

    __slots__ = ("text", "holes", "below", "values")

    def __init__(self, outcome, line: str, names: _Names) -> None:
        from dataclasses import replace

        from confcheck.servers.outcome import Step
        if (outcome.internal_error is not None or not outcome.trace or outcome.trace[0].step != "server"
                or "\\u0001" in line or "\\u0002" in line):
            raise _Refused()
        self.holes: list[tuple] = []

        def node(n):
            # look-alikes' texts are the same line for line: a node of the server's own text is
            # as many lines below the server's first line in each (an included file is the same file)
            if n is None or not names.holds(n):
                return n
            if n.line < names.place()[1]:
                raise _Refused()
            return _NodeHole(self, n, n.line - names.place()[1])

        trace = [Step("server", "")] + [Step(s.step, s.detail, node(s.node)) for s in outcome.trace[1:]]
        doc = replace(outcome, trace=trace, decided_by=node(outcome.decided_by),
                      not_modelled=node(outcome.not_modelled)).to_json()
        doc["request"] = self.mark(("request",))
        doc["trace"][0] = self.mark(("server",))
        split = _MARK.split(json.dumps(self._texts(doc, names), ensure_ascii=True))
        # the line as a %-format of its literal texts, and where each hole's value is in the
        # list fill() makes: the server's tokens, then its file, the selection's trace line and
        # the request, then the lines below the server's first that the template cites
        tokens = len(names.free)
        literal = [split[0]]
        found: list[int] = []
        places: list[tuple[str, int]] = []     # ("t", position) or ("f"|"s"|"r", 0) or ("n", lines below)
        for i in range(1, len(split), 3):
            hole, token, text = split[i], split[i + 1], split[i + 2]
            if hole is None:
                places.append(("t", int(token)))
            else:
                found.append(int(hole))
                kind = self.holes[int(hole)]
                places.append(("n", kind[1]) if kind[0] == "line" else (kind[0][0], 0))
            literal.append(text)
        if sorted(found) != list(range(len(self.holes))):
            raise _Refused()
        self.below = sorted({below for kind, below in places if kind == "n"})
        fixed = {"f": tokens, "s": tokens + 1, "r": tokens + 2}
        at = [value if kind == "t" else tokens + 3 + self.below.index(value) if kind == "n" else fixed[kind]
              for kind, value in places]
        self.values = operator.itemgetter(*at)      # at least the request and the server line: a tuple
        self.text = "%s".join(part.replace("%", "%%") for part in literal)

    def mark(self, hole: tuple) -> str:
        self.holes.append(hole)
        return f"\x01{len(self.holes) - 1}\x01"

    def _texts(self, value, names: _Names):
        """`value` with the server's renamed tokens in its strings marked by position."""
        if isinstance(value, str):
            if value.startswith("\x01"):
                return value
            parts = _TOKEN_SPLIT.split(value)
            index = names.index
            if index.keys().isdisjoint(parts[1::2]):
                return value
            parts[1::2] = [f"\x02{index[p]}\x02" if p in index else p for p in parts[1::2]]
            return "".join(parts)
        if isinstance(value, dict):
            return {k: self._texts(v, names) for k, v in value.items()}
        if isinstance(value, list):
            return [self._texts(v, names) for v in value]
        return value

    def fill(self, request, selection, names: _Names) -> str:
        file, line = names.place()
        # a token is letters, digits and _: its JSON text is itself
        return self.text % self.values([*names.free, file, _server_line(selection, names), request.json_text(),
                                        *[line + below for below in self.below]])


class _NodeHole:
    """Stands for a node of the server's own text in the template: its file and line are holes."""

    __slots__ = ("template", "node", "below")

    def __init__(self, template: _Template, node, below: int) -> None:
        self.template, self.node, self.below = template, node, below

    @property
    def file(self) -> str:
        return self.template.mark(("file",))

    @property
    def line(self) -> str:
        return self.template.mark(("line", self.below))

    @property
    def column(self) -> int:
        return self.node.column

    @property
    def name(self) -> str:
        return self.node.name


def _server_line(selection, names: _Names) -> str:
    """The trace's server line as JSON: the same for every request naming the server the same way."""
    key = (selection.reason, id(selection.node))
    text = names.steps.get(key)
    if text is None:
        from confcheck.servers.nginx.decide import server_step
        node = selection.node
        text = names.steps[key] = server_step(selection).json_text(None if node is None else _position(node))
    return text


def _position(node) -> tuple[str, int]:
    """(node.file, node.line), without making the node's Span (a lazy node's: why --batch asks
    it of every server it meets)."""
    source, start, _end = _extent(node)
    return source.display_path, bisect_right(source.line_starts, start)


class _Entry:
    """One (shape, request class): the template, the server it was made from, the token
    positions proved to rename (None: not yet proved), the request fields the decision read
    beyond the class's key (_Watched)."""

    __slots__ = ("template", "names", "proved", "reads")

    def __init__(self, template, names: _Names, reads: frozenset[str]) -> None:
        self.template, self.names, self.proved, self.reads = template, names, None, reads


def _base(request) -> tuple[str, ...]:
    """What every decision reads of a batch line's request (Request.parse makes the URL's
    parts from the URL, and the Host from the URL or the Host header)."""
    return (request.method, request.url, "log" if request.address_from_log else "", request.headers.get("host", ""))


def _read(request, reads: frozenset[str]) -> tuple[str, ...]:
    """The request's values of the fields in `reads` (as _Watched names them), in a fixed order."""
    values = []
    for name in sorted(reads):
        if name == "client_ip":
            values.append(request.client_ip)
        elif name == "headers":     # last in the order: the only read of no fixed length
            for item in request.headers.items():
                values += item
        elif name == _CONNECTION:   # no value of the request's: such a decision is no template
            continue
        else:
            value = request.headers.get(name[2:])
            values.append("\x02" if value is None else f"\x01{value}")
    return tuple(values)


def _watching(reads: set):
    """A Request class whose instances note in `reads` what a decision reads of the fields
    _base leaves out: "client_ip", one header ("h:" and its lower-case name) or "headers"
    (all of them: anything that reads the dict itself, a copy of the request included).
    Requests that agree on _base and on every field a decision read get that decision:
    it is made of those reads alone (the model keeps no state between requests)."""
    from confcheck.servers.nginx.request import Request

    class Watched(Request):
        # properties over the dataclass's fields (the instance's own values stay in __dict__)
        @property
        def client_ip(self) -> str:
            reads.add("client_ip")
            return self.__dict__["client_ip"]

        @client_ip.setter
        def client_ip(self, value: str) -> None:
            self.__dict__["client_ip"] = value

        @property
        def headers(self) -> dict[str, str]:
            reads.add("headers")
            return self.__dict__["headers"]

        @headers.setter
        def headers(self, value: dict[str, str]) -> None:
            self.__dict__["headers"] = value

        def header(self, name: str) -> str | None:
            name = name.lower()
            reads.add("h:" + name)
            return self.__dict__["headers"].get(name)

        def reads_connection(self) -> None:
            reads.add(_CONNECTION)

        def to_json(self) -> dict:
            # the answer's "request" is a hole filled per request: writing it is no read
            before = set(reads)
            try:
                return Request.to_json(self)
            finally:
                reads.intersection_update(before)

    return Watched


class _Shared:
    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.direct = _direct(prepared)
        # a server's layout is looked up when a request first reaches it (a short batch on a
        # large configuration reads the directives of few), the finder made then (in each
        # forked worker, not before the split)
        self.finder = None      # _shapes.Finder
        self.shape_ids: dict = {}
        self.servers: dict[int, _Names | None] = {}
        # (shape, _base renamed) -> [(fields read, {their values renamed -> entry})]
        self.classes: dict[tuple, list[tuple[frozenset[str], dict[tuple, _Entry]]]] = {}
        self.reads: set[str] = set()
        self.watched = _watching(self.reads)
        self.filled = 0      # answers made from a template (tests see that sharing happened)
        from confcheck.servers.nginx.select import select_server
        self.select = functools.partial(select_server, prepared.model.http)

    def __call__(self, request) -> tuple[str, str | None]:
        try:
            selection = self.select(request)
        except Exception:  # noqa: BLE001 - the full path answers it (or reports the bad request)
            return self.direct(request)
        names = self.servers.get(id(selection.server), _UNSEEN)
        if names is _UNSEEN:
            names = self._names(selection.server)
        if names is None or selection.captures:
            return self._decide(request, selection, None)[:2]
        key = (names.shape, names.abstract(_base(request)))
        variants = self.classes.get(key)
        entry = None
        for reads, table in variants or ():
            entry = table.get(names.abstract(_read(request, reads)) if reads else ())
            if entry is not None:
                break
        if entry is None:
            line, error, template, reads = self._decide(request, selection, names)
            if variants is None:
                variants = self.classes[key] = []
            table = next((table for known, table in variants if known == reads), None)
            if table is None:
                table = {}
                variants.append((reads, table))
            table[names.abstract(_read(request, reads)) if reads else ()] = _Entry(template, names, reads)
            return line, error
        if entry.template is None:
            return self._decide(request, selection, None)[:2]
        rep = entry.names
        moved = names.moved.get(id(rep))
        if moved is None:
            moved = names.moved[id(rep)] = frozenset(compress(count(), map(ne, rep.free, names.free)))
        if entry.proved is not None and moved <= entry.proved:
            self.filled += 1
            return entry.template.fill(request, selection, names), None
        line, error, _, reads = self._decide(request, selection, names, template=False)
        if error is None and reads == entry.reads and line == entry.template.fill(request, selection, names):
            entry.proved = moved | (entry.proved or frozenset())
        else:
            entry.template = None
        return line, error

    def _names(self, server) -> _Names | None:
        if self.finder is None:
            from confcheck.analyzers.nginx._shapes import Finder
            self.finder = Finder(self.prepared.model.http)
        layout, free = self.finder.find(server)
        # the decision reads the selection only for its server and captures (none here):
        # how the server was reached is the request's (the key) and the trace's server line (a hole)
        names = self.servers[id(server)] = None if layout is None else _Names(
            server, self.shape_ids.setdefault(id(layout), len(self.shape_ids)), free)
        return names

    def _decide(self, request, selection, names: _Names | None, template: bool = True):
        """(JSON line, internal error, template or None, the fields _base leaves out that the
        decision read) of the full decision (watched when `names` is given)."""
        from confcheck.isolation import decide_contained
        from confcheck.servers.nginx.decide import decide
        if names is not None:
            watched = object.__new__(self.watched)
            watched.__dict__.update(vars(request))
            request = watched
            self.reads.clear()
        outcome = decide_contained(decide, self.prepared.model, request, None, selection)
        line = json.dumps(outcome.to_json(), ensure_ascii=True)
        made = None
        # a decision that read the address's default server depends on which server that is,
        # not only on the request and this server's shape: never a template
        if template and names is not None and _CONNECTION not in self.reads:
            try:
                made = _Template(outcome, line, names)
            except _Refused:
                made = None
        return line, outcome.internal_error, made, frozenset(self.reads)

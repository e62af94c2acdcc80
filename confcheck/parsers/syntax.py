"""The syntax tree shared by every dialect (nginx, Apache, .htaccess).

A `Node` is one directive or block exactly as written: name and arguments keep
their raw source text, the value the server sees, their quote and their span.
Nothing here interprets what a directive means; that is the semantic layer's
job (confcheck/servers/).

Includes: an `include` directive keeps its own node, and `Node.included` holds
the top-level nodes of each file it pulled in, parsed for this include site.
A file included from two places therefore yields two sets of nodes (two
*instances*) over the same `SourceFile`: findings cite the instance (with its
include chain), edits target the shared source bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from confcheck.source import SourceFile, Span


# Lazy spans: a large config has ~200,000 spans and a run looks at a few
# hundred, so a reader may leave the span fields of an Arg or a LazyNode unset
# and store offsets in the `_src`/`_start`/... slots instead; a property over the
# field's slot (_lazy_span) makes the Span on first use and stores it there. Slots rather than a tuple: every object the
# reader leaves behind costs the cyclic collector a visit. Arg carries its
# three slots itself (a subclass would change its repr and its equality with
# plain Args); Node, with its own repr and no equality, has a subclass.


@dataclass(slots=True)
class Arg:
    raw: str            # exact source text, quotes included
    value: str          # as the server sees it (quotes removed, escapes applied)
    span: Span
    quote: str | None = None   # '"', "'" or None
    # lazy span, set by a reader instead of `span` (left unset otherwise)
    _src: SourceFile = field(init=False, repr=False, compare=False)
    _start: int = field(init=False, repr=False, compare=False)
    _end: int = field(init=False, repr=False, compare=False)


def lazy_arg(raw: str, value: str, quote: str | None, source: SourceFile, start: int,
             end: int) -> Arg:
    """An Arg whose span is made on first use (the nginx lexer inlines this)."""
    arg = object.__new__(Arg)
    arg.raw = raw
    arg.value = value
    arg.quote = quote
    arg._src = source
    arg._start = start
    arg._end = end
    return arg


@dataclass(slots=True, eq=False)
class Node:
    name: str                    # as written
    args: list[Arg]
    span: Span                   # the whole statement: name .. ';' or the closing '}' / '</X>'
    name_span: Span
    dialect: str = "nginx"       # nginx | apache | htaccess
    children: list["Node"] | None = None   # None for a simple directive, a list for a block
    header_span: Span | None = None        # block only: name .. '{' (nginx) or '<X ...>' (apache)
    close_span: Span | None = None         # block only: '}' or '</X>'; None when unclosed
    parent: "Node | None" = None
    via: "Node | None" = None    # the include directive that brought this node's file in (None: main file)
    included: list["IncludedFile"] = field(default_factory=list)  # include directives only
    # Name for lookups: exact for nginx, lower-case for Apache. Stored, not a property:
    # the server models and rules ask it ~10 times per node (600,000 times for 2,000
    # Apache vhosts), and name/dialect never change after parsing.
    key: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.key = self.name if self.dialect == "nginx" else self.name.lower()

    @property
    def is_block(self) -> bool:
        return self.children is not None

    @property
    def source(self) -> SourceFile:
        return self.span.source

    @property
    def file(self) -> str:
        return self.span.file

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    @property
    def values(self) -> list[str]:
        return [a.value for a in self.args]

    def include_chain(self) -> list["Node"]:
        """Include directives from the main file down to this node's file."""
        chain: list[Node] = []
        via = self.via
        while via is not None:
            chain.append(via)
            via = via.via
        chain.reverse()
        return chain

    def ancestors(self) -> Iterator["Node"]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def __repr__(self) -> str:
        args = " ".join(a.raw for a in self.args)
        return f"<Node {self.name} {args} @{self.file}:{self.line}>"


def _lazy_span(cls: type, name: str, make) -> property:
    """A property over `cls`'s slot `name` (a dataclass field): the slot's value, made by
    make(obj) and kept there when unset. Not a __getattr__: CPython 3.11 specialises no
    attribute read of a class that has one, and the reader's nodes and arguments are read
    millions of times."""
    slot = cls.__dict__[name]
    get_slot, set_slot = slot.__get__, slot.__set__

    def get(obj):
        try:
            return get_slot(obj)
        except AttributeError:
            value = make(obj)
            set_slot(obj, value)
            return value

    return property(get, set_slot)


Arg.span = _lazy_span(Arg, "span", lambda a: Span(a._src, a._start, a._end))  # type: ignore[assignment]


class LazyNode(Node):
    """A Node whose span fields a reader leaves unset, storing offsets instead:
    name_span is [_start, _name_end), span [_start, _end), a block's header_span
    [_start, _header_end) and close_span the "}" ending at _end (if _closed); a
    statement's (children None) are None. A subclass so that readers without lazy
    spans (Apache) keep smaller nodes.

    The four are properties over Node's own slots (_lazy_span)."""

    __slots__ = ("_src", "_start", "_name_end", "_end", "_header_end", "_closed")


LazyNode.span = _lazy_span(Node, "span", lambda n: Span(n._src, n._start, n._end))
LazyNode.name_span = _lazy_span(Node, "name_span", lambda n: Span(n._src, n._start, n._name_end))
LazyNode.header_span = _lazy_span(
    Node, "header_span", lambda n: None if n.children is None else Span(n._src, n._start, n._header_end))
LazyNode.close_span = _lazy_span(
    Node, "close_span", lambda n: Span(n._src, n._end - 1, n._end) if n.children is not None and n._closed else None)


class CopiedNode(LazyNode):
    """A LazyNode of a look-alike file's copy (parsers/nginx_alike.py), whose arguments are
    made when first read: `_alike(source)` makes them, the texts at its template's offsets
    in its own file (`_args` None until then: no AttributeError to pay for on the tens of
    thousands validation reads)."""

    __slots__ = ("_alike", "_args")

    @property
    def args(self) -> list[Arg]:
        args = self._args
        if args is None:
            args = self._args = self._alike(self._src)
        return args

    @args.setter
    def args(self, value: list[Arg]) -> None:
        self._args = value


@dataclass(slots=True, eq=False)
class IncludedFile:
    source: SourceFile
    nodes: list[Node]


@dataclass(slots=True, eq=False)
class Comment:
    text: str       # without the leading '#'
    span: Span      # from '#' to the end of the line (newline excluded)
    own_line: bool  # nothing but whitespace before it on its line


@dataclass(slots=True, eq=False)
class ParsedFile:
    """One source file read in one context."""

    source: SourceFile
    nodes: list[Node]
    comments: list[Comment] = field(default_factory=list)


def effective_children(nodes: list[Node] | None) -> list[Node] | tuple[()]:
    """The nodes as the server sees them: each `include` replaced by what it includes.

    The include directive itself is not part of the result. Most blocks have
    no include, and then the block's own list comes back as it is (hot path:
    the server models call this for every block).
    """
    if not nodes:
        return ()
    for node in nodes:
        # an include (followed or not): this loop sees every node of every block the models build
        if node.included or (node.children is None and node.key == "include"):
            break
    else:
        return nodes
    return _expanded(nodes)


def _expanded(nodes: list[Node]) -> list[Node]:
    """effective_children's list when `nodes` hold an include (recursing once per
    level of nested includes, which the loader bounds)."""
    out: list[Node] = []
    for node in nodes:
        if node.included:
            for inc in node.included:
                out.extend(effective_children(inc.nodes))
        elif node.children is not None or node.key != "include":
            out.append(node)
    return out


def walk(nodes: list[Node] | None) -> Iterator[Node]:
    """Every node below `nodes`, includes expanded, depth first in source order."""
    for node in effective_children(nodes):
        yield node
        if node.children:
            yield from walk(node.children)

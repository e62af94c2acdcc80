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


@dataclass(slots=True)
class Arg:
    raw: str            # exact source text, quotes included
    value: str          # as the server sees it (quotes removed, escapes applied)
    span: Span
    quote: str | None = None   # '"', "'" or None


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


def _is_include(node: Node) -> bool:
    return bool(node.included) or (node.children is None and node.key == "include")


def effective_children(nodes: list[Node] | None) -> list[Node] | tuple[()]:
    """The nodes as the server sees them: each `include` replaced by what it includes.

    The include directive itself is not part of the result. Most blocks have
    no include, and then the block's own list comes back as it is (hot path:
    the server models call this for every block).
    """
    if not nodes:
        return ()
    for node in nodes:
        # _is_include, inline: this loop sees every node of every block the models build
        if node.included or (node.children is None and node.key == "include"):
            break
    else:
        return nodes
    out: list[Node] = []
    stack = [iter(nodes)]
    while stack:
        for node in stack[-1]:
            if _is_include(node):
                stack.extend(iter(inc.nodes) for inc in reversed(node.included))
                break
            out.append(node)
        else:
            stack.pop()
    return out


def walk(nodes: list[Node] | None) -> Iterator[Node]:
    """Every node below `nodes`, includes expanded, depth first in source order."""
    for node in effective_children(nodes):
        yield node
        if node.children:
            yield from walk(node.children)

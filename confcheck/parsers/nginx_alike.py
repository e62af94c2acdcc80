"""Files that differ from one parsed already only in letters and digits: parsed by copying it.

Generated configs put their servers in many files that are the same text up to the
names (`site17.example.com`, `/var/www/site17`): the uniform 2,000-server tree has
200 site files of four masked texts. Where nginx's reader (ngx_conf_read_token) ends
tokens, statements and blocks depends only on bytes that are not letters or digits,
but for what is kept out here:

* a name ending in `_by_lua_block` takes a raw body: no file that says it;
* a message quotes the byte it stops at: no file whose parse reported anything;
* the parser reads statement names (`if`, `include`, `server`, `http` ...): a copy
  has each name the same bytes as its template's;
* a value is its raw text unescaped (`\\t` is a tab): each copy's value is unescaped
  from its own bytes, and a template whose values are not made that way (a quoted
  `if ("(...)")` trimmed inside its quotes) is none.

So an ASCII file that masks (letters to `a`, digits to `9`) to the same bytes as a
template, with its names, is read by nginx into the same tree with the same spans:
the copy takes the template's tree and offsets and slices its own texts. A node's
arguments are sliced when first read (most of a look-alike's are never read:
validation and the rules compare repeated blocks by their bytes).
tests/parsers/test_nginx_alike.py parses renamed files both ways and compares every
node, argument, span and comment.
"""

from __future__ import annotations

from operator import itemgetter

from confcheck.parsers.nginx_lexer import unescape
from confcheck.parsers.syntax import Arg, Comment, CopiedNode, LazyNode, Node, ParsedFile
from confcheck.source import SourceFile, Span

# Letters and digits to one byte per class (a renaming that keeps each token's length and classes)
CLASS_BYTES = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                              b"a" * 26 + b"A" * 26 + b"9" * 10)
# Templates kept per masked text (files of one mask whose names differ)
_PER_MASK = 4
_new = object.__new__


def picker(cuts: list[tuple[int, int]]):
    """text -> the tuple of its slices at `cuts`, sliced at C speed."""
    if not cuts:
        return lambda text: ()
    if len(cuts) == 1:
        (start, end), = cuts
        return lambda text: (text[start:end],)
    return itemgetter(*[slice(start, end) for start, end in cuts])


def mask_of(data: bytes) -> bytes | None:
    """The text look-alikes of `data` share; None for a file that cannot have any."""
    if not data.isascii() or b"_by_lua_block" in data:
        return None
    return data.translate(CLASS_BYTES)


def _value(data: bytes, start: int, end: int, quote: str | None) -> str:
    """The value of the word at data[start:end] (its quotes included), as the lexer makes it."""
    return unescape(data[start:end] if quote is None else data[start + 1:end - 1])


class _Args:
    """One template node's arguments, made again at their offsets in a copy's file."""

    __slots__ = ("words",)

    def __init__(self, args: list[Arg]) -> None:
        self.words = [(arg._start, arg._end, arg.quote) for arg in args]

    def __call__(self, source: SourceFile) -> list[Arg]:
        data = source.data
        new = _new
        args = []
        for start, end, quote in self.words:
            arg = new(Arg)
            arg.raw = raw = data[start:end].decode("ascii")
            # (`in` on a str: on bytes it first tries the operand as an int, and pays for its error)
            if "\\" in raw:
                arg.value = _value(data, start, end, quote)
            else:
                arg.value = raw if quote is None else raw[1:-1]
            arg.quote = quote
            arg._src = source
            arg._start = start
            arg._end = end
            args.append(arg)
        return args


class _Template:
    """A file parsed with nothing reported: its tree, its include nodes, its names' bytes,
    each node's argument maker."""

    __slots__ = ("parsed", "includes", "pick", "names", "makers")

    def __init__(self, parsed: ParsedFile, includes: list[Node], cuts: list[tuple[int, int]],
                 makers: dict[int, _Args]) -> None:
        self.parsed, self.includes, self.makers = parsed, includes, makers
        self.pick = picker(cuts)
        self.names = self.pick(parsed.source.data)


def _template(parsed: ParsedFile, includes: list[Node]) -> _Template | None:
    """The template of a file just parsed; None when a value is not made from its own bytes
    as a copy's would be."""
    data = parsed.source.data
    cuts: list[tuple[int, int]] = []
    makers: dict[int, _Args] = {}
    pending = [parsed.nodes]
    while pending:
        for node in pending.pop():
            if type(node) is not LazyNode:
                return None
            for arg in node.args:
                if arg.value != _value(data, arg._start, arg._end, arg.quote):
                    return None
            cuts.append((node._start, node._name_end))
            makers[id(node)] = _Args(node.args)
            if node.children:
                pending.append(node.children)
    return _Template(parsed, includes, cuts, makers)


class Alikes:
    """One loader's templates, by masked text."""

    def __init__(self) -> None:
        self.templates: dict[bytes, list[_Template]] = {}
        self.pending: dict[bytes, list[tuple[ParsedFile, list[Node]]]] = {}

    def remember(self, mask: bytes, parsed: ParsedFile, includes: list[Node]) -> None:
        """A file just parsed with nothing reported (its template is made when a look-alike
        comes: most files have none)."""
        pending = self.pending.setdefault(mask, [])
        if len(pending) < _PER_MASK:
            pending.append((parsed, includes))

    def copy(self, mask: bytes, source: SourceFile, via: Node | None) -> tuple[ParsedFile, list[Node]] | None:
        """`source` parsed as a copy of a template of its mask, and its include nodes; None
        when it has none."""
        templates = self.templates.get(mask)
        if templates is None:
            pending = self.pending.pop(mask, None)
            if pending is None:
                return None
            templates = self.templates[mask] = [
                template for template in (_template(*parsed) for parsed in pending) if template is not None]
        data = source.data
        for template in templates:
            if template.pick(data) == template.names:
                return _copy(template, source, via)
        return None


def _copy(template: _Template, source: SourceFile, via: Node | None) -> tuple[ParsedFile, list[Node]]:
    """The template's tree over `source` (see the module docstring); its include nodes' copies.

    The walk is nginx_parser.clone_nginx's, kept apart on purpose: one loop making both
    LazyNode and CopiedNode makes every attribute store in it polymorphic, which CPython
    3.11 does not specialise (measured: +58 M instructions, +1.9%, on the uniform tree)."""
    new = _new
    makers = template.makers
    wanted = {id(node): index for index, node in enumerate(template.includes)}
    found: list[Node] = [None] * len(wanted)  # type: ignore[list-item]
    top: list[Node] = []
    pending = [(template.parsed.nodes, top, None)]
    while pending:
        nodes, out, parent = pending.pop()
        for node in nodes:
            copy = new(CopiedNode)
            copy.name = copy.key = node.name
            copy._alike = makers[id(node)]     # its args are made on first read
            copy._args = None
            copy.dialect = "nginx"
            copy.parent = parent
            copy.via = via
            copy.included = []
            copy._src = source
            copy._start = node._start
            copy._name_end = node._name_end
            copy._end = node._end
            if node.children is None:
                copy.children = None
            else:
                copy.children = []
                copy._header_end = node._header_end
                copy._closed = node._closed
                if node.children:
                    pending.append((node.children, copy.children, copy))
            out.append(copy)
            if wanted:
                index = wanted.get(id(node))
                if index is not None:
                    found[index] = copy
    data = source.data
    comments = [Comment(data[c.span.start + 1:c.span.end].decode("ascii"), Span(source, c.span.start, c.span.end),
                        c.own_line) for c in template.parsed.comments]
    return ParsedFile(source, top, comments), found

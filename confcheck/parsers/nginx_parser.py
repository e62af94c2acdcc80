"""nginx statements and blocks from the token stream, with error recovery.

The parser is purely structural (no directive knowledge, that is
nginx_directives.py) with two exceptions that are about *syntax as nginx sees
it*: `if (...)` parentheses are stripped the way ngx_http_rewrite_module does
it, and a block that can only live higher up (`http`, `events`, `stream`,
`mail` anywhere but the top, a `server {` outside http/stream/mail) is taken as
proof that an earlier `{` was never closed, so one missing `}` does not fold
the rest of the file into the wrong block.

Recovery rules (every problem is a Diagnostic, nothing raises, nothing is
silently dropped):
* `}` with words pending: nginx's `unexpected "}"`; the words become a node.
* `;` or `{` with no name: `unexpected ";"`/`unexpected "{"`; the `;` is
  skipped, the `{`'s contents go to the enclosing block.
* `}` at top level: `unexpected "}"`, skipped.
* end of file with words pending: `unexpected end of file, expecting ";" or
  "}"` on the statement, which is kept; with blocks open: `unexpected end of
  file, expecting "}"` on the block most likely left open (see _blame).
"""

from __future__ import annotations

from confcheck.source import Diagnostics, SourceFile, Span
from confcheck.parsers.syntax import Arg, Comment, LazyNode, Node, ParsedFile, lazy_arg
from confcheck.parsers.nginx_buffer import too_long
from confcheck.parsers.nginx_lexer import (
    COMMENT, LBRACE, LUA, RBRACE, SEMI, STMT, lex,
)

# Blocks whose presence deeper than this proves a missing "}" above.
_TOP_ONLY = frozenset({"http", "events", "stream", "mail"})
_SERVER_PARENTS = frozenset({"http", "stream", "mail"})


_new = object.__new__


class _Frame:
    """An open block (node is None for a nameless `{`, whose contents go up)."""

    __slots__ = ("node", "children", "start", "bad_close")

    def __init__(self, node: Node | None, children: list, start: int) -> None:
        self.node = node
        self.children = children
        self.start = start  # where the header (or the nameless "{") starts
        # the last child block whose "}" sat at another indentation than its
        # header: the usual sign of the "}" that was really meant for us
        self.bad_close: Node | None = None


class _Parser:
    def __init__(self, source: SourceFile, diags: Diagnostics, via: Node | None) -> None:
        self.source = source
        self.data = source.data
        self.diags = diags
        self.via = via
        self.tokens = lex(source.data, source)
        self.comments: list[Comment] = []
        self.includes: list[Node] = []
        self._last_report: tuple | None = None
        self.eof_reported = False  # an error already said the file ends too early

    # -- helpers ---------------------------------------------------------------

    def span(self, start: int, end: int) -> Span:
        return Span(self.source, start, end)

    def report(self, message: str, start: int, end: int) -> None:
        key = (message, start)
        if key == self._last_report:  # lexer and parser may see the same "}"
            return
        self._last_report = key
        self.diags.add(message, self.span(start, end))

    def indent_of(self, offset: int) -> int:
        """Width of the whitespace before `offset` on its line, -1 if not first."""
        data = self.data
        line_start = data.rfind(b"\n", 0, offset) + 1
        prefix = data[line_start:offset]
        if line_start == 0 and prefix.startswith(b"\xef\xbb\xbf"):
            prefix = prefix[3:]
        if prefix.strip(b" \t"):
            return -1
        return len(prefix.expandtabs(8))

    def misindented(self, header: int, close: int) -> bool:
        """Do the "}" at `close` and the header at `header` both start their
        lines, at different indentations?"""
        data = self.data
        header_line = data[data.rfind(b"\n", 0, header) + 1:header]
        if header_line == data[data.rfind(b"\n", 0, close) + 1:close]:
            return False  # the usual case, decided without measuring
        indent = self.indent_of(close)
        return indent >= 0 and indent != self.indent_of(header) >= 0

    def make_node(self, name: str, start: int, name_end: int, args: list[Arg], end: int,
                  parent: Node | None, header_end: int | None = None) -> Node:
        """The node of statement `name args`; a block when header_end (its "{") is given.

        Built without Node.__init__ and with lazy spans (see syntax.py): this
        runs for every statement of every instance."""
        if name == "if" and args:
            args = self.strip_if_parens(args)
        node = _new(LazyNode)
        node.name = node.key = name
        node.args = args
        node.dialect = "nginx"
        node.parent = parent
        node.via = self.via
        node.included = []
        node._src = self.source
        node._start = start
        node._name_end = name_end
        node._end = end
        if header_end is None:
            node.children = None
        else:
            node.children = []
            node._header_end = header_end
            node._closed = False
        if name == "include":
            self.includes.append(node)
        return node

    def strip_if_parens(self, args: list[Arg]) -> list[Arg]:
        """Drop `(` and `)` like ngx_http_rewrite_if_condition, keeping spans exact."""
        first, last = args[0], args[-1]
        if not first.value.startswith("(") or not last.value.endswith(")"):
            return args  # nginx: invalid condition; the validator's business
        args = list(args)
        if len(first.value) == 1:
            args.pop(0)
        else:
            args[0] = self.trim_arg(first, 1, 0)
        if args:
            last = args[-1]
            if len(last.value) == 1 and last.value == ")":
                args.pop()
            elif last.value.endswith(")"):
                args[-1] = self.trim_arg(last, 0, 1)
        return args

    def trim_arg(self, arg: Arg, head: int, tail: int) -> Arg:
        value = arg.value[head:len(arg.value) - tail]
        if arg.quote is None:
            # unquoted: the parenthesis is one source byte, cut it off the span too
            start = arg._start + head
            end = arg._end - tail
            raw = self.data[start:end].decode("utf-8", "surrogateescape")
            return lazy_arg(raw, value, None, self.source, start, end)
        # quoted: the span keeps the quotes
        return lazy_arg(arg.raw, value, arg.quote, self.source, arg._start, arg._end)

    # -- the main loop ---------------------------------------------------------

    def run(self) -> ParsedFile:
        """Statements and blocks from the lexer's items. Nodes are built with
        lazy spans, whose offsets (node._end ...) change until the node is
        done: nothing here reads a node's span, only those offsets."""
        source = self.source
        top: list[Node] = []
        stack: list[_Frame] = []
        children = top
        parent: Node | None = None
        comments = self.comments
        make_node = self.make_node
        new = _new
        via = self.via

        refused = too_long(self.data)
        if refused is not None:
            self.report(*refused)
        for tok in self.tokens:
            kind = tok[0]
            if kind == STMT:
                _, term_start, term_end, kind, name, start, name_end, args, extras, lua, _, _ = tok
                if extras is not None:  # comments and lexer errors inside it come first
                    for _, extra in extras:
                        self.comment_or_error(extra)
                if kind == SEMI:
                    if name == "if" or name == "include":
                        children.append(make_node(name, start, name_end, args, term_end, parent))
                        continue
                    # make_node(), inline for the usual statement: the hottest lines of the parser
                    node = new(LazyNode)
                    node.name = node.key = name
                    node.args = args
                    node.dialect = "nginx"
                    node.parent = parent
                    node.via = via
                    node.included = []
                    node._src = source
                    node._start = start
                    node._name_end = name_end
                    node._end = term_end
                    node.children = None
                    children.append(node)
                    continue
                if kind == LBRACE:
                    if stack and (name in _TOP_ONLY or name == "server"):
                        self.resync(name, start, stack)
                        frame = stack[-1] if stack else None
                        children = frame.children if frame else top
                        parent = self.frame_parent(stack)
                    node = make_node(name, start, name_end, args, term_end, parent, term_end)
                    children.append(node)
                    children = node.children
                    stack.append(_Frame(node, children, start))
                    parent = node
                    continue
                if kind == LUA:
                    node = make_node(name, start, name_end, args, term_end, parent)
                    body_raw, (body_start, body_end, closed) = lua
                    node.args.append(lazy_arg(body_raw, body_raw, None, source, body_start, body_end))
                    children.append(node)
                    if not closed:
                        self.eof_reported = True
                    continue
                stmt_end = args[-1]._end if args else name_end
                if kind is None:  # end of file
                    if not self.eof_reported:
                        self.report('unexpected end of file, expecting ";" or "}"', start, stmt_end)
                    children.append(make_node(name, start, name_end, args, stmt_end, parent))
                    continue
                # cut short by "}": nginx's unexpected "}" (almost always a
                # missing ";"); the "}" then closes a block as below
                self.report('unexpected "}"', term_start, term_end)
                children.append(make_node(name, start, name_end, args, stmt_end, parent))
            if kind == RBRACE:
                if not stack:
                    self.report('unexpected "}"', tok[1], tok[2])
                    continue
                frame = stack.pop()
                node = frame.node
                if node is not None:
                    node._end = tok[2]
                    node._closed = True
                    if stack and self.misindented(frame.start, tok[1]):
                        # remember the innermost suspect for _blame
                        stack[-1].bad_close = frame.bad_close or node
                if stack:
                    children = stack[-1].children
                    parent = stack[-1].node or self.frame_parent(stack)
                else:
                    children = top
                    parent = None
            elif kind == LBRACE:
                self.report('unexpected "{"', tok[1], tok[2])
                stack.append(_Frame(None, children, tok[1]))
            elif kind == SEMI:
                self.report('unexpected ";"', tok[1], tok[2])
            else:
                self.comment_or_error(tok)

        if stack:
            self.close_at_eof(stack, report=not self.eof_reported)
        return ParsedFile(source, top, comments)

    def comment_or_error(self, tok: tuple) -> None:
        """A comment, or an error from the lexer."""
        if tok[0] == COMMENT:
            start = tok[1]
            self.comments.append(Comment(tok[3], Span(self.source, start, tok[2]),
                                         self.indent_of(start) >= 0))
            return
        self.report(tok[3], tok[1], tok[2])
        if tok[3].startswith("unexpected end of file"):
            self.eof_reported = True

    @staticmethod
    def frame_parent(stack: list[_Frame]) -> Node | None:
        for frame in reversed(stack):
            if frame.node is not None:
                return frame.node
        return None

    def blame(self, frames: list[_Frame]) -> Node | None:
        """The block most likely missing its "}" among `frames` (outermost first).

        A "}" whose indentation matches an outer header rather than its own
        block's was probably meant for the outer one: the innermost such block
        is the culprit. Without that hint, the innermost open block is.
        """
        for frame in reversed(frames):
            if frame.bad_close is not None:
                return frame.bad_close
        for frame in reversed(frames):
            if frame.node is not None:
                return frame.node
        return None

    def finish_open(self, frame: _Frame) -> None:
        """An unclosed block ends where its last child does."""
        node = frame.node
        if node is not None and node.children:
            node._end = node.children[-1]._end

    def resync(self, name: str, name_start: int, stack: list[_Frame]) -> None:
        """`name {` cannot be here: close the blocks an earlier "}" should have closed."""
        if name == "server":
            keep = len(stack)
            while keep and (stack[keep - 1].node is None
                            or stack[keep - 1].node.name not in _SERVER_PARENTS):
                keep -= 1
            if keep == len(stack) or (keep == 0 and not any(
                    f.node is not None and f.node.name == "server" for f in stack)):
                # nothing proves a missing "}" (e.g. a server snippet file
                # that is itself inside something unknown): leave it alone
                return
        else:
            keep = 0
        popped = stack[keep:]
        culprit = self.blame(popped)
        del stack[keep:]
        for frame in reversed(popped):  # innermost first: outer spans cover inner ones
            self.finish_open(frame)
        if culprit is not None:
            line = self.source.line_col(name_start)[0]
            self.report(f'"{culprit.name}" block is not closed: expecting "}}" before '
                        f'"{name}" at line {line}', culprit.header_span.start, culprit.header_span.end)

    def close_at_eof(self, stack: list[_Frame], report: bool) -> None:
        culprit = self.blame(stack)
        for frame in reversed(stack):
            self.finish_open(frame)
        if report and culprit is not None:
            span = culprit.header_span
            self.report('unexpected end of file, expecting "}"', span.start, span.end)
        elif report:
            end = len(self.data)
            self.report('unexpected end of file, expecting "}"', end, end)


def parse_nginx_with_includes(source: SourceFile, diags: Diagnostics, *,
                              via: Node | None = None) -> tuple[ParsedFile, list[Node]]:
    """parse_nginx plus the `include` nodes found, so the loader need not walk the tree."""
    parser = _Parser(source, diags, via)
    parsed = parser.run()
    return parsed, parser.includes


def clone_nginx(parsed: ParsedFile, includes: list[Node],
                via: Node | None) -> tuple[ParsedFile, list[Node]]:
    """Another instance of a file parsed already, for include site `via`: new
    nodes with the same names, arguments and spans (what parsing the file again
    gives, for a third of the cost: a snippet included by 2,000 servers is
    parsed once). Returns it and the copies of `includes`, in their order.

    `parsed` must be fresh from the parser (nothing but the loader has seen it).
    The Args are shared: nothing changes an Arg once it is parsed."""
    new = _new
    wanted = {id(node): index for index, node in enumerate(includes)}
    found: list[Node] = [None] * len(includes)  # type: ignore[list-item]
    top: list[Node] = []
    pending = [(parsed.nodes, top, None)]  # a stack, not recursion: nesting has no bound
    while pending:
        nodes, out, parent = pending.pop()
        for node in nodes:
            copy = new(LazyNode)
            copy.name = copy.key = node.name
            copy.args = node.args[:]
            copy.dialect = "nginx"
            copy.parent = parent
            copy.via = via
            copy.included = []
            copy._src = node._src
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
    return ParsedFile(parsed.source, top, parsed.comments[:]), found


def parse_nginx(source: SourceFile, diags: Diagnostics, *, via: Node | None = None) -> ParsedFile:
    """Parse one nginx file. Never raises; problems go to `diags`.

    Every node gets `via` (the include directive this instance comes from).
    """
    return parse_nginx_with_includes(source, diags, via=via)[0]

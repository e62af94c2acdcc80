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
from confcheck.parsers.syntax import Arg, Comment, Node, ParsedFile
from confcheck.parsers.nginx_lexer import (
    COMMENT, LBRACE, LUA, RBRACE, SEMI, WORD, tokenize,
)

# Blocks whose presence deeper than this proves a missing "}" above.
_TOP_ONLY = frozenset({"http", "events", "stream", "mail"})
_SERVER_PARENTS = frozenset({"http", "stream", "mail"})


class _Frame:
    """An open block (node is None for a nameless `{`, whose contents go up)."""

    __slots__ = ("node", "children", "indent", "bad_close")

    def __init__(self, node: Node | None, children: list, indent: int) -> None:
        self.node = node
        self.children = children
        self.indent = indent
        # the last child block whose "}" sat at another indentation than its
        # header: the usual sign of the "}" that was really meant for us
        self.bad_close: Node | None = None


class _Parser:
    def __init__(self, source: SourceFile, diags: Diagnostics, via: Node | None) -> None:
        self.source = source
        self.data = source.data
        self.diags = diags
        self.via = via
        self.comments: list[Comment] = []
        self.includes: list[Node] = []
        self._last_report: tuple | None = None

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

    def make_node(self, words: list[tuple], end: int, parent: Node | None) -> Node:
        source = self.source
        first = words[0]
        # hot path: Arg/Span built inline (tokens carry raw text already)
        args = [Arg(t[5], t[3], Span(source, t[1], t[2]), t[4]) for t in words[1:]]
        name = first[3]
        if name == "if" and args:
            args = self.strip_if_parens(args)
        node = Node(name, args, Span(source, first[1], end), Span(source, first[1], first[2]),
                    "nginx", None, None, None, parent, self.via)
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
            start = arg.span.start + head
            end = arg.span.end - tail
            raw = self.data[start:end].decode("utf-8", "surrogateescape")
            return Arg(raw, value, self.span(start, end), None)
        return Arg(arg.raw, value, arg.span, arg.quote)  # quoted: the span keeps the quotes

    # -- the main loop ---------------------------------------------------------

    def run(self) -> ParsedFile:
        top: list[Node] = []
        stack: list[_Frame] = []
        children = top
        parent: Node | None = None
        words: list[tuple] = []
        eof_reported = False
        comments = self.comments

        for tok in tokenize(self.data):
            kind = tok[0]
            if kind == WORD:
                words.append(tok)
            elif kind == SEMI:
                if words:
                    children.append(self.make_node(words, tok[2], parent))
                    words = []
                else:
                    self.report('unexpected ";"', tok[1], tok[2])
            elif kind == LBRACE:
                if not words:
                    self.report('unexpected "{"', tok[1], tok[2])
                    stack.append(_Frame(None, children, self.indent_of(tok[1])))
                    continue
                name = words[0][3]
                if stack and (name in _TOP_ONLY or name == "server"):
                    self.resync(name, words[0], stack)
                    frame = stack[-1] if stack else None
                    children = frame.children if frame else top
                    parent = self.frame_parent(stack)
                node = self.make_node(words, tok[2], parent)
                node.children = []
                node.header_span = Span(self.source, words[0][1], tok[2])
                children.append(node)
                stack.append(_Frame(node, node.children, self.indent_of(words[0][1])))
                children = node.children
                parent = node
                words = []
            elif kind == RBRACE:
                if words:
                    # nginx: unexpected "}" (almost always a missing ";")
                    self.report('unexpected "}"', tok[1], tok[2])
                    children.append(self.make_node(words, words[-1][2], parent))
                    words = []
                if not stack:
                    self.report('unexpected "}"', tok[1], tok[2])
                    continue
                frame = stack.pop()
                node = frame.node
                if node is not None:
                    node.span = Span(self.source, node.span.start, tok[2])
                    node.close_span = Span(self.source, tok[1], tok[2])
                    indent = self.indent_of(tok[1])
                    if indent >= 0 and frame.indent >= 0 and indent != frame.indent and stack:
                        # remember the innermost suspect for _blame
                        stack[-1].bad_close = frame.bad_close or node
                children = stack[-1].children if stack else top
                parent = self.frame_parent(stack)
            elif kind == COMMENT:
                start = tok[1]
                comments.append(Comment(tok[3], Span(self.source, start, tok[2]),
                                        self.indent_of(start) >= 0))
            elif kind == LUA:
                body_start, body_end, closed = tok[4]
                if not words:
                    self.report('unexpected "{"', tok[1], tok[1] + 1)
                    continue
                node = self.make_node(words, tok[2], parent)
                body_raw = tok[3]
                node.args.append(Arg(body_raw, body_raw, Span(self.source, body_start, body_end), None))
                children.append(node)
                words = []
                if not closed:
                    eof_reported = True
            else:  # ERROR from the lexer
                self.report(tok[3], tok[1], tok[2])
                if tok[3].startswith("unexpected end of file"):
                    eof_reported = True

        if words:
            stmt_end = words[-1][2]
            if not eof_reported:
                self.report('unexpected end of file, expecting ";" or "}"', words[0][1], stmt_end)
            children.append(self.make_node(words, stmt_end, parent))
        if stack:
            self.close_at_eof(stack, report=not eof_reported)
        return ParsedFile(self.source, top, comments)

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
        node = frame.node
        if node is not None and node.children:
            node.span = Span(self.source, node.span.start, node.children[-1].span.end)

    def resync(self, name: str, first: tuple, stack: list[_Frame]) -> None:
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
            line = self.source.line_col(first[1])[0]
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


def parse_nginx(source: SourceFile, diags: Diagnostics, *, via: Node | None = None) -> ParsedFile:
    """Parse one nginx file. Never raises; problems go to `diags`.

    Every node gets `via` (the include directive this instance comes from).
    """
    return parse_nginx_with_includes(source, diags, via=via)[0]

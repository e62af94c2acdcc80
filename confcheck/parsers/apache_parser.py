"""Apache httpd / .htaccess files read the way httpd reads them, with exact spans.

Line rules (server/util.c, server/config.c of httpd 2.4):
* `ap_cfg_getline`: a backslash right before the newline (`\\\n` or
  `\\\r\n`) joins the next physical line *without* a separator; the check is on
  the buffer built so far, so an empty line after `foo\\\\` continues too. The
  joined line is trimmed of whitespace (isspace: space, \t, \n, \v, \f, \r).
* `ap_build_config_sub`: a line whose first character is `#` is a comment (a
  comment line ending in a backslash swallows the next line). A `#` anywhere
  else is an ordinary character: `Require ip 10.0.0.1 # office` has the args
  `ip 10.0.0.1 # office`.
* `ap_getword_conf`: a word starting with `"` or `'` runs to the matching
  quote (or the end of the line); inside it `\\<quote>` and `\\\\` are the only
  escapes. Outside quotes `\\\\` still becomes one backslash. A quote in the
  middle of a word is literal; the next word may follow a closing quote
  directly.
* `ap_resolve_env`: `${NAME}` (also `${NAME?=default}`) is replaced by a
  `Define`d value, else the environment (Debian's envvars), else left as is
  with the warning AH00111 (not for names with `:`, those are rewrite maps).
  httpd substitutes on the whole line before splitting words; we substitute
  per word so spans stay exact (a value holding spaces or quotes would split
  differently in httpd: a known, documented gap).
* Sections: the first word `<Name` opens a section whose arguments are the
  words before the *last* `>` on the line; `</Name>` closes it (case-
  insensitively). Any `<Name ...>` is a section, as in httpd's read phase
  (unknown ones fail only later, at "Invalid command"). Sections never span
  files.

Errors follow httpd's wording and the parser recovers:
* `</X>` with nothing open: `</X> without matching <X> section` (skipped).
* `</Y>` while `<X>` is open: `Expected </X> but saw </Y>`; when an enclosing
  section is `<Y>`, everything up to it is closed (left with close_span None),
  else the tag is skipped.
* end of file with sections open: code "unclosed-section" and the node keeps
  its children with close_span None. For conditional sections (`<IfModule>`,
  `<IfDefine>`, ...) httpd accepts this silently when the condition holds and
  fails with `Expected </IfModule> before end of configuration` when it does
  not (server-behavior.md A11-A13), so those are warnings the semantic layer
  settles; `<Files>` and the like are errors (`<Files> was not closed.`).
* `<Macro>` bodies are stored raw by mod_macro: no `${}` substitution, no
  Define/Include effects, and nesting problems inside are only warnings (as
  mod_macro logs them); `</Macro>` closes the macro whatever is open inside.
"""

from __future__ import annotations

import posixpath
import re
from typing import Callable

from confcheck.source import Diagnostics, SourceFile, Span
from confcheck.parsers.syntax import Arg, Comment, Node, ParsedFile

# `<IfXxx>` sections read through ap_build_cont_config / ap_soak_end_container.
CONDITIONAL_SECTIONS = frozenset({
    "ifmodule", "ifdefine", "ifversion", "iffile", "ifdirective", "ifsection",
})

_TOKEN = re.compile(
    rb'"((?:\\["\\]|[^"])*+)(")?'
    rb"|'((?:\\['\\]|[^'])*+)(')?"
    rb"|[^ \t\n\r\x0b\x0c]+")
_QUOTED_ESC = {'"': re.compile(r'\\(["\\])'), "'": re.compile(r"\\(['\\])")}
_VAR = re.compile(r"\$\{([^}]*)\}")
_WS = b" \t\n\r\x0b\x0c"
# directives httpd executes while reading (the rest is left to the semantic layer)
_READ_TIME = frozenset({"include", "includeoptional", "define", "undefine", "loadmodule",
                        "serverroot"})
_BS, _LF, _CR = 0x5C, 0x0A, 0x0D


class ReadState:
    """What httpd knows while it reads: defines, environment, modules.

    httpd executes `Define`, `UnDefine`, `LoadModule`, `Include` and the
    `<If*>` tests while reading (EXEC_ON_READ), in file order, so the state
    is threaded through every file of one load. `parse_apache` uses a fresh
    one; the loader (apache_loader.py) subclasses it to follow includes.
    """

    def __init__(self, defines: dict[str, str] | None = None,
                 env: dict[str, str] | None = None,
                 modules: set[str] | None = None) -> None:
        # name -> value ('' when defined without a value, e.g. `-D FOO`)
        self.defines: dict[str, str] = dict(defines or {})
        self.valued: set[str] = {k for k, v in self.defines.items() if v != ""}
        self.env: dict[str, str] = dict(env or {})
        # None: modules unknown (a lone file): `<IfModule>` is taken as active
        self.modules: set[str] | None = modules
        self.inactive: set[Node] = set()   # `<IfDefine>` (and known-false `<IfModule>`) sections skipped at read time
        self.server_root: str | None = None

    # -- hooks the loader overrides ------------------------------------------

    def include(self, node: Node, active: bool, diags: Diagnostics) -> None:
        """An `Include`/`IncludeOptional` was read (a lone file: nothing to do)."""

    # -- read-time effects ---------------------------------------------------

    def directive(self, node: Node, diags: Diagnostics) -> None:
        key = node.key
        values = node.values
        if key == "define" and values:
            name = values[0]
            self.defines[name] = values[1] if len(values) > 1 else self.defines.get(name, "")
            if len(values) > 1:
                self.valued.add(name)
        elif key == "undefine" and values:
            self.defines.pop(values[0], None)
            self.valued.discard(values[0])
        elif key == "loadmodule" and values and self.modules is not None:
            self.modules.update(module_names(values[0], values[1] if len(values) > 1 else ""))
        elif key == "serverroot" and values:
            # set_server_root merges a relative one with the working directory (measured: not with
            # -d), which is / for the service: httpd.conf.in's "@@ServerRoot@@" is /@@ServerRoot@@
            self.server_root = posixpath.normpath(posixpath.join("/", values[0]))

    def condition(self, node: Node) -> bool | None:
        """Read-time value of a conditional section, None when unknown here."""
        key = node.key
        if key == "ifdefine":
            return _test(node, lambda name: name in self.defines)
        if key == "ifmodule" and self.modules is not None:
            return _test(node, lambda name: name in self.modules)
        return None

    def lookup(self, name: str) -> str | None:
        if name in self.valued:
            return self.defines[name]
        return self.env.get(name)


def _test(node: Node, predicate: Callable[[str], bool]) -> bool | None:
    """start_cond_section: a leading `!` negates; the first word is tested."""
    values = node.values
    if not values:
        return None
    first = values[0]
    negate = first.startswith("!")
    if negate:
        first = first[1:]
        if not first:
            if len(values) < 2:
                return None
            first = values[1]
    return predicate(first) != negate


def module_names(identifier: str, filename: str) -> set[str]:
    """Every name `<IfModule>` may use for one `LoadModule identifier file`.

    httpd matches the module's source name (`mod_rewrite.c`) or its symbol
    (`rewrite_module`); the file name is added for readers' convenience.
    """
    names = {identifier}
    base = filename.rsplit("/", 1)[-1]
    if base:
        names.add(base)
        if base.startswith("mod_") and base.endswith(".so"):
            names.add(base[:-3] + ".c")
    if identifier.endswith("_module"):
        stem = identifier[:-7]
        if stem.startswith("mpm_"):
            names.add(stem[4:] + ".c")       # mpm_event_module is event.c
        else:
            names.add("mod_" + stem + ".c")
    return names


class _Shift:
    """Offset map of a line without continuations: source = base + index."""

    __slots__ = ("base",)

    def __init__(self, base: int) -> None:
        self.base = base

    def __call__(self, j: int) -> int:
        return self.base + j


class _Frame:
    __slots__ = ("node", "active", "macro")

    def __init__(self, node: Node, active: bool, macro: bool) -> None:
        self.node = node
        self.active = active   # httpd executes what is inside (read-time)
        self.macro = macro     # inside a <Macro> body


class _Parser:
    def __init__(self, source: SourceFile, diags: Diagnostics, dialect: str,
                 via: Node | None, state: ReadState, active: bool,
                 parent: Node | None) -> None:
        self.source = source
        self.data = source.data
        self.diags = diags
        self.dialect = dialect
        self.via = via
        self.state = state
        self.base_active = active
        self.base_parent = parent
        self.comments: list[Comment] = []
        self.top: list[Node] = []
        self.stack: list[_Frame] = []

    # -- positions -------------------------------------------------------------

    def report(self, message: str, start: int, end: int, *, severity: str = "error",
               code: str = "parse") -> None:
        self.diags.add(message, Span(self.source, start, end), severity=severity, code=code)

    # -- the main loop ---------------------------------------------------------

    def run(self) -> ParsedFile:
        data = self.data
        n = len(data)
        lines = data.split(b"\n")
        last = len(lines) - 1          # lines[last] has no LF after it
        pos = 0     # a UTF-8 BOM is read as part of the first word: httpd 2.4.57 refuses
        # "Invalid command '\xef\xbb\xbfServerRoot'" (measured with apache2 -t)
        simple = self.simple_directive
        section = self.simple_section
        line = self.line
        comments = self.comments
        source = self.source
        i = 0
        while i <= last:
            text = lines[i]
            size = len(text)
            if i < last and text[-1:] in (b"\\", b"\r") and (
                    text.endswith(b"\\") or text.endswith(b"\\\r")):
                nxt = self.continued(pos, pos + size)
                i += data.count(b"\n", pos, nxt)
                if nxt >= n and not data.endswith(b"\n"):
                    i = last + 1
                pos = nxt
                continue
            stripped = text.strip()
            if stripped:
                first = stripped[0]
                if first == 0x23:  # '#': what line() makes of a comment, without its set-up
                    base = pos + size - len(text.lstrip())
                    comments.append(Comment(stripped[1:].decode("utf-8", "surrogateescape"),
                                            Span(source, base, base + len(stripped)), True))
                elif b'"' in stripped or b"'" in stripped:
                    line(text, None, pos)
                elif first != 0x3C:
                    simple(stripped, pos + size - len(text.lstrip()))
                elif not section(stripped, pos + size - len(text.lstrip())):
                    line(text, None, pos)
            pos += size + 1
            i += 1
        self.finish()
        return ParsedFile(self.source, self.top, self.comments)

    def simple_directive(self, stripped: bytes, base: int) -> None:
        """Hot path: a directive line with no quotes, no continuation, not a section.

        bytes.split() splits on exactly httpd's isspace set; each word's
        offset is found again in the line (cheap, in C).
        """
        stack = self.stack
        if stack:
            frame = stack[-1]
            parent, active, macro = frame.node, frame.active, frame.macro
            siblings = parent.children
        else:
            parent, active, macro = self.base_parent, self.base_active, False
            siblings = self.top
        source = self.source
        words = stripped.split()
        w0 = words[0]
        name = w0.decode("utf-8", "surrogateescape")
        if "\\" in name:
            name = name.replace("\\\\", "\\")
        args = self.plain_args(stripped, words, base, active and not macro) if len(words) > 1 else []
        node = Node(name, args, Span(source, base, base + len(stripped)),
                    Span(source, base, base + len(w0)), self.dialect, None, None, None,
                    parent, self.via)
        siblings.append(node)
        key = node.key
        if key in _READ_TIME and not macro:
            if key == "include" or key == "includeoptional":
                self.state.include(node, active, self.diags)
            elif active:
                self.state.directive(node, self.diags)

    def plain_args(self, stripped: bytes, words: list[bytes], base: int, resolve: bool) -> list[Arg]:
        """Args from words[1:] of a line without quotes or continuations (`stripped` starts at
        source offset `base`): what args_fast makes of the same tokens, without the regex."""
        source = self.source
        find = stripped.find
        j = len(words[0])
        args = []
        append = args.append
        for w in words[1:]:
            j = find(w, j)
            start = base + j
            j += len(w)
            raw = w.decode("utf-8", "surrogateescape")
            if "$" in raw or "\\" in raw:
                append(Arg(raw, self.finish_value(raw, None, start, base + j, resolve),
                           Span(source, start, base + j), None))
            else:
                append(Arg(raw, raw, Span(source, start, base + j), None))
        return args

    def simple_section(self, stripped: bytes, base: int) -> bool:
        """Hot path: `<Name args>` or `</Name>` alone on a line, no quotes, no continuation,
        its only `>` at the end. Builds what open()/close() would; False (nothing done)
        for every other shape (a `</X>` that does not close the open section, `< X>`, a
        `>` in the middle, ...): line() handles those."""
        if stripped[-1] != 0x3E or stripped.find(b">") != len(stripped) - 1:
            return False
        if stripped[1:2] == b"/":
            # `</Name>` closing the innermost section, as close() does
            stack = self.stack
            if not stack or len(stripped.split()) != 1:
                return False
            name = stripped[2:-1].decode("utf-8", "surrogateescape")
            if stack[-1].node.key != name.lower():
                return False
            self.pop(base, base + len(stripped))
            return True
        words = stripped[:-1].split()
        w0 = words[0]
        if len(w0) < 2:
            return False       # `<` alone is a directive named `<` (line() decides)
        parent, active, macro = self.frame_state()
        source = self.source
        name = w0[1:].decode("utf-8", "surrogateescape")
        is_macro = macro or name.lower() == "macro"
        args = self.plain_args(stripped, words, base, active and not is_macro) if len(words) > 1 else []
        header = Span(source, base, base + len(stripped))
        node = Node(name, args, header, Span(source, base + 1, base + len(w0)), self.dialect,
                    [], header, None, parent, self.via)
        self.push(node, active, is_macro)
        return True

    def continued(self, pos: int, nl: int) -> int:
        """Join backslash-continued lines; returns where the next line starts.

        Models ap_cfg_getline_core's buffer: each physical line (without its
        LF) is appended; if the buffer then ends in `\\` (after one CR), that
        backslash and the CR are cut and the next line is appended. The test
        is on the whole buffer, so an empty line can continue it too.
        """
        data = self.data
        n = len(data)
        segments: list[list[int]] = []   # [start, end) source ranges kept
        length = 0
        while True:
            if nl < 0:
                segments.append([pos, n])
                nxt = n
                break
            segments.append([pos, nl])
            length += nl - pos
            k = length
            if k and self._byte_at(segments, k - 1) == _CR:
                k -= 1
            if k and self._byte_at(segments, k - 1) == _BS:
                length = k - 1
                _truncate(segments, length)
                pos = nl + 1
                if pos >= n:
                    nxt = n
                    break
                nl = data.find(b"\n", pos)
                continue
            nxt = nl + 1
            break
        kept = [(s, e) for s, e in segments if e > s]
        if not kept:
            return nxt
        text = b"".join(data[s:e] for s, e in kept)
        self.line(text, kept if len(kept) > 1 else None, kept[0][0])
        return nxt

    def _byte_at(self, segments: list[list[int]], j: int) -> int:
        for s, e in segments:
            if j < e - s:
                return self.data[s + j]
            j -= e - s
        return -1

    def line(self, text: bytes, segments: list[tuple[int, int]] | None, base: int) -> None:
        """One logical line: blank, comment, directive, section open or close.

        `segments` is None for a line without continuations (offsets are
        base + index: the hot path); else the source ranges it was joined from.
        """
        stripped = text.lstrip(_WS)
        if not stripped:
            return
        lstart = len(text) - len(stripped)
        lend = len(text.rstrip(_WS))
        if segments is None:
            at = at_end = None
        else:
            at, at_end = _mappers(segments)
        if stripped[0] == 0x23:  # '#'
            if at is None:
                start, end = base + lstart, base + lend
            else:
                start, end = at(lstart), at_end(lend)
            self.comments.append(Comment(text[lstart + 1:lend].decode("utf-8", "surrogateescape"),
                                         Span(self.source, start, end), True))
            return
        if at is None:
            at = at_end = _Shift(base)
        tokens = list(_TOKEN.finditer(text, lstart, lend))
        word = tokens[0].group()
        if word[0] == 0x3C:  # '<'
            if word.startswith(b"</"):
                self.close(text, tokens[0], at, at_end, lend)
                return
            if len(word) > 1:
                self.open(text, tokens, at, at_end, lend)
                return
        self.directive(text, tokens, at, at_end, lend, segments is None and base)

    # -- building nodes --------------------------------------------------------

    def frame_state(self) -> tuple[Node | None, bool, bool]:
        if self.stack:
            top = self.stack[-1]
            return top.node, top.active, top.macro
        return self.base_parent, self.base_active, False

    def make_arg(self, m: re.Match, at, at_end, resolve: bool) -> Arg:
        """An Arg from a token of a joined (continued) line: spans mapped back."""
        source = self.source
        start, end = at(m.start()), at_end(m.end())
        raw = source.data[start:end].decode("utf-8", "surrogateescape")
        tok, dq, sq = m.group(0, 1, 3)
        if dq is not None:
            value, quote = dq.decode("utf-8", "surrogateescape"), '"'
        elif sq is not None:
            value, quote = sq.decode("utf-8", "surrogateescape"), "'"
        else:
            value, quote = tok.decode("utf-8", "surrogateescape"), None
        if "$" in value or "\\" in value:
            value = self.finish_value(value, quote, start, end, resolve)
        return Arg(raw, value, Span(source, start, end), quote)

    def resolve(self, value: str, start: int, end: int) -> str:
        state = self.state

        def sub(m: re.Match) -> str:
            name = m.group(1)
            default = None
            if "?=" in name:
                name, default = name.split("?=", 1)
            found = state.lookup(name)
            if found is not None:
                return found
            if default is not None:
                return default
            if ":" not in name:
                self.report(f"Config variable ${{{name}}} is not defined", start, end,
                            severity="warning", code="undefined-variable")
            return m.group()
        return _VAR.sub(sub, value)

    def args_fast(self, tokens: list, base: int, resolve: bool) -> list[Arg]:
        """make_arg for a line without continuations (most lines): token text is source text."""
        source = self.source
        out = []
        for m in tokens:
            s, e = m.span()
            tok, dq, dqc, sq, sqc = m.group(0, 1, 2, 3, 4)
            raw = tok.decode("utf-8", "surrogateescape")
            if dq is not None:
                value, quote = (raw[1:-1] if dqc else raw[1:]), '"'
            elif sq is not None:
                value, quote = (raw[1:-1] if sqc else raw[1:]), "'"
            else:
                value, quote = raw, None
            if "$" in value or "\\" in value:
                value = self.finish_value(value, quote, base + s, base + e, resolve)
            out.append(Arg(raw, value, Span(source, base + s, base + e), quote))
        return out

    def finish_value(self, value: str, quote: str | None, start: int, end: int,
                     resolve: bool) -> str:
        if resolve and "${" in value:
            value = self.resolve(value, start, end)
        if "\\" in value:
            if quote is None:
                value = value.replace("\\\\", "\\")
            else:
                value = _QUOTED_ESC[quote].sub(r"\1", value)
        return value

    def directive(self, text: bytes, tokens: list, at, at_end, lend: int,
                  fast_base: int | bool) -> None:
        stack = self.stack
        if stack:
            frame = stack[-1]
            parent, active, macro = frame.node, frame.active, frame.macro
        else:
            parent, active, macro = self.base_parent, self.base_active, False
        resolve = active and not macro
        source = self.source
        if fast_base is not False:
            base = fast_base
            first = tokens[0]
            s0, e0 = first.span()
            if first.group(1) is None and first.group(3) is None:
                name = first.group().decode("utf-8", "surrogateescape")
                name_span = Span(source, base + s0, base + e0)
            else:
                name_arg = self.args_fast(tokens[:1], base, False)[0]
                name, name_span = name_arg.value, name_arg.span
            args = self.args_fast(tokens[1:], base, resolve)
            end = base + lend
        else:
            name_arg = self.make_arg(tokens[0], at, at_end, False)
            name, name_span = name_arg.value, name_arg.span
            args = [self.make_arg(m, at, at_end, resolve) for m in tokens[1:]]
            end = at_end(lend)
        node = Node(name, args, Span(source, name_span.start, end), name_span, self.dialect,
                    None, None, None, parent, self.via)
        (stack[-1].node.children if stack else self.top).append(node)
        key = name.lower()
        if key in _READ_TIME and not macro:
            if key == "include" or key == "includeoptional":
                self.state.include(node, active, self.diags)
            elif active:
                self.state.directive(node, self.diags)

    def open(self, text: bytes, tokens: list, at, at_end, lend: int) -> None:
        parent, active, macro = self.frame_state()
        first = tokens[0]
        word_start, word_end = first.start(), first.end()
        name_end = word_end
        bare = text[word_end - 1] == 0x3E  # '<Else>': the '>' ends the first word
        if bare:
            name_end -= 1
        name_start = word_start + 1
        name = text[name_start:name_end].decode("utf-8", "surrogateescape")
        rest_gt = text.rfind(b">", word_end, lend)
        header_end_j: int
        if rest_gt >= 0:
            arg_end = rest_gt
            header_end_j = rest_gt + 1
            if rest_gt + 1 < lend:
                # httpd's section handlers cut the line at the last '>' silently
                self.report("text after the closing '>' is ignored", at(rest_gt + 1),
                            at_end(lend), severity="warning", code="ignored-text")
        elif bare:
            arg_end = word_end
            header_end_j = word_end
            if any(m.start() >= word_end for m in tokens[1:]):
                # '<Directory> /x': httpd looks for '>' after the name and finds none
                arg_end = lend
                header_end_j = lend
                self.report(f"<{name}> directive missing closing '>'", at(word_start), at_end(lend),
                            code="missing-bracket")
        else:
            arg_end = lend
            header_end_j = lend
            if active:     # a skipped section's body is only searched for end tags
                self.report(f"<{name}> directive missing closing '>'", at(word_start), at_end(lend),
                            code="missing-bracket")
        is_macro = macro or name.lower() == "macro"
        resolve = active and not is_macro
        found = list(_TOKEN.finditer(text, word_end, arg_end))
        if isinstance(at, _Shift):
            args = self.args_fast(found, at.base, resolve)
        else:
            args = [self.make_arg(m, at, at_end, resolve) for m in found]
        start = at(word_start)
        header = Span(self.source, start, at_end(header_end_j))
        node = Node(name, args, header, Span(self.source, at(name_start), at_end(name_end)),
                    self.dialect, [], header, None, parent, self.via)
        self.push(node, active, is_macro)

    def push(self, node: Node, active: bool, is_macro: bool) -> None:
        """Add a section just opened and enter it (its read-time condition decides what runs)."""
        (self.stack[-1].node.children if self.stack else self.top).append(node)
        child_active = active
        if active and not is_macro:
            cond = self.state.condition(node)
            if cond is False:
                child_active = False
                if node.key == "ifdefine":
                    self.state.inactive.add(node)
        self.stack.append(_Frame(node, child_active, is_macro))

    def soaked(self) -> Node | None:
        """The outermost open conditional whose condition is false, if any: httpd skips its
        body with ap_soak_end_container, which reports a nesting error at that section's line."""
        for frame in self.stack:
            if not frame.active and frame.node.key in CONDITIONAL_SECTIONS:
                return frame.node
        return None

    def close(self, text: bytes, first: re.Match, at, at_end, lend: int) -> None:
        word = first.group()
        start, end = at(first.start()), at_end(first.end())
        anchor = self.soaked() if self.stack and not self.stack[-1].macro else None
        if anchor is not None and not self.base_active:
            anchor = None          # the whole file is skipped: the Include's line is httpd's
        has_gt = word.endswith(b">")
        name = word[2:-1 if has_gt else len(word)].decode("utf-8", "surrogateescape")
        key = name.lower()
        stack = self.stack
        if anchor is not None and not has_gt:
            # ap_soak_end_container cuts the tag's last character, '>' or not
            chopped = word[2:-1].decode("utf-8", "surrogateescape")
            if chopped.lower() != stack[-1].node.key:
                header = anchor.header_span
                self.report(f"Expected </{stack[-1].node.name}> but saw </{chopped}>", header.start,
                            header.end, code="section-mismatch")
                return
        in_macro = bool(stack) and stack[-1].macro
        if not stack or (stack[-1].node.key in CONDITIONAL_SECTIONS and stack[-1].active
                         and (stack[-1].node.key != key or not has_gt) and not in_macro):
            # no section open for this builder (a read conditional's body has one of its own);
            # httpd names the tag as written, '>' or not
            shown = word.decode("utf-8", "surrogateescape")
            self.report(f"{shown} without matching <{shown[2:]} section", start, end,
                        code="stray-close")
            return
        top = stack[-1].node
        if not has_gt:
            self.report(f"</{name}> directive missing closing '>'", start, end,
                        code="missing-bracket")
        if top.key == key:
            self.pop(start, end)
            return
        if in_macro:
            # mod_macro counts only <Macro> nesting; the rest is a warning
            macro_depth = next((i for i in range(len(stack) - 1, -1, -1)
                                if stack[i].node.key == "macro"), None)
            if key == "macro" and macro_depth is not None:
                self.report(f"bad nesting in macro: </{top.name}> expected before </{name}>",
                            start, end, severity="warning", code="section-mismatch")
                while len(stack) > macro_depth + 1:
                    stack.pop()
                self.pop(start, end)
                return
            self.report(f"Expected </{top.name}> but saw </{name}>", start, end,
                        severity="warning", code="section-mismatch")
        elif anchor is not None:
            header = anchor.header_span
            self.report(f"Expected </{top.name}> but saw </{name}>", header.start, header.end,
                        code="section-mismatch")
        else:
            self.report(f"Expected </{top.name}> but saw </{name}>", start, end,
                        code="section-mismatch")
        for i in range(len(stack) - 2, -1, -1):
            if stack[i].node.key == key:
                while len(stack) > i + 1:
                    self.pop(None, None)
                self.pop(start, end)
                return
        # no enclosing section of that name: the tag is skipped

    def pop(self, close_start: int | None, close_end: int | None) -> None:
        frame = self.stack.pop()
        node = frame.node
        if close_start is not None:
            node.close_span = Span(self.source, close_start, close_end)
            node.span = Span(self.source, node.span.start, close_end)
        else:
            node.span = Span(self.source, node.span.start, _last_end(node))

    def finish(self) -> None:
        """End of file with sections open (httpd: per file, never across files).

        A conditional httpd reads (condition true) builds its body with a builder of its
        own, which simply stops at the end of the file: what is open inside it is accepted.
        A skipped one (condition false) is searched for its end tag, and the search fails
        with the innermost open section's name at the skipped section's line."""
        soaked = self.soaked() if self.base_active else None
        if soaked is not None:
            # the search fails even inside a read conditional's body
            header = soaked.header_span
            self.report(f"Expected </{self.stack[-1].node.name}> before end of configuration",
                        header.start, header.end, code="unclosed-section")
        for frame in self.stack:
            node = frame.node
            header = node.header_span
            if node is soaked:
                break
            if node.key in CONDITIONAL_SECTIONS:
                self.report(f"Expected </{node.name}> before end of configuration",
                            header.start, header.end, severity="warning",
                            code="unclosed-section")
                if frame.active and self.state.condition(node) is not None:
                    break          # known true: what is open inside it is accepted
            else:
                self.report(f"<{node.name}> was not closed.", header.start, header.end,
                            code="unclosed-section")
        while self.stack:
            self.pop(None, None)


def _truncate(segments: list[list[int]], length: int) -> None:
    """Keep the first `length` bytes of the joined segments."""
    total = 0
    for i, seg in enumerate(segments):
        size = seg[1] - seg[0]
        if total + size >= length:
            seg[1] = seg[0] + (length - total)
            del segments[i + 1:]
            return
        total += size


def _last_end(node: Node) -> int:
    """Where an unclosed section's span ends: after its last descendant."""
    end = node.header_span.end if node.header_span is not None else node.span.end
    if node.children:
        last = node.children[-1]
        if last.span.source is node.span.source:
            end = max(end, last.span.end)
    return end


def _mappers(segments: list[tuple[int, int]]):
    """Offset maps from a joined logical line back to source bytes."""
    starts: list[int] = []   # joined offset where each segment starts
    total = 0
    for s, e in segments:
        starts.append(total)
        total += e - s

    def seg(j: int) -> int:
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= j:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def at(j: int) -> int:
        i = seg(j)
        # a position exactly at a segment's end belongs to the next segment
        while i + 1 < len(starts) and j >= starts[i + 1]:
            i += 1
        return segments[i][0] + (j - starts[i])

    def at_end(j: int) -> int:
        if j <= 0:
            return segments[0][0]
        i = seg(j - 1)
        return segments[i][0] + (j - 1 - starts[i]) + 1

    return at, at_end


def parse_apache_state(source: SourceFile, diags: Diagnostics, state: ReadState, *,
                       dialect: str = "apache", via: Node | None = None,
                       active: bool = True, parent: Node | None = None) -> ParsedFile:
    """parse_apache with the caller's read state (the loader threads one through)."""
    return _Parser(source, diags, dialect, via, state, active, parent).run()


def parse_apache(source: SourceFile, diags: Diagnostics, *, dialect: str = "apache",
                 via: Node | None = None, defines: dict[str, str] | None = None) -> ParsedFile:
    """Parse one Apache config or .htaccess file. Never raises; problems go to `diags`.

    `defines`: names defined for `<IfDefine>` and values for `${NAME}` (as
    `-D`/`Define` would set them). Includes are not followed here (see
    apache_loader.load_apache).
    """
    if dialect not in ("apache", "htaccess"):
        dialect = "apache"
    return parse_apache_state(source, diags, ReadState(defines), dialect=dialect, via=via)


def unclosed_sections(nodes: list[Node] | None) -> list[Node]:
    """Sections left open at the end of their file (close_span None), outermost first."""
    out: list[Node] = []
    stack = list(reversed(nodes or ()))
    while stack:
        node = stack.pop()
        if node.children is not None:
            if node.close_span is None:
                out.append(node)
            stack.extend(reversed(node.children))
        for inc in node.included:
            stack.extend(reversed(inc.nodes))
    return out

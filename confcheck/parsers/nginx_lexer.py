"""Lossless nginx tokenizer over a file's bytes.

It follows nginx's own reader (`ngx_conf_read_token` in src/core/ngx_conf_file.c),
not crossplane's lexer, which differs on several inputs (see
shared/reference/parsers.md):

* whitespace is exactly space, tab, CR, LF;
* `#` starts a comment only where a token could start (`foo#bar` is one word);
* an unquoted word ends at whitespace, `;` or `{`, except a `{` right after
  `$` (`${var}`), and `\\` protects the next byte; `}` and quotes inside a word
  are literal;
* a quoted word runs to the matching quote (`\\` protects the next byte) and
  must be followed by whitespace, `;`, `{` or `)`; anything else is nginx's
  `unexpected "X"` error;
* every token, quoted or not, is unescaped the same way: `\\" \\' \\\\` give the
  character, `\\t \\r \\n` give the control character, other pairs stay as is.

A UTF-8 BOM at offset 0 is no whitespace: it starts the first word, as in
nginx (which then refuses the unknown directive). The body of a
`*_by_lua_block { ... }` directive is taken as one raw token (the Lua module
reads it with its own scanner, so braces in Lua strings/comments don't count).

Tokens are plain tuples for speed (a 1 MB config has ~250k of them):

    (WORD,    start, end, value, quote, raw) # start/end and raw include the quotes
    (SEMI|LBRACE|RBRACE, start, end, None, None)
    (COMMENT, start, end, text, None)        # text without '#', no CR/LF
    (LUA,     start, end, body, (body_start, body_end, closed))
                                             # start = '{', end = after '}'
    (ERROR,   start, end, message, None)     # a problem; lexing goes on

All offsets are byte offsets into the data; values are decoded as UTF-8 with
surrogateescape so no byte is ever lost.

The parser reads `lex()` instead: the same tokens, but each statement's
words gathered into one item with what ends it, the arguments already `Arg`
objects with lazy spans (syntax.py). The parser makes a node per item, not a
pass per token, which halves the reader's time; `tokenize()` expands the items.

    (STMT, term_start, term_end, term, name, name_start, name_end, args, extras,
     lua, name_quote, name_raw)
        term:   SEMI | LBRACE | RBRACE (cut short by a "}", which closes a
                block too) | LUA (term_start = '{', term_end = after '}') |
                None (end of file; term_start/term_end None). term_start and
                term_end sit where a token's start/end do.
        name, name_start, name_end, name_quote, name_raw: the name's WORD token
        args:   the other words as Args, their spans on lex()'s `source` (the
                parser makes the list its node's own)
        extras: None, or [(number of args before it, token)] for the COMMENT
                and ERROR tokens met inside the statement
        lua:    (body, (body_start, body_end, closed)) for LUA, else None
    and, outside statements, SEMI/LBRACE/RBRACE/COMMENT/ERROR tokens.
"""

from __future__ import annotations

import re
from functools import cache

from confcheck.parsers.syntax import Arg, lazy_arg

WORD, SEMI, LBRACE, RBRACE, COMMENT, LUA, ERROR, STMT = range(8)


# One match per token, leading whitespace included, or per run of plain words
# one space apart (with the ";" or "{" after them, if that comes next).  Groups:
# 1 the run's first word, 2 the others (each after its space), 3 the ";" or
# "{"; 4 comment, 5/6/7 ";" "{" "}", 8/9 double-quoted body/closing quote,
# 10/11 single-quoted, 12 unquoted word.  No group matched: only whitespace
# was left before EOF.
#
# A plain word has no quote, backslash, "#", "}", "${" or control character
# (but space, tab, CR, LF) anywhere and ends where a word ends (whitespace, ";",
# "{", end of file), so a run's words are exactly nginx's, and where they are
# follows from their lengths. Any other whitespace between two words ends the
# run (the next match goes on with the statement). Anything else falls back to one
# match per token, which follows ngx_conf_read_token for every byte; most
# statements are one run.
_PLAIN_BYTE = r"[^ \t\r\n;{}\"'\\#$\x00-\x08\x0b\x0c\x0e-\x1f]"
# (unrolled: a run of plain bytes between "$"s; sre runs it faster than the
# alternation `(?:[^...$]++|\$(?!\{))++` it is equal to)
_PLAIN = rf"(?:{_PLAIN_BYTE}|\$(?!\{{)){_PLAIN_BYTE}*+(?:\$(?!\{{){_PLAIN_BYTE}*+)*+"
_PATTERN = (
    r"[ \t\r\n]*+(?:"
    rf"({_PLAIN})((?: {_PLAIN})*+)(?=[ \t\r\n;{{]|\Z)(?:[ \t\r\n]*+([;{{]))?"
    r"|(#[^\n]*+)"
    r"|(;)|(\{)|(\})"
    r'|"((?:[^"\\]++|\\[\s\S]?)*+)(")?'
    r"|'((?:[^'\\]++|\\[\s\S]?)*+)(')?"
    r"|((?:[^ \t\r\n;{\\$]++|\\[\s\S]?|\$\{*+)++)"
    r"|\Z)"
)
# An ASCII file is scanned decoded (offsets are the same), which saves decoding
# each word; the same pattern over bytes, for other files, is compiled when one comes.
_TOKEN_TEXT = re.compile(_PATTERN)


@cache
def _token_bytes() -> re.Pattern:
    return re.compile(_PATTERN.encode("ascii"))
(_FIRST, _RUN, _RUN_END, _COMMENT, _SEMI, _LBRACE, _RBRACE, _DQ, _DQ_END, _SQ, _SQ_END,
 _WORD) = range(1, 13)

# What may follow a closing quote (nginx's need_space state); ')' starts a new
# word, which is how `if ($a = "b")` works.
_AFTER_QUOTE = frozenset(b" \t\r\n;{)")

_ESCAPE = re.compile(rb"\\([\s\S])")
_ESCAPES = {b'"': b'"', b"'": b"'", b"\\": b"\\", b"t": b"\t", b"r": b"\r", b"n": b"\n"}


def _unescape_sub(m: re.Match) -> bytes:
    c = m.group(1)
    return _ESCAPES.get(c, b"\\" + c)


def unescape(raw: bytes) -> str:
    """A token's value as nginx stores it (quotes already removed)."""
    if raw.find(b"\\") >= 0:      # (`in` on bytes pays for trying the operand as an int first)
        raw = _ESCAPE.sub(_unescape_sub, raw)
    return raw.decode("utf-8", "surrogateescape")


def _char_at(data: bytes, pos: int) -> str:
    """The (possibly multi-byte) character at `pos`, for messages."""
    for size in (1, 2, 3, 4):
        try:
            return data[pos:pos + size].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return data[pos:pos + 1].decode("utf-8", "surrogateescape")


def _char_len(data: bytes, pos: int) -> int:
    return len(_char_at(data, pos).encode("utf-8", "surrogateescape")) or 1


# --- Lua block bodies -------------------------------------------------------

_LUA_NEXT = re.compile(rb"[{}\"'\[-]")
_LUA_LONG_OPEN = re.compile(rb"\[(=*)\[")
_LUA_STRING = {
    ord('"'): re.compile(rb'"(?:[^"\\\n]|\\[\s\S])*"'),
    ord("'"): re.compile(rb"'(?:[^'\\\n]|\\[\s\S])*'"),
}


def _skip_long_bracket(data: bytes, pos: int) -> int | None:
    """If a Lua long bracket `[==[` starts at pos, the offset after its close."""
    m = _LUA_LONG_OPEN.match(data, pos)
    if m is None:
        return None
    close = b"]" + m.group(1) + b"]"
    end = data.find(close, m.end())
    return len(data) if end < 0 else end + len(close)


def scan_lua_block(data: bytes, pos: int) -> tuple[int, bool]:
    """Offset of the `}` closing a Lua block whose `{` ends just before pos.

    Returns (offset, True), or (len(data), False) when the file ends first.
    Strings, long strings and comments are skipped so their braces don't count.
    """
    depth = 1
    n = len(data)
    search = _LUA_NEXT.search
    while True:
        m = search(data, pos)
        if m is None:
            return n, False
        i = m.start()
        c = data[i]
        if c == 0x7B:  # {
            depth += 1
            pos = i + 1
        elif c == 0x7D:  # }
            depth -= 1
            if depth == 0:
                return i, True
            pos = i + 1
        elif c == 0x2D:  # -
            if data[i + 1:i + 2] != b"-":
                pos = i + 1
                continue
            end = _skip_long_bracket(data, i + 2)
            if end is None:
                nl = data.find(b"\n", i)
                end = n if nl < 0 else nl
            pos = end
        elif c == 0x5B:  # [
            end = _skip_long_bracket(data, i)
            pos = i + 1 if end is None else end
        else:  # a quote
            sm = _LUA_STRING[c].match(data, i)
            pos = sm.end() if sm else i + 1
        if pos >= n:
            return n, False


# --- the tokenizer ------------------------------------------------------------

def _after_quote(data: bytes, start: int, end: int, quote: str, closed: bool) -> tuple | None:
    """The ERROR token, if any, for the quoted word at data[start:end]."""
    if not closed:  # the file ended inside it
        return (ERROR, start, start + 1,
                f"unexpected end of file, missing terminating {quote} character", None)
    if end < len(data) and data[end] not in _AFTER_QUOTE:
        # nginx stops here; we report it and go on as if a space followed,
        # which is also how crossplane splits `'it''s'`.
        return (ERROR, end, end + _char_len(data, end), f'unexpected "{_char_at(data, end)}"', None)
    return None


def tokenize(data: bytes) -> list[tuple]:
    """The tokens of `data` (see the module docstring). Never raises."""
    out: list[tuple] = []
    append = out.append
    for item in lex(data):
        if item[0] != STMT:
            append(item)
            continue
        _, term_start, term_end, term, name, start, end, args, extras, lua, quote, raw = item
        append((WORD, start, end, name, quote, raw))
        words = [(WORD, a._start, a._end, a.value, a.quote, a.raw) for a in args]
        for index, token in reversed(extras or ()):
            words.insert(index, token)
        out.extend(words)
        if term == LUA:
            append((LUA, term_start, term_end) + lua)
        elif term is not None:
            append((term, term_start, term_end, None, None))
    return out


def lex(data: bytes, source: object = None) -> list[tuple]:
    """The items the parser reads (see the module docstring). Never raises."""
    if data.isascii():
        return _lex(data, data.decode("ascii"), _TOKEN_TEXT, source)
    return _lex(data, data, _token_bytes(), source)


def _lex(data: bytes, text: bytes | str, pattern: re.Pattern, source: object) -> list[tuple]:
    """lex over `text`: `data` itself, or (ASCII only) `data` decoded."""
    is_text = text is not data
    backslash = "\\" if is_text else b"\\"
    semi = ";" if is_text else b";"
    new = object.__new__
    n = len(data)
    pos = 0     # a UTF-8 BOM starts the first word, as nginx 1.22 reads it: 'unknown directive "\ufeffevents"'
    out: list[tuple] = []
    append = out.append
    name = None             # the pending statement's name; None: the next word starts one
    name_start = name_end = 0
    name_quote = name_raw = None
    args: list[Arg] = []
    extras: list | None = None
    # finditer is contiguous here (some alternative always matches at the
    # current position); it is restarted only after a Lua body.
    while pos < n:
        restart = None
        for m in pattern.finditer(text, pos):
            kind = m.lastindex
            if kind is None:  # trailing whitespace
                break
            if kind <= _RUN_END:  # plain words one space apart, then maybe ";" or "{"
                word = m[_FIRST]
                at = m.start(_FIRST)
                end = at + len(word)
                if not is_text:
                    word = word.decode("utf-8", "surrogateescape")
                if name is None:
                    name = name_raw = word
                    name_start = at
                    name_end = end
                    name_quote = None
                    args = []
                    extras = None
                else:  # the statement goes on after another kind of whitespace, a comment ...
                    args.append(lazy_arg(word, word, None, source, at, end))
                at = end + 1
                # where the other words are follows from their lengths
                if is_text:
                    for word in m[_RUN].split():
                        end = at + len(word)
                        arg = new(Arg)  # lazy_arg(), inline: the hottest lines of the reader
                        arg.raw = arg.value = word
                        arg.quote = None
                        arg._src = source
                        arg._start = at
                        arg._end = end
                        args.append(arg)
                        at = end + 1
                else:
                    for word in m[_RUN].split():
                        end = at + len(word)
                        word = word.decode("utf-8", "surrogateescape")
                        args.append(lazy_arg(word, word, None, source, at, end))
                        at = end + 1
                if kind == _RUN:
                    continue
                if m[_RUN_END] == semi:  # the usual statement's end, as below
                    end = m.end()
                    append((STMT, end - 1, end, SEMI, name, name_start, name_end, args, extras,
                            None, name_quote, name_raw))
                    name = None
                    continue
                kind = _LBRACE
            elif kind == _COMMENT:
                start, end = m.span(_COMMENT)
                if end > start and data[end - 1] == 0x0D:  # keep CR out of CRLF comments
                    end -= 1
                token = (COMMENT, start, end, data[start + 1:end].decode("utf-8", "surrogateescape"),
                         None)
                if name is None:
                    append(token)
                else:
                    extras = (extras or []) + [(len(args), token)]
                continue
            elif kind >= _DQ:  # one word: quoted (body and closing quote groups) or not
                end = m.end()
                if kind == _WORD:
                    raw = m[_WORD]
                    start = end - len(raw)
                    quote = None
                    if backslash in raw:
                        rawtext = data[start:end].decode("utf-8", "surrogateescape")
                        value = unescape(data[start:end])
                    elif is_text:
                        value = rawtext = raw
                    else:
                        value = rawtext = raw.decode("utf-8", "surrogateescape")
                else:
                    body_group = _DQ if kind <= _DQ_END else _SQ
                    quote = '"' if body_group == _DQ else "'"
                    body_start, body_end = m.span(body_group)
                    start = body_start - 1
                    value = unescape(data[body_start:body_end])
                    rawtext = data[start:end].decode("utf-8", "surrogateescape")
                if name is None:
                    name = value
                    name_start = start
                    name_end = end
                    name_quote = quote
                    name_raw = rawtext
                    args = []
                    extras = None
                else:
                    args.append(lazy_arg(rawtext, value, quote, source, start, end))
                if quote is not None:
                    error = _after_quote(data, start, end, quote, closed=kind != body_group)
                    if error is not None:
                        extras = (extras or []) + [(len(args), error)]
                continue
            # what ends a statement: ";" "}" or "{"
            end = m.end()
            if kind != _LBRACE:
                term = SEMI if kind == _SEMI else RBRACE
                if name is None:
                    append((term, end - 1, end, None, None))
                else:
                    append((STMT, end - 1, end, term, name, name_start, name_end, args, extras,
                            None, name_quote, name_raw))
                    name = None
                continue
            start = end - 1
            if name is None:
                append((LBRACE, start, end, None, None))
            elif name.endswith("_by_lua_block"):
                close, closed = scan_lua_block(data, end)
                stop = close + 1 if closed else n
                body = data[end:close].decode("utf-8", "surrogateescape")
                append((STMT, start, stop, LUA, name, name_start, name_end, args, extras,
                        (body, (end, close, closed)), name_quote, name_raw))
                name = None
                if not closed:
                    append((ERROR, start, end, 'unexpected end of file, expecting "}"', None))
                restart = stop
                break
            else:
                append((STMT, start, end, LBRACE, name, name_start, name_end, args, extras,
                        None, name_quote, name_raw))
                name = None
        if restart is None:
            break
        pos = restart
    if name is not None:
        append((STMT, None, None, None, name, name_start, name_end, args, extras,
                None, name_quote, name_raw))
    return out

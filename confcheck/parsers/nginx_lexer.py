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

Additionally a UTF-8 BOM at offset 0 is skipped and the body of a
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
"""

from __future__ import annotations

import re

WORD, SEMI, LBRACE, RBRACE, COMMENT, LUA, ERROR = range(7)

BOM = b"\xef\xbb\xbf"

# One match per token, leading whitespace included.  Groups: 1 comment,
# 2 punctuation, 3/4 double-quoted body/closing quote, 5/6 single-quoted,
# 7 unquoted word.  No group matched: only whitespace was left before EOF.
_TOKEN = re.compile(
    rb"[ \t\r\n]*+(?:"
    rb"(#[^\n]*+)"
    rb"|([;{}])"
    rb'|"((?:[^"\\]++|\\[\s\S]?)*+)(")?'
    rb"|'((?:[^'\\]++|\\[\s\S]?)*+)(')?"
    rb"|((?:[^ \t\r\n;{\\$]++|\\[\s\S]?|\$\{*+)++)"
    rb"|\Z)"
)

# What may follow a closing quote (nginx's need_space state); ')' starts a new
# word, which is how `if ($a = "b")` works.
_AFTER_QUOTE = frozenset(b" \t\r\n;{)")

_ESCAPE = re.compile(rb"\\([\s\S])")
_ESCAPES = {b'"': b'"', b"'": b"'", b"\\": b"\\", b"t": b"\t", b"r": b"\r", b"n": b"\n"}

_PUNCT = {ord(";"): SEMI, ord("{"): LBRACE, ord("}"): RBRACE}


def _unescape_sub(m: re.Match) -> bytes:
    c = m.group(1)
    return _ESCAPES.get(c, b"\\" + c)


def unescape(raw: bytes) -> str:
    """A token's value as nginx stores it (quotes already removed)."""
    if b"\\" in raw:
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

def tokenize(data: bytes) -> list[tuple]:
    """The tokens of `data` (see the module docstring). Never raises."""
    n = len(data)
    pos = 3 if data.startswith(BOM) else 0
    out: list[tuple] = []
    append = out.append
    expect_name = True      # next word starts a statement
    lua_stmt = False        # the current statement is a *_by_lua_block
    # finditer is contiguous here (some alternative always matches at the
    # current position); it is restarted only after a Lua body.
    while pos < n:
        restart = None
        for m in _TOKEN.finditer(data, pos):
            kind = m.lastindex
            if kind is None:  # trailing whitespace
                return out
            if kind == 7:
                start, end = m.span(7)
                raw = m.group(7)
                if b"\\" in raw:
                    rawtext = raw.decode("utf-8", "surrogateescape")
                    value = _ESCAPE.sub(_unescape_sub, raw).decode("utf-8", "surrogateescape")
                else:
                    value = rawtext = raw.decode("utf-8", "surrogateescape")
                if expect_name:
                    expect_name = False
                    lua_stmt = value.endswith("_by_lua_block")
                append((WORD, start, end, value, None, rawtext))
            elif kind == 2:
                end = m.end()
                start = end - 1
                ptype = _PUNCT[data[start]]
                expect_name = True
                if ptype == LBRACE and lua_stmt:
                    lua_stmt = False
                    close, closed = scan_lua_block(data, end)
                    stop = close + 1 if closed else n
                    body = data[end:close].decode("utf-8", "surrogateescape")
                    append((LUA, start, stop, body, (end, close, closed)))
                    if not closed:
                        append((ERROR, start, end, 'unexpected end of file, expecting "}"', None))
                    restart = stop
                    break
                lua_stmt = False
                append((ptype, start, end, None, None))
            elif kind == 1:
                start, end = m.span(1)
                if end > start and data[end - 1] == 0x0D:  # keep CR out of CRLF comments
                    end -= 1
                append((COMMENT, start, end, data[start + 1:end].decode("utf-8", "surrogateescape"), None))
            else:
                # quoted word: groups 3/4 for '"', 5/6 for "'"
                body_group = 3 if kind <= 4 else 5
                quote = '"' if body_group == 3 else "'"
                end = m.end()
                start = m.start(body_group) - 1
                value = unescape(m.group(body_group))
                if expect_name:
                    expect_name = False
                    lua_stmt = value.endswith("_by_lua_block")
                append((WORD, start, end, value, quote, data[start:end].decode("utf-8", "surrogateescape")))
                if kind == body_group:  # no closing quote: the file ended inside it
                    append((ERROR, start, start + 1,
                            f"unexpected end of file, missing terminating {quote} character", None))
                elif end < n and data[end] not in _AFTER_QUOTE:
                    # nginx stops here; we report it and go on as if a space
                    # followed, which is also how crossplane splits `'it''s'`.
                    size = _char_len(data, end)
                    append((ERROR, end, end + size, f'unexpected "{_char_at(data, end)}"', None))
        if restart is None:
            break
        pos = restart
    return out

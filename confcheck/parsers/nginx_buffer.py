"""nginx reads a config file through one 4096-byte buffer (NGX_CONF_BUFFER in
src/core/ngx_conf_file.c). When the buffer runs dry, the bytes from where the
current token started are moved to its front and the rest refilled; a token
that fills the whole buffer is refused: `too long parameter "XXXXXXXXXX..."
started` (or `..., probably missing terminating '"' character` while a quoted
one is still open). A long Content-Security-Policy header is the usual case.

Where the reader's token start stays put (ngx_conf_read_token's `start`):
- an unquoted word, from its first byte through the whitespace that ends it
  (`;` or `{` end the call at once, so not through those);
- a quoted word, from the byte after its opening quote through the
  whitespace after its closing one;
- a comment, from its `#` to the newline that ends it.
A stretch where it stays put for 4096 reads is refused wherever it falls in
the file (the refill before it moves that token to the buffer's front).
"""

from __future__ import annotations

import re

BUFFER = 4096
_QUOTED_LONG = re.compile(rb'"[^"]{%d,}|\'[^\']{%d,}' % (BUFFER - 8, BUFFER - 8))
_WHITE = b" \t\r\n"


def might_be_too_long(data: bytes) -> bool:
    """A cheap test that no token can fill the buffer (the exact one tokenizes)."""
    if len(data) <= BUFFER:
        return False
    if max(map(len, data.split(b"\n"))) >= BUFFER - 2:
        return True
    return _QUOTED_LONG.search(data) is not None


def too_long(data: bytes) -> tuple[str, int, int] | None:
    """(nginx's message, token start, token end) for the first token the reader refuses, else None."""
    if not might_be_too_long(data):
        return None
    from confcheck.parsers.nginx_lexer import COMMENT, LUA, WORD, tokenize

    tokens = tokenize(data)
    if any(token[0] == LUA for token in tokens):
        return None         # a Lua block's body is read by ngx_http_lua's own reader
    size = len(data)
    for kind, start, end, _value, quote, *_ in tokens:
        if kind == WORD:
            after = data[end:end + 1]
            if quote:
                held = start + 1        # the byte after the opening quote
                last = end + 1 if after and after in _WHITE else end
            else:
                held = start
                last = end + 1 if after and after in _WHITE else end
        elif kind == COMMENT:
            held = start
            newline = data.find(b"\n", start)
            last = newline if newline >= 0 else size
        else:
            continue
        if last - held < BUFFER or held + BUFFER >= size:
            continue
        shown = data[held:held + 10].decode("utf-8", "surrogateescape")
        if quote and held + BUFFER < end:       # the closing quote not read yet
            return f'too long parameter, probably missing terminating "{quote}" character', start, end
        return f'too long parameter "{shown}..." started', start, end
    return None

"""$secure_link and $secure_link_expires (ngx_http_secure_link_module), computed offline.

Two forms, both of the location in force where the variable is read:
- `secure_link_secret WORD`: the URI as sent is /PREFIX/HEX32/LINK; the variable is
  LINK when HEX32 is the MD5 of LINK followed by WORD, else not found ("");
- `secure_link HASH[,EXPIRES]` + `secure_link_md5 EXPR`: HASH is base64url of the MD5 of
  EXPR; the variable is "1", or "0" once EXPIRES (seconds since the epoch) has passed,
  else not found. $secure_link_expires is the text after the comma once computed.
The expiry depends on the clock: it is judged at the time of checking (said in the
trace), and an expiry within the hour is a value the model does not claim.
"""

from __future__ import annotations

import base64
import re
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from confcheck.servers.nginx.decide import State

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_HEX32 = re.compile(r"[0-9A-Fa-f]{32}")
NEAR = 3600      # an expiry this close to now may have passed by the time the request is made


def value(state: "State") -> str:
    """The cached value once computed: nginx caches $secure_link (not flagged
    NOCACHEABLE) in r->variables, which an internal redirect (index, try_files,
    error_page) keeps, so a redirected request reads the first URI's answer."""
    if state.secure_link is None:
        mark = len(state.unknown_reads)
        computed = _compute(state)
        state.secure_link = (computed, "secure_link" in state.unknown_reads[mark:])
    elif state.secure_link[1]:
        state.unknown_reads.append("secure_link")
    return state.secure_link[0]


def _compute(state: "State") -> str:
    from confcheck.servers.nginx import variables
    scope = state.scope
    secret = scope.last("secure_link_secret")
    if secret is not None and secret.args:
        return _old(state.request.request_uri, secret.args[0].value)
    link, md5 = scope.last("secure_link"), scope.last("secure_link_md5")
    if link is None or md5 is None or not link.args or not md5.args:
        return ""
    text = variables.expand(link.args[0].value, state)
    hash_text, comma, expires_text = text.partition(",")
    expires = 0
    if comma:
        expires = int(expires_text) if expires_text.isdigit() else 0    # ngx_atotm: digits only
        if expires <= 0:
            return ""
        state.secure_link_expires = expires_text
    digest = _base64url(hash_text) if len(hash_text) <= 24 else None
    if digest is None or len(digest) != 16:
        return ""
    import hashlib      # OpenSSL: only configurations with secure_link load it
    if hashlib.md5(variables.expand(md5.args[0].value, state).encode("latin-1", "replace")).digest() != digest:
        return ""
    if not expires:
        return "1"
    now = int(time.time())
    if abs(expires - now) < NEAR:
        state.unknown_reads.append("secure_link")
        return "1"
    state.step("secure_link", f"the link expires at {expires} (epoch seconds), "
               f"{'after' if expires > now else 'before'} the time of checking ({now}): "
               f"$secure_link is {'1' if expires > now else '0'}", link)
    return "1" if expires > now else "0"


def _base64url(text: str) -> bytes | None:
    """ngx_decode_base64url: stops at "=", refuses other characters and a length of 4n+1."""
    text = text.split("=", 1)[0]
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _old(unparsed: str, secret: str) -> str:
    """secure_link_secret: /PREFIX/HEX32/LINK of the URI as sent (arguments included)."""
    first = unparsed.find("/", 1)
    if first < 0:
        return ""
    second = unparsed.find("/", first + 1)
    if second < 0:
        return ""
    hex_part, link = unparsed[first + 1:second], unparsed[second + 1:]
    if not link:
        return ""
    if not _HEX32.fullmatch(hex_part):
        return ""
    given = bytes.fromhex(hex_part)
    raw = link.encode("latin-1", "replace")
    import hashlib      # OpenSSL: only configurations with secure_link load it
    return link if hashlib.md5(raw + secret.encode("latin-1", "replace")).digest() == given else ""

"""Checking a Basic-auth password against an htpasswd file, where it can be done offline.

Schemes nginx accepts: {PLAIN}, {SHA}, {SSHA} and crypt(3) hashes. The apr1
and bcrypt variants need a crypt implementation; when Python's has none for a
hash, the answer is "unknown" (None) and the caller says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def verify(data: bytes, user: str, password: str) -> bool | None:
    """True/False when decided, None when the user's hash scheme cannot be checked here."""
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, rest = line.partition(":")
        if not sep or name != user:
            continue
        stored = rest.split(":", 1)[0]
        return _check(stored, password)
    return False


def _check(stored: str, password: str) -> bool | None:
    if stored.startswith("{PLAIN}"):
        return hmac.compare_digest(stored[7:], password)
    if stored.startswith("{SHA}"):
        digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
        return hmac.compare_digest(stored[5:], digest)
    if stored.startswith("{SSHA}"):
        try:
            raw = base64.b64decode(stored[6:])
        except ValueError:
            return False
        digest, salt = raw[:20], raw[20:]
        return hmac.compare_digest(hashlib.sha1(password.encode() + salt).digest(), digest)
    try:
        import crypt  # noqa: PLC0415 - deprecated module, absent on newer Pythons
    except ImportError:
        return None
    try:
        result = crypt.crypt(password, stored)
    except (ValueError, OSError):
        return None
    if result is None or result.startswith("*"):
        return None     # glibc does not know this scheme ($apr1$): cannot decide
    return hmac.compare_digest(result, stored)

"""Checking a Basic-auth password against an htpasswd file, where it can be done offline.

Schemes nginx accepts: {PLAIN}, {SHA}, {SSHA}, Apache's `$apr1$` (htpasswd's and
`openssl passwd -apr1`'s default; nginx and APR compute it themselves, glibc does not
know it) and crypt(3) hashes. bcrypt and the others need the system's crypt; when
Python's has none for a hash, the answer is "unknown" (None) and the caller says so.
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
    if stored.startswith("$apr1$"):
        salt = stored[6:].split("$", 1)[0]
        return hmac.compare_digest(md5_crypt(password.encode("utf-8", "surrogateescape"),
                                             salt.encode("ascii", "replace"), b"$apr1$"), stored)
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


_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def md5_crypt(password: bytes, salt: bytes, magic: bytes) -> str:
    """The MD5-based crypt (Poul-Henning Kamp's scheme; magic `$1$`, or Apache's `$apr1$`):
    MAGIC SALT `$` and the 22-character digest."""
    salt = salt[:8]
    alternate = hashlib.md5(password + salt + password).digest()
    ctx = hashlib.md5(password + magic + salt)
    for left in range(len(password), 0, -16):
        ctx.update(alternate[:min(16, left)])
    bits = len(password)
    while bits:
        ctx.update(b"\0" if bits & 1 else password[:1])
        bits >>= 1
    final = ctx.digest()
    for i in range(1000):     # the scheme's fixed 1000 rounds
        step = hashlib.md5(password if i & 1 else final)
        if i % 3:
            step.update(salt)
        if i % 7:
            step.update(password)
        step.update(final if i & 1 else password)
        final = step.digest()
    out = []
    for a, b, c in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)):
        out.append(_to64((final[a] << 16) | (final[b] << 8) | final[c], 4))
    out.append(_to64(final[11], 2))
    return (magic + salt + b"$").decode("ascii", "replace") + "".join(out)


def _to64(value: int, count: int) -> str:
    chars = []
    for _ in range(count):
        chars.append(_ITOA64[value & 0x3F])
        value >>= 6
    return "".join(chars)

"""Names that should stay private even inside a served tree (.git, .env, keys...).

The fixes never open them to the worker; the scan reports a worker kept out of
them as a note, not an error: nothing serves them on purpose.
"""

from __future__ import annotations

import fnmatch
import re

PRIVATE_NAMES = (".env", ".env.*", "*.env", "*.key", "*.pem", "*.p12", "*.pfx", "*.kdbx",
                 "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", ".htpasswd", ".netrc",
                 ".pgpass", ".git", ".svn", ".hg", ".ssh", ".aws", ".gnupg")
_PRIVATE_RE = re.compile("|".join(fnmatch.translate(p) for p in PRIVATE_NAMES))
# Every private-looking name starts with one of these or ends with one of those (a walk
# tests a million names with str.startswith/endswith before the pattern)
PRIVATE_STARTS = tuple(p.split("*")[0] for p in PRIVATE_NAMES if not p.startswith("*"))
PRIVATE_ENDS = tuple(p[1:] for p in PRIVATE_NAMES if p.startswith("*"))


def looks_private(path: str) -> bool:
    """A name under the path that should stay private (.env, keys, .git/...)."""
    return private_part(path) is not None


def private_part(path: str) -> str | None:
    """The first component of `path` that looks private, or None."""
    if "/" not in path:
        # one name (a walk asks this once per entry)
        return path if path and _PRIVATE_RE.match(path) else None
    return next((part for part in path.split("/") if part and _PRIVATE_RE.match(part)), None)


def private_below(path: str, top: str) -> str | None:
    """The first private-looking component of `path` below the served directory `top`
    (a site served from under a private-looking directory is still a site)."""
    top = top.rstrip("/")
    if path != top and not path.startswith(top + "/"):
        return None
    return private_part(path[len(top):])

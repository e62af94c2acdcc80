"""Searching a directory the user named for configs (recursively, sorted).

Only files whose path looks like config (the pre-commit hook's pattern) are
opened, so a served tree of many files costs a directory walk, not a read of
each file.
"""

from __future__ import annotations

import os

from confcheck.inputs.paths import SKIP_DIRS, is_candidate


def candidates(top: str, *, deployed: bool = False) -> list[str]:
    """Local paths of the files under `top` that may be config, in a stable order.
    `deployed` (under --root): links are the server's, not a repository's."""
    from confcheck.inputs.deploy import in_repository
    found: list[str] = []
    for directory, dirs, files in os.walk(top, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not _skipped(directory, d))
        folder = os.path.basename(directory)
        for name in sorted(files):
            if name.startswith(".") and name != ".htaccess" or not is_candidate(folder, name):
                continue
            path = os.path.normpath(os.path.join(directory, name))
            if not deployed:
                path = in_repository(path)
            if os.path.isfile(path):          # a dangling link is nothing to read
                found.append(path)
    return found


def _skipped(directory: str, name: str) -> bool:
    if name in SKIP_DIRS or (name.startswith(".") and name != ".well-known"):
        return True
    # a virtualenv under any name
    return os.path.isfile(os.path.join(directory, name, "pyvenv.cfg"))

"""Paths between the command line, the server's view and the disk.

A PATH on the command line is a server path; under `--root DIR` it is read at
DIR + PATH. Output names files the way the user named them: under the working
directory relative to it, under `--root` as the server sees them.
"""

from __future__ import annotations

import os

# The folders Debian, RHEL and Alpine keep vhosts and snippets in.
CONFIG_DIR_NAMES = frozenset({"sites-available", "sites-enabled", "conf.d", "http.d", "vhosts.d", "snippets",
                              "streams-available", "streams-enabled", "conf-available", "conf-enabled",
                              "mods-available", "mods-enabled", "modules-available", "modules-enabled"})
# Folders a search never enters: version control, dependencies, virtualenvs.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "vendor", "bower_components", ".venv", "venv",
                       "virtualenv", "site-packages", "__pycache__", ".tox", ".nox"})
# The files a search looks at, as the pre-commit hook's `files` pattern names
# them: these names anywhere, and every file directly in these folders.
CANDIDATE_NAMES = frozenset({"nginx.conf", "apache2.conf", "httpd.conf", ".htaccess"})
CANDIDATE_DIRS = frozenset({"sites-available", "sites-enabled", "conf-available", "conf-enabled",
                            "mods-available", "mods-enabled", "modules-available", "modules-enabled",
                            "streams-available", "streams-enabled", "snippets", "conf.d", "http.d", "vhosts.d"})


def is_candidate(folder: str, name: str) -> bool:
    """May the file `name` in the folder named `folder` be config (by name only)?"""
    return name.endswith(".conf") or name in CANDIDATE_NAMES or folder in CANDIDATE_DIRS


def local_path(path: str, root: str | None) -> str:
    """Where the server path `path` is read on this machine (under --root: with the image's
    links resolved in the image, as confcheck.source.resolve_in_root says)."""
    if not root:
        return path
    from confcheck.source import resolve_in_root
    return resolve_in_root(os.path.abspath(root).rstrip("/"), os.path.abspath(path))


def real_path(local: str, root: str | None) -> str:
    """Where the bytes of the local path `local` live: os.path.realpath, but under --root
    with the image's links resolved in the image (as the loaders read them)."""
    if root:
        top = os.path.abspath(root).rstrip("/")
        here = os.path.abspath(local)
        if here.startswith(top + "/"):
            from confcheck.source import resolve_in_root
            return resolve_in_root(top, here[len(top):])
    return os.path.realpath(local)


def server_path(local: str, root: str | None) -> str:
    """The server's view of the local path `local` (itself without --root)."""
    if root:
        top = os.path.abspath(root).rstrip("/")
        if local == top:
            return "/"
        if local.startswith(top + "/"):
            return local[len(top):]
    return local


def shown(path: str, root: str | None = None, cwd: str | None = None) -> str:
    """`path` as the user named it: the server's path under --root, else relative to
    the working directory when it lies below it, else as it is."""
    if root:
        return server_path(os.path.abspath(path), root)
    if not path.startswith("/"):
        return path
    here = os.path.abspath(cwd or os.getcwd())
    if here != "/" and path.startswith(here + "/"):
        return path[len(here) + 1:]
    return path

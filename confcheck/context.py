"""`scan --context`: check changed files in the context of the configs that include them.

pre-commit passes the files a commit touches (`snippets/php.conf`), but a
snippet means nothing alone: its `location` blocks live in the servers of the
vhosts that include it. So for each named file we look for main configs in the
repository (nginx.conf, apache2.conf, httpd.conf under the current
directory), read each with its includes, and scan the mains that include a
named file instead of the file itself. A file no main includes is scanned on
its own, as `confcheck scan FILE` would (a lone vhost in http context, a
snippet where its directives belong).

A config repository is not the server: its nginx.conf says
`include /etc/nginx/conf.d/*.conf`, and those paths must be read from the
repository, not from this machine. Each main is therefore *mounted*: the
directory it would be deployed to (/etc/nginx/, guessed from the absolute
includes it contains) is read from the main's own directory.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

NGINX_MAINS = ("nginx.conf",)
APACHE_MAINS = ("apache2.conf", "httpd.conf")
NGINX_HOMES = ("/etc/nginx/", "/usr/local/nginx/conf/", "/usr/local/etc/nginx/", "/opt/nginx/conf/")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"})


@dataclass
class Context:
    paths: list[str] = field(default_factory=list)                  # what to scan, in order
    mounts: dict[str, tuple[str, str]] = field(default_factory=dict)  # main -> (deployed prefix, local dir)


def find_mains(base: str) -> list[str]:
    """Main config files under `base` (hidden and vendored folders skipped)."""
    found = []
    for directory, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name in NGINX_MAINS or name in APACHE_MAINS:
                found.append(os.path.normpath(os.path.join(directory, name)))
    return found


def nginx_mount(main: str) -> tuple[str, str] | None:
    """(deployed prefix, local dir) for a main nginx.conf that is not where it is deployed."""
    local_dir = os.path.dirname(os.path.abspath(main)).rstrip("/") + "/"
    try:
        with open(main, encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
    except OSError:
        return None
    written = [home for home in NGINX_HOMES if re.search(r"\b(include|load_module)\s+[\"']?" + re.escape(home), text)]
    home = written[0] if written else NGINX_HOMES[0]
    if os.path.realpath(local_dir) == os.path.realpath(home):
        return None
    return home, local_dir


def _files_of_main(main: str, mount) -> set[str]:
    from confcheck.source import Diagnostics
    diags = Diagnostics()    # errors are the scan's to report, not discovery's
    if os.path.basename(main) in NGINX_MAINS:
        from confcheck.parsers.nginx_loader import load_nginx
        config = load_nginx(main, diags, mount=mount)
    else:
        from confcheck.parsers.apache_loader import load_apache
        config = load_apache(main, diags)
    return {source.realpath for source in config.files.values()}


def resolve(paths: list[str], base: str) -> Context:
    """The PATHs to scan instead of `paths` (files named by pre-commit), and the mounts."""
    out = Context()
    mains = find_mains(base)
    mounts = {os.path.abspath(m): nginx_mount(m) for m in mains if os.path.basename(m) in NGINX_MAINS}
    included_by: dict[str, list[str]] = {}
    wanted = {os.path.realpath(p) for p in paths if os.path.isfile(p)}
    if wanted:
        for main in mains:
            for path in _files_of_main(main, mounts.get(os.path.abspath(main))):
                if path in wanted:
                    included_by.setdefault(path, []).append(main)
    seen: set[str] = set()
    for path in paths:
        real = os.path.realpath(path)
        targets = [path] if not os.path.isfile(path) else included_by.get(real, [path])
        for target in targets:
            key = os.path.realpath(target)
            if key in seen:
                continue
            seen.add(key)
            out.paths.append(target)
            if mounts.get(os.path.abspath(target)):
                out.mounts[os.path.abspath(target)] = mounts[os.path.abspath(target)]
    return out


def mounts_for(paths: list[str]) -> dict[str, tuple[str, str]]:
    """Mounts for the main nginx.conf files among `paths` (files, or folders holding one)."""
    out = {}
    for path in paths:
        main = os.path.join(path, "nginx.conf") if os.path.isdir(path) else path
        if os.path.basename(main) in NGINX_MAINS and os.path.isfile(main):
            mount = nginx_mount(main)
            if mount is not None:
                out[os.path.abspath(main)] = mount
    return out

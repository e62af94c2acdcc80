"""Where a config in a repository would be deployed.

A repository's nginx.conf says `include /etc/nginx/conf.d/*.conf;`: those
paths are read from beside the main when the repository has them, and
otherwise where `nginx -c MAIN` opens them (the machine's own
/etc/nginx/mime.types), never reported missing when nginx would find them.
The deployed prefix is guessed from the absolute includes the main contains.
"""

from __future__ import annotations

import os
import re

NGINX_HOMES = ("/etc/nginx/", "/usr/local/nginx/conf/", "/usr/local/etc/nginx/", "/opt/nginx/conf/")
APACHE_HOMES = ("/etc/apache2/", "/etc/httpd/")


def nginx_mount(conf_dir: str, text: str) -> tuple[str, str] | None:
    """(deployed prefix, local dir) for configs kept in `conf_dir` (local), or None
    when `conf_dir` is the deployed place itself."""
    local_dir = os.path.abspath(conf_dir).rstrip("/") + "/"
    written = [home for home in NGINX_HOMES
               if re.search(r"\b(include|load_module)\s+[\"']?" + re.escape(home), text)]
    if not written and os.path.basename(local_dir.rstrip("/")) == "conf":
        return None     # a source build's or `nginx -p P` layout (P/conf/nginx.conf): read in place
    home = written[0] if written else NGINX_HOMES[0]
    if os.path.realpath(local_dir) == os.path.realpath(home):
        return None
    return home, local_dir


_SERVER_ROOT = re.compile(r'^[ \t]*ServerRoot[ \t]+"?([^"\s]+)"?', re.M | re.I)


def apache_mount(main: str, text: str) -> tuple[str, str] | None:
    """(deployed ServerRoot, local dir) for an Apache main kept outside it: its
    `ServerRoot "/usr/local/apache2"` (RHEL's conf/httpd.conf: the folder above),
    else the Debian or RHEL home its absolute includes name; None when it is there."""
    local_dir = os.path.dirname(os.path.abspath(main))
    found = _SERVER_ROOT.search(text)
    if found and found.group(1).startswith("/"):
        home = found.group(1).rstrip("/") + "/"
        if os.path.basename(local_dir) == "conf":
            local_dir = os.path.dirname(local_dir)
    else:
        written = [h for h in APACHE_HOMES if re.search(r"\bInclude(Optional)?\s+[\"']?" + re.escape(h), text, re.I)]
        if not written:
            return None
        home = written[0]
    if os.path.realpath(local_dir) == os.path.realpath(home):
        return None
    return home, local_dir.rstrip("/") + "/"


def conf_dir_of(path: str) -> str:
    """The config folder a file belongs to: /x/nginx for /x/nginx/sites-available/shop."""
    from confcheck.inputs.paths import CONFIG_DIR_NAMES
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.basename(directory) in CONFIG_DIR_NAMES:
        return os.path.dirname(directory)
    return directory


def in_repository(path: str) -> str:
    """The repository's own file a link written for the deployed place means
    (`sites-enabled/shop -> /etc/nginx/sites-available/shop`), else `path`: such a
    link names the repository's copy, never this machine's file."""
    if not os.path.islink(path):
        return path
    target = os.readlink(path)
    if not target.startswith("/"):
        return path
    conf_dir = conf_dir_of(path)
    for home in NGINX_HOMES + APACHE_HOMES:
        if target.startswith(home) and os.path.realpath(conf_dir) != os.path.realpath(home):
            mapped = os.path.join(conf_dir, target[len(home):])
            if os.path.lexists(mapped):
                return in_repository(mapped) if mapped != path else path
    return path

"""Helpers shared by the test suites (a plain module: conftest.py names clash
between folders, so tests import from here)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The team's shared folder (corpus, schemas): next to the checkout, or at its
# usual place when the checkout lives elsewhere (a CI clone in a temp dir). Its
# real path: tests compare it with the real paths of files the loaders read.
SHARED = os.path.realpath(next((p for p in (os.path.join(os.path.dirname(REPO), "shared"), "/work/shared")
                                if os.path.isdir(p)), "/work/shared"))


def corpus_link(path) -> str | None:
    """The target of a `*-enabled` entry of the corpus, or None for a plain file.

    A git checkout of ../shared makes Debian's `sites-enabled/default` and
    `mods-enabled/*.load` real relative symlinks; a copy that lost them holds
    the link target as the file's text. Tests rebuild the link either way.
    """
    path = os.fspath(path)
    if not os.path.basename(os.path.dirname(path)).endswith("-enabled"):
        return None
    if os.path.islink(path):
        return os.readlink(path)
    try:
        with open(path, "rb") as fh:
            target = fh.read(4097).strip()
    except OSError:
        return None
    if b"\n" in target or target.startswith(b"/") or len(target) > 4096:
        return None
    name = target.decode("utf-8", "surrogateescape")
    return name if os.path.isfile(os.path.join(os.path.dirname(path), name)) else None


def need_root() -> None:
    """Skip without root, except in CI where every test must run."""
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("this test needs root, and CI must run it")
        pytest.skip("needs root (builds trees with other owners)")


def run_cli(*args: str, stdin: bytes | None = None, env: dict | None = None,
            cwd: str | None = None) -> subprocess.CompletedProcess:
    """Run the real command line in a child process (exit codes and streams as users see them)."""
    full_env = dict(os.environ)
    full_env.pop("FORCE_COLOR", None)
    full_env["NO_COLOR"] = "1"
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-m", "confcheck", *args], input=stdin,
                          capture_output=True, env=full_env, cwd=cwd, timeout=300)


WHY_CONF = """user www-data;
events {}
http {
    server {
        listen 8080;
        server_name site.test;
        root /srv/nowhere;
        location /private/ {
            deny all;
        }
        location /old {
            return 301 /new;
        }
    }
}
"""


def write_why_conf(tree_dir: str) -> str:
    """A small nginx.conf in tree_dir (a server on 8080 with a denied /private/ and a redirect) for CLI tests."""
    path = os.path.join(tree_dir, "nginx.conf")
    with open(path, "w") as fh:
        fh.write(WHY_CONF)
    return path


SITE = """user www-data;
events {}
http {
    server {
        listen 80;
        server_name site.test;
        root /srv/site;
        location /private/ {
            deny all;
        }
    }
}
"""


def make_site(base: str, *, index_mode: int = 0o644, conf: str = SITE) -> str:
    """A --root image: etc/nginx/nginx.conf, passwd/group, /srv/site."""
    os.makedirs(f"{base}/etc/nginx")
    with open(f"{base}/etc/nginx/nginx.conf", "w") as fh:
        fh.write(conf)
    with open(f"{base}/etc/passwd", "w") as fh:
        fh.write("root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n")
    with open(f"{base}/etc/group", "w") as fh:
        fh.write("root:x:0:\nwww-data:x:33:\n")
    os.makedirs(f"{base}/srv/site")
    with open(f"{base}/srv/site/index.html", "w") as fh:
        fh.write("hi\n")
    os.chmod(f"{base}/srv/site/index.html", index_mode)
    return base


# A RHEL-layout Apache (conf/httpd.conf, conf.modules.d, conf.d) for --root images.
RHEL_HTTPD_CONF = """ServerRoot "/etc/httpd"
Listen 80
Include conf.modules.d/*.conf
User apache
Group apache
<Directory />
    AllowOverride none
    Require all denied
</Directory>
DocumentRoot "/var/www/html"
<Directory "/var/www">
    AllowOverride None
    Require all granted
</Directory>
<IfModule dir_module>
    DirectoryIndex index.html
</IfModule>
IncludeOptional conf.d/*.conf
"""

RHEL_HTTPD_MODULES = "".join(f"LoadModule {m}_module modules/mod_{m}.so\n"
                             for m in ("mpm_event", "authz_core", "authz_host", "alias", "dir", "mime", "rewrite",
                                       "autoindex"))   # an MPM provides Listen (RHEL's 00-mpm.conf)


ACCOUNTS = {"etc/passwd": "root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n",
            "etc/group": "root:x:0:\nwww-data:x:33:\n"}


def write_image(files: dict[str, str], prefix: str = "cc-image-") -> str:
    """A fresh --root image under /var/tmp (0755 folders, every ancestor searchable):
    `files` maps paths relative to it to their text, plus root's and www-data's accounts.
    The caller removes it."""
    import tempfile
    base = tempfile.mkdtemp(prefix=prefix, dir="/var/tmp")
    os.chmod(base, 0o755)
    for rel, text in {**ACCOUNTS, **files}.items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
    for dirpath, dirs, _ in os.walk(base):
        for d in dirs:
            os.chmod(os.path.join(dirpath, d), 0o755)
    return base


def write_nginx_tree(base, files: dict[str, str]) -> str:
    """Write each relative name's text under `base` (a pathlib.Path); the tree's nginx.conf."""
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(base / "nginx.conf")

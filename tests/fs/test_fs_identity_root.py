"""Identity from the view's passwd/group, nginx defaults, and --root remapping."""

from __future__ import annotations

import os

import pytest

from confcheck.fs.access import check
from confcheck.fs.identity import (UnknownGroup, UnknownUser, nginx_default_identity,
                                   nginx_user_identity, resolve_identity)
from confcheck.fs.live import LiveFs

PASSWD = b"""root:x:0:0:root:/root:/bin/sh
www-data:x:82:82:www:/var/www:/sbin/nologin
alice:x:1000:1000::/home/alice:/bin/sh
"""
GROUP = b"""root:x:0:
www-data:x:82:
alice:x:1000:
web:x:2000:alice,www-data
nogroup:x:65534:
"""


@pytest.fixture
def image(tree):
    tree.file("img/etc/passwd", 0o644, data=PASSWD)
    tree.file("img/etc/group", 0o644, data=GROUP)
    tree.dir("img/home/alice", 0o750, 1000, 1000)
    tree.file("img/home/alice/site/index.html")
    tree.dir("img/srv/www", 0o750, 0, 2000)
    tree.file("img/srv/www/index.html", 0o640, 0, 2000)
    return tree.p("img")


def test_identity_comes_from_the_image(image):
    fs = LiveFs(image)
    ident = resolve_identity(fs, "www-data", None)
    assert (ident.uid, ident.gid, ident.groups) == (82, 82, frozenset({82, 2000}))
    assert resolve_identity(fs, "#82", "www-data").user == "www-data"
    assert resolve_identity(fs, "82", "2000").gid == 2000
    with pytest.raises(UnknownUser):
        resolve_identity(fs, "nginx", None)
    with pytest.raises(UnknownGroup):
        resolve_identity(fs, "www-data", "nosuch")
    with pytest.raises(UnknownUser):
        resolve_identity(fs, "4242", None)      # numeric, no passwd entry, no group


def test_nginx_identities(image):
    fs = LiveFs(image)
    ngx = nginx_user_identity(fs, "alice")
    assert ngx.gid == 1000 and 2000 in ngx.groups
    built = nginx_default_identity(fs, "configure arguments: --user=www-data --prefix=/x")
    assert (built.user, built.group_name) == ("www-data", "www-data")


def test_nginx_default_needs_nobody_in_passwd(image):
    with pytest.raises(UnknownUser):
        nginx_default_identity(LiveFs(image))   # the image has no 'nobody' user


def test_host_nginx_default_is_nobody_nogroup():
    ident = nginx_default_identity(LiveFs())
    assert (ident.user, ident.group_name) == ("nobody", "nogroup")


def test_root_remaps_paths_and_names(image):
    fs = LiveFs(image)
    www = resolve_identity(fs, "www-data", None)
    acc = check(fs, www, "/home/alice/site/index.html", "read")
    assert acc.denial.path == "/home/alice"
    assert acc.denial.detail == \
        "www-data is 'other' on /home/alice (drwxr-x--- alice:alice) and has no x"
    assert check(fs, www, "/srv/www/index.html", "read").ok      # via supplementary 'web'


def test_absolute_links_stay_inside_the_root(image, tree):
    # /etc/hosts-like secret exists on the host side but the image link must not reach it
    outside = tree.file("outside.html")
    rel_outside = os.path.relpath(outside, "/")
    tree.link("img/srv/www/abs", "/srv/www/index.html")
    tree.link("img/srv/www/escape", "/" + rel_outside)          # absolute: inside the image, missing
    tree.link("img/srv/www/dotdot", "../../../../../../../../" + rel_outside)
    tree.link("img/web", "/srv/www")                             # a directory link on the way
    fs = LiveFs(image)
    www = resolve_identity(fs, "www-data", None)
    assert check(fs, www, "/srv/www/abs", "read").resolved == "/srv/www/index.html"
    for name in ("escape", "dotdot"):
        acc = check(fs, www, f"/srv/www/{name}", "read")
        assert acc.denial.need == "missing", acc
    assert check(fs, www, "/web/index.html", "read").resolved == "/srv/www/index.html"
    # the view's own lstat resolves a linked parent inside the root too
    assert fs.lstat("/web/index.html").size == 2
    assert fs.host_path("/web/../../../etc/passwd") == image + "/etc/passwd"
    assert fs.read_bytes("/etc/passwd") == PASSWD
    assert fs.selinux_enforcing() is None

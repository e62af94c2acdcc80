"""Snapshots: round trip against the live disk, hostile names, SELinux
labels, and what a snapshot does not know."""

from __future__ import annotations

import io
import json
import os

import pytest
from fshelpers import run

from confcheck.fs.access import Checker, SymlinkPolicy
from confcheck.fs.identity import resolve_identity
from confcheck.fs.live import LiveFs
from confcheck.fs.model import NotChecked
from confcheck.fs.snapshot import SnapshotFs, write_snapshot
from confcheck.fs.walk import walk_tree

WWW = 33
HOSTILE = ["with space.html", "new\nline.html", "quote\"'.html", "$(touch pwned).html",
           "-rf", "back\\slash", "ünï.html"]
RAW = [b"latin1-\xe9.html", b"\xff\xfe", b"bad-\xed\xa0\x80-surrogate"]


def _build(tree):
    tree.dir("site", 0o755)
    tree.file("site/index.html")
    tree.file("site/secret", 0o600)
    tree.dir("site/closed", 0o700)
    tree.file("site/closed/f")
    tree.dir("site/grp", 0o750, 0, WWW)
    tree.file("site/grp/f", 0o640, 0, WWW)
    tree.link("site/l-ok", "index.html")
    tree.link("site/l-dangling", "nope")
    tree.link("site/l-out", tree.p("elsewhere/t.html"))
    tree.file("elsewhere/t.html")
    tree.link("site/l-dir", "grp")
    acl = tree.file("site/acl", 0o640)
    run("setfacl", "-m", "u:www-data:r", acl)
    for name in HOSTILE:
        tree.file("site/h/" + name)
    for raw in RAW:
        path = os.fsencode(tree.p("site/h")) + b"/" + raw
        with open(path, "wb") as fh:
            fh.write(b"x")
    imm = tree.file("site/immutable")
    run("chattr", "+i", imm)
    return tree.p("site")


def _snap(paths, fs=None):
    buf = io.StringIO()
    write_snapshot(paths, buf, fs or LiveFs())
    text = buf.getvalue()
    text.encode("ascii")     # the file is pure ASCII
    return text, SnapshotFs.load(io.StringIO(text))


def test_round_trip_meta_and_verdicts(tree, www):
    fs = LiveFs(immutable=True)      # eager flags, so Meta must be identical
    site = _build(tree)
    text, snap = _snap([site])
    json.loads(text)         # and valid JSON as a whole

    live_events = list(walk_tree(fs, www, site))
    snap_events = list(walk_tree(snap, www, site))
    key = lambda ev: (ev.kind, ev.path)
    assert sorted(map(key, live_events)) == sorted(map(key, snap_events))
    by_path = {key(ev): ev for ev in snap_events}
    n = 0
    for ev in live_events:
        other = by_path[key(ev)]
        if ev.kind == "entry":
            assert ev.meta == other.meta
            assert (ev.blocked, ev.denial, ev.list_denial) == (other.blocked, other.denial, other.list_denial)
            n += 1
    assert n >= 20
    # every entry, every want, every policy: same answer from both views
    for policy in (SymlinkPolicy(), SymlinkPolicy("on"), SymlinkPolicy("if_not_owner")):
        live_ck, snap_ck = Checker(fs, www, policy), Checker(snap, www, policy)
        for ev in live_events:
            if ev.kind != "entry":
                continue
            for want in ("read", "list", "search", "stat"):
                a, b = live_ck.check(ev.path, want), snap_ck.check(ev.path, want)
                assert a == b, (ev.path, want)


def test_immutable_and_acl_captured(tree):
    site = _build(tree)
    _, snap = _snap([site])
    assert snap.lstat(site + "/immutable").immutable is True
    assert snap.lstat(site + "/index.html").immutable is False
    assert snap.lstat(site + "/acl").acl == LiveFs().lstat(site + "/acl").acl
    assert LiveFs().is_immutable(site + "/immutable") is True
    assert LiveFs(immutable=True).lstat(site + "/immutable").immutable is True


def test_hostile_names_round_trip(tree):
    site = _build(tree)
    _, snap = _snap([site])
    names = {os.fsencode(m.path).rsplit(b"/", 1)[1] for m in snap.scandir(site + "/h")}
    assert names == {os.fsencode(n) for n in HOSTILE} | set(RAW)
    assert names == set(os.listdir(os.fsencode(site + "/h")))


def test_ancestors_and_link_targets_are_captured(tree):
    site = _build(tree)
    _, snap = _snap([site])
    assert snap.lstat("/").kind == "dir"
    assert snap.lstat(os.path.dirname(site)).kind == "dir"
    assert snap.lstat(tree.p("elsewhere/t.html")).kind == "file"     # link target
    # a sibling of an ancestor is unknown, not missing
    with pytest.raises(NotChecked, match="not in snapshot"):
        snap.lstat("/var/tmp/definitely-not-captured")
    # inside a captured tree, an absent name is really absent
    assert snap.lstat(site + "/nothing-here") is None
    assert snap.read_bytes("/etc/passwd") == open("/etc/passwd", "rb").read()
    assert snap.users["0"] == "root"


def _label_snapshot(enforcing):
    rows = [
        {"path": "/", "kind": "dir", "mode": "0755", "uid": 0, "gid": 0,
         "label": "system_u:object_r:root_t:s0"},
        {"path": "/var", "kind": "dir", "mode": "0755", "uid": 0, "gid": 0,
         "label": "system_u:object_r:var_t:s0"},
        {"path": "/var/www", "kind": "dir", "mode": "0755", "uid": 0, "gid": 0, "listed": True,
         "label": "system_u:object_r:httpd_sys_content_t:s0"},
        {"path": "/var/www/ok.html", "kind": "file", "mode": "0644", "uid": 0, "gid": 0,
         "label": "system_u:object_r:httpd_sys_content_t:s0"},
        {"path": "/var/www/moved.html", "kind": "file", "mode": "0644", "uid": 0, "gid": 0,
         "label": "unconfined_u:object_r:user_home_t:s0"},
        {"path": "/var/www/web", "kind": "dir", "mode": "0755", "uid": 0, "gid": 0, "listed": True,
         "label": "system_u:object_r:default_t:s0"},
        {"path": "/var/www/web/a.html", "kind": "file", "mode": "0644", "uid": 0, "gid": 0,
         "label": "system_u:object_r:httpd_sys_content_t:s0"},
    ]
    doc = {"format": "confcheck-snapshot", "version": 1, "roots": ["/var/www"],
           "selinux_enforcing": enforcing, "entries": rows,
           "files": {"/etc/passwd": "apache:x:48:48::/:/sbin/nologin\n",
                     "/etc/group": "apache:x:48:\n"}}
    return SnapshotFs.load(io.StringIO(json.dumps(doc)))


def test_selinux_labels_when_enforcing():
    snap = _label_snapshot(True)
    apache = resolve_identity(snap, "apache", None)
    ck = Checker(snap, apache)
    assert ck.check("/var/www/ok.html", "read").ok
    moved = ck.check("/var/www/moved.html", "read")
    assert moved.denial.need == "label" and "user_home_t" in moved.denial.detail
    blocked = ck.check("/var/www/web/a.html", "read")
    assert blocked.denial.need == "label" and blocked.denial.path == "/var/www/web"
    with_bool = Checker(snap, apache, selinux_booleans=frozenset({"httpd_read_user_content"}))
    assert with_bool.check("/var/www/moved.html", "read").ok


def test_selinux_ignored_when_not_enforcing():
    for enforcing in (False, None):
        snap = _label_snapshot(enforcing)
        apache = resolve_identity(snap, "apache", None)
        assert Checker(snap, apache).check("/var/www/web/a.html", "read").ok


def test_snapshot_file_on_disk_and_binary_stream(tree):
    site = _build(tree)
    out = tree.p("snap.json")
    write_snapshot([site], out, LiveFs())
    a = SnapshotFs.load(out)
    with open(out, "rb") as fh:
        b = SnapshotFs.load(fh)
    assert len(a) == len(b) >= 30

"""The walk's fast paths give what the general path gives: LiveFs.scandir's inline
entry against lstat (which goes through the general _meta), and Checker.own's
memo of granted answers against a fresh Checker per entry, on a tree of odd
names (spaces, newlines, bytes that are not UTF-8), ACLs, xattrs, links and
closed modes; the kernel, run as the worker, has the last word on reads."""

from __future__ import annotations

import os

from fshelpers import kernel, run

from confcheck.fs.access import Checker
from confcheck.fs.live import LiveFs
from confcheck.fs.walk import ENTRY, walk_tree

WWW = 33
ODD = ["with space.html", "new\nline.html", os.fsdecode(b"caf\xe9.html"), os.fsdecode(b"\xff\xfe"),
       " lead", "trail ", "tab\there", "back\\slash", "dollar$x", "-dash", "*star", ".dot"]


def _odd_tree(tree) -> str:
    for i, name in enumerate(ODD):
        tree.file(f"s/{name}", 0o600 if i % 3 == 2 else 0o644)
        tree.file(f"s/dir {i}/{name}", 0o640, 0, WWW if i % 2 else 0)
        tree.dir(f"s/dir {i}", 0o700 if i % 4 == 3 else 0o755)
    acl = tree.file("s/acl-denied", 0o644)
    run("setfacl", "-m", "u:www-data:---", acl)
    acl_dir = tree.dir(f"s/acl dir {ODD[1]}", 0o755)
    tree.file(f"s/acl dir {ODD[1]}/inside")
    run("setfacl", "-m", "u:www-data:r--", acl_dir)           # no x through the ACL
    xattr = tree.file(f"s/{ODD[2]}.x", 0o644)
    run("setfattr", "-n", "user.note", "-v", "1", xattr)     # xattrs, none of them an ACL
    tree.link(f"s/link {ODD[0]}", ODD[0])
    tree.link("s/dangling", "nowhere")
    os.mkfifo(tree.p("s/fifo"))
    return tree.p("s")


def test_scandir_inline_entries_equal_lstat(tree):
    top = _odd_tree(tree)
    for xattrs in (True, False):
        fs = LiveFs(xattrs=xattrs)
        stack, seen = [top], 0
        while stack:
            d = stack.pop()
            listed = sorted(fs.scandir(d), key=lambda m: m.path)
            names = sorted(os.listdir(d))
            assert [m.path for m in listed] == [d + "/" + n for n in names]
            assert listed == [fs.lstat(m.path) for m in listed]
            seen += len(listed)
            stack += [m.path for m in listed if m.kind == "dir"]
        assert seen > 2 * len(ODD)
    acl = LiveFs().lstat(tree.p("s/acl-denied"))
    assert acl.acl is not None and LiveFs(xattrs=False).lstat(acl.path).acl is None


def test_walk_verdicts_equal_a_fresh_checker_per_entry(tree, fs, www):
    top = _odd_tree(tree)
    shared = Checker(fs, www)
    events = [ev for ev in walk_tree(fs, www, top, checker=shared) if ev.kind == ENTRY]
    assert {os.fsdecode(b"caf\xe9.html"), "new\nline.html"} <= {ev.path.rsplit("/", 1)[1] for ev in events}
    reads = []
    for ev in events:
        fresh = Checker(fs, www)
        if ev.meta.kind == "dir":
            assert ev.denial == fresh.own(ev.meta, "search") and ev.list_denial == fresh.own(ev.meta, "list")
            assert (ev.blocked or ev.denial) == fresh.check(ev.path, "search").denial
        elif ev.meta.kind == "link":
            assert ev.link == fresh.check(ev.path, "auto")
        else:
            assert ev.denial == fresh.own(ev.meta, "read")
            assert (ev.blocked or ev.denial) == fresh.check(ev.path, "read").denial
            if ev.meta.kind == "file":
                reads.append(ev)
    answers = kernel([(ev.path, "read") for ev in reads])
    assert answers == ["ok" if ev.ok else "EACCES" for ev in reads]
    assert "EACCES" in answers and "ok" in answers


def test_find_alike_on_the_live_disk_equals_the_walk_through_scandir(tree, fs):
    from confcheck.fs.alike import _generic, find_alike
    top = _odd_tree(tree)
    tree.file(f"s/dir 1/{ODD[1]}.env", 0o640, 0, WWW)       # a private-looking name, selected alike
    tree.file("s/dir 2/plain", 0o644)
    likes = [fs.lstat(tree.p(rel)) for rel in
             ("s/dir 1", "s/dir 3", "s/with space.html", f"s/{ODD[2]}", f"s/dir 1/{ODD[1]}.env", "s/acl-denied",
              f"s/{ODD[2]}.x", "s/fifo")]
    answers = set()
    for like in likes:
        for under in (top, tree.p("s/dir 2"), tree.p("s/dir 1")):
            fast = find_alike(fs, under, like)
            slow = _generic(fs, fs.lstat(under), like)
            assert (sorted(fast[0]) if fast[0] is not None else None, *fast[1:]) == \
                   (sorted(slow[0]) if slow[0] is not None else None, *slow[1:])
            answers.add((fast[0] is None, fast[1], len(fast[0] or ())))
    assert (True, False, 0) in answers                      # the ACL'd file: find cannot select it
    assert any(private for _none, private, _n in answers) and len(answers) > 3
    assert find_alike(fs, tree.p("s/missing"), likes[0]) == (None, False, None)

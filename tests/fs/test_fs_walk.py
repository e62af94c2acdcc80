"""walk_tree: streaming events, incremental ancestor verdicts, grouping,
links not entered, scanner failures as not_checked events."""

from __future__ import annotations

import inspect
import io
import json

from confcheck.fs.access import Checker
from confcheck.fs.snapshot import SnapshotFs
from confcheck.fs.walk import DIR_DONE, ENTRY, NOT_CHECKED, walk_tree

WWW = 33


def test_events_verdicts_and_grouping(tree, fs, www):
    tree.file("site/index.html")
    for i in range(30):
        tree.file(f"site/locked/f{i}")
        tree.file(f"site/private/f{i}", 0o600)
    tree.file("site/locked/deeper/g")
    tree.dir("site/locked", 0o700)
    tree.dir("site/listonly", 0o711)
    tree.link("site/to-locked", "locked")
    tree.link("site/loop", "loop")
    site = tree.p("site")

    events = list(walk_tree(fs, www, site))
    entries = {ev.path: ev for ev in events if ev.kind == ENTRY}
    assert entries[site].ok and entries[site + "/index.html"].ok

    locked = [ev for p, ev in entries.items() if p.startswith(site + "/locked/")]
    assert len(locked) == 32                       # 30 files, deeper/, deeper/g
    first = locked[0].blocked
    assert first.path == site + "/locked" and first.need == "x"
    assert all(ev.blocked is first for ev in locked)          # one shared Denial
    assert {ev.group_key for ev in locked} == {(site + "/locked", "x", "other")}

    private = [ev for p, ev in entries.items() if p.startswith(site + "/private/")]
    assert {ev.group_key for ev in private} == {(site + "/private", "r", "other")}
    assert all(ev.blocked is None for ev in private)

    listonly = entries[site + "/listonly"]
    assert listonly.denial is None and listonly.list_denial.need == "r"

    link = entries[site + "/to-locked"]
    assert link.link is not None and link.denial.need == "x"
    assert not any(p.startswith(site + "/to-locked/") for p in entries)   # not entered
    assert entries[site + "/loop"].denial.need == "loop"

    # dir_done comes after the directory's own entries
    order = [(ev.kind, ev.path) for ev in events]
    done = order.index((DIR_DONE, site + "/private"))
    assert all(order.index((ENTRY, ev.path)) < done for ev in private)


def test_walk_verdicts_match_check(tree, fs, www):
    tree.file("s/a", 0o640, 0, WWW)
    tree.file("s/b", 0o604, 0, WWW)
    tree.dir("s/d", 0o750, 0, WWW)
    tree.file("s/d/c")
    ck = Checker(fs, www)
    for ev in walk_tree(fs, www, tree.p("s")):
        if ev.kind != ENTRY:
            continue
        want = "search" if ev.meta.kind == "dir" else "read"
        acc = ck.check(ev.path, want)
        assert acc.ok == ev.ok
        assert acc.denial == (ev.blocked or ev.denial)


def test_it_streams(tree, fs, www):
    for d in range(5):
        tree.file(f"s/d{d}/f")
    gen = walk_tree(fs, www, tree.p("s"))
    assert inspect.isgenerator(gen)
    assert next(gen).path == tree.p("s")
    gen.close()


def test_top_is_a_link_to_a_directory(tree, fs, www):
    tree.file("releases/v1/index.html")
    cur = tree.link("current", "releases/v1")
    events = [ev for ev in walk_tree(fs, www, cur) if ev.kind == ENTRY]
    assert events[0].path == cur and events[0].link.ok
    assert tree.p("releases/v1/index.html") in {ev.path for ev in events}


def test_unlisted_directory_is_a_not_checked_event():
    doc = {"format": "confcheck-snapshot", "version": 1, "roots": ["/w"],
           "entries": [
               {"path": "/", "kind": "dir", "mode": "0755", "uid": 0, "gid": 0},
               {"path": "/w", "kind": "dir", "mode": "0755", "uid": 0, "gid": 0, "listed": True},
               {"path": "/w/hidden", "kind": "dir", "mode": "0700", "uid": 0, "gid": 0}],
           "not_checked": [["/w/hidden", "the scanner cannot list it: Permission denied"]],
           "files": {"/etc/passwd": "www-data:x:33:33::/:/bin/false\n", "/etc/group": ""}}
    snap = SnapshotFs.load(io.StringIO(json.dumps(doc)))
    from confcheck.fs.identity import resolve_identity
    www = resolve_identity(snap, "www-data", None)
    events = list(walk_tree(snap, www, "/w"))
    nc = [ev for ev in events if ev.kind == NOT_CHECKED]
    assert [ev.path for ev in nc] == ["/w/hidden"]
    assert "Permission denied" in nc[0].not_checked.reason
    seen = []
    events = list(walk_tree(snap, www, "/w", on_not_checked=seen.append))
    assert [e.path for e in seen] == ["/w/hidden"]
    assert not any(ev.kind == NOT_CHECKED for ev in events)

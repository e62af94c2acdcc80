"""The walk's fast paths give what the general path gives: LiveFs.scandir's inline
entry against lstat (which goes through the general _meta), Checker.own's
memo of granted answers against a fresh Checker per entry, the walk that leaves
readable files out (LiveFs.sift) against the walk that yields them all, and the
census proof of a find predicate against the proof that walks, on a tree of odd
names (spaces, newlines, bytes that are not UTF-8), ACLs, xattrs, links and
closed modes; the kernel, run as the worker, has the last word on reads."""

from __future__ import annotations

import os

from fshelpers import kernel, run

from confcheck.fs.access import Checker
from confcheck.fs.alike import Census, find_alike, select_alike
from confcheck.fs.live import LiveFs
from confcheck.fs.walk import DIR_DONE, ENTRY, walk_tree

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


class _Wrapped:
    """The live disk through a view that is not LiveFs itself (as a unit's namespace or an
    AppArmor profile wraps it): the walk goes through its scandir."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _crowd(tree) -> str:
    """_odd_tree with many readable files alike (the live view leaves them out once it
    has judged one), an access file, private-looking names and a closed directory."""
    top = _odd_tree(tree)
    for i in range(40):
        tree.file(f"s/many/{ODD[i % len(ODD)]} {i}", 0o644)
        tree.file(f"s/dir 1/more {i}", 0o640, 0, WWW if i % 2 else 0)
    tree.file("s/many/.htaccess", 0o644)
    tree.file("s/many/.env", 0o644)
    tree.file(f"s/dir 2/{ODD[1]}.pem", 0o600)
    for i in range(6):
        tree.file(f"s/keys/{ODD[i]}", 0o600)
    tree.file("s/keys/site.key", 0o644)         # readable, alike, and private-looking by its end
    tree.file("s/closed/inside", 0o644)
    tree.dir("s/closed", 0o700)
    return top


def _readable_file(ev, keep) -> bool:
    return (ev.meta is not None and ev.meta.kind == "file" and ev.blocked is None and ev.denial is None
            and ev.path.rsplit("/", 1)[1] not in keep)


def test_walk_leaving_out_readable_files_yields_the_rest_alike(tree, fs, www):
    top = _crowd(tree)
    keep = frozenset({".htaccess"})
    full = [ev for ev in walk_tree(fs, www, top) if ev.kind == ENTRY]
    left_out: dict[str, int] = {}
    for ev in full:
        if _readable_file(ev, keep):
            left_out[ev.dir] = left_out.get(ev.dir, 0) + 1
    assert sum(left_out.values()) > 60 and any(ev.ok and ev.path.endswith("/.htaccess") for ev in full)
    for view in (fs, _Wrapped(fs)):
        census = Census(view)
        events = list(walk_tree(view, www, top, only_refused=True, keep=keep, census=census))
        entries = [ev for ev in events if ev.kind == ENTRY]
        assert sorted(entries) == sorted(ev for ev in full if not _readable_file(ev, keep))
        quiet = {ev.path: ev.quiet for ev in events if ev.kind == DIR_DONE and ev.quiet}
        assert quiet == left_out
        # a census is made on the live disk itself, where find runs
        assert census.complete == (view is fs)


def _proof_cases(fs, www, top):
    """(like, under) for every class of file and directory in the tree, under the top and
    under each directory."""
    metas = [ev.meta for ev in walk_tree(fs, www, top) if ev.kind == ENTRY and ev.meta.kind in ("file", "dir")]
    dirs = [m.path for m in metas if m.kind == "dir"]
    classes = {}
    for m in metas:
        classes.setdefault((m.kind, m.mode, m.uid, m.gid), m)
    return [(like, under) for like in classes.values() for under in dirs]


def test_census_proves_what_the_walk_proves(tree, fs, www):
    top = _crowd(tree)
    census = Census(fs)
    for _ in walk_tree(fs, www, top, only_refused=True, census=census):
        pass
    assert census.complete and census.fine
    told = {"same": 0, "more": 0, "walked": 0}
    for like, under in _proof_cases(fs, www, top):
        walked = find_alike(fs, under, like)
        if walked[0] is None:
            # an ACL'd entry is selected: the paths without it are not all the predicate takes
            selected = [m.path for m in _alike_plain(fs, under, like)]
            told["acl"] = told.get("acl", 0) + 1
            assert select_alike(fs, under, like, selected, [census])[0] is None
            continue
        selected = sorted(walked[0])
        answer = select_alike(fs, under, like, selected, [census])
        assert (sorted(answer[0]), *answer[1:]) == (selected, *walked[1:])
        n = census.selects(walked[2], like)
        told["walked" if n is None else "same"] += 1
        if n is not None:
            assert n == len(selected)
        if len(selected) > 1:
            # what find_step asks: does it select exactly these?
            fewer = select_alike(fs, under, like, selected[1:], [census])
            assert fewer[0] is None or set(fewer[0]) != set(selected[1:])
            told["more"] += n is not None
    assert all(told.values()) and told.get("acl"), told     # each way of answering was taken
    # not the view it was made on, or an incomplete walk: the proof walks
    other = LiveFs()
    like, under = next((lk, u) for lk, u in _proof_cases(fs, www, top) if lk.mode == 0o600 and u == top)
    assert not census.covers(other, under) and census.covers(fs, under)
    census.complete = False
    assert not census.covers(fs, under)


def _alike_plain(fs, under, like):
    stack, out = [fs.lstat(under)], []
    while stack:
        m = stack.pop()
        if (m.kind, m.mode, m.uid, m.gid) == (like.kind, like.mode, like.uid, like.gid) and not m.acl:
            out.append(m)
        if m.kind == "dir":
            stack.extend(fs.scandir(m.path))
    return out


def test_census_of_a_walk_the_scanner_could_not_finish_is_not_complete(tree, www):
    from confcheck.fs.model import NotChecked
    top = _crowd(tree)
    view = LiveFs()
    listing = view.sift

    def refusing(path, *args):
        if path.endswith("/many"):
            raise NotChecked(path, "the scanner cannot list it")
        return listing(path, *args)

    view.sift = refusing
    census = Census(view)
    events = list(walk_tree(view, www, top, only_refused=True, census=census))
    assert any(ev.kind == "not_checked" for ev in events) and not census.complete

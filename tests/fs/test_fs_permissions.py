"""Permission rows of server-behavior.md (1-15, 18): our verdict, the
expected status, and the kernel's own answer for www-data must all agree."""

from __future__ import annotations

import pytest
from fshelpers import errno_of, kernel

from confcheck.fs.access import Checker, check

WWW = 33

# (name, build(tree) -> (path, want), expected ok, (denied component rel, need, cls) | None)
CASES = [
    ("row1 file 0600 root", lambda t: (t.file("d/f", 0o600), "read"), False, ("d/f", "r", "other")),
    ("row2 file 0640 root:www-data", lambda t: (t.file("d/f", 0o640, 0, WWW), "read"), True, None),
    ("row3 file 0044 owned by www-data", lambda t: (t.file("d/f", 0o044, WWW, 0), "read"), False, ("d/f", "r", "owner")),
    ("row4 file 0604 root:www-data", lambda t: (t.file("d/f", 0o604, 0, WWW), "read"), False, ("d/f", "r", "group")),
    ("0700 www-data file", lambda t: (t.file("d/f", 0o700, WWW, WWW), "read"), True, None),
    ("row5 parent 0700 root", lambda t: (t.dir("d", 0o700) and t.file("d/f"), "read"), False, ("d", "x", "other")),
    ("row6 parent 0700 root, dir", lambda t: (t.dir("d/s") and t.dir("d", 0o700) and t.p("d/s"), "search"), False, ("d", "x", "other")),
    ("row7 dir 0744", lambda t: (t.file("d/f") and t.dir("d", 0o744) and t.p("d/f"), "read"), False, ("d", "x", "other")),
    ("row8 dir 0711 file", lambda t: (t.file("d/f") and t.dir("d", 0o711) and t.p("d/f"), "read"), True, None),
    ("row9 dir 0711 listing", lambda t: (t.file("d/f") and t.dir("d", 0o711), "list"), False, ("d", "r", "other")),
    ("row9b dir 0755 listing", lambda t: (t.file("d/f") and t.dir("d", 0o755), "list"), True, None),
    ("row10 dir 0750 root:www-data", lambda t: (t.file("d/f") and t.dir("d", 0o750, 0, WWW) and t.p("d/f"), "read"), True, None),
    ("dir 0705 root:www-data (group has no x)", lambda t: (t.file("d/f") and t.dir("d", 0o705, 0, WWW) and t.p("d/f"), "read"), False, ("d", "x", "group")),
    ("row11 docroot under 0700 ancestor", lambda t: (t.file("h/site/a.html") and t.dir("h", 0o700) and t.p("h/site/a.html"), "read"), False, ("h", "x", "other")),
    ("row13 missing under 0700 ancestor", lambda t: (t.dir("h/site") and t.dir("h", 0o700) and t.p("h/site/missing.html"), "read"), False, ("h", "x", "other")),
    ("row13b missing, searchable", lambda t: (t.dir("h/site"), t.p("h/site/missing.html"))[1:] + ("read",), False, ("h/site/missing.html", "missing", None)),
    ("row14 /home-like 0750 1000:1000", lambda t: (t.file("home/u/site/a.html") and t.dir("home/u", 0o750, 1000, 1000) and t.p("home/u/site/a.html"), "read"), False, ("home/u", "x", "other")),
    ("row15 0710 1000:www-data", lambda t: (t.file("home/u/site/a.html") and t.dir("home/u", 0o710, 1000, WWW) and t.p("home/u/site/a.html"), "read"), True, None),
    ("row18 index.html 0600 root", lambda t: (t.file("d/index.html", 0o600), "read"), False, ("d/index.html", "r", "other")),
    ("stat under 0711 (try_files)", lambda t: (t.file("d/f", 0o600) and t.dir("d", 0o711) and t.p("d/f"), "stat"), True, None),
    ("stat under 0700 (N10)", lambda t: (t.file("d/f") and t.dir("d", 0o700) and t.p("d/f"), "stat"), False, ("d", "x", "other")),
    ("file where a dir is expected", lambda t: (t.file("d/f"), t.p("d/f/x"))[1:] + ("read",), False, ("d/f", "missing", None)),
]


@pytest.mark.parametrize("name,build,ok,denied", CASES, ids=[c[0] for c in CASES])
def test_permission_rows(tree, fs, www, name, build, ok, denied):
    path, want = build(tree)
    acc = check(fs, www, path, want)
    assert acc.ok is ok, acc
    if denied is None:
        assert acc.denial is None
    else:
        rel, need, cls = denied
        assert acc.denial.path == tree.p(rel)
        assert acc.denial.need == need
        assert acc.denial.cls == cls
    # The kernel, asked as www-data, agrees.
    assert kernel([(path, want)]) == [errno_of(acc)]


def test_detail_string_names_component_class_and_bit(tree, fs, www):
    tree.dir("home/alice", 0o700, 1000, 1000)
    acc = check(fs, www, tree.p("home/alice/site/index.html"), "read")
    assert acc.denial.detail == (
        f"www-data is 'other' on {tree.p('home/alice')} "
        f"(drwx------ {_name(1000)}:{_gname(1000)}) and has no x")


def test_detail_uses_numeric_ids_when_unknown(tree, fs, www):
    tree.dir("d", 0o700, 54321, 54322)
    acc = check(fs, www, tree.p("d/f"), "read")
    assert "(drwx------ 54321:54322)" in acc.denial.detail


def test_root_worker_bypasses_dac(tree, fs):
    from confcheck.fs.identity import resolve_identity
    root = resolve_identity(fs, "root", None)
    tree.file("d/f", 0o000)
    tree.dir("d", 0o000)
    assert check(fs, root, tree.p("d/f"), "read").ok
    assert check(fs, root, tree.p("d"), "list").ok


def test_checker_cache_is_consistent_over_many_paths(tree, fs, www):
    tree.dir("ok/sub")
    for i in range(20):
        tree.file(f"ok/sub/f{i}", 0o644 if i % 2 else 0o600)
    ck = Checker(fs, www)
    paths = [tree.p(f"ok/sub/f{i}") for i in range(20)]
    ours = [errno_of(ck.check(p, "read")) for p in paths]
    assert ours == kernel([(p, "read") for p in paths])
    assert ours.count("ok") == 10


def _name(uid):
    import pwd
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _gname(gid):
    import grp
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)

"""Symlinks under nginx's disable_symlinks (server-behavior.md rows 31-36,
N23, N24) and the kernel's own link rules (loops, `..`, dangling)."""

from __future__ import annotations

import pytest
from fshelpers import errno_of, kernel

from confcheck.fs.access import SymlinkPolicy, check

WWW = 33
ON = SymlinkPolicy("on")
OWNER = SymlinkPolicy("if_not_owner")


def test_row31_final_symlink_refused_when_disabled(tree, fs, www):
    tree.file("site/real.html")
    link = tree.link("site/a.html", "real.html")
    acc = check(fs, www, link, "read", symlinks=ON)
    assert not acc.ok and acc.denial.need == "symlink"
    assert acc.denial.path == link == acc.path       # final component: nginx ELOOP -> 403
    assert check(fs, www, link, "read").ok           # default: followed


def test_row32_directory_symlink_component_refused_when_disabled(tree, fs, www):
    tree.file("real/a.html")
    tree.link("site/dir", "../real")
    path = tree.p("site/dir/a.html")
    acc = check(fs, www, path, "read", symlinks=ON)
    assert not acc.ok and acc.denial.need == "symlink"
    assert acc.denial.path == tree.p("site/dir") != acc.path   # intermediate: nginx ENOTDIR -> 404


def test_row33_if_not_owner_differs(tree, fs, www):
    tree.file("site/real.html", uid=WWW)
    link = tree.link("site/a.html", "real.html", uid=0)
    acc = check(fs, www, link, "read", symlinks=OWNER)
    assert not acc.ok and acc.denial.need == "symlink"
    assert "if_not_owner" in acc.denial.detail


def test_row34_if_not_owner_same_owner(tree, fs, www):
    tree.file("site/real.html", uid=WWW)
    link = tree.link("site/a.html", "real.html", uid=WWW)
    assert check(fs, www, link, "read", symlinks=OWNER).ok


def test_row35_dangling_link_is_missing(tree, fs, www):
    link = tree.link("site/a.html", "nowhere.html")
    acc = check(fs, www, link, "read")
    assert not acc.ok and acc.denial.need == "missing"
    assert kernel([(link, "read")]) == ["ENOENT"]


def test_row36_link_to_unreadable_target(tree, fs, www):
    target = tree.file("secret/t.html", 0o600)
    link = tree.link("site/a.html", target)
    acc = check(fs, www, link, "read")
    assert not acc.ok and acc.denial.need == "r" and acc.denial.path == target
    assert acc.resolved == target
    assert kernel([(link, "read")]) == ["EACCES"]


def test_n23_dangling_link_with_symlinks_disabled_is_refused(tree, fs, www):
    link = tree.link("site/a.html", "nowhere.html")
    acc = check(fs, www, link, "read", symlinks=ON)
    assert acc.denial.need == "symlink"     # 403, not 404


def test_n24_if_not_owner_dir_link_same_owner(tree, fs, www):
    tree.file("real/a.html")
    tree.link("site/dir", tree.p("real"))
    assert check(fs, www, tree.p("site/dir/a.html"), "read", symlinks=OWNER).ok


def test_f9_link_into_non_traversable_tree(tree, fs, www):
    tree.file("root/site/about.html")
    tree.dir("root", 0o700)
    link = tree.link("www/about.html", tree.p("root/site/about.html"))
    acc = check(fs, www, link, "read")
    assert acc.denial.path == tree.p("root") and acc.denial.need == "x"
    assert kernel([(link, "read")]) == ["EACCES"]


def test_loop_is_eloop(tree, fs, www):
    a = tree.link("site/a", "b")
    tree.link("site/b", "a")
    acc = check(fs, www, a, "read")
    assert acc.denial.need == "loop"
    assert kernel([(a, "read")]) == ["ELOOP"]


def test_dotdot_in_target_is_physical(tree, fs, www):
    # site/l -> deep/x ; deep/x -> ../y (relative to deep, not to site)
    tree.file("site/deep/y", 0o600)
    tree.file("site/y")
    tree.link("site/deep/x", "../deep/y")
    l2 = tree.link("site/l", "deep/x")
    acc = check(fs, www, l2, "read")
    assert acc.resolved == tree.p("site/deep/y") and acc.denial.need == "r"
    assert kernel([(l2, "read")]) == ["EACCES"]


def test_from_skips_components_up_to_the_root(tree, fs, www):
    tree.file("releases/v1/a.html")
    docroot = tree.link("current", "releases/v1")
    tree.file("releases/v1/real.html")
    tree.link("releases/v1/b.html", "real.html")
    policy = SymlinkPolicy("on", from_=docroot)
    assert check(fs, www, docroot + "/a.html", "read", symlinks=policy).ok
    acc = check(fs, www, docroot + "/b.html", "read", symlinks=policy)
    assert acc.denial.need == "symlink"
    # without from=, the docroot link itself is refused
    acc = check(fs, www, docroot + "/a.html", "read", symlinks=ON)
    assert acc.denial.path == docroot


@pytest.mark.parametrize("want", ["read", "stat", "search", "list"])
def test_policy_off_agrees_with_kernel_on_a_mixed_tree(tree, fs, www, want):
    tree.file("s/f")
    tree.file("s/priv", 0o600)
    tree.dir("s/sub")
    tree.dir("s/closed", 0o700)
    tree.file("s/closed/f")
    for name, target in [("l1", "f"), ("l2", "priv"), ("l3", "sub"), ("l4", "closed/f"),
                         ("l5", "missing"), ("l6", "l1"), ("l7", tree.p("s/sub")),
                         ("l8", "f/x"), ("l9", "l9")]:
        tree.link("s/" + name, target)
    paths = [tree.p("s/" + n) for n in ("f", "priv", "sub", "closed", "closed/f", "l1", "l2",
                                         "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l3/../f")]
    ours = [errno_of(check(fs, www, p, want)) for p in paths]
    assert ours == kernel([(p, want) for p in paths])

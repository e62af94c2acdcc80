"""POSIX ACLs (named user, named group, the mask: F8) and supplementary
groups, checked against the kernel as the worker."""

from __future__ import annotations

import subprocess

from fshelpers import errno_of, kernel, run

from confcheck.fs.access import check
from confcheck.fs.identity import resolve_identity
from confcheck.fs.model import AclEntry

WWW = 33


def _agree(fs, ident, pairs, user="www-data"):
    ours = [errno_of(check(fs, ident, p, w)) for p, w in pairs]
    assert ours == kernel(pairs, user=user)
    return ours


def test_acl_is_parsed_like_getfacl(tree, fs):
    f = tree.file("f", 0o640)
    run("setfacl", "-m", "u:www-data:rx,g:33:r,m::r", f)
    meta = fs.lstat(f)
    assert meta.perms == "-rw-r-----+"
    assert set(meta.acl) == {AclEntry("user_obj", None, 6), AclEntry("user", WWW, 5),
                             AclEntry("group_obj", None, 4), AclEntry("group", WWW, 4),
                             AclEntry("mask", None, 4), AclEntry("other", None, 0)}
    plain = tree.file("g", 0o640)
    assert fs.lstat(plain).acl is None


def test_named_user_grants(tree, fs, www):
    f = tree.file("f", 0o600)
    run("setfacl", "-m", "u:www-data:r", f)
    assert _agree(fs, www, [(f, "read")]) == ["ok"]


def test_mask_removes_named_user_after_chmod(tree, fs, www):
    f = tree.file("f", 0o640)
    run("setfacl", "-m", "u:www-data:rx", f)
    run("chmod", "g-rwx", f)
    shown = subprocess.run(["getfacl", "-p", f], capture_output=True, text=True).stdout
    assert "user:www-data:r-x\t#effective:---" in shown
    acc = check(fs, www, f, "read")
    assert acc.denial.need == "r" and acc.denial.cls == "mask"
    assert "mask ---" in acc.denial.detail
    assert errno_of(acc) == kernel([(f, "read")])[0] == "EACCES"


def test_mask_of_nothing_leaves_the_acl_unread(tree, fs, www):
    # Linux consults the ACL only when the mode's group bits (the mask) are not
    # all zero: the named entry that the mask empties no longer shadows "other"
    f = tree.file("f", 0o604)
    run("setfacl", "-m", "u:www-data:rx", f)
    run("chmod", "g-rwx", f)
    d = tree.dir("d", 0o701)
    run("setfacl", "-m", "g:www-data:r", d)
    run("chmod", "g-rwx", d)
    assert _agree(fs, www, [(f, "read"), (d, "search")]) == ["ok", "ok"]


def test_named_user_entry_shadows_other(tree, fs, www):
    f = tree.file("f", 0o644)
    run("setfacl", "-m", "u:www-data:-", f)
    acc = check(fs, www, f, "read")
    assert acc.denial.cls == "acl-user"
    assert _agree(fs, www, [(f, "read")]) == ["EACCES"]


def test_named_group_grants_search(tree, fs, www):
    d = tree.dir("d", 0o700)
    f = tree.file("d/f")
    run("setfacl", "-m", "g:www-data:x", d)
    assert _agree(fs, www, [(f, "read"), (d, "list")]) == ["ok", "EACCES"]
    assert check(fs, www, d, "list").denial.cls == "acl-group"


def test_any_matching_group_entry_grants(tree, fs, www):
    # owning group www-data has ---, a named group www-data has r: granted
    f = tree.file("f", 0o600, 0, WWW)
    run("setfacl", "-m", "g::-,g:www-data:r", f)
    assert _agree(fs, www, [(f, "read")]) == ["ok"]


def test_group_class_masked(tree, fs, www):
    d = tree.dir("d", 0o750, 0, WWW)
    f = tree.file("d/f")
    run("setfacl", "-m", "g:www-data:rx", d)
    run("setfacl", "-m", "m::-", d)
    acc = check(fs, www, f, "read")
    assert acc.denial.path == d and acc.denial.cls == "mask"
    assert _agree(fs, www, [(f, "read")]) == ["EACCES"]


def test_supplementary_group_applies(tree, fs, temp_group):
    group, user = temp_group
    gid = int(subprocess.run(["getent", "group", group], capture_output=True, text=True)
              .stdout.split(":")[2])
    ident = resolve_identity(fs, user, None)
    assert gid in ident.groups and ident.gid != gid
    d = tree.dir("d", 0o710, 0, gid)
    f = tree.file("d/f", 0o640, 0, gid)
    other = tree.file("d/g", 0o604, 0, gid)      # group class applies: no r
    assert _agree(fs, ident, [(f, "read"), (d, "list"), (other, "read")], user=user) == \
        ["ok", "EACCES", "EACCES"]
    assert check(fs, ident, other, "read").denial.cls == "group"


def test_supplementary_group_via_acl(tree, fs, temp_group):
    group, user = temp_group
    ident = resolve_identity(fs, user, None)
    d = tree.dir("d", 0o700)
    f = tree.file("d/f", 0o600)
    run("setfacl", "-m", f"g:{group}:x", d)
    run("setfacl", "-m", f"g:{group}:r", f)
    assert _agree(fs, ident, [(f, "read")], user=user) == ["ok"]

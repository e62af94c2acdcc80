"""Policy cases: each builds a tree in a sandbox and returns what the worker asks for.

A builder returns (requests, secret): requests are (path, want) pairs that
confcheck's access check refuses before the fix and must allow after it.
"""

from __future__ import annotations

import subprocess

WWW = 33
HUMAN, HUMAN2 = 1500, 1501


def setfacl(path: str, spec: str) -> None:
    subprocess.run(["setfacl", "-m", spec, path], check=True)


def x_private_home(sb):
    sb.dir("alice", 0o700, HUMAN, HUMAN)
    sb.dir("alice/site", 0o755, HUMAN, HUMAN)
    sb.file("alice/site/index.html", 0o644, HUMAN, HUMAN)
    return [(sb.p("alice/site/index.html"), "read")], False


def x_system_dir(sb):
    sb.dir("srv", 0o750, 0, 0)
    sb.file("srv/index.html", 0o644)
    return [(sb.p("srv/index.html"), "read")], False


def x_dir_already_readable(sb):
    sb.dir("bob", 0o754, HUMAN, HUMAN)
    sb.file("bob/index.html", 0o644, HUMAN, HUMAN)
    return [(sb.p("bob/index.html"), "read")], False


def x_group(sb):
    sb.dir("site", 0o760, 0, WWW)
    sb.file("site/index.html", 0o644)
    return [(sb.p("site/index.html"), "read")], False


def x_owner(sb):
    sb.dir("site", 0o600, WWW, WWW)
    sb.file("site/index.html", 0o644)
    return [(sb.p("site/index.html"), "read")], False


def x_acl_mask(sb):
    d = sb.dir("site", 0o700, 0, 0)
    setfacl(d, "u:www-data:r-x,m::---")
    sb.file("site/index.html", 0o644)
    return [(sb.p("site/index.html"), "read")], False


def x_acl_user_entry(sb):
    d = sb.dir("site", 0o700, 0, 0)
    setfacl(d, "u:www-data:r--,m::rwx")
    sb.file("site/index.html", 0o644)
    return [(sb.p("site/index.html"), "read")], False


def x_acl_group_entry(sb):
    d = sb.dir("site", 0o700, HUMAN, HUMAN)
    setfacl(d, "g:www-data:r--,m::r--")
    sb.file("site/index.html", 0o644)
    return [(sb.p("site/index.html"), "read")], False


def x_acl_mask_widens(sb):
    d = sb.dir("site", 0o700, 0, 0)
    setfacl(d, "u:www-data:--x,g:100:rwx,m::---")
    sb.file("site/index.html", 0o644)
    return [(sb.p("site/index.html"), "read")], False


def r_other(sb):
    sb.file("index.html", 0o600, HUMAN, HUMAN)
    return [(sb.p("index.html"), "read")], False


def r_group(sb):
    sb.file("index.html", 0o600, 0, WWW)
    return [(sb.p("index.html"), "read")], False


def r_owner(sb):
    sb.file("index.html", 0o200, WWW, WWW)
    return [(sb.p("index.html"), "read")], False


def r_many_find(sb):
    sb.dir("shop", 0o755, HUMAN, HUMAN)
    sb.dir("shop/img", 0o755, HUMAN, HUMAN)
    reqs = []
    for i in range(4):
        reqs.append((sb.file(f"shop/p{i}.html", 0o600, HUMAN, HUMAN), "read"))
        reqs.append((sb.file(f"shop/img/i{i}.png", 0o600, HUMAN, HUMAN), "read"))
    sb.file("shop/ok.css", 0o644, HUMAN, HUMAN)            # readable: not selected
    sb.file("shop/other.txt", 0o600, HUMAN2, HUMAN2)       # another owner: not selected
    sb.file("shop/exec.sh", 0o700, HUMAN, HUMAN)           # another mode: not selected
    return reqs, False


def r_many_private_names(sb):
    sb.dir("shop", 0o755, HUMAN, HUMAN)
    reqs = [(sb.file(f"shop/p{i}.html", 0o600, HUMAN, HUMAN), "read") for i in range(7)]
    sb.file("shop/.env", 0o640, HUMAN, HUMAN)               # private: no find over shop/
    return reqs, False


def r_private_only(sb):
    sb.file(".env", 0o600, HUMAN, HUMAN)
    sb.file("site.key", 0o600, HUMAN, HUMAN)
    return [(sb.p(".env"), "read"), (sb.p("site.key"), "read")], False


def list_other(sb):
    sb.dir("files", 0o711, 0, 0)
    sb.file("files/a.txt", 0o644)
    return [(sb.p("files"), "list")], False


def list_private(sb):
    sb.dir("pub", 0o701, HUMAN, HUMAN)
    return [(sb.p("pub"), "list")], False


def secret_other(sb):
    sb.file(".htpasswd", 0o600, 0, 0, b"alice:$apr1$x$y\n")
    return [(sb.p(".htpasswd"), "read")], True


def secret_group_in_use(sb):
    sb.file("htpasswd", 0o640, 0, 4, b"alice:$apr1$x$y\n")      # root:adm, adm reads it
    return [(sb.p("htpasswd"), "read")], True


RUNNABLE = {
    "x_private_home": x_private_home,
    "x_system_dir": x_system_dir,
    "x_dir_already_readable": x_dir_already_readable,
    "x_group": x_group,
    "x_owner": x_owner,
    "x_acl_mask": x_acl_mask,
    "x_acl_user_entry": x_acl_user_entry,
    "x_acl_group_entry": x_acl_group_entry,
    "x_acl_mask_widens": x_acl_mask_widens,
    "r_other": r_other,
    "r_group": r_group,
    "r_owner": r_owner,
    "r_many_find": r_many_find,
    "r_many_private_names": r_many_private_names,
    "list_other": list_other,
    "list_private": list_private,
    "secret_other": secret_other,
    "secret_group_in_use": secret_group_in_use,
}

"""Write grants (PHP105: a php-fpm pool's upload or session folder): planned only for Wants
marked `write`, for that identity alone, then run for real and checked with the kernel
(setpriv as the identity: creating a file in the folder)."""

from __future__ import annotations

import subprocess
import sys

from fixhelpers import SOURCE, WHEN, changed, snapshot

from confcheck.fixers.permissions import Want, build_plan
from confcheck.fixers.script import render_script
from confcheck.fs.access import Checker
from confcheck.fs.identity import resolve_identity

_CREATE = "import os, sys; os.close(os.open(os.path.join(sys.argv[1], 'new'), os.O_CREAT | os.O_WRONLY, 0o600))"


def _creates(user: str, folder: str, group: str = "nogroup") -> bool:
    """The kernel's answer: may `user` (initgroups) create a file in `folder`?"""
    done = subprocess.run(["setpriv", f"--reuid={user}", f"--regid={group}", "--init-groups", sys.executable,
                           "-c", _CREATE, folder], capture_output=True, timeout=60, text=True)
    assert done.returncode == 0 or "PermissionError" in done.stderr, done.stderr
    return done.returncode == 0


def _write_wants(fs, identity, folder: str, *, write: bool = True) -> list[Want]:
    checker = Checker(fs, identity)
    wants = []
    reach = checker.check(folder, "search")
    if not reach.ok:
        wants.append(Want(reach.denial, reach.denial.need))
    denial = checker.writable(fs.lstat(folder), folder)
    if denial is not None:
        wants.append(Want(denial, "w", write=write))
    return wants


def test_write_for_the_identity_alone(sandbox, fs, accounts):
    nobody = resolve_identity(fs, "nobody", "nogroup")
    shared = sandbox.dir("tmp", 0o755)                          # root:root: nobody is 'other'
    group = sandbox.dir("sess", 0o750, 0, 33)                   # www-data's group: nobody is 'other', no x
    own = sandbox.dir("cache", 0o555, nobody.uid, nobody.gid)   # nobody owns it, without w
    wants = [w for folder in (shared, group, own) for w in _write_wants(fs, nobody, folder)]
    plan = build_plan(wants, nobody, accounts, fs)
    commands = sorted(plan.commands())
    assert commands == sorted([f"chmod u+rwx {own}",
                               f"setfacl -m u:nobody:rwx,m::rwx {shared}",
                               f"setfacl -m u:nobody:rwx,m::rwx {group}"]), commands
    assert plan.applicability == "safe"
    before = snapshot(sandbox.tree)
    assert [_creates("nobody", f) for f in (shared, group, own)] == [False, False, False]
    done = sandbox.run(render_script(plan, source=SOURCE, when=WHEN))
    assert done.returncode == 0, done.stderr
    assert changed(before, snapshot(sandbox.tree)) == {shared, group, own}
    assert [_creates("nobody", f) for f in (shared, group, own)] == [True, True, True]
    # only nobody gained write: www-data (the owning group of sess) did not
    assert not _creates("www-data", group, "www-data")


def test_write_never_planned_unless_asked(sandbox, fs, accounts):
    nobody = resolve_identity(fs, "nobody", "nogroup")
    folder = sandbox.dir("tmp", 0o755)
    plan = build_plan(_write_wants(fs, nobody, folder, write=False), nobody, accounts, fs)
    assert plan.steps == [] and plan.notes == [f"{folder}: write is not granted by this plan"]

"""ACLs whose mask is --- (mode group bits 000): Linux then skips the ACL, so a
named user or group is 'other' to the kernel. Widening the mask makes the ACL
count again: the worker's entry must keep what 'other' gave it (x on a directory
it is asked to list), and the plan must say who else gains or loses a bit.

Every case is run for real: the script changes only the planned path, and
confcheck and the kernel (setpriv as the user) agree afterwards.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from fixhelpers import SOURCE, WHEN, changed, confcheck_ok, denials, kernel, snapshot

from confcheck.fixers.permissions import UNSAFE, build_plan
from confcheck.fixers.script import render_script

# (ACL, is_dir, mode before the ACL, what www-data asks for)
CASES = [
    ("u:www-data:r-x,m::---", True, 0o701, "list"),          # entry has r, other gives only x
    ("u:www-data:r--,m::---", True, 0o711, "list"),          # entry lacks the x other gave
    ("u:www-data:---,m::---", True, 0o701, "list"),
    ("g:www-data:--x,m::---", True, 0o701, "list"),          # named group, 'other' to the kernel
    ("g:www-data:r-x,u:www-data:---,m::---", True, 0o711, "list"),
    ("u:www-data:r-x,m::---", True, 0o700, "search"),        # other gives nothing
    ("u:www-data:r-x,m::---", False, 0o600, "read"),
    ("g:100:rwx,m::---", True, 0o701, "list"),               # www-data not named at all
]


def _make(sandbox, acl: str, is_dir: bool, mode: int) -> str:
    path = sandbox.dir("t", mode) if is_dir else sandbox.file("t", mode)
    subprocess.run(["setfacl", "-m", acl, path], check=True)
    return path


def _run_plan(sandbox, www, accounts, fs, pairs):
    found = denials(www, pairs)
    assert found, "the case must be refused to begin with"
    plan = build_plan(found, www, accounts, fs)
    sandbox.write(render_script(plan, source=SOURCE, when=WHEN))
    before = snapshot(sandbox.base)
    res = sandbox.run()
    assert res.returncode == 0, res.stderr
    assert changed(before, snapshot(sandbox.base)) == plan.changes()
    return plan


@pytest.mark.parametrize("acl,is_dir,mode,want", CASES)
def test_masked_acl_is_fixed_without_losing_other_bits(sandbox, www, accounts, fs,
                                                       acl, is_dir, mode, want):
    path = _make(sandbox, acl, is_dir, mode)
    pairs = [(path, want)] + ([(path, "search")] if is_dir else [])
    # confcheck and the kernel agree before the change (x from 'other' or not at all)
    assert confcheck_ok(www, pairs) == [k == "ok" for k in kernel(pairs)]
    plan = _run_plan(sandbox, www, accounts, fs, pairs)
    assert plan.changes() == {path}
    assert confcheck_ok(www, pairs) == [True] * len(pairs)
    assert kernel(pairs) == ["ok"] * len(pairs)


def test_unmasking_says_who_else_gains_or_loses(sandbox, www, accounts, fs):
    """daemon, named with ---, entered the directory as 'other' while the mask was
    ---; the wider mask takes that away: the step is unsafe and says so, and the
    kernel agrees with what it said, for both users."""
    path = _make(sandbox, "u:www-data:r--,u:daemon:---,g:100:r-x,m::---", True, 0o701)
    pairs = [(path, "list"), (path, "search")]
    assert kernel([(path, "search")], user="daemon") == ["ok"]
    plan = _run_plan(sandbox, www, accounts, fs, pairs)
    (step,) = plan.steps
    assert step.applicability == UNSAFE
    assert "x from user daemon" in step.why
    assert "gives r to group users" in step.why     # it had x as 'other'
    assert kernel(pairs) == ["ok", "ok"]
    assert kernel([(path, "search")], user="daemon") == ["EACCES"]
    assert "mask::r-x" in subprocess.run(["getfacl", "-cEnp", path], capture_output=True,
                                         text=True, check=True).stdout
    assert os.path.isdir(path)

"""chattr +i: the script refuses before changing anything (F12)."""

from __future__ import annotations

import os
import subprocess

import pytest

import cases
from fixhelpers import SOURCE, WHEN, denials, snapshot

from confcheck.fixers.permissions import build_plan, permission_fix
from confcheck.fixers.script import render_script


def _chattr(path: str, flag: str) -> None:
    res = subprocess.run(["chattr", flag, path], capture_output=True, text=True)
    if res.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"chattr {flag} must work under CI: {res.stderr.strip()}")
        pytest.skip(f"this filesystem refuses chattr ({res.stderr.strip()})")


def _refuses(sandbox, plan, immutable_path):
    script = render_script(plan, source=SOURCE, when=WHEN)
    sandbox.write(script)
    before = snapshot(sandbox.base)
    res = sandbox.run()
    assert res.returncode == 1
    assert b"immutable (chattr +i)" in res.stderr and b"nothing was changed" in res.stderr
    assert snapshot(sandbox.base) == before
    # once the flag is cleared, the same script goes through
    subprocess.run(["chattr", "-i", immutable_path], check=True)
    assert sandbox.run().returncode == 0


def test_flag_set_after_the_scan_stops_the_script(sandbox, www, accounts):
    a = sandbox.file("a.html", 0o600, cases.HUMAN, cases.HUMAN)
    z = sandbox.file("z.html", 0o600, cases.HUMAN, cases.HUMAN)
    plan = build_plan(denials(www, [(a, "read"), (z, "read")]), www, accounts, None)
    assert [s.immutable for s in plan.steps] == [False, False]
    _chattr(z, "+i")          # after the plan: only the script's lsattr check can see it
    _refuses(sandbox, plan, z)


def test_flag_known_at_plan_time_makes_the_fix_display_only(sandbox, www, accounts, fs):
    d = sandbox.dir("site", 0o700, 0, 0)
    f = sandbox.file("site/index.html", 0o644)
    _chattr(d, "+i")
    found = denials(www, [(f, "read")])
    plan = build_plan(found, www, accounts, fs)
    assert plan.steps[0].immutable and plan.applicability == "display-only"
    assert "immutable" in plan.steps[0].why
    fix = permission_fix(found, www, accounts, fs=fs)
    assert fix.applicability == "display-only" and fix.commands == [f"chmod o+x {d}"]
    _refuses(sandbox, plan, d)


def test_one_immutable_file_in_a_find_selection_stops_the_script(sandbox, www, accounts, fs):
    sandbox.dir("shop", 0o755, cases.HUMAN, cases.HUMAN)
    reqs = [(sandbox.file(f"shop/p{i}.html", 0o600, cases.HUMAN, cases.HUMAN), "read") for i in range(8)]
    plan = build_plan(denials(www, reqs), www, accounts, fs)
    assert plan.steps[0].selection is not None
    _chattr(reqs[5][0], "+i")
    _refuses(sandbox, plan, reqs[5][0])

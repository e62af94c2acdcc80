"""Property: for random small trees that refuse www-data something, the generated
script makes every refused path accessible and changes nothing outside the plan."""

from __future__ import annotations

import os
import subprocess

from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from fixhelpers import SOURCE, WHEN, Sandbox, changed, confcheck_ok, denials, kernel, snapshot

from confcheck.fixers.permissions import build_plan, looks_private
from confcheck.fixers.script import render_script

DIR_MODES = [0o700, 0o750, 0o755, 0o711, 0o701, 0o710, 0o070, 0o007, 0o000, 0o604, 0o744]
FILE_MODES = [0o600, 0o640, 0o644, 0o604, 0o000, 0o060, 0o004, 0o400, 0o200]
# 61500: above useradd/groupadd's GID_MAX (60000), so no account another test creates at
# the same time (the real-server harness adds www-data to groups it makes) can own it
IDS = [0, 33, 61500]
NAMES = ["a", "b c", "new\nline", "q'x", "$(touch PWNED)", "-x", os.fsdecode(b"\xff"), ".env", "d"]
# mask --- (mode group bits 000): the kernel skips the ACL and named entries are 'other'
ACLS = [None, "u:www-data:r--,m::rwx", "u:www-data:r-x,m::---", "g:www-data:r-x,m::r--",
        "g:100:rwx,m::--x", "u:www-data:r--,m::---", "g:www-data:--x,m::---"]

entry = st.tuples(st.sampled_from(NAMES), st.booleans(), st.sampled_from(IDS),
                  st.sampled_from(IDS), st.integers(0, 100), st.sampled_from(ACLS))


def _build(sb, spec):
    """spec: top-level dirs, each with entries (name, is_dir, uid, gid, mode index, acl)."""
    made = []
    for i, (dmode, duid, dgid, dacl, children) in enumerate(spec):
        d = sb.dir(f"d{i}", dmode, duid, dgid)
        if dacl:
            subprocess.run(["setfacl", "-m", dacl, d], check=True)
        made.append((d, True))
        for name, is_dir, uid, gid, k, acl in children:
            path = os.path.join(d, name)
            if os.path.lexists(path):
                continue
            if is_dir:
                os.mkdir(path)
                os.chown(path, uid, gid)
                os.chmod(path, DIR_MODES[k % len(DIR_MODES)])
                open(os.path.join(path, "f"), "w").close()     # 0644 root inside
                os.chmod(os.path.join(path, "f"), 0o644)
            else:
                with open(path, "w") as f:
                    f.write("x")
                os.chown(path, uid, gid)
                os.chmod(path, FILE_MODES[k % len(FILE_MODES)])
            if acl:
                subprocess.run(["setfacl", "-m", acl, path], check=True)
            made.append((path, is_dir))
    return made


tree = st.lists(st.tuples(st.sampled_from(DIR_MODES), st.sampled_from(IDS), st.sampled_from(IDS),
                          st.sampled_from(ACLS), st.lists(entry, max_size=4)),
                min_size=1, max_size=3)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(spec=tree, listing=st.booleans())
# masks of ---: listing a directory 'other' may enter (the wider mask must keep its x),
# a directory and a file refused through their named entry
@example(spec=[(0o701, 0, 0, "u:www-data:r-x,m::---", [])], listing=True)
@example(spec=[(0o755, 0, 0, None, [("a", True, 0, 0, 3, "u:www-data:r--,m::---"),
                                    ("b", False, 0, 0, 0, "u:www-data:r-x,m::---"),
                                    ("d", True, 0, 61500, 4, "g:www-data:--x,m::---")])],
         listing=True)
def test_generated_script_fixes_exactly_what_was_refused(www, accounts, fs, spec, listing):
    sb = Sandbox()
    try:
        made = _build(sb, spec)
        requests = []
        for path, is_dir in made:
            requests.append((path, "search" if is_dir else "read"))
            if is_dir and listing:
                requests.append((path, "list"))
        found = denials(www, requests)
        assume(found)
        private = [d for d in found if looks_private(d.path)]
        plan = build_plan(found, www, accounts, fs)
        script = render_script(plan, source=SOURCE, when=WHEN)
        sb.write(script)
        before = snapshot(sb.base)
        res = sb.run()
        assert res.returncode == 0, res.stderr
        after = snapshot(sb.base)
        assert changed(before, after) == plan.changes()
        assert not any(d.path in plan.changes() for d in private)
        # every path that had a finding (the component at fault) is now allowed
        fixed = [(d.path, "search" if d.need == "x" else "list" if d.meta.kind == "dir" else "read")
                 for d in found if d not in private]
        event(f"refusals: {min(len(found), 3)}+, steps: {min(len(plan.steps), 3)}+")
        assert confcheck_ok(www, fixed) == [True] * len(fixed)
        assert kernel(fixed) == ["ok"] * len(fixed)
        assert not os.path.exists(os.path.join(sb.run_dir, "PWNED"))
    finally:
        sb.remove()

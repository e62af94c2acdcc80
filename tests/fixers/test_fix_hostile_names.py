"""Hostile names in generated scripts: run for real, only the intended files change."""

from __future__ import annotations

import glob
import os

import cases
from fixhelpers import SOURCE, WHEN, changed, confcheck_ok, denials, kernel, snapshot

from confcheck.fixers.permissions import build_plan
from confcheck.fixers.script import render_script
from confcheck.fixers.shell import encode_script, quote_path

NAMES = ["a b", "new\nline", "q'uote", 'd"q', "$(touch PWNED1)", "`touch PWNED2`", "-rf",
         "--", "*", "x;touch PWNED3", "back\\slash", "tab\there", "$HOME", "!bang", "{}",
         "é", os.fsdecode(b"\xff\xfe-latin1"), "-"]


def _no_pwned(sandbox):
    hits = glob.glob(os.path.join(sandbox.base, "**", "PWNED*"), recursive=True)
    hits += glob.glob("PWNED*") + glob.glob("/var/tmp/PWNED*") + glob.glob("/PWNED*")
    assert hits == []


def _run_and_check(sandbox, www, plan, reqs, untouched):
    script = render_script(plan, source=SOURCE, when=WHEN)
    for step in plan.steps:
        if step.selection is None:
            # the raw bytes, inside single quotes
            assert encode_script(quote_path(step.path)) in script
            assert os.fsencode(step.path.replace("'", "'\\''")) in script
    sandbox.write(script)
    before = snapshot(sandbox.base)
    res = sandbox.run()
    assert res.returncode == 0, res.stderr
    after = snapshot(sandbox.base)
    assert changed(before, after) == plan.changes()
    assert not (plan.changes() & set(untouched))
    _no_pwned(sandbox)
    assert confcheck_ok(www, reqs) == [True] * len(reqs)
    assert kernel(reqs) == ["ok"] * len(reqs)
    # run again: refuses, changes nothing
    res = sandbox.run()
    assert res.returncode == 1 and snapshot(sandbox.base) == after
    _no_pwned(sandbox)


def test_hostile_directory_names_one_step_each(sandbox, www, accounts):
    reqs = []
    for i, name in enumerate(NAMES):
        owner = cases.HUMAN if i % 2 else 0               # setfacl on private, chmod o+x on system
        sandbox.dir(name, 0o700, owner, owner)
        reqs.append((sandbox.file(os.path.join(name, "index.html"), 0o644), "read"))
    plan = build_plan(denials(www, reqs), www, accounts, None)      # no view: one step per path
    assert len(plan.steps) == len(NAMES) and all(s.selection is None for s in plan.steps)
    assert {s.commands[0][0] for s in plan.steps} == {"chmod", "setfacl"}
    _run_and_check(sandbox, www, plan, reqs, [])


def test_hostile_file_names_with_one_find(sandbox, www, accounts, fs):
    sandbox.dir("site", 0o755)
    reqs, keep = [], []
    for name in NAMES:
        reqs.append((sandbox.file(os.path.join("site", name), 0o600, cases.HUMAN, cases.HUMAN), "read"))
    for name in NAMES[:6]:        # same names one level down, readable already: never selected
        sandbox.dir("site/sub", 0o755) if not os.path.exists(sandbox.p("site/sub")) else None
        keep.append(sandbox.file(os.path.join("site/sub", name), 0o640, cases.HUMAN, cases.HUMAN))
    plan = build_plan(denials(www, reqs), www, accounts, fs)
    assert len(plan.steps) == 1 and plan.steps[0].selection is not None
    _run_and_check(sandbox, www, plan, reqs, keep)


def test_hostile_file_names_one_by_one_next_to_a_private_file(sandbox, www, accounts, fs):
    sandbox.dir("site", 0o755)
    reqs = [(sandbox.file(os.path.join("site", name), 0o600, cases.HUMAN, cases.HUMAN), "read")
            for name in NAMES]
    env = sandbox.file("site/.env", 0o600, cases.HUMAN, cases.HUMAN)
    plan = build_plan(denials(www, reqs + [(env, "read")]), www, accounts, fs)
    assert len(plan.steps) == len(NAMES)
    assert any(".env looks private" in n for n in plan.notes)
    script = render_script(plan, source=SOURCE, when=WHEN)
    # comments carry escaped names only: a newline in a name never ends a comment
    for line in script.split(b"\n"):
        if line.startswith(b"# ") and b"line" in line:
            assert b"new\\nline" in line
    _run_and_check(sandbox, www, plan, reqs, [env])
    assert os.stat(env).st_mode & 0o777 == 0o600


def test_commented_alternatives_run_as_written(sandbox, www, accounts):
    """A `# alternative` line is there to be copied: its words, given to sh, are the step's
    path (a doubled backslash ended the quoted word early, and `$(touch PWNED1)` ran)."""
    import subprocess
    reqs = []
    for i, name in enumerate(NAMES):
        owner = cases.HUMAN if i % 2 == 0 else 0           # the other half of the first test's split
        sandbox.dir(name, 0o700, owner, owner)
        reqs.append((sandbox.file(os.path.join(name, "index.html"), 0o644), "read"))
    plan = build_plan(denials(www, reqs), www, accounts, None)
    script = render_script(plan, source=SOURCE, when=WHEN).decode("utf-8", "surrogateescape")
    shown = [line.split(": ", 1)[1] for line in script.splitlines() if line.startswith("# alternative [")]
    paths = {s.path for s in plan.steps if s.alternative is not None}
    assert len(shown) == len(paths) > 0
    runnable = [line for line in shown if "not runnable as shown" not in line]
    # only names a comment line cannot carry (newline, tab, undecodable byte) are escaped
    assert len(shown) - len(runnable) <= 3 and len(runnable) >= 3
    for line in runnable:
        words = line.rsplit(" (", 1)[0]            # the alternative's note follows in brackets
        res = subprocess.run(["sh", "-c", f"set -- {words}; printf '%s\\0' \"$@\""], cwd=sandbox.base,
                             capture_output=True)
        argv = [os.fsdecode(a) for a in res.stdout.split(b"\0")[:-1]]
        assert res.returncode == 0 and argv[-1] in paths, (line, argv)
    _no_pwned(sandbox)

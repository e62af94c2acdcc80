"""The fix half of a case: the exact patch/script, then apply it and scan again.

Fields a case may carry (all optional; a case whose findings have a fix must
carry `fix_diff` or `fix_script`/`fix_commands`):

    fix_diff: |            # the whole config patch (`confcheck fix --unsafe-fixes`),
      --- a/etc/nginx/...  # paths relative to the case's --root
    fix_applicability: [safe]          # of each fix, in finding order
    fix_commands: [...]    # the permission commands of each fix, concatenated
                           # (server paths, as in the JSON `fix.commands`)
    fix_script: |          # the guarded script (server paths, fixed date/source)
    fix_stays: [FS107]     # rules whose fix is advice only: still reported after
    fix_reveals: [FS102]   # rules allowed to appear after the fix (a file under a
                           # directory the worker could not enter is seen now)
    after:                 # requests put to `why` on the fixed config
      - {url: "http://site.test/x", status: 200}

After the patch is applied (and the script run as root, its paths under the
case's root) the config must parse, no fixed rule may still fire and no new
finding may appear.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from datetime import datetime, timezone

from confcheck.engine import run_scan
from confcheck.fixcmd import collect

WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
SOURCE = ("confcheck fix (case file)",)

FIX_FIELDS = ("fix_diff", "fix_script", "fix_commands")


def script_text(fixset) -> str | None:
    script = fixset.script(source=SOURCE, when=WHEN, reroot=False)
    return script.decode("utf-8", "surrogateescape") if script is not None else None


def check_fix(rule_id, case, options, result, tree_dir: str) -> None:
    """Only the fixes of the case file's own rule are checked (a case of another
    rule may show a fixable finding in passing)."""
    mine = [f for f in result.findings if f.rule == rule_id]
    fixset = collect(mine, unsafe=True, root=tree_dir)
    fixable = bool(fixset.patch) or fixset.plan is not None
    if not fixable:
        for name in FIX_FIELDS:
            assert name not in case, f"{name} given but no finding has a fix"
        return
    assert any(name in case for name in FIX_FIELDS), (
        "this case's findings have fixes: add fix_diff (or fix_script/fix_commands) with the exact text:\n"
        + fixset.patch + (script_text(fixset) or ""))
    assert fixset.patch == case.get("fix_diff", ""), fixset.patch
    fixes = [f.fix for f in mine if f.fix is not None]
    if "fix_applicability" in case:
        assert [f.applicability for f in fixes] == case["fix_applicability"]
    if "fix_commands" in case:
        assert [c for f in fixes for c in f.commands] == case["fix_commands"]
    if "fix_script" in case:
        assert script_text(fixset) == case["fix_script"], script_text(fixset)
    # every included config fix's own diff is part of the whole patch
    for item in fixset.config_items:
        assert item.fix.diff and item.fix.base == fixset.base

    for plan in fixset.file_plans:
        with open(plan.path, "wb") as fh:
            fh.write(plan.new_data())
    if fixset.plan is not None:
        script = fixset.script(source=SOURCE, when=WHEN)        # paths under the case's root
        path = os.path.join(tree_dir, "fix.sh")
        with open(path, "wb") as fh:
            fh.write(script)
        run = subprocess.run(["sh", path], capture_output=True, cwd=tree_dir, timeout=60)
        assert run.returncode == 0, run.stderr.decode()
    after = run_scan(options)
    assert [str(e) for e in after.errors] == [], "the fixed config does not parse"
    stays = set(case.get("fix_stays", []))
    fixed = {f.rule for f in mine if f.fix is not None and f.rule not in stays
             and f.fix.applicability != "display-only"}
    still = [f"{f.rule} {f.message}" for f in after.findings if f.rule in fixed]
    assert not still, "still reported after the fix: " + "; ".join(still)
    before = Counter(f.rule for f in result.findings)
    now = Counter(f.rule for f in after.findings)
    reveals = set(case.get("fix_reveals", []))
    new = [f"{f.rule} {f.message}" for f in after.findings if now[f.rule] > before[f.rule]
           and f.rule not in reveals]
    assert not new, "the fix brought new findings: " + "; ".join(new)
    if case.get("after"):
        check_requests(case, options, tree_dir)


def check_requests(case, options, tree_dir: str) -> None:
    from confcheck.servers.nginx.request import Request
    from confcheck.why import WhyOptions, explain, prepare

    prepared = prepare(WhyOptions(paths=list(options.paths), root=tree_dir, no_fs=options.no_fs,
                                  fs_snapshot=options.fs_snapshot))
    assert [str(e) for e in prepared.errors] == []
    wrong = []
    for spec in case["after"]:
        request = Request.parse(spec["url"], spec.get("method", "GET"), spec.get("headers") or {},
                                spec.get("client_ip", "203.0.113.7"))
        outcome = explain(prepared, request)
        if outcome.status != spec["status"]:
            wrong.append(f"{spec['url']}: {outcome.status} ({outcome.reason}), want {spec['status']}")
    assert not wrong, "\n".join(wrong)

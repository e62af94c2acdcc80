"""What the real-server fix tests share: apply confcheck's fixes to the config
a session ran, run the same server again, and compare every answer."""

from __future__ import annotations

import subprocess

from confcheck.fixcmd import apply_patch

from .apache import PatchedApacheRunner
from .nginx import PatchedNginxRunner
from .runner import RunResult

PATCHED = {"nginx": PatchedNginxRunner, "apache": PatchedApacheRunner}


def apply_fixes(session, fixset, options) -> None:
    """The config patch through the fix command's own library (hash check, backup,
    atomic write, re-scan), then the permission script, if any, with sh as root."""
    apply_patch(fixset, options, backup_dir=str(session.base / "backups"))
    script = fixset.script(source=("confcheck fix (real-server test)",))
    if script is None:
        return
    path = session.base / "confcheck-permissions.sh"
    path.write_bytes(script)
    run = subprocess.run(["sh", str(path)], capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode()


def run_patched(session, line_map=None, **runner_options) -> RunResult:
    """The config file as it is on disk now, on the port of the session's run."""
    first = session.runner
    again = PATCHED[session.kind](first.prefix, session.bound, **runner_options)
    again.port = first.port
    again.line_map = first.line_map if line_map is None else line_map
    session.runner = again
    return again.run()


def answers(run: RunResult) -> dict:
    """(scenario, request index) -> RequestResult."""
    return {(name, r.index): r for name, sc in run.scenarios.items() for r in sc.requests}


def unexpected_changes(before: RunResult, after: RunResult, expected: dict) -> list[str]:
    """One line per request whose status or body changed otherwise than `expected`
    ((scenario, index) -> (status before, status after)) says, and per expected
    change that did not happen; empty when the runs differ exactly as expected."""
    old, new = answers(before), answers(after)
    assert old.keys() == new.keys()
    changed = {key: (b.status, new[key].status) for key, b in old.items()
               if (b.status, b.body) != (new[key].status, new[key].body)}
    lines = [f"{k[0]}[{k[1]}] {old[k].method} {old[k].path}: {v[0]} -> {v[1]}"
             for k, v in sorted(changed.items()) if expected.get(k) != v]
    lines += [f"{k[0]}[{k[1]}] expected {v[0]} -> {v[1]}, unchanged"
              for k, v in sorted(expected.items()) if k not in changed]
    return lines

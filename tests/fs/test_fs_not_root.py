"""A scanner that is not root: what it cannot see is 'not checked', never a
denial of the worker."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

from fshelpers import REPO

WWW = 33

SCRIPT = r"""
import json, sys
from confcheck.fs.access import check
from confcheck.fs.identity import resolve_identity
from confcheck.fs.live import LiveFs
from confcheck.fs.model import NotChecked
from confcheck.fs.walk import walk_tree
base = sys.argv[1]
fs = LiveFs()
www = resolve_identity(fs, "www-data", None)
out = {}
try:
    fs.lstat(base + "/grp/f")
    out["lstat"] = "no error"
except NotChecked as exc:
    out["lstat"] = exc.reason
acc = check(fs, www, base + "/grp/f", "read")
out["check"] = [acc.ok, acc.denial is None, acc.not_checked.reason if acc.not_checked else None]
acc = check(fs, www, base + "/closed/f", "read")
out["closed"] = [acc.ok, acc.denial.need if acc.denial else None, acc.denial.path if acc.denial else None]
out["walk"] = [(ev.kind, ev.path, ev.denial is not None or ev.blocked is not None)
               for ev in walk_tree(fs, www, base + "/grp")]
print(json.dumps(out))
"""


def test_scanner_without_permission_reports_not_checked(tree):
    tree.file("grp/f", 0o640, 0, WWW)
    tree.dir("grp", 0o750, 0, WWW)          # www-data may enter, nobody may not
    tree.file("closed/f")
    tree.dir("closed", 0o700)
    # The checkout (and its virtualenv) may sit under a 0700 directory that
    # `nobody` cannot enter: run a copy of the package from a 0755 place, with
    # the system's Python (the fs layer needs nothing outside the stdlib).
    site = tempfile.mkdtemp(prefix="confcheck-nonroot-", dir="/var/tmp")
    try:
        os.chmod(site, 0o755)
        shutil.copytree(os.path.join(REPO, "confcheck"), os.path.join(site, "confcheck"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run(["chmod", "-R", "a+rX", site], check=True)
        python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": site, "HOME": "/nonexistent"}
        res = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                              python, "-c", SCRIPT, tree.base],
                             env=env, capture_output=True, text=True, cwd="/")
    finally:
        shutil.rmtree(site, ignore_errors=True)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert "Permission denied" in out["lstat"]
    ok, no_denial, reason = out["check"]
    assert ok is False and no_denial is True and "Permission denied" in reason
    # what the scanner *can* see is still judged: /closed is 0700 root for www-data too
    assert out["closed"] == [False, "x", tree.p("closed")]
    kinds = [(k, p, bad) for k, p, bad in out["walk"]]
    assert ("not_checked", tree.p("grp"), False) in kinds
    assert not any(bad for _, _, bad in kinds)

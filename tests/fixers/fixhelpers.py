"""Helpers for the fixer tests: sandbox trees, full-lstat snapshots, running scripts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone

from confcheck.fs.access import Checker
from confcheck.fs.live import LiveFs

WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
SOURCE = ("confcheck fix /etc/nginx/nginx.conf", "filesystem: live disk")


class Sandbox:
    def __init__(self) -> None:
        self.base = tempfile.mkdtemp(prefix="cc-fix-", dir="/var/tmp")
        os.chmod(self.base, 0o755)
        self.tree = os.path.join(self.base, "tree")
        self.run_dir = os.path.join(self.base, "run")
        os.mkdir(self.tree, 0o755)
        os.mkdir(self.run_dir, 0o755)
        os.chmod(self.tree, 0o755)

    def p(self, *parts: str) -> str:
        return os.path.join(self.tree, *parts)

    def dir(self, rel: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> str:
        path = self.p(rel)
        os.mkdir(path)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return path

    def file(self, rel: str, mode: int = 0o644, uid: int = 0, gid: int = 0,
             data: bytes = b"x") -> str:
        path = self.p(rel)
        with open(path, "wb") as f:
            f.write(data)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return path

    def normalise(self, script: bytes) -> str:
        return script.decode("utf-8", "surrogateescape").replace(self.tree, "/SANDBOX")

    def write(self, script: bytes) -> str:
        path = os.path.join(self.run_dir, "fix.sh")
        with open(path, "wb") as f:
            f.write(script)
        return path

    def run(self, script: bytes | None = None) -> subprocess.CompletedProcess:
        """Run the script (written first when given) with sh, in the run directory."""
        path = self.write(script) if script is not None else os.path.join(self.run_dir, "fix.sh")
        return subprocess.run(["sh", path], cwd=self.run_dir, capture_output=True, timeout=120)

    def remove(self) -> None:
        subprocess.run(["chattr", "-R", "-f", "-i", self.base], capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


def _acl(path: str) -> bytes | None:
    try:
        return os.getxattr(path, "system.posix_acl_access", follow_symlinks=False)
    except OSError:
        return None


def snapshot(top: str) -> dict[str, tuple]:
    """Full lstat (and ACL) of every path under `top`, `top` included."""
    out = {}

    def one(path: str) -> None:
        st = os.lstat(path)
        out[path] = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_ino, st.st_nlink,
                     st.st_mtime_ns, st.st_ctime_ns, _acl(path))

    one(top)
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            one(os.path.join(dirpath, name))
    return out


def changed(before: dict, after: dict) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


_ORACLE = r"""
import errno, json, os, sys
out = []
for path, want in json.load(sys.stdin):
    path = os.fsencode(path)
    try:
        if want == "read":
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        elif want == "list":
            os.listdir(path)
        elif want == "search":
            os.stat(os.path.join(path, b"."))
        out.append("ok")
    except OSError as exc:
        out.append(errno.errorcode.get(exc.errno, str(exc.errno)))
print(json.dumps(out))
"""


def kernel(pairs: list[tuple[str, str]], user: str = "www-data") -> list[str]:
    """The kernel's answer for `user` (initgroups, like the servers): "ok" or an errno name."""
    payload = json.dumps(pairs).encode()     # lone surrogates travel as \udcXX escapes
    res = subprocess.run(["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
                          sys.executable, "-c", _ORACLE], input=payload, capture_output=True,
                         check=True, timeout=60)
    return json.loads(res.stdout)


def confcheck_ok(identity, pairs: list[tuple[str, str]]) -> list[bool]:
    checker = Checker(LiveFs(), identity)
    return [checker.check(path, want).ok for path, want in pairs]


def denials(identity, pairs: list[tuple[str, str]]) -> list:
    """The Denial for each (path, want) the worker is refused, in order, deduplicated."""
    checker = Checker(LiveFs(), identity)
    out, seen = [], set()
    for path, want in pairs:
        acc = checker.check(path, want)
        if acc.ok or acc.denial is None:
            continue
        key = (acc.denial.path, acc.denial.need, want == "list")
        if key not in seen:
            seen.add(key)
            out.append(acc.denial)
    return out

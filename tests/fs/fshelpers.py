"""Helpers for the filesystem-layer tests: real trees and the kernel as oracle.

Trees are built as root with real modes and owners in a fresh 0755 directory
under /var/tmp (pytest's tmp_path is 0700: its ancestors would deny
everything). The oracle runs a tiny script as the worker (setpriv) and asks the
kernel what really happens, so our verdicts are compared with the truth and
not with our own idea of it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_ORACLE = r"""
import errno, json, os, sys
out = []
for path, want in json.load(sys.stdin):
    try:
        if want == "read":
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        elif want == "list":
            os.stat(os.path.join(path, "."))
            os.listdir(path)
        elif want == "search":
            os.stat(os.path.join(path, "."))
        elif want == "stat":
            os.stat(path)
        out.append("ok")
    except OSError as exc:
        out.append(errno.errorcode.get(exc.errno, str(exc.errno)))
print(json.dumps(out))
"""


def kernel(pairs: list[tuple[str, str]], user: str = "www-data",
           group: str | None = None) -> list[str]:
    """What the kernel answers `user` for each (path, want): "ok" or an errno name.

    Groups are initialised from the host's /etc/group like the servers do
    (initgroups), so supplementary groups count.
    """
    cmd = ["setpriv", f"--reuid={user}", f"--regid={group or user}", "--init-groups",
           sys.executable, "-c", _ORACLE]
    res = subprocess.run(cmd, input=json.dumps(pairs), capture_output=True, text=True,
                         errors="surrogateescape", check=True, timeout=60)
    return json.loads(res.stdout)


def errno_of(access) -> str:
    """Our verdict in the kernel's terms (policy off: the kernel has no policy)."""
    if access.ok:
        return "ok"
    need = access.denial.need
    if need in ("x", "r", "label"):
        return "EACCES"
    if need == "loop":
        return "ELOOP"
    if need == "missing":
        return "ENOTDIR" if "not a directory" in access.denial.detail else "ENOENT"
    return need


class Tree:
    """A scratch tree: `tree.make("a/b", "d", 0o700, owner=...)` etc."""

    def __init__(self) -> None:
        self.base = tempfile.mkdtemp(prefix="cc-fs-", dir="/var/tmp")
        os.chmod(self.base, 0o755)

    def p(self, rel: str) -> str:
        return os.path.join(self.base, rel) if rel else self.base

    def dir(self, rel: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> str:
        path = self.p(rel)
        os.makedirs(path, exist_ok=True)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return path

    def file(self, rel: str, mode: int = 0o644, uid: int = 0, gid: int = 0,
             data: bytes = b"x\n") -> str:
        path = self.p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        return path

    def link(self, rel: str, target: str, uid: int = 0, gid: int = 0) -> str:
        path = self.p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(target, path)
        os.lchown(path, uid, gid)
        return path

    def remove(self) -> None:
        subprocess.run(["chattr", "-R", "-i", self.base], capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


def run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


__all__ = ["REPO", "Tree", "kernel", "errno_of", "run"]

"""Glue for the pytest fixtures: prerequisites, building, running, cleanup."""

from __future__ import annotations

import atexit
import json
import os
import pwd
import shutil
from pathlib import Path

from .accounts import Accounts, purge_stale_accounts
from .runner import BoundScenario, RunResult
from .scenarios import Scenario
from .tree import TreeError, build_tree, make_base, purge_stale_bases, remove_base

WORKER_USER = "www-data"


def prerequisites(kind: str) -> str | None:
    """Why real-server tests of this kind cannot run here, or None."""
    if os.geteuid() != 0:
        return "real-server tests need root (trees with other owners, a master that switches to www-data)"
    binary = {"nginx": "nginx", "apache": "apache2"}[kind]
    if not shutil.which(binary) and not Path(f"/usr/sbin/{binary}").exists():
        return f"{binary} is not installed"
    for tool in ("setfacl", "groupadd", "useradd", "gpasswd", "setpriv"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    try:
        pwd.getpwnam(WORKER_USER)
    except KeyError:
        return f"user {WORKER_USER} does not exist"
    return None


def gate(reason: str | None, ci: str | None) -> str:
    """What a real-server test does: 'run', 'skip', or (under CI) 'fail'."""
    if reason is None:
        return "run"
    return "fail" if ci else "skip"


def runner_class(kind: str):
    if kind == "nginx":
        from .nginx import NginxRunner
        return NginxRunner
    if kind == "apache":
        from .apache import ApacheRunner
        return ApacheRunner
    raise NotImplementedError(f"no runner for {kind} yet")


class RealServerSession:
    """Builds accounts and trees for scenarios, runs one server over all of
    them, keeps everything on disk until close() (idempotent; also at exit)."""

    def __init__(self, kind: str, scenarios: list[Scenario], *, account_tag: str | None = None,
                 accounts: Accounts | None = None, **runner_options):
        """account_tag: prefix of the real account names (default cctPID), for a
        second session in one process whose scenarios declare the same names;
        accounts: ones the caller made and removes (many short sessions reuse them)."""
        self.kind = kind
        self.scenarios = [s for s in scenarios if s.runs_on(kind)]
        self.runner_options = runner_options
        self.own_accounts = accounts is None
        self.accounts = Accounts(account_tag) if accounts is None else accounts
        self.base: Path | None = None
        self.runner = None
        self.result: RunResult | None = None
        self.bound: list[BoundScenario] = []
        self._closed = False
        atexit.register(self.close)

    def setup(self) -> list[BoundScenario]:
        if self.own_accounts:
            purge_stale_accounts()
        purge_stale_bases()
        # accounts first: trees chown to them, workers read groups at start
        groups: dict[str, set[str]] = {}
        users: dict[str, set[str]] = {}
        homes: dict[str, str] = {}
        # the base first: a user's home may lie in a scenario tree (@ROOT@/...)
        self.base = make_base(self.kind)
        tree_base = self.base / "trees"
        tree_base.mkdir(mode=0o755)
        os.chmod(tree_base, 0o755)
        for s in self.scenarios:
            for g in s.accounts.groups:
                groups.setdefault(g["name"], set()).update(g.get("members") or [])
            for u in s.accounts.users:
                users.setdefault(u["name"], set()).update(u.get("groups") or [])
                if u.get("home"):
                    home = u["home"].replace("@ROOT@", str(tree_base / s.name))
                    if homes.setdefault(u["name"], home) != home:
                        raise RuntimeError(f"user {u['name']} has two homes: {homes[u['name']]}, {home}")
        fresh = {g for g in groups if g not in self.accounts.groups}   # reused accounts have their members
        # a group named like a declared user is that user's primary group
        for g in groups:
            if g not in users:
                self.accounts.add_group(g)
        for u, ugroups in users.items():
            self.accounts.add_user(u, sorted(ugroups), home=homes.get(u))
        for g, members in groups.items():  # members may be declared users
            if members and g in fresh:
                self.accounts.add_group(g, sorted(members))

        for s in self.scenarios:
            b = BoundScenario(spec=s, root=tree_base / s.name, tree_base=tree_base,
                              accounts={**self.accounts.groups, **self.accounts.users})
            try:
                build_tree(b.root, s.tree, self.accounts.resolve)
            except (TreeError, OSError, RuntimeError) as e:
                b.error = f"tree build failed: {e}"
            self.bound.append(b)
        return self.bound

    def run(self) -> RunResult:
        if not self.bound:
            self.setup()
        cls = runner_class(self.kind)
        self.runner = cls(self.base / self.kind, self.bound, **self.runner_options)
        self.result = self.runner.run()
        return self.result

    def close(self) -> list[str]:
        if self._closed:
            return []
        self._closed = True
        errors = []
        if self.runner is not None:
            try:
                self.runner.stop()
            except Exception as e:  # keep cleaning
                errors.append(f"stop: {e}")
        if self.base is not None:
            try:
                remove_base(self.base)
            except Exception as e:
                errors.append(f"remove {self.base}: {e}")
        if self.own_accounts:
            errors += self.accounts.cleanup()
        try:
            atexit.unregister(self.close)
        except Exception:
            pass
        return errors


# -- checking the expected fs paths with the kernel, as the worker ------------

def _first_unsearchable_ancestor(path: str) -> str | None:
    cur = ""
    for part in path.split("/")[1:-1]:
        cur += "/" + part
        if not os.access(cur, os.X_OK):
            return cur
    return None


def _probe(path: str, rule: str) -> str | None:
    bad = _first_unsearchable_ancestor(path)
    if bad:
        return f"ancestor {bad} is not searchable: the denying component is higher up"
    if rule == "parent-not-searchable":
        ok = os.path.isdir(path) and not os.access(path, os.X_OK)
    elif rule == "file-unreadable":
        ok = os.path.exists(path) and not os.path.isdir(path) and not os.access(path, os.R_OK)
    elif rule == "auth-file-unreadable":
        # the password file itself, or the directory on its way that has no x
        ok = (os.path.exists(path) and not os.access(path, os.R_OK)
              and (not os.path.isdir(path) or not os.access(path, os.X_OK)))
    elif rule == "dir-not-listable":
        ok = os.path.isdir(path) and os.access(path, os.X_OK) and not os.access(path, os.R_OK)
    elif rule == "no-index":
        ok = os.path.isdir(path) and os.access(path, os.X_OK)
    elif rule == "htaccess-unreadable":
        ok = os.path.lexists(path) and (os.path.isdir(path) or not os.access(path, os.R_OK))
    elif rule in ("htaccess-not-allowed", "htaccess-invalid"):
        # the file is read (its content is at fault)
        ok = os.path.isfile(path) and os.access(path, os.R_OK)
    elif rule in ("auth-file-missing", "root-missing"):
        ok = not os.path.lexists(path)
    elif rule == "symlink-refused":
        ok = os.path.islink(path)
    elif rule == "dangling-symlink":
        ok = os.path.islink(path) and not os.path.exists(path)
    else:
        ok = False
    return None if ok else f"as the worker, {path} does not fit rule {rule}"


def check_fs_paths_as_worker(items: list[tuple[str, str]], user: str = WORKER_USER) -> list[str | None]:
    """For each (absolute path, rule): None if the kernel, asked as the worker
    user (uid, gid, supplementary groups; so ACLs count), agrees that this path
    is the denying component of that kind; else an explanation.

    Runs in a forked child that drops to the worker's credentials."""
    pw = pwd.getpwnam(user)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(rfd)
            os.initgroups(user, pw.pw_gid)
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            os.chdir("/")
            data = json.dumps([_probe(p, r) for p, r in items]).encode()
            with os.fdopen(wfd, "wb") as w:
                w.write(data)
        except BaseException as e:  # report, never return into pytest
            try:
                os.write(wfd, json.dumps({"error": repr(e)}).encode())
            except OSError:
                pass
            code = 1
        finally:
            os._exit(code)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as r:
        raw = r.read()
    os.waitpid(pid, 0)
    out = json.loads(raw or b"null")
    if not isinstance(out, list):
        raise RuntimeError(f"probe as {user} failed: {out}")
    return out

"""Temporary users and groups for scenario tests.

Scenarios name accounts logically (``@sg``, ``@alice``); the real names carry
the pid of the test session (``cct12345-sg``) so that two test sessions on one
machine never share an account, and accounts left behind by a killed session
can be recognised and purged (their pid is dead).

Group membership is read by nginx/Apache workers when they start
(``initgroups``), so every account must exist before the server starts.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import subprocess

TAG_RE = re.compile(r"^cct(\d+)-")


class AccountError(RuntimeError):
    pass


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AccountError(f"{' '.join(argv)} failed (rc {proc.returncode}): {proc.stderr.strip()}")


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def purge_stale_accounts() -> list[str]:
    """Delete cctPID-* users and groups whose session pid is no longer alive."""
    removed = []
    for entry in pwd.getpwall():
        m = TAG_RE.match(entry.pw_name)
        if m and not _pid_alive(int(m.group(1))):
            subprocess.run(["userdel", entry.pw_name], capture_output=True)
            removed.append(entry.pw_name)
    for entry in grp.getgrall():
        m = TAG_RE.match(entry.gr_name)
        if m and not _pid_alive(int(m.group(1))):
            subprocess.run(["groupdel", entry.gr_name], capture_output=True)
            removed.append(entry.gr_name)
    return removed


class Accounts:
    """Creates temporary groups/users; ``cleanup()`` removes all of them.

    Use as a context manager or call ``cleanup()`` from a finalizer.
    """

    def __init__(self, tag: str | None = None):
        self.tag = tag or f"cct{os.getpid()}"
        self.groups: dict[str, str] = {}  # logical -> real
        self.users: dict[str, str] = {}

    # -- names -----------------------------------------------------------
    def real_name(self, logical: str) -> str:
        logical = logical.lstrip("@")
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", logical):
            raise AccountError(f"bad logical account name {logical!r}")
        name = f"{self.tag}-{logical}"
        if len(name) > 32:
            raise AccountError(f"account name too long: {name!r}")
        return name

    def resolve(self, value):
        """Map '@logical' to the real account name; leave names/numbers alone."""
        if isinstance(value, str) and value.startswith("@"):
            logical = value[1:]
            if logical in self.users:
                return self.users[logical]
            if logical in self.groups:
                return self.groups[logical]
            raise AccountError(f"account {value!r} is not declared by the scenario")
        return value

    # -- creation --------------------------------------------------------
    def add_group(self, logical: str, members: list[str] | tuple[str, ...] = ()) -> str:
        if logical in self.groups:
            name = self.groups[logical]
        elif logical in self.users:  # a declared user's own primary group
            name = self.users[logical]
        else:
            name = self.real_name(logical)
            if _group_exists(name):
                raise AccountError(f"group {name} already exists")
            _run(["groupadd", "--system", name])
            self.groups[logical] = name
        for member in members:
            _run(["gpasswd", "-a", str(self.resolve(member)), name])
        return name

    def add_user(self, logical: str, groups: list[str] | tuple[str, ...] = (), home: str | None = None) -> str:
        """A system user with its own primary group of the same name (home: its
        home directory, not created here; default /nonexistent)."""
        if logical in self.users:
            return self.users[logical]
        name = self.real_name(logical)
        if _user_exists(name) or _group_exists(name):
            raise AccountError(f"user or group {name} already exists")
        _run(["useradd", "--system", "--no-create-home", "--home-dir", home or "/nonexistent",
              "--shell", "/usr/sbin/nologin", "--user-group", name])
        self.users[logical] = name
        for g in groups:
            _run(["gpasswd", "-a", name, str(self.resolve(g))])
        return name

    # -- cleanup ---------------------------------------------------------
    def cleanup(self) -> list[str]:
        errors = []
        for name in reversed(list(self.users.values())):
            p = subprocess.run(["userdel", name], capture_output=True, text=True)
            if p.returncode not in (0, 6):  # 6: no such user
                errors.append(f"userdel {name}: {p.stderr.strip()}")
            if _group_exists(name):  # user-group left behind (USERGROUPS_ENAB no)
                subprocess.run(["groupdel", name], capture_output=True)
        for name in reversed(list(self.groups.values())):
            p = subprocess.run(["groupdel", name], capture_output=True, text=True)
            if p.returncode not in (0, 6):
                errors.append(f"groupdel {name}: {p.stderr.strip()}")
        self.users.clear()
        self.groups.clear()
        return errors

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

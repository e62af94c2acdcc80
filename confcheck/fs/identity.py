"""Who the worker is, read from the passwd and group files of the same view.

Reading through the FsView (never `pwd`/`grp`) is what makes `--root` and
snapshots right: an image's www-data may be uid 82, not the host's 33.

Group semantics follow what both servers do when they drop root:
`setgid(group); initgroups(user, group)`. So the worker's groups are the
chosen group plus every group whose member list names the user. The passwd
primary group is only the default for the chosen group (Apache without
`Group`, a plain `resolve_identity(fs, user, None)`); nginx's `user alice;`
means group *alice* (ngx_set_user: one argument = group of the same name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import FsView, Identity

PASSWD, GROUP = "/etc/passwd", "/etc/group"


class IdentityError(LookupError):
    """The worker identity cannot be resolved (the CLI exits 2)."""


class UnknownUser(IdentityError):
    def __init__(self, message: str, account: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.account = account      # ("user" | "group", name) the lookup did not find


class UnknownGroup(UnknownUser):
    """A subclass of UnknownUser so callers catching that one get it too."""


def _lines(data: bytes | None) -> list[list[str]]:
    if not data:
        return []
    text = data.decode("utf-8", "surrogateescape")
    return [line.split(":") for line in text.splitlines()
            if line and not line.startswith(("#", "+", "-"))]


@dataclass(frozen=True)
class Accounts:
    """The parsed passwd and group files of one view."""

    users: dict[str, tuple[int, int]]           # name -> (uid, gid)
    user_names: dict[int, str]                  # uid -> first name
    groups: dict[str, int]                      # name -> gid
    group_names: dict[int, str]                 # gid -> first name
    members: dict[str, frozenset[int]]          # user name -> gids listing it
    has_passwd: bool = True

    @classmethod
    def load(cls, fs: FsView) -> "Accounts":
        passwd = fs.read_bytes(PASSWD)
        users: dict[str, tuple[int, int]] = {}
        user_names: dict[int, str] = {}
        for f in _lines(passwd):
            if len(f) >= 4 and f[2].isdigit() and f[3].isdigit():
                users.setdefault(f[0], (int(f[2]), int(f[3])))
                user_names.setdefault(int(f[2]), f[0])
        groups: dict[str, int] = {}
        group_names: dict[int, str] = {}
        members: dict[str, set[int]] = {}
        for f in _lines(fs.read_bytes(GROUP)):
            if len(f) >= 3 and f[2].isdigit():
                gid = int(f[2])
                groups.setdefault(f[0], gid)
                group_names.setdefault(gid, f[0])
                for member in (f[3].split(",") if len(f) >= 4 else ()):
                    if member.strip():
                        members.setdefault(member.strip(), set()).add(gid)
        return cls(users, user_names, groups, group_names,
                   {k: frozenset(v) for k, v in members.items()}, passwd is not None)

    def user_name(self, uid: int) -> str:
        return self.user_names.get(uid, str(uid))

    def group_name(self, gid: int) -> str:
        return self.group_names.get(gid, str(gid))


_NUMERIC = re.compile(r"#?(\d+)\Z")     # Apache writes numeric ids as #33


def resolve_identity(fs: FsView, user: str, group: str | None,
                     *, source: str = "", accounts: Accounts | None = None) -> Identity:
    """The worker's uid, gid and groups for `user` (and `group`, or the passwd one).

    Numeric ids (`33`, `#33`) are accepted; a numeric user missing from passwd
    needs an explicit group (its primary group is unknowable).
    """
    acc = accounts or Accounts.load(fs)
    numeric = _NUMERIC.match(user)
    if user in acc.users:
        name, (uid, pw_gid) = user, acc.users[user]
    elif numeric:
        uid = int(numeric.group(1))
        name = acc.user_names.get(uid, str(uid))
        pw_gid = acc.users[name][1] if name in acc.users else None
    else:
        where = "" if acc.has_passwd else f" (no {PASSWD} in this view)"
        raise UnknownUser(f"unknown user {user!r}{where}", ("user", user))

    if group is None:
        if pw_gid is None:
            raise UnknownUser(f"uid {uid} has no {PASSWD} entry, so its group is unknown")
        gid = pw_gid
    elif group in acc.groups:
        gid = acc.groups[group]
    elif _NUMERIC.match(group):
        gid = int(_NUMERIC.match(group).group(1))    # type: ignore[union-attr]
    else:
        raise UnknownGroup(f"unknown group {group!r}", ("group", group))

    groups = frozenset({gid} | acc.members.get(name, frozenset()))
    return Identity(user=name, uid=uid, gid=gid, groups=groups,
                    group_name=acc.group_name(gid), source=source)


def nginx_user_identity(fs: FsView, user: str, group: str | None = None,
                        *, source: str = "") -> Identity:
    """nginx `user USER [GROUP];`: one argument means the group of the same name."""
    return resolve_identity(fs, user, group if group is not None else user, source=source)


_CONFIGURE = re.compile(r"--(user|group)=(\S+)")


def nginx_default_identity(fs: FsView, configure_args: str | None = None) -> Identity:
    """Who nginx's workers are when nginx.conf has no `user` directive.

    The default is compiled in (auto/unix): NGX_USER = --user or `nobody`;
    NGX_GROUP = --group, else the user's name when --user was given, else
    `nobody` if the *build host's* /etc/group mentions it, else `nogroup`,
    else `nobody`. Debian's package is built without --user/--group on a
    system without a nobody group: nobody/nogroup. Pass the output of
    `nginx -V` as `configure_args` to honour a build's own --user/--group; the
    build host's group file is approximated by the view's.
    """
    opts = dict(_CONFIGURE.findall(configure_args or ""))
    user = opts.get("user", "nobody")
    group = opts.get("group")
    if group is None:
        if user != "nobody":
            group = user
        else:
            groups = Accounts.load(fs).groups
            group = "nobody" if "nobody" in groups else "nogroup" if "nogroup" in groups else "nobody"
    return resolve_identity(fs, user, group, source="nginx compiled default (no user directive)")

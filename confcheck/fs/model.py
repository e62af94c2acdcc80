"""What the filesystem layer knows about a path, and the interface of a view.

Paths are `str` as Python's `os` functions give them: bytes that are not UTF-8
survive as surrogates (`os.fsdecode`), so `os.fsencode(path)` is always the
exact name on disk. Paths are absolute and as the *server* sees them (under
`--root` the view maps them; nothing above this layer knows about the root).
"""

from __future__ import annotations

import stat as _stat
from dataclasses import dataclass, field
from typing import Iterator, Protocol

FILE, DIR, LINK, OTHER = "file", "dir", "link", "other"


@dataclass(frozen=True, slots=True)
class AclEntry:
    tag: str        # user_obj | user | group_obj | group | mask | other
    qualifier: int | None   # uid or gid for named entries
    perm: int       # rwx as 0o7 bits (4 = r, 2 = w, 1 = x)


# Not frozen (hashable and compared by value all the same, and never changed once
# built): a frozen dataclass's __init__ sets each field through object.__setattr__,
# which costs several times the lstat it records, once per entry of a walk.
@dataclass(slots=True, unsafe_hash=True)
class Meta:
    """One `lstat` of a path (symlinks are not followed). Treat it as immutable
    (dataclasses.replace makes a changed copy)."""

    path: str
    kind: str               # file | dir | link | other
    mode: int               # permission bits (07777)
    uid: int
    gid: int
    size: int = 0
    target: str | None = None           # symlink target as stored (links only)
    acl: tuple[AclEntry, ...] | None = None   # access ACL beyond the mode bits, if any
    label: str | None = None             # SELinux context, e.g. system_u:object_r:httpd_sys_content_t:s0
    immutable: bool = False              # chattr +i: permission fixes will fail
    sandbox: object = None               # fs.sandbox.Mount: an entry the unit's namespace put there
    # modification time (whole seconds) where the view read it (the live disk); None in a
    # snapshot. Not compared: it only answers conditional requests (servers/nginx/conditional.py)
    mtime: int | None = field(default=None, compare=False)

    @property
    def perms(self) -> str:
        """`ls -l` style, e.g. drwx------ (with + when an ACL is present)."""
        kind = {FILE: "-", DIR: "d", LINK: "l", "socket": "s"}.get(self.kind, "?")
        text = kind + _stat.filemode(self.mode)[1:]
        return text + ("+" if self.acl else "")

    @property
    def selinux_type(self) -> str | None:
        if not self.label:
            return None
        parts = self.label.split(":")
        return parts[2] if len(parts) >= 3 else None


class NotChecked(Exception):
    """The scanner itself could not look at a path (it is not root, say).

    Never a problem of the worker: reported as "not checked" with the reason.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class FsView(Protocol):
    """The disk as the server would see it, live or from a snapshot."""

    def lstat(self, path: str) -> Meta | None:
        """Metadata of `path` without following a final symlink; None if missing.

        Raises NotChecked when the scanner cannot look (EACCES for the scanner).
        """

    def scandir(self, path: str) -> Iterator[Meta]:
        """The entries of directory `path` (each lstat-ed once). Raises NotChecked."""

    def read_bytes(self, path: str) -> bytes | None:
        """Content of a small file (passwd, group, configs); None if missing."""

    def selinux_enforcing(self) -> bool | None:
        """True/False when known, None when SELinux is absent or unknown."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the worker process is."""

    user: str
    uid: int
    gid: int
    groups: frozenset[int] = field(default_factory=frozenset)   # supplementary + primary
    group_name: str | None = None
    source: str = ""     # why we believe this ("user directive at nginx.conf:1", "nginx default")

    def in_group(self, gid: int) -> bool:
        return gid == self.gid or gid in self.groups


@dataclass(frozen=True, slots=True)
class Denial:
    """Why the worker is refused: which path, which class, which bit."""

    path: str            # the component at fault
    meta: Meta | None    # its metadata (None when missing)
    need: str            # 'x' (search), 'r' (read), 'symlink', 'label', 'missing'
    cls: str | None = None   # owner | group | other | acl-user | acl-group | mask
    detail: str = ""     # human explanation, e.g. "www-data is 'other' on /home/alice (drwx------ alice:alice) and has no x"
    sandbox: object = None   # fs.sandbox.Mount when the unit's namespace caused it (names the unit line)
    confinement: object = None   # fs.apparmor.Confinement when the worker's AppArmor profile refused it


@dataclass(frozen=True, slots=True)
class Access:
    """Answer of the access function for one path."""

    ok: bool
    path: str
    meta: Meta | None = None              # final path's metadata (after symlinks), None if missing
    denial: Denial | None = None
    resolved: str | None = None           # path after following symlinks
    not_checked: NotChecked | None = None

"""FsView over the real disk, optionally under an image root (`--root`).

Cost model (what the walk pays per entry): one `getdents` share, one
`lstat`, and one `llistxattr` -- the list tells us whether the two xattrs we
care about (the POSIX access ACL, the SELinux label) exist at all, so the
common case costs no `getxattr`. The list call is skipped entirely on
filesystems that cannot carry them (proc, sysfs, ... see `_NO_XATTR_FS`) or
when the caller passes `xattrs=False`.

The immutable flag (chattr +i) needs open+ioctl+close: three syscalls and an
open of every file, which would double the cost of a walk for a flag that only
matters to the fixer (reads still work on immutable files). So it is lazy:
`Meta.immutable` is False from `lstat`/`scandir` unless the view was built
with `immutable=True` (the snapshot writer does that), and
`LiveFs.is_immutable(path)` answers for the few paths a fix plan touches.
"""

from __future__ import annotations

import errno
import fcntl
import os
import posixpath
import stat as _stat
import struct
from typing import Iterator

from confcheck.source import resolve_in_root

from .model import DIR, FILE, LINK, OTHER, AclEntry, Meta, NotChecked

_ACL_XATTR = "system.posix_acl_access"
_LABEL_XATTR = "security.selinux"

# struct posix_acl_xattr_entry: le16 tag, le16 perm, le32 id; header le32 version (2)
_ACL_TAGS = {0x01: "user_obj", 0x02: "user", 0x04: "group_obj",
             0x08: "group", 0x10: "mask", 0x20: "other"}
_ACL_VERSION = 2
_NAMED = ("user", "group")

FS_IOC_GETFLAGS = 0x80086601    # _IOR('f', 1, long) on 64-bit Linux
FS_IMMUTABLE_FL = 0x00000010

# Filesystems that never carry ACLs or labels worth a syscall per entry.
_NO_XATTR_FS = frozenset({"proc", "sysfs", "devpts", "cgroup", "cgroup2",
                          "debugfs", "tracefs", "securityfs", "pstore",
                          "bpf", "configfs", "fusectl", "mqueue", "hugetlbfs"})

_MAX_LINKS = 40


def parse_acl(blob: bytes) -> tuple[AclEntry, ...] | None:
    """Decode `system.posix_acl_access`; None when it holds only base entries."""
    if len(blob) < 4 or struct.unpack_from("<I", blob, 0)[0] != _ACL_VERSION:
        return None
    entries = []
    for off in range(4, len(blob) - 7, 8):
        tag, perm, ident = struct.unpack_from("<HHI", blob, off)
        name = _ACL_TAGS.get(tag)
        if name is None:
            continue
        entries.append(AclEntry(name, ident if name in _NAMED else None, perm & 7))
    # A "minimal" ACL (user_obj, group_obj, other) is just the mode bits.
    if len(entries) <= 3:
        return None
    return tuple(entries)


_PLAIN_KINDS = {_stat.S_IFREG: FILE, _stat.S_IFDIR: DIR}


def _kind(st_mode: int) -> str:
    if _stat.S_ISREG(st_mode):
        return FILE
    if _stat.S_ISDIR(st_mode):
        return DIR
    if _stat.S_ISLNK(st_mode):
        return LINK
    return OTHER


def _mount_fstypes() -> list[tuple[str, str]]:
    """(mount point, fs type) pairs, longest mount point first."""
    out = []
    try:
        with open("/proc/self/mountinfo", "rb") as fh:
            for line in fh:
                left, _, right = line.partition(b" - ")
                fields = left.split()
                if len(fields) < 5 or not right:
                    continue
                point = fields[4].decode("utf-8", "surrogateescape")
                point = point.replace("\\040", " ").replace("\\011", "\t")
                out.append((point, right.split()[0].decode()))
    except OSError:
        return []
    out.sort(key=lambda pair: len(pair[0]), reverse=True)
    return out


class LiveFs:
    """The disk, seen at `root + path` when `root` is given.

    Server paths are absolute. Under a root, symlinks met on the way to a path
    (and absolute link targets) are resolved inside the root, never above it:
    `/etc -> /srv/etc` in the image means `<root>/srv/etc`, and `..` stops at
    the root, the way `chroot` or a container would see it.
    """

    def __init__(self, root: str | None = None, *, xattrs: bool = True,
                 immutable: bool = False) -> None:
        self.root = os.path.abspath(root).rstrip("/") if root else None
        if self.root == "":
            self.root = None      # --root / is the host itself
        self._xattrs = xattrs
        self._immutable = immutable
        self._mounts = _mount_fstypes() if xattrs else []
        # Per-instance caches (a view lives for one run): resolved host
        # directory for a server directory under a root, and xattr support
        # per directory.
        self._dir_cache: dict[str, str] = {}
        self._xattr_dir_cache: dict[str, bool] = {}

    # ---- path mapping -------------------------------------------------

    def host_path(self, path: str) -> str:
        """Where server path `path` lives on this machine."""
        if not path.startswith("/"):
            raise ValueError(f"server paths are absolute: {path!r}")
        if self.root is None:
            return path
        path = posixpath.normpath(path)
        if path in ("/", "//"):
            return self.root
        parent, name = posixpath.split(path)
        return self._host_dir(parent) + "/" + name

    def _host_dir(self, path: str) -> str:
        """Resolve a server directory to its host path, links kept in the root."""
        cached = self._dir_cache.get(path)
        if cached is not None:
            return cached
        if len(self._dir_cache) > 65536:
            self._dir_cache.clear()
        assert self.root is not None
        host = resolve_in_root(self.root, path)
        self._dir_cache[path] = host
        return host

    # ---- FsView -------------------------------------------------------

    def lstat(self, path: str) -> Meta | None:
        host = self.host_path(path)
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        except PermissionError as exc:
            raise NotChecked(path, f"the scanner cannot look: {exc.strerror}") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return None
            raise NotChecked(path, f"lstat failed: {exc.strerror}") from None
        return self._meta(path, host, st, self._wants_xattrs(posixpath.dirname(host)))

    def scandir(self, path: str) -> Iterator[Meta]:
        host = self.host_path(path)
        base = path.rstrip("/")
        try:
            it = os.scandir(host)
        except OSError as exc:
            raise _cannot_list(path, exc) from None
        xattrs = self._wants_xattrs(host)
        meta = self._meta
        plain = not self._immutable
        listxattr, kinds = os.listxattr, _PLAIN_KINDS
        with it:
            for entry in it:
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue     # removed while we were listing
                except OSError as exc:
                    raise NotChecked(base + "/" + entry.name,
                                     f"the scanner cannot stat it: {exc.strerror}") from None
                # the common entry (a file or directory without xattrs) inline: this loop runs
                # once per entry of the served trees; the rest goes through _meta
                mode = st.st_mode
                kind = kinds.get(mode & 0o170000)
                if kind is not None and plain:
                    if xattrs:
                        try:
                            names = listxattr(entry.path, follow_symlinks=False)
                        except OSError:
                            names = ()
                    else:
                        names = ()
                    if not names:
                        yield Meta(base + "/" + entry.name, kind, mode & 0o7777, st.st_uid, st.st_gid,
                                   st.st_size)
                        continue
                    yield meta(base + "/" + entry.name, entry.path, st, xattrs, names)
                    continue
                yield meta(base + "/" + entry.name, entry.path, st, xattrs)

    def sift(self, path: str, fine, tally: list, keep_start: tuple = (),
             keep_end: tuple = ()) -> Iterator[Meta]:
        """scandir for a walk that needs only what may be wrong: the entries of directory
        `path`, except the plain files (regular, without xattrs) whose (st_mode, st_uid,
        st_gid) is in `fine` and whose name neither starts with one of `keep_start` nor
        ends with one of `keep_end`: those are only counted (`tally[0]`). `fine` may grow
        while this runs (the walk learns as it judges).

        The directory is listed through a descriptor, so each lstat looks up one name
        (fstatat) instead of the whole path. Only the walk lists this way: a descriptor
        would hide the directory's name from the scan cache's audit hook."""
        if self._immutable:
            yield from self.scandir(path)
            return
        host = self.host_path(path)
        base = path.rstrip("/")
        try:
            fd = os.open(host, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise _cannot_list(path, exc) from None
        xattrs = self._wants_xattrs(host)
        meta = self._meta
        listxattr, kinds, reg = os.listxattr, _PLAIN_KINDS, _stat.S_IFREG
        hbase = host.rstrip("/") + "/"
        skipped = 0
        try:
            with os.scandir(fd) as it:
                for entry in it:
                    name = entry.name
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue     # removed while we were listing
                    except OSError as exc:
                        raise NotChecked(base + "/" + name,
                                         f"the scanner cannot stat it: {exc.strerror}") from None
                    mode = st.st_mode
                    kind = kinds.get(mode & 0o170000)
                    if kind is None:
                        yield meta(base + "/" + name, hbase + name, st, xattrs)
                        continue
                    if xattrs:
                        try:
                            names = listxattr(hbase + name, follow_symlinks=False)
                        except OSError:
                            names = ()
                        if names:
                            yield meta(base + "/" + name, hbase + name, st, xattrs, names)
                            continue
                    if mode & 0o170000 == reg and (mode, st.st_uid, st.st_gid) in fine \
                            and not name.startswith(keep_start) and not name.endswith(keep_end):
                        skipped += 1
                        continue
                    yield Meta(base + "/" + name, kind, mode & 0o7777, st.st_uid, st.st_gid, st.st_size)
        finally:
            os.close(fd)
            tally[0] += skipped

    def read_bytes(self, path: str) -> bytes | None:
        try:
            host = self.host_path(path)
            # Under a root, a final link (/etc/passwd -> ...) must resolve in
            # the image too; the host kernel would follow it to the host.
            for _ in range(_MAX_LINKS if self.root is not None else 0):
                if not os.path.islink(host):
                    break
                path = posixpath.normpath(posixpath.join(
                    posixpath.dirname(path), os.readlink(host)))
                host = self.host_path(path)
            with open(host, "rb") as fh:
                return fh.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except PermissionError as exc:
            raise NotChecked(path, f"the scanner cannot read it: {exc.strerror}") from None

    def selinux_enforcing(self) -> bool | None:
        # Only the running kernel has a mode; an image under --root has none.
        if self.root is not None:
            return None
        try:
            with open("/sys/fs/selinux/enforce", "rb") as fh:
                return fh.read().strip() == b"1"
        except OSError:
            return None

    def apparmor_profiles(self) -> dict[str, str] | None:
        """The running kernel's loaded AppArmor profiles (name -> mode); {} when it
        enforces none; None under --root (an image has no kernel: the caller assumes)."""
        if self.root is not None:
            return None
        try:
            with open("/sys/module/apparmor/parameters/enabled", "rb") as fh:
                if fh.read().strip() != b"Y":
                    return {}
        except OSError:
            return {}
        try:
            with open("/sys/kernel/security/apparmor/profiles", "rb") as fh:
                lines = fh.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return None     # enabled but unreadable (no securityfs): decide from the files
        loaded = {}
        for line in lines:
            name, _, mode = line.rpartition(" (")
            loaded[name] = mode.rstrip(")")
        return loaded

    # ---- extras -------------------------------------------------------

    def is_immutable(self, path: str) -> bool | None:
        """chattr +i on a file or directory; None when it cannot be read."""
        return _immutable(self.host_path(path))

    # ---- internals ----------------------------------------------------

    def _wants_xattrs(self, host_dir: str) -> bool:
        if not self._xattrs:
            return False
        cached = self._xattr_dir_cache.get(host_dir)
        if cached is None:
            cached = True
            for point, fstype in self._mounts:
                if host_dir == point or host_dir.startswith(point.rstrip("/") + "/"):
                    cached = fstype not in _NO_XATTR_FS
                    break
            if len(self._xattr_dir_cache) > 4096:
                self._xattr_dir_cache.clear()
            self._xattr_dir_cache[host_dir] = cached
        return cached

    def _meta(self, path: str, host: str, st: os.stat_result, xattrs: bool, names=None) -> Meta:
        """`names`: the xattr names when already listed."""
        mode = st.st_mode
        kind = _kind(mode)
        target = acl = label = None
        if kind == LINK:
            try:
                target = os.readlink(host)
            except OSError:
                target = None
        elif xattrs:
            # Links carry no ACL, and their label never matters to access.
            if names is None:
                try:
                    names = os.listxattr(host, follow_symlinks=False)
                except OSError:
                    names = ()
            if names:
                if _ACL_XATTR in names:
                    try:
                        acl = parse_acl(os.getxattr(host, _ACL_XATTR, follow_symlinks=False))
                    except OSError:
                        acl = None
                if _LABEL_XATTR in names:
                    try:
                        raw = os.getxattr(host, _LABEL_XATTR, follow_symlinks=False)
                        label = raw.rstrip(b"\0").decode("ascii", "replace") or None
                    except OSError:
                        label = None
        immutable = False
        if self._immutable and kind in (FILE, DIR):
            immutable = bool(_immutable(host))
        return Meta(path, kind, mode & 0o7777, st.st_uid, st.st_gid,
                    st.st_size, target, acl, label, immutable, mtime=st.st_mtime_ns // 1_000_000_000)


def _cannot_list(path: str, exc: OSError) -> NotChecked:
    if isinstance(exc, PermissionError):
        return NotChecked(path, f"the scanner cannot list it: {exc.strerror}")
    return NotChecked(path, f"cannot list: {exc.strerror}")


def _immutable(host: str) -> bool | None:
    try:
        # Never open devices or fifos (opening a tape device rewinds it).
        kind = os.lstat(host).st_mode
        if not (_stat.S_ISREG(kind) or _stat.S_ISDIR(kind)):
            return None
        fd = os.open(host, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not (_stat.S_ISREG(st.st_mode) or _stat.S_ISDIR(st.st_mode)):
            return None
        buf = fcntl.ioctl(fd, FS_IOC_GETFLAGS, b"\0" * 8)
        return bool(struct.unpack_from("<i", buf, 0)[0] & FS_IMMUTABLE_FL)
    except OSError:
        return None
    finally:
        os.close(fd)

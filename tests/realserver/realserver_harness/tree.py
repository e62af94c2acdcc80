"""Filesystem trees as data.

A tree is a list of entries (dicts, e.g. from YAML):

    path:    relative to the scenario directory (no '..', not absolute);
             a trailing '/' means a directory
    kind:    file | dir | symlink (default: symlink if 'target' is given,
             dir if the path ends with '/', else file)
    mode:    octal string, e.g. "0640" (default 0644 files, 0755 dirs;
             ignored for symlinks). Integers are refused: YAML reads 0640 as
             416 and 755 as decimal, both silently wrong.
    owner:   user name, uid (int or digit string), or '@logical' for an
             account the scenario declares (default root)
    group:   same for groups (default root)
    content: file content (default "<path>\\n" so a served body can be checked);
             '@ROOT@' is replaced by the scenario dir (e.g. AuthUserFile in an .htaccess)
    target:  symlink target, verbatim; '@ROOT@' is replaced by the scenario dir
    acl:     list of setfacl -m specs, applied after mode/owner
             ('u:www-data:r', 'u:@alice:rx'; '@logical' names are resolved)
    chmod_after_acl: a chmod(1) mode applied after the ACL (e.g. 'g-rwx',
             which on a file with an ACL changes the ACL mask)
    mtime:   modification time, whole seconds since the epoch (int), set last
             (so a request can carry the file's Last-Modified or ETag)

Parent directories that no entry names are created 0755 root:root.
Everything is created first, then owners and modes are set, then ACLs, so the
order of entries does not matter (the harness runs as root).

Base directories live under /var/tmp (not pytest's 0700 tmp_path, not /tmp
itself because of fs.protected_symlinks), are 0755 root:root, and every
ancestor is checked to be searchable by "other".
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

BASE_PARENT = Path("/var/tmp")
BASE_PREFIX = "confcheck-rs-"

ENTRY_KEYS = {"path", "kind", "mode", "owner", "group", "content", "target", "acl",
              "chmod_after_acl", "mtime"}


class TreeError(RuntimeError):
    pass


@dataclass
class Entry:
    path: str
    kind: str
    mode: int | None = None
    owner: object = "root"
    group: object = "root"
    content: str | None = None
    target: str | None = None
    acl: list[str] = field(default_factory=list)
    chmod_after_acl: str | None = None
    mtime: int | None = None

    @property
    def effective_mode(self) -> int:
        if self.mode is not None:
            return self.mode
        return 0o755 if self.kind == "dir" else 0o644


def _parse_mode(value, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str):
        raise TreeError(f"{where}: mode must be a quoted octal string like \"0640\", got {value!r}")
    try:
        mode = int(value, 8)
    except ValueError:
        raise TreeError(f"{where}: mode {value!r} is not octal") from None
    if not 0 <= mode <= 0o7777:
        raise TreeError(f"{where}: mode {value!r} out of range")
    return mode


def parse_entries(raw: list[dict], where: str = "tree") -> list[Entry]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise TreeError(f"{where}: tree must be a list of entries")
    entries = []
    seen = set()
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        if not isinstance(item, dict) or "path" not in item:
            raise TreeError(f"{w}: each entry must be a mapping with a 'path'")
        unknown = set(item) - ENTRY_KEYS
        if unknown:
            raise TreeError(f"{w}: unknown keys {sorted(unknown)}")
        path = str(item["path"])
        is_dir_syntax = path.endswith("/")
        path = path.rstrip("/")
        parts = Path(path).parts
        if not path or path.startswith("/") or ".." in parts or "." in parts:
            raise TreeError(f"{w}: path {item['path']!r} must be relative, without '.' or '..'")
        kind = item.get("kind") or ("symlink" if "target" in item else "dir" if is_dir_syntax else "file")
        if kind not in ("file", "dir", "symlink"):
            raise TreeError(f"{w}: unknown kind {kind!r}")
        if kind == "symlink" and not item.get("target"):
            raise TreeError(f"{w}: a symlink needs a target")
        if kind != "symlink" and "target" in item:
            raise TreeError(f"{w}: only symlinks have a target")
        if kind != "file" and "content" in item:
            raise TreeError(f"{w}: only files have content")
        if path in seen:
            raise TreeError(f"{w}: duplicate path {path!r}")
        seen.add(path)
        mtime = item.get("mtime")
        if mtime is not None and (isinstance(mtime, bool) or not isinstance(mtime, int)):
            raise TreeError(f"{w}: mtime must be whole seconds since the epoch, got {mtime!r}")
        acl = item.get("acl") or []
        if isinstance(acl, str):
            acl = [acl]
        entries.append(Entry(
            path=path, kind=kind, mode=_parse_mode(item.get("mode"), w),
            owner=item.get("owner", "root"), group=item.get("group", "root"),
            content=item.get("content"), target=item.get("target"),
            acl=list(acl), chmod_after_acl=item.get("chmod_after_acl"), mtime=mtime,
        ))
    return entries


# -- ids -------------------------------------------------------------------

def _uid(value) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    try:
        return pwd.getpwnam(value).pw_uid
    except KeyError:
        raise TreeError(f"unknown user {value!r}") from None


def _gid(value) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    try:
        return grp.getgrnam(value).gr_gid
    except KeyError:
        raise TreeError(f"unknown group {value!r}") from None


def _resolve_acl_spec(spec: str, resolve: Callable) -> str:
    # e.g. "u:@alice:rx" -> "u:cct123-alice:rx"; "m::r" untouched
    parts = spec.split(":")
    if len(parts) >= 3 and parts[1].startswith("@"):
        parts[1] = str(resolve(parts[1]))
    return ":".join(parts)


# -- base directories --------------------------------------------------------

def check_ancestors_searchable(path: Path) -> None:
    """Every ancestor of path (and path itself) must have o+x."""
    p = Path(path).resolve()
    for anc in [p, *p.parents]:
        st = os.stat(anc)
        if not st.st_mode & stat.S_IXOTH:
            raise TreeError(f"{anc} (mode {stat.filemode(st.st_mode)}) is not searchable by other; "
                            "www-data could not reach the scenario trees")


def make_base(label: str = "") -> Path:
    """A fresh 0755 root-owned directory under /var/tmp."""
    prefix = f"{BASE_PREFIX}{os.getpid()}-{label + '-' if label else ''}"
    base = Path(tempfile.mkdtemp(prefix=prefix, dir=BASE_PARENT))
    os.chmod(base, 0o755)
    check_ancestors_searchable(base)
    return base


def remove_base(base: Path) -> None:
    base = Path(base)
    if not base.exists():
        return
    if base.parent != BASE_PARENT or not base.name.startswith(BASE_PREFIX):
        raise TreeError(f"refusing to remove {base}: not a harness base directory")
    # chattr +i is never used by the harness; root ignores modes, so rmtree is enough.
    shutil.rmtree(base)


def purge_stale_bases() -> list[Path]:
    """Remove base directories of test sessions whose pid is dead."""
    from .accounts import _pid_alive

    removed = []
    for child in BASE_PARENT.glob(BASE_PREFIX + "*"):
        rest = child.name[len(BASE_PREFIX):]
        pid = rest.split("-", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)) and child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


# -- building --------------------------------------------------------------

def build_tree(root: Path, entries: list[Entry], resolve: Callable = lambda v: v) -> None:
    """Create entries under root, which must not exist yet (its parent must).

    root itself is created 0755 root:root; a scenario that needs a restrictive
    directory nests its docroot below one (e.g. ``d700/www``).
    """
    root = Path(root)
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    named = {e.path: e for e in entries}

    def ensure_parents(rel: str) -> None:
        parent = Path(rel).parent
        missing = []
        while str(parent) not in (".", ""):
            if not (root / parent).exists() and not (root / parent).is_symlink():
                missing.append(parent)
            parent = parent.parent
        for p in reversed(missing):
            if str(p) in named and named[str(p)].kind != "dir":
                raise TreeError(f"{p} is used as a directory but declared as {named[str(p)].kind}")
            os.mkdir(root / p, 0o755)
            os.chmod(root / p, 0o755)

    # 1. create
    for e in sorted(entries, key=lambda e: len(Path(e.path).parts)):
        ensure_parents(e.path)
        full = root / e.path
        if e.kind == "dir":
            if not full.is_dir():
                os.mkdir(full, 0o755)
        elif e.kind == "file":
            content = e.content.replace("@ROOT@", str(root)) if e.content is not None else f"{e.path}\n"
            full.write_bytes(content.encode("utf-8"))
        else:
            target = e.target.replace("@ROOT@", str(root))
            os.symlink(target, full)

    # 2. owners and modes (deepest first; irrelevant for root, but tidy)
    for e in sorted(entries, key=lambda e: -len(Path(e.path).parts)):
        full = root / e.path
        uid, gid = _uid(resolve(e.owner)), _gid(resolve(e.group))
        os.lchown(full, uid, gid)
        if e.kind != "symlink":
            os.chmod(full, e.effective_mode)

    # 3. ACLs, then a chmod that may rewrite the mask
    for e in entries:
        full = root / e.path
        for spec in e.acl:
            spec = _resolve_acl_spec(spec, resolve)
            p = subprocess.run(["setfacl", "-m", spec, str(full)], capture_output=True, text=True)
            if p.returncode != 0:
                raise TreeError(f"setfacl -m {spec} {full}: {p.stderr.strip()}")
        if e.chmod_after_acl:
            p = subprocess.run(["chmod", e.chmod_after_acl, str(full)], capture_output=True, text=True)
            if p.returncode != 0:
                raise TreeError(f"chmod {e.chmod_after_acl} {full}: {p.stderr.strip()}")

    # 4. modification times, once nothing is created inside a directory any more
    for e in entries:
        if e.mtime is not None:
            os.utime(root / e.path, (e.mtime, e.mtime), follow_symlinks=False)

    verify_tree(root, entries, resolve)


def verify_tree(root: Path, entries: list[Entry], resolve: Callable = lambda v: v) -> None:
    """Check that the disk holds what the spec says (a harness self-test)."""
    for e in entries:
        full = Path(root) / e.path
        st = os.lstat(full)
        kind = "symlink" if stat.S_ISLNK(st.st_mode) else "dir" if stat.S_ISDIR(st.st_mode) else "file"
        if kind != e.kind:
            raise TreeError(f"{full}: built as {kind}, spec says {e.kind}")
        if (st.st_uid, st.st_gid) != (_uid(resolve(e.owner)), _gid(resolve(e.group))):
            raise TreeError(f"{full}: owner {st.st_uid}:{st.st_gid} differs from the spec")
        if e.kind != "symlink" and not e.acl and not e.chmod_after_acl:
            if stat.S_IMODE(st.st_mode) != e.effective_mode:
                raise TreeError(f"{full}: mode {oct(stat.S_IMODE(st.st_mode))} != {oct(e.effective_mode)}")

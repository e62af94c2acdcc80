"""The entries under a directory that a `find -type T -uid U -gid G -perm MODE`
predicate selects, as the view shows them (a permission fix proves with it that its
`find ... -exec` touches exactly the entries confcheck saw).

On the live disk this is a second walk of a whole tree: its entries are looked at
through os.scandir and the stat result alone, and only the entries the predicate
selects get their xattrs read (an ACL there makes `find` unfit: it cannot see ACLs).
Other views (snapshots, a unit's namespace, AppArmor) walk through their own scandir.
"""

from __future__ import annotations

import os
import posixpath

from .live import LiveFs, _kind
from .model import DIR, Meta, NotChecked
from .private import looks_private


def find_alike(fs, top: str, like: Meta) -> tuple[list[str] | None, bool, Meta | None]:
    """(paths under `top`, `top` included, of `like`'s kind, uid, gid and mode; whether a
    private-looking name lives below `top`; top's metadata). (None, False, None) when `top`
    is missing, cannot be walked, or a selected entry has an ACL."""
    try:
        top_meta = fs.lstat(top)
        if top_meta is None:
            return None, False, None
        if type(fs) is LiveFs:      # exactly: a view wrapping one shows other entries
            return _live(fs, top_meta, like)
        return _generic(fs, top_meta, like)
    except (NotChecked, OSError):
        return None, False, None


def _selects(m: Meta, like: Meta) -> bool:
    return m.kind == like.kind and m.uid == like.uid and m.gid == like.gid and m.mode == like.mode


def _generic(fs, top_meta: Meta, like: Meta):
    selected: list[str] = []
    private = False
    stack = [top_meta]
    while stack:
        m = stack.pop()
        if m.path != top_meta.path and looks_private(posixpath.basename(m.path)):
            private = True
        if _selects(m, like):
            if m.acl:
                return None, False, None
            selected.append(m.path)
        if m.kind == DIR:
            stack.extend(fs.scandir(m.path))
    return selected, private, top_meta


def _live(fs: LiveFs, top_meta: Meta, like: Meta):
    """_generic on the live disk without a Meta per entry (what LiveFs.scandir would give:
    a listing or stat error other than a vanished entry ends the walk)."""
    if _selects(top_meta, like):
        if top_meta.acl:
            return None, False, None
        selected = [top_meta.path]
    else:
        selected = []
    private = False
    if top_meta.kind != DIR:
        return selected, private, top_meta
    kind_of, mode, uid, gid, kind = _kind, like.mode, like.uid, like.gid, like.kind
    stack = [top_meta.path]
    while stack:
        path = stack.pop()
        host = fs.host_path(path)
        base = path.rstrip("/")
        xattrs = None
        with os.scandir(host) as it:
            for entry in it:
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue     # removed while we were listing
                name = entry.name
                if not private and looks_private(name):
                    private = True
                st_mode = st.st_mode
                entry_kind = kind_of(st_mode)
                if (entry_kind == kind and st.st_uid == uid and st.st_gid == gid
                        and st_mode & 0o7777 == mode):
                    if xattrs is None:
                        xattrs = fs._wants_xattrs(host)
                    if fs._meta(base + "/" + name, entry.path, st, xattrs).acl:
                        return None, False, None
                    selected.append(base + "/" + name)
                if entry_kind == DIR:
                    stack.append(base + "/" + name)
    return selected, private, top_meta

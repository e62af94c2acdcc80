"""The entries under a directory that a `find -type T -uid U -gid G -perm MODE`
predicate selects, as the view shows them (a permission fix proves with it that its
`find ... -exec` touches exactly the entries confcheck saw).

The survey's walk of the live disk leaves a `Census` of what such a predicate could
select: a fix of that survey's findings is proved from it, without a second walk,
when the walk covered the predicate's directory. Otherwise the proof walks: on the
live disk through os.scandir and the stat result alone, only the entries the
predicate selects getting their xattrs read (an ACL there makes `find` unfit: it
cannot see ACLs); other views (snapshots, a unit's namespace, AppArmor) through their
own scandir.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field

from .live import LiveFs, _kind
from .model import DIR, FILE, Meta, NotChecked
from .private import looks_private

_CENSUS_LIMIT = 200_000     # (class, directory) counts one census keeps; past it, proofs walk


@dataclass(slots=True, eq=False)
class Census:
    """What one walk of the live view `fs` under `top` saw that a find predicate selects:
    for each (kind, mode, uid, gid) of the files and directories it was shown, how many
    in each directory, and the private-looking names. Files of the classes in `fine`
    (judged readable, see walk_tree's only_refused) were not shown, so not counted:
    a class of a refusal is never one of them. `complete` once the walk ended without
    a directory or entry it could not look at."""

    fs: object
    top: str = ""
    counts: dict = field(default_factory=dict)      # (kind, mode, uid, gid) -> {directory: n}
    private: list = field(default_factory=list)     # paths whose name looks private
    fine: set = field(default_factory=set)          # (st_mode, uid, gid) of files not counted
    complete: bool = False
    size: int = 0

    def saw(self, meta: Meta, directory: str) -> None:
        """One entry of `directory` the walk was shown."""
        if looks_private(meta.path.rsplit("/", 1)[1]):
            self.private.append(meta.path)
        if meta.kind != FILE and meta.kind != DIR:
            return          # find -type f / -type d never selects it
        key = (meta.kind, meta.mode, meta.uid, meta.gid)
        per = self.counts.get(key)
        if per is None:
            per = self.counts[key] = {}
        n = per.get(directory)
        if n is None:
            self.size += 1
            if self.size > _CENSUS_LIMIT:
                self.fs = None      # too varied a tree to keep: no proof from it
            per[directory] = 1
        else:
            per[directory] = n + 1

    def covers(self, fs, top: str) -> bool:
        return self.complete and self.fs is fs and _within(top, self.top)

    def selects(self, top_meta: Meta, like: Meta) -> int | None:
        """How many entries at or under `top_meta` are of `like`'s class (None when the
        class was left out as readable)."""
        if like.kind == FILE and (like.mode | 0o100000, like.uid, like.gid) in self.fine:
            return None
        top = top_meta.path
        below = sum(n for d, n in self.counts.get((like.kind, like.mode, like.uid, like.gid), {}).items()
                    if _within(d, top))
        return below + _selects(top_meta, like)

    def private_below(self, top: str) -> bool:
        return any(p != top and _within(p, top) for p in self.private)


def _within(path: str, top: str) -> bool:
    return top == "/" or path == top or path.startswith(top + "/")


def select_alike(fs, top: str, like: Meta, paths: list[str],
                 censuses=()) -> tuple[list[str] | None, bool, Meta | None]:
    """find_alike(fs, top, like) for a predicate meant to select `paths` (entries of
    `like`'s class, without ACLs, at or under `top`), answered from a census covering
    `top` when one does: `paths` themselves when they are all it selects, None when it
    selects more."""
    census = next((c for c in censuses if c.covers(fs, top)), None)
    if census is not None:
        try:
            top_meta = fs.lstat(top)
        except NotChecked:
            top_meta = None
        if top_meta is not None:
            n = census.selects(top_meta, like)
            if n is not None and n >= len(paths):
                private = census.private_below(top)
                return (list(paths) if n == len(paths) else None), private, top_meta
    return find_alike(fs, top, like)


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

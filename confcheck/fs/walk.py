"""Streaming walk of a served tree with the worker's verdict on every entry.

The ancestor verdict is carried down: a directory's reachability is computed
once from its parent's (one cached step, no second lstat), and every entry
inside shares it. Nothing proportional to the tree is kept: directories
waiting to be visited are the only state (depth-first).

Grouping: every entry under a directory the worker cannot search carries the
*same* `blocked` Denial object, and own denials are grouped by
`event.group_key`, so a rule can fold 40,000 unreadable files under one
directory into one finding, flushing its group on the directory's
`dir_done` event.
"""

from __future__ import annotations

from typing import Callable, Iterator, NamedTuple

from stat import S_IFREG

from .access import Checker, SymlinkPolicy, _normalize
from .alike import Census
from .live import LiveFs
from .model import DIR, FILE, LINK, Access, Denial, FsView, Identity, Meta, NotChecked
from .private import PRIVATE_ENDS, PRIVATE_STARTS

ENTRY, DIR_DONE, NOT_CHECKED = "entry", "dir_done", "not_checked"


class WalkEvent(NamedTuple):
    """One step of the walk (a NamedTuple: a million of them must be cheap).

    kind: "entry" (one directory entry, or the top itself), "dir_done" (all
    direct entries of `path` were yielded; flush per-directory groups), or
    "not_checked" (the scanner could not list/stat `path`; see not_checked).
    """

    kind: str
    path: str
    meta: Meta | None
    dir: str                    # the directory holding `path`
    blocked: Denial | None      # why names in `dir` cannot be looked up (ancestor or dir x / label)
    denial: Denial | None       # own verdict: read (files), search (dirs), through the link (links)
    list_denial: Denial | None = None   # directories: why autoindex would fail (x then r)
    link: Access | None = None          # links: the full verdict through the link
    not_checked: NotChecked | None = None
    quiet: int = 0              # dir_done: entries of `path` counted, not yielded (walk_tree's only_refused)

    @property
    def ok(self) -> bool:
        """The worker can do the entry's natural operation (read/search/follow)."""
        return self.kind == ENTRY and self.blocked is None and self.denial is None

    @property
    def group_key(self) -> tuple | None:
        """Same key for entries refused for the same reason in the same place:
        (place, need, class) where place is the blocking directory or `dir`."""
        if self.blocked is not None:
            return (self.blocked.path, self.blocked.need, self.blocked.cls)
        if self.denial is not None:
            return (self.dir, self.denial.need, self.denial.cls)
        return None


def walk_tree(fs: FsView, identity: Identity, top: str, *,
              symlinks: SymlinkPolicy = SymlinkPolicy(),
              on_not_checked: Callable[[NotChecked], None] | None = None,
              checker: Checker | None = None,
              selinux_booleans: frozenset[str] = frozenset(),
              only_refused: bool = False, keep: frozenset[str] = frozenset(),
              census: Census | None = None) -> Iterator[WalkEvent]:
    """Yield a WalkEvent for `top` and every entry below it.

    Symlinked directories are reported (their `link` verdict) but not entered:
    that is what keeps the walk finite; if `top` itself is a link to a
    directory, the walk continues at its target (event paths are then real
    paths). Scanner failures become "not_checked" events, or calls to
    `on_not_checked` when given.

    only_refused: files the worker can read (in a directory it can search), whose
    name is not in `keep`, may be left out: each directory's dir_done event counts
    them (`quiet`). On the live disk most of a served tree is such files, and those of
    a (mode, owner, group) already judged readable are then never built into a Meta.
    census: filled with what a find predicate would select (fs.alike), when the walk
    goes over the live disk with only_refused.
    """
    ck = checker or Checker(fs, identity, symlinks, selinux_booleans=selinux_booleans)
    top = _normalize(top)

    def not_checked(exc: NotChecked, where: str) -> Iterator[WalkEvent]:
        if on_not_checked is not None:
            on_not_checked(exc)
        else:
            yield WalkEvent(NOT_CHECKED, exc.path, None, where, None, None, not_checked=exc)

    parent = top.rsplit("/", 1)[0] or "/"
    preach = ck.reach_dir(parent)
    try:
        tmeta = fs.lstat(top)
    except NotChecked as exc:
        yield from not_checked(exc, parent)
        return
    if tmeta is None:
        acc = ck.check(top, "stat")
        yield WalkEvent(ENTRY, top, None, parent, ck.search_denial(preach), acc.denial)
        return
    reach = ck.child(preach, tmeta)
    blocked = ck.search_denial(preach)
    if tmeta.kind == LINK:
        acc = ck.check(top, "auto")
        yield WalkEvent(ENTRY, top, tmeta, parent, blocked, acc.denial, link=acc)
        if not (reach.ok and reach.meta is not None and reach.meta.kind == DIR):
            return
        real = reach.resolved or top
        reach = ck.reach_dir(real)
        tmeta = reach.meta
        assert tmeta is not None
        top = real
    else:
        yield _event(ck, tmeta, parent, blocked)
        if tmeta.kind != DIR:
            return

    stack: list[tuple[str, Access]] = [(top, reach)]
    own = ck.own
    # (st_mode, uid, gid) of plain files judged readable: the live view leaves out the
    # next ones (their verdict is the same: no ACL, label or confinement is involved)
    sift = fs.sift if only_refused and type(fs) is LiveFs else None
    fine: set[tuple[int, int, int]] = set()
    learn = sift is not None and ck.by_class
    nothing: frozenset = frozenset()
    tally = [0]
    if sift is None:
        census = None
    elif census is not None:
        census.top, census.fine = top, fine
    # names the live view must show even when readable: `keep`, and the private-looking
    # ones a census lists
    starts = tuple(keep) + (PRIVATE_STARTS if census is not None else ())
    ends = PRIVATE_ENDS if census is not None else ()
    complete = True
    while stack:
        d, dreach = stack.pop()
        inner_blocked = ck.search_denial(dreach)
        subdirs: list[tuple[str, Access]] = []
        skipped = 0
        try:
            listing = (fs.scandir(d) if sift is None else
                       sift(d, fine if inner_blocked is None else nothing, tally, starts, ends))
            for meta in listing:
                kind = meta.kind
                if census is not None:
                    census.saw(meta, d)
                if kind == DIR:
                    yield WalkEvent(ENTRY, meta.path, meta, d, inner_blocked,
                                    own(meta, "search"), own(meta, "list"))
                    subdirs.append((meta.path, ck.child(dreach, meta)))
                elif kind == LINK:
                    acc = ck.check(meta.path, "auto")
                    yield WalkEvent(ENTRY, meta.path, meta, d, inner_blocked,
                                    acc.denial if acc.not_checked is None else None, link=acc)
                else:
                    denial = own(meta, "read")
                    if denial is None and inner_blocked is None and only_refused and kind == FILE \
                            and meta.path.rsplit("/", 1)[1] not in keep:
                        skipped += 1
                        if learn and meta.acl is None:
                            fine.add((meta.mode | S_IFREG, meta.uid, meta.gid))
                        continue
                    yield WalkEvent(ENTRY, meta.path, meta, d, inner_blocked, denial)
        except NotChecked as exc:
            complete = False
            yield from not_checked(exc, d)
        skipped += tally[0]
        tally[0] = 0
        yield WalkEvent(DIR_DONE, d, dreach.meta, d, inner_blocked, None, quiet=skipped)
        subdirs.reverse()
        stack.extend(subdirs)
    if census is not None:
        census.complete = complete


def _event(ck: Checker, meta: Meta, parent: str, blocked: Denial | None) -> WalkEvent:
    if meta.kind == DIR:
        return WalkEvent(ENTRY, meta.path, meta, parent, blocked,
                         ck.own(meta, "search"), ck.own(meta, "list"))
    return WalkEvent(ENTRY, meta.path, meta, parent, blocked, ck.own(meta, "read"))

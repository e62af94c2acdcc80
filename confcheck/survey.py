"""The disk survey: walk every tree a config serves, as the worker, once.

The filesystem rules (analyzers/fs) read the resulting `Survey` instead of
touching the disk themselves: one streaming walk per served directory feeds
them all. Only problems are kept (a million healthy files cost no memory),
and entries under a directory the worker cannot search are counted against
that directory rather than reported one by one.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from confcheck.findings import Finding
from confcheck.fs.model import DIR, LINK, Denial, NotChecked

# Denials that make the server answer 403/500; "missing" and dangling links are 404s.
REFUSING = frozenset({"x", "r", "symlink", "label", "loop"})


@dataclass(slots=True)
class Problem:
    need: str            # x | r | list | symlink | label | loop
    path: str            # the path at fault
    denial: Denial
    place: object        # confcheck.servers.nginx.model.Place serving it
    below: int = 0       # entries under a non-searchable directory

    @property
    def anchor(self):
        """The directive that makes this problem matter."""
        if self.need == "list" and self.place.autoindex_node is not None:
            return self.place.autoindex_node
        return self.place.anchor


@dataclass(slots=True)
class Survey:
    problems: list[Problem] = field(default_factory=list)
    missing_roots: list[tuple[object, str]] = field(default_factory=list)
    not_checked: list = field(default_factory=list)
    entries: int = 0


def _under(path: str, top: str) -> bool:
    return top == "/" or path == top or path.startswith(top + "/")


def _policy(place):
    from confcheck.fs.access import SymlinkPolicy
    return SymlinkPolicy(place.symlinks.mode, place.symlinks.from_)


def _walk_plan(places: list, trees: list[str]) -> list[tuple[str, list]]:
    """(directory to walk, places under it) with nested directories folded in.

    A location's own root inside the server's root is walked as part of it,
    provided the symlink policy is the same (the policy decides the verdicts).
    """
    static = [p for p in places if p.static and not p.variable]
    static.sort(key=lambda p: (len(p.directory), p.directory))
    plan: list[tuple[str, list]] = []
    for place in static:
        for top, members in plan:
            if _under(place.directory, top) and _policy(members[0]) == _policy(place):
                members.append(place)
                break
        else:
            plan.append((place.directory, [place]))
    if not trees:
        return plan
    limited: list[tuple[str, list]] = []
    for top, members in plan:
        for tree in trees:
            if _under(top, tree):
                limited.append((top, members))
                break
            if _under(tree, top):
                limited.append((tree, members))
    return limited


def _covering(members: list, path: str, cache: dict):
    """The place whose directory is the longest prefix of `path`."""
    hit = cache.get(path)
    if hit is None:
        best = members[0]
        for place in members:
            if _under(path, place.directory) and len(place.directory) >= len(best.directory):
                best = place
        cache[path] = hit = best
    return hit


def survey_nginx(ctx, target) -> Survey:
    from confcheck.engine import NotCheckedPath
    from confcheck.fs.access import Checker
    from confcheck.fs.walk import ENTRY, NOT_CHECKED, walk_tree
    from confcheck.servers.nginx.worker import IdentityProblem

    result = Survey()
    identity = ctx.identity(target)
    if ctx.fs is None or isinstance(identity, IdentityProblem):
        return result
    places = target.model.places
    for tree in ctx.trees:
        if not any(_under(tree, p.directory) or _under(p.directory, tree) for p in places if p.static):
            result.not_checked.append(NotCheckedPath(tree, "no root or alias in the configuration serves it"))
    for place in places:
        if place.static and place.variable:
            result.not_checked.append(NotCheckedPath(
                place.directory, f"{place.anchor.name} {place.anchor.args[0].raw if place.anchor.args else ''} "
                "uses variables: only the fixed part of the path is known"))

    for top, members in _walk_plan(places, ctx.trees):
        checker = Checker(ctx.fs, identity, _policy(members[0]))
        cover: dict = {}
        blocked_seen: dict[str, Problem] = {}
        for event in walk_tree(ctx.fs, identity, top, symlinks=_policy(members[0]), checker=checker):
            if event.kind == NOT_CHECKED:
                result.not_checked.append(NotCheckedPath(event.path, event.not_checked.reason))
                continue
            if event.kind != ENTRY:
                continue
            result.entries += 1
            place = _covering(members, event.dir if event.path != top else top, cover)
            if event.path == top and _root_missing(event):
                result.missing_roots.append((place, _first_missing(ctx.fs, top)))
                continue
            blocking = event.blocked or _blocks_below(event)
            if blocking is not None:
                _count_blocked(result, blocked_seen, blocking, place)
            elif event.denial is not None and event.denial.need in REFUSING:
                result.problems.append(Problem(event.denial.need, event.denial.path, event.denial, place))
            elif _unlistable(event):
                dir_place = _covering(members, event.path, cover)
                if dir_place.autoindex:
                    result.problems.append(Problem("list", event.path, event.list_denial, dir_place))
    return result


def _root_missing(event) -> bool:
    why = event.blocked or (event.denial if event.meta is None else None)
    return why is not None and why.need == "missing"


def _blocks_below(event) -> Denial | None:
    """The entry's own denial when it is one that hides everything below it."""
    denial = event.denial
    if denial is None or denial.need not in REFUSING:
        return None
    if event.meta is None:                                   # the top, refused on its way
        return denial
    if event.meta.kind == DIR and denial.need in ("x", "label"):
        return denial
    if event.meta.kind == LINK and denial.need in ("x", "label") and denial.path != event.path:
        return denial                                        # a link into a closed directory
    return None


def _unlistable(event) -> bool:
    return (event.meta is not None and event.meta.kind == DIR and event.denial is None
            and event.list_denial is not None and event.list_denial.need == "r")


def _count_blocked(result: Survey, seen: dict, denial: Denial, place) -> None:
    problem = seen.get(denial.path)
    if problem is None:
        problem = Problem(denial.need, denial.path, denial, place)
        seen[denial.path] = problem
        result.problems.append(problem)
    else:
        problem.below += 1


def _first_missing(fs, path: str) -> str:
    """The first component of `path` that does not exist (what to create)."""
    current = "/"
    for part in [p for p in path.split("/") if p]:
        current = posixpath.join(current, part)
        try:
            if fs.lstat(current) is None:
                return current
        except NotChecked:
            return path
    return path


def auth_file_problems(ctx, target) -> Iterator[tuple[object, object]]:
    """(AuthFile, Access) for every password file the worker cannot open."""
    from confcheck.fs.access import Checker
    from confcheck.servers.nginx.worker import IdentityProblem

    identity = ctx.identity(target)
    if ctx.fs is None or isinstance(identity, IdentityProblem):
        return
    checker = Checker(ctx.fs, identity)
    for auth in target.model.auth_files:
        access = checker.check(auth.path, "read")
        if access.not_checked is not None or access.ok:
            continue
        yield auth, access


def group_problems(problems: Iterable[Problem]) -> list[list[Problem]]:
    """Problems with the same cause (directive, bit, class, owner, group, mode) together."""
    groups: dict[tuple, list[Problem]] = {}
    for problem in problems:
        meta = problem.denial.meta
        key = (id(problem.anchor), problem.need, problem.denial.cls,
               meta.uid if meta else None, meta.gid if meta else None,
               meta.mode if meta else None, meta.kind if meta else None)
        groups.setdefault(key, []).append(problem)
    return list(groups.values())


def finding_for_group(rule_id: str, name: str, severity: str, group: list[Problem], *,
                      verb: str, one: str, many: str) -> Finding:
    """One finding for a group of problems with the same cause.

    `one` says what the client gets for one path ("answered 403"), `many`
    the same for a group ("each is answered 403").
    """
    group = sorted(group, key=lambda p: p.path)   # the example must not depend on disk order
    first = group[0]
    place = first.place
    detail = first.denial.detail
    if place.directive is not None:
        served = f"{place.anchor.name} {place.directory}"
    else:
        served = f"nginx's default root {place.directory}"
    fs_paths = None
    if len(group) == 1:
        fs_path = first.path
        if first.need in ("x", "label") and not _under(first.path, place.directory):
            message = f"{detail}: every file under {served} is answered 403"
        elif first.need == "symlink" and not _under(first.path, place.directory) or (
                first.need == "symlink" and first.path == place.directory):
            # The link sits in the middle of every served path: nginx's openat()
            # of the next component fails with ENOTDIR (row 32), a 404.
            message = f"{detail}: every file under {served} is answered 404"
        elif first.need in ("x", "label"):
            below = f"; {first.below} entries below it" if first.below else ""
            message = f"{detail}{below}: every file under it is answered 403"
        else:
            message = f"{detail}: {one}"
    else:
        fs_paths = sorted(p.path for p in group)
        fs_path = os.path.commonpath(fs_paths)
        kind = {"r": "files", "x": "directories", "list": "directories"}.get(first.need, "paths")
        message = (f"{len(group)} {kind} under {fs_path} cannot be {_participle(verb)} by the "
                   f"worker (for example: {detail}): {many}")
    return Finding(rule=rule_id, name=name, severity=severity, message=message,
                   span=first.anchor.span, server="nginx", fs_path=fs_path, fs_paths=fs_paths)


def _participle(verb: str) -> str:
    return {"enter": "entered", "read": "read", "list": "listed", "follow": "followed"}.get(verb, verb + "ed")

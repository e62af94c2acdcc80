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

from confcheck.findings import Finding, NotCheckedPath
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
    htaccess: list = field(default_factory=list)     # Apache: access files found (HtaccessFile)
    sandboxed: list[Problem] = field(default_factory=list)   # caused by the unit's namespace (FS109)
    confined: list[Problem] = field(default_factory=list)    # refused by the worker's AppArmor profile (FS111)
    censuses: list = field(default_factory=list)     # fs.alike.Census of each complete walk (the fixes' proofs)


def _under(path: str, top: str) -> bool:
    return top == "/" or path == top or path.startswith(top + "/")


def _policy(place):
    from dataclasses import replace

    from confcheck.fs.access import SymlinkPolicy
    policy = SymlinkPolicy.of(place.symlinks)
    if policy.from_ is not None and "$" in policy.from_:
        # from=$document_root (the usual form) is the place's own directory; another
        # variable is not known offline: the same, least strict, reading
        policy = replace(policy, from_=place.directory)
    return policy


def _plan(places: list, trees: list[str], top_of, joins) -> list[tuple[str, list]]:
    """(directory to walk, places under it): nested directories are walked with the
    outer one when `joins(outer_place, place)`; limited to the trees named, if any."""
    static = [p for p in places if p.static and not p.variable]
    static.sort(key=lambda p: (len(top_of(p)), top_of(p)))
    plan: list[tuple[str, list]] = []
    for place in static:
        for top, members in plan:
            if _under(top_of(place), top) and joins(members[0], place):
                members.append(place)
                break
        else:
            plan.append((top_of(place), [place]))
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


def _walk_plan(places: list, trees: list[str]) -> list[tuple[str, list]]:
    """nginx: a location's root inside the server's is walked with it when the
    symlink policy is the same (the policy decides the verdicts)."""
    return _plan(places, trees, lambda p: p.directory, lambda a, b: _policy(a) == _policy(b))


def _covering_by(members: list, path: str, cache: dict, top_of):
    """The member whose directory is the longest prefix of `path`."""
    hit = cache.get(path)
    if hit is None:
        best = members[0]
        for place in members:
            if _under(path, top_of(place)) and len(top_of(place)) >= len(top_of(best)):
                best = place
        cache[path] = hit = best
    return hit


def _covering(members: list, path: str, cache: dict):
    return _covering_by(members, path, cache, lambda p: p.directory)


def survey_nginx(fs, identity, target, trees: list[str], failures: list | None = None) -> Survey:
    """The walk of every tree an nginx configuration serves, as its worker (`identity`),
    limited to the served `trees` named when there are any; a tree whose walk fails is
    listed as not checked and the failure added to `failures` (confcheck.isolation)."""
    from confcheck.isolation import Contained
    from confcheck.fs.access import Checker
    from confcheck.fs.alike import Census
    from confcheck.fs.walk import walk_tree
    from confcheck.servers.nginx.worker import IdentityProblem

    result = Survey()
    if fs is None or isinstance(identity, IdentityProblem):
        return result
    places = target.model.places
    for tree in trees:
        if not any(_under(tree, p.directory) or _under(p.directory, tree) for p in places if p.static):
            result.not_checked.append(NotCheckedPath(tree, "no root or alias in the configuration serves it"))
    for place in places:
        if place.static and place.symlinks.unknown:
            result.not_checked.append(NotCheckedPath(place.directory, place.symlinks.unknown))
        elif place.static and place.variable:
            result.not_checked.append(NotCheckedPath(
                place.directory, f"{place.anchor.name} {place.anchor.args[0].raw if place.anchor.args else ''} "
                "uses variables: only the fixed part of the path is known"))

    for top, members in _walk_plan(places, trees):
        cover: dict = {}
        blocked_seen: dict[str, Problem] = {}
        # one tree failing to walk leaves the others' verdicts (confcheck.isolation)
        with Contained(failures, f"walk of {top} (nginx {target.name})") as box:
            checker = Checker(fs, identity, _policy(members[0]))
            census = Census(fs)
            for event in _entries(result, walk_tree(fs, identity, top, symlinks=_policy(members[0]),
                                                    checker=checker, only_refused=True, census=census)):
                place = _covering(members, event.dir if event.path != top else top, cover)
                if event.path == top and _root_missing(event):
                    why = event.blocked or event.denial
                    if why.sandbox is not None:
                        result.sandboxed.append(Problem("missing", why.path, why, place))
                    else:
                        result.missing_roots.append((place, _first_missing(fs, top)))
                    continue
                _record(result, blocked_seen, event, place, lambda path: _covering(members, path, cover))
            _keep_census(result, census)
        if box.failure is not None:
            result.not_checked.append(NotCheckedPath(top, str(box.failure)))
    return _set_aside_sandboxed(result)


def _keep_census(result: Survey, census) -> None:
    if census.complete:
        result.censuses.append(census)


def _entries(result: Survey, events) -> Iterator:
    """The walk's entries, counted (with those it left out as readable); what it could not
    check is noted on `result`."""
    from confcheck.fs.walk import ENTRY, NOT_CHECKED
    for event in events:
        if event.kind == NOT_CHECKED:
            result.not_checked.append(NotCheckedPath(event.path, event.not_checked.reason))
        elif event.kind == ENTRY:
            result.entries += 1
            yield event
        else:
            result.entries += event.quiet


def _record(result: Survey, blocked_seen: dict, event, place, place_of) -> None:
    """One walked entry's verdict: counted against the directory that hides it, a problem of
    its own, or an unlistable directory where autoindex is on (`place_of(path)` covers it)."""
    blocking = event.blocked or _blocks_below(event)
    if blocking is not None:
        _count_blocked(result, blocked_seen, blocking, place)
    elif event.denial is not None and event.denial.need in REFUSING:
        result.problems.append(Problem(event.denial.need, event.denial.path, event.denial, place))
    elif _unlistable(event):
        dir_place = place_of(event.path)
        if dir_place.autoindex:
            result.problems.append(Problem("list", event.path, event.list_denial, dir_place))


def _set_aside_sandboxed(result: Survey) -> Survey:
    """Denials the unit's namespace causes are FS109's, the AppArmor profile's FS111's
    (the fix is a drop-in or a profile rule, not a chmod)."""
    kept = []
    for p in result.problems:
        if p.denial.sandbox is not None:
            result.sandboxed.append(p)
        elif p.denial.confinement is not None:
            result.confined.append(p)
        else:
            kept.append(p)
    result.problems = kept
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
    checker = Checker(ctx.fs_for(target), identity)
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
               meta.mode if meta else None, meta.kind if meta else None, _private(problem) is not None)
        groups.setdefault(key, []).append(problem)
    return list(groups.values())


def _private(problem: Problem) -> str | None:
    """The private-looking name (.git, .env, a key) below the served directory the
    denied path lies in, if any."""
    from confcheck.fs.private import private_below
    return private_below(problem.path, problem.place.directory)


def finding_for_group(rule_id: str, name: str, severity: str, group: list[Problem], *,
                      verb: str, one: str, many: str, fix=None, server: str = "nginx",
                      answer=None) -> Finding:
    """One finding for a group of problems with the same cause (a note, severity info,
    when they lie under a private-looking name such as .git: nothing serves it on purpose).

    `one` says what it means for one path ("it cannot be served"), `many` the
    same for a group; neither names a status. `answer(problem)` does: what
    decide() answers to a request it names (analyzers/fs/_answer.py), or None.
    `fix`: the finding's fix (confcheck.fixers.config.permission_fix_for).
    """
    group = sorted(group, key=lambda p: p.path)   # the example must not depend on disk order
    first = group[0]
    said = answer(first) if answer is not None else None
    place = first.place
    detail = first.denial.detail
    if place.directive is not None:
        served = f"{place.anchor.name} {place.directory}"
    elif server == "apache":
        served = f"Apache's default DocumentRoot {place.directory}"
    else:
        served = f"nginx's default root {place.directory}"
    fs_paths = None
    if len(group) == 1:
        fs_path = first.path
        if first.need in ("x", "label", "symlink") and (
                not _under(first.path, place.directory) or first.path == place.directory):
            # above the served directory (or its own link): every served path passes it
            message = f"{detail}: no file under {served} can be opened"
        elif first.need in ("x", "label"):
            below = f"; {first.below} entries below it" if first.below else ""
            message = f"{detail}{below}: no file under it can be opened"
        else:
            message = f"{detail}: {one}"
        if said:
            message += f"; {said}"
    else:
        fs_paths = sorted(p.path for p in group)
        fs_path = os.path.commonpath(fs_paths)
        kind = {"r": "files", "x": "directories", "list": "directories"}.get(first.need, "paths")
        message = (f"{len(group)} {kind} under {fs_path} cannot be {_participle(verb)} by the "
                   f"worker (for example: {detail}): {many}" + (f"; for example {said}" if said else ""))
    private = _private(first)
    if private is not None:
        # a .git or .env the worker cannot read is usually meant that way: nothing serves it
        severity = "info"
        message += (f" ({private} looks private: nothing needs to serve it, so keeping the worker out is "
                    "usually intended)")
    return Finding(rule=rule_id, name=name, severity=severity, message=message,
                   span=first.anchor.span, server=server, fs_path=fs_path, fs_paths=fs_paths, fix=fix)


def _participle(verb: str) -> str:
    return {"enter": "entered", "read": "read", "list": "listed", "follow": "followed"}.get(verb, verb + "ed")


# -- Apache: the walk of what a configuration serves ---------------------------------
#
# What is served, and the per-directory settings in force at each place, come
# from confcheck.servers.apache.served (the request model's own merge). The
# walk judges symbolic links the way httpd's directory walk does, with the
# Options of the directory holding the link: neither FollowSymLinks nor
# SymLinksIfOwnerMatch refuses every link, SymLinksIfOwnerMatch refuses a link
# whose owner differs from its target's, and a link whose target cannot be
# stat()ed (dangling) is refused too: all 403 AH00037 (server-behavior row 35).


@dataclass(slots=True)
class HtaccessFile:
    path: str                 # the access file on disk
    place: object             # confcheck.servers.apache.served.ApachePlace covering its directory
    event: object             # the walk event (its meta and the worker's verdict)
    loaded: object = None     # analyzers/apache: the file read once per scan


def _apache_plan(places: list, trees: list[str]) -> list[tuple[str, list]]:
    """(directory to walk, places under it): Apache judges links per directory, so one walk
    per outermost tree carries every place (and covering `<Directory>`) inside it."""
    return _plan(places, trees, lambda p: p.top, lambda a, b: True)


def _apache_covering(members: list, path: str, cache: dict):
    """The place or covering `<Directory>` whose directory is the longest prefix of `path`."""
    return _covering_by(members, path, cache, lambda p: p.top)


def _link_denial(event, opts: int, where: str) -> Denial | None:
    """httpd's verdict on a symbolic link (sections.py _resolve_symlink), None when it follows it."""
    from confcheck.servers.apache.perdir import OPT_SYM_LINKS, OPT_SYM_OWNER
    link = event.meta
    path = event.path
    if not opts & (OPT_SYM_LINKS | OPT_SYM_OWNER):
        return Denial(path, link, "symlink", None,
                      f"{path} is a symbolic link and Options in force for {where} has neither "
                      "FollowSymLinks nor SymLinksIfOwnerMatch (AH00037)")
    access = event.link
    if access is None or access.not_checked is not None:
        return None
    if access.denial is not None and access.denial.need == "missing":
        return Denial(path, link, "symlink", None,
                      f"{path} is a dangling symbolic link (-> {link.target}): Apache refuses it with "
                      "AH00037 where nginx answers 404")
    if opts & OPT_SYM_OWNER and access.meta is not None and access.meta.uid != link.uid:
        return Denial(path, link, "symlink", None,
                      f"{path} is a symbolic link owned by uid {link.uid} and its target by uid "
                      f"{access.meta.uid}: SymLinksIfOwnerMatch (in force for {where}) refuses it; "
                      "if_not_owner")
    return None


def survey_apache(fs, identity, target, trees: list[str], failures: list | None = None) -> Survey:
    """The walk of every tree an Apache configuration serves, as its worker.

    Problems have the nginx survey's shape, so FS101-FS108 read them alike.
    Apache differences: the access file (.htaccess) is never served, so it is
    collected in `htaccess` for the APA rules rather than reported as an
    unreadable file; a missing DocumentRoot is APA102's (Apache answers 403 or
    404 depending on the grant, not nginx's plain 404); links are judged with
    the Options of their own directory (a nested `<Directory>` counts).
    """
    from confcheck.isolation import Contained
    from confcheck.fs.access import Checker
    from confcheck.fs.alike import Census
    from confcheck.fs.walk import walk_tree
    from confcheck.servers.nginx.worker import IdentityProblem

    result = Survey()
    if fs is None or isinstance(identity, IdentityProblem) or target.served is None:
        return result
    served = target.served
    places = served.places
    for tree in trees:
        if not any(_under(tree, p.directory) or _under(p.directory, tree) for p in places if p.static):
            result.not_checked.append(NotCheckedPath(tree, "no DocumentRoot or Alias in the configuration serves it"))
    for place in places:
        if place.static and place.variable:
            result.not_checked.append(NotCheckedPath(
                place.directory, f"{place.anchor.name} {place.anchor.args[0].raw if place.anchor.args else ''} "
                "uses $n: only the fixed part of the path is known"))
    for top, members in _apache_plan(served.covering(), trees):
        checker = Checker(fs, identity)     # the kernel's view: links are judged below, per directory
        cover: dict = {}
        blocked_seen: dict[str, Problem] = {}
        with Contained(failures, f"walk of {top} (apache {target.name})") as box:
            # every access file is the APA rules' (readable or not); other readable files no rule's
            keep = frozenset(place.access_file for place in members if place.access_file)
            census = Census(fs)
            for event in _entries(result, walk_tree(fs, identity, top, checker=checker,
                                                    only_refused=True, keep=keep, census=census)):
                at_top = event.path == top
                place = _apache_covering(members, event.dir if not at_top else top, cover)
                if at_top and _root_missing(event):
                    why = event.blocked or event.denial
                    if why.sandbox is not None:      # an empty mount of the unit's namespace: FS109
                        result.sandboxed.append(Problem("missing", why.path, why, place))
                    continue
                if not at_top and posixpath.basename(event.path) == place.access_file:
                    result.htaccess.append(HtaccessFile(event.path, place, event))
                    if event.blocked is None:
                        continue        # its own verdict is APA116's, not "a file that cannot be served"
                if event.blocked is None and event.meta is not None and event.meta.kind == LINK:
                    where = event.dir if not at_top else (top.rsplit("/", 1)[0] or "/")
                    opts = (place.settings if not at_top else served.dir_conf(place.server, where)).opts
                    denial = _link_denial(event, opts, where)
                    if denial is not None:
                        result.problems.append(Problem("symlink", event.path, denial, place))
                        continue
                _record(result, blocked_seen, event, place, lambda path: _apache_covering(members, path, cover))
            _keep_census(result, census)
        if box.failure is not None:
            result.not_checked.append(NotCheckedPath(top, str(box.failure)))
    return _set_aside_sandboxed(result)


def apache_identity(fs, target, override: str | None):
    """Who Apache's children run as (confcheck.servers.apache.worker: the one answer `why` gives too)."""
    from confcheck.servers.apache.worker import apache_identity as identity_of
    return identity_of(fs, target.conf, override)

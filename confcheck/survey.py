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
    htaccess: list = field(default_factory=list)     # Apache: access files found (HtaccessFile)


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
                      verb: str, one: str, many: str, fix=None, server: str = "nginx") -> Finding:
    """One finding for a group of problems with the same cause.

    `one` says what the client gets for one path ("answered 403"), `many`
    the same for a group ("each is answered 403"). `fix`: the finding's fix
    (a rule computes it with confcheck.fixers.config.permission_fix_for).
    """
    group = sorted(group, key=lambda p: p.path)   # the example must not depend on disk order
    first = group[0]
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
        if first.need in ("x", "label") and not _under(first.path, place.directory):
            message = f"{detail}: every file under {served} is answered 403"
        elif server == "nginx" and first.need == "symlink" and (
                not _under(first.path, place.directory) or first.path == place.directory):
            # The link sits in the middle of every served path: nginx's openat()
            # of the next component fails with ENOTDIR (row 32), a 404; Apache
            # refuses it with 403 AH00037 like a file link.
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
                   span=first.anchor.span, server=server, fs_path=fs_path, fs_paths=fs_paths, fix=fix)


def _participle(verb: str) -> str:
    return {"enter": "entered", "read": "read", "list": "listed", "follow": "followed"}.get(verb, verb + "ed")


# -- Apache: what a configuration serves, and the walk of it -------------------------
#
# The Apache request model (confcheck/servers/apache) answers one request at a
# time; the survey needs the static half: which directories DocumentRoot,
# Alias/AliasMatch and UserDir put on the web, with the options in force at
# each (symlink policy, Indexes), the way core.c merges `<Directory>` sections
# (shortest path first, `<DirectoryMatch>` after them, main server before the
# virtual host). Rules that need per-request answers ask the model instead.

# Debian's build (`apache2 -V`: -D DOCUMENT_LOCATION); upstream compiles in
# /usr/local/apache2/htdocs.
APACHE_DEFAULT_DOCROOT = "/var/www/html"
OPT_INDEXES, OPT_SYM_LINKS, OPT_SYM_OWNER = 1, 2, 4
_OPTION_BITS = {"indexes": OPT_INDEXES, "followsymlinks": OPT_SYM_LINKS,
                "symlinksifownermatch": OPT_SYM_OWNER,
                "all": OPT_INDEXES | OPT_SYM_LINKS, "none": 0}


@dataclass(slots=True)
class DirSettings:
    """The core settings in force for one directory (no .htaccess applied)."""

    options: int = OPT_SYM_LINKS          # httpd 2.4 default: FollowSymLinks
    options_node: object = None
    override: frozenset | None = None     # AllowOverride classes; None: not set (default None)
    override_node: object = None
    access_file: str = ".htaccess"
    sections: list = field(default_factory=list)   # Sections applied, in merge order

    @property
    def overrides(self) -> bool:
        """httpd reads the access file only when some override is allowed."""
        return bool(self.override) or False

    def symlink_mode(self) -> str:
        """The matching nginx-style policy of confcheck.fs.access.SymlinkPolicy."""
        if self.options & OPT_SYM_LINKS:
            return "off"
        if self.options & OPT_SYM_OWNER:
            return "if_not_owner"
        return "on"


def apply_options(current: int, node) -> int:
    """One `Options` line merged onto what is inherited (core.c set_options)."""
    absolute = None
    add = remove = 0
    for word in node.values:
        sign = word[:1] if word[:1] in "+-" else ""
        bit = _OPTION_BITS.get(word[len(sign):].lower(), 0)
        if sign == "+":
            add |= bit
            remove &= ~bit
        elif sign == "-":
            remove |= bit
            add &= ~bit
        else:
            absolute = (absolute or 0) | bit
    base = current if absolute is None else absolute
    return (base | add) & ~remove


def _override_classes(node) -> frozenset:
    out: set[str] = set()
    for word in node.values:
        word = word.split("=", 1)[0].lower()
        if word == "all":
            out |= {"Limit", "Options", "FileInfo", "AuthConfig", "Indexes"}
        elif word != "none":
            out |= {c for c in ("Limit", "Options", "FileInfo", "AuthConfig", "Indexes") if c.lower() == word}
    return frozenset(out)


def apache_dir_sections(conf, server, directory: str) -> list:
    """The `<Directory>`/`<DirectoryMatch>` sections httpd applies to `directory`, in merge order."""
    from confcheck.servers.apache.conf import matches_path_pattern
    path = directory.rstrip("/") + "/"
    servers = [conf.main] if server is conf.main else [conf.main, server]
    plain, regex = [], []
    for srv in servers:
        for sec in srv.dirs:
            if sec.kind == "directory":
                if sec.pattern == "/" or any(matches_path_pattern(sec, prefix)
                                             for prefix in _dir_prefixes(path)):
                    plain.append(sec)
            elif sec.regex is not None and sec.regex.search(path):
                regex.append(sec)
    # shortest first; equal lengths keep config order (main before the vhost)
    plain.sort(key=lambda s: s.components)
    return plain + regex


def _dir_prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def apache_dir_settings(conf, server, directory: str) -> DirSettings:
    out = DirSettings()
    node = conf.server_value(server, "accessfilename")
    if node is not None and node.values:
        out.access_file = node.values[0]
    for sec in apache_dir_sections(conf, server, directory):
        out.sections.append(sec)
        for item in sec.directives():
            if item.key == "options":
                out.options = apply_options(out.options, item)
                out.options_node = item
            elif item.key == "allowoverride":
                out.override = _override_classes(item)
                out.override_node = item
    return out


@dataclass(slots=True)
class ApachePlace:
    """A directory requests reach through DocumentRoot, Alias or UserDir (nginx Place's shape)."""

    server: object                # confcheck.servers.apache.conf.Server
    directive: object             # DocumentRoot / Alias / AliasMatch / ScriptAlias / UserDir node (None: default)
    kind: str                     # docroot | alias | script | userdir | default
    directory: str
    url_prefix: str
    settings: DirSettings
    variable: bool = False        # AliasMatch with $n: only the fixed part is known

    @property
    def static(self) -> bool:
        return self.kind != "script"          # CGI programs are run, not read

    @property
    def anchor(self):
        return self.directive if self.directive is not None else self.server.node

    @property
    def autoindex(self) -> bool:
        return bool(self.settings.options & OPT_INDEXES)

    @property
    def autoindex_node(self):
        return self.settings.options_node if self.autoindex else None

    @property
    def symlinks(self):
        return SymlinkSettingLike(self.settings.symlink_mode(), self.directory)


@dataclass(frozen=True, slots=True)
class SymlinkSettingLike:
    mode: str
    from_: str | None


@dataclass(slots=True)
class ApacheServed:
    conf: object                  # confcheck.servers.apache.conf.ApacheConf
    places: list[ApachePlace] = field(default_factory=list)
    user: object = None           # `User` node (None: compiled default)
    group: object = None

    @property
    def servers(self) -> list:
        """The servers requests reach: the virtual hosts, or the main server when there are none."""
        return list(self.conf.vhosts) or [self.conf.main]


def _default_docroot(server_root: str) -> str:
    """The compiled-in DocumentRoot: distribution builds use /var/www/html; a source
    build (ServerRoot /usr/local/apache2, the Docker image) uses PREFIX/htdocs."""
    if server_root.startswith("/usr/local/") or server_root.startswith("/opt/"):
        return posixpath.join(server_root, "htdocs")
    return APACHE_DEFAULT_DOCROOT


def _norm_dir(path: str) -> str:
    return posixpath.normpath(path) if path.startswith("/") else path


def apache_served(conf, server_root: str, fs=None) -> ApacheServed:
    """DocumentRoot, Alias targets and UserDir directories of every server, with their settings."""
    served = ApacheServed(conf, user=conf.main.last("user"), group=conf.main.last("group"))
    seen: set[tuple[int, str, str]] = set()

    def add(server, node, kind, directory, url, variable=False):
        directory = _norm_dir(directory if directory.startswith("/")
                              else posixpath.join(server_root, directory))
        key = (id(server), directory, url)
        if key in seen:
            return
        seen.add(key)
        served.places.append(ApachePlace(server, node, kind, directory, url,
                                         apache_dir_settings(conf, server, directory), variable))

    for server in served.servers:
        node = conf.server_value(server, "documentroot")
        if node is not None and node.values:
            add(server, node, "docroot", node.values[0], "/")
        else:
            add(server, None, "default", _default_docroot(server_root), "/")
        for holder in ([conf.main, server] if server is not conf.main else [conf.main]):
            for item in holder.scope:
                values = item.values
                if item.key in ("alias", "scriptalias") and len(values) >= 2:
                    add(server, item, "alias" if item.key == "alias" else "script", values[1], values[0])
                elif item.key in ("aliasmatch", "scriptaliasmatch") and len(values) >= 2:
                    fixed = values[1].split("$", 1)[0]
                    fixed = fixed if fixed.endswith("/") or "$" not in values[1] else posixpath.dirname(fixed)
                    if fixed.startswith("/"):
                        add(server, item, "alias" if item.key == "aliasmatch" else "script",
                            fixed, values[0], variable="$" in values[1])
        if "userdir_module" in conf.modules and fs is not None:
            for node, directory, url in _userdirs(conf, server, fs):
                add(server, node, "userdir", directory, url)
    return served


def _userdirs(conf, server, fs):
    """(UserDir node, directory, /~user/) for each user whose UserDir directory exists."""
    nodes = [n for holder in ([conf.main, server] if server is not conf.main else [conf.main])
             for n in holder.all("userdir")]
    enabled = [n for n in nodes if n.values and n.values[0].lower() not in ("disabled", "enabled")]
    if not enabled:
        return
    disabled_all = any(n.values == ["disabled"] or [v.lower() for v in n.values] == ["disabled"] for n in nodes)
    allowed = {u for n in nodes if n.values[:1] and n.values[0].lower() == "enabled" for u in n.values[1:]}
    refused = {u for n in nodes if n.values[:1] and n.values[0].lower() == "disabled" for u in n.values[1:]}
    data = fs.read_bytes("/etc/passwd") or b""
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        fields = line.split(":")
        if len(fields) < 7 or not fields[5].startswith("/"):
            continue
        user, home = fields[0], fields[5]
        if user in refused or (disabled_all and user not in allowed):
            continue
        node = enabled[-1]
        pattern = node.values[0]
        if pattern.startswith("/"):
            directory = pattern.replace("*", user) if "*" in pattern else posixpath.join(pattern, user)
        else:
            directory = posixpath.join(home, pattern)
        try:
            if fs.lstat(directory) is None:
                continue
        except NotChecked:
            continue
        yield node, directory, f"/~{user}/"


@dataclass(slots=True)
class HtaccessFile:
    path: str                 # the access file on disk
    place: ApachePlace        # the served place it was found under
    event: object             # the walk event (its meta and the worker's verdict)
    loaded: object = None     # analyzers/apache: the file read once per scan


def survey_apache(ctx, target) -> Survey:
    """The walk of every tree an Apache configuration serves, as its worker.

    Problems have the nginx survey's shape, so FS101-FS108 read them alike.
    Apache differences: the access file (.htaccess) is never served, so it is
    collected in `htaccess` for the APA rules rather than reported as an
    unreadable file; a missing DocumentRoot is APA102's (Apache answers 403 or
    404 depending on the grant, not nginx's plain 404).
    """
    from confcheck.engine import NotCheckedPath
    from confcheck.fs.access import Checker
    from confcheck.fs.walk import ENTRY, NOT_CHECKED, walk_tree
    from confcheck.servers.nginx.worker import IdentityProblem

    result = Survey()
    identity = ctx.identity(target)
    if ctx.fs is None or isinstance(identity, IdentityProblem) or target.served is None:
        return result
    places = target.served.places
    for tree in ctx.trees:
        if not any(_under(tree, p.directory) or _under(p.directory, tree) for p in places if p.static):
            result.not_checked.append(NotCheckedPath(tree, "no DocumentRoot or Alias in the configuration serves it"))
    for place in places:
        if place.static and place.variable:
            result.not_checked.append(NotCheckedPath(
                place.directory, f"{place.anchor.name} {place.anchor.args[0].raw if place.anchor.args else ''} "
                "uses $n: only the fixed part of the path is known"))
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
                continue
            if posixpath.basename(event.path) == place.settings.access_file and event.path != top:
                result.htaccess.append(HtaccessFile(event.path, place, event))
                if event.blocked is None:
                    continue        # its own verdict is APA116's, not "a file that cannot be served"
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


def apache_identity(fs, target, override: str | None):
    """Who Apache's children run as: `User`/`Group` of the main server (Debian: from envvars).

    Without `User` httpd keeps its compiled default `#-1` (uid 4294967295),
    an id no file belongs to, so only the 'other' bits count. A `${VAR}` left
    unresolved (no envvars next to apache2.conf) stops httpd at start-up
    (AH00111 then "bad user name").
    """
    from confcheck.fs.identity import UnknownUser, resolve_identity
    from confcheck.fs.model import Identity
    from confcheck.servers.nginx.worker import IdentityProblem

    if override:
        return resolve_identity(fs, override, None)
    served = target.served
    user, group = served.user, served.group
    if user is None or not user.values:
        return Identity(user="#-1", uid=0xFFFFFFFF, gid=0xFFFFFFFF, groups=frozenset(),
                        source="Apache compiled default (no User directive)")
    for node in (user, group):
        if node is not None and node.values and "${" in node.values[0]:
            return IdentityProblem(f"{node.name} {node.values[0]}: the variable is not defined "
                                   "(Debian sets it in /etc/apache2/envvars)", node)
    try:
        return resolve_identity(fs, user.values[0], group.values[0] if group is not None and group.values else None,
                                source=f"User at {user.file}:{user.line}")
    except UnknownUser as exc:
        return IdentityProblem(str(exc), group if "group" in str(exc) else user)

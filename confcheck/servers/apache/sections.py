"""The per-request merge: ap_directory_walk, ap_file_walk, ap_location_walk,
ap_if_walk (server/request.c), in that order.

Directory walk, component by component from `/`:
* `<Directory>` sections (sorted: fewest slashes first, config order within)
  are applied to each directory that is reached, then that directory's
  .htaccess (when AllowOverride allows one). A directory that does not exist
  is never reached, so its `<Directory>` never applies (a missing
  DocumentRoot stays under `<Directory />`: server-behavior.md rows 38/39).
* every component is lstat()ed unless the whole path stat()ed fine and
  FollowSymLinks (without SymLinksIfOwnerMatch) is in force: EACCES is 403
  AH00035, a symlink refused by the options or dangling is 403 AH00037.
* `<DirectoryMatch>` after the walk, against the file name; then `<Files>`
  against the last component; then `<Location>` against the URI (config
  order); then `<If>`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from confcheck.servers.apache import htaccess as htaccess_mod
from confcheck.servers.apache.conf import Section, matches_path_pattern
from confcheck.servers.outcome import rule_of
from confcheck.servers.apache.perdir import (OPT_SYM_LINKS, OPT_SYM_OWNER, DirConf, DirectiveError,
                                             merge, read_layer, walk_end, walk_start)


class WalkStop(Exception):
    """The walk itself ends the request (403 AH00035/AH00037/AH00529, 500 .htaccess)."""

    def __init__(self, status: int | None, reason: str, node=None, fs_path: str | None = None,
                 rule: str | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.node, self.fs_path, self.rule = status, reason, node, fs_path, rule


@dataclass
class WalkResult:
    conf: DirConf
    filename: str          # r->filename after the walk (the part that exists, or the first missing part)
    path_info: str
    meta: object | None    # what the file name is (after symlinks), None when it does not exist


def apply(st, conf: DirConf, section: Section, directory: str | None, *, htaccess: bool = False) -> DirConf:
    try:
        layer = read_layer(section, directory, htaccess=htaccess, override_opts=conf.override_opts,
                           modules=st.model.conf.modules)
    except DirectiveError as exc:
        if htaccess:
            raise WalkStop(500, f"{section.pattern}: {exc.message}", exc.node, section.pattern,
                           "APA112" if "not allowed here" in exc.message else "APA113") from None
        raise WalkStop(500, f"{section.describe()}: {exc.message} (httpd refuses this configuration)",
                       exc.node, None, "APA-config") from None
    st.step("section", f"applied {section.describe()}", section.node)
    return merge(conf, layer, section.describe())


def directory_walk(st, conf: DirConf, filename: str) -> WalkResult:
    model = st.model
    checker = model.checker
    fs = model.fs
    conf = walk_start(conf)
    trailing = filename.endswith("/") and filename != "/"
    clean = posixpath.normpath(filename) if filename != "/" else "/"
    first = checker.check(clean, "stat")
    finfo = first.meta if first.ok else None
    if finfo is not None and trailing and finfo.kind != "dir":
        finfo = None
    parts = [p for p in clean.split("/") if p]
    sections = st.dir_sections
    plain = [s for s in sections if s.kind == "directory"]
    regexes = [s for s in sections if s.kind == "directorymatch"]
    idx = 0
    seg = 1
    current = "/"
    i = 0
    walked_meta = None
    missing = False
    while True:
        dirpath = current if current.endswith("/") else current + "/"
        conf, idx = apply_directory_sections(st, conf, plain, idx, seg, dirpath)
        if conf.override or conf.override_list:
            conf = _htaccess(st, conf, dirpath)
        if i >= len(parts):
            break
        name = parts[i]
        i += 1
        following = dirpath + name
        if finfo is not None and (conf.opts & (OPT_SYM_OWNER | OPT_SYM_LINKS)) == OPT_SYM_LINKS:
            current = following
            seg += 1
            continue
        parent = checker.check(dirpath.rstrip("/") or "/", "search")
        if parent.not_checked is not None:
            # what the walk cannot see decides the request: no answer (never "missing")
            raise WalkStop(None, f"{dirpath}: {parent.not_checked.reason} (the scanner cannot look)",
                           st.docroot_node, dirpath)
        if not parent.ok:
            denial = parent.denial
            if denial.need == "missing":
                missing = True
                current = following
                break
            raise WalkStop(403, f"AH00035: access to {st.uri} denied (filesystem path '{following}') because "
                                f"search permissions are missing on a component of the path: {denial.detail}",
                           st.docroot_node, denial.path, rule_of(denial, "FS101" if denial.need == "x" else "FS108"))
        real = (parent.resolved or dirpath).rstrip("/") + "/" + name
        try:
            meta = fs.lstat(real)
        except Exception as exc:  # noqa: BLE001 - NotChecked: the scanner cannot look
            raise WalkStop(None, f"{real}: {getattr(exc, 'reason', exc)} (the scanner cannot look)",
                           st.docroot_node, real) from exc
        current = following
        if meta is None:
            missing = True
            break
        if meta.kind == "link":
            meta = _resolve_symlink(st, conf, following, meta)
        if meta.kind == "file":
            walked_meta = meta
            break
        if meta.kind != "dir":
            raise WalkStop(403, f"AH00038: Forbidden: {following} doesn't point to a file or directory",
                           st.docroot_node, following, None)
        walked_meta = meta
        seg += 1
    rest = parts[i:]
    path_info = ("/" + "/".join(rest)) if rest else ""
    # "/index.html/": the walk stops at the file and the trailing slash is its
    # path info (request.c keeps what follows the file), so the default handler
    # answers 404 unless AcceptPathInfo On
    # a missing last name keeps its slash as path info too ("/nothing.html/": the file is nothing.html)
    if trailing and (rest or missing or walked_meta is not None and walked_meta.kind == "file"):
        path_info += "/"
    name = current
    if trailing and not rest and not missing and (finfo is not None and finfo.kind == "dir" or walked_meta is not None
                                                  and walked_meta.kind == "dir"):
        name = current.rstrip("/") + "/"
    meta = finfo if finfo is not None else (None if missing else walked_meta)
    if finfo is not None and path_info:
        meta = walked_meta
    for sec in regexes:
        if sec.regex.search(name):
            conf = apply(st, conf, sec, None)
    return WalkResult(walk_end(conf), name, path_info, meta)


def walk_cache_key(walk: WalkResult) -> str:
    """What ap_directory_walk leaves in its walk cache (cache->cached): a directory's own
    name as walked, else the directory part of the file name (up to its last '/')."""
    if walk.meta is not None and walk.meta.kind == "dir":
        return walk.filename
    return walk.filename[: walk.filename.rfind("/") + 1]


def cached_walk(st, cache: tuple[str, DirConf], filename: str) -> WalkResult | None:
    """ap_directory_walk's walk cache: a subrequest or an internal redirect starts from the
    walk of the request it came from (prep_walk_cache), and when its file name stat()s as a
    regular file in that cached directory, or as that directory itself, the sections are not
    walked again: the cached result is merged as it is. So a <Directory dir/*> that the walk
    applies to dir/file with FollowSymLinks (the file taken for a directory) is not applied to
    the DirectoryIndex subrequest of dir/, and no symlink check runs for the file."""
    key, conf = cache
    trailing = filename.endswith("/") and filename != "/"
    clean = posixpath.normpath(filename) if filename != "/" else "/"
    first = st.model.checker.check(clean, "stat")
    meta = first.meta if first.ok else None
    if meta is None or meta.kind not in ("file", "dir") or (trailing and meta.kind != "dir"):
        return None
    if meta.kind == "file":
        entry_dir = clean[: clean.rfind("/") + 1]
        name = clean
    else:
        name = clean.rstrip("/") + "/" if trailing else clean
        entry_dir = clean.rstrip("/") + "/"
    if entry_dir != key:
        return None
    st.step("section", f"the directory walk of {key} is reused (walk cache of the request this one came from)")
    if not conf.opts & OPT_SYM_LINKS and clean != "/":
        # the cached path still lstat()s the name itself when FollowSymLinks is off (AH00032)
        parent_dir, _, last = clean.rpartition("/")
        parent = st.model.checker.check(parent_dir or "/", "search")
        try:
            link = st.model.fs.lstat((parent.resolved or parent_dir or "").rstrip("/") + "/" + last)
        except Exception as exc:  # noqa: BLE001 - NotChecked: the scanner cannot look
            raise WalkStop(None, f"{clean}: {getattr(exc, 'reason', exc)} (the scanner cannot look)",
                           st.docroot_node, clean) from exc
        if link is not None and link.kind == "link":
            meta = _resolve_symlink(st, conf, clean, link, "AH00032")
    return WalkResult(conf, name, "", meta)


def apply_directory_sections(st, conf: DirConf, plain: list, idx: int, seg: int,
                             dirpath: str) -> tuple[DirConf, int]:
    """The `<Directory>` sections of depth `seg` that match `dirpath` (sorted list `plain`
    consumed from `idx`): one step of the walk, shared with the static merge (served.py)."""
    while idx < len(plain) and plain[idx].components <= seg:
        sec = plain[idx]
        idx += 1
        if sec.components and (sec.components < seg or not matches_path_pattern(sec, dirpath)):
            continue
        conf = apply(st, conf, sec, sec.pattern)
    return conf, idx


def _resolve_symlink(st, conf: DirConf, path: str, link, code: str = "AH00037"):
    opts = conf.opts
    node = conf.opts_node or st.docroot_node
    if not opts & (OPT_SYM_OWNER | OPT_SYM_LINKS):
        raise WalkStop(403, f"{code}: Symbolic link not allowed or link target not accessible: {path} "
                            "(Options has neither FollowSymLinks nor SymLinksIfOwnerMatch)",
                       node, path, "FS107")
    target = st.model.checker.check(path, "stat")
    if not target.ok or target.meta is None:
        detail = target.denial.detail if target.denial else "the target cannot be reached"
        raise WalkStop(403, f"{code}: Symbolic link not allowed or link target not accessible: {path} "
                            f"({detail})", node, path, "FS107")
    if opts & OPT_SYM_OWNER and target.meta.uid != link.uid:
        raise WalkStop(403, f"{code}: Symbolic link not allowed or link target not accessible: {path} "
                            f"(SymLinksIfOwnerMatch: the link's owner uid {link.uid} differs from the "
                            f"target's {target.meta.uid})", node, path, "FS107")
    return target.meta


def _htaccess(st, conf: DirConf, dirpath: str) -> DirConf:
    path = dirpath + st.model.access_name
    result = htaccess_mod.read(path, st.model, st.model.checker, conf.override or frozenset(),
                               conf.override_list)
    if result.unknown is not None:
        st.assume(f"{result.unknown}: taken as if there were no .htaccess")
        return conf
    if result.status is not None:
        st.step("htaccess", result.message, result.node)
        fs_path = result.fs_path if result.status == 403 else path
        raise WalkStop(result.status, result.message, result.node or conf.override_node,
                       fs_path, "APA116" if result.status == 403
                       else "APA112" if "not allowed here" in result.message else "APA113")
    if result.section is None:
        return conf
    return apply(st, conf, result.section, dirpath, htaccess=True)


def file_walk(st, conf: DirConf, filename: str) -> DirConf:
    test = filename.rsplit("/", 1)[-1]
    conf = walk_start(conf)
    done: set[int] = set()
    index = 0
    while index < len(conf.files):
        sec = conf.files[index]
        index += 1
        if id(sec) in done:
            continue
        done.add(id(sec))
        if matches_path_pattern(sec, test):
            conf = apply(st, conf, sec, None)
        else:
            st.step("section", f"skipped {sec.describe()}: does not match '{test}'", sec.node)
    return walk_end(conf)


def location_walk(st, conf: DirConf, uri: str) -> DirConf:
    conf = walk_start(conf)
    for sec in st.loc_sections:
        if location_matches(sec, uri):
            conf = apply(st, conf, sec, None)
    return walk_end(conf)


def location_matches(sec: Section, uri: str) -> bool:
    if sec.regex is not None:
        return sec.regex.search(uri) is not None
    pattern = sec.pattern
    if sec.wildcard:
        from confcheck.servers.apache.conf import fnmatch_regex
        return fnmatch_regex(pattern).match(uri) is not None
    if not uri.startswith(pattern):
        return False
    rest = uri[len(pattern):]
    return not rest or pattern.endswith("/") or rest.startswith("/")


def if_walk(st, conf: DirConf) -> DirConf:
    from confcheck.servers.apache.expr import evaluate
    conf = walk_start(conf)
    index = 0
    chain_done = False
    seen: set[int] = set()
    while index < len(conf.ifs):
        sec = conf.ifs[index]
        index += 1
        if id(sec) in seen:
            continue
        seen.add(id(sec))
        if sec.kind == "if":
            chain_done = False
        elif chain_done:
            st.step("section", f"skipped {sec.describe()}: an earlier branch applied", sec.node)
            continue
        if sec.kind == "else":
            value = True
        else:
            value = evaluate(sec.pattern, st)
            if value is None:
                st.assume(f"{sec.describe()}: the expression cannot be evaluated offline; taken as false")
                value = False
        if value:
            chain_done = True
            conf = apply(st, conf, sec, None)
        else:
            st.step("section", f"skipped {sec.describe()}: the expression is false", sec.node)
    return walk_end(conf)

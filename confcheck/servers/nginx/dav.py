"""ngx_http_dav_module: PUT, DELETE and MKCOL as nginx 1.22 answers them from the disk.

The handler runs in the content phase for the methods `dav_methods` names
(others are declined: the static module answers them). The system calls are
plain ones (stat, rename, unlink, mkdir: disable_symlinks does not govern them),
and their errors map to statuses as ngx_http_dav_error does: ENOENT/ENOTDIR the
method's "not found" (404, or 409 for MKCOL), EACCES/EPERM 403, EEXIST 405,
anything else 500. PUT writes the body to client_body_temp_path and renames it
into place: any failure there is a 500 (ngx_ext_rename_file). The temporary
directory is assumed writable unless the unit's sandbox mounts it read-only.
A directory the sandbox mounts read-only (ProtectSystem=, ReadOnlyPaths=, a
read-only bind) refuses every write with EROFS before the mode bits are asked
(the kernel's mnt_want_write): 500. COPY and MOVE (Destination, Overwrite, trees)
and DELETE of a directory (a recursive walk) are not modelled: unknown.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from confcheck.servers.outcome import Final

if TYPE_CHECKING:
    from confcheck.servers.nginx.decide import State

DAV_METHODS = frozenset({"PUT", "DELETE", "MKCOL", "COPY", "MOVE"})
DEBIAN_BODY_TEMP = "/var/lib/nginx/body"     # nginx -V: --http-client-body-temp-path (Debian 12)
INFINITY = "infinity"


def handle(state: "State") -> None:
    """Answer the request when dav_methods takes its method (raises Final), else return."""
    node = state.scope.last("dav_methods")
    method = state.request.method
    if node is None or method not in {v.upper() for v in node.values if v != "off"}:
        return
    from confcheck.servers.nginx.content_modules import unknown
    from confcheck.servers.nginx.decide import map_uri
    if state.model.fs is None:
        state.unknown.add("filesystem")
        raise Final(None, f"dav {method} depends on the disk; config-only answers do not read it", node)
    checker = state.model.plain_checker()
    if checker.enforcing or checker.confinement is not None:
        unknown(state, node, "SELinux or AppArmor decides whether the worker may write here "
                             "(not modelled for WebDAV)")
    path = map_uri(state, state.uri)
    if method == "PUT":
        _put(state, node, checker, path)
    if method in ("DELETE", "MKCOL") and _has_body(state.request):
        raise Final(415, f"{method} with body is unsupported", node)
    if method == "DELETE":
        _delete(state, node, checker, path)
    if method == "MKCOL":
        _mkcol(state, node, checker, path)
    unknown(state, node, f"{method} is answered by the WebDAV module from the Destination, Overwrite and Depth "
                         "headers and the trees involved (not modelled)")
    raise Final(None, f"dav {method}", node)


def _has_body(request) -> bool:
    length = request.header("content-length")
    return (length is not None and length.strip().isdigit() and int(length) > 0) or \
        "chunked" in (request.header("transfer-encoding") or "").lower()


def _lookup(checker, path: str):
    """(parent Access, the entry's lstat Meta or None, errno name or None) for `path`."""
    parent_path, name = posixpath.split(path.rstrip("/") or "/")
    parent = checker.check(parent_path or "/", "search")
    if parent.not_checked is not None:
        raise Final(None, f"{parent_path}: {parent.not_checked.reason} (the scanner cannot look)", None)
    if not parent.ok:
        denial = parent.denial
        if denial.need == "missing" and denial.meta is not None and denial.meta.kind != "dir":
            return parent, None, "ENOTDIR"
        return parent, None, {"missing": "ENOENT", "x": "EACCES", "label": "EACCES"}.get(denial.need, "EOTHER")
    meta = checker.fs.lstat(posixpath.join(parent.resolved, name))
    if meta is None:
        return parent, None, "ENOENT"
    if path.endswith("/") and meta.kind not in ("dir", "link"):
        return parent, meta, "ENOTDIR"
    return parent, meta, None


def _writable(checker, parent):
    """The Denial that stops adding or removing an entry of reached directory `parent` (w and x), or None.
    A directory the unit's sandbox mounts read-only refuses before the mode bits are asked (EROFS)."""
    from confcheck.fs.sandbox import read_only_denial
    return read_only_denial(checker.fs, parent.resolved, parent.meta) or \
        checker.own(parent.meta, "write", parent.resolved)


def _read_only_mount(checker, path: str):
    """The unit's mount making `path` read-only for the worker (fs.sandbox.Mount), or None."""
    read_only_at = getattr(checker.fs, "read_only_at", None)
    return read_only_at(path) if read_only_at is not None else None


def _read_only(denial, call: str, node) -> None:
    """EROFS from the unit's read-only mount: ngx_http_dav_error's "anything else", 500."""
    if denial is not None and denial.sandbox is not None and denial.need == "w":
        raise Final(500, f"{call} fails with EROFS: {denial.detail}", node, denial.path)


def _sticky_refuses(checker, parent, meta) -> bool:
    uid = checker.identity.uid
    return bool(parent.meta.mode & 0o1000) and uid != 0 and meta.uid != uid and parent.meta.uid != uid


def _put(state: "State", node, checker, path: str) -> None:
    if state.uri.endswith("/"):
        raise Final(409, "cannot PUT to a collection", node)
    if state.request.header("content-range") is not None:
        raise Final(501, "PUT with range is unsupported", node)
    target = checker.check(path, "stat")
    if target.not_checked is not None:
        raise Final(None, f"{path}: {target.not_checked.reason} (the scanner cannot look)", None, path)
    exists = target.ok
    if exists and target.meta.kind == "dir":
        raise Final(409, f"\"{path}\" could not be created: it is a directory (EISDIR)", node, path)
    status = 204 if exists else 201
    parent, meta, err = _lookup(checker, path)
    if err == "ENOENT" and not parent.ok:
        # rename() fails with ENOENT: create_full_put_path makes the directories first
        if state.scope.value("create_full_put_path", "off") != "on":
            raise Final(500, f"rename() to \"{path}\" fails: {parent.denial.detail} "
                        "(create_full_put_path is off)", node, parent.denial.path)
        base = _deepest_existing(checker, posixpath.dirname(path))
        if base is None or not base.ok or base.meta.kind != "dir" or _writable(checker, base):
            raise Final(500, f"create_full_put_path cannot create the directories of \"{path}\"", node,
                        base.path if base is not None else path)
        state.step("content", f"dav PUT: create_full_put_path creates the directories under {base.path}", node)
        raise Final(201, f"dav PUT creates {path}", node)
    if err is not None and not (err == "ENOENT" and parent.ok):      # a new name is what PUT makes
        raise Final(500, f"rename() to \"{path}\" fails ({err}: "
                    f"{parent.denial.detail if not parent.ok else path})", node,
                    parent.denial.path if not parent.ok else path, _rule(parent.denial) if not parent.ok else None)
    temp = state.scope.value("client_body_temp_path", DEBIAN_BODY_TEMP)
    mount = _read_only_mount(checker, temp)
    if mount is not None:
        # PUT always writes its body to a temporary file first (request_body_in_file_only)
        raise Final(500, f"the body cannot be written to {temp} (EROFS: {mount.note()})", node, temp)
    denial = _writable(checker, parent)
    _read_only(denial, f"rename() to \"{path}\"", node)
    if denial is not None:
        raise Final(500, f"rename() to \"{path}\" fails with EACCES: {denial.detail}", node, denial.path,
                    _rule(denial))
    if meta is not None and _sticky_refuses(checker, parent, meta):
        raise Final(500, f"rename() over \"{path}\" fails with EPERM: {parent.resolved} is sticky and the "
                    "worker owns neither it nor the file", node, path)
    state.step("content", f"dav PUT: the body is written to client_body_temp_path (assumed writable) "
               f"and renamed to {path}", node)
    raise Final(status, f"dav PUT {'replaces' if exists else 'creates'} {path}", node)


def _deepest_existing(checker, directory: str):
    while True:
        access = checker.check(directory or "/", "stat")
        if access.ok or access.not_checked is not None or access.denial.need != "missing":
            return access if access.not_checked is None else None
        if directory in ("", "/"):
            return None
        directory = posixpath.dirname(directory)


def _rule(denial) -> str | None:
    return {"x": "FS101", "label": "FS108"}.get(denial.need) if denial is not None else None


def _delete(state: "State", node, checker, path: str) -> None:
    uri = state.uri
    depth_min = state.scope.value("min_delete_depth", "0")
    if depth_min.isdigit() and int(depth_min) > 0:
        d, ok = 0, False
        for i, c in enumerate(uri):
            if c == "/":
                d += 1
                if d >= int(depth_min) and i + 1 < len(uri):
                    ok = True
                    break
        if not ok:
            raise Final(409, f"insufficient URI depth:{d} to DELETE (min_delete_depth {depth_min})",
                        state.scope.last("min_delete_depth"))
    parent, meta, err = _lookup(checker, path)
    if err is not None:
        status = {"ENOENT": 404, "ENOTDIR": 409, "EACCES": 403}.get(err, 500)
        denial = parent.denial if not parent.ok else None
        raise Final(status, f"lstat() of \"{path}\" fails ({err}"
                    + (f": {denial.detail})" if denial else ")"), node,
                    denial.path if denial else path, _rule(denial) if status == 403 else None)
    if meta.kind == "dir":
        depth = _depth(state.request, INFINITY)
        if not uri.endswith("/"):
            raise Final(409, f"DELETE \"{path}\" failed: it is a directory and the URI has no trailing slash",
                        node, path)
        if depth != INFINITY:
            raise Final(400, "\"Depth\" header must be infinity", node)
        from confcheck.servers.nginx.content_modules import unknown
        unknown(state, node, "DELETE of a directory removes its whole tree: each entry's permissions decide "
                             "(not modelled)")
        raise Final(204, f"dav DELETE removes the tree {path}", node)
    depth = _depth(state.request, "0")
    if depth not in ("0", INFINITY):
        raise Final(400, "\"Depth\" header must be 0 or infinity", node)
    denial = _writable(checker, parent)
    _read_only(denial, f"unlink() of \"{path}\"", node)
    if denial is not None:
        raise Final(403, f"unlink() of \"{path}\" fails with EACCES: {denial.detail}", node, denial.path,
                    _rule(denial))
    if _sticky_refuses(checker, parent, meta):
        raise Final(403, f"unlink() of \"{path}\" fails with EPERM: {parent.resolved} is sticky and the worker "
                    "owns neither it nor the file", node, path)
    raise Final(204, f"dav DELETE removes {path}", node)


def _depth(request, default: str) -> str:
    """ngx_http_dav_depth: no header is the caller's default (infinity for a directory, 0 for a file)."""
    value = request.header("depth")
    if value is None:
        return default
    return {"0": "0", "1": "1", "infinity": INFINITY}.get(value, "invalid")


def _mkcol(state: "State", node, checker, path: str) -> None:
    if not state.uri.endswith("/"):
        raise Final(409, "MKCOL can create a collection only (the URI must end in /)", node)
    parent, meta, err = _lookup(checker, path)
    if err is not None and not (err == "ENOENT" and parent.ok):
        status = {"ENOENT": 409, "ENOTDIR": 409, "EACCES": 403}.get(err, 500)
        denial = parent.denial if not parent.ok else None
        raise Final(status, f"mkdir() of \"{path}\" fails ({err}" + (f": {denial.detail})" if denial else ")"),
                    node, denial.path if denial else path, _rule(denial) if status == 403 else None)
    if meta is not None:
        raise Final(405, f"mkdir() of \"{path}\" fails: it exists (EEXIST)", node, path)
    denial = _writable(checker, parent)
    _read_only(denial, f"mkdir() of \"{path}\"", node)
    if denial is not None:
        raise Final(403, f"mkdir() of \"{path}\" fails with EACCES: {denial.detail}", node, denial.path,
                    _rule(denial))
    raise Final(201, f"dav MKCOL creates {path}", node)

"""Content handlers of Debian's nginx build beside the static/index modules.

nginx runs the content phase's handlers in the reverse of their registration:
random_index, index, autoindex, dav, gzip_static, static; a location's own
handler (flv, mp4, stub_status, empty_gif) comes before all of them. Each
function here raises Final when its module answers, and returns when it
declines (the next handler runs). Facts from nginx 1.22's
src/http/modules/ngx_http_{flv,mp4,gzip_static,random_index,stub_status,empty_gif}_module.c
and ngx_http_gzip_ok (ngx_http_core_module.c).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from confcheck.servers.nginx import conditional
from confcheck.servers.outcome import Final

if TYPE_CHECKING:
    from confcheck.servers.nginx.decide import State

GET_HEAD = ("GET", "HEAD")


def own_handler(state: "State", handler) -> None:
    """stub_status, empty_gif, flv and mp4: GET and HEAD only (405 otherwise)."""
    method = state.request.method
    if method not in GET_HEAD:
        raise Final(405, f"{handler.name} answers GET and HEAD only, not {method}", handler)
    if handler.key in ("flv", "mp4"):
        _media(state, handler)      # returns when it declines: the other handlers run
        return
    entity = conditional.Entity(conditional.GIF_TIME) if handler.key == "empty_gif" else conditional.NONE
    raise Final(200, f"{handler.name} answers the request", handler, entity=entity)


def _media(state: "State", handler) -> None:
    """flv/mp4: open the mapped file (the static module's errors), decline what is not a file."""
    from confcheck.servers.nginx.decide import _fs_final, map_uri
    if state.uri.endswith("/"):
        return
    path = map_uri(state, state.uri)
    access = _open(state, path, handler)
    if not access.ok:
        raise _fs_final(state, access, path)
    if access.meta.kind != "file":
        state.step("content", f"{handler.name}: {path} is not a regular file: the module declines", handler)
        return
    if handler.key == "mp4":
        cut = [k for k in ("start", "end") if _mp4_time(_arg(state.args, k)) is not None]
        if cut:
            # the sample tables of the file decide (a file that is no MP4 is a 500)
            unknown(state, handler, f"mp4 cuts the file at {'/'.join(cut)}=: the answer depends on its MP4 "
                                    "atoms, which the model does not read")
    raise Final(200, f"{handler.name} serves {path}", handler)


def _open(state: "State", path: str, node):
    access = state.model.checker(state.scope, state).check(path, "read") if state.model.fs is not None else None
    if access is None:
        state.unknown.add("filesystem")
        raise Final(None, f"{node.name} would open {path}; config-only answers do not read the disk", node)
    if access.not_checked is not None:
        raise Final(None, f"{path}: {access.not_checked.reason} (the scanner cannot look)", None, path)
    return access


def unknown(state: "State", node, why: str) -> None:
    """What `node` does here is outside the model: the answer becomes null naming it
    (the model's answer without it is kept beside)."""
    if state.not_modelled is None:
        state.not_modelled = (node, why)


def _arg(args: str, key: str) -> str | None:
    """ngx_http_arg: the first `key=` argument, the name compared without case."""
    for pair in args.split("&"):
        name, eq, value = pair.partition("=")
        if eq and name.lower() == key:
            return value
    return None


def _mp4_time(value: str | None) -> int | None:
    """ngx_http_mp4_atofp(value, 3): digits with at most one dot, else not a time."""
    if not value:
        return None
    whole, dot, frac = value.partition(".")
    if not (whole + frac).isdigit() or (dot and "." in frac) or not whole + frac:
        return None
    return int(whole or "0")


# -- gzip_static -------------------------------------------------------------

def gzip_static(state: "State", path: str) -> None:
    """Serve PATH.gz when the module is on and may (raises Final), else return."""
    scope = state.scope
    node = scope.last("gzip_static")
    mode = node.args[0].value if node is not None and node.args else "off"
    if mode == "off" or state.uri.endswith("/") or state.request.method not in GET_HEAD:
        return
    if mode == "on" and not _gzip_ok(state, node):
        state.step("content", "gzip_static on: the client does not accept gzip", node)
        return
    gz = path + ".gz"
    access = _open(state, gz, node)
    if not access.ok:
        # every error only makes the module decline (EACCES is logged)
        state.step("content", f"gzip_static: {gz} cannot be opened ({access.denial.detail}): the module declines",
                   node)
        return
    if access.meta.kind == "dir":
        return
    if access.meta.kind != "file":
        raise Final(404, f"gzip_static: \"{gz}\" is not a regular file", node, gz)
    raise Final(200, f"gzip_static {mode} serves {gz}", node, entity=conditional.file_entity(scope, access.meta, ranges=False))


def _gzip_ok(state: "State", node) -> bool:
    """ngx_http_gzip_ok for an HTTP/1.1 main request (raises Final(None) on what it cannot tell)."""
    request = state.request
    if state.subrequest:
        return False
    ae = request.header("accept-encoding")
    if ae is None or len(ae) < 4:
        return False
    if not (ae.startswith("gzip,") or accept_gzip(ae)):
        return False
    scope = state.scope
    if request.header("via") is not None:
        proxied = scope.last("gzip_proxied")
        values = proxied.values if proxied is not None else ["off"]
        if "off" in values:
            return False
        if "any" not in values:
            unknown(state, proxied, f"gzip_proxied {' '.join(values)} decides from the proxy's headers "
                                    "whether gzip_static may answer")
    disable = scope.last("gzip_disable")
    if disable is not None and request.header("user-agent") is not None:
        unknown(state, disable, "gzip_disable's regular expressions against User-Agent decide whether "
                                "gzip_static may answer")
    return True


def accept_gzip(value: str) -> bool:
    """ngx_http_gzip_accept_encoding: the first "gzip" at a token start, then its q."""
    lower, start = value.lower(), 0
    while True:
        p = lower.find("gzip", start)
        if p < 0:
            return False
        if p == 0 or value[p - 1] in ", ":
            break
        start = p + 4
    p += 4
    while p < len(value):
        c = value[p]
        p += 1
        if c == ",":
            return True
        if c == ";":
            break
        if c != " ":
            return False
    else:
        return True
    while p < len(value):
        c = value[p]
        p += 1
        if c in "qQ":
            break
        if c != " ":
            return False
    else:
        return True
    if p + 2 > len(value) or value[p] != "=":
        return False
    return _quantity(value[p + 1:]) != 0


def _quantity(text: str) -> int:
    """ngx_http_gzip_quantity: q in thousandths the way nginx adds it up (0 refuses)."""
    if not text or text[0] not in "01":
        return 0
    q = (ord(text[0]) - 48) * 100
    if len(text) == 1 or text[1] in ", ":
        return q
    if text[1] != ".":
        return 0
    n = 0
    for c in text[2:]:
        if c in ", ":
            break
        if not c.isdigit() or not c.isascii():
            return 0
        q += ord(c) - 48
        n += 1
    return 0 if q > 100 or n > 3 else q


# -- random_index ------------------------------------------------------------

def random_candidates(state: "State") -> list[str] | None:
    """random_index: the files it may pick for this directory URI (raises the
    opendir()/stat() errors); None when the module is off or declines this request."""
    from confcheck.servers.nginx.decide import map_uri
    node = state.scope.last("random_index")
    if node is None or node.values[:1] != ["on"] or state.request.method not in ("GET", "HEAD", "POST"):
        return None
    path = map_uri(state, state.uri)
    path = path[:-1] if path.endswith("/") and len(path) > 1 else path
    if state.model.fs is None:
        state.unknown.add("filesystem")
        raise Final(None, f"random_index would read {path}; config-only answers do not read the disk", node)
    # opendir() and stat() are plain calls: disable_symlinks does not apply to them.
    # opendir() needs r on the directory; stat() of an entry (links only: d_type
    # tells files apart) needs its x.
    checker = state.model.plain_checker()
    access = checker.check(path, "read")
    if access.not_checked is not None:
        raise Final(None, f"{path}: {access.not_checked.reason} (the scanner cannot look)", None, path)
    if access.ok and access.meta.kind != "dir":
        raise Final(404, f"random_index: opendir() of {path} fails: not a directory (ENOTDIR)", node, path)
    if not access.ok:
        need = access.denial.need
        status = {"missing": 404, "x": 403, "r": 403, "label": 403}.get(need, 500)
        raise Final(status, f"random_index: opendir() of {path} fails: {access.denial.detail}", node,
                    access.denial.path, {"r": "FS103", "x": "FS101", "label": "FS108"}.get(need))
    unsearchable = checker.own(access.meta, "search", access.resolved)
    names = []
    try:
        entries = sorted(state.model.fs.scandir(access.resolved or path), key=lambda m: m.path)
    except Exception as exc:  # noqa: BLE001 - the scanner could not list it
        raise Final(None, f"random_index: {path} cannot be listed by the scanner ({exc})", node, path) from None
    for meta in entries:
        name = meta.path.rsplit("/", 1)[-1]
        if name.startswith("."):
            continue
        if meta.kind == "link":
            # d_type DT_LNK: stat() follows it; a dangling link is skipped, any other error is a 500
            if unsearchable is not None:
                raise Final(500, f"random_index: stat() of {path}/{name} fails ({unsearchable.detail})",
                            node, unsearchable.path)
            target = checker.check(f"{path}/{name}", "stat")
            if target.not_checked is not None:
                raise Final(None, f"{path}/{name}: {target.not_checked.reason} (the scanner cannot look)", None)
            if not target.ok:
                if target.denial.need == "missing":
                    continue
                raise Final(500, f"random_index: stat() of {path}/{name} fails ({target.denial.detail})",
                            node, target.denial.path)
            if target.meta.kind == "file":
                names.append(name)
        elif meta.kind == "file":
            names.append(name)
    return names

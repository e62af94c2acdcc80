"""Fixes in php-fpm pool files: span edits of one entry's value, or new entries inserted
after the line they belong with (the file's newline kept), as a reviewable patch."""

from __future__ import annotations

import posixpath

from .config import SAFE, UNSAFE, checked_fix
from .diff import patch_base
from .edits import Edit


def _line_end(source, offset: int) -> int:
    end = source.data.find(b"\n", offset)
    end = len(source.data) if end == -1 else end
    return end - 1 if end > 0 and source.data[end - 1:end] == b"\r" else end


def set_entry(pool, key: str, value: str, after: str = "listen") -> Edit:
    """`key = value` in `pool`: its value replaced where the entry is, else a new line after
    the `after` entry (or the pool's [section])."""
    entry = pool.entry(key)
    if entry is not None:
        span = entry.value_span
        return Edit(span.source, span.start, span.end, value.encode())
    anchor = pool.entry(after)
    span = anchor.span if anchor is not None else pool.section.span
    source = span.source
    at = _line_end(source, span.end)
    return Edit(source, at, at, (source.newline + f"{key} = {value}").encode())


def _fix(ctx, edits: list[Edit], title: str, applicability: str):
    paths = [sf.realpath for t in ctx.targets() for sf in t.config.files.values()]
    paths += [e.source.realpath for e in edits]
    return checked_fix(edits, patch_base(paths, getattr(ctx.options, "root", None)), title, applicability)


def extension_of(script: str) -> str | None:
    """`.html` of /srv/a/page.html; None for a name without one."""
    name = posixpath.basename(script)
    return name[name.rfind("."):] if "." in name[1:] else None


def extension_fix(ctx, pool, scripts: list[str]):
    """security.limit_extensions with the refused scripts' extensions added (unsafe: php-fpm
    then executes every such file it is handed)."""
    exts = []
    for script in scripts:
        ext = extension_of(script)
        if ext is None:
            return None         # a name without an extension: no list lets it through
        if ext not in exts and ext not in pool.limit_extensions:
            exts.append(ext)
    if not exts:
        return None
    value = " ".join(list(pool.limit_extensions) + exts)
    return _fix(ctx, [set_entry(pool, "security.limit_extensions", value)],
                f"let pool [{pool.name}] run {' '.join(exts)} scripts (security.limit_extensions = {value})", UNSAFE)


def socket_fix(ctx, pool, worker, socket: str):
    """The socket php-fpm creates made connectable by the web worker: its user added to
    listen.acl_users when the pool uses ACLs, else listen.owner/listen.group set to the
    worker's user and group with listen.mode 0660. None when a folder above it is at fault."""
    if worker is None or socket is None or pool.listen is None or pool.listen.unix != socket:
        return None     # a TCP connection php-fpm refuses (listen.allowed_clients) has no socket to open
    users = (pool.value("listen.acl_users") or "").replace(",", " ").split()
    if users or pool.value("listen.acl_groups"):
        edits = [set_entry(pool, "listen.acl_users", ",".join(users + [worker.user]))]
        title = f"add {worker.user} to listen.acl_users of pool [{pool.name}]"
    else:
        group = worker.group_name or worker.user
        edits = [set_entry(pool, "listen.owner", worker.user), set_entry(pool, "listen.group", group),
                 set_entry(pool, "listen.mode", "0660")]
        title = f"let {worker.user} connect to pool [{pool.name}]'s socket (listen.owner/group {worker.user}:{group}, 0660)"
    edits = _merge(edits)
    return _fix(ctx, edits, title, SAFE)


def _merge(edits: list[Edit]) -> list[Edit]:
    """Insertions at one offset made into one edit (in order)."""
    out: list[Edit] = []
    for edit in edits:
        last = out[-1] if out else None
        if last is not None and last.source is edit.source and last.start == last.end == edit.start == edit.end:
            out[-1] = Edit(edit.source, edit.start, edit.end, last.replacement + edit.replacement)
        else:
            out.append(edit)
    return out


def read_fix(ctx, pool, path: str, want: str):
    """The least permission change that lets the pool's user search `path` (a folder) or
    read it (a script): read and search only, never write (the code stays PHP-proof)."""
    from confcheck.fs.access import Checker
    from confcheck.fs.identity import IdentityError, resolve_identity

    from .config import _accounts, plan_fix

    if ctx.fs is None:
        return None
    try:
        identity = resolve_identity(ctx.fs, pool.user or "", pool.group, source=f"php-fpm pool [{pool.name}]")
    except IdentityError:
        return None
    access = Checker(ctx.fs, identity).check(path, want)
    if access.ok or access.denial is None:
        return None
    return plan_fix([access], identity, _accounts(ctx), ctx.fs)


def write_fix(ctx, pool, identity, folder: str):
    """Write for the pool's user on `folder`, which the pool names for uploads, sessions or
    temporary files (and search on it where refused): a guarded permission script for that
    user alone. Never on the code: a folder holding scripts the pool would run gets advice only."""
    from confcheck.findings import Fix
    from confcheck.fs.access import Checker

    from .config import _accounts, plan_fix
    from .permissions import DISPLAY, Want

    if ctx.fs is None:
        return None
    checker = Checker(ctx.fs, identity)
    items: list = []
    reach = checker.check(folder, "search")
    if not reach.ok:
        if reach.denial is None or reach.denial.need != "x":
            return None         # missing, a link, a label: no permission change makes it a folder
        items.append(reach)
    meta = ctx.fs.lstat(folder)
    if meta is None or meta.kind != "dir":
        return None
    code = _code_in(ctx.fs, folder, pool)
    if code is not None:
        return Fix(applicability=DISPLAY, commands=[],
                   title=f"{folder} holds PHP code ({posixpath.basename(code)}): not made writable for "
                         f"{identity.user}; name a folder of its own for uploads and sessions")
    denial = checker.writable(meta, folder)
    if denial is not None:
        items.append(Want(denial, "w", write=True))
    return plan_fix(items, identity, _accounts(ctx), ctx.fs) if items else None


def _code_in(fs, folder: str, pool) -> str | None:
    """A file directly in `folder` whose name the pool would run as PHP, or None."""
    extensions = tuple(pool.limit_extensions) or DEFAULT_CODE
    try:
        for meta in fs.scandir(folder):
            if meta.kind == "file" and posixpath.basename(meta.path).endswith(extensions + DEFAULT_CODE):
                return meta.path
    except Exception:  # noqa: BLE001 - a folder the scanner cannot list: not known to be free of code
        return folder
    return None


DEFAULT_CODE = (".php", ".phar")

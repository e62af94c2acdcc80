"""FS109: the worker's systemd sandbox hides what the configuration serves."""

from __future__ import annotations

import posixpath

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Reads the systemd unit that starts the server (the vendor unit, then its drop-ins "
         "in the order systemd applies them) and finds served directories that the unit's "
         "mount namespace hides from the worker: `ProtectHome=yes` (inaccessible, mode 000), "
         "`ProtectHome=tmpfs` and `TemporaryFileSystem=` (empty), `InaccessiblePaths=`, "
         "`PrivateTmp=yes` (a private, empty /tmp and /var/tmp).",
    why="`namei -l` and `sudo -u www-data cat` run outside the service's namespace and say the "
        "file is readable, yet inside it `/home` is an empty directory with mode 000: nginx logs "
        "`(13: Permission denied)` and answers 403 (an empty tmpfs gives `(2: No such file or "
        "directory)`, 404). The finding names the unit line (file:line:column) that did it.",
    example="# /etc/systemd/system/nginx.service.d/harden.conf\n[Service]\nProtectHome=yes\n"
            "# nginx.conf\nroot /home/alice/public_html;",
    fixed="# /etc/systemd/system/nginx.service.d/zz-confcheck.conf (a new drop-in)\n[Service]\n"
          "ProtectHome=tmpfs\nBindReadOnlyPaths=/home/alice/public_html",
    fix_safety="Display only: the drop-in is shown as a new-file diff for review; the vendor unit "
               "is never edited. Only the served directory becomes visible, read-only; other homes "
               "stay hidden. Run `systemctl daemon-reload` and restart the service after adding it.",
    references=("https://www.freedesktop.org/software/systemd/man/systemd.exec.html#ProtectHome=",
                "https://www.freedesktop.org/software/systemd/man/systemd.exec.html#ReadWritePaths=",
                "https://www.freedesktop.org/software/systemd/man/systemd.unit.html"),
)


@rule(id="FS109", name="sandbox-hides-served-files", severity="error", server="any", needs_fs=True,
      fixable=True, summary="the server's systemd sandbox hides a served directory from the worker", doc=DOC)
def check(ctx):
    from confcheck.analyzers.fs._answer import answered
    from confcheck.fixers.unit_dropin import dropin_fix
    yield from _php_fpm(ctx)
    for target in ctx.targets():
        box = ctx.sandbox(target)
        if box is None:
            continue
        groups: dict[tuple, list] = {}
        for problem in ctx.survey(target).sandboxed:
            groups.setdefault((id(problem.anchor), problem.denial.sandbox), []).append(problem)
        yield from _emptied(ctx, target, box, {key[0] for key in groups})
        for (_anchor, mount), problems in groups.items():
            problems.sort(key=lambda p: p.path)
            first = problems[0]
            place = first.place
            served = f"{place.anchor.name} {place.directory}"
            said = answered(ctx, target, first)     # a status only as decide() answers a named request
            yield Finding(
                rule="FS109", name="sandbox-hides-served-files", severity="error",
                message=(f"{served} is hidden from the {target.server} worker by its systemd sandbox: "
                         f"{first.denial.detail}: no file under it can be opened"
                         + (f"; {said}" if said else "")),
                span=place.anchor.span, server=target.server, fs_path=first.path,
                fix=dropin_fix(box, mount, place.directory))


def _emptied(ctx, target, box, reported: set):
    """Served directories that are themselves the mount point of an empty tmpfs: they
    exist (no walk problem), but every file in them is gone (404)."""
    from confcheck.analyzers.fs._answer import answered_in_place
    from confcheck.fixers.unit_dropin import dropin_fix
    fs = ctx.fs_for(target)
    empty_at = getattr(fs, "empty_mount_at", None)
    if empty_at is None:
        return
    places = target.served.places if target.server == "apache" else target.model.places
    for place in places:
        if not place.static or place.variable or id(place.anchor) in reported:
            continue
        mount = empty_at(place.directory)
        if mount is None:
            continue
        reported.add(id(place.anchor))
        said = answered_in_place(ctx, target, place, place.directory, True)
        yield Finding(
            rule="FS109", name="sandbox-hides-served-files", severity="error",
            message=(f"{place.anchor.name} {place.directory} is hidden from the {target.server} worker by its "
                     f"systemd sandbox ({mount.note()}): the worker sees it empty"
                     + (f"; {said}" if said else "")),
            span=place.anchor.span, server=target.server, fs_path=place.directory,
            fix=dropin_fix(box, mount, place.directory))


def _php_fpm(ctx):
    """Scripts and sockets php-fpm cannot reach because of its own unit's sandbox (or the web
    server's, for the socket): decide()'s answers that name the unit line (handoff.py)."""
    from confcheck.analyzers.php._common import of_rule, said
    from confcheck.fixers.unit_dropin import dropin_fix
    from confcheck.fs.sandbox import READ_ONLY
    groups: dict[tuple, list] = {}
    for answer in of_rule(ctx, "FS109"):
        groups.setdefault((answer.outcome.decided_by.pool, answer.outcome.fs_path), []).append(answer)
    for (pool, fs_path), found in groups.items():
        first = found[0]
        box, mount = _deciding_mount(ctx, first.target, pool, fs_path)
        folder = None
        if mount is not None:       # a read-only folder stops php-fpm creating its socket: that folder
            folder = (posixpath.dirname(fs_path) if mount.mode == READ_ONLY else
                      served_folder_near(ctx, first.target, mount.path))
        yield Finding(
            rule="FS109", name="sandbox-hides-served-files", severity="error",
            message=f"{said(first)}: {first.outcome.reason}" + (f" ({len(found)} requests)" if len(found) > 1 else ""),
            span=first.outcome.decided_by.span, server=first.target.server, fs_path=fs_path,
            fix=dropin_fix(box, mount, folder) if mount is not None and folder is not None else None)


def _deciding_mount(ctx, target, pool, path: str):
    """(Sandbox, Mount) of the unit line that keeps `path` away: php-fpm's unit first, then the web
    server's (a socket in its private /tmp)."""
    from confcheck.fs.sandbox import hiding_mount
    views = ctx.pool_views
    for box, fs in ((views.sandbox_of(pool), views.fs_of(pool)) if views is not None else (None, None),
                    (ctx.sandbox(target), ctx.fs_for(target))):
        mount = hiding_mount(fs, path) if box is not None else None
        if mount is not None:
            return box, mount
    return None, None


def served_folder_near(ctx, target, near: str) -> str | None:
    """The first folder the configuration serves under `near` (the drop-in binds it back) or
    holding it (a profile grants it)."""
    from confcheck.analyzers.php._common import _served_folders
    from confcheck.fs.sandbox import covers
    for server in ctx.request_model(target).http.servers:
        for folder, _prefix in _served_folders(server):
            if covers(folder, near) or covers(near, folder):
                return folder
    return None

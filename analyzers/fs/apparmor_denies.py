"""FS111: the worker's AppArmor profile refuses what the configuration serves."""

from __future__ import annotations

import posixpath

from confcheck.findings import Fix
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Reads the AppArmor profile that attaches to the server's binary (`/etc/apparmor.d`, "
         "with its includes, abstractions, variables and globbing) when it is in enforce mode, "
         "and finds served files and listed directories that no rule of the profile lets the "
         "worker read, or that a `deny` rule refuses. On a running host the kernel's loaded "
         "profiles decide (no AppArmor in the kernel: nothing is reported); under --root an "
         "enforce-mode profile that is not disabled is assumed loaded, and the finding says so.",
    why="AppArmor mediates every open() after the mode bits allowed it: `namei -l` and "
        "`sudo -u www-data cat` say the file is readable, yet the worker gets EACCES and the server "
        "logs `(13: Permission denied)` and answers 403. The kernel logs "
        "`apparmor=\"DENIED\" operation=\"open\" profile=...` (`confcheck explain` reads it).",
    example="# /etc/apparmor.d/usr.sbin.nginx\n/usr/sbin/nginx {\n  /var/www/** r,\n}\n"
            "# nginx.conf\nroot /srv/site;",
    fixed="# /etc/apparmor.d/local/usr.sbin.nginx (included by the profile)\n/srv/site/** r,",
    fix_safety="Display only: the rule is shown for review; confcheck never edits a profile. It grants "
               "read on the served directory only. Load it with `apparmor_parser -r` on the profile.",
    references=("https://manpages.debian.org/bookworm/apparmor/apparmor.d.5.en.html",
                "https://gitlab.com/apparmor/apparmor/-/wikis/QuickProfileLanguage"),
)


@rule(id="FS111", name="apparmor-denies-served-files", severity="error", server="any", needs_fs=True,
      fixable=True, summary="the worker's AppArmor profile refuses served files", doc=DOC)
def check(ctx):
    from confcheck.analyzers.fs._answer import answered
    from confcheck.survey import finding_for_group, group_problems
    yield from _php_fpm(ctx)
    for target in ctx.targets():
        confined = ctx.survey(target).confined
        for group in group_problems(confined):
            served = posixpath.commonpath([p.place.directory for p in group])
            yield finding_for_group("FS111", "apparmor-denies-served-files", "error", group,
                                    server=target.server, verb="read", one="it cannot be served",
                                    many="none of them can be served", answer=lambda p: answered(ctx, target, p),
                                    fix=profile_fix(group[0].denial.confinement, served))


def _php_fpm(ctx):
    """Scripts php-fpm's profile (or the child profile a pool's apparmor_hat names) refuses to
    the pool: decide()'s answers (handoff.py), one finding per pool and served folder."""
    from confcheck.analyzers.fs.sandbox_hides import served_folder_near
    from confcheck.analyzers.php._common import of_rule, said
    from confcheck.findings import Finding
    groups: dict[tuple, list] = {}
    for answer in of_rule(ctx, "FS111"):
        folder = served_folder_near(ctx, answer.target, answer.outcome.fs_path) or posixpath.dirname(
            answer.outcome.fs_path)
        groups.setdefault((answer.outcome.decided_by.pool, folder), []).append(answer)
    for (pool, folder), found in groups.items():
        first = found[0]
        confinement = getattr(ctx.pool_views.fs_of(pool), "confinement", None) if ctx.pool_views else None
        yield Finding("FS111", "apparmor-denies-served-files", "error",
                      f"{said(first)}: {first.outcome.reason}" + (f" ({len(found)} requests)" if len(found) > 1
                                                                   else ""),
                      first.outcome.decided_by.span, first.target.server, first.outcome.fs_path,
                      fix=profile_fix(confinement, folder) if confinement is not None else None)


def profile_fix(confinement, directory: str) -> Fix:
    """The profile rule that lets the worker read `directory` (display only)."""
    profile, file = confinement.profile, confinement.file
    grant = f"{directory.rstrip('/')}/** r,"
    if "//" in profile.name:        # a child profile (php-fpm's pools): its own block, no local include
        return Fix("display-only", f"add `{grant}` inside profile {profile.name} at "
                                   f"{confinement.server(profile.where)}, then `apparmor_parser -r` on the "
                                   "profile that includes it")
    local = posixpath.join(posixpath.dirname(file), "local", posixpath.basename(file))
    return Fix("display-only",
               f"add `{grant}` to {local} (or inside profile {profile.name} at "
               f"{confinement.server(profile.where)} if it has no local include), then `apparmor_parser -r "
               f"{file}`; a `deny` rule that matches still wins and must be narrowed")

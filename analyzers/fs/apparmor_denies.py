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
    for target in ctx.targets():
        confined = ctx.survey(target).confined
        for group in group_problems(confined):
            served = posixpath.commonpath([p.place.directory for p in group])
            yield finding_for_group("FS111", "apparmor-denies-served-files", "error", group,
                                    server=target.server, verb="read", one="it cannot be served",
                                    many="none of them can be served", answer=lambda p: answered(ctx, target, p),
                                    fix=profile_fix(group[0].denial.confinement, served))


def profile_fix(confinement, directory: str) -> Fix:
    """The profile rule that lets the worker read `directory` (display only)."""
    profile, file = confinement.profile, confinement.file
    grant = f"{directory.rstrip('/')}/** r,"
    local = posixpath.join(posixpath.dirname(file), "local", posixpath.basename(file))
    return Fix("display-only",
               f"add `{grant}` to {local} (or inside profile {profile.name} at "
               f"{confinement.server(profile.where)} if it has no local include), then `apparmor_parser -r "
               f"{file}`; a `deny` rule that matches still wins and must be narrowed")

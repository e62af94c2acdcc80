"""FS108: SELinux labels that httpd_t may not read while SELinux enforces."""

from __future__ import annotations

from confcheck.fixers.config import permission_fix_for
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds served paths whose SELinux type the web server domain (`httpd_t`, which nginx "
         "and Apache both run in) may not read or search, on a system where SELinux enforces.",
    why="Unix modes can be perfect and the kernel still refuses: the policy allows `httpd_t` to "
        "read `httpd_sys_content_t` and a few other types, not `default_t`, `var_t`, "
        "`user_home_t` (files moved with `mv` keep their old label). The server logs the same "
        "EACCES as for a mode problem; the audit log has the AVC denial.",
    example="root /web/site;   # ls -Z: unconfined_u:object_r:default_t:s0",
    fixed="semanage fcontext -a -t httpd_sys_content_t '/web/site(/.*)?' && restorecon -Rv /web/site",
    fix_safety="`restorecon` applies the labels the policy defines for those paths; prefer it to "
               "`chcon`, which a relabel undoes.",
    references=("https://man7.org/linux/man-pages/man8/restorecon.8.html",
                "https://linux.die.net/man/8/httpd_selinux"),
)


@rule(id="FS108", name="selinux-label", severity="error", server="any", needs_fs=True, fixable=True,
      summary="a served path has an SELinux label the web server may not read", doc=DOC)
def check(ctx):
    # needs_fs: never runs in --no-fs scans, which then skip loading the survey
    from confcheck.analyzers.fs._answer import answered
    from confcheck.survey import finding_for_group, group_problems
    for target in ctx.targets():
        survey = ctx.survey(target)
        for group in group_problems(p for p in survey.problems if p.need == "label"):
            yield finding_for_group("FS108", "selinux-label", "error", group,
                                    server=target.server, verb="read", one="it cannot be served",
                                    many="none of them can be served", answer=lambda p: answered(ctx, target, p),
                                    fix=permission_fix_for(ctx, target, group))

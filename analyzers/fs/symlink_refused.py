"""FS107: symlinks the server refuses (nginx disable_symlinks, Apache Options), and dangling ones Apache refuses."""

from __future__ import annotations

from confcheck.fixers.config import permission_fix_for
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds symbolic links inside served trees that the server's symlink policy refuses: "
         "nginx's `disable_symlinks on` (any link) or `if_not_owner` (link and target owned by "
         "different users); Apache's Options without `FollowSymLinks` (any link) or with "
         "`SymLinksIfOwnerMatch` (owners differ), and, on Apache, links that dangle.",
    why="nginx opens each path component with O_NOFOLLOW (or checks owners) and fails with "
        "ELOOP: a refused file link is answered 403 (`openat() \"...\" failed (40: Too many "
        "levels of symbolic links)`), also when the link dangles; a refused directory link in "
        "the middle of a path gives 404 (`(20: Not a directory)`). Apache checks each link "
        "against its Options and answers 403 (AH00037 \"Symbolic link not allowed or link target "
        "not accessible\"), for a dangling link too, even with FollowSymLinks on.",
    example="disable_symlinks on;   # /var/www/html/current -> /srv/releases/42",
    fixed="disable_symlinks if_not_owner;   # and chown -h deploy the link to match its target",
    fix_safety="Relaxing disable_symlinks lets links lead out of the served tree; prefer "
               "`if_not_owner` with matching owners, or `from=$document_root`.",
    references=("https://nginx.org/en/docs/http/ngx_http_core_module.html#disable_symlinks",
                "https://httpd.apache.org/docs/2.4/mod/core.html#options"),
)


@rule(id="FS107", name="symlink-refused", severity="error", server="any", needs_fs=True, fixable=True,
      summary="a symlink in a served tree is refused by the server's symlink policy", doc=DOC)
def check(ctx):
    # needs_fs: never runs in --no-fs scans, which then skip loading the survey
    from confcheck.analyzers.fs._answer import answered
    from confcheck.survey import finding_for_group, group_problems
    for target in ctx.targets():
        survey = ctx.survey(target)
        for group in group_problems(p for p in survey.problems if p.need == "symlink"):
            yield finding_for_group("FS107", "symlink-refused", "error", group,
                                    server=target.server, verb="follow", one="what it leads to cannot be served",
                                    many="what they lead to cannot be served", answer=lambda p: answered(ctx, target, p),
                                    fix=permission_fix_for(ctx, target, group))

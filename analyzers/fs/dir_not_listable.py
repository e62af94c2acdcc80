"""FS103: autoindex is on but the worker cannot read the directory."""

from __future__ import annotations

from confcheck.fixers.config import permission_fix_for
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds directories served with `autoindex on` that the worker can enter but not "
         "read, so it cannot list them.",
    why="Listing a directory needs `r` on it (entering it needs only `x`). nginx's autoindex "
        "module calls `opendir()`, which fails with EACCES: the listing is answered 403 "
        "(`opendir() \"...\" failed (13: Permission denied)`), while files inside still load.",
    example="location /files/ { autoindex on; }   # /srv/files is drwx--x--x root:root",
    fixed="chmod o+r /srv/files",
    fix_safety="Read permission on a directory reveals the names in it to the worker (and, "
               "for 'other', to every local user).",
    references=("https://nginx.org/en/docs/http/ngx_http_autoindex_module.html",),
)


@rule(id="FS103", name="dir-not-listable", severity="error", server="any", needs_fs=True, fixable=True,
      summary="a directory served with autoindex on is not readable by the worker", doc=DOC)
def check(ctx):
    # needs_fs: never runs in --no-fs scans, which then skip loading the survey
    from confcheck.analyzers.fs._answer import answered
    from confcheck.survey import finding_for_group, group_problems
    for target in ctx.targets():
        survey = ctx.survey(target)
        for group in group_problems(p for p in survey.problems if p.need == "list"):
            yield finding_for_group("FS103", "dir-not-listable", "error", group,
                                    server=target.server, verb="list", one="its autoindex listing cannot be made (files inside still load)",
                                    many="their autoindex listings cannot be made", answer=lambda p: answered(ctx, target, p),
                                    fix=permission_fix_for(ctx, target, group))

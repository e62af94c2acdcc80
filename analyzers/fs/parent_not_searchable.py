"""FS101: a directory the worker cannot enter stands between it and the files."""

from __future__ import annotations

from confcheck.fixers.config import permission_fix_for
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds directories on the way to served files that the worker process cannot "
         "search (no `x` for the class that applies to it): an ancestor of a `root` or "
         "`alias` directory, or a directory inside the served tree.",
    why="To open `/home/alice/site/index.html` the kernel checks search permission on `/`, "
        "`/home`, `/home/alice` and `/home/alice/site`. One directory without `x` for the "
        "worker makes every file below it answer 403, even files that do not exist "
        "(the server cannot tell), and nginx logs the same `(13: Permission denied)` as "
        "for an unreadable file. Only one permission class applies: the owner's bits if "
        "the worker owns the directory, else the group's if it is in the group, else "
        "other's.",
    example="root /home/alice/site;   # /home/alice is drwx------ alice:alice",
    fixed="chmod o+x /home/alice      # or: setfacl -m u:www-data:x /home/alice",
    fix_safety="Granting `x` lets the worker enter the directory, not list it; names of "
               "files inside become reachable if known. A named ACL entry limits that to "
               "the worker.",
    references=("https://nginx.org/en/docs/http/ngx_http_core_module.html#root",
                "https://man7.org/linux/man-pages/man7/path_resolution.7.html"),
)


@rule(id="FS101", name="parent-not-searchable", severity="error", server="any",
      needs_fs=True, fixable=True, summary="a directory on the way to served files is not searchable by the worker",
      doc=DOC)
def check(ctx):
    # needs_fs: never runs in --no-fs scans, which then skip loading the survey
    from confcheck.analyzers.fs._answer import answered
    from confcheck.survey import finding_for_group, group_problems
    for target in ctx.targets():
        survey = ctx.survey(target)
        for group in group_problems(p for p in survey.problems if p.need == "x"):
            yield finding_for_group("FS101", "parent-not-searchable", "error", group,
                                    server=target.server, verb="enter", one="no file under it can be opened",
                                    many="no file under them can be opened", answer=lambda p: answered(ctx, target, p),
                                    fix=permission_fix_for(ctx, target, group))

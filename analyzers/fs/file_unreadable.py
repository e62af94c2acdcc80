"""FS102: served files the worker cannot read."""

from __future__ import annotations

from confcheck.fixers.config import permission_fix_for
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds files under a served `root`/`alias` (index files included) that the worker "
         "process cannot open for reading.",
    why="nginx opens the file as the worker user; `open()` fails with EACCES and the client "
        "gets 403 (`open() \"...\" failed (13: Permission denied)`). Only one permission "
        "class applies: a file `0044` owned by www-data is unreadable to www-data even "
        "though 'other' may read it, and `0604 root:www-data` is unreadable to a worker in "
        "group www-data. With `try_files` a 0600 file is still a 403: try_files only stats it.",
    example="/var/www/html/index.html  -rw------- deploy:deploy",
    fixed="chmod o+r /var/www/html/index.html   # or chgrp www-data + chmod g+r",
    fix_safety="Making files readable to 'other' exposes them to every local user; a group "
               "or ACL grant limits it to the worker. Files meant to stay private (keys, .env) "
               "should instead be moved out of the served tree or denied in the config.",
    references=("https://nginx.org/en/docs/http/ngx_http_core_module.html#root",),
)


@rule(id="FS102", name="file-unreadable", severity="error", server="any", needs_fs=True, fixable=True,
      summary="a served file is not readable by the worker", doc=DOC)
def check(ctx):
    # needs_fs: never runs in --no-fs scans, which then skip loading the survey
    from confcheck.analyzers.fs._answer import answered, read_by_php_fpm
    from confcheck.survey import finding_for_group, group_problems
    for target in ctx.targets():
        survey = ctx.survey(target)
        problems = [p for p in survey.problems if p.need == "r" and not read_by_php_fpm(ctx, target, p)]
        for group in group_problems(problems):
            yield finding_for_group("FS102", "file-unreadable", "error", group,
                                    server=target.server, verb="read", one="it cannot be served",
                                    many="none of them can be served", answer=lambda p: answered(ctx, target, p),
                                    fix=permission_fix_for(ctx, target, group))

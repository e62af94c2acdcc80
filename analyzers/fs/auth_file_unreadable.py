"""FS105: an auth_basic_user_file the worker cannot read (500)."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.fixers.config import permission_fix_for
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds `auth_basic_user_file` password files that exist but the worker cannot open.",
    why="nginx opens the password file per request, as the worker, once the client sends "
        "credentials. Any error other than 'no such file' is a 500 (`[crit] open() \"...\" "
        "failed (13: Permission denied)`); before credentials are sent the client sees 401, "
        "so the site looks fine until someone logs in. This is a 500, not a 403.",
    example="auth_basic_user_file /etc/nginx/.htpasswd;   # -rw------- root:root",
    fixed="chgrp www-data /etc/nginx/.htpasswd && chmod 640 /etc/nginx/.htpasswd",
    fix_safety="Give the worker's group read access rather than 'other': the file holds password hashes.",
    references=("https://nginx.org/en/docs/http/ngx_http_auth_basic_module.html",),
)


@rule(id="FS105", name="auth-file-unreadable", severity="error", server="any", needs_fs=True, fixable=True,
      summary="an auth_basic_user_file is not readable by the worker (500)", doc=DOC)
def check(ctx):
    # needs_fs: never runs in --no-fs scans, which then skip loading the survey
    from confcheck.analyzers.fs._answer import answered_under
    from confcheck.survey import auth_file_problems
    for target in ctx.nginx:
        for auth, access in auth_file_problems(ctx, target):
            if access.denial is None or access.denial.need == "missing":
                continue
            said = answered_under(ctx, target, auth.node, access.denial.path, credentials=True)
            yield Finding(
                rule="FS105", name="auth-file-unreadable", severity="error",
                message=(f"{access.denial.detail}: the password file {auth.path} cannot be opened, "
                         "so no credentials can be checked" + (f"; {said}" if said else "")),
                span=auth.node.span, server="nginx", fs_path=access.denial.path,
                fix=permission_fix_for(ctx, target, [access], secret=True))

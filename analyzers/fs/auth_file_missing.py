"""FS106: an auth_basic_user_file that does not exist (403 once credentials are sent)."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import auth_file_missing_advice
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds `auth_basic_user_file` password files that do not exist.",
    why="nginx opens the password file only when a request carries credentials. Without "
        "them the client gets the usual 401 prompt; once the user types a password, the "
        "missing file makes every attempt a 403 (`open() \"...\" failed (2: No such file or "
        "directory)`), so no password ever works (observed with nginx 1.22).",
    example="auth_basic_user_file /etc/nginx/htpasswd/shop;   # never created",
    fixed="htpasswd -c /etc/nginx/htpasswd/shop alice",
    fix_safety="Display only: the passwords are the operator's to choose.",
    references=("https://nginx.org/en/docs/http/ngx_http_auth_basic_module.html",
                "https://github.com/nginx/nginx/issues/557"),
)


@rule(id="FS106", name="auth-file-missing", severity="error", server="any", needs_fs=True,
      summary="an auth_basic_user_file does not exist (every login attempt is answered 403)", doc=DOC)
def check(ctx):
    # needs_fs: never runs in --no-fs scans, which then skip loading the survey
    from confcheck.analyzers.fs._answer import answered_under
    from confcheck.survey import auth_file_problems
    for target in ctx.nginx:
        for auth, access in auth_file_problems(ctx, target):
            if access.denial is None or access.denial.need != "missing":
                continue
            said = answered_under(ctx, target, auth.node, access.denial.path, credentials=True)
            yield Finding(
                rule="FS106", name="auth-file-missing", severity="error",
                message=(f"the password file {auth.path} does not exist: the login prompt appears, "
                         "but no credentials can succeed" + (f"; {said}" if said else "")),
                span=auth.node.span, server="nginx", fs_path=access.denial.path,
                fix=auth_file_missing_advice(auth.path))

"""PHP103: the web worker may not connect to the pool's socket."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds php-fpm sockets (nginx's `fastcgi_pass unix:`, Apache's `SetHandler \"proxy:unix:...|fcgi://\"` "
         "or `ProxyPass[Match]`) that the web server's worker user may not connect to: no w on the socket as "
         "php-fpm creates it, or no x on a folder above it.",
    why="php-fpm creates the socket root-owned with mode 0660 unless `listen.owner`, "
        "`listen.group` and `listen.mode` say otherwise (or with ACL entries for "
        "`listen.acl_users`/`listen.acl_groups`, which make php-fpm ignore owner and group). "
        "nginx then logs `connect() to unix:... failed (13: Permission denied)` and answers 502; Apache "
        "logs AH02454/AH01079 and answers 503.",
    example="[www]\nlisten = /run/php/www.sock     ; no listen.owner: root:root 0660",
    fixed="listen.owner = www-data\nlisten.group = www-data\nlisten.mode = 0660",
    fix_safety="Only the web server's user (or group) gains the right to connect; the pool, its "
               "user and its scripts are unchanged. php-fpm must be restarted.",
    references=("https://www.php.net/manual/en/install.fpm.configuration.php",),
)


@rule(id="PHP103", name="socket-refused", severity="error", server="any", needs_fs=True, fixable=True,
      summary="the web worker may not connect to the php-fpm socket", doc=DOC)
def check(ctx):
    from confcheck.analyzers.php._common import of_rule, said
    from confcheck.fixers.phpfpm import socket_fix
    seen = set()
    for answer in of_rule(ctx, "PHP103"):
        cite = answer.outcome.decided_by
        key = (cite.pool.name, answer.outcome.fs_path)
        if key in seen:
            continue
        seen.add(key)
        identity = answer.worker
        yield Finding("PHP103", "socket-refused", "error",
                      f"{said(answer)}: {answer.outcome.reason}", cite.span, answer.server, answer.outcome.fs_path,
                      None, socket_fix(ctx, cite.pool, identity, answer.outcome.fs_path))

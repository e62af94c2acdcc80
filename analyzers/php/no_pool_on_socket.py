"""PHP104: fastcgi_pass (or Apache's proxy:unix: handler) names a socket no php-fpm pool listens on."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds `fastcgi_pass unix:PATH` (nginx) or `SetHandler \"proxy:unix:PATH|fcgi://...\"`, "
         "`ProxyPass[Match] ... unix:PATH|fcgi://...` (Apache) where no php-fpm pool read by the scan "
         "listens on PATH and no such socket exists.",
    why="nginx's connect() fails with `(2: No such file or directory)` and it answers 502; Apache "
        "logs AH02454 (`failed to make connection to backend`) and answers 503. "
        "Typical causes: a socket named for another PHP version (php8.1-fpm.sock after an "
        "upgrade to 8.2), or a pool renamed while nginx kept the old path.",
    example="fastcgi_pass unix:/run/php/php8.1-fpm.sock;   # the pool listens on php8.2-fpm.sock",
    fixed="fastcgi_pass unix:/run/php/php8.2-fpm.sock;",
    fix_safety="Pointing nginx at another pool runs the scripts as that pool's user.",
    references=("https://nginx.org/en/docs/http/ngx_http_fastcgi_module.html#fastcgi_pass",),
)


@rule(id="PHP104", name="no-pool-on-socket", severity="error", server="any", needs_fs=True,
      summary="no php-fpm pool listens on a fastcgi_pass / proxy:unix: socket", doc=DOC)
def check(ctx):
    from confcheck.analyzers.php._common import of_rule, said
    seen = set()
    for answer in of_rule(ctx, "PHP104"):
        node = answer.outcome.decided_by
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield Finding("PHP104", "no-pool-on-socket", "error", f"{said(answer)}: {answer.outcome.reason}",
                      node.span, answer.server, answer.outcome.fs_path)

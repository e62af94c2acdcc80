"""PHP101: nginx hands php-fpm scripts whose extension the pool refuses."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds files that a location passing to php-fpm (`fastcgi_pass`) hands to a pool whose "
         "`security.limit_extensions` does not list their extension (default `.php .phar`).",
    why="php-fpm checks the script's name before it opens it; a name that does not end in one of "
        "the listed extensions is refused: 403 with the body `Access denied.` and nginx logs "
        "`FastCGI sent in stderr: \"Access to the script '...' has been denied (see "
        "security.limit_extensions)\"`. Typical causes: a `location /` or an `alias`ed folder passed "
        "whole to fastcgi_pass, or `cgi.fix_pathinfo` turning /uploads/a.jpg/x.php into a.jpg.",
    example="location / { fastcgi_pass unix:/run/php/www.sock; }   # GET /page.html -> 403",
    fixed="location ~ \\.php$ { fastcgi_pass unix:/run/php/www.sock; }   # or, if .html is PHP:\n"
          "security.limit_extensions = .php .html",
    fix_safety="Adding an extension makes php-fpm execute every such file it is handed: only add "
               "extensions whose files are PHP code and that no user can upload.",
    references=("https://www.php.net/manual/en/install.fpm.configuration.php",),
)


@rule(id="PHP101", name="extension-not-allowed", severity="error", server="nginx", needs_fs=True,
      fixable=True, summary="php-fpm refuses a script's extension (security.limit_extensions)", doc=DOC)
def check(ctx):
    from confcheck.analyzers.php._common import of_rule, said
    from confcheck.fixers.phpfpm import extension_fix
    groups: dict[tuple, list] = {}
    for answer in of_rule(ctx, "PHP101"):
        cite = answer.outcome.decided_by
        groups.setdefault((cite.span.source.path, cite.span.start, cite.name), []).append(answer)
    for found in groups.values():
        cite = found[0].outcome.decided_by
        scripts = [a.outcome.reason.split(" does not end in ", 1)[0] for a in found]
        pool = cite.pool
        allowed = " ".join(pool.limit_extensions)
        more = f" and {len(found) - 1} more" if len(found) > 1 else ""
        yield Finding("PHP101", "extension-not-allowed", "error",
                      f"{said(found[0])}: php-fpm pool [{pool.name}] allows only {allowed} "
                      f"(security.limit_extensions) and refuses {scripts[0]}{more} with 'Access denied.'",
                      cite.span, "nginx", scripts[0], sorted(set(scripts)) if len(found) > 1 else None,
                      extension_fix(ctx, pool, scripts))

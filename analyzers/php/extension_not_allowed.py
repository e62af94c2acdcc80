"""PHP101: nginx or Apache hands php-fpm scripts whose extension the pool refuses."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds files that a location passing to php-fpm (`fastcgi_pass`), or an Apache handler "
         "(`SetHandler \"proxy:...|fcgi://...\"` for a whole folder, `ProxyPassMatch` to `fcgi://`), hands to "
         "a pool whose `security.limit_extensions` does not list their extension (default `.php .phar`).",
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


def _exists(ctx, path: str) -> bool:
    try:
        return ctx.fs.lstat(path.rstrip("/") or "/") is not None and not path.endswith("/")
    except Exception:  # noqa: BLE001 - the scanner cannot look: do not claim
        return False


@rule(id="PHP101", name="extension-not-allowed", severity="error", server="any", needs_fs=True,
      fixable=True, summary="php-fpm refuses a script's extension (security.limit_extensions)", doc=DOC)
def check(ctx):
    from confcheck.analyzers.php._common import of_rule, said
    from confcheck.fixers.phpfpm import extension_fix
    from confcheck.fixers.phpfpm import extension_of
    groups: dict[tuple, list] = {}
    for answer in of_rule(ctx, "PHP101"):
        cite = answer.outcome.decided_by
        script = answer.outcome.reason.split(" does not end in ", 1)[0]
        if not _exists(ctx, script):
            continue        # a name no file has (cgi.fix_pathinfo 0, a probe's sample URI): nothing to fix
        # one finding per pool entry and extension (none without an extension has a fix)
        key = (cite.span.source.path, cite.span.start, cite.name, extension_of(script))
        groups.setdefault(key, []).append((answer, script))
    # one fix per pool entry, adding every extension refused there: two fixes each adding one
    # would both write the same entry (the second insertion would silently undo the first)
    refused: dict[tuple, tuple] = {}       # pool entry -> (pool, scripts with an extension)
    for key, found in groups.items():
        pool, scripts = refused.setdefault(key[:3], (found[0][0].outcome.decided_by.pool, set()))
        scripts.update(script for _a, script in found if extension_of(script) is not None)
    fixes = {entry: extension_fix(ctx, pool, sorted(scripts)) for entry, (pool, scripts) in refused.items()}
    for key, found in groups.items():
        answer = found[0][0]
        cite = answer.outcome.decided_by
        scripts = sorted({script for _a, script in found})
        pool = cite.pool
        allowed = " ".join(pool.limit_extensions)
        more = f" and {len(scripts) - 1} more" if len(scripts) > 1 else ""
        yield Finding("PHP101", "extension-not-allowed", "error",
                      f"{said(answer)}: php-fpm pool [{pool.name}] allows only {allowed} "
                      f"(security.limit_extensions) and refuses {found[0][1]}{more} with 'Access denied.'",
                      cite.span, answer.server, found[0][1], scripts if len(scripts) > 1 else None,
                      fixes[key[:3]] if extension_of(found[0][1]) is not None else None)

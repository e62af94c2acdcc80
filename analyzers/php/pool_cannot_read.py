"""PHP102: the pool's user cannot reach or read a script nginx or Apache hands to it."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds PHP scripts that nginx or Apache passes to php-fpm which the pool's `user` (not the "
         "web worker) cannot search its way to or read.",
    why="php-fpm opens the script as the pool's user. A folder above it without x for that user "
        "makes the script look absent: `Primary script unknown`, 404 `File not found.`; a script "
        "without r is 403 `Access denied.` (`Unable to open primary script: ... (Permission "
        "denied)`). Files www-data can read (0640 root:www-data, a 0750 tree) often fail for a "
        "per-site pool user.",
    example="[shop]\nuser = shop            ; /var/www/shop/index.php -rw-r----- root:www-data",
    fixed="setfacl -m u:shop:r /var/www/shop/index.php   # read for the pool user, nothing else",
    fix_safety="The script grants the pool user read (files) and search (folders) only, never "
               "write: the code stays unchangeable by PHP.",
    references=("https://www.php.net/manual/en/install.fpm.configuration.php",),
)


@rule(id="PHP102", name="pool-cannot-read-script", severity="error", server="any", needs_fs=True,
      fixable=True, summary="the php-fpm pool's user cannot read a script it is handed", doc=DOC)
def check(ctx):
    from confcheck.analyzers.php._common import of_rule, said
    from confcheck.fixers.phpfpm import read_fix
    groups: dict[tuple, list] = {}
    for answer in of_rule(ctx, "PHP102"):
        cite = answer.outcome.decided_by
        groups.setdefault((cite.pool.name, answer.outcome.fs_path), []).append(answer)
    for (_pool, fs_path), found in groups.items():
        cite = found[0].outcome.decided_by
        pool = cite.pool
        want = "read" if found[0].outcome.status == 403 else "search"
        yield Finding("PHP102", "pool-cannot-read-script", "error",
                      f"{said(found[0])}: php-fpm pool [{pool.name}] runs as {pool.user}, who cannot "
                      f"{'read' if found[0].outcome.status == 403 else 'search'} {fs_path}"
                      + (f" ({len(found)} requests)" if len(found) > 1 else ""),
                      cite.span, found[0].server, fs_path, None, read_fix(ctx, pool, fs_path, want))

"""APA104: Order/Allow/Deny/Satisfy while mod_access_compat is not loaded."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule
from confcheck.servers.apache.conf import iter_directives

from ._common import ACCESS_COMPAT, describe, finding

DOC = RuleDoc(
    what="Finds 2.2-style `Order`, `Allow`, `Deny` and `Satisfy` directives in a configuration "
         "that does not load `mod_access_compat` (outside an `<IfModule>` that would skip them). "
         "Reads the configuration.",
    why="The directives belong to mod_access_compat; without it httpd stops at start-up with "
        "`Invalid command 'Order', perhaps misspelled or defined by a module not included in the "
        "server configuration` and no site of the server answers (real-world A1). In a .htaccess "
        "the same line is a 500 on every request (APA113).",
    example="# a2dismod access_compat\n<Directory /var/www/html/admin>\n    Order deny,allow\n"
            "    Deny from all\n    Allow from 10.0.0.0/8\n</Directory>",
    fixed="<Directory /var/www/html/admin>\n    AuthMerging And\n    Require ip 10.0.0.0/8\n</Directory>",
    fix_safety="The fix translates the lines so that every client gets the answer it gets today with "
               "mod_access_compat loaded (real-server tested). With the module, the 2.2 check comes on "
               "top of the Require lines the section inherits (both must pass), so `Allow from all` is "
               "removed rather than written as `Require all granted` (which would also open a directory "
               "that an inherited `Require all denied` refuses today: APA101 offers that grant as a "
               "change of its own), and an allow list becomes `AuthMerging And` plus `Require ip`. "
               "A deeper <Directory> with Require lines of its own is restricted by the 2.2 lines today "
               "(a child's Require does not lift them); after the change its own lines decide, so that "
               "fix is unsafe and its title names the section. "
               "`a2enmod access_compat` also works, but keeps the 2.2 semantics around.",
    references=("https://httpd.apache.org/docs/2.4/mod/mod_access_compat.html",),
)


@rule(id="APA104", name="access-compat-not-loaded", severity="error", server="apache", fixable=True,
      summary="Order/Allow/Deny used without mod_access_compat (httpd refuses to start)", doc=DOC)
def check(ctx):
    if not ctx.apache:
        return
    # imported here, not at the top: nginx-only scans never load the Apache loader and fixers
    from confcheck.fixers.apache_fixes import access_compat_fix
    from confcheck.parsers.apache_loader import STATIC_MODULES

    static = {name for pair in STATIC_MODULES for name in pair}
    for target in ctx.apache:
        conf = target.conf
        if "access_compat_module" in conf.modules or conf.modules <= static:
            continue    # loaded, or a lone snippet whose modules are loaded elsewhere
        seen: set[int] = set()
        for server in [conf.main, *conf.vhosts]:
            for node in iter_directives([*server.perdir, *server.dirs, *server.locs]):
                if node.key in ACCESS_COMPAT and id(node) not in seen:
                    seen.add(id(node))
                    found = finding(
                        "APA104", "access-compat-not-loaded", "error",
                        f"`{describe(node)}` needs mod_access_compat, which this configuration does not "
                        f"load: httpd refuses to start (Invalid command '{node.name}'); write it as "
                        "`Require` or enable access_compat", node)
                    block = node.parent
                    found.fix = access_compat_fix(
                        ctx, target, [n for n in (block.children if block is not None else []) if n.children is None],
                        block, not_loaded=True)
                    yield found

"""APA114: per-directory RewriteRule where FollowSymLinks and SymLinksIfOwnerMatch are both off."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule
from confcheck.survey import OPT_SYM_LINKS, OPT_SYM_OWNER, apache_dir_settings, apply_options

from ._common import all_rewrites, describe, finding

DOC = RuleDoc(
    what="Finds `RewriteRule`s in `<Directory>` sections and .htaccess files where neither "
         "`FollowSymLinks` nor `SymLinksIfOwnerMatch` is in force (after merging `Options`, the "
         ".htaccess's own included). Reads the configuration and the .htaccess files found on disk.",
    why="mod_rewrite in directory context could reach anything a symlink could, so it refuses to "
        "run there without one of the two options: **every** request in the directory is "
        "answered 403 with `AH00670: Options FollowSymLinks and SymLinksIfOwnerMatch are both off, "
        "so the RewriteRule directive is also forbidden` (server-behavior A31, real-world A11). "
        "`Options None` or `Options -FollowSymLinks` written for hardening is the usual cause.",
    example="<Directory /var/www/html>\n    Options -FollowSymLinks\n    RewriteEngine On\n"
            "    RewriteRule ^old$ /new [R=301,L]\n</Directory>",
    fixed="<Directory /var/www/html>\n    Options -FollowSymLinks +SymLinksIfOwnerMatch\n    RewriteEngine On\n"
          "    RewriteRule ^old$ /new [R=301,L]\n</Directory>",
    fix_safety="SymLinksIfOwnerMatch follows only links whose owner matches the target's, which "
               "keeps most of the hardening.",
    references=("https://httpd.apache.org/docs/2.4/mod/mod_rewrite.html#rewriterule",
                "https://httpd.apache.org/docs/2.4/mod/core.html#options"),
)


@rule(id="APA114", name="rewrite-without-symlinks", severity="error", server="apache",
      summary="a per-directory RewriteRule without FollowSymLinks/SymLinksIfOwnerMatch (403 AH00670 for the directory)",
      doc=DOC)
def check(ctx):
    by_section: dict[int, tuple] = {}
    for rw in all_rewrites(ctx):
        if rw.perdir and id(rw.section) not in by_section:
            by_section[id(rw.section)] = (rw, None)
    htaccess_dirs = _htaccess_settings(ctx)
    for rw, _ in by_section.values():
        section = rw.section
        if section.kind == "htaccess":
            settings = htaccess_dirs.get(section.pattern)
            if settings is None:
                continue        # a lone .htaccess: the options in force are not known
            options = settings.options
        elif section.kind == "directory" and not section.wildcard:
            target, server = _owner(ctx, section)
            if target is None:
                continue
            options = apache_dir_settings(target.conf, server, section.pattern).options
        else:
            continue
        for node in section.directives():
            if node.key == "options":
                options = apply_options(options, node)
        if options & (OPT_SYM_LINKS | OPT_SYM_OWNER):
            continue
        yield finding(
            "APA114", "rewrite-without-symlinks", "error",
            f"`{describe(rw.node)}` runs in {section.where} where FollowSymLinks and SymLinksIfOwnerMatch "
            "are both off: mod_rewrite refuses, and every request there is answered 403 (AH00670); add "
            "`Options +SymLinksIfOwnerMatch`", rw.node)


def _owner(ctx, section):
    for target in ctx.apache:
        for server in [target.conf.main, *target.conf.vhosts]:
            if any(sec is section for sec in server.dirs):
                return target, server
    return None, None


def _htaccess_settings(ctx) -> dict:
    from ._common import htaccess_files
    return {item.path: item.settings for item in htaccess_files(ctx) if item.settings is not None}

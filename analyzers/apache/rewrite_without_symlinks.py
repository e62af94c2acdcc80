"""APA114: per-directory RewriteRule where FollowSymLinks and SymLinksIfOwnerMatch are both off."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import PROBE_FILE, all_rewrites, config_model, describe, finding, probe, urls_reaching

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


@rule(id="APA114", name="rewrite-without-symlinks", severity="error", server="apache", fixable=True,
      summary="a per-directory RewriteRule without FollowSymLinks/SymLinksIfOwnerMatch (403 AH00670 for the directory)",
      doc=DOC)
def check(ctx):
    seen: set[int] = set()
    for rw in all_rewrites(ctx):
        section = rw.section
        # cheap first: one question per section holding per-directory rules
        if not rw.perdir or section is None or id(section) in seen or rw.target is None:
            continue
        seen.add(id(section))
        urls = urls_reaching(rw.target, rw.servers, section)
        if urls:
            model = config_model(ctx, rw.target)
            refused = None
            for server, url in urls:
                outcome = probe(model, server, url + PROBE_FILE)
                if outcome is not None and outcome.status == 403 and outcome.rule == "APA114":
                    refused = url
                    break
            if refused is None:
                continue
            there = f"every request for {refused} is answered 403 (AH00670)"
        elif section.kind == "directory" and not section.wildcard:
            # served nowhere: the model's merge for the directory says what a request would meet
            server = next(iter(rw.servers), rw.target.conf.main)
            from confcheck.servers.apache.perdir import OPT_SYM_LINKS, OPT_SYM_OWNER  # Apache scans only
            if rw.target.served.dir_conf(server, section.pattern).opts & (OPT_SYM_LINKS | OPT_SYM_OWNER):
                continue
            there = "every request there is answered 403 (AH00670)"
        else:
            continue
        found = finding(
            "APA114", "rewrite-without-symlinks", "error",
            f"`{describe(rw.node)}` runs in {section.where} where FollowSymLinks and SymLinksIfOwnerMatch "
            f"are both off: mod_rewrite refuses, and {there}; add "
            "`Options +SymLinksIfOwnerMatch`", rw.node)
        # imported with the first finding: nginx-only scans never load the Apache fixers
        from confcheck.fixers.apache_fixes import symlinks_for_rewrite
        found.fix = symlinks_for_rewrite(ctx, rw.target, rw)
        yield found

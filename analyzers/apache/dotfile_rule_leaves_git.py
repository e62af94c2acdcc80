"""APA108: a dot-file `<Files>`/`<FilesMatch>` deny that leaves /.git/ reachable."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import by_config, config_model, every_section, finding, probe, section_of

DOC = RuleDoc(
    what="Finds `<Files>`/`<FilesMatch>` sections written to hide dot files (`^\\.`, `^\\.(git|env)`, "
         "...) that deny access, on a site where nothing else refuses `/.git/`: no "
         "`<DirectoryMatch>` or `<LocationMatch>` deny, no `RewriteRule ... [F]` or "
         "`RedirectMatch 404` matching `.git/config`. Reads the configuration.",
    why="`<Files>` and `<FilesMatch>` match only the last path component. `/.env` is refused, but "
        "in `/.git/config` the last component is `config`: Apache serves the repository's "
        "config, and with it every object of the history (server-behavior row 28: 200). The "
        "section reads as protection and is not.",
    example='<FilesMatch "^\\.">\n    Require all denied\n</FilesMatch>',
    fixed='<FilesMatch "^\\.">\n    Require all denied\n</FilesMatch>\n'
          '<DirectoryMatch "/\\.git">\n    Require all denied\n</DirectoryMatch>',
    fix_safety="A `<DirectoryMatch \"/\\.\">` would also refuse /.well-known/ (ACME): name the "
               "directories (`/\\.(git|svn|hg)`) or use h5bp's `RewriteRule \"(^|/)\\.(?!well-known/)\" - [F]`.",
    references=("https://httpd.apache.org/docs/2.4/mod/core.html#filesmatch",
                "https://github.com/h5bp/server-configs-apache/blob/main/h5bp/security/file_access.conf"),
)

GIT = ".git/config"


def _denies(section) -> bool:
    """Cheap pre-filter: the section itself holds a refusal (the model says whether it decides)."""
    for node in section.directives():
        values = [v.lower() for v in node.values]
        if (node.key == "require" and values[:2] == ["all", "denied"]) or \
                (node.key == "deny" and values[1:] == ["all"]):
            return True
    return False


def _hides_dotfiles(section) -> bool:
    if section.regex is not None:
        return section.regex.search(".git") is not None and section.regex.search(".env") is not None
    return section.pattern in (".*", ".git", ".??*")


@rule(id="APA108", name="dotfile-rule-leaves-git", severity="warning", server="apache", fixable=True,
      summary="a <FilesMatch \"^\\.\"> deny does not protect /.git/ (Files match only the last component)", doc=DOC)
def check(ctx):
    for target in ctx.apache:
        conf = target.conf
        rules = []
        seen: set[int] = set()
        for _server, section, _parents in every_section(conf):
            if section.kind not in ("files", "filesmatch") or id(section) in seen:
                continue
            seen.add(id(section))
            if _hides_dotfiles(section) and _denies(section):
                rules.append(section)
        if not rules:
            continue
        model = config_model(ctx, target)
        sites = [p for p in target.served.places if p.kind in ("docroot", "default")]
        for section in rules:
            for place in sites:
                base = place.url_for(place.directory)
                # the section does refuse a dot file here ...
                env = probe(model, place.server, base + ".env")
                if not by_config(env) or section_of(conf, env.decided_by) is not section:
                    continue
                # ... and yet the repository's config is served
                git = probe(model, place.server, base + GIT)
                if git is None or git.status != 200:
                    continue
                found = finding(
                    "APA108", "dotfile-rule-leaves-git", "warning",
                    f"{section.where} refuses dot files but matches only the last path component: "
                    f"GET {base}{GIT} is still answered 200 under {place.directory} (nothing else refuses "
                    "/.git/); add `<DirectoryMatch \"/\\.git\"> Require all denied </DirectoryMatch>` or a "
                    "`RewriteRule \"(^|/)\\.(?!well-known/)\" - [F]`", section.node)
                # imported with the first finding: nginx-only scans never load the Apache fixers
                from confcheck.fixers.apache_fixes import git_deny
                found.fix = git_deny(ctx, target, section.node)
                yield found
                break

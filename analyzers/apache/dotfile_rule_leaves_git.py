"""APA108: a dot-file `<Files>`/`<FilesMatch>` deny that leaves /.git/ reachable."""

from __future__ import annotations

import re

from confcheck.registry import RuleDoc, rule

from ._common import all_rewrites, describe, every_section, finding, location_sections, served_places
from ._common import _require_lines, _state_of

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

GIT_URL = "/.git/config"


def _denies(section) -> bool:
    lines = _require_lines(section)
    if lines:
        return _state_of(lines)[0] == "denied"
    return any(n.key == "deny" and [v.lower() for v in n.values[1:]] == ["all"] for n in section.directives())


def _git_protected(ctx, target, server, docroot: str) -> bool:
    conf = target.conf
    for srv in ([conf.main] if server is conf.main else [conf.main, server]):
        for sec in srv.dirs:
            if sec.kind == "directorymatch" and sec.regex is not None \
                    and sec.regex.search(docroot.rstrip("/") + "/.git/") and _denies(sec):
                return True
        for node in srv.scope:
            if node.key in ("redirectmatch", "redirect") and len(node.values) >= 2:
                try:
                    if node.key == "redirectmatch" and re.search(node.values[-1] if len(node.values) == 2
                                                                 else node.values[1], GIT_URL):
                        return True
                except re.error:
                    continue
    if any(_denies(sec) for sec in location_sections(conf, server, GIT_URL)):
        return True
    for rw in all_rewrites(ctx, target):
        if "f" in rw.flags or "g" in rw.flags or "forbidden" in rw.flags:
            if rw.matches(GIT_URL.lstrip("/") if rw.perdir else GIT_URL):
                return True
    for rw in all_rewrites(ctx):
        # the site's own .htaccess (h5bp's dist/.htaccess carries the [F] rule)
        if rw.section is not None and rw.section.kind == "htaccess" \
                and rw.section.pattern.rsplit("/", 1)[0] == docroot.rstrip("/") \
                and "f" in rw.flags and rw.matches(GIT_URL.lstrip("/")):
            return True
    return False


@rule(id="APA108", name="dotfile-rule-leaves-git", severity="warning", server="apache",
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
            if section.regex is not None:
                hides = section.regex.search(".git") is not None and section.regex.search(".env") is not None
            else:
                hides = section.pattern in (".*", ".git", ".??*")
            if hides and _denies(section):
                rules.append(section)
        if not rules:
            continue
        sites = [p for p in served_places(target) if p.kind in ("docroot", "default")]
        exposed = [p for p in sites if not _git_protected(ctx, target, p.server, p.directory)]
        if not exposed:
            continue
        for section in rules:
            yield finding(
                "APA108", "dotfile-rule-leaves-git", "warning",
                f"{section.where} refuses dot files but matches only the last path component: "
                f"GET {GIT_URL} is still answered 200 under {exposed[0].directory} (nothing else refuses "
                "/.git/); add `<DirectoryMatch \"/\\.git\"> Require all denied </DirectoryMatch>` or a "
                "`RewriteRule \"(^|/)\\.(?!well-known/)\" - [F]`", section.node)

"""APA101: a DocumentRoot or Alias target that no `<Directory>` grants, under a deny-all `<Directory />`."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import describe, dir_verdict, finding, served_places

DOC = RuleDoc(
    what="Finds `DocumentRoot`, `Alias` and `ScriptAlias` directories whose authorization, after "
         "httpd merges every `<Directory>` and `<Location>` that applies, is still the "
         "`Require all denied` of a parent such as Debian's `<Directory />`. Reads the "
         "configuration only.",
    why="Debian's apache2.conf denies `/` and grants only `/usr/share` and `/var/www`. A site "
        "moved to /srv/app or /home/alice/public_html, or an `Alias /static /opt/app/static`, "
        "inherits the deny: every request is answered 403 with `AH01630: client denied by server "
        "configuration` (server-behavior rows 40 and 41). The comment in apache2.conf says so, "
        "and it is the most common Apache 2.4 403 (real-world A2/A3).",
    example="<VirtualHost *:80>\n    DocumentRoot /srv/app/public\n</VirtualHost>",
    fixed="<VirtualHost *:80>\n    DocumentRoot /srv/app/public\n    <Directory /srv/app/public>\n"
          "        Require all granted\n    </Directory>\n</VirtualHost>",
    fix_safety="A grant publishes every file under the directory: keep secrets (.env, keys) out "
               "of it or deny them with `<Files>`.",
    references=("https://httpd.apache.org/docs/2.4/mod/core.html#directory",
                "https://httpd.apache.org/docs/2.4/upgrading.html#access"),
)


@rule(id="APA101", name="docroot-not-granted", severity="error", server="apache",
      summary="a DocumentRoot or Alias target has no <Directory> grant and inherits a deny-all (403)", doc=DOC)
def check(ctx):
    for target in ctx.apache:
        conf = target.conf
        for place in served_places(target):
            if place.directive is None or place.variable:
                continue
            verdict = dir_verdict(conf, place.server, place.directory, place.url_prefix)
            if verdict.state != "denied":
                continue
            where = verdict.section.where if verdict.section is not None else ""
            yield finding(
                "APA101", "docroot-not-granted", "error",
                f"{describe(place.directive)}: {place.directory} has no grant of its own, so "
                f"`{describe(verdict.node)}` of {where} ({verdict.node.file}:{verdict.node.line}) "
                f"applies and every request for {place.url_prefix} is answered 403 (AH01630); add "
                f"`<Directory {place.directory}> Require all granted </Directory>`",
                place.directive)

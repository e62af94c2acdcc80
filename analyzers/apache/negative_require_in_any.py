"""APA118: `Require not ...` directly in an implicit or explicit `<RequireAny>`."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule
from confcheck.servers.apache.conf import Section

from ._common import describe, every_section, finding, htaccess_sections

DOC = RuleDoc(
    what="Finds negative `Require not ...` lines whose container is a `<RequireAny>`: written "
         "directly in a `<Directory>`, `<Location>`, `<Files>` or .htaccess (those are an implicit "
         "`<RequireAny>`), or inside an explicit one. Reads the configuration and .htaccess files.",
    why="A negative requirement can only take away; in an 'any of these' list it could never "
        "decide, and mod_authz_core refuses it: `AH00526: Syntax error ...: negative Require "
        "directive has no effect in <RequireAny> directive` (server-behavior A40, checked with "
        "`apache2 -t` also next to `Require all granted`). httpd does not start, which takes down "
        "every site on the server; in a .htaccess it is a 500.",
    example="<Directory /var/www/html>\n    Require all granted\n    Require not ip 192.0.2.10\n</Directory>",
    fixed="<Directory /var/www/html>\n    <RequireAll>\n        Require all granted\n"
          "        Require not ip 192.0.2.10\n    </RequireAll>\n</Directory>",
    fix_safety="Wrapping in <RequireAll> gives the intended meaning: everyone except the address.",
    references=("https://httpd.apache.org/docs/2.4/mod/mod_authz_core.html#requireall",),
)

_CONTAINERS = ("directory", "directorymatch", "location", "locationmatch", "files", "filesmatch",
               "htaccess", "if", "elseif", "else", "limit", "limitexcept", "requireany")


def _negatives(section: Section):
    for item in section.items:
        # values[:1] == ["not"] without building the values list (every section is asked)
        if not isinstance(item, Section) and item.key == "require" and item.args \
                and item.args[0].value == "not":
            yield item


@rule(id="APA118", name="negative-require-in-any", severity="error", server="apache", fixable=True,
      summary="Require not ... in an (implicit) <RequireAny>: httpd refuses to start", doc=DOC)
def check(ctx):
    seen: set[int] = set()
    sections = [(sec, sec.where) for t in ctx.apache for _s, sec, _p in every_section(t.conf)]
    sections += list(htaccess_sections(ctx))
    for section, where in sections:
        if section.kind not in _CONTAINERS:
            continue
        for node in _negatives(section):
            if id(node) in seen:
                continue
            seen.add(id(node))
            effect = ("every request under it is answered 500" if section.kind == "htaccess"
                      else "httpd refuses to start (AH00526), taking every site down")
            found = finding(
                "APA118", "negative-require-in-any", "error",
                f"`{describe(node)}` stands in an implicit <RequireAny> ({where}): a negative requirement "
                f"has no effect there and {effect}; wrap it with `Require all granted` in <RequireAll>",
                node)
            # imported with the first finding: nginx-only scans never load the Apache fixers
            from confcheck.fixers.apache_fixes import require_all_wrap
            found.fix = require_all_wrap(ctx, None, [n for n in section.directives()],
                                         section.node if section.kind != "htaccess" else None)
            yield found

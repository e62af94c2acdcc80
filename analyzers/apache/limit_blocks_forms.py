"""APA107: a `<Limit POST>`/`<LimitExcept GET>` refusal that covers a whole site."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import describe, finding, limit_denials, served_places
from .limit_ignored import _sections

DOC = RuleDoc(
    what="Finds `<Limit>`/`<LimitExcept>` blocks with `Require all denied` that refuse POST in a "
         "section without a sibling grant, where the section covers a site's DocumentRoot or "
         "an Alias target (or is that directory's .htaccess). Reads the configuration.",
    why="A section whose only `Require` sits in a `<Limit>` replaces the inherited grant for the "
        "methods it names: `POST` (and with `<LimitExcept GET>` also OPTIONS, PUT and DELETE) is "
        "answered 403 `AH01630` (server-behavior A23). Login forms, comment forms, admin-ajax.php "
        "and API writes under the directory all fail.",
    example="<Directory /var/www/html>\n    <LimitExcept GET>\n        Require all denied\n    </LimitExcept>\n</Directory>",
    fixed="<Directory /var/www/html>\n    <LimitExcept GET POST>\n        Require all denied\n    </LimitExcept>\n</Directory>",
    fix_safety="Allowing POST lets every client send forms; the application must check writes itself.",
    references=("https://httpd.apache.org/docs/2.4/mod/core.html#limitexcept",),
)


def _refuses_post(limit) -> bool:
    methods = set(limit.pattern.split())
    return ("POST" in methods) if limit.kind == "limit" else ("POST" not in methods)


@rule(id="APA107", name="limit-blocks-forms", severity="warning", server="apache",
      summary="a <Limit>/<LimitExcept> refuses POST to a whole site (forms and APIs get 403)", doc=DOC)
def check(ctx):
    served = [p.directory for t in ctx.apache for p in served_places(t) if p.static]
    urls = {p.url_prefix for t in ctx.apache for p in served_places(t) if p.static}
    for section, where in _sections(ctx):
        denials, grant = limit_denials(section)
        if grant is not None or not denials:
            continue
        if not _covers_site(section, served, urls):
            continue
        for limit, deny in denials:
            if not _refuses_post(limit):
                continue
            yield finding(
                "APA107", "limit-blocks-forms", "warning",
                f"`{describe(deny)}` in <{limit.node.name} {limit.pattern}> refuses POST in {where} and no "
                "sibling Require grants it: every form, login and API write there is answered 403 "
                "(AH01630); allow POST in the block if forms live here", limit.node)


def _covers_site(section, served: list[str], urls: set[str]) -> bool:
    if section.kind == "htaccess":
        directory = section.pattern.rsplit("/", 1)[0]
        return any(directory == d.rstrip("/") for d in served)
    if section.kind == "directory" and not section.wildcard:
        top = section.pattern.rstrip("/") or "/"
        return any(d == top or d.startswith(top + "/") for d in served)
    if section.kind == "location" and not section.wildcard:
        return section.pattern.rstrip("/") in {u.rstrip("/") for u in urls}
    return False

"""APA107: a `<Limit POST>`/`<LimitExcept GET>` refusal that covers a whole site."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import (PROBE_FILE, config_model, describe, finding, limit_denials, probe, same_directive,
                      sections_with_targets,
                      urls_reaching)

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
    for target, servers, section, where in sections_with_targets(ctx):
        denials, grant = limit_denials(section)          # cheap: only sections with a lone <Limit> deny
        if grant is not None or not denials or target is None:
            continue
        tops = [(p.server, p.url_for(p.directory)) for p in target.served.places
                if p.static and not p.variable and p.server in servers]
        # the site itself: the URL of a DocumentRoot or Alias the section reaches
        urls = [(server, url) for server, url in urls_reaching(target, servers, section) if (server, url) in tops]
        if not urls:
            continue
        model = config_model(ctx, target)
        for limit, deny in denials:
            if not _refuses_post(limit):
                continue
            server, url = urls[0]
            outcome = probe(model, server, url + PROBE_FILE, method="POST")
            if outcome is None or outcome.status != 403 or not same_directive(outcome.decided_by, deny):
                continue
            yield finding(
                "APA107", "limit-blocks-forms", "warning",
                f"`{describe(deny)}` in <{limit.node.name} {limit.pattern}> refuses POST in {where} and no "
                f"sibling Require grants it: POST {url} and every form, login and API write there is answered "
                "403 (AH01630); allow POST in the block if forms live here", limit.node)

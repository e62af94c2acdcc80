"""APA115: a `RewriteRule ... [F]` that matches the home page and ordinary assets."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import all_rewrites, config_model, describe, finding, probe, same_directive, urls_reaching

# what every site serves: if a forbidding rule matches the home page and these, it refuses the site
COMMON = ("", "index.html", "index.php", "css/site.css", "js/app.js", "images/logo.png",
          "favicon.ico", "about/")

DOC = RuleDoc(
    what="Finds `RewriteRule` lines with the `[F]` flag and no `RewriteCond` whose pattern matches "
         "the home page and most ordinary URLs (`/`, `/index.php`, `/css/site.css`, "
         "`/images/logo.png`...), such as `RewriteRule .* - [F]` or `RewriteRule ^ - [F]`. Reads "
         "the configuration and .htaccess files.",
    why="`[F]` answers 403 with no error-log line at all (only `LogLevel rewrite:trace2` shows "
        "`forcing responsecode 403`, server-behavior A26/A27). A rule meant to block one bot or one "
        "path but written without its RewriteCond (or whose condition was commented out) refuses "
        "the whole site, and nothing in the logs says why.",
    example="# RewriteCond %{HTTP_USER_AGENT} BadBot [NC]\nRewriteRule .* - [F]",
    fixed="RewriteCond %{HTTP_USER_AGENT} BadBot [NC]\nRewriteRule .* - [F]",
    fix_safety="Display only: what the rule was meant to block is the author's to say.",
    references=("https://httpd.apache.org/docs/2.4/rewrite/flags.html#flag_f",),
)


@rule(id="APA115", name="rewrite-forbids-everything", severity="error", server="apache",
      summary="a RewriteRule [F] without RewriteCond matches the home page and ordinary assets (403 everywhere)",
      doc=DOC)
def check(ctx):
    seen: set[int] = set()
    for rw in all_rewrites(ctx):
        # cheap first: only unconditioned rules that answer 403 are asked about
        if id(rw.node) in seen or rw.conds or not rw.forbids or rw.target is None:
            continue
        seen.add(id(rw.node))
        if rw.section is None:
            urls = [(p.server, p.url_for(p.directory)) for p in rw.target.served.places
                    if p.kind in ("docroot", "default") and p.server in rw.servers]
        else:
            urls = urls_reaching(rw.target, rw.servers, rw.section)
        model = config_model(ctx, rw.target)
        for server, base in urls:
            hits = []
            for rel in COMMON:
                outcome = probe(model, server, base + rel)
                if outcome is not None and outcome.status == 403 and same_directive(outcome.decided_by, rw.node):
                    hits.append(base + rel)
            if base not in hits or len(hits) < len(COMMON) - 1:
                continue
            yield finding(
                "APA115", "rewrite-forbids-everything", "error",
                f"`{describe(rw.node)}` has no RewriteCond and answers 403 to {', '.join(hits[:4])} and "
                f"the rest: every request for {base} is answered 403 ({rw.where}), with no error-log line; add the "
                "RewriteCond that says what to refuse, or narrow the pattern", rw.node)
            break

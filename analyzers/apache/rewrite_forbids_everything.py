"""APA115: a `RewriteRule ... [F]` that matches the home page and ordinary assets."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import all_rewrites, describe, finding

# what every site serves: if a forbidding rule matches the home page and these, it refuses the site
COMMON = ("/", "/index.html", "/index.php", "/css/site.css", "/js/app.js", "/images/logo.png",
          "/favicon.ico", "/about/")

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
        if id(rw.node) in seen or rw.conds or not ({"f", "forbidden"} & rw.flags):
            continue
        seen.add(id(rw.node))
        subjects = [u.lstrip("/") if rw.perdir else u for u in COMMON]
        hits = [u for u, s in zip(COMMON, subjects) if rw.matches(s)]
        if "/" not in hits or len(hits) < len(COMMON) - 1:
            continue
        yield finding(
            "APA115", "rewrite-forbids-everything", "error",
            f"`{describe(rw.node)}` has no RewriteCond and its pattern matches {', '.join(hits[:4])} and "
            f"the rest: every request in {rw.where} is answered 403, with no error-log line; add the "
            "RewriteCond that says what to refuse, or narrow the pattern", rw.node)

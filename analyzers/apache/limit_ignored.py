"""APA106: `<Limit>`/`<LimitExcept>` refusals that a sibling `Require all granted` cancels."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import describe, every_section, finding, htaccess_sections, limit_denials

DOC = RuleDoc(
    what="Finds `<Limit>`/`<LimitExcept>` blocks whose `Require all denied` sits in the same "
         "section as an unconditional `Require all granted`. Reads the configuration and the "
         ".htaccess files the disk walk finds.",
    why="The `Require` lines of one section form an implicit `<RequireAny>`: `Require all "
        "granted` applies to every method and already grants, so the method-limited denial "
        "never decides anything. `POST` is answered 200 although the block reads as 'no POST "
        "here' (server-behavior row 26 and A24; the authz_core debug trace shows only `Require "
        "all granted -> granted`). Whoever wrote it believes writes are refused.",
    example="<Directory /var/www/html>\n    Require all granted\n    <Limit POST PUT DELETE>\n"
            "        Require all denied\n    </Limit>\n</Directory>",
    fixed="<Directory /var/www/html>\n    <RequireAll>\n        Require all granted\n"
          "        Require method GET HEAD OPTIONS\n    </RequireAll>\n</Directory>",
    fix_safety="Making the refusal real changes what clients may do: forms and APIs that POST "
               "to this directory stop working.",
    references=("https://httpd.apache.org/docs/2.4/mod/core.html#limit",
                "https://httpd.apache.org/docs/2.4/mod/mod_authz_core.html#requiremethod"),
)


@rule(id="APA106", name="limit-ignored", severity="warning", server="apache",
      summary="a <Limit> Require all denied next to Require all granted does nothing (POST still 200)", doc=DOC)
def check(ctx):
    for section, where in _sections(ctx):
        denials, grant = limit_denials(section)
        if grant is None:
            continue
        for limit, deny in denials:
            yield finding(
                "APA106", "limit-ignored", "warning",
                f"`{describe(deny)}` in <{limit.node.name} {limit.pattern}> does nothing: `{describe(grant)}` "
                f"(line {grant.line}) in the same section grants every method, so {limit.pattern.split()[0]} "
                f"is still answered 200 in {where}; wrap the grant in <RequireAll> with `Require method` "
                "or move it out", limit.node)


def _sections(ctx):
    seen: set[int] = set()
    for target in ctx.apache:
        for _server, section, _parents in every_section(target.conf):
            if id(section) not in seen and section.kind in ("directory", "directorymatch", "location",
                                                            "locationmatch", "files", "filesmatch"):
                seen.add(id(section))
                yield section, section.where
    yield from htaccess_sections(ctx)

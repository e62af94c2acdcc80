"""APA106: `<Limit>`/`<LimitExcept>` refusals that a sibling `Require all granted` cancels."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import (PROBE_FILE, config_model, describe, finding, limit_denials, probe, same_directive,
                      sections_with_targets,
                      urls_reaching)

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


def method_refused(limit) -> str:
    """A method the `<Limit>`/`<LimitExcept>` block applies to (POST when it can)."""
    methods = limit.pattern.split()
    if limit.kind == "limit":
        return "POST" if "POST" in methods else (methods[0] if methods else "POST")
    return next(m for m in ("POST", "PUT", "DELETE", "PATCH") if m not in methods) if not {
        "POST", "PUT", "DELETE", "PATCH"} <= set(methods) else "OPTIONS"


@rule(id="APA106", name="limit-ignored", severity="warning", server="apache",
      summary="a <Limit> Require all denied next to Require all granted does nothing (POST still 200)", doc=DOC)
def check(ctx):
    for target, servers, section, where in sections_with_targets(ctx):
        denials, grant = limit_denials(section)          # cheap: only sections that hold both
        if grant is None or not denials:
            continue
        urls = urls_reaching(target, servers, section)
        if not urls:
            continue                 # no request is known to reach it: nothing to ask the model
        model = config_model(ctx, target)
        for limit, deny in denials:
            method = method_refused(limit)
            outcome = None
            for server, url in urls:
                outcome = probe(model, server, url + PROBE_FILE, method=method)
                if outcome is not None:
                    break
            if outcome is None or outcome.status is None or same_directive(outcome.decided_by, deny) \
                    or (outcome.status == 403 and outcome.fs_path is None):
                continue             # the refusal is real (or something else refuses): not this rule's
            yield finding(
                "APA106", "limit-ignored", "warning",
                f"`{describe(deny)}` in <{limit.node.name} {limit.pattern}> does nothing: `{describe(grant)}` "
                f"(line {grant.line}) in the same section grants every method, so {method} "
                f"{url + PROBE_FILE} is still answered {outcome.status} in {where}; wrap the grant in "
                "<RequireAll> with `Require method` or move it out", limit.node)

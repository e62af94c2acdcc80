"""FS104: a root or alias directory that does not exist."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import root_missing_advice
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds `root` and `alias` directives (and nginx's default root when none is set) "
         "whose directory does not exist on disk.",
    why="nginx does not check at start-up; every request served from the missing directory is "
        "answered 404 (`\"...\" is not found (2: No such file or directory)`), which often "
        "shows up next to 403s after a deploy moved the tree.",
    example="root /srv/shop/current/public;   # /srv/shop/current is missing",
    fixed="root /srv/shop/releases/42/public;",
    fix_safety="Display only: confcheck cannot know which directory was meant.",
    references=("https://nginx.org/en/docs/http/ngx_http_core_module.html#root",),
)


@rule(id="FS104", name="root-missing", severity="error", server="any", needs_fs=True,
      summary="a root or alias directory does not exist", doc=DOC)
def check(ctx):
    from confcheck.analyzers.fs._answer import answered_in_place
    for target in ctx.nginx:
        survey = ctx.survey(target)
        for place, missing in survey.missing_roots:
            directive = place.directive.name if place.directive is not None else "default root"
            said = answered_in_place(ctx, target, place, place.directory, True, fs_path=missing)
            if place.directive is None and said is None:
                # nginx's default root, which no request the model tries is answered from (every
                # one goes to a proxy or a return): nothing is served from it
                continue
            yield Finding(
                rule="FS104", name="root-missing", severity="error",
                message=(f"{directive} {place.directory} does not exist ({missing} is missing): "
                         f"nothing under {place.url_prefix} can be served" + (f"; {said}" if said else "")),
                span=place.anchor.span, server="nginx", fs_path=missing,
                fix=root_missing_advice(directive, place.directory, missing))

"""APP102: the public origin of a server block fails Django's Origin check and is not a trusted origin."""

from __future__ import annotations

import copy

from confcheck.findings import Finding
from confcheck.parsers.pysettings_value import Value
from confcheck.registry import RuleDoc, rule
from confcheck.fixers.app_fixes import chain_fix
from confcheck.fixers.django_settings import add_statement, add_to_list

from ._common import REFERENCE_CSRF, answer_text, reached_links, setting_span

DOC = RuleDoc(
    what="Sends the form POST a browser sends from a server block's own pages (Origin: its public "
         "origin) through the proxy into the Django app behind it, and finds where Django refuses it "
         "because the origin is neither the request's own (as Django sees scheme and host) nor in "
         "`CSRF_TRUSTED_ORIGINS`.",
    why="CsrfViewMiddleware accepts an Origin equal to `scheme://host` of the request as Django sees "
        "it, or listed in CSRF_TRUSTED_ORIGINS; otherwise the POST is refused 403 `Origin checking "
        "failed - https://shop.example.com does not match any trusted origins.` Behind a proxy Django "
        "often sees another scheme (http: the proxy speaks HTTP to the app) or another host or port "
        f"(`Host $host` drops a non-default port) ({REFERENCE_CSRF}).",
    example='CSRF_TRUSTED_ORIGINS = []',
    fixed='CSRF_TRUSTED_ORIGINS = ["https://shop.example.com"]',
    fix_safety="Adds exactly the public origin of the server block to CSRF_TRUSTED_ORIGINS (to the list "
               "literal where it is written, one entry in its style; or a new assignment at the end of the "
               "settings file when none is written). It trusts nothing beyond the site's own origin.",
    references=("https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-trusted-origins",
                "https://docs.djangoproject.com/en/5.2/ref/csrf/"),
)


@rule(id="APP102", name="csrf-origin-missing", severity="error", server="any",
      summary="the site's own origin fails Django's CSRF Origin check behind the proxy", doc=DOC, fixable=True)
def check(ctx):
    for link in reached_links(ctx):
        answer = link.probe("POST")
        d = answer.decision
        if d is None or d.status != 403 or not d.reason.startswith("Origin checking failed"):
            continue
        trusted = link.app.settings.get("CSRF_TRUSTED_ORIGINS")
        if not trusted.known or not isinstance(trusted.value, (list, tuple)):
            continue
        if not _fixed_by_adding(link, trusted):
            continue
        yield Finding(
            rule="APP102", name="csrf-origin-missing", severity="error",
            message=(f"a form POST from {link.origin} -> {answer_text(answer)} ({link.app.settings.path} sees "
                     f"{'https' if d.is_secure else 'http'}://{d.host}); {link.origin} is not in "
                     "CSRF_TRUSTED_ORIGINS"),
            span=setting_span(link.app, "CSRF_TRUSTED_ORIGINS"), server=link.server,
            fix=_fix(ctx, link, trusted))


def _fixed_by_adding(link, trusted: Value) -> bool:
    """The same POST passes the Origin check with the origin trusted (asked of the model)."""
    app = copy.copy(link.app)
    settings = copy.copy(app.settings)
    module = copy.copy(settings.module)
    module.names = dict(module.names)
    module.names["CSRF_TRUSTED_ORIGINS"] = Value(list(trusted.value) + [link.origin])
    settings.module, app.settings = module, settings
    again = link.probe("POST", apps=[app])
    return again.decision is not None and not (again.decision.reason or "").startswith("Origin checking failed")


def _fix(ctx, link, trusted: Value):
    settings = link.app.settings
    if settings.is_default("CSRF_TRUSTED_ORIGINS"):
        edit = add_statement(settings.module, f'CSRF_TRUSTED_ORIGINS = ["{link.origin}"]')
    else:
        edit = add_to_list(settings.module, trusted, link.origin)
    return chain_fix(ctx, link, [edit], f"trust {link.origin} in CSRF_TRUSTED_ORIGINS")

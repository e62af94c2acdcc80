"""APP101: CSRF_TRUSTED_ORIGINS entries without a scheme (Django's check 4_0.E001)."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule
from confcheck.fixers.app_fixes import chain_fix
from confcheck.fixers.django_settings import add_scheme

from ._common import links, owned_apps

DOC = RuleDoc(
    what="Finds entries of a Django project's `CSRF_TRUSTED_ORIGINS` that have no scheme "
         "(`shop.example.com` instead of `https://shop.example.com`), the settings read with libcst "
         "as far as they can be known statically.",
    why="Since Django 4.0 every entry must start with a scheme: CsrfViewMiddleware compares the "
        "browser's `Origin` (`https://shop.example.com`) with the entries as written, so an entry "
        "without a scheme never matches, and a form POST whose origin only that entry would have "
        "allowed is refused 403 `Origin checking failed - https://shop.example.com does not match any "
        "trusted origins.` Django's own system check reports it as 4_0.E001 (Django 5.2 "
        "django/core/checks/compatibility/django_4_0.py; django/middleware/csrf.py _origin_verified).",
    example='CSRF_TRUSTED_ORIGINS = ["shop.example.com"]',
    fixed='CSRF_TRUSTED_ORIGINS = ["https://shop.example.com"]',
    fix_safety="Adds `https://` (or `http://` when every server block proxying to the app answers plain "
               "HTTP) in front of the entry, inside its quotes; nothing else in the settings file changes. "
               "It trusts exactly the origin the entry was meant to name.",
    references=("https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-trusted-origins",
                "https://docs.djangoproject.com/en/5.2/releases/4.0/#csrf-trusted-origins-changes"),
)


@rule(id="APP101", name="csrf-origin-without-scheme", severity="error", server="any",
      summary="a CSRF_TRUSTED_ORIGINS entry has no scheme (Django >= 4.0 never matches it)", doc=DOC,
      fixable=True)
def check(ctx):
    for app in owned_apps(ctx):
        value = app.settings.get("CSRF_TRUSTED_ORIGINS")
        if not value.known or value.items is None:
            continue
        schemes = {item.scheme for item in links(ctx) if item.app is app}
        scheme = "http" if schemes == {"http"} else "https"
        for item in value.items:
            if not isinstance(item.value, str) or "://" in item.value or item.span is None:
                continue
            fix = chain_fix(ctx, None, [add_scheme(item, scheme)],
                            f"write the origin with its scheme: {scheme}://{item.value}")
            yield Finding(
                rule="APP101", name="csrf-origin-without-scheme", severity="error",
                message=(f"CSRF_TRUSTED_ORIGINS entry {item.value!r} has no scheme: Django >= 4.0 compares the "
                         f"whole origin ({scheme}://{item.value}), so this entry never matches "
                         "(Django's check 4_0.E001)"),
                span=item.span, fix=fix)

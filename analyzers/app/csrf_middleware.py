"""APP106: CsrfViewMiddleware missing, or CSRF_USE_SESSIONS with SessionMiddleware after it."""

from __future__ import annotations

from confcheck.apps.django.settings import CSRF_MIDDLEWARE, SESSION_MIDDLEWARE
from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule

from ._common import owned_apps, setting_span

DOC = RuleDoc(
    what="Finds a Django project whose `MIDDLEWARE` has no `django.middleware.csrf.CsrfViewMiddleware`, "
         "and one with `CSRF_USE_SESSIONS = True` whose `SessionMiddleware` is missing or comes after "
         "CsrfViewMiddleware.",
    why="Without CsrfViewMiddleware no form is protected against cross-site request forgery (Django's "
        "deploy check security.W003). With CSRF_USE_SESSIONS the CSRF secret lives in the session: "
        "when SessionMiddleware has not run first, CsrfViewMiddleware raises ImproperlyConfigured "
        "(`CSRF_USE_SESSIONS is enabled, but request.session is not set. SessionMiddleware must appear "
        "before CsrfViewMiddleware in MIDDLEWARE.`) and every request answers 500 (Django 5.2 "
        "django/middleware/csrf.py _get_secret; django/core/checks/security/csrf.py).",
    example='MIDDLEWARE = [\n    "django.middleware.common.CommonMiddleware",\n]',
    fixed='MIDDLEWARE = [\n    "django.middleware.common.CommonMiddleware",\n'
          '    "django.middleware.csrf.CsrfViewMiddleware",\n]',
    fix_safety="No automatic fix: where CsrfViewMiddleware belongs depends on the other middleware "
               "(before any view middleware that assumes CSRF was checked).",
    references=("https://docs.djangoproject.com/en/5.2/ref/csrf/",
                "https://docs.djangoproject.com/en/5.2/ref/checks/#security"),
)


@rule(id="APP106", name="csrf-middleware-missing", severity="warning", server="any",
      summary="CsrfViewMiddleware is missing, or SessionMiddleware does not run before it with CSRF_USE_SESSIONS",
      doc=DOC)
def check(ctx):
    for app in owned_apps(ctx):
        middleware = app.settings.get("MIDDLEWARE")
        if not middleware.known or not isinstance(middleware.value, (list, tuple)):
            continue
        names = list(middleware.value)
        span = setting_span(app, "MIDDLEWARE")
        if CSRF_MIDDLEWARE not in names:
            yield Finding(rule="APP106", name="csrf-middleware-missing", severity="warning",
                          message="MIDDLEWARE has no django.middleware.csrf.CsrfViewMiddleware: no form POST is "
                                  "checked for cross-site request forgery (Django's deploy check security.W003)",
                          span=span)
            continue
        sessions = app.settings.get("CSRF_USE_SESSIONS")
        if sessions.known and sessions.value and (SESSION_MIDDLEWARE not in names or
                                                  names.index(SESSION_MIDDLEWARE) > names.index(CSRF_MIDDLEWARE)):
            where = "missing" if SESSION_MIDDLEWARE not in names else "after CsrfViewMiddleware"
            yield Finding(rule="APP106", name="csrf-middleware-missing", severity="error",
                          message=f"CSRF_USE_SESSIONS is on but SessionMiddleware is {where}: CsrfViewMiddleware "
                                  "raises ImproperlyConfigured and every request answers 500",
                          span=span)

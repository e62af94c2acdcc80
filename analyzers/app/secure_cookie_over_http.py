"""APP105: CSRF_COOKIE_SECURE / SESSION_COOKIE_SECURE on a site also served over plain HTTP."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule

from ._common import REFERENCE_CSRF, answer_text, reached_links, setting_span

DOC = RuleDoc(
    what="Finds a Django app with `CSRF_COOKIE_SECURE = True` (or `SESSION_COOKIE_SECURE = True`) that a "
         "plain-HTTP server block proxies to, and follows a form POST there into Django.",
    why="A browser never sends a Secure cookie over http. Django sets the csrftoken cookie with the "
        "Secure flag, the form POST over http comes back without it, and CsrfViewMiddleware refuses it "
        "403 `CSRF cookie not set.`; with SESSION_COOKIE_SECURE the session (a login) is not kept over "
        f"http either ({REFERENCE_CSRF}).",
    example="server {\n    listen 80;\n    server_name shop.example.com;\n    location / {\n"
            "        proxy_pass http://127.0.0.1:8000;\n    }\n}\n# settings.py: CSRF_COOKIE_SECURE = True",
    fixed="server {\n    listen 80;\n    server_name shop.example.com;\n"
          "    return 301 https://$host$request_uri;\n}",
    fix_safety="No automatic fix: either redirect plain HTTP to HTTPS (the usual choice) or drop the "
               "Secure flag (cookies then travel in clear text); which one is the site's decision.",
    references=("https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-cookie-secure",
                "https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-secure"),
)


@rule(id="APP105", name="secure-cookie-over-http", severity="warning", server="any",
      summary="a Secure CSRF or session cookie on a site also served over plain HTTP", doc=DOC)
def check(ctx):
    for link in reached_links(ctx):
        if link.scheme != "http":
            continue
        csrf = link.app.settings.get("CSRF_COOKIE_SECURE")
        if csrf.known and csrf.value is True:
            answer = link.probe("POST", cookie_kept=False)
            yield Finding(
                rule="APP105", name="secure-cookie-over-http", severity="error",
                message=(f"CSRF_COOKIE_SECURE is on, but {link.origin} serves {link.app.settings.path} over "
                         f"plain HTTP: the browser never sends the cookie back there, so a form POST -> "
                         f"{answer_text(answer)}"),
                span=setting_span(link.app, "CSRF_COOKIE_SECURE"), server=link.server)
        session = link.app.settings.get("SESSION_COOKIE_SECURE")
        if session.known and session.value is True:
            yield Finding(
                rule="APP105", name="secure-cookie-over-http", severity="warning",
                message=(f"SESSION_COOKIE_SECURE is on, but {link.origin} serves {link.app.settings.path} over "
                         "plain HTTP: the browser never sends the session cookie back there, so no session "
                         "(no login) is kept over http"),
                span=setting_span(link.app, "SESSION_COOKIE_SECURE"), server=link.server)

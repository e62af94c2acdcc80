"""APP103: an HTTPS server block proxies over HTTP and the app cannot learn the request was secure."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule
from confcheck.fixers.app_fixes import apache_before_proxypass, chain_fix, nginx_proxy_header
from confcheck.fixers.django_settings import add_statement

from ._common import REFERENCE_GUNICORN, REFERENCE_HOST, answer_text, reached_links

DOC = RuleDoc(
    what="Follows a form POST to an HTTPS server block through its `proxy_pass`/`ProxyPass` into the "
         "Django app behind it (gunicorn, then Django's settings) and finds where `request.is_secure()` "
         "comes out False.",
    why="The app receives plain HTTP from the proxy, so it learns the request was secure only from a "
        "header the proxy sets and someone trusts: gunicorn sets wsgi.url_scheme from "
        "`X-Forwarded-Proto` (secure_scheme_headers) only for peers in `forwarded_allow_ips` "
        "(127.0.0.1 by default; a unix socket peer always), and Django reads the header itself only with "
        "`SECURE_PROXY_SSL_HEADER`. uWSGI trusts any peer: its wsgi.url_scheme is `UWSGI_SCHEME` or "
        "`X-Forwarded-Proto` as received, else https when `HTTPS` or `X-Forwarded-Ssl` is `on`/`1` "
        "(uWSGI 2.0.30 core/protocol.c, plugins/python/wsgi_subhandler.c); nginx's `uwsgi_pass` sends "
        "`HTTPS` only through `uwsgi_param HTTPS $https if_not_empty` (the stock uwsgi_params). "
        "nginx sends no X-Forwarded-Proto unless told (`proxy_set_header "
        "X-Forwarded-Proto $scheme`), Apache neither (`RequestHeader set X-Forwarded-Proto https`). "
        "Django then sees http: the Origin check compares `https://host` with `http://host` and "
        "refuses the POST 403 `Origin checking failed - ... does not match any trusted origins.` "
        f"({REFERENCE_HOST}; {REFERENCE_GUNICORN}).",
    example="server {\n    listen 443 ssl;\n    server_name shop.example.com;\n    location / {\n"
            "        proxy_pass http://127.0.0.1:8000;\n        proxy_set_header Host $host;\n    }\n}",
    fixed="server {\n    listen 443 ssl;\n    server_name shop.example.com;\n    location / {\n"
          "        proxy_pass http://127.0.0.1:8000;\n        proxy_set_header Host $host;\n"
          "        proxy_set_header X-Forwarded-Proto $scheme;\n    }\n}",
    fix_safety="Offered for proxy_pass/ProxyPass only (behind uwsgi_pass the finding has no fix: which "
               "variable to send is the user's call). Adds the proxy header; when gunicorn would not trust the proxy's address, also "
               "`SECURE_PROXY_SSL_HEADER = (\"HTTP_X_FORWARDED_PROTO\", \"https\")` at the end of the settings "
               "file. Trusting X-Forwarded-Proto is safe only when the proxy always sets it (a client's own "
               "header would otherwise pass through): the same patch makes the proxy set it on every request "
               "of this location, so the setting is never offered alone.",
    references=("https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header",
                "https://docs.gunicorn.org/en/stable/settings.html#forwarded-allow-ips"),
)


@rule(id="APP103", name="proxy-scheme-lost", severity="warning", server="any",
      summary="an HTTPS site proxies to a Django app that cannot learn the request was secure", doc=DOC,
      fixable=True)
def check(ctx):
    for link in reached_links(ctx):
        if link.scheme != "https":
            continue
        answer = link.probe("POST")
        d = answer.decision
        if d is None or d.is_secure is not False:
            continue
        # 403: CSRF refuses the post; 301: SECURE_SSL_REDIRECT sends https back to https (a loop)
        severity = "error" if d.status in (403, 301) else "warning"
        yield Finding(
            rule="APP103", name="proxy-scheme-lost", severity=severity,
            message=(f"{link.origin} is served over HTTPS but {link.app.settings.path} sees http "
                     f"({answer.url_scheme_why}; SECURE_PROXY_SSL_HEADER "
                     f"{'is not set' if not link.app.settings.get('SECURE_PROXY_SSL_HEADER').value else 'does not match'}"
                     f"): a form POST from {link.origin} -> {answer_text(answer)}"),
            span=link.handler.span, server=link.server, fix=_fix(ctx, link, answer))


def _fix(ctx, link, answer):
    if link.handler.key == "uwsgi_pass":
        return None     # uWSGI trusts any HTTPS/X-Forwarded-Proto: which variable to send is the user's call
    if link.server == "nginx":
        header = nginx_proxy_header(link, "X-Forwarded-Proto", "$scheme")
    elif "headers_module" in link.target.conf.modules:
        header = apache_before_proxypass(link, 'RequestHeader set X-Forwarded-Proto "https"')
    else:
        return None
    edits = [header]
    g = link.app.gunicorn
    trusted = g is not None and g.trusts(answer.backend.peer) and "X-FORWARDED-PROTO" in {
        k.upper() for k in g.secure_scheme_headers}
    title = "the proxy sends X-Forwarded-Proto"
    if not trusted:
        if link.app.settings.get("SECURE_PROXY_SSL_HEADER").value:
            return None     # set to another header: which one is meant is the user's call
        edits.append(add_statement(link.app.settings.module,
                                   'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")'))
        title += ", and Django trusts it (SECURE_PROXY_SSL_HEADER)"
    return chain_fix(ctx, link, edits, title)

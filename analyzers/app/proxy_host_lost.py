"""APP104: the proxy does not pass the public Host, and Django refuses for it."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule
from confcheck.fixers.app_fixes import apache_before_proxypass, chain_fix, nginx_proxy_header

from ._common import REFERENCE_CSRF, REFERENCE_HOST, answer_text, reached_links

DOC = RuleDoc(
    what="Follows a request to a server block through its `proxy_pass`/`ProxyPass` into the Django app "
         "behind it and finds where the host Django sees is not the public one and Django refuses for it.",
    why="nginx sends `Host: $proxy_host` (the proxy_pass address, `127.0.0.1:8000`) unless "
        "`proxy_set_header Host $host` says otherwise; Apache sends the backend's host unless "
        "`ProxyPreserveHost On`; behind `uwsgi_pass` Django's host is the `HTTP_HOST` variable (the client's "
        "Host unless a `uwsgi_param HTTP_HOST` replaces it: Debian's uwsgi_params sends `$host`, without the "
        "port). Django's get_host() checks that host against ALLOWED_HOSTS: "
        "CommonMiddleware answers 400 (DisallowedHost, `Invalid HTTP_HOST header`) for every request, "
        "and the CSRF Origin/Referer checks compare the browser's origin with that host, refusing form "
        f"POSTs 403 ({REFERENCE_HOST}; {REFERENCE_CSRF}).",
    example="location / {\n    proxy_pass http://127.0.0.1:8000;\n}",
    fixed="location / {\n    proxy_pass http://127.0.0.1:8000;\n    proxy_set_header Host $host;\n}",
    fix_safety="Offered for proxy_pass/ProxyPass only (behind uwsgi_pass the finding has no fix). Passes the Host the client sent (nginx: `$host`, or `$http_host` on a non-default port, "
               "whose Origin names the port; Apache: `ProxyPreserveHost On`); "
               "Django still checks it against ALLOWED_HOSTS. Nothing else changes.",
    references=("https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts",
                "https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header",
                "https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxypreservehost"),
)


@rule(id="APP104", name="proxy-host-lost", severity="error", server="any",
      summary="the proxy does not pass the public Host and Django refuses requests for it", doc=DOC,
      fixable=True)
def check(ctx):
    seen = set()
    for link in reached_links(ctx):
        if id(link.handler) in seen:      # one finding per proxy directive, whichever scheme reached it
            continue
        public = link.origin.split("://", 1)[1]
        for method in ("GET", "POST"):
            answer = link.probe(method)
            d = answer.decision
            if d is None or d.host is None or d.status not in (400, 403):
                continue
            if d.host.split(":")[0].lower() == public.split(":")[0].lower():
                break
            if d.status == 403 and "Origin checking failed" not in d.reason and "Referer" not in d.reason:
                continue
            seen.add(id(link.handler))
            yield Finding(
                rule="APP104", name="proxy-host-lost", severity="error",
                message=(f"{link.server} passes Host {d.host!r} to {link.app.settings.path}, not the public "
                         f"{public!r}: {method} {link.origin}{link.path} -> {answer_text(answer)}"),
                span=link.handler.span, server=link.server, fix=_fix(ctx, link))
            break


def _fix(ctx, link):
    if link.handler.key == "uwsgi_pass":
        return None     # HTTP_HOST $http_host passes the raw Host Debian's uwsgi_params warns about
    if link.server == "nginx":
        # $host drops a non-default port, which the browser's Origin keeps: then the Host as sent
        default = link.port == (443 if link.scheme == "https" else 80)
        edit = nginx_proxy_header(link, "Host", "$host" if default else "$http_host")
    else:
        edit = apache_before_proxypass(link, "ProxyPreserveHost On")
    return chain_fix(ctx, link, [edit], "the proxy passes the public Host")

"""APP107: USE_X_FORWARDED_HOST without a proxy that sets X-Forwarded-Host."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule

from ._common import REFERENCE_HOST, reached_links, setting_span

DOC = RuleDoc(
    what="Finds a Django app with `USE_X_FORWARDED_HOST = True` behind an nginx `proxy_pass` that does not "
         "set `X-Forwarded-Host`.",
    why="With USE_X_FORWARDED_HOST Django takes the host from X-Forwarded-Host when the header arrives "
        "(get_host, the CSRF Origin and Referer checks, absolute URLs). nginx passes a client's own "
        "X-Forwarded-Host through unless `proxy_set_header X-Forwarded-Host ...` replaces it, so a "
        "client chooses the host Django sees; without the header Django falls back to Host. Apache's "
        f"mod_proxy sets X-Forwarded-Host itself ({REFERENCE_HOST}).",
    example="location / {\n    proxy_pass http://127.0.0.1:8000;\n    proxy_set_header Host $host;\n}\n"
            "# settings.py: USE_X_FORWARDED_HOST = True",
    fixed="location / {\n    proxy_pass http://127.0.0.1:8000;\n    proxy_set_header Host $host;\n"
          "    proxy_set_header X-Forwarded-Host $host;\n}",
    fix_safety="No automatic fix: set the header in the proxy, or drop USE_X_FORWARDED_HOST when the "
               "proxy passes Host.",
    references=("https://docs.djangoproject.com/en/5.2/ref/settings/#use-x-forwarded-host",),
)


@rule(id="APP107", name="forwarded-host-unset", severity="warning", server="any",
      summary="USE_X_FORWARDED_HOST is on but the proxy does not set X-Forwarded-Host", doc=DOC)
def check(ctx):
    seen = set()
    for link in reached_links(ctx):
        if id(link.handler) in seen:      # one finding per proxy directive, whichever scheme reached it
            continue
        if link.server != "nginx":
            continue
        value = link.app.settings.get("USE_X_FORWARDED_HOST")
        if not (value.known and value.value is True):
            continue
        backend = link.backend(link.request())
        if "x-forwarded-host" in backend.set_by:
            continue
        seen.add(id(link.handler))
        yield Finding(
            rule="APP107", name="forwarded-host-unset", severity="warning",
            message=(f"USE_X_FORWARDED_HOST is on, but {link.handler.name} at {link.handler.file}:"
                     f"{link.handler.line} does not set X-Forwarded-Host: Django takes the host from a "
                     "client's own X-Forwarded-Host, else from Host"),
            span=setting_span(link.app, "USE_X_FORWARDED_HOST"), server=link.server)

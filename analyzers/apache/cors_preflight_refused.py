"""APA119: a section that announces cross-origin access (`Header ... Access-Control-Allow-*`) refuses OPTIONS."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import (PROBE_FILE, by_config, config_model, describe, finding, own_directives, probe,
                      sections_with_targets, urls_reaching)

DOC = RuleDoc(
    what="Finds `<Directory>`/`<Location>` sections and .htaccess files that set an "
         "`Access-Control-Allow-*` header (mod_headers) where a browser's CORS preflight, "
         "`OPTIONS` with `Origin` and `Access-Control-Request-Method`, is refused by the "
         "configuration (`<Limit>`, `<LimitExcept>`, `Require method`, ...). The rule asks the "
         "request model what the preflight gets and names the deciding line.",
    why="Before a cross-origin POST, PUT or DELETE (or a request with custom headers) the browser "
        "sends `OPTIONS` and sends the real request only when that answer is a success carrying the "
        "CORS headers. `<LimitExcept GET POST> Require all denied` or `Require method GET POST` "
        "answer the preflight 403 (AH01630): the real request is never sent, and the browser "
        "reports a CORS error although the `Access-Control-Allow-*` headers are configured.",
    example="<Directory /var/www/api>\n    Header always set Access-Control-Allow-Methods \"GET, POST, OPTIONS\"\n"
            "    <LimitExcept GET POST>\n        Require all denied\n    </LimitExcept>\n</Directory>",
    fixed="<Directory /var/www/api>\n    Header always set Access-Control-Allow-Methods \"GET, POST, OPTIONS\"\n"
          "    <LimitExcept GET POST OPTIONS>\n        Require all denied\n    </LimitExcept>\n</Directory>",
    fix_safety="Allowing OPTIONS lets every client ask which methods are allowed; httpd's core "
               "answers it without running the application.",
    references=("https://developer.mozilla.org/en-US/docs/Glossary/Preflight_request",
                "https://httpd.apache.org/docs/2.4/mod/core.html#limitexcept"),
)

_ACTIONS = frozenset({"set", "append", "add", "merge", "setifempty"})
PREFLIGHT = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}


def cors_header(node) -> bool:
    """`Header [always|onsuccess] set|append|add|merge Access-Control-Allow-... value`."""
    words = [w.lower() for w in node.values]
    if words and words[0] in ("always", "onsuccess"):
        words = words[1:]
    return len(words) >= 2 and words[0] in _ACTIONS and words[1].startswith("access-control-allow-")


@rule(id="APA119", name="cors-preflight-refused", severity="warning", server="apache",
      summary="a section sending Access-Control-Allow-* headers refuses OPTIONS (the CORS preflight gets 403)",
      doc=DOC)
def check(ctx):
    for target, servers, section, where in sections_with_targets(ctx):
        headers = [n for n in own_directives(section, "header") if cors_header(n)]
        if not headers:
            continue
        urls = urls_reaching(target, servers, section)
        if not urls:
            continue
        server, url = urls[0]
        model = config_model(ctx, target)
        preflight = probe(model, server, url + PROBE_FILE, method="OPTIONS", headers=PREFLIGHT)
        if not by_config(preflight, (403,)):
            continue
        plain = probe(model, server, url + PROBE_FILE, method="GET")
        if plain is None or plain.status == 403:
            continue                # everything is refused there: another rule's business
        node, header = preflight.decided_by, headers[0]
        yield finding(
            "APA119", "cors-preflight-refused", "warning",
            f"`{describe(node)}` answers OPTIONS {url} (a browser's CORS preflight) with 403 while "
            f"`{describe(header)}` at {header.file}:{header.line} in {where} announces cross-origin access: "
            "the preflight fails and the browser never sends the real request; let OPTIONS through "
            "(add it to <LimitExcept>/Require method, or drop it from <Limit>)", node)

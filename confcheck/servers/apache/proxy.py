"""mod_proxy as a reverse proxy: which URLs ProxyPass takes, and the configuration
that decides access to them (modules/proxy/mod_proxy.c proxy_trans, proxy_walk).

proxy_trans runs first among the translate hooks (before mod_rewrite and
mod_alias): the first ProxyPass/ProxyPassMatch of the server context that
matches the URL, in order (the main server's, then the virtual host's), turns
it into `proxy:<backend URL>`; an exclusion (`!`) that matches first keeps the
URL local. Such a request never meets a <Directory> or <Files> section:
proxy_walk starts from the server's defaults and merges the <Proxy> and
<ProxyMatch> sections that match the backend URL; <Location> and <If> follow
as for any request. The status then is the backend's.
"""

from __future__ import annotations

import re

from confcheck.servers.apache.conf import compile_regex, fnmatch_regex, has_wildcard

PASS_KEYS = ("proxypass", "proxypassmatch")


def _prefix_match(prefix: str, uri: str) -> bool:
    """proxy_trans's alias_match: a prefix of whole path segments (a trailing slash must match too)."""
    if not uri.startswith(prefix):
        return False
    return prefix.endswith("/") or len(uri) == len(prefix) or uri[len(prefix)] == "/"


def pass_for(st, uri: str):
    """(ProxyPass node, backend URL) that takes `uri`, or None."""
    conf = st.model.conf
    for srv in ([conf.main] + ([st.server] if st.server is not conf.main else [])):
        for node in srv.scope:
            values = node.values
            if node.key not in PASS_KEYS or len(values) < 2:
                continue
            if node.key == "proxypass":
                if not _prefix_match(values[0], uri):
                    continue
                url = values[1] + uri[len(values[0]):]
            else:
                regex = compile_regex(values[0])
                match = regex.search(uri) if regex is not None else None
                if match is None:
                    continue
                # without a backreference the whole URL path is appended (mod_proxy.c proxy_trans)
                url = _substitute(values[1], match) if "$" in values[1] else values[1] + uri
            return None if values[1] == "!" else (node, url)
    return None


def _substitute(template: str, match: re.Match) -> str:
    """ap_pregsub: $0..$9 from the match."""
    return re.sub(r"\$(\d)", lambda m: (match.group(int(m.group(1))) or "") if int(m.group(1)) <= (
        match.re.groups) else "", template)


def sections_for(st, url: str) -> list:
    """The <Proxy>/<ProxyMatch> sections that match the backend URL, in the order merged."""
    conf = st.model.conf
    found = []
    for srv in ([conf.main] + ([st.server] if st.server is not conf.main else [])):
        for sec in srv.perdir:
            if getattr(sec, "kind", "") not in ("other:proxy", "other:proxymatch") or sec.node is None:
                continue
            values = sec.node.values
            regex_form = sec.kind == "other:proxymatch" or (values[:1] == ["~"])
            pattern = (values[1] if values[:1] == ["~"] and len(values) > 1 else values[0]) if values else ""
            if regex_form:
                regex = compile_regex(pattern)
                hit = regex is not None and regex.search(url) is not None
            elif has_wildcard(pattern):
                hit = fnmatch_regex(pattern, pathname=False).match(url) is not None
            else:
                hit = url.startswith(pattern)
            if hit:
                found.append(sec)
    return found

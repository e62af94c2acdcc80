"""`valid_referers` and the `$invalid_referer` it sets (ngx_http_referer_module).

No Referer: valid only with `none`. A Referer that does not start with
http:// or https:// (after a proxy or firewall stripped it): valid only with
`blocked`. Otherwise its host must match a listed name exactly, a wildcard
(`*.example.com`, `example.*`), a regex (`~...`), or the server's own names
with `server_names`; `example.com` does not cover `www.example.com`.
"""

from __future__ import annotations

from confcheck.servers.nginx.conf import BadRegex, compile_regex
from confcheck.servers.nginx.select import wildcard_match


def invalid_referer(state) -> str:
    node = state.scope.last("valid_referers")
    if node is None:
        return ""
    values = node.values
    referer = state.request.header("referer")
    if referer is None or referer == "":
        return "" if "none" in values else "1"
    lower = referer.lower()
    if not (lower.startswith("http://") or lower.startswith("https://")) or len(referer) < len("http://i.ru"):
        return "" if "blocked" in values else "1"
    rest = referer.split("://", 1)[1]
    host_end = len(rest)
    for sep in "/:?":
        pos = rest.find(sep)
        if pos != -1:
            host_end = min(host_end, pos)
    host = rest[:host_end].lower()
    path = rest[host_end:]
    names = [v for v in values if v not in ("none", "blocked", "server_names")]
    if "server_names" in values:
        names += [n for n, _ in state.server.names]
    for name in names:
        if name.startswith("~"):
            try:
                if compile_regex(name[1:], True).search(rest):
                    return ""
            except BadRegex:
                continue
            continue
        entry_host, slash, entry_path = name.partition("/")
        entry_host = entry_host.lower()
        host_ok = entry_host == host or (("*" in entry_host or entry_host.startswith("."))
                                         and wildcard_match(entry_host, host))
        if host_ok and (not slash or path.startswith("/" + entry_path)):
            return ""
    return "1"

"""The directives of the coverage table's `unknown` class that a request passes.

The per-directory merge (perdir.merge) carries every directive no module of
the model reads, keyed as httpd merges it (the innermost section's setting
wins); the server scope (main server, then the virtual host) adds the
server-only ones (ProxyPass, RewriteMap, ...). After the request is decided,
`not_modelled` finds the first of them that acts on this request; the answer
then becomes status null with the directive named.
"""

from __future__ import annotations

from confcheck.servers.coverage import apache_entry, unknown_reason

# Several lines of these coexist; each is its own setting.
KEYED_BY_FIRST_ARG = frozenset({"errordocument", "proxypass", "proxypassmatch"})
PROXY = ("proxypass", "proxypassmatch")


def key_of(node) -> str:
    if node.key in KEYED_BY_FIRST_ARG and node.values:
        return f"{node.key} {node.values[0]}"
    return node.key


def _acts(node, st, status: int | None, rules) -> bool:
    """Whether an unknown-class directive acts on this request (the rest always may)."""
    key, values, request = node.key, node.values, st.request
    if key in PROXY:                              # the <Location> form (the server form is modelled)
        return len(values) < 2 and values[:1] != ["!"]
    if key in ("checkspelling", "checkcaseonly"):
        return status == 404
    if key == "indexforbiddenreturn404":
        return status == 403
    if key == "directoryindexredirect":
        return st.uri.endswith("/")
    if key == "dav":
        return request.method not in ("GET", "HEAD", "POST")
    if key == "mergeslashes":
        return "//" in request.raw_path
    if key == "sslrequiressl":
        return request.scheme != "https"
    if key == "sslverifyclient":
        return request.scheme == "https"
    if key == "rewritemap":
        return any("${" in " ".join(a.raw for a in n.args) for n in rules)
    return True


def in_force(st) -> dict:
    """The directives no module of the model reads that are in force for this request
    (server scope, then the merged per-directory configuration), by key_of."""
    found: dict[str, object] = {}
    conf = st.model.conf
    for srv in ([conf.main] + ([st.server] if st.server is not conf.main else [])):
        for node in srv.scope:
            found[key_of(node)] = node
    found.update(st.coverage)
    return found


def not_modelled(st, status: int | None):
    """(node, reason) of the first unknown-class directive acting on this request, or None."""
    found = in_force(st)
    rules = [n for n in found.values() if n.key in ("rewriterule", "rewritecond")] + st.rw_nodes
    outside = st.model.outside
    for node in found.values():
        if node.key.startswith(outside):
            continue
        reason = unknown_reason(apache_entry(node.name), node.values[0] if node.values else None)
        if node.key in PROXY and len(node.values) < 2:
            reason = "the <Location> form of ProxyPass is not modelled: the backend's status, or <Proxy> sections"
        if reason is not None and _acts(node, st, status, rules):
            return node, reason
    return None

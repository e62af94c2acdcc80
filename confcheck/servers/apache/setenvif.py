"""mod_setenvif: SetEnvIf[NoCase], BrowserMatch[NoCase] and SetEnvIfExpr
(modules/metadata/mod_setenvif.c, match_headers).

The attribute is one of the special names (Remote_Addr, Remote_Host,
Server_Addr, Request_Method, Request_Protocol, Request_URI; any case), a
request header, or, when no header of that name was sent, a variable already
in the environment; a name that is not a plain header name is a regex over the
header names (the last header matching gives the value). A missing value is
matched as the empty string. Assignments are `name`, `name=value` (`$1`...
from the regex) and `!name` (unset).

Where the value cannot be known offline, the assigned names become unknown in
the request environment (envvars.RequestEnv), naming the directive: Remote_Host
with HostnameLookups On/Double (a reverse DNS lookup), a variable a module the
model does not follow sets, an expression or a regex the model cannot evaluate.
"""

from __future__ import annotations

import re

from confcheck.parsers.syntax import Node

_SPECIAL = ("remote_addr", "remote_host", "server_addr", "request_uri", "request_method", "request_protocol")
_HEADER_NAME = re.compile(r"^[-A-Za-z0-9_]*$")
# Variables that modules the model does not follow put in the environment before
# mod_setenvif reads it: (name or prefix, the module that sets it).
MODULE_VARIABLES = (("UNIQUE_ID", "unique_id_module"), ("HTTPS", "ssl_module"), ("SSL_", "ssl_module"),
                    ("GEOIP_", "geoip_module"), ("HTTP2", "http2_module"), ("H2", "http2_module"),
                    ("SCRIPT_URL", "rewrite_module"), ("SCRIPT_URI", "rewrite_module"),
                    ("REMOTEIP_", "remoteip_module"))
_GROUP_REF = re.compile(r"\$(\d)")


class _Unknown(Exception):
    """The directive's value (or whether it matches) cannot be known offline."""


def nodes_for(st, conf) -> list[Node]:
    """Server scope first (post_read_request), then the per-directory ones (header_parser)."""
    conf_all = st.model.conf
    servers = [conf_all.main] + ([st.server] if st.server is not conf_all.main else [])
    nodes = [n for srv in servers for n in srv.scope if n.key.startswith(("setenvif", "browsermatch"))]
    return nodes + [n for n in conf.setenvif if n not in nodes]


def run(st, conf) -> None:
    for node in nodes_for(st, conf):
        try:
            matched, groups = _matches(st, node)
        except _Unknown as exc:
            for name in _assigned_names(node):
                st.env.set_unknown(name, node, str(exc))
            st.step("env", f"{_text(node)}: unknown offline ({exc}): "
                    + ", ".join(_assigned_names(node)) + " may or may not be set", node)
            continue
        if not matched:
            continue
        for assignment in _assignments(node):
            name, _, value = assignment.partition("=")
            if name.startswith("!") or value.startswith("!"):
                st.env.pop(name.lstrip("!"), None)
                continue
            value = value or "1"
            if groups is not None:
                value = _GROUP_REF.sub(lambda m: (groups[int(m.group(1))] or "") if int(m.group(1)) < len(groups)
                                       else "", value)
            st.env[name] = value
        st.step("env", f"{_text(node)} matches", node)


def remote_host(st) -> str | None:
    """What Remote_Host and %{REMOTE_HOST} read: the client's address unless HostnameLookups
    turns on a reverse DNS lookup (then None: not known offline)."""
    from confcheck.servers.apache.coverage import in_force
    node = in_force(st).get("hostnamelookups")
    if node is not None and node.values and node.values[0].lower() in ("on", "double"):
        return None
    return st.request.client_ip


def _lookups_node(st) -> Node | None:
    from confcheck.servers.apache.coverage import in_force
    return in_force(st).get("hostnamelookups")


def _matches(st, node: Node) -> tuple[bool, tuple | None]:
    """(whether the condition holds, the regex groups for $N)."""
    values = node.values
    key = node.key
    if key == "setenvifexpr":
        from confcheck.servers.apache.expr import evaluate
        result = evaluate(values[0], st) if values else None
        if result is None:
            raise _Unknown(f"the expression {values[0] if values else ''!r} cannot be evaluated offline")
        return result, None
    if key.startswith("browsermatch"):
        attr, pattern = "User-Agent", values[0] if values else ""
    else:
        if len(values) < 2:
            return False, None
        attr, pattern = values[0], values[1]
    icase = key.endswith("nocase")
    value = _value(st, attr, icase)
    try:
        m = re.search(pattern, value, re.I if icase else 0)
    except re.error:
        raise _Unknown(f"the pattern {pattern!r} uses regex syntax the model does not evaluate") from None
    if m is None:
        return False, None
    return True, (m.group(0),) + m.groups()


def _value(st, attr: str, icase: bool) -> str:
    lower = attr.lower()
    req = st.request
    if lower in _SPECIAL:
        if lower in ("remote_addr", "remote_host") and getattr(st, "remoteip_unknown", None) is not None:
            raise _Unknown(f"{attr}: the client address is {st.remoteip_unknown.why}")
        if lower == "remote_host":
            host = remote_host(st)
            if host is None:
                where = _lookups_node(st)
                raise _Unknown(f"Remote_Host needs a reverse DNS lookup of {req.client_ip} (HostnameLookups "
                               f"{where.values[0]} at {where.file}:{where.line})")
            return host
        return {"remote_addr": req.client_ip, "server_addr": req.address, "request_uri": st.uri,
                "request_method": req.method, "request_protocol": "HTTP/1.1"}[lower]
    if not _HEADER_NAME.match(attr):
        try:
            names = re.compile(attr, re.I if icase else 0)
        except re.error:
            raise _Unknown(f"the header-name regex {attr!r} uses syntax the model does not evaluate") from None
        found = ""
        for name, value in req.headers.items():
            # the model keeps header names in lower case; the client's spelling counts
            hits = {names.search(name) is not None, names.search(name.title()) is not None}
            if len(hits) > 1:
                raise _Unknown(f"the header-name regex {attr!r} depends on how the client spelled {name}")
            if hits == {True}:
                found = value
        return found
    header = req.header(attr)
    if header is not None:
        return header
    value = st.env.get(attr)
    if value is not None:
        return value
    for prefix, module in MODULE_VARIABLES:
        if attr.upper().startswith(prefix) and module in st.model.conf.modules:
            raise _Unknown(f"{attr} is not a request header; {module} may set that variable, which the model "
                           "does not follow")
    return ""


def _assignments(node: Node) -> list[str]:
    values = node.values
    if node.key == "setenvifexpr":
        return values[1:]
    if node.key.startswith("browsermatch"):
        return values[1:]
    return values[2:]


def _assigned_names(node: Node) -> list[str]:
    return [a.partition("=")[0].lstrip("!") for a in _assignments(node)]


def _text(node: Node) -> str:
    return " ".join([node.name] + [a.raw for a in node.args])

"""ngx_http_auth_request_module: the access phase asks another location.

Facts from nginx 1.22 (ngx_http_auth_request_module.c, ngx_http_subrequest,
ngx_http_core_access_phase):
- it runs in the access phase after allow/deny and auth_basic; `auth_request
  off` (or none) declines;
- the subrequest is a GET of the URI as written, internal (an `internal`
  location may answer it), starting at the server's rewrite phase; it skips
  the access phase (allow/deny and auth in the auth location never act) and
  shares the main request's variables;
- its status decides: 2xx allows, 401 and 403 are the main request's answer,
  anything else is a 500 ("auth request unexpected status").

The subrequest is decided by the same model. When the model does not know what
it answers (a proxied location, an unknown-class directive, an error page of its
own), the main request's answer is unknown, naming the auth_request line and the
location the subrequest went to.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from confcheck.servers.outcome import Final, Step

if TYPE_CHECKING:
    from confcheck.servers.nginx.decide import State


def check(state: "State"):
    """None when no auth_request is in force; otherwise (status, reason, node, fs_path, rule)
    with status 200 for an allowed request. An unknown subrequest answer marks the state
    not modelled (the request then goes on as if allowed, as for any unknown directive)."""
    node = state.scope.last("auth_request")
    if node is None or not node.args or node.args[0].value == "off":
        return None
    uri = node.args[0].value
    sub, final = _subrequest(state, uri)
    where = sub.scope.describe()
    state.trace.extend(Step(f"auth {s.step}", s.detail, s.node) for s in sub.trace)
    unknown = _unknown(sub, final)
    if unknown is not None:
        state.not_modelled = (node, f"its subrequest to {uri} goes to {where}, {unknown}; "
                                    "its status decides this request")
        state.step("auth_request", f"subrequest {uri} ({where}): answer unknown", node)
        return (200, "", node, None, None)
    told = f"the auth_request subrequest to {uri} ({where}) answers {final.status}: {final.reason}"
    if 200 <= final.status < 300:
        state.step("auth_request", f"{told}: the request is allowed", node)
        return (200, told, node, None, None)
    if final.status in (401, 403):
        return (final.status, told, node, final.fs_path, final.rule if final.fs_path else None)
    return (500, f"{told}; nginx logs \"auth request unexpected status: {final.status}\" and answers 500",
            node, final.fs_path, None)


def _subrequest(state: "State", uri: str):
    from confcheck.servers.nginx.decide import State, _run
    sub = State(state.model, replace(state.request, method="GET"), state.server)
    sub.subrequest = True
    sub.internal = True
    sub.uri = uri
    sub.args = ""
    sub.client_ip, sub.realip_done = state.client_ip, True   # the connection's address, already set
    sub.set_vars = state.set_vars                             # sr->variables = r->variables
    try:
        _run(sub)
    except Final as final:
        return sub, final
    raise AssertionError("a subrequest always ends with a status")


def _unknown(sub: "State", final: Final) -> str | None:
    if sub.not_modelled is not None:
        node, why = sub.not_modelled
        return f"which passes {node.name} at {node.file}:{node.line} ({why})"
    if final.status is None:
        return f"whose answer is not known ({final.reason})"
    if final.status == 444:
        return "which closes the connection (444)"
    if final.status >= 300 and sub.scope.group("error_page"):
        return f"whose {final.status} meets error_page there (an error page of a subrequest is not modelled)"
    return None

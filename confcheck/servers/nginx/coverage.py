"""The directives of the coverage table's `unknown` class that a request passes.

decide() calls `note_phase` when the request enters a phase: the levels in
force (http > server > location > if / limit_except) are searched for a
directive that acts in that phase and whose effect the model does not know.
The first one found is kept on the state; the request is still decided (what
the model would answer without it), and the answer becomes status null with
the directive named. A directive acts only where the request reaches its
phase: `return 403` in the rewrite phase never meets `auth_request`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from confcheck.servers.coverage import nginx_entry, unknown_reason
from confcheck.servers.nginx.limits import note_limits

if TYPE_CHECKING:
    from confcheck.servers.nginx.decide import State

# When each unknown-class directive acts (ngx_http_core_module's phases and
# the filters); anything else acts as soon as the request reaches its level.
PHASES = {
    "auth_request": "access", "limit_req": "access", "limit_conn": "access",
    "brotli_static": "content", "perl": "content", "slice": "content", "fastcgi_store": "content",
    "proxy_store": "content", "scgi_store": "content", "uwsgi_store": "content",
    "image_filter": "answer", "xslt_stylesheet": "answer",
}
# Content handlers are the location's own: not inherited by nested locations.
NOT_INHERITED = frozenset({"perl"})
# Levels the request does not "pass" as directives: the levels themselves.
LEVELS = frozenset({"location", "if", "limit_except", "server", "http"})


def _chain_from(scope):
    inner = True
    while scope is not None:
        yield scope, inner
        if scope.kind == "location":
            inner = False
        scope = scope.parent


def _applies(state: "State", name: str, node) -> bool:
    """Whether an unknown-class directive really acts on this request."""
    request = state.request
    if name == "ssl_verify_client":
        return request.scheme == "https"
    if name == "brotli_static":
        return "br" in (request.header("accept-encoding") or "") or node.values[:1] == ["always"]
    if name == "slice":
        # the answer is cut only where $slice_range is read, for the client's Range
        return request.header("range") is not None
    return True


def _candidates(scope) -> list:
    """This level's directives of the unknown class (or of no known module), switched off or
    not (an inner `off` hides an outer setting). Kept with the level: an http{} of 2,000
    servers is looked at once, not once per request."""
    found = scope._groups.get(" coverage")
    if found is None:
        found = scope._groups[" coverage"] = [
            n for n in scope.children_nodes
            if n.key not in LEVELS and (nginx_entry(n.key) is None or nginx_entry(n.key).cls == "unknown")]
    return found


def note_phase(state: "State", phase: str) -> None:
    """Keep the first unknown-class directive of `phase` in force for this request
    (and, in the access phase, note the limits a single request passes: limits.py)."""
    if phase == "access":
        note_limits(state)
    if state.not_modelled is not None:
        return
    for name, node, reason in _in_force(state.scope, phase, state.model.outside):
        if _applies(state, name, node):
            state.not_modelled = (node, reason)
            return


def _in_force(scope, phase: str, outside: tuple = ()) -> list:
    """(name, node, reason) of the unknown-class directives of `phase` in force at
    `scope`, innermost first: the configuration alone decides them, so they are
    found once per level and phase (whether one acts is the request's: _applies).
    `outside`: name prefixes another layer answers for (the WAF replay)."""
    key = f" coverage {phase} {outside}"
    found = scope._groups.get(key)
    if found is not None:
        return found
    found = []
    seen: set[str] = set()
    for level, inner in _chain_from(scope):
        for node in _candidates(level):
            name = node.key
            if name in seen or PHASES.get(name, "request") != phase or name.startswith(outside):
                continue
            seen.add(name)         # the innermost level's setting is the one in force
            if name in NOT_INHERITED and not inner:
                continue
            reason = unknown_reason(nginx_entry(name), node.values[0] if node.values else None)
            if reason is not None:
                found.append((name, node, reason))
    scope._groups[key] = found
    return found

"""limit_req / limit_conn: what a single request meets, and what answers under load.

A single request is never limited: limit_req lets the first request of a key
through (excess 0) and limit_conn allows at least one connection. So `why`
answers what the request gets otherwise, and says which limit could refuse it
under load, with the zone's rate and the burst, and which status it would get
(limit_req_status / limit_conn_status, 503 unless set). Facts from
ngx_http_limit_req_module.c and ngx_http_limit_conn_module.c (1.22): the
innermost level having any limit_req (limit_conn) lines replaces the outer
ones; a request is checked once per module, in the first location of its
access phases that has limits (r->main->limit_req_status is set then), so a
later internal redirect does not count again.
"""

from __future__ import annotations

from dataclasses import dataclass

from confcheck.parsers.syntax import Node

MODULES = ("limit_req", "limit_conn")


@dataclass(frozen=True)
class Limit:
    directive: Node            # limit_req zone=one burst=5 / limit_conn addr 10
    zone: str
    zone_node: Node | None     # limit_req_zone / limit_conn_zone defining it (None: not found)
    status: int                # the status under load
    status_node: Node | None   # limit_req_status / limit_conn_status (None: the default 503)
    rate: str | None = None    # limit_req_zone's rate=
    burst: int = 0
    connections: int | None = None   # limit_conn's number
    key: str | None = None     # the zone's key ($binary_remote_addr)
    dry_run: bool = False

    def describe(self) -> str:
        node = self.directive
        where = (f"zone {self.zone} ({self.zone_node.name} at {self.zone_node.file}:{self.zone_node.line}"
                 f"{', key ' + self.key if self.key else ''})") if self.zone_node else f"zone {self.zone}"
        if node.key == "limit_req":
            load = f"more than {self.rate or 'its rate'} per key" + (f" beyond a burst of {self.burst}"
                                                                         if self.burst else "")
        else:
            load = f"more than {self.connections} connections at once per key"
        said = (f" ({self.status_node.name} at {self.status_node.file}:{self.status_node.line})"
                if self.status_node else " (the default; limit_*_status changes it)")
        outcome = ("dry run: only logged, never refused" if self.dry_run
                   else f"nginx answers {self.status}{said}")
        return (f"{node.name} at {node.file}:{node.line}, {where}: a single request is not limited; "
                f"with {load}, {outcome}")

    def to_json(self) -> dict:
        node = self.directive
        out = {"directive": node.name, "file": node.file, "line": node.line, "zone": self.zone,
               "status_under_load": self.status, "dry_run": self.dry_run}
        if node.key == "limit_req":
            out.update(rate=self.rate, burst=self.burst)
        else:
            out["connections"] = self.connections
        if self.zone_node is not None:
            out["zone_file"], out["zone_line"] = self.zone_node.file, self.zone_node.line
        return out


def zone_definition(http, module: str, zone: str) -> Node | None:
    for node in http.scope.own(f"{module}_zone"):
        for arg in node.values[1:]:
            if arg.startswith("zone=") and arg[5:].split(":", 1)[0] == zone:
                return node
    return None


def in_force(scope, http) -> list[Limit]:
    """The limits a request in `scope` is checked against (both modules). They follow
    from the configuration alone: found once per level (with its other derived
    lists), not once per request."""
    found = scope._groups.get(" limits")
    if found is None:
        found = scope._groups[" limits"] = _in_force(scope, http)
    return found


def _in_force(scope, http) -> list[Limit]:
    found: list[Limit] = []
    for module in MODULES:
        status_node = scope.last(f"{module}_status")
        status = int(status_node.values[0]) if status_node is not None and status_node.values[:1] != [] \
            and status_node.values[0].isdigit() else 503
        dry = scope.value(f"{module}_dry_run", "off") == "on"
        for node in scope.group(module):
            found.append(_limit(node, module, http, status, status_node, dry))
    return found


def _limit(node: Node, module: str, http, status: int, status_node, dry: bool) -> Limit:
    values = node.values
    if module == "limit_req":
        zone, burst = "", 0
        for value in values:
            if value.startswith("zone="):
                zone = value[5:]
            elif value.startswith("burst=") and value[6:].isdigit():
                burst = int(value[6:])
        zone_node = zone_definition(http, module, zone)
        rate = next((v[5:] for v in (zone_node.values if zone_node else []) if v.startswith("rate=")), None)
        key = zone_node.values[0] if zone_node is not None and zone_node.values else None
        return Limit(node, zone, zone_node, status, status_node, rate=rate, burst=burst, key=key, dry_run=dry)
    zone = values[0] if values else ""
    zone_node = zone_definition(http, module, zone)
    number = int(values[1]) if len(values) > 1 and values[1].isdigit() else None
    key = zone_node.values[0] if zone_node is not None and zone_node.values else None
    return Limit(node, zone, zone_node, status, status_node, connections=number, key=key, dry_run=dry)


def note_limits(state) -> None:
    """In the access phase: the limits this request is checked against, once per module."""
    for limit in in_force(state.scope, state.http):
        module = limit.directive.key
        if any(seen.directive.key == module for seen in state.limits):
            continue         # checked already in an earlier location of this request
        state.limits.append(limit)
        state.step("access", limit.describe(), limit.directive)

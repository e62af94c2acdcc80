"""What the WAF rules share: the scope tree of each configuration that loads ModSecurity
(confcheck/waf), built once per scan, and the finding they yield. No rule lives here."""

from __future__ import annotations

from confcheck.findings import Finding


def waf_trees(ctx) -> list:
    """(target, top WafScope) for each configuration of the scan with ModSecurity in it
    (built once, with the configuration: engine._waf)."""
    return [(target, target.waf) for target in ctx.targets() if target.waf is not None]


def anchor(scope):
    """The span a finding about `scope` cites: its block or section, else its first ModSecurity line."""
    if scope.node is not None and scope.kind != "http":
        return scope.node.span
    if scope.switch is not None:
        return scope.switch.span
    return scope.nodes[0].span if scope.nodes else (scope.node.span if scope.node is not None else None)


def finding(rule_id: str, name: str, severity: str, message: str, span, scope) -> Finding:
    return Finding(rule=rule_id, name=name, severity=severity, message=message, span=span, server=scope.server)

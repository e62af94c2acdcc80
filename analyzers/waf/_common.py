"""What the WAF rules share: the scope tree of each configuration that loads ModSecurity
(confcheck/waf), built once per scan, and the finding they yield. No rule lives here."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.waf.scopes import apache_scopes, nginx_scopes


def waf_trees(ctx) -> list:
    """(target, top WafScope) for each configuration of the scan with ModSecurity in it."""
    if "waf_trees" not in ctx.memo:
        out = []
        for target in ctx.apache:
            if "security2_module" in target.conf.modules:
                root = apache_scopes(target.conf)
                if any(s.nodes for s in root.walk()):
                    out.append((target, root))
        for target in ctx.nginx:
            root = nginx_scopes(target.config, ctx.options.root)
            if root is not None and any(s.nodes or s.switch is not None for s in root.walk()):
                out.append((target, root))
        ctx.memo["waf_trees"] = out
    return ctx.memo["waf_trees"]


def anchor(scope):
    """The span a finding about `scope` cites: its block or section, else its first ModSecurity line."""
    if scope.node is not None and scope.kind != "http":
        return scope.node.span
    if scope.switch is not None:
        return scope.switch.span
    return scope.nodes[0].span if scope.nodes else (scope.node.span if scope.node is not None else None)


def finding(rule_id: str, name: str, severity: str, message: str, span, scope) -> Finding:
    return Finding(rule=rule_id, name=name, severity=severity, message=message, span=span, server=scope.server)

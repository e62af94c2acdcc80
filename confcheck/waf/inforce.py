"""What a WAF scope holds once inheritance is applied: engine mode, rules, settings.

Inheritance follows the engines:

* mod_security2 (Apache) merges per-directory configurations: a child (a
  `<VirtualHost>` under the main server, a section under its server) takes its
  parent's rules minus those its own removals name, then adds its own
  (SecRuleInheritance On, the default). Within one scope a removal acts on the
  rules already read when httpd reads it (apache2_config.c: the rule is removed
  "straight away"), so one written before the rule it names does nothing there.
* libmodsecurity 3 (nginx) merges a location's rules onto its server's and the
  http block's; removals are kept as exceptions and checked when a rule runs,
  so their place does not matter.

Settings (SecRuleEngine, SecRequestBodyLimit ...): the innermost scope's last
one wins, the way both engines merge them.
"""

from __future__ import annotations

from dataclasses import dataclass

from confcheck.parsers.secrule import Removal, Rule, UpdateTarget
from confcheck.parsers.syntax import Node

ENGINE_WORDS = {"on": "On", "detectiononly": "DetectionOnly", "off": "Off"}
# CRS 3.3's REQUEST-901-INITIALIZATION defaults (what crs-setup.conf leaves unset);
# CRS 4 calls the level blocking_paranoia_level
CRS_DEFAULTS = {"paranoia_level": "1", "inbound_anomaly_score_threshold": "5",
                "outbound_anomaly_score_threshold": "4"}
# mod_security2 2.9 and libmodsecurity 3 defaults (apache2_config.c, rules_set_properties.h)
BODY_DEFAULTS = {"secrequestbodyaccess": "Off", "secrequestbodylimit": "134217728",
                 "secrequestbodynofileslimit": "1048576", "secrequestbodylimitaction": "Reject"}
DEFAULT_PHASE = 2


@dataclass(frozen=True)
class Engine:
    mode: str                # On | DetectionOnly | Off
    node: Node | None        # the directive that decided it (None: the engine's default)
    why: str

    @property
    def inspects(self) -> bool:
        return self.mode != "Off"


def nodes_in_force(scope) -> list[Node]:
    return [n for s in scope.chain() for n in s.nodes]


def setting(scope, key: str) -> Node | None:
    """The last `key` directive (lower-case name) in force in `scope`."""
    found = None
    for node in nodes_in_force(scope):
        if node.key == key:
            found = node
    return found


def engine(scope) -> Engine:
    if scope.server == "nginx":
        switch = next((s.switch for s in reversed(scope.chain()) if s.switch is not None), None)
        if switch is None or not switch.args or switch.args[0].value.lower() != "on":
            return Engine("Off", switch, "`modsecurity on` is not in force here" if switch is None
                          else "`modsecurity off`")
        node = setting(scope, "secruleengine")
        if node is None:
            return Engine("DetectionOnly", switch, "SecRuleEngine is not set: libmodsecurity runs the "
                          "rules but no disruptive action")
        return Engine(_word(node), node, f"SecRuleEngine {node.args[0].value}")
    node = setting(scope, "secruleengine")
    if node is None:
        return Engine("Off", None, "SecRuleEngine is not set (mod_security2's default is Off)")
    return Engine(_word(node), node, f"SecRuleEngine {node.args[0].value}")


def _word(node: Node) -> str:
    return ENGINE_WORDS.get(node.args[0].value.lower(), "Off") if node.args else "Off"


def rules_in_force(scope) -> list[Rule]:
    """The rules the engine runs for a request in `scope`, in its order (chains folded)."""
    if scope.server == "nginx":
        statements = [st for s in scope.chain() for st in s.statements]
        removals = [st for st in statements if isinstance(st, Removal)]
        return [st for st in statements if isinstance(st, Rule) and not any(r.matches(st) for r in removals)]
    rules: list[Rule] = []
    for level in scope.chain():
        removals = [st for st in level.statements if isinstance(st, Removal)]
        rules = [r for r in rules if not any(rem.matches(r) for rem in removals)]   # at merge time
        for st in level.statements:
            if isinstance(st, Rule):
                rules.append(st)
            elif isinstance(st, Removal):
                rules = [r for r in rules if not st.matches(r)]                      # straight away
    return rules


def crs_own(rule: Rule) -> bool:
    """One of the CRS's own rules: `ver:'OWASP_CRS/...'`, or an id of the ranges CRS reserves
    for itself (901000-999999, 9000000-9999999); crs-setup.conf's 900xxx are the site's settings."""
    ver = rule.action("ver")
    if ver is not None and (ver.value or "").startswith("OWASP_CRS"):
        return True
    return rule.id is not None and (901000 <= rule.id <= 999999 or 9000000 <= rule.id <= 9999999)


def phase_of(rule: Rule) -> int:
    return rule.phase or DEFAULT_PHASE


def crs_settings(scope) -> dict[str, tuple[str, object]]:
    """tx.* variables the configuration's unconditional SecActions set (crs-setup.conf's 900xxx, a
    site's own): name -> (value, the setvar Pair).
    Names lower-case without `tx.`; CRS's defaults fill what nothing sets (Pair None)."""
    out: dict[str, tuple[str, object]] = {k: (v, None) for k, v in CRS_DEFAULTS.items()}
    for rule in rules_in_force(scope):
        if rule.kind != "SecAction" or crs_own(rule):
            continue      # CRS's own initialisation (901xxx) sets its counters, not settings
        for action in rule.all_actions("setvar"):
            name, eq, value = (action.value or "").partition("=")
            if eq and name.lower().startswith("tx."):
                out[name[3:].lower()] = (value.strip("'\""), action)
    if "blocking_paranoia_level" in out:
        out["paranoia_level"] = out["blocking_paranoia_level"]
    return out


def has_crs(scope) -> bool:
    return any(crs_own(r) for r in rules_in_force(scope))


def body_limits(scope) -> dict[str, tuple[str, Node | None]]:
    """Request-body settings in force: key -> (value, directive or None for the default)."""
    out = {}
    for key, default in BODY_DEFAULTS.items():
        node = setting(scope, key)
        out[key] = (node.args[0].value, node) if node is not None and node.args else (default, None)
    return out


def updates_in_force(scope) -> list[UpdateTarget]:
    return [st for s in scope.chain() for st in s.statements if isinstance(st, UpdateTarget)]

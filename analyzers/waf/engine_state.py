"""WAF101: whether ModSecurity refuses, only logs, or is off, per server and location."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule
from confcheck.waf.inforce import crs_settings, engine, has_crs, rules_in_force

from ._common import anchor, finding, waf_trees

DOC = RuleDoc(
    what="Reports, for each server and each location or section that sets it, whether ModSecurity is On "
         "(its rules refuse requests), DetectionOnly (it logs what it would refuse) or Off, where that is "
         "decided, and the Core Rule Set's paranoia level and inbound anomaly threshold there.",
    why="With the CRS On, a request whose body or parameters look like an attack is answered 403 although "
        "nothing in the server's own access rules refuses it; knowing where the WAF is On tells a 403 of the "
        "WAF from one of the configuration. DetectionOnly never refuses: its 403s come from elsewhere.",
    example="<IfModule security2_module>\n    SecRuleEngine On\n    IncludeOptional /usr/share/modsecurity-crs/*.load\n"
            "</IfModule>",
    fixed="(information: nothing to fix)",
    fix_safety="No fix.",
    references=("https://github.com/owasp-modsecurity/ModSecurity/wiki/Reference-Manual-(v2.x)#secruleengine",
                "https://github.com/owasp-modsecurity/ModSecurity-nginx#modsecurity"),
)

WORDS = {"On": "On: its rules refuse requests", "DetectionOnly": "DetectionOnly: it logs what it would refuse "
         "and refuses nothing", "Off": "Off"}


@rule(id="WAF101", name="waf-engine-state", severity="info", server="any",
      summary="whether ModSecurity refuses, only logs, or is off, per server and location", doc=DOC)
def check(ctx):
    for _target, root in waf_trees(ctx):
        for scope in root.walk():
            state = engine(scope)
            own = (scope.parent is None and bool(scope.nodes or scope.switch)) or (state.node is not None and (
                state.node in scope.nodes or state.node is scope.switch))
            if not own:
                continue
            where = f" ({state.why} at {state.node.file}:{state.node.line})" if state.node is not None \
                else f" ({state.why})"
            extra = ""
            if state.inspects and has_crs(scope):
                settings = crs_settings(scope)
                extra = (f"; the Core Rule Set at paranoia level {settings['paranoia_level'][0]}, inbound "
                         f"anomaly threshold {settings['inbound_anomaly_score_threshold'][0]}")
            if state.inspects:
                extra += f"; {len(rules_in_force(scope))} rules in force"
            yield finding("WAF101", "waf-engine-state", "info",
                          f"ModSecurity is {WORDS[state.mode]} for {scope.label}{where}{extra}",
                          state.node.span if state.node is not None else anchor(scope), scope)

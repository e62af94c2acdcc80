"""Exclusions: those that can never apply, blunt ones, and the narrowest one for a refusal.

An exclusion can never apply when no rule it names exists (an id or tag of no
rule in force), when Apache reads it before the rule in the same scope (see
inforce.py), or, for a `ctl:` exclusion, when the rule carrying it runs after
the rule it changes (a later phase, or the same phase further down): the
engine has already run that rule for the request.

The narrowest exclusion for a rule that refused a request names one rule id,
one target and one URI prefix:

    SecRule REQUEST_URI "@beginsWith /wp-admin/post.php" \\
        "id:N,phase:1,pass,nolog,ctl:ruleRemoveTargetById=942100;ARGS:content"

placed before the CRS reads its rules (Debian: the file CRS reserves for it,
/etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from confcheck.parsers.secrule import Removal, Rule, UpdateAction, UpdateTarget, id_in
from confcheck.waf.inforce import crs_own, engine, phase_of, rules_in_force

RULE_REMOVING_CTLS = ("ruleremovebyid", "ruleremovetargetbyid", "ruleremovebytag", "ruleremovetargetbytag")
BEFORE_CRS_FILE = "REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf"
LOCAL_IDS = range(10000, 99999)   # ModSecurity's reserved ranges keep 1-99,999 for local rules


@dataclass
class Problem:
    message: str
    span: object          # Span of the exclusion (the word, action or directive)
    scope: object         # WafScope


def _all_rules(root) -> list[Rule]:
    out = []
    for scope in root.walk():
        for st in scope.statements:
            if isinstance(st, Rule):
                out.append(st)
    return out


def _describe(rule: Rule) -> str:
    return f"rule {rule.id} ({rule.node.file}:{rule.node.line})"


def never_applies(root) -> list[Problem]:
    """Removals, target/action updates and ctl: exclusions of the tree that change no rule."""
    everything = _all_rules(root)
    problems: list[Problem] = []
    for scope in root.walk():
        for i, st in enumerate(scope.statements):
            if isinstance(st, Removal):
                for value, span in st.values:
                    probe = Removal(st.node, st.by, [(value, span)])
                    problems += _placed(scope, i, probe, value, span, everything)
            elif isinstance(st, (UpdateTarget, UpdateAction)):
                by = getattr(st, "by", "id")
                value = st.selector if isinstance(st, UpdateTarget) else st.id
                problems += _placed(scope, i, st, value, st.node.args[0].span, everything, by=by)
        # the CRS's own exclusions are switched by its settings and name optional rules: not the site's
        for rule in [st for st in scope.statements if isinstance(st, Rule) and not crs_own(st)]:
            problems += _ctl_problems(scope, rule, everything)
    return problems


def _placed(scope, index, st, value, span, everything, by=None) -> list[Problem]:
    by = by or st.by
    name = st.node.name
    if not any(st.matches(r) for r in everything):
        what = {"id": "id", "tag": "tag", "msg": "message"}[by]
        return [Problem(f"{name} {value} can never apply: no rule of the configuration has that {what}",
                        span, scope)]
    if scope.server != "apache":
        return []
    later = [r for r in scope.statements[index + 1:] if isinstance(r, Rule) and st.matches(r)]
    earlier = [r for r in scope.statements[:index] if isinstance(r, Rule) and st.matches(r)]
    inherited = [] if scope.parent is None else [r for r in rules_in_force(scope.parent) if st.matches(r)]
    if later and not earlier and not inherited:
        return [Problem(f"{name} {value} can never apply: it comes before {_describe(later[0])} in the same "
                        "scope, and mod_security2 applies it only to the rules read before it; move it "
                        "after the rule (Debian: after the CRS's Include, e.g. in "
                        "RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf) or use a ctl: exclusion before the CRS",
                        span, scope)]
    return []


def _ctl_problems(scope, rule: Rule, everything) -> list[Problem]:
    problems = []
    in_force = rules_in_force(scope)
    for ctl in rule.ctls():
        if ctl.key not in RULE_REMOVING_CTLS:
            continue
        by_tag = ctl.key.endswith("bytag")
        targets = [r for r in everything if _ctl_selects(ctl.value, by_tag, r)]
        if not targets:
            what = "tag" if by_tag else "id"
            problems.append(Problem(f"ctl:{ctl.option}={ctl.value} can never apply: no rule of the "
                                    f"configuration has that {what}", ctl.action.span, scope))
            continue
        order = {id(r): i for i, r in enumerate(in_force)}
        here = order.get(id(rule))
        reachable = [r for r in targets if id(r) in order]
        if here is None or not reachable:
            continue
        late = [r for r in reachable if phase_of(rule) > phase_of(r)
                or (phase_of(rule) == phase_of(r) and order[id(r)] < here)]
        if late and len(late) == len(reachable):
            first = late[0]
            problems.append(Problem(
                f"ctl:{ctl.option}={ctl.value} can never apply: {_describe(rule)} runs in phase "
                f"{phase_of(rule)}, after {_describe(first)} (phase {phase_of(first)}) has run; give the "
                "exclusion rule an earlier phase (phase:1) or place it before the rule",
                ctl.action.span, scope))
    return problems


def _ctl_selects(value: str, by_tag: bool, rule: Rule) -> bool:
    if by_tag:
        try:
            pattern = re.compile(value)
        except re.error:
            return False
        return any(pattern.search(tag) for tag in rule.tags)
    return any(id_in(part, rule.id) for part in value.split(","))


def blunt(root) -> list[Problem]:
    """Exclusions that leave a whole server (or a whole location) unprotected."""
    problems = []
    everything = _all_rules(root)
    useless = {id(p.span) for p in never_applies(root)}
    for scope in root.walk():
        if not scope.narrow:
            for st in scope.statements:
                if isinstance(st, Removal) and any(st.matches(r) for r in everything) and \
                        not any(id(span) in useless for _, span in st.values):
                    values = " ".join(v for v, _ in st.values)
                    problems.append(Problem(
                        f"{st.node.name} {values} turns the rule off for every request of {scope.label}; "
                        "where one URI or one parameter needed it, exclude that target there "
                        "(ctl:ruleRemoveTargetById in a rule matching the URI, before the CRS)", st.node.span, scope))
        if scope.narrow and scope.parent is not None:
            mine, parent = engine(scope), engine(scope.parent)
            if mine.mode == "Off" and parent.mode == "On" and mine.node is not None and \
                    mine.node in (scope.nodes + ([scope.switch] if scope.switch is not None else [])):
                problems.append(Problem(
                    f"{mine.node.name} {' '.join(mine.node.values)} turns the whole WAF off for {scope.label}; "
                    "exclude the rule (and the parameter) that refused requests there instead",
                    mine.node.span, scope))
        for st in scope.statements:
            if isinstance(st, Rule) and not crs_own(st):
                for ctl in st.ctls():
                    if ctl.key == "ruleengine" and ctl.value.lower() == "off":
                        problems.append(Problem(
                            f"ctl:ruleEngine=Off in {_describe(st)} turns the whole WAF off for the requests it "
                            "matches; exclude one rule and one target instead (ctl:ruleRemoveTargetById)",
                            ctl.action.span, scope))
    return problems


# -- the narrowest exclusion -----------------------------------------------------------

def exclusion_rules(pairs, uri_prefix: str, new_id: int) -> str:
    """One ModSecurity rule: for URIs under `uri_prefix`, each (rule id, target) of `pairs` stops
    looking at that target (a target of None: the rule stops running there, the wider form)."""
    ctls = ",".join(f"ctl:ruleRemoveTargetById={rule_id};{target}" if target else f"ctl:ruleRemoveById={rule_id}"
                    for rule_id, target in pairs)
    return (f'SecRule REQUEST_URI "@beginsWith {_quoted(uri_prefix)}" \\\n'
            f'    "id:{new_id},phase:1,pass,nolog,{ctls}"\n')


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def free_id(root) -> int:
    used = {r.id for r in _all_rules(root) if r.id is not None}
    return next(i for i in LOCAL_IDS if i not in used)


def placement(root, files):
    """(SourceFile, offset, where) for an exclusion that must run before the CRS: the end of the file
    CRS reserves for it when the configuration reads one (`files`: every SourceFile read), else the
    start of the line of the CRS's first rule. None when the configuration loads no CRS."""
    crs_rules = [r for r in _all_rules(root) if crs_own(r)]
    if not crs_rules:
        return None
    reserved = next((f for f in files if f.display_path.endswith(BEFORE_CRS_FILE)), None)
    if reserved is not None:
        return reserved, len(reserved.data), f"the end of {reserved.display_path}, which the CRS reads before its rules"
    # before the Include that reads the CRS's rules, in the innermost file that is not the package's own
    anchor = crs_rules[0].node
    for via in reversed(anchor.include_chain()):
        if not anchor.source.realpath.startswith("/usr/"):
            break
        anchor = via
    return anchor.source, anchor.source.line_starts[anchor.line - 1], \
        f"before {anchor.name} at {anchor.file}:{anchor.line}, which reads the CRS's rules"

"""What explain says about one ModSecurity refusal, and the exclusion it proposes.

The rules to exclude are the ones that matched (the CRS's anomaly evaluation,
949110, only adds their scores up); each is named with its file:line in the
configuration read, the variable it matched and its paranoia level. The
proposed patch excludes exactly that: those rule ids, for those variables,
under the request's path, in one rule placed where it runs before the CRS
(exclusions.placement). The wider form, the same rules off for every variable
of that path, is offered only as an alternative marked unsafe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from confcheck.parsers.secrule import Rule
from confcheck.waf.exclusions import exclusion_rules, free_id, placement

# what ctl:ruleRemoveTargetById can name after its `;` without quoting trouble
_TARGET = re.compile(r"^[A-Za-z_]+(?::[\w.\-\[\]/]+)?$")


@dataclass
class WafTree:
    """A configuration's WAF as explain needs it: its scope tree, every file read, the patch base."""

    server: str
    root: object              # WafScope
    files: list               # SourceFile
    base: str


@dataclass
class Advice:
    explanation: str
    contributors: list        # WafHit, one per (rule, variable)
    fix: object | None        # ConfigFix: the narrow exclusion
    alternative: object | None  # ConfigFix: the same rules off for the whole path (unsafe)


def contributors(hits) -> list:
    """The rules that matched, once per (rule, variable), the CRS's evaluation rules left out."""
    seen, out = set(), []
    for hit in hits:
        key = (hit.rule_id, hit.variable)
        if hit.rule_id is None or hit.evaluation or key in seen:
            continue
        seen.add(key)
        out.append(hit)
    return out


def _rules_by_id(tree: WafTree | None) -> dict[int, Rule]:
    out: dict[int, Rule] = {}
    if tree is not None:
        for scope in tree.root.walk():
            for st in scope.statements:
                if isinstance(st, Rule) and st.id is not None:
                    out.setdefault(st.id, st)
    return out


def _from_config(hit, rule: Rule | None) -> None:
    """Where the configuration read holds the rule (the engines log different lines of it), and
    its paranoia level when the engine did not log its tags (libmodsecurity, chained rules)."""
    if rule is None:
        return
    hit.file, hit.line = rule.node.file, rule.node.line
    if hit.paranoia_level is None and rule.paranoia_level is not None:
        hit.tags.append(f"paranoia-level/{rule.paranoia_level}")


def describe_hit(hit, rules: dict[int, Rule]) -> str:
    rule = rules.get(hit.rule_id)
    where = f"{rule.node.file}:{rule.node.line}" if rule is not None else (
        f"{hit.file}:{hit.line} (as the engine logged it)" if hit.file else "its file is not known")
    level = hit.paranoia_level or (rule.paranoia_level if rule is not None else None)
    parts = [f'rule {hit.rule_id} "{hit.msg}"' if hit.msg else f"rule {hit.rule_id}"]
    parts.append(f"matched {hit.variable}" if hit.variable else "matched (variable not logged)")
    if level is not None:
        parts.append(f"paranoia level {level}")
    return " ".join(parts[:2]) + f" ({', '.join(parts[2:] + [where])})"


def uri_prefix(uri: str | None) -> str:
    return (uri or "/").split("?", 1)[0] or "/"


def advise(hits, method: str | None, uri: str | None, tree: WafTree | None, why_no_tree: str | None) -> Advice:
    denial = next((h for h in hits if h.denied is not None), None)
    found = contributors(hits)
    rules = _rules_by_id(tree)
    for hit in found:
        _from_config(hit, rules.get(hit.rule_id))
    request = f"{method + ' ' if method else ''}{uri_prefix(uri)}"
    if denial is not None:
        head = f"ModSecurity refused {request} with {denial.denied}" + (
            f" (phase {denial.phase})" if denial.phase else "")
        if denial.evaluation:
            score = f" {denial.score}" if denial.score is not None else ""
            head += f": the inbound anomaly score{score} reached rule {denial.rule_id}'s threshold"
        else:
            head += f": {describe_hit(denial, rules)}"
    else:
        head = f"ModSecurity matched rules for {request} but logged no refusal (DetectionOnly, or a rule that passes)"
    body = "; ".join(describe_hit(h, rules) for h in found)
    explanation = head + (f"; the rules that matched: {body}" if body else "")
    fix = alternative = None
    if found and tree is not None:
        fix, alternative = _patches(found, uri_prefix(uri), tree)
        if fix is None:
            explanation += "; no exclusion proposed: the configuration read loads no Core Rule Set"
    elif found:
        explanation += f"; no exclusion proposed: {why_no_tree}"
    return Advice(explanation, found, fix, alternative)


def _patches(found, prefix: str, tree: WafTree):
    from confcheck.fixers.config import SAFE, UNSAFE, checked_fix
    from confcheck.fixers.edits import Edit
    place = placement(tree.root, tree.files)
    if place is None:
        return None, None
    source, offset, where = place
    new_id = free_id(tree.root)
    pairs = [(h.rule_id, h.variable if h.variable and _TARGET.match(h.variable) else None) for h in found]
    ids = sorted({h.rule_id for h in found})
    narrow = exclusion_rules(pairs, prefix, new_id)
    wide = exclusion_rules([(i, None) for i in ids], prefix, new_id)
    targets = ", ".join(f"{t or 'every variable'} from rule {i}" for i, t in pairs)
    fix = checked_fix([_insert(Edit, source, offset, narrow)], tree.base,
                      f"exclude {targets} for URIs under {prefix} (one rule, one target, one URI prefix), at {where}",
                      SAFE)
    alternative = checked_fix([_insert(Edit, source, offset, wide)], tree.base,
                              f"unsafe alternative: rule{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))} "
                              f"off for every variable of every request under {prefix}", UNSAFE)
    return fix, alternative


def _insert(edit, source, offset: int, text: str):
    data = source.data
    lead = "\n" if offset > 0 and offset == len(data) and not data.endswith(b"\n") else ""
    note = "# confcheck explain: a false positive, excluded for one rule, one target, one URI prefix\n"
    if "ruleRemoveTargetById" not in text:
        note = "# confcheck explain: the rules below are off for every variable of this path (unsafe)\n"
    return edit(source, offset, offset, (lead + note + text).encode())

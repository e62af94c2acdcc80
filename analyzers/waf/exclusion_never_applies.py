"""WAF103: a rule exclusion that can never apply."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule
from confcheck.waf.exclusions import never_applies

from ._common import finding, waf_trees

DOC = RuleDoc(
    what="Finds SecRuleRemoveById/ByTag/ByMsg, SecRuleUpdateTargetBy*/SecRuleUpdateActionById and "
         "ctl:ruleRemove* exclusions that change no rule: the id or tag is no rule's; with Apache, the "
         "removal comes before the rule in the same scope (mod_security2 removes only rules it has already "
         "read); or the ctl: rule runs after the rule it would change (a later phase, or further down in "
         "the same phase).",
    why="The exclusion was written for a false positive; as it never applies, the CRS still answers 403 to "
        "the request it was meant to let through, and whoever wrote it believes the problem solved.",
    example="# /etc/modsecurity/local.conf, read before the CRS\nSecRuleRemoveById 942100",
    fixed='SecRule REQUEST_URI "@beginsWith /wp-admin/post.php" \\\n'
          '    "id:10000,phase:1,pass,nolog,ctl:ruleRemoveTargetById=942100;ARGS:content"',
    fix_safety="Moving or rewriting an exclusion makes it apply: the rule stops protecting what it excludes.",
    references=("https://coreruleset.org/docs/concepts/false_positives_tuning/",),
)


@rule(id="WAF103", name="waf-exclusion-never-applies", severity="warning", server="any",
      summary="a ModSecurity exclusion that changes no rule (unknown id, wrong place, later phase)", doc=DOC)
def check(ctx):
    for _target, root in waf_trees(ctx):
        for problem in never_applies(root):
            yield finding("WAF103", "waf-exclusion-never-applies", "warning", problem.message,
                          problem.span, problem.scope)

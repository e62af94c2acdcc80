"""WAF104: an exclusion that switches a rule off for a whole server, or the whole WAF off for a location."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule
from confcheck.waf.exclusions import blunt

from ._common import finding, waf_trees

DOC = RuleDoc(
    what="Finds SecRuleRemoveById/ByTag/ByMsg at server level (the main server, a <VirtualHost>, nginx's "
         "http or server block), `SecRuleEngine Off` or `modsecurity off` in a location whose server has the "
         "WAF On, and ctl:ruleEngine=Off.",
    why="A false positive on one form field of one URI is usually fixed by removing the rule, or the whole "
        "WAF, everywhere: every other URI and parameter then loses the protection too. The narrow form "
        "excludes one rule for one target on one URI prefix.",
    example="SecRuleRemoveById 942100",
    fixed='SecRule REQUEST_URI "@beginsWith /wp-admin/post.php" \\\n'
          '    "id:10000,phase:1,pass,nolog,ctl:ruleRemoveTargetById=942100;ARGS:content"',
    fix_safety="The narrow exclusion protects again what the blunt one left open: check that the requests "
               "the blunt one was written for still pass.",
    references=("https://coreruleset.org/docs/concepts/false_positives_tuning/",),
)


@rule(id="WAF104", name="waf-blunt-exclusion", severity="warning", server="any",
      summary="a rule removed for a whole server, or the WAF switched off for a location", doc=DOC)
def check(ctx):
    for _target, root in waf_trees(ctx):
        for problem in blunt(root):
            yield finding("WAF104", "waf-blunt-exclusion", "warning", problem.message, problem.span, problem.scope)

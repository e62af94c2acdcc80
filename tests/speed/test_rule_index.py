"""The rule index (confcheck/rule_index.py) a scan reads instead of importing every rule:
it is what the rule modules declare, and each entry loads its own rule. (That a rule a
scan leaves out would have found nothing: tests/cases/test_left_out_rules.py.)"""

from __future__ import annotations

from confcheck.registry import index_source, load_rules, scan_modules
from confcheck.ruledocs import INDEX_PATH


def test_index_is_what_the_rule_modules_declare():
    with open(INDEX_PATH, encoding="utf-8") as fh:
        committed = fh.read()
    assert committed == index_source(scan_modules()), "run `python -m confcheck.ruledocs` to regenerate it"


def test_each_entry_loads_its_own_rule():
    declared = {rule.id: rule.declared() for rule in scan_modules().all()}
    indexed = load_rules().all()
    assert [rule.id for rule in indexed] == sorted(declared)
    for rule in indexed:
        assert rule.check is declared[rule.id].check
        assert rule.doc == declared[rule.id].doc
        assert (rule.name, rule.severity, rule.server, rule.needs_fs, rule.fixable, rule.summary) == (
            declared[rule.id].name, declared[rule.id].severity, declared[rule.id].server,
            declared[rule.id].needs_fs, declared[rule.id].fixable, declared[rule.id].summary)

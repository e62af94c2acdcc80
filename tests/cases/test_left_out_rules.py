"""A scan leaves out, unimported, the rules whose inputs it lacks (confcheck/registry.py:
no configuration of the rule's server, none of what its package NEEDS) and counts them
as run with no finding. On every case where some rule fires, each rule left out is run
anyway on the same views the scan makes: it must find nothing there."""

from __future__ import annotations

import pytest

from cc_helpers import need_root
from test_rule_cases import _load_cases, build_case, case_options, snapshot_with_labels

from confcheck.engine import (ScanContext, apache_targets, nginx_targets, open_fs, pool_views, read_apps,
                              read_options)
from confcheck.isolation import target_views
from confcheck.registry import has_inputs, load_rules

FIRING = [param for param in _load_cases() if param.values[1].get("expect")]


@pytest.mark.parametrize("rule_id,case", FIRING)
def test_rules_left_out_find_nothing(rule_id, case, tree_dir):
    need_root()
    build_case(tree_dir, case)
    options = case_options(case, tree_dir, snapshot_with_labels(tree_dir, case) if "selinux" in case else None)
    # the context run_scan builds (engine._run_scan)
    reading = read_options(options)
    fs = open_fs(options)
    ctx = ScanContext(options, nginx_targets(reading), fs, reading.inputs.trees)
    ctx.apache, ctx.htaccess = apache_targets(reading, options)
    ctx.apps = read_apps(reading, options)
    ctx.all_targets = ctx.targets()
    ctx.pools = reading.running_pools()
    ctx.pool_views = pool_views(fs, reading, options.root)
    rules = [rule for rule in load_rules().all() if fs is not None or not rule.needs_fs]
    left_out = [rule for rule in rules if not has_inputs(rule, ctx)]
    for _label, view in target_views(ctx):
        for rule in left_out:
            assert list(rule.check(view)) == [], f"{rule.id} finds something where scans leave it out"
    assert rule_id not in {rule.id for rule in left_out}, f"the scan leaves out {rule_id} where it fires"

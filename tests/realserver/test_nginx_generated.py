"""Generated configs, trees and requests: `why` against real nginx.

Scenarios nobody wrote by hand (realserver_harness/gen_nginx.py: hypothesis,
fixed seed) run on one real nginx; every request where `why` gives a status
other than the real one, raises, or loops past its time limit is a failure.
The first one is shrunk by hypothesis (one real run per candidate) and shown
as a scenario-file entry to save under scenarios/nginx/ once the model is fixed.

    pytest tests/realserver/test_nginx_generated.py --gen-count 3000 --gen-seed 7

runs a longer budget by hand; benchmarks/gendiff_nginx.py reports the rates.
"""

from __future__ import annotations

import pytest

import yaml

from realserver_harness import differential
from realserver_harness.scenarios import parse_scenario


def test_generated_scenarios_and_found_ones_are_in_the_scenario_format():
    # no server needed: every generated scenario, and its dump as a regression
    # entry, reads back through the scenario-file parser unchanged
    raws = differential.generate(60, 3)
    assert len(raws) == 60
    assert len({r["nginx"] for r in raws}) > 20          # not the same config over and over
    entries = []
    for i, raw in enumerate(raws):
        entry = differential.named(raw, f"gen-3-{i}")
        parse_scenario(entry)
        entries.append({**entry, "requests": [{**r, "nginx": {"status": 200}} for r in entry["requests"]]})
    dumped = yaml.safe_load(differential.dump_yaml(entries))["scenarios"]
    assert [parse_scenario(e).configs for e in dumped] == [parse_scenario(e).configs for e in entries]
    assert [e["tree"] if "tree" in e else [] for e in dumped] == [e["tree"] for e in entries]


@pytest.mark.realserver
def test_why_agrees_with_real_nginx_on_generated_configs(request, realserver_root):
    count, seed = request.config.getoption("--gen-count"), request.config.getoption("--gen-seed")
    raws = differential.generate(count, seed)
    tally = differential.run_all(raws, f"gen{seed}")
    print(tally.summary())
    report = differential.failure_report(tally, raws, count, seed)
    if report is not None:
        pytest.fail(report, pytrace=False)
    # the budget really ran: nginx took most configs and answered their requests
    assert tally.refused <= count // 5, tally.summary()
    assert tally.requests >= count, tally.summary()
    assert tally.rate("unknown") < 0.05, tally.summary()

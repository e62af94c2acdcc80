"""Generated configs, trees and requests: `why` against real Apache.

Scenarios nobody wrote by hand (realserver_harness/gen_apache.py: hypothesis,
fixed seed) run on one real Apache per batch (configs `apache2 -t` refuses are
dropped and counted); every request where `why` gives a status other than the
real one, raises, or loops past its time limit is a failure. The first one is
shrunk (one real run per candidate) and shown as a scenario-file entry to save
under scenarios/apache/ once the model is fixed.

    pytest tests/realserver/test_apache_generated.py --gen-count 3000 --gen-seed 7

runs a longer budget by hand; benchmarks/gendiff_nginx.py --server apache reports the rates.
"""

from __future__ import annotations

import pytest

import yaml

from realserver_harness import differential
from realserver_harness.scenarios import parse_scenario


def test_generated_apache_scenarios_are_in_the_scenario_format():
    # no server needed: every generated scenario, and its dump as a regression
    # entry, reads back through the scenario-file parser unchanged
    raws = differential.generate(60, 3, "apache")
    assert len(raws) == 60
    assert len({r["apache"] for r in raws}) > 20          # not the same config over and over
    assert any(t["path"].endswith(".htaccess") for r in raws for t in r["tree"])
    entries = []
    for i, raw in enumerate(raws):
        entry = differential.named(raw, f"gen-3-{i}")
        assert parse_scenario(entry).runs_on("apache")
        entries.append({**entry, "requests": [{**r, "apache": {"status": 200}} for r in entry["requests"]]})
    dumped = yaml.safe_load(differential.dump_yaml(entries))["scenarios"]
    assert [parse_scenario(e).configs for e in dumped] == [parse_scenario(e).configs for e in entries]


@pytest.mark.realserver
def test_why_agrees_with_real_apache_on_generated_configs(request, realserver_root):
    count, seed = request.config.getoption("--gen-count"), request.config.getoption("--gen-seed")
    raws = differential.generate(count, seed, "apache")
    tally = differential.run_all(raws, f"gen{seed}", kind="apache")
    print(tally.summary())
    report = differential.failure_report(tally, raws, count, seed, kind="apache")
    if report is not None:
        pytest.fail(report, pytrace=False)
    # the budget really ran: Apache took most configs and answered their requests
    assert tally.refused <= count // 4, tally.summary()
    assert tally.requests >= count, tally.summary()
    assert tally.rate("unknown") < 0.05, tally.summary()

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

from realserver_harness import differential

pytestmark = pytest.mark.realserver


def test_why_agrees_with_real_nginx_on_generated_configs(request, realserver_root):
    count, seed = request.config.getoption("--gen-count"), request.config.getoption("--gen-seed")
    raws = differential.generate(count, seed)
    tally = differential.run_all(raws, f"gen{seed}")
    print(tally.summary())
    failures = tally.failures()
    if failures:
        first = failures[0]
        index = int(first.scenario.rsplit("-", 1)[1])
        shrunk = differential.shrink(count, seed, index, differential.signature(first), budget=120)
        raw, verdicts = shrunk if shrunk else (raws[index], [first])
        entry = differential.regression_entry(raw, f"gen-{seed}-{index}", verdicts, "generated: " + first.label)
        listed = "\n".join(f"  {v.scenario} {v.label}: real {v.real}, why {v.model} ({v.reason})"
                           for v in failures[:20])
        pytest.fail(f"{tally.summary()}\n{listed}\nthe first, shrunk:\n{differential.dump_yaml([entry])}",
                    pytrace=False)
    # the budget really ran: nginx took most configs and answered their requests
    assert tally.refused <= count // 5, tally.summary()
    assert tally.requests >= count, tally.summary()
    assert tally.rate("unknown") < 0.05, tally.summary()

"""Real Apache answers every scenario request that has an ``apache:``
expectation the way the scenario (and server-behavior.md) says. Same
scenario format as nginx: scenarios/apache/*.yaml (the Apache request model:
base config, .htaccess, sections, access, rewrite, aliases/methods, apps) and
the permission rows of scenarios/nginx/permissions.yaml. Scenarios with
``refuses_start`` must be rejected by ``apache2 -t`` with that message."""

from __future__ import annotations

import pytest

from realserver_harness.checks import (assert_matches_expectation, find_request, fs_path_label_errors,
                                       start_errors, unlabelled_denials)
from realserver_harness.scenarios import load_scenarios

pytestmark = pytest.mark.realserver

KIND = "apache"
SCENARIOS = load_scenarios(kind=KIND)
CASES = [
    pytest.param(s.name, i, id=f"{s.name}#{i}-{r.method}-{r.path}{'-auth' if r.auth else ''}")
    for s in SCENARIOS
    for i, r in enumerate(s.requests)
    if KIND in r.expect
]


@pytest.mark.parametrize("scenario,index", CASES)
def test_real_apache_status_matches_scenario(apache_run, scenario, index):
    assert_matches_expectation(find_request(apache_run, scenario, index))


def test_every_apache_scenario_ran(apache_run):
    assert set(apache_run.scenarios) == {s.name for s in SCENARIOS}
    broken = start_errors(apache_run)
    assert not broken, broken


def test_apache_fs_path_labels_hold_for_www_data(apache_run):
    wrong = fs_path_label_errors(apache_run)
    assert not wrong, "\n".join(wrong)


def test_apache_disk_caused_403_and_500_all_name_a_path(apache_run):
    missing = unlabelled_denials(apache_run)
    assert not missing, missing

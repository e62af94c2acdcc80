"""Real nginx answers every scenario request the way the scenario (and
server-behavior.md) says, and the expected fs_path of every disk-caused
outcome is what the kernel denies to www-data.

This validates the harness and the reference table. When it fails because
nginx disagrees with server-behavior.md, nginx is right: fix the scenario.
"""

from __future__ import annotations

import pytest

from realserver_harness.checks import (assert_matches_expectation, find_request, fs_path_label_errors,
                                       start_errors, unlabelled_denials)
from realserver_harness.scenarios import load_scenarios

pytestmark = pytest.mark.realserver

KIND = "nginx"
SCENARIOS = load_scenarios(kind=KIND)
CASES = [
    pytest.param(s.name, i, id=f"{s.name}#{i}-{r.method}-{r.path}{'-auth' if r.auth else ''}")
    for s in SCENARIOS
    for i, r in enumerate(s.requests)
    if KIND in r.expect
]


@pytest.mark.parametrize("scenario,index", CASES)
def test_real_nginx_status_matches_scenario(nginx_run, scenario, index):
    assert_matches_expectation(find_request(nginx_run, scenario, index))


def test_every_scenario_ran(nginx_run):
    assert set(nginx_run.scenarios) == {s.name for s in SCENARIOS}
    broken = start_errors(nginx_run)
    assert not broken, broken
    assert sum(len(s.requests) for s in nginx_run.scenarios.values()) == len(CASES)


def test_expected_fs_paths_are_what_the_kernel_denies_to_www_data(nginx_run):
    """fs_path/rule labels are data the scan tests rely on: check them with the
    kernel itself, in a process running with www-data's credentials."""
    wrong = fs_path_label_errors(nginx_run)
    assert not wrong, "\n".join(wrong)


def test_every_401_403_500_names_its_cause(nginx_run):
    """Every 401/403/500 carries its cause: the path at fault when the disk
    caused it (the scan tests depend on it), else the deciding directive
    (decided_by, for the request-model tests)."""
    missing = unlabelled_denials(nginx_run)
    assert not missing, missing


def test_log_lines_are_attributed_to_the_right_server_block(nginx_run):
    for sc in nginx_run.scenarios.values():
        if sc.spec.raw_servers:  # its own server blocks and names
            continue
        for r in sc.requests:
            for line in r.log:
                # a bad request line (e.g. "/../x") is refused before Host is
                # read: the port's default server logs it
                if "while reading client request line" in line:
                    continue
                if "server: " in line:
                    assert f"server: {sc.server_name}" in line, r.describe()

"""Real nginx and real Apache answer every scenario request that has an
expectation for them the way the scenario (and server-behavior.md) says, and
the expected fs_path of every disk-caused outcome is what the kernel denies to
www-data.

This validates the harness and the reference table. When it fails because a
server disagrees with server-behavior.md, the server is right: fix the
scenario. Scenarios: scenarios/nginx/*.yaml and scenarios/apache/*.yaml (the
permission rows of scenarios/nginx/permissions.yaml run on both). Apache
scenarios with ``refuses_start`` must be rejected by ``apache2 -t`` with that
message.
"""

from __future__ import annotations

import pytest

from realserver_harness.checks import (assert_matches_expectation, find_request, fs_path_label_errors,
                                       start_errors, unlabelled_denials)
from realserver_harness.scenarios import load_scenarios

pytestmark = pytest.mark.realserver

KINDS = ("nginx", "apache")
SCENARIOS = {kind: load_scenarios(kind=kind) for kind in KINDS}
CASES = [
    pytest.param(kind, s.name, i, id=f"{kind}-{s.name}#{i}-{r.method}-{r.path}{'-auth' if r.auth else ''}")
    for kind in KINDS
    for s in SCENARIOS[kind]
    for i, r in enumerate(s.requests)
    if kind in r.expect
]


def _run(request, kind: str):
    """The session fixture of that server (conftest: nginx_run, apache_run)."""
    return request.getfixturevalue(f"{kind}_run")


@pytest.mark.parametrize("kind,scenario,index", CASES)
def test_real_server_status_matches_scenario(request, kind, scenario, index):
    assert_matches_expectation(find_request(_run(request, kind), scenario, index))


@pytest.mark.parametrize("kind", KINDS)
def test_every_scenario_ran(request, kind):
    run = _run(request, kind)
    assert set(run.scenarios) == {s.name for s in SCENARIOS[kind]}
    broken = start_errors(run)
    assert not broken, broken


def test_every_nginx_request_has_an_nginx_expectation(nginx_run):
    assert sum(len(s.requests) for s in nginx_run.scenarios.values()) == len([c for c in CASES if c.values[0] == "nginx"])


@pytest.mark.parametrize("kind", KINDS)
def test_expected_fs_paths_are_what_the_kernel_denies_to_www_data(request, kind):
    """fs_path/rule labels are data the scan tests rely on: check them with the
    kernel itself, in a process running with www-data's credentials."""
    wrong = fs_path_label_errors(_run(request, kind))
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("kind", KINDS)
def test_every_401_403_500_names_its_cause(request, kind):
    """Every 401/403/500 carries its cause: the path at fault when the disk
    caused it (the scan tests depend on it), else the deciding directive
    (decided_by, for the request-model tests)."""
    missing = unlabelled_denials(_run(request, kind))
    assert not missing, missing


def test_nginx_log_lines_are_attributed_to_the_right_server_block(nginx_run):
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

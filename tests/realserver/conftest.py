"""Fixtures for real-server scenario tests.

    nginx_run   (session) the result of running real nginx over every scenario
                that has an ``nginx:`` config; see realserver_harness.runner.RunResult.
                The trees, the generated nginx.conf and the test accounts stay on
                disk until the session ends; nginx itself is already stopped.

    nginx_scenarios (session) the parsed scenarios (no root needed)

    apache_run / apache_scenarios   the same for Apache (scenarios with an
                ``apache:`` config; realserver_harness.apache)

Real-server tests need root and the server binary. Without them they are
skipped, except when the environment variable CI is non-empty: then they fail.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from realserver_harness.scenarios import load_scenarios  # noqa: E402
from realserver_harness.session import RealServerSession, gate, prerequisites  # noqa: E402


def require_realserver(kind: str) -> None:
    """Skip (or, under CI, fail) when real-server tests of this kind cannot run."""
    reason = prerequisites(kind)
    action = gate(reason, os.environ.get("CI"))
    if action == "fail":
        pytest.fail(f"real-server tests must run under CI (CI is set), but: {reason}", pytrace=False)
    if action == "skip":
        pytest.skip(reason)


@pytest.fixture(scope="session")
def realserver_gate():
    """require_realserver for tests that start their own servers (importing it from
    `conftest` would find another folder's conftest under xdist)."""
    return require_realserver


@pytest.fixture(scope="session")
def nginx_scenarios():
    return load_scenarios(kind="nginx")


@pytest.fixture(scope="session")
def nginx_run(request, nginx_scenarios):
    require_realserver("nginx")
    session = RealServerSession("nginx", nginx_scenarios)
    request.addfinalizer(session.close)  # registered before anything is built
    session.setup()
    return session.run()


@pytest.fixture(scope="session")
def apache_scenarios():
    return load_scenarios(kind="apache")


@pytest.fixture(scope="session")
def apache_run(request, apache_scenarios):
    """Like nginx_run, for Apache (standalone httpd.conf; see realserver_harness.apache)."""
    require_realserver("apache")
    session = RealServerSession("apache", apache_scenarios)
    request.addfinalizer(session.close)
    session.setup()
    return session.run()


@pytest.fixture(scope="session")
def modsec_server(request):
    """Factory: modsec_server(kind, paranoia=1, engine="On", extra="", audit_format="Native")
    -> a started ModsecServer (realserver_harness.modsec) carrying modsec.SITES: real
    ModSecurity + Debian's CRS on Apache or nginx. One server per distinct argument
    set, shared by the whole session, stopped (by its pid) and removed at the end."""
    from realserver_harness.modsec import SITES, ModsecServer, modsec_prerequisites

    servers: dict = {}

    def close_all():
        for srv in servers.values():
            srv.close()
    request.addfinalizer(close_all)

    def get(kind: str, paranoia: int = 1, engine: str = "On", extra: str = "", audit_format: str = "Native"):
        action = gate(modsec_prerequisites(kind), os.environ.get("CI"))
        if action == "fail":
            pytest.fail(f"ModSecurity tests must run under CI (CI is set), but: {modsec_prerequisites(kind)}",
                        pytrace=False)
        if action == "skip":
            pytest.skip(modsec_prerequisites(kind))
        key = (kind, paranoia, engine, extra, audit_format)
        if key not in servers:
            srv = ModsecServer(kind, sites=SITES, paranoia=paranoia, engine=engine, extra=extra,
                               audit_format=audit_format)
            try:
                srv.start()
            except BaseException:
                srv.close()
                raise
            servers[key] = srv
        return servers[key]
    return get


@pytest.fixture
def realserver_root():
    """For harness self-tests that build trees or accounts: root needed."""
    require_realserver("nginx")

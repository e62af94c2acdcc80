"""Real php-fpm 8.2 behind real nginx: `confcheck why`, reading the nginx.conf the server
ran and the php-fpm.conf the master ran, predicts every status, names the path or the
pool entry at fault for every 403/404/502 php-fpm (or the socket) caused, and answers
null, naming the script, where the script ran.

One php-fpm master carries every scenario's pools (realserver_harness/phpfpm.py);
scenarios are tests/realserver/phpfpm_scenarios/*.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from realserver_harness.checks import nginx_request
from realserver_harness.phpfpm import FpmMaster, available, pool_text
from realserver_harness.scenarios import load_scenarios
from realserver_harness.session import RealServerSession
from realserver_harness.tree import make_base, remove_base

from confcheck.why import WhyOptions, explain, prepare

pytestmark = pytest.mark.realserver

PHP_DIR = Path(__file__).resolve().parent / "phpfpm_scenarios"


class PhpRun:
    def __init__(self, session, master, result):
        self.session, self.master, self.result = session, master, result


@pytest.fixture(scope="module")
def php_nginx(request, realserver_gate):
    realserver_gate("nginx")
    missing = available()
    if missing:
        pytest.skip(missing)
    scenarios = load_scenarios(kind="nginx", directory=PHP_DIR)
    session = RealServerSession("nginx", scenarios)
    request.addfinalizer(session.close)
    bound = session.setup()
    base = make_base("phpfpm")
    master = FpmMaster(base, [pool_text(b, "nginx", session.accounts) for b in bound if b.spec.php_fpm])

    def stop():
        master.stop()
        remove_base(base)
    request.addfinalizer(stop)
    master.start()
    return PhpRun(session, master, session.run())


def _cited(decided) -> str:
    text = getattr(decided, "text", None)
    if text is not None:
        return text
    return " ".join([decided.name] + [a.raw for a in decided.args]) + ";"


def mispredicted(run: PhpRun, configs: list[str]) -> tuple[list[str], int]:
    prepared = prepare(WhyOptions(configs=configs))
    assert [str(e) for e in prepared.errors] == []
    wrong, total = [], 0
    for sc in run.result.scenarios.values():
        assert sc.error is None, f"{sc.name}: {sc.error}"
        bound = next(b for b in run.session.bound if b.spec.name == sc.name)
        for req in sc.requests:
            total += 1
            exp = req.expectation
            problems = []
            if req.status != exp.status:
                problems.append(f"the real server answered {req.status}, the scenario expects {exp.status}")
            outcome = explain(prepared, nginx_request(run.result, sc, req))
            want = None if exp.script else req.status
            if outcome.status != want:
                problems.append(f"status {outcome.status} != real {req.status}"
                                + (" (the script ran)" if exp.script else ""))
            if exp.script and "answered by the PHP script" not in outcome.reason:
                problems.append("the script that ran is not named")
            if exp.fs_path is not None and outcome.fs_path != str(req.expected_fs_path):
                problems.append(f"fs_path {outcome.fs_path} != {req.expected_fs_path}")
            if exp.decided_by is not None:
                decided = exp.decided_by.replace("@POOL@", f"n-{sc.name}")
                decided = decided.replace("@ROOT@", str(bound.root))
                got = _cited(outcome.decided_by) if outcome.decided_by is not None else None
                if got is None or not got.startswith(decided.rstrip(";")):
                    problems.append(f"decided_by {got!r} != {decided!r}")
            if problems:
                wrong.append(f"{sc.name}[{req.index}] {req.spec.label}: " + "; ".join(problems)
                             + f"\n      why: {outcome.reason}\n      log: {req.log[-3:]}")
    return wrong, total


def test_why_follows_requests_into_php_fpm(php_nginx):
    configs = [str(php_nginx.result.conf_path), str(php_nginx.master.conf_path)]
    wrong, total = mispredicted(php_nginx, configs)
    assert not wrong, f"{len(wrong)} of {total} requests mispredicted:\n" + "\n".join(wrong)
    assert total >= 40

"""mod_evasive against real Apache (Debian's libapache2-mod-evasive, installed by .ci/run).

mod_evasive keeps its counts per server process and applies to every virtual host,
so it gets a server of its own (one process), not a vhost of the shared run. For
each refusal status (the default 403, DOSHTTPResponseCode 429): the first request is
served and `why` says so, naming the limit with the status it answers under load;
then the same page requested again within the interval is refused with that
status; `explain` maps the real error-log line to the limit; scan's APA120 notes a
403 only; and a client DOSWhitelist names is never refused.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from confcheck.engine import ScanOptions, run_scan
from confcheck.explain import Machine, explain_events
from confcheck.logparse import parse_line
from confcheck.servers.nginx.request import Request
from confcheck.why import WhyOptions, explain, prepare
from realserver_harness.runner import free_port
from realserver_harness.tree import make_base, remove_base

pytestmark = pytest.mark.realserver

APACHE = "/usr/sbin/apache2"
MODULES = Path("/usr/lib/apache2/modules")
EVASIVE = MODULES / "mod_evasive20.so"


def _config(base: Path, port: int, extra: str) -> str:
    load = "\n".join(f"LoadModule {name}_module {MODULES}/mod_{name}.so"
                     for name in ("mpm_event", "authz_core", "dir", "mime"))
    return f"""\
ServerRoot {base}
DefaultRuntimeDir {base}/run
PidFile {base}/run/httpd.pid
Mutex file:{base}/run default
{load}
LoadModule evasive20_module {EVASIVE}
User www-data
Group www-data
Listen 127.0.0.1:{port}
ServerName localhost
ErrorLog {base}/logs/error.log
LogLevel info
TypesConfig /etc/mime.types
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
KeepAlive Off
DocumentRoot {base}/www
<Directory {base}/www>
    Require all granted
</Directory>
<Directory {base}/www/private>
    Require all denied
</Directory>
DOSPageCount 2
DOSPageInterval 30
DOSSiteCount 100
DOSSiteInterval 30
DOSBlockingPeriod 30
DOSLogDir {base}/run
{extra}
"""


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": "localhost", "Connection": "close"})
        return conn.getresponse().status
    finally:
        conn.close()


def _serve(base: Path, extra: str):
    """Start Apache on a free port (the caller stops it by pid): (process, port, config path)."""
    port = free_port()
    for sub in ("logs", "run", "www/private"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (base / "www/a.html").write_text("a\n")
    (base / "www/private/p.html").write_text("p\n")
    for path in [base, *base.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    conf = base / "httpd.conf"
    conf.write_text(_config(base, port, extra))
    proc = subprocess.Popen([APACHE, "-f", str(conf), "-DFOREGROUND"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    for _ in range(100):
        try:
            _get(port, "/__ready__")
            return proc, port, conf
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"apache2 did not start: {proc.stderr.read().decode()}") from None
            time.sleep(0.05)
    raise RuntimeError("apache2 did not answer")


def _stop(proc) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.fixture
def evasive_base(request):
    request.getfixturevalue("realserver_gate")("apache")
    if not EVASIVE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{EVASIVE} is missing (libapache2-mod-evasive, installed by .ci/run)")
        pytest.skip(f"{EVASIVE} is missing (apt-get install libapache2-mod-evasive)")
    base = make_base("evasive")
    request.addfinalizer(lambda: remove_base(base))
    return base


@pytest.mark.parametrize("extra,status", [("", 403), ("DOSHTTPResponseCode 429", 429)])
def test_one_request_is_served_and_the_limit_answers_under_load(evasive_base, extra, status):
    proc, port, conf = _serve(evasive_base, extra)
    try:
        prepared = prepare(WhyOptions(configs=[str(conf)]))
        assert [str(e) for e in prepared.errors] == []
        outcome = explain(prepared, Request.parse(f"http://127.0.0.1:{port}/a.html", "GET",
                                                  {"Host": "localhost"}, "127.0.0.1"))
        first = _get(port, "/a.html")
        statuses = [_get(port, "/a.html") for _ in range(4)]
    finally:
        _stop(proc)
    # one request: served, by the model and by Apache
    assert outcome.status == first == 200
    [limit] = outcome.limits
    assert limit.status == status
    assert (limit.directive.name, limit.directive.line) == ("DOSPageCount", conf.read_text().splitlines().index(
        "DOSPageCount 2") + 1)
    doc = outcome.to_json()
    assert doc["limits"][0]["status_under_load"] == status and doc["limits"][0]["page_count"] == 2
    # under load: the same page again within the interval is refused with the limit's status
    assert status in statuses, statuses
    assert set(statuses) <= {200, status}
    # explain: the real lines name the limit and its status
    lines = [l for l in (evasive_base / "logs/error.log").read_text().splitlines() if "[evasive20:" in l]
    assert lines, "mod_evasive logged nothing"
    report = explain_events([parse_line(l) for l in lines], Machine(WhyOptions(configs=[str(conf)])))
    assert report.unknown == 0
    assert {(c.kind, c.status, c.decided_by.name if c.decided_by else None) for c in report.causes} == \
        {("evasive-refused", status, "DOSPageCount")}
    # scan: APA120 notes the 403 only
    scan = run_scan(ScanOptions(paths=[str(conf)], server="apache", no_fs=True))
    assert [f.rule for f in scan.findings if f.rule == "APA120"] == (["APA120"] if status == 403 else [])


def test_a_whitelisted_client_is_never_refused(evasive_base):
    proc, port, conf = _serve(evasive_base, "DOSWhitelist 127.0.0.*")
    try:
        prepared = prepare(WhyOptions(configs=[str(conf)]))
        outcome = explain(prepared, Request.parse(f"http://127.0.0.1:{port}/a.html", "GET",
                                                  {"Host": "localhost"}, "127.0.0.1"))
        denied = explain(prepared, Request.parse(f"http://127.0.0.1:{port}/private/p.html", "GET",
                                                 {"Host": "localhost"}, "127.0.0.1"))
        statuses = [_get(port, "/a.html") for _ in range(6)]
        private = _get(port, "/private/p.html")
    finally:
        _stop(proc)
    assert statuses == [200] * 6
    assert outcome.status == 200 and outcome.limits == []
    assert any("DOSWhitelist" in step.detail for step in outcome.trace)
    # a permission denial next to it: the same 403, decided by Require
    assert private == denied.status == 403 and denied.decided_by.name == "Require"

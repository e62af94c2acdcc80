"""Server-agnostic runner: results, error-log attribution, HTTP client.

A concrete runner (nginx.py; an Apache runner later) implements:

    kind                       "nginx" / "apache"
    render_config(port)        -> (full config text, {scenario name: (first line, last line)})
    test_config()              -> None or the error text of `-t`
    start() / stop()           foreground master under our control
    marker_log_token(n)        a string that appears in the error log when
                               the marker request n (GET /__cc_marker_n on the
                               marker vhost, MARKER_HOST) is served

and the base class does the rest: drop scenarios whose config breaks `-t`,
start, send every request followed by a marker request, and attribute the
error-log lines written between two markers to the request in between
(the worker may write its log after the response; the marker makes the
attribution exact with one worker and serialized requests).
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import os
import re
import signal
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from .scenarios import Expectation, RequestSpec, Scenario

MARKER_HOST = "marker.confcheck.test"
DEFAULT_HOST = "unmatched.confcheck.test"
MARKER_PREFIX = "/__cc_marker_"


class HarnessError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quiet_port() -> int:
    """A free loopback port below the ephemeral range: no outgoing connection takes it before
    the server binds it, and a connection to it while nothing listens cannot meet itself."""
    import random
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as fh:
            low = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(200):
        port = random.randrange(20000, max(20001, low))
        try:
            for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                with socket.socket(family, socket.SOCK_STREAM) as s:
                    s.bind((host, port))
            return port
        except OSError:
            continue
    return free_port()


def quiet_ports(count: int) -> list[int]:
    """`count` different quiet ports, for the servers of one scenario started side by side."""
    ports: list[int] = []
    while len(ports) < count:
        port = quiet_port()
        if port not in ports:
            ports.append(port)
    return ports


ACCOUNT_RE = re.compile(r"@USER:([a-z][a-z0-9_-]*)@")
PORT_RE = re.compile(r"@PORT:([a-z][a-z0-9_-]*)@")


def substitute(text: str, scenario: "BoundScenario") -> str:
    text = text.replace("@ROOT@", str(scenario.root)).replace("@NAME@", scenario.server_name)
    # @ID@ -> the scenario's name as a word: http-level map/geo variables of raw_servers
    # scenarios are global, so each scenario names its own
    text = text.replace("@ID@", re.sub(r"\W", "_", scenario.name))
    # @PORT:x@ -> a free loopback port of the scenario's own, the same wherever it is named
    # (the server's config and the php-fpm pools behind it); one nothing listens on stays free
    def port(match: re.Match) -> str:
        if match.group(1) not in scenario.ports:
            scenario.ports[match.group(1)] = quiet_port()
        return str(scenario.ports[match.group(1)])
    text = PORT_RE.sub(port, text)
    # @USER:alice@ -> the real name of the scenario's test account (e.g. /~@USER:alice@/ for UserDir)
    return ACCOUNT_RE.sub(lambda m: scenario.accounts.get(m.group(1), m.group(0)), text)


# -- results -----------------------------------------------------------------

@dataclass
class RequestResult:
    scenario: str
    index: int
    spec: RequestSpec
    expectation: Expectation | None
    root: Path
    status: int | None = None
    reason: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    log: list[str] = field(default_factory=list)
    error: str | None = None  # transport error, or why the request was not sent
    host: str = ""            # the Host header sent
    port: int = 0             # the port the request went to
    access_log: list[str] = field(default_factory=list)  # access-log lines of this request
    path_sent: str = ""       # the request target as sent (@USER:name@ replaced)
    accounts: dict[str, str] = field(default_factory=dict)  # the scenario's logical -> real account names

    @property
    def method(self) -> str:
        return self.spec.method

    @property
    def path(self) -> str:
        return self.spec.path

    @property
    def expected_status(self) -> int | None:
        return self.expectation.status if self.expectation else None

    @property
    def expected_fs_path(self) -> Path | None:
        """Absolute path at fault (the denying component), or None."""
        if not self.expectation or self.expectation.fs_path is None:
            return None
        rel = self.expectation.fs_path
        if rel in (".", ""):
            return self.root
        return self.root / rel

    @property
    def expected_rule(self) -> str | None:
        return self.expectation.rule if self.expectation else None

    @property
    def expected_log(self) -> list[str]:
        if not self.expectation:
            return []
        return [s.replace("@ROOT@", str(self.root)) for s in self.expectation.log]

    @property
    def disk_caused_denial(self) -> bool:
        """A 403/500 whose cause is on disk: scan must report expected_fs_path."""
        return self.expected_fs_path is not None and self.status in (403, 500)

    def describe(self) -> str:
        lines = [f"{self.scenario}[{self.index}] {self.spec.label} (Host {self.host}) -> {self.status} {self.reason}"]
        if "location" in self.response_headers:
            lines.append(f"    Location: {self.response_headers['location']}")
        lines += [f"    access: {l}" for l in self.access_log]
        lines += [f"    log: {l}" for l in self.log] or ["    log: (none)"]
        if self.error:
            lines.append(f"    error: {self.error}")
        return "\n".join(lines)


@dataclass
class BoundScenario:
    """A scenario placed on disk for one run."""
    spec: Scenario
    root: Path          # @ROOT@: the scenario's tree directory
    tree_base: Path     # directory holding all scenario trees of the run
    error: str | None = None  # tree build or config error: requests not sent
    address: str = "127.0.0.1"  # where its requests go (raw_servers: its own 127.0.0.N)
    accounts: dict[str, str] = field(default_factory=dict)  # logical -> real account names
    ports: dict[str, int] = field(default_factory=dict)     # @PORT:x@ -> the port picked

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def server_name(self) -> str:
        return self.spec.server_name


@dataclass
class ScenarioResult:
    name: str
    server_name: str
    root: Path
    tree_base: Path
    conf_path: Path
    spec: Scenario
    requests: list[RequestResult]
    error: str | None = None
    address: str = "127.0.0.1"   # where its requests were sent (raw_servers: 127.0.0.N)


@dataclass
class RunResult:
    server: str
    conf_path: Path     # the full config the server ran (kept until session end)
    prefix: Path        # server prefix (logs, pid, temp dirs)
    base: Path          # the run's base directory (trees + prefix)
    tree_base: Path
    port: int
    error_log: Path
    scenarios: dict[str, ScenarioResult]
    unattributed_log: list[str] = field(default_factory=list)
    duration: float = 0.0

    def all_requests(self):
        for sc in self.scenarios.values():
            yield from sc.requests

    def disk_denials(self):
        """(scenario, request) for every 403/500 caused by the disk."""
        for sc in self.scenarios.values():
            for r in sc.requests:
                if r.disk_caused_denial:
                    yield sc, r

    def served_ok(self):
        """(scenario, request) for every request answered 200."""
        for sc in self.scenarios.values():
            for r in sc.requests:
                if r.status == 200:
                    yield sc, r


# -- error log --------------------------------------------------------------

class LogTail:
    """Reads the lines appended to a log file since the last read."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.offset = self.path.stat().st_size if self.path.exists() else 0
        self.pending = b""
        self.lines: list[str] = []

    def _read(self) -> None:
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        data = self.pending + data
        *complete, self.pending = data.split(b"\n")
        self.lines += [c.decode("utf-8", "replace") for c in complete]

    def read_new(self) -> list[str]:
        """Complete lines appended since the last read."""
        self._read()
        out, self.lines = self.lines, []
        return out

    def read_until(self, token: str, timeout: float = 5.0) -> list[str]:
        """Lines up to (excluding) the first line containing token."""
        deadline = time.monotonic() + timeout
        delay = 0.0005
        while True:
            self._read()
            for i, line in enumerate(self.lines):
                if token in line:
                    before, self.lines = self.lines[:i], self.lines[i + 1:]
                    return before
            if time.monotonic() > deadline:
                raise HarnessError(f"marker {token!r} never reached {self.path}; got {self.lines[-5:]!r}")
            time.sleep(delay)
            delay = min(delay * 2, 0.02)


# -- runner ------------------------------------------------------------------

class ServerRunner(ABC):
    kind: str = ""
    conf_name: str = ""        # file name of the generated config under PREFIX/conf
    # a log line belongs to a request when it matches this (nginx: "*<conn id>")
    request_line_re: re.Pattern = re.compile(r".")

    def __init__(self, prefix: Path, scenarios: list[BoundScenario], *, user: str = "www-data",
                 log_level: str = "info", binary: str = ""):
        self.prefix = Path(prefix)
        self.scenarios = scenarios
        self.user = user
        self.log_level = log_level
        self.binary = binary
        self.port = 0
        self.line_map: dict[str, tuple[int, int]] = {}
        self.marker_seq = 0
        self.proc: subprocess.Popen | None = None

    @property
    def conf_path(self) -> Path:
        return self.prefix / "conf" / self.conf_name

    @property
    def error_log(self) -> Path:
        return self.prefix / "logs" / "error.log"

    @property
    def access_log(self) -> Path:
        return self.prefix / "logs" / "access.log"

    @property
    def marker_root(self) -> Path:
        return self.prefix / "marker"

    # subclasses -------------------------------------------------------------
    @abstractmethod
    def render_config(self, scenarios: list[BoundScenario], port: int) -> tuple[str, dict[str, tuple[int, int]]]:
        ...

    @abstractmethod
    def test_config(self) -> str | None: ...

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def marker_log_token(self, n: int) -> str: ...

    def error_line_numbers(self, message: str) -> list[int]:
        """Line numbers of the main config named in a -t error message."""
        conf = re.escape(str(self.conf_path))
        return [int(m) for m in re.findall(conf + r":(\d+)", message)]

    # config -------------------------------------------------------------------
    def write_config(self) -> None:
        active = [s for s in self.scenarios if s.error is None]
        text, self.line_map = self.render_config(active, self.port)
        self.conf_path.parent.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(text, encoding="utf-8")

    def prepare(self) -> None:
        """Write a config that passes -t, dropping scenarios that break it."""
        self.port = free_port()
        for _ in range(len(self.scenarios) + 1):
            self.write_config()
            err = self.test_config()
            if err is None:
                return
            culprits = set()
            for line in self.error_line_numbers(err):
                for name, (lo, hi) in self.line_map.items():
                    if lo <= line <= hi:
                        culprits.add(name)
            if not culprits:
                raise HarnessError(f"{self.kind} -t rejected the generated config {self.conf_path}:\n{err}")
            for s in self.scenarios:
                if s.name in culprits:
                    s.error = f"{self.kind} -t rejected this scenario's config:\n{err}"
        raise HarnessError(f"could not produce a valid {self.kind} config")

    # HTTP ---------------------------------------------------------------------
    def http(self, host: str, spec: RequestSpec, timeout: float = 10.0,
             address: str = "127.0.0.1") -> tuple[int, str, dict, bytes]:
        headers = dict(spec.headers)
        headers["Host"] = host
        headers["Connection"] = "close"
        if spec.auth:
            token = base64.b64encode(f"{spec.auth[0]}:{spec.auth[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        body = spec.body.encode() if spec.body is not None else None
        # the client address stays 127.0.0.1 whatever 127.0.0.N the server listens on
        conn = http.client.HTTPConnection(address, self.port, timeout=timeout,
                                          source_address=("127.0.0.1", 0))
        try:
            conn.request(spec.method, spec.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def send_marker(self) -> str:
        self.marker_seq += 1
        n = self.marker_seq
        self.http(MARKER_HOST, RequestSpec(path=f"{MARKER_PREFIX}{n}"))
        return self.marker_log_token(n)

    def wait_ready(self, proc, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise HarnessError(f"{self.kind} exited with rc {proc.returncode} at start:\n{self.startup_diagnostics()}")
            try:
                self.http(MARKER_HOST, RequestSpec(path=f"{MARKER_PREFIX}0"), timeout=1.0)
                return
            except (OSError, http.client.HTTPException) as e:
                # HTTPException: the port (from bind(0), the ephemeral range) is not listening yet
                # and the probe's own ephemeral port equals it: TCP connects the socket to itself
                # and reads back its request line (BadStatusLine "GET /__cc_marker_0"). Not ready;
                # the server then fails to bind that port and start_foreground retries on another
                last = e
                time.sleep(0.01)
        raise HarnessError(f"{self.kind} did not answer on 127.0.0.1:{self.port} within {timeout}s ({last}):\n"
                           f"{self.startup_diagnostics()}")

    # foreground master process ------------------------------------------------
    def start_foreground(self, argv: list[str], attempts: int = 3) -> None:
        """Popen the master in the foreground (it gets SIGTERM if we die), wait
        until the marker vhost answers; on a lost bind(0) race, retry on a new port."""
        for attempt in range(attempts):
            offset = self.error_log.stat().st_size if self.error_log.exists() else 0
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL,
                stdout=open(self.prefix / "logs" / "stdout.log", "ab"), stderr=subprocess.STDOUT,
                preexec_fn=set_pdeathsig)
            try:
                self.wait_ready(self.proc)
                return
            except HarnessError:
                self.stop()
                new = ""
                if self.error_log.exists():
                    with open(self.error_log, "rb") as f:
                        f.seek(offset)
                        new = f.read().decode(errors="replace")
                if "Address already in use" in new and attempt < attempts - 1:
                    self.port = free_port()
                    self.write_config()
                    continue
                raise

    @staticmethod
    def children(pid: int) -> list[int]:
        kids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    kids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
        return kids

    _children = children

    def stop_foreground(self, signals=(signal.SIGTERM, signal.SIGKILL), wait: float = 5.0) -> None:
        """Signal the master (escalating), then make sure its children are gone."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        workers = self.children(proc.pid)
        for sig in signals:
            try:
                proc.send_signal(sig)
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        deadline = time.monotonic() + 3
        for w in workers:
            while time.monotonic() < deadline and _alive(w):
                time.sleep(0.01)
            if _alive(w):
                try:
                    os.kill(w, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def startup_diagnostics(self) -> str:
        try:
            return self.error_log.read_text(errors="replace")[-3000:]
        except OSError:
            return "(no error log)"

    # the run --------------------------------------------------------------------
    def run(self) -> RunResult:
        t0 = time.monotonic()
        self.prepare()
        self.start()
        unattributed: list[str] = []
        results: dict[str, ScenarioResult] = {}
        try:
            tail = LogTail(self.error_log)
            access = LogTail(self.access_log)
            # everything up to the first marker is start-up noise
            unattributed += tail.read_until(self.send_marker())
            access.read_new()
            for s in self.scenarios:
                reqs = []
                for i, spec in enumerate(s.spec.requests):
                    if self.kind not in spec.expect:
                        continue
                    rr = RequestResult(scenario=s.name, index=i, spec=spec,
                                       expectation=spec.expect.get(self.kind), root=s.root)
                    reqs.append(rr)
                    if s.error:
                        rr.error = s.error
                        continue
                    rr.host = substitute(spec.host, s) if spec.host else s.server_name
                    rr.port = self.port
                    sent = dataclasses.replace(
                        spec, path=substitute(spec.path, s),
                        headers={k: substitute(v, s) for k, v in spec.headers.items()})
                    rr.path_sent = sent.path
                    rr.accounts = s.accounts
                    try:
                        rr.status, rr.reason, rr.response_headers, rr.body = self.http(
                            rr.host, sent, address=s.address)
                    except (OSError, http.client.HTTPException) as e:
                        rr.error = f"{type(e).__name__}: {e}"
                    for line in tail.read_until(self.send_marker()):
                        (rr.log if self.request_line_re.search(line) else unattributed).append(line)
                    # the marker's own access-log line comes last
                    rr.access_log = [l for l in access.read_new() if MARKER_PREFIX not in l]
                results[s.name] = ScenarioResult(
                    name=s.name, server_name=s.server_name, root=s.root, tree_base=s.tree_base,
                    conf_path=self.conf_path, spec=s.spec, requests=reqs, error=s.error,
                    address=s.address)
        finally:
            self.stop()
        return RunResult(server=self.kind, conf_path=self.conf_path, prefix=self.prefix,
                         base=self.prefix.parent, tree_base=self.scenarios[0].tree_base if self.scenarios else self.prefix,
                         port=self.port, error_log=self.error_log, scenarios=results,
                         unattributed_log=unattributed, duration=time.monotonic() - t0)


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def set_pdeathsig():
    """preexec_fn: the server master gets SIGTERM if the test process dies."""
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except Exception:
        pass
    os.setsid()


class RunsConfigOnDisk:
    """Mixed into a runner: run the config file as it is on disk (a fix patched
    it) on the port of the first run, instead of writing a fresh one."""

    def prepare(self) -> None:
        err = self.test_config()
        if err is not None:
            raise AssertionError(f"{self.kind} -t rejects the patched config:\n{err}")

    def write_config(self) -> None:
        pass

"""A throwaway server carrying only the WAF configuration of one request's
server and location: written under a fresh temporary directory, started on
127.0.0.1 (a free port) in the foreground, sent the one request, stopped by
its pid, removed. Nothing of the site is in it: every request reaches one
location answering from one file, so only the WAF can refuse.

Directives of the user's files are replayed as written; a rule file made only
of Sec* directives is Included where it is (its rules then carry their own
file:line in the engine's log); the others are copied inline, their relative
paths made absolute, and every path the engine would write to (audit log,
debug log, data/tmp/upload dirs) pointed into the temporary directory:
a replay never writes to the user's files.
"""

from __future__ import annotations

import http.client
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from confcheck.waf_replay.collect import WafSetup
from confcheck.waf_replay.rulefile import WRITES, Item, whole_file

APACHE_MODULES = "/usr/lib/apache2/modules"
DEBIAN_MODULE = {"apache": "/usr/lib/apache2/modules/mod_security2.so",
                 "nginx": "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so"}
PACKAGE = {"apache": "libapache2-mod-security2", "nginx": "libnginx-mod-http-modsecurity"}
START_TIMEOUT = 30.0      # the CRS takes about a second to load
# a request the WAF never sees, answered 404 with a log line: the lines before it are the replayed request's
MARKER = "/__confcheck_marker_"
REQUEST_TIMEOUT = 30.0
WORKER = "www-data"


class ReplayError(Exception):
    """The replay could not be done (the server refused the configuration, did not start...)."""


@dataclass
class Replayed:
    status: int | None
    log: list[str]                       # the error-log lines the request produced
    origin: dict = field(default_factory=dict)   # (config path, line) -> Item: inline directives
    error: str | None = None             # transport error (e.g. a refused body closed the connection)


def binary(server: str) -> str | None:
    name = "apache2" if server == "apache" else "nginx"
    debian = f"/usr/sbin/{name}"
    return shutil.which(name) or (debian if os.path.exists(debian) else None)


def module_file(setup: WafSetup, root: str | None) -> str | None:
    """The ModSecurity module to load: the one the config names (under --root), else Debian's."""
    candidates = []
    if setup.module_path:
        candidates.append(os.path.join(root, setup.module_path.lstrip("/")) if root else setup.module_path)
    candidates.append(DEBIAN_MODULE[setup.server])
    return next((c for c in candidates if os.path.isfile(c)), None)


# -- rendering --------------------------------------------------------------------

_FROM_FILE = re.compile(r"(@(?:pmFromFile|pmf|ipMatchFromFile|ipMatchF)\s+)([^\s\"'/][^\s\"']*)")


def _inline(item: Item, work: str) -> str | None:
    """The directive's text for the throwaway config (None: left out)."""
    text = item.text
    if item.key in WRITES:
        if item.key == "secguardianlog":
            return None                                  # pipes to a program
        target = {"secauditlog": "audit.log", "secauditlog2": "audit2.log", "secdebuglog": "debug.log",
                  "secauditlogstoragedir": "audit"}.get(item.key)
        path = os.path.join(work, "logs", target) if target else os.path.join(work, "tmp")
        return f"{item.text.split(None, 1)[0]} {path}"
    if item.key == "secunicodemapfile":
        parts = text.split()
        if len(parts) >= 2 and not parts[1].startswith("/"):
            parts[1] = os.path.join(item.directory, parts[1])
        return " ".join(parts)
    return _FROM_FILE.sub(lambda m: m.group(1) + os.path.join(item.directory, m.group(2)), text)


class Emitter:
    """Lines of a config file, remembering which inline line came from which directive."""

    def __init__(self, path: str, work: str) -> None:
        self.path, self.work = path, work
        self.lines: list[str] = []
        self.origin: dict[tuple[str, int], Item] = {}
        self._whole: dict[str, bool] = {}

    def add(self, *lines: str) -> None:
        self.lines += lines

    def items(self, items: list[Item], pad: str = "") -> None:
        previous = None
        for item in items:
            whole = self._whole.get(item.file)
            if whole is None:
                whole = self._whole[item.file] = whole_file(item.file)
            if whole:
                if previous != item.file:
                    self.add(f'{pad}Include "{item.file}"')
                previous = item.file
                continue
            previous = None
            text = _inline(item, self.work)
            if text is None:
                continue
            first = len(self.lines) + 1
            for n, line in enumerate(text.splitlines()):
                self.origin[(self.path, first + n)] = item
                self.lines.append(pad + line if n == 0 else line)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _worker() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(WORKER)
        return WORKER
    except KeyError:
        return None


def render_apache(setup: WafSetup, work: str, port: int, module: str, force_on: bool) -> Emitter:
    conf = Emitter(os.path.join(work, "httpd.conf"), work)
    user = _worker()
    mods = [("mpm_event_module", "mod_mpm_event.so"), ("authz_core_module", "mod_authz_core.so"),
            ("alias_module", "mod_alias.so"), ("unique_id_module", "mod_unique_id.so")]
    conf.add("# confcheck: a throwaway server replaying one request through ModSecurity",
             f"ServerRoot {work}", f"DefaultRuntimeDir {work}/run", f"PidFile {work}/run/httpd.pid",
             f"Mutex file:{work}/run default",
             *[f"LoadModule {name} {APACHE_MODULES}/{so}" for name, so in mods],
             f"LoadModule security2_module {module}",
             *([f"User {user}", f"Group {user}"] if user else []),
             f"Listen 127.0.0.1:{port}", "ServerName 127.0.0.1", f"ErrorLog {work}/logs/error.log",
             # one worker thread: a request's logging phase is over before the marker request is read
             "LogLevel info", "StartServers 1", "ServerLimit 1", "ThreadsPerChild 1", "MaxRequestWorkers 1",
             "KeepAlive Off", "<Directory />", "    Require all denied", "</Directory>",
             f"<Directory {work}/www>", "    Require all granted", "</Directory>",
             f"<Directory {work}/marker>", "    Require all granted", "</Directory>",
             "# the WAF configuration of the main server")
    conf.items(setup.server_items)
    for sec in setup.sections:
        if not sec.in_vhost:
            _section(conf, sec, force_on)
    if force_on:
        conf.add("SecRuleEngine On")
    conf.add(f"<VirtualHost 127.0.0.1:{port}>", "    ServerName localhost", f"    DocumentRoot {work}/marker",
             f'    AliasMatch "^/(?!{MARKER[1:]})" {work}/www/ok', "    # the WAF configuration of the virtual host")
    conf.items(setup.vhost_items, "    ")
    for sec in setup.sections:
        if sec.in_vhost:
            _section(conf, sec, force_on)
    if force_on:
        conf.add("    SecRuleEngine On")
    conf.add(f"    <Location {MARKER}>", "        SecRuleEngine Off", "    </Location>", "</VirtualHost>")
    return conf


def _section(conf: Emitter, sec, force_on: bool) -> None:
    conf.add(sec.header)
    conf.items(sec.items, "    ")
    if force_on and any(i.key == "secruleengine" for i in sec.items):
        conf.add("    SecRuleEngine On")
    conf.add(sec.close)


def render_nginx(setup: WafSetup, work: str, port: int, module: str, force_on: bool) -> tuple[Emitter, Emitter]:
    rules = Emitter(os.path.join(work, "waf.conf"), work)
    rules.items(setup.server_items)
    if force_on:
        rules.add("SecRuleEngine On")
    user = _worker()
    conf = Emitter(os.path.join(work, "nginx.conf"), work)
    conf.add("# confcheck: a throwaway server replaying one request through ModSecurity",
             f"load_module {module};", *([f"user {user};"] if user else []), "daemon off;", "master_process on;",
             "worker_processes 1;", f"pid {work}/run/nginx.pid;", f"error_log {work}/logs/error.log info;",
             "events {", "    worker_connections 16;", "}", "http {", "    access_log off;",
             "    client_max_body_size 0;",
             *[f"    {t}_temp_path {work}/tmp/{t};" for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")],
             "    server {", f"        listen 127.0.0.1:{port} default_server;", "        server_name _;",
             "        location / {", "            modsecurity on;",
             f"            modsecurity_rules_file {rules.path};",
             # a static file, not `return`: `return` ends the request in the rewrite phase, before phase 2
             f"            root {work}/www;", "            try_files /ok =404;", "        }",
             f"        location ^~ {MARKER} {{", "            modsecurity off;", f"            root {work}/marker;",
             "        }", "    }", "}")
    return conf, rules


# -- running ----------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def _listening(port: int) -> bool:
    """Whether a server listens on 127.0.0.1:`port`. A port from bind(0) lies in the ephemeral
    range: while nothing listens there, the probe's own ephemeral port may equal it and TCP
    connects the socket to itself, which is not the server."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=0.5)
    except OSError:
        return False
    with sock:
        return sock.getsockname() != sock.getpeername()

def _detach():
    """preexec_fn: the server gets SIGTERM if confcheck dies; its own session."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort: without it the stop below still runs
        pass
    os.setsid()


class Server:
    def __init__(self, setup: WafSetup, module: str, force_on: bool) -> None:
        self.setup, self.module, self.force_on = setup, module, force_on
        self.work = tempfile.mkdtemp(prefix="confcheck-waf-")
        for d in ("logs", "run", "tmp", "www", "marker"):
            os.makedirs(os.path.join(self.work, d))
        os.chmod(self.work, 0o755)
        for d in ("www", "logs", "run", "marker"):
            os.chmod(os.path.join(self.work, d), 0o755)
        with open(os.path.join(self.work, "www", "ok"), "w") as f:
            f.write("ok\n")
        os.chmod(os.path.join(self.work, "www", "ok"), 0o644)
        user = _worker()
        if user:
            entry = pwd.getpwnam(user)
            for d in ("tmp", "logs"):
                os.chown(os.path.join(self.work, d), entry.pw_uid, entry.pw_gid)
        self.proc: subprocess.Popen | None = None
        self.origin: dict = {}
        self.port = 0
        self.offset = 0         # how far the error log was read
        self.partial = b""      # an incomplete last line
        self.unread: list[str] = []
        self.markers = 0

    @property
    def error_log(self) -> str:
        return os.path.join(self.work, "logs", "error.log")

    def _write(self) -> list[str]:
        self.port = _free_port()
        if self.setup.server == "apache":
            conf = render_apache(self.setup, self.work, self.port, self.module, self.force_on)
            files = [conf]
            argv = [binary("apache"), "-f", conf.path, "-d", self.work, "-DFOREGROUND"]
        else:
            conf, rules = render_nginx(self.setup, self.work, self.port, self.module, self.force_on)
            files = [conf, rules]
            argv = [binary("nginx"), "-p", self.work + "/", "-c", conf.path, "-e", self.error_log]
        self.origin = {}
        for emitter in files:
            with open(emitter.path, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(emitter.text())
            os.chmod(emitter.path, 0o644)
            self.origin.update(emitter.origin)
        return argv

    def start(self) -> None:
        for attempt in range(3):
            argv = self._write()
            out = open(os.path.join(self.work, "logs", "stdout.log"), "ab")
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         preexec_fn=_detach, cwd=self.work)
            out.close()
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if not _listening(self.port):
                    time.sleep(0.02)
                    continue
                self.lines_until_marker()         # start-up lines
                return
            self.stop()
            message = self._startup_message()
            if "Address already in use" in message and attempt < 2:
                continue
            raise ReplayError(f"the replay server did not start: {message}")

    def _startup_message(self) -> str:
        text = ""
        for name in ("stdout.log", "error.log"):
            try:
                with open(os.path.join(self.work, "logs", name), errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        lines = [l.strip() for l in text.splitlines() if l.strip()]
        useful = [l for l in lines if "emerg" in l or "Syntax error" in l or "error" in l.lower()] or lines
        return useful[-1][:600] if useful else "(no message)"

    def send(self, method: str, target: str, headers: dict[str, str], body: bytes | None) -> tuple[int | None, str | None]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            sent = {k.lower() for k in headers}
            for name, value in headers.items():
                conn.putheader(name, value)
            if body is None and method in ("POST", "PUT", "PATCH"):
                body = b""                   # an empty body, announced (as http.client and curl -d '' do)
            if body is not None and "content-length" not in sent:
                conn.putheader("Content-Length", str(len(body)))
            if "connection" not in sent:
                conn.putheader("Connection", "close")
            conn.endheaders(body)
            resp = conn.getresponse()
            resp.read()
            return resp.status, None
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        # nginx: SIGQUIT (graceful, the request is over); Apache: SIGTERM; then SIGKILL
        first = signal.SIGQUIT if self.setup.server == "nginx" else signal.SIGTERM
        for sig in (first, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)     # its own session (setsid): the master and its workers
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue

    def _read_log(self) -> None:
        try:
            with open(self.error_log, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return
        self.offset += len(data)
        *complete, self.partial = (self.partial + data).split(b"\n")
        self.unread += [raw.decode("utf-8", "replace") for raw in complete]

    def lines_until_marker(self) -> list[str]:
        """Send a marker request; the error-log lines written before its own."""
        self.markers += 1
        token = re.compile(re.escape(f"{MARKER}{self.markers}") + r"(?![0-9])")
        status, error = self.send("GET", f"{MARKER}{self.markers}", {"host": "localhost"}, None)
        if error is not None:
            raise ReplayError(f"the replay server stopped answering ({error})")
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            self._read_log()
            for i, line in enumerate(self.unread):
                if token.search(line):
                    before, self.unread = self.unread[:i], self.unread[i + 1:]
                    return before
            if time.monotonic() > deadline:
                raise ReplayError(f"the replay server never logged its marker request ({token.pattern})")
            time.sleep(0.005)

    def exchange(self, method: str, target: str, headers: dict[str, str],
                 body: bytes | None) -> tuple[int | None, str | None, list[str]]:
        status, error = self.send(method, target, headers, body)
        return status, error, self.lines_until_marker()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def _key(setup: WafSetup, module: str, force_on: bool) -> tuple:
    def items(seq):
        return tuple((i.file, i.line, i.text) for i in seq)
    return (setup.server, module, force_on, items(setup.server_items), items(setup.vhost_items),
            tuple((s.header, s.in_vhost, items(s.items)) for s in setup.sections))


class Pool:
    """Replay servers kept running for many requests (a `why --batch`, the tests), one per
    distinct WAF configuration; close() stops them all."""

    def __init__(self) -> None:
        self.servers: dict[tuple, Server] = {}

    def get(self, setup: WafSetup, module: str, force_on: bool) -> Server:
        key = _key(setup, module, force_on)
        server = self.servers.get(key)
        if server is None or server.proc is None or server.proc.poll() is not None:
            if server is not None:
                server.close()
            server = Server(setup, module, force_on)
            try:
                server.start()
            except BaseException:
                server.close()
                raise
            self.servers[key] = server
        return server

    def close(self) -> None:
        for server in self.servers.values():
            server.close()
        self.servers.clear()


def replay(setup: WafSetup, module: str, request, body: bytes | None, force_on: bool,
           pool: Pool | None = None) -> Replayed:
    """Send `request` (method, target, headers as the client gave them) to a replay server
    (the pool's, or one started and stopped for it) and collect the log lines it caused."""
    target = request.raw_path + (f"?{request.args}" if request.args else "")
    headers = dict(request.headers)      # names lower-case; Host as the client sent it
    if pool is not None:
        server = pool.get(setup, module, force_on)
        status, error, lines = server.exchange(request.method, target, headers, body)
        return Replayed(status, lines, server.origin, error)
    server = Server(setup, module, force_on)
    try:
        server.start()
        status, error, lines = server.exchange(request.method, target, headers, body)
        return Replayed(status, lines, server.origin, error)
    finally:
        server.close()

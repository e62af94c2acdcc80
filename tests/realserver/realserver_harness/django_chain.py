"""Real Django under real gunicorn behind real nginx and Apache with TLS, on 127.0.0.1.

One scenario directory under /var/tmp (0755): a throwaway certificate made with
openssl; three Django projects written the ways projects write settings (one
file, split `base.py`/`prod.py` with `from .base import *`, env-driven), each
with a systemd unit whose ExecStart is the gunicorn command line the test runs
(its Environment= is the environment gunicorn gets); one nginx and one Apache
whose server blocks proxy to them with different header settings. Django logs
its refusals (django.security) to gunicorn's stderr, which the test reads for
the reason of each request (one path per request: /form/<tag>/).
"""

from __future__ import annotations

import http.client
import os
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .runner import quiet_ports, set_pdeathsig

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULE_DIR = Path("/usr/lib/apache2/modules")

MANAGE = '''#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{module}")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
'''
WSGI = '''import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{module}")
application = get_wsgi_application()
'''
URLS = '''from django.urls import path

from . import views

urlpatterns = [path("form/<str:tag>/", views.form)]
'''
VIEWS = '''from django.http import HttpResponse
from django.middleware.csrf import get_token


def form(request, tag):
    if request.method == "POST":
        return HttpResponse("posted " + tag)
    # the page carries the token a form would: the test posts it back as X-CSRFToken
    return HttpResponse(get_token(request))
'''
COMMON = '''SECRET_KEY = "confcheck-test-only-not-a-secret"
DEBUG = False
ROOT_URLCONF = "shop.urls"
INSTALLED_APPS = []
DATABASES = {}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
# refusals go to stderr (gunicorn's log): the test reads Django's reason there
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"err": {"class": "logging.StreamHandler"}},
    "loggers": {"django.security": {"handlers": ["err"], "level": "WARNING", "propagate": False}},
}
'''
MIDDLEWARE = '''MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # the one this test is about
]
'''

ALL_HOSTS = ["n-bare.test", "n-host.test", "n-good.test", "n-plain.test", "n-port.test",
             "a-bare.test", "a-pres.test", "a-good.test"]


def settings_files(variant: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """(DJANGO_SETTINGS_MODULE, {relative path: text}, unit environment) of a settings variant."""
    hosts = ", ".join(f'"{h}"' for h in ALL_HOSTS)
    if variant == "single":
        text = (COMMON + f"ALLOWED_HOSTS = [{hosts}]\n"
                "# written before Django 4.0: no scheme\n"
                'CSRF_TRUSTED_ORIGINS = ["n-bare.test"]\n' + MIDDLEWARE)
        nocsrf = ('from .settings import *  # noqa: F403\n\nMIDDLEWARE = [\n'
                  '    "django.middleware.security.SecurityMiddleware",\n'
                  '    "django.middleware.common.CommonMiddleware",\n]\n')
        return "shop.settings", {"shop/settings.py": text, "shop/settings_nocsrf.py": nocsrf}, {}
    if variant == "split":
        base = COMMON + f"ALLOWED_HOSTS = [{hosts}]\n" + MIDDLEWARE
        prod = ("from .base import *  # noqa: F403\n\n"
                "# cookies only over https\n"
                "CSRF_COOKIE_SECURE = True\n")
        return "shop.settings.prod", {"shop/settings/__init__.py": "", "shop/settings/base.py": base,
                                      "shop/settings/prod.py": prod}, {}
    if variant == "env":
        text = ("import os\n\n" + COMMON +
                'ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")\n'
                'PUBLIC_HOST = os.environ.get("PUBLIC_HOST", "n-port.test")\n'
                'CSRF_TRUSTED_ORIGINS = [f"https://{PUBLIC_HOST}"]\n'
                'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")\n' + MIDDLEWARE)
        return "shop.settings", {"shop/settings.py": text}, {"DJANGO_ALLOWED_HOSTS": "n-port.test,a-pres.test"}
    raise ValueError(variant)


@dataclass
class Project:
    variant: str
    root: Path
    port: int
    module: str
    environ: dict[str, str]
    proc: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def settings_path(self) -> Path:
        rel = self.module.replace(".", "/")
        single = self.root / (rel + ".py")
        return single if single.exists() else self.root / rel / "__init__.py"

    def unit_text(self) -> str:
        env = "".join(f"Environment={k}={v}\n" for k, v in self.environ.items())
        return ("[Unit]\nDescription=shop (" + self.variant + ")\n\n[Service]\n"
                f"WorkingDirectory={self.root}\n{env}"
                f"ExecStart={sys.executable} -m gunicorn --bind 127.0.0.1:{self.port} --workers 1 shop.wsgi\n")


def csrf_posts(origin: str, page: str) -> list[tuple[str, dict[str, str]]]:
    """(label, headers without the cookie/token) of the POSTs sent after the GET."""
    return [
        ("origin", {"Origin": origin, "Referer": page}),
        ("referer-only", {"Referer": page}),
        ("neither", {}),
        ("foreign-origin", {"Origin": "https://evil.test"}),
        ("http-referer", {"Referer": page.replace("https://", "http://")}),
    ]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _tail(*logs: Path) -> str:
    return "\n".join(log.read_text(errors="replace")[-3000:] for log in logs if log.exists())


def _wait_port(port: int, proc, what: str, log: Path, timeout: float = 20.0) -> None:
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with rc {proc.returncode}:\n{_tail(log, log.parent / 'stdout.log')}")
        with socket.socket() as s:
            s.settimeout(0.2)
            # a socket connected to itself (its ephemeral port equal to the one not yet
            # listened on) is not the server
            if s.connect_ex(("127.0.0.1", port)) == 0 and s.getsockname() != s.getpeername():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port}:\n{_tail(log, log.parent / 'stdout.log')}")


def _stop(proc, sigs=(signal.SIGTERM, signal.SIGKILL)) -> None:
    if proc is None or proc.poll() is not None:
        return
    for sig in sigs:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class Answer:
    status: int
    body: str
    cookies: dict[str, tuple[str, bool]]    # name -> (value, Secure)
    log: list[str]


@dataclass
class Chain:
    base: Path
    projects: dict[str, Project] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)     # nginx-https, nginx-http, apache-https, apache-http
    spare_ports: list[int] = field(default_factory=list)     # quiet ports left for the apps' sockets
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    requests: int = 0

    # -- building ----------------------------------------------------------------
    def config(self, server: str, name: str | None = None) -> str:
        """The main config file of `server` (nginx or apache), or its file `name`."""
        return str(self.base / server / (name or ("nginx.conf" if server == "nginx" else "httpd.conf")))

    @classmethod
    def _new(cls, tag: str, hosts) -> "Chain":
        """A fresh 0755 tree under /var/tmp with the four server ports and a throwaway
        certificate for `hosts` (the gunicorn and the uWSGI chains start alike)."""
        base = Path(tempfile.mkdtemp(prefix=f"confcheck-{tag}-{os.getpid()}-", dir="/var/tmp"))
        base.chmod(0o755)
        chain = cls(base)
        # Below the ephemeral range and all different: a port from bind(0) can be taken by
        # another test's outgoing connection before the server binds it (CI met a plain-HTTP
        # answer on the nginx-https port); the apps' ports come from the same pool.
        names = ("nginx-https", "nginx-http", "apache-https", "apache-http")
        chain.spare_ports = quiet_ports(len(names) + 4)
        for name in names:
            chain.ports[name] = chain.spare_ports.pop()
        (base / "tls").mkdir()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-keyout", str(base / "tls/key.pem"), "-out", str(base / "tls/cert.pem"),
                        "-subj", "/CN=confcheck.test", "-addext",
                        "subjectAltName=" + ",".join(f"DNS:{h}" for h in hosts)],
                       check=True, capture_output=True, timeout=60)
        return chain

    @staticmethod
    def _write_project(root: Path, module: str, files: dict[str, str]) -> None:
        """manage.py and the shop package with its settings files."""
        _write(root / "manage.py", MANAGE.format(module=module))
        for rel, text in {"shop/__init__.py": "", "shop/wsgi.py": WSGI.format(module=module),
                          "shop/urls.py": URLS, "shop/views.py": VIEWS, **files}.items():
            _write(root / rel, text)

    @classmethod
    def build(cls) -> "Chain":
        chain = cls._new("dj", ALL_HOSTS)
        base = chain.base
        for variant in ("single", "split", "env"):
            module, files, environ = settings_files(variant)
            root = base / "apps" / variant
            project = Project(variant, root, chain.spare_ports.pop(), module, environ)
            chain._write_project(root, module, files)
            _write(root / "shop.service", project.unit_text())
            chain.projects[variant] = project
        _write(base / "nginx/nginx.conf", chain.nginx_conf())
        _write(base / "nginx/good.conf", chain.nginx_conf(only=("n-good.test",)))
        _write(base / "apache/httpd.conf", chain.apache_conf())
        _write(base / "apache/good.conf", chain.apache_conf(only=("a-good.test",)))
        for d in ("nginx/logs", "nginx/run", "nginx/tmp", "apache/logs", "apache/run"):
            (base / d).mkdir(parents=True, exist_ok=True)
        return chain

    def upstream(self, variant: str) -> str:
        return f"http://127.0.0.1:{self.projects[variant].port}"

    def nginx_blocks(self) -> list[tuple[str, str, str, list[str]]]:
        """(name, settings variant, listens, proxy header lines) of every nginx server block."""
        return [
            ("n-bare.test", "single", "both", []),
            ("n-host.test", "single", "both", ["proxy_set_header Host $http_host;"]),
            ("n-good.test", "split", "https", ["proxy_set_header Host $http_host;",
                                                "proxy_set_header X-Forwarded-Proto $scheme;"]),
            ("n-plain.test", "split", "http", ["proxy_set_header Host $http_host;"]),
            ("n-port.test", "env", "https", ["proxy_set_header Host $host;",
                                              "proxy_set_header X-Forwarded-Proto $scheme;"]),
        ]

    def apache_vhosts(self) -> list[tuple[str, str, tuple[str, ...], list[str]]]:
        """(name, settings variant, schemes served, lines) of every Apache virtual host."""
        return [
            ("a-bare.test", "single", ("https",), []),
            ("a-pres.test", "env", ("https", "http"), ["ProxyPreserveHost On"]),
            ("a-good.test", "split", ("https",), ["ProxyPreserveHost On",
                                                  'RequestHeader set X-Forwarded-Proto "https"']),
        ]

    def nginx_conf(self, only=None) -> str:
        p = self.base / "nginx"
        out = ["# confcheck real Django chain test", "user www-data;", "daemon off;", "worker_processes 1;",
               f"pid {p}/run/nginx.pid;", f"error_log {p}/logs/error.log info;", "events {",
               "    worker_connections 64;", "}", "http {",
               f"    access_log {p}/logs/access.log;",
               *[f"    {t}_temp_path {p}/tmp/{t};" for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")],
               f"    ssl_certificate {self.base}/tls/cert.pem;",
               f"    ssl_certificate_key {self.base}/tls/key.pem;"]
        for name, variant, listens, headers in self.nginx_blocks():
            if only is not None and name not in only:
                continue
            out += ["    server {"]
            if listens in ("both", "https"):
                out.append(f"        listen 127.0.0.1:{self.ports['nginx-https']} ssl;")
            if listens in ("both", "http"):
                out.append(f"        listen 127.0.0.1:{self.ports['nginx-http']};")
            out += [f"        server_name {name};", "        location / {",
                    f"            proxy_pass {self.upstream(variant)};",
                    *[f"            {h}" for h in headers], "        }", "    }"]
        out += ["}", ""]
        return "\n".join(out)

    def apache_conf(self, only=None) -> str:
        p = self.base / "apache"
        modules = [("mpm_event_module", "mod_mpm_event.so"), ("authz_core_module", "mod_authz_core.so"),
                   ("socache_shmcb_module", "mod_socache_shmcb.so"), ("ssl_module", "mod_ssl.so"),
                   ("proxy_module", "mod_proxy.so"), ("proxy_http_module", "mod_proxy_http.so"),
                   ("headers_module", "mod_headers.so")]
        out = ["# confcheck real Django chain test", f"ServerRoot {p}", f"DefaultRuntimeDir {p}/run",
               f"PidFile {p}/run/httpd.pid", f"Mutex file:{p}/run default",
               *[f"LoadModule {n} {MODULE_DIR / so}" for n, so in modules],
               "User www-data", "Group www-data", f"Listen 127.0.0.1:{self.ports['apache-https']}",
               f"Listen 127.0.0.1:{self.ports['apache-http']}", "ServerName localhost",
               f"ErrorLog {p}/logs/error.log", "LogLevel warn", f"CustomLog {p}/logs/access.log common",
               "StartServers 1", "ServerLimit 1", "ThreadsPerChild 8", "MaxRequestWorkers 8", "KeepAlive Off",
               f"SSLSessionCache shmcb:{p}/run/ssl_scache(512000)"]
        for name, variant, kinds, lines in self.apache_vhosts():
            if only is not None and name not in only:
                continue
            for kind in kinds:
                out += ["", f"<VirtualHost 127.0.0.1:{self.ports['apache-' + kind]}>", f"    ServerName {name}"]
                if kind == "https":
                    out += ["    SSLEngine on", f"    SSLCertificateFile {self.base}/tls/cert.pem",
                            f"    SSLCertificateKeyFile {self.base}/tls/key.pem"]
                out += [f"    {line}" for line in lines]
                out += [f"    ProxyPass / {self.upstream(variant)}/", "</VirtualHost>"]
        out.append("")
        return "\n".join(out)

    # -- processes -----------------------------------------------------------------
    def start_app(self, variant: str) -> None:
        project = self.projects[variant]
        unit = (project.root / "shop.service").read_text()
        start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
        argv = shlex.split(start.split("=", 1)[1])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_", "FORWARDED_"))}
        env.update(project.environ)
        project.log = project.root / "gunicorn.log"
        project.proc = subprocess.Popen(argv, cwd=project.root, env=env, stdin=subprocess.DEVNULL,
                                        stdout=open(project.log, "ab"), stderr=subprocess.STDOUT,
                                        preexec_fn=set_pdeathsig)
        _wait_port(project.port, project.proc, f"gunicorn ({variant})", project.log)

    def start_servers(self) -> None:
        n = self.base / "nginx"
        a = self.base / "apache"
        self.procs["nginx"] = subprocess.Popen(
            [NGINX, "-p", str(n), "-c", str(n / "nginx.conf"), "-e", str(n / "logs/error.log")],
            stdin=subprocess.DEVNULL, stdout=open(n / "logs/stdout.log", "ab"), stderr=subprocess.STDOUT,
            preexec_fn=set_pdeathsig)
        _wait_port(self.ports["nginx-https"], self.procs["nginx"], "nginx", n / "logs/error.log")
        self.procs["apache"] = subprocess.Popen(
            [APACHE, "-f", str(a / "httpd.conf"), "-d", str(a), "-DFOREGROUND"],
            stdin=subprocess.DEVNULL, stdout=open(a / "logs/stdout.log", "ab"), stderr=subprocess.STDOUT,
            preexec_fn=set_pdeathsig)
        _wait_port(self.ports["apache-https"], self.procs["apache"], "apache", a / "logs/error.log")

    def stop_servers(self) -> None:
        _stop(self.procs.pop("nginx", None), (signal.SIGQUIT, signal.SIGTERM, signal.SIGKILL))
        _stop(self.procs.pop("apache", None))

    def stop_apps(self) -> None:
        for project in self.projects.values():
            _stop(project.proc)
            project.proc = None

    def close(self) -> None:
        self.stop_servers()
        self.stop_apps()
        shutil.rmtree(self.base, ignore_errors=True)

    # -- requests ------------------------------------------------------------------
    def request(self, server: str, scheme: str, host: str, method: str, path: str,
                headers: dict[str, str]) -> Answer:
        port = self.ports[f"{server}-{scheme}"]
        if scheme == "https":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=20, context=context)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        logs = {name: (p.log.stat().st_size if p.log and p.log.exists() else 0) for name, p in self.projects.items()}
        try:
            conn.request(method, path, body=b"" if method == "POST" else None,
                         headers={"Host": f"{host}:{port}", **headers})
            resp = conn.getresponse()
            body = resp.read().decode(errors="replace")
            cookies = {}
            for value in resp.headers.get_all("Set-Cookie") or []:
                first, *attrs = value.split(";")
                name, _, val = first.strip().partition("=")
                cookies[name] = (val, any(a.strip().lower() == "secure" for a in attrs))
            status = resp.status
        finally:
            conn.close()
        self.requests += 1
        time.sleep(0.05)    # gunicorn writes Django's log line after the response
        lines = []
        for name, p in self.projects.items():
            if p.log is None or not p.log.exists():
                continue
            with open(p.log, "rb") as fh:
                fh.seek(logs[name])
                lines += fh.read().decode(errors="replace").splitlines()
        return Answer(status, body, cookies, lines)

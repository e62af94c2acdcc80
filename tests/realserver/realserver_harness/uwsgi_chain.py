"""Real Django under real uWSGI behind real nginx and Apache with TLS, on 127.0.0.1.

The uWSGI twin of django_chain.py (whose building blocks it reuses): two Django
projects, each run by Debian's uWSGI (uwsgi-core and uwsgi-plugin-python3, which
.ci/run installs; Django comes from the test's own site-packages through
`pythonpath`) from an ini file laid out as Debian's uwsgi package reads them
(etc/uwsgi/apps-enabled/NAME.ini), each
listening with the uwsgi protocol (`socket`) and plain HTTP (`http-socket`).
nginx reaches them through `uwsgi_pass` (with the machine's own
/etc/nginx/uwsgi_params, or `uwsgi_param` lines written out, or an upstream
group) and `proxy_pass`; Apache through `ProxyPass` to the http-socket, with
`RequestHeader` inside sections. uWSGI writes Django's refusals (django.security
on stderr) to its log, which the test reads for the reason of each request.
"""

from __future__ import annotations

import os
import subprocess
import sysconfig
from pathlib import Path

from .django_chain import COMMON, MIDDLEWARE, Chain, Project, _wait_port, _write
from .runner import set_pdeathsig

UWSGI = "/usr/bin/uwsgi"
PLUGIN = "/usr/lib/uwsgi/plugins/python3_plugin.so"

ONE_HOSTS = ["u-params.test", "u-raw.test", "u-scheme.test", "u-http.test", "u-mixed.test"]
TWO_HOSTS = ["u-group.test", "u-httpgood.test", "u-mixed.test", "ua-loc.test", "ua-other.test", "ua-if.test",
             "ua-bare.test"]
ALL_HOSTS = sorted(set(ONE_HOSTS + TWO_HOSTS))

# the variables a hand-written uwsgi_pass block sends (no include): what Django needs
PARAMS = ["REQUEST_METHOD $request_method", "QUERY_STRING $query_string", "PATH_INFO $document_uri",
          "CONTENT_TYPE $content_type", "CONTENT_LENGTH $content_length", "SERVER_NAME $server_name",
          "SERVER_PORT $server_port", "SERVER_PROTOCOL $server_protocol", "REMOTE_ADDR $remote_addr",
          "HTTP_HOST $http_host"]


def project_files(variant: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """(the settings module uWSGI loads, {relative path: text}, the ini's env)."""
    if variant == "uone":
        hosts = ", ".join(f'"{h}"' for h in ONE_HOSTS)
        return "shop.settings", {"shop/settings.py": COMMON + f"ALLOWED_HOSTS = [{hosts}]\n"
                                 "CSRF_TRUSTED_ORIGINS = []\n" + MIDDLEWARE}, {}
    # manage.py names shop.settings; the ini's env runs shop.settings_prod, env-driven
    prod = ("import os\n\nfrom .settings import *  # noqa: F403\n\n"
            'ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")\n')
    return "shop.settings", {"shop/settings.py": COMMON + 'ALLOWED_HOSTS = ["localhost"]\n'
                             "CSRF_TRUSTED_ORIGINS = []\n" + MIDDLEWARE,
                             "shop/settings_prod.py": prod}, \
        {"DJANGO_SETTINGS_MODULE": "shop.settings_prod", "DJANGO_ALLOWED_HOSTS": ",".join(TWO_HOSTS)}


class UwsgiChain(Chain):
    """Chain's servers, requests and logs; uWSGI instead of gunicorn."""

    sockets: dict

    @classmethod
    def build(cls) -> "UwsgiChain":
        chain = cls._new("uw", ALL_HOSTS)
        base = chain.base
        chain.sockets = {}
        for variant in ("uone", "utwo"):
            module, files, environ = project_files(variant)
            root = base / "apps" / variant
            project = Project(variant, root, chain.spare_ports.pop(), module, environ)
            chain.sockets[variant] = chain.spare_ports.pop()
            chain._write_project(root, module, files)
            chain.projects[variant] = project
            _write(chain.ini(variant), chain.ini_text(variant))
        _write(base / "nginx/nginx.conf", chain.nginx_conf())
        _write(base / "nginx/good.conf", chain.nginx_conf(only=("u-scheme.test", "u-group.test", "u-httpgood.test")))
        _write(base / "apache/httpd.conf", chain.apache_conf())
        _write(base / "apache/good.conf", chain.apache_conf(only=("ua-loc.test",)))
        for d in ("nginx/logs", "nginx/run", "nginx/tmp", "apache/logs", "apache/run"):
            (base / d).mkdir(parents=True, exist_ok=True)
        return chain

    def ini(self, variant: str) -> Path:
        return self.base / "etc/uwsgi/apps-enabled" / f"{variant}.ini"

    def ini_text(self, variant: str) -> str:
        project = self.projects.get(variant)
        port = project.port if project else None
        _, _, environ = project_files(variant)
        root = self.base / "apps" / variant
        lines = ["[uwsgi]", "; Debian's layout: /etc/uwsgi/apps-enabled/NAME.ini", "plugins = python3",
                 f"pythonpath = {sysconfig.get_paths()['purelib']}",
                 f"socket = 127.0.0.1:{self.sockets[variant]}", f"http-socket = 127.0.0.1:{port}",
                 f"chdir = {root}", "module = shop.wsgi:application", "processes = 1", "die-on-term = true",
                 "need-app = true", *[f"env = {k}={v}" for k, v in environ.items()]]
        return "\n".join(lines) + "\n"

    def uwsgi_addr(self, variant: str) -> str:
        return f"127.0.0.1:{self.sockets[variant]}"

    def http_addr(self, variant: str) -> str:
        return f"http://127.0.0.1:{self.projects[variant].port}"

    def uwsgi_blocks(self) -> list[tuple[str, str, list[str]]]:
        """(name, listens, lines) of every nginx server block."""
        explicit = [f"uwsgi_param {p};" for p in PARAMS]
        return [
            ("u-params.test", "both", ["include /etc/nginx/uwsgi_params;", f"uwsgi_pass {self.uwsgi_addr('uone')};"]),
            ("u-raw.test", "https", [*explicit, f"uwsgi_pass {self.uwsgi_addr('uone')};"]),
            ("u-scheme.test", "https", [*explicit, "uwsgi_param UWSGI_SCHEME $scheme;",
                                        f"uwsgi_pass {self.uwsgi_addr('uone')};"]),
            ("u-group.test", "https", [*explicit, "uwsgi_param HTTPS $https if_not_empty;", "uwsgi_pass ugroup;"]),
            ("u-mixed.test", "https", [*explicit, "uwsgi_param HTTPS $https if_not_empty;", "uwsgi_pass umixed;"]),
            ("u-http.test", "both", [f"proxy_pass {self.http_addr('uone')};", "proxy_set_header Host $http_host;"]),
            ("u-httpgood.test", "https", [f"proxy_pass {self.http_addr('utwo')};", "proxy_set_header Host $http_host;",
                                          "proxy_set_header X-Forwarded-Proto $scheme;"]),
        ]

    def uwsgi_vhosts(self) -> list[tuple[str, list[str]]]:
        """(name, lines) of every Apache https virtual host (all proxy to utwo's http-socket)."""
        to = f"ProxyPass / {self.http_addr('utwo')}/"
        return [
            ("ua-loc.test", ["ProxyPreserveHost On", '<Location "/">', '    RequestHeader set X-Forwarded-Proto "https"',
                             "</Location>", to]),
            ("ua-other.test", ["ProxyPreserveHost On", '<Location "/elsewhere/">',
                               '    RequestHeader set X-Forwarded-Proto "https"', "</Location>", to]),
            ("ua-if.test", ["ProxyPreserveHost On", "<If \"%{HTTP_HOST} =~ /ua-if/\">",
                            '    RequestHeader set X-Forwarded-Proto "https"', "</If>", to]),
            ("ua-bare.test", [to]),
        ]

    def nginx_conf(self, only=None) -> str:
        p = self.base / "nginx"
        out = ["# confcheck real Django-under-uWSGI chain test", "user www-data;", "daemon off;",
               "worker_processes 1;", f"pid {p}/run/nginx.pid;", f"error_log {p}/logs/error.log info;",
               "events {", "    worker_connections 64;", "}", "http {", f"    access_log {p}/logs/access.log;",
               *[f"    {t}_temp_path {p}/tmp/{t};" for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")],
               f"    ssl_certificate {self.base}/tls/cert.pem;", f"    ssl_certificate_key {self.base}/tls/key.pem;",
               "    upstream ugroup {", f"        server {self.uwsgi_addr('utwo')};", "    }",
               "    upstream umixed {", f"        server {self.uwsgi_addr('uone')};",
               f"        server {self.uwsgi_addr('utwo')};", "    }"]
        for name, listens, lines in self.uwsgi_blocks():
            if only is not None and name not in only:
                continue
            out += ["    server {"]
            if listens in ("both", "https"):
                out.append(f"        listen 127.0.0.1:{self.ports['nginx-https']} ssl;")
            if listens in ("both", "http"):
                out.append(f"        listen 127.0.0.1:{self.ports['nginx-http']};")
            out += [f"        server_name {name};", "        location / {", *[f"            {x}" for x in lines],
                    "        }", "    }"]
        out += ["}", ""]
        return "\n".join(out)

    def apache_conf(self, only=None) -> str:
        text = super().apache_conf(only=())    # the same module list and server settings, no vhost
        out = [text.rstrip("\n")]
        for name, lines in self.uwsgi_vhosts():
            if only is not None and name not in only:
                continue
            out += ["", f"<VirtualHost 127.0.0.1:{self.ports['apache-https']}>", f"    ServerName {name}",
                    "    SSLEngine on", f"    SSLCertificateFile {self.base}/tls/cert.pem",
                    f"    SSLCertificateKeyFile {self.base}/tls/key.pem", *[f"    {x}" for x in lines],
                    "</VirtualHost>"]
        out.append("")
        return "\n".join(out)

    def start_app(self, variant: str) -> None:
        project = self.projects[variant]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "UWSGI_"))}
        project.log = project.root / "uwsgi.log"
        project.proc = subprocess.Popen([UWSGI, "--ini", str(self.ini(variant))], cwd=project.root, env=env,
                                        stdin=subprocess.DEVNULL, stdout=open(project.log, "ab"),
                                        stderr=subprocess.STDOUT, preexec_fn=set_pdeathsig)
        _wait_port(project.port, project.proc, f"uWSGI ({variant})", project.log)
        _wait_port(self.sockets[variant], project.proc, f"uWSGI ({variant})", project.log)

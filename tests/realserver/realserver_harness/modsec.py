"""Real ModSecurity: Apache with mod_security2 and nginx with
ngx_http_modsecurity_module (libmodsecurity3), both with Debian's OWASP CRS,
on 127.0.0.1, under a scenario dir in /var/tmp.

The WAF configuration is written into the scenario dir, the way an admin
would set it up from Debian's files:

    waf/modsecurity.conf   /etc/modsecurity/modsecurity.conf-recommended with
                           SecRuleEngine set (Debian ships DetectionOnly), the
                           audit log, tmp and data dirs under the scenario dir,
                           plus ``extra`` directives (e.g. SecRequestBodyLimit)
    waf/crs-setup.conf     /etc/modsecurity/crs/crs-setup.conf plus a SecAction
                           (id 900000) setting tx.paranoia_level
    waf/main.conf          Include of the two above and the CRS rule files
                           (/usr/share/modsecurity-crs/rules/*.conf)

Apache loads mod_security2 (and mod_unique_id, which it needs) and Includes
waf/main.conf at server level, as Debian's security2.conf does; nginx loads
the module with ``load_module`` and sets ``modsecurity on;
modsecurity_rules_file .../waf/main.conf;`` in ``http {}``. Each WafSite is a
vhost / server block (Host NAME.confcheck.test) inheriting that; the marker
vhost has the WAF off so markers never touch the audit log.

    with ModsecServer("nginx", paranoia=2, sites=SITES) as srv:
        r = srv.request("POST", "/post", body="content=1 union select 2",
                        headers={"Content-Type": "application/x-www-form-urlencoded"}, site="app")
        r.status, r.rule_ids, r.log, r.audit

``modsec_prerequisites(kind)`` says why it cannot run here (or None).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from .apache import MODULE_DIR, MODULES, ApacheRunner
from .nginx import NginxRunner, indent
from .runner import MARKER_HOST, LogTail
from .scenarios import RequestSpec
from .session import prerequisites
from .tree import make_base, remove_base

CRS_DIR = Path("/usr/share/modsecurity-crs")
MODSEC_ETC = Path("/etc/modsecurity")
RECOMMENDED = MODSEC_ETC / "modsecurity.conf-recommended"
CRS_SETUP = MODSEC_ETC / "crs" / "crs-setup.conf"
NGINX_MODULE = Path("/usr/lib/nginx/modules/ngx_http_modsecurity_module.so")
APACHE_MODULE = MODULE_DIR / "mod_security2.so"
PACKAGES = {"apache": "libapache2-mod-security2", "nginx": "libnginx-mod-http-modsecurity"}

ID_RE = re.compile(r'\[id "(\d+)"\]')
UNIQUE_ID_RE = re.compile(r'\[unique_id "([^"]+)"\]')


def modsec_prerequisites(kind: str) -> str | None:
    """Why real ModSecurity tests of this kind cannot run here, or None."""
    reason = prerequisites(kind)
    if reason:
        return reason
    module = {"apache": APACHE_MODULE, "nginx": NGINX_MODULE}[kind]
    if not module.exists():
        return f"{module} is missing (install {PACKAGES[kind]})"
    for f in (RECOMMENDED, CRS_SETUP, CRS_DIR / "rules"):
        if not f.exists():
            return f"{f} is missing (install {'modsecurity-crs' if 'crs' in str(f) else PACKAGES[kind]})"
    return None


@dataclass
class WafSite:
    """One vhost / server block (Host NAME.confcheck.test) under the WAF.
    @ROOT@ in the bodies is the site's document directory (files written there)."""
    name: str
    nginx: str
    apache: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def server_name(self) -> str:
        return f"{self.name}.confcheck.test"


@dataclass
class WafResponse:
    status: int | None
    reason: str
    body: bytes
    log: list[str]            # error-log lines of this request
    audit: list[str]          # the audit-log entries of this request (native or JSON text)
    error: str | None = None  # transport error

    @property
    def rule_ids(self) -> list[str]:
        """Ids of the rules named in the ModSecurity error-log lines, in order, once each."""
        seen: list[str] = []
        for line in self.log:
            if "ModSecurity" in line:
                for i in ID_RE.findall(line):
                    if i not in seen:
                        seen.append(i)
        return seen

    @property
    def unique_ids(self) -> set[str]:
        return {u for line in self.log for u in UNIQUE_ID_RE.findall(line)}


def waf_files(waf_dir: Path, *, kind: str, paranoia: int, engine: str, extra: str, audit_format: str,
              logs: Path, tmp: Path) -> Path:
    """Write the WAF configuration under waf_dir; return main.conf."""
    waf_dir.mkdir(parents=True, exist_ok=True)
    text = RECOMMENDED.read_text()
    if kind == "nginx":
        # libmodsecurity3 refuses it ("no longer supported"): admins comment it out
        text = re.sub(r"(?m)^SecRequestBodyInMemoryLimit ", "# SecRequestBodyInMemoryLimit ", text)
    text = re.sub(r"(?m)^SecRuleEngine .*$", f"SecRuleEngine {engine}", text)
    text = re.sub(r"(?m)^SecAuditLog .*$", f"SecAuditLog {logs / 'modsec_audit.log'}", text)
    text = re.sub(r"(?m)^SecTmpDir .*$", f"SecTmpDir {tmp}", text)
    text = re.sub(r"(?m)^SecDataDir .*$", f"SecDataDir {tmp}", text)
    # relative to the including file in one engine, the cwd in the other: make it absolute
    text = re.sub(r"(?m)^SecUnicodeMapFile unicode\.mapping", f"SecUnicodeMapFile {MODSEC_ETC / 'unicode.mapping'}",
                  text)
    text += f"\nSecAuditLogFormat {audit_format}\n" if audit_format != "Native" else ""
    text += ("\n# scenario\n" + extra.rstrip("\n") + "\n") if extra.strip() else ""
    (waf_dir / "modsecurity.conf").write_text(text)
    setup = CRS_SETUP.read_text() + (
        "\n# scenario: paranoia level\n"
        'SecAction "id:900000,phase:1,nolog,pass,t:none,'
        f'setvar:tx.paranoia_level={paranoia}"\n')
    (waf_dir / "crs-setup.conf").write_text(setup)
    main = waf_dir / "main.conf"
    main.write_text("\n".join([
        f"Include {waf_dir / 'modsecurity.conf'}",
        f"Include {waf_dir / 'crs-setup.conf'}",
        f"Include {CRS_DIR / 'rules'}/*.conf",
        ""]))
    return main


class _WafMixin:
    """Renders the base runner's config (marker vhosts, logs, pid) with the WAF
    at server level and the sites; the marker vhost has the WAF off."""

    def setup_waf(self, sites: list[WafSite], main_conf: Path, site_root: Path) -> None:
        self.sites = sites
        self.main_conf = main_conf
        self.site_root = site_root

    def site_body(self, site: WafSite) -> str:
        body = site.nginx if self.kind == "nginx" else site.apache
        return body.replace("@ROOT@", str(self.site_root / site.name)).rstrip("\n")


class WafNginxRunner(_WafMixin, NginxRunner):
    def render_config(self, scenarios, port):
        text, _ = super().render_config([], port)
        listen = f"127.0.0.1:{port}"
        head, tail = text.rsplit("}\n", 1)  # the last line closes http {}
        head = head.replace(f"        server_name {MARKER_HOST};\n",
                            f"        server_name {MARKER_HOST};\n        modsecurity off;\n")
        head = head.replace("http {\n", "http {\n    modsecurity on;\n"
                            f"    modsecurity_rules_file {self.main_conf};\n", 1)
        out = [f"load_module {NGINX_MODULE};", head.rstrip("\n")]
        for s in self.sites:
            out += ["", "    server {", f"        listen {listen};", f"        server_name {s.server_name};"]
            out += indent(self.site_body(s), "        ").splitlines()
            out.append("    }")
        out += ["}", ""]
        return "\n".join(out), {}


class WafApacheRunner(_WafMixin, ApacheRunner):
    def render_config(self, scenarios, port):
        text, _ = super().render_config([], port)
        listen = f"127.0.0.1:{port}"
        # one worker thread: a request's logging phase (ModSecurity phase 5, the
        # audit log) is over before the marker request is read
        text = text.replace("ThreadsPerChild 8", "ThreadsPerChild 1").replace("MaxRequestWorkers 8",
                                                                            "MaxRequestWorkers 1")
        text = text.replace(f"    ServerName {MARKER_HOST}\n",
                            f"    ServerName {MARKER_HOST}\n    SecRuleEngine Off\n")
        first_vhost = "# first vhost"
        text = text.replace(first_vhost, f"Include {self.main_conf}\n\n{first_vhost}", 1)
        out = [text.rstrip("\n")]
        for s in self.sites:
            out += ["", f"<VirtualHost {listen}>", f"    ServerName {s.server_name}"]
            out += indent(self.site_body(s), "    ").splitlines()
            out.append("</VirtualHost>")
        out.append("")
        return "\n".join(out), {}


APACHE_WAF_MODULES = [*MODULES, ("unique_id_module", "mod_unique_id.so"),
                      ("security2_module", "mod_security2.so")]


class ModsecServer:
    """One real server with ModSecurity + CRS and the given sites; start() /
    stop() (by the pid we started; also a context manager). The scenario dir
    (config, logs, site files) is removed by close()."""

    def __init__(self, kind: str, *, sites: list[WafSite], paranoia: int = 1, engine: str = "On",
                 extra: str = "", audit_format: str = "Native", log_level: str | None = None):
        self.kind = kind
        self.paranoia = paranoia
        self.engine = engine
        self.base = make_base(f"modsec-{kind}")  # fresh 0755 dir under /var/tmp
        prefix = self.base / "prefix"
        for d in ("logs", "tmp", "run", "conf"):
            (prefix / d).mkdir(parents=True, exist_ok=True)
        # the workers (www-data) write ModSecurity's tmp/data files and the audit log
        shutil.chown(prefix / "tmp", user="www-data", group="www-data")
        self.main_conf = waf_files(self.base / "waf", kind=kind, paranoia=paranoia, engine=engine, extra=extra,
                                   audit_format=audit_format, logs=prefix / "logs", tmp=prefix / "tmp")
        self.site_root = self.base / "sites"
        for s in sites:
            (self.site_root / s.name).mkdir(parents=True, exist_ok=True)
            for rel, content in s.files.items():
                f = self.site_root / s.name / rel
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_text(content)
        for d, _, files in os.walk(self.base):
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(os.path.join(d, f), 0o644)
        if kind == "nginx":
            self.runner = WafNginxRunner(prefix, [], log_level=log_level or "info")
        else:
            self.runner = WafApacheRunner(prefix, [], log_level=log_level or "info", modules=APACHE_WAF_MODULES)
        self.runner.setup_waf(sites, self.main_conf, self.site_root)
        self.sites = {s.name: s for s in sites}
        self.started = False

    # -- lifecycle --------------------------------------------------------------
    @property
    def conf_path(self) -> Path:
        return self.runner.conf_path

    @property
    def error_log(self) -> Path:
        return self.runner.error_log

    @property
    def audit_log(self) -> Path:
        return self.runner.prefix / "logs" / "modsec_audit.log"

    @property
    def port(self) -> int:
        return self.runner.port

    def site_dir(self, name: str) -> Path:
        return self.site_root / name

    def start(self) -> "ModsecServer":
        self.runner.prepare()  # free port, config written, -t passes
        self.runner.start()
        self.started = True
        self._tail = LogTail(self.error_log)
        self._audit = LogTail(self.audit_log)
        self._tail.read_until(self.runner.send_marker())
        return self

    def stop(self) -> None:
        if self.started:
            self.runner.stop()
            self.started = False

    def close(self) -> None:
        self.stop()
        remove_base(self.base)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()

    # -- requests ---------------------------------------------------------------
    def request(self, method: str, path: str, *, site: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> WafResponse:
        """Send one request to site; its error-log lines are those before the next marker."""
        host = self.sites[site].server_name
        spec = RequestSpec(path=path, method=method, headers=dict(headers or {}), body=body)
        status, reason, data, error = None, "", b"", None
        try:
            status, reason, _, data = self.runner.http(host, spec)
        except OSError as e:  # a refused body may close the connection
            error = f"{type(e).__name__}: {e}"
        except Exception as e:  # http.client errors
            error = f"{type(e).__name__}: {e}"
        log = [l for l in self._tail.read_until(self.runner.send_marker())
               if self.runner.request_line_re.search(l)]
        resp = WafResponse(status=status, reason=reason, body=data, log=log, audit=[], error=error)
        resp.audit = self._audit_entries(resp.unique_ids)
        return resp

    def _audit_entries(self, unique_ids: set[str], timeout: float = 3.0) -> list[str]:
        """The audit entries naming one of unique_ids (written in the logging
        phase, after the response: wait for them)."""
        if not unique_ids:
            return []
        found: list[str] = []
        deadline = time.monotonic() + timeout
        pending: list[str] = []
        while True:
            pending += self._audit.read_new()
            for entry in split_audit_entries(pending):
                if any(u in entry for u in unique_ids) and entry not in found:
                    found.append(entry)
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.02)


AUDIT_BOUNDARY_RE = re.compile(r"^--[0-9a-zA-Z]+-A--$")


def split_audit_entries(lines: list[str]) -> list[str]:
    """Native format: an entry starts at its --XXXXXXXX-A-- line; JSON: one entry a line."""
    entries: list[list[str]] = []
    for line in lines:
        if line.startswith("{"):
            entries.append([line])
        elif AUDIT_BOUNDARY_RE.match(line) or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
    return ["\n".join(e) for e in entries]


# The sites the shared servers carry (tests/realserver/conftest.py `modsec_server`).
# "app": a static site (nginx's static module answers POST 405, Apache's 200);
# /api/ is proxied to a backend that never runs (the WAF refuses, or 502/503);
# /ping is a `return` (nginx: rewrite phase, before ModSecurity's phase 2;
# Apache: a server-context RewriteRule, before phase 2 too); /admin/ is refused
# by the server's own access rules (nginx: access phase, after phase 2;
# Apache: authz, before phase 2); /comments/ excludes the CRS's SQL injection
# rules (a location-level SecRuleRemoveByTag).
SITES = [
    WafSite(
        "app",
        nginx="""\
root @ROOT@;
location / {
    try_files $uri $uri/ =404;
}
location /api/ {
    proxy_pass http://127.0.0.1:9;
}
location = /ping {
    return 200 "pong\\n";
}
location /admin/ {
    deny all;
}
location /comments/ {
    modsecurity_rules 'SecRuleRemoveByTag attack-sqli';
}
""",
        apache="""\
DocumentRoot @ROOT@
<Directory @ROOT@>
    Require all granted
</Directory>
ProxyPass /api/ http://127.0.0.1:9/
RewriteEngine On
RewriteRule ^/ping$ - [R=200]
<Location /admin/>
    Require all denied
</Location>
<Location /comments/>
    SecRuleRemoveByTag attack-sqli
</Location>
""",
        files={"index.html": "<p>home</p>\n", "wp-admin/post.php": "<?php // never run: served as a file ?>\n",
               "admin/index.html": "<p>admin</p>\n",
               "comments/index.html": "<p>comments</p>\n"}),
]

"""TLS without a certificate: Mastodon's shipped nginx.conf has `listen 443 ssl` with its
certificate lines commented out ("uncomment once you acquire a certificate"), and nginx
refuses it; confcheck called it clean. Each config here is judged by the real `nginx -t`
and by confcheck's validator, which must agree (and name the same line)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from confcheck.parsers.nginx_directives import validate
from confcheck.parsers.nginx_loader import load_nginx
from confcheck.source import Diagnostics
from wild_harness import NGINX, new_base

CERT = "ssl_certificate @D@/c.pem;\n        ssl_certificate_key @D@/k.pem;"
CONFIGS = {
    "default-has-cert": f"server {{\n        listen 8443 ssl;\n        {CERT}\n    }}\n"
                        "    server {\n        listen 8443;\n        server_name b;\n    }",
    "first-server-without": "server {\n        listen 8443;\n    }\n"
                            f"    server {{\n        listen 8443 ssl;\n        server_name b;\n        {CERT}\n    }}",
    "explicit-default-has-cert": "server {\n        listen 8443;\n        server_name a;\n    }\n"
                                 f"    server {{\n        listen 8443 ssl default_server;\n        {CERT}\n    }}",
    "reject-then-no-cert": "server {\n        listen 8443 ssl;\n        ssl_reject_handshake on;\n    }\n"
                           "    server {\n        listen 8443;\n        server_name b;\n    }",
    "reject-then-cert": "server {\n        listen 8443 ssl;\n        ssl_reject_handshake on;\n    }\n"
                        f"    server {{\n        listen 8443;\n        server_name b;\n        {CERT}\n    }}",
    "http-level-cert": f"{CERT}\n    server {{\n        listen 8443 ssl;\n    }}",
    "ssl-on-without-cert": "server {\n        listen 8443;\n        ssl on;\n    }",
    "ssl-off-with-http-on": "ssl on;\n    server {\n        listen 8443;\n        ssl off;\n    }",
    "own-address-own-default": f"server {{\n        listen 127.0.0.1:8443 ssl;\n        {CERT}\n    }}\n"
                               "    server {\n        listen 8443 ssl;\n        server_name b;\n    }",
    "variable-cert": "server {\n        listen 8443 ssl;\n        ssl_certificate $ssl_server_name.crt;\n"
                     "        ssl_certificate_key $ssl_server_name.key;\n    }",
    "no-ssl-at-all": "server {\n        listen 8443;\n    }",
    "ipv6-only-ssl": "server {\n        listen 8443;\n        listen [::1]:8443 ssl;\n    }",
}


@pytest.fixture(scope="module")
def workdir():
    if not os.path.exists(NGINX) or not shutil.which("openssl"):
        if os.environ.get("CI"):
            pytest.fail("nginx and openssl must be installed under CI")
        pytest.skip("needs nginx and openssl")
    base = new_base("ssl")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=x",
                    "-keyout", str(base / "k.pem"), "-out", str(base / "c.pem")], check=True, capture_output=True)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _write(base, name, body) -> str:
    folder = base / name
    folder.mkdir()
    path = folder / "nginx.conf"
    path.write_text(f"pid {folder}/n.pid;\nerror_log {folder}/e.log;\nevents {{}}\nhttp {{\n    access_log off;\n"
                    f"    {body.replace('@D@', str(base))}\n}}\n")
    return str(path)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_confcheck_refuses_exactly_where_nginx_does(workdir, name):
    path = _write(workdir, name, CONFIGS[name])
    proc = subprocess.run([NGINX, "-t", "-q", "-p", os.path.dirname(path), "-c", path],
                          capture_output=True, text=True, timeout=30)
    m = re.search(r'\[emerg\] \d+#\d+: (no "ssl_certificate".*?) in \S+:(\d+)', proc.stderr)
    assert (proc.returncode == 0) == (m is None), proc.stderr
    diags = Diagnostics()
    validate(load_nginx(path, diags), diags)
    ours = [(d.message, d.position()["line"]) for d in diags.errors]
    assert ours == ([] if m is None else [(m.group(1), int(m.group(2)))])

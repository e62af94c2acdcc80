"""Refusals that depend on the machine (FS100, FS110) against the real servers' verdicts.

Each case is a configuration `nginx -t` / `apache2 -t` reads on this machine in a
fresh tree: the server refuses it exactly when a filesystem scan has an FS100/FS110
finding, and the finding names the path (or account) the server names. A config-only
scan (`--no-fs`) says nothing about them; `--root` judges them in the image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cc_helpers import need_root, run_cli
from confcheck.engine import ScanOptions, run_scan

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MACHINE = {"FS100", "FS110"}

# (id, body after `events {}`; T is the tree, M a path that does not exist,
#  expected: the text nginx's refusal quotes, or None when nginx accepts)
NGINX_CASES = [
    ("error-log-dir", "error_log M/log/e.log;", '"M/log/e.log"'),
    ("access-log-dir", "http { server { listen 127.0.0.1:1; access_log M/a.log; } }", '"M/a.log"'),
    ("access-log-http", "http { access_log M/a.log; }", '"M/a.log"'),
    ("pid-dir", "pid M/run/x.pid;", '"M/run/x.pid"'),
    ("certificate", "http { server { listen 127.0.0.1:1; ssl_certificate M/c.pem; ssl_certificate_key T/k.pem; } }",
     '"M/c.pem"'),
    ("certificate-key", "http { server { listen 127.0.0.1:1; ssl_certificate T/c.pem; ssl_certificate_key M/k.pem; } }",
     '"M/k.pem"'),
    ("inherited-certificate", "http { ssl_certificate M/c.pem; ssl_certificate_key T/k.pem; "
     "server { listen 127.0.0.1:1; } }", '"M/c.pem"'),
    ("second-certificate", "http { server { listen 127.0.0.1:1; ssl_certificate T/c.pem; ssl_certificate_key T/k.pem; "
     "ssl_certificate M/c2.pem; ssl_certificate_key T/k.pem; } }", '"M/c2.pem"'),
    ("dhparam", "http { server { listen 127.0.0.1:1; ssl_certificate T/c.pem; ssl_certificate_key T/k.pem; "
     "ssl_dhparam M/d.pem; } }", '"M/d.pem"'),
    ("trusted", "http { server { listen 127.0.0.1:1; ssl_certificate T/c.pem; ssl_certificate_key T/k.pem; "
     "ssl_trusted_certificate M/t.pem; } }", '"M/t.pem"'),
    # folders nginx makes at start with one mkdir() (Discourse's proxy_cache_path /var/nginx/cache)
    ("cache-path", "http { proxy_cache_path M/cache keys_zone=one:1m; }", '"M/cache"'),
    ("temp-path-in-location", "http { server { listen 127.0.0.1:1; location / { proxy_temp_path M/tmp 1 2; } } }",
     '"M/tmp"'),
    ("client-body-temp-path", "http { client_body_temp_path M/body; }", '"M/body"'),
    ("cache-path-parent-present", "http { fastcgi_cache_path T/fcgi-cache keys_zone=two:1m; }", None),
    ("user", "user nosuchuser9;", 'getpwnam("nosuchuser9") failed'),
    ("group", "user www-data nosuchgroup9;", 'getgrnam("nosuchgroup9") failed'),
    # accepted: nothing is opened at start
    ("certificate-without-server", "http { ssl_certificate M/c.pem; ssl_certificate_key M/k.pem; }", None),
    ("certificate-variable", "http { server { listen 127.0.0.1:1; ssl_certificate M/$host.pem; "
     "ssl_certificate_key M/$host.key; } }", None),
    ("dhparam-without-certificate", "http { server { listen 127.0.0.1:1; ssl_dhparam M/d.pem; } }", None),
    ("access-log-variable", "http { server { listen 127.0.0.1:1; access_log M/$host.log; } }", None),
    ("auth-file", "http { server { listen 127.0.0.1:1; auth_basic x; auth_basic_user_file M/h; } }", None),
    ("present", "error_log T/e.log; http { access_log T/a.log; server { listen 127.0.0.1:1; "
     "ssl_certificate T/c.pem; ssl_certificate_key T/k.pem; } }", None),
]

APACHE_HEAD = ("ServerRoot T/\nServerName x\nMutex file:T/\nPidFile T/ap.pid\nListen 127.0.0.1:1\n"
               "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"
               "LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n"
               "LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n")
APACHE_CASES = [
    ("error-log-dir", "ErrorLog M/e.log\n", "'M/'"),
    ("vhost-error-log", "ErrorLog T/e.log\n<VirtualHost *:1>\nErrorLog M/v.log\n</VirtualHost>\n", "'M/'"),
    ("custom-log-dir", "ErrorLog T/e.log\nCustomLog M/a.log combined\n", "'M/a.log'"),
    ("certificate", "ErrorLog T/e.log\nSSLCertificateFile M/c.pem\n", "'M/c.pem'"),
    ("empty-certificate", "ErrorLog T/e.log\nSSLCertificateFile T/empty.pem\n", "'T/empty.pem'"),
    ("ca-path", "ErrorLog T/e.log\nSSLCACertificatePath M/ca\n", "'M/ca'"),
    ("user", "ErrorLog T/e.log\nUser nosuchuser9\n", "AH00543: apache2: bad user name nosuchuser9"),
    ("group", "ErrorLog T/e.log\nGroup nosuchgroup9\n", "AH00544: apache2: bad group name nosuchgroup9"),
    ("piped-log", "ErrorLog \"|/bin/cat\"\n", None),
    ("present", "ErrorLog T/e.log\nCustomLog T/a.log combined\nSSLCertificateFile T/c.pem\n", None),
]


@pytest.fixture(scope="module")
def tree():
    need_root()
    base = Path(__import__("tempfile").mkdtemp(prefix="confcheck-test-", dir="/var/tmp"))
    os.chmod(base, 0o755)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=x",
                    "-keyout", str(base / "k.pem"), "-out", str(base / "c.pem")], check=True, capture_output=True)
    (base / "empty.pem").write_text("")
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _fill(text: str, tree: Path) -> str:
    return text.replace("M/", f"{tree}/missing/").replace("T/", f"{tree}/")


def _machine_findings(result) -> list:
    return [f for f in result.findings if f.rule in MACHINE]


def _compare(tree: Path, conf: Path, refused: subprocess.CompletedProcess, expected, server: str) -> None:
    quoted = _fill(expected, tree) if expected else None
    said = refused.stderr.decode()
    if quoted is None:
        assert refused.returncode == 0, said
    else:
        assert refused.returncode != 0 and quoted in said, said
    found = _machine_findings(run_scan(ScanOptions(paths=[str(conf)], server=server)))
    if quoted is None:
        assert found == []
    else:
        assert len(found) == 1 and quoted.strip("'\"") in found[0].message, [f.message for f in found]
        assert found[0].span is not None and found[0].span.line >= 1
    # config-only: the machine is not asked
    assert _machine_findings(run_scan(ScanOptions(paths=[str(conf)], server=server, no_fs=True))) == []


@pytest.mark.parametrize("name,body,expected", NGINX_CASES, ids=[c[0] for c in NGINX_CASES])
def test_nginx_machine_refusals_match_nginx(tree, name, body, expected):
    conf = tree / f"nginx-{name}.conf"
    pid = "" if name == "pid-dir" else f"pid {tree}/{name}.pid;\n"
    conf.write_text(pid + "events {}\n" + _fill(body, tree) + "\n")
    refused = subprocess.run([NGINX, "-t", "-q", "-c", str(conf), "-p", f"{tree}/", "-e", "/dev/null"],
                             capture_output=True)
    _compare(tree, conf, refused, expected, "nginx")


@pytest.mark.parametrize("name,body,expected", APACHE_CASES, ids=[c[0] for c in APACHE_CASES])
def test_apache_machine_refusals_match_apache(tree, name, body, expected):
    conf = tree / f"apache-{name}.conf"
    conf.write_text(_fill(APACHE_HEAD + body, tree))
    refused = subprocess.run([APACHE, "-t", "-f", str(conf)], capture_output=True)
    _compare(tree, conf, refused, expected, "apache")


def test_root_judges_the_image_and_no_fs_stays_quiet(tree):
    """`--root`: the image's accounts and files, not this machine's; exit 1 (findings), never 2."""
    image = tree / "image"
    (image / "etc/nginx").mkdir(parents=True)
    (image / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\nweb:x:900:900::/:/bin/sh\n")
    (image / "etc/group").write_text("root:x:0:\nweb:x:900:\n")
    (image / "etc/nginx/nginx.conf").write_text(
        "user www-data;\nerror_log /var/log/shop/error.log;\nevents {}\n")
    scan = run_cli("scan", "--format", "json", "--root", str(image), "/etc/nginx/nginx.conf")
    assert scan.returncode == 1, scan.stderr
    found = {(f["rule"], f["line"]) for f in __import__("json").loads(scan.stdout)["findings"]}
    assert found == {("FS100", 1), ("FS110", 2)}      # this machine has www-data; the image does not
    quiet = run_cli("scan", "--no-fs", "--format", "json", "--root", str(image), "/etc/nginx/nginx.conf")
    assert quiet.returncode == 0 and __import__("json").loads(quiet.stdout)["findings"] == []
    (image / "etc/nginx/nginx.conf").write_text("user web;\nerror_log /var/log/shop/error.log;\nevents {}\n")
    (image / "var/log/shop").mkdir(parents=True)
    assert run_cli("scan", "--root", str(image), "/etc/nginx/nginx.conf").returncode == 0


def test_relative_main_is_named_in_full(tree, monkeypatch):
    """nginx makes `-c` absolute before opening it, and so its message and the conf
    prefix its relative includes join: `open() "/abs/ht" failed`, not `"ht"`."""
    from confcheck.parsers.nginx_loader import load_nginx
    from confcheck.source import Diagnostics

    (tree / "rel").mkdir()
    (tree / "rel/nginx.conf").write_text("events {}\ninclude inc.conf;\n")
    monkeypatch.chdir(tree)
    refused = subprocess.run([NGINX, "-t", "-q", "-c", f"{tree}/nosuch", "-e", "/dev/null"], capture_output=True)
    diags = Diagnostics()
    load_nginx("nosuch", diags)
    assert [d.message for d in diags.items] == [f'open() "{tree}/nosuch" failed (2: No such file or directory)']
    assert diags.items[0].message in refused.stderr.decode()
    diags = Diagnostics()
    config = load_nginx("rel/nginx.conf", diags)
    assert config.prefix == f"{tree}/rel/"
    assert [d.message for d in diags.items] == [f'open() "{tree}/rel/inc.conf" failed (2: No such file or directory)']

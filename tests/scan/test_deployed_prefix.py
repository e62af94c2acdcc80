"""A main config outside its deployed prefix (/srv/app/nginx.conf saying
`include /etc/nginx/mime.types;`): an absolute include is read from beside the main
when the file is there, else from where `nginx -c MAIN` opens it; a file `nginx -t -c`
opens is never reported missing; scan and why read the same files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from cc_helpers import run_cli

MAIN = """events {}
http {
    include /etc/nginx/mime.types;
    include /etc/nginx/conf.d/*.conf;
    server {
        listen 127.0.0.1:8080;
        root /srv/app;
    }
}
"""


def _main(base: str, text: str = MAIN) -> str:
    os.makedirs(f"{base}/app", exist_ok=True)
    with open(f"{base}/app/nginx.conf", "w") as fh:
        fh.write(text)
    return f"{base}/app/nginx.conf"


def _nginx_accepts(main: str) -> bool | None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None or os.geteuid() != 0:
        return None
    proc = subprocess.run([nginx, "-t", "-q", "-e", "/dev/null", "-c", main], capture_output=True, timeout=60)
    return proc.returncode == 0


@pytest.fixture
def machine_mime():
    if not os.path.isfile("/etc/nginx/mime.types"):
        pytest.skip("needs this machine's /etc/nginx/mime.types (nginx installed)")


def _inputs(proc) -> dict:
    return json.loads(proc.stdout)["inputs"]


def test_an_include_missing_beside_the_main_is_read_where_nginx_opens_it(tree_dir, machine_mime):
    main = _main(tree_dir)
    scan = run_cli("scan", "--no-fs", "--format", "json", "--config", main)
    assert scan.returncode == 0, scan.stdout + scan.stderr
    assert json.loads(scan.stdout)["errors"] == []
    [config] = _inputs(scan)["configs"]
    assert config["deployed_at"] == "/etc/nginx/" and config["read_beside"] == f"{tree_dir}/app/"
    assert "/etc/nginx/mime.types" in config["files"]
    assert "/etc/nginx/mime.types" in config["from_this_machine"]
    assert _nginx_accepts(main) in (True, None)          # the server opens the same file
    text = run_cli("scan", "--no-fs", "--config", main).stdout.decode()
    assert "from this machine: /etc/nginx/mime.types" in text.splitlines()[0]
    # why reads exactly what scan read
    why = run_cli("why", "http://127.0.0.1:8080/", "--no-fs", "--format", "json", "--config", main)
    assert why.returncode == 0, why.stderr
    assert _inputs(why)["configs"] == _inputs(scan)["configs"]
    # and explain, replaying a logged request on the --config it was given
    line = ('2026/11/21 09:00:00 [error] 7#7: *1 access forbidden by rule, client: 127.0.0.1, server: , '
            'request: "GET / HTTP/1.1", host: "127.0.0.1:8080"')
    explain = run_cli("explain", "--format", "json", "--config", main, line)
    assert _inputs(explain)["configs"] == _inputs(scan)["configs"]


def test_a_file_beside_the_main_wins_over_the_machines(tree_dir, machine_mime):
    main = _main(tree_dir)
    os.makedirs(f"{tree_dir}/app/conf.d")
    with open(f"{tree_dir}/app/mime.types", "w") as fh:
        fh.write("types {\n    text/html html;\n}\n")
    with open(f"{tree_dir}/app/conf.d/a.conf", "w") as fh:
        fh.write("server_tokens off;\n")
    scan = run_cli("scan", "--no-fs", "--format", "json", "--config", main)
    assert scan.returncode == 0, scan.stdout + scan.stderr
    [config] = _inputs(scan)["configs"]
    assert config["files"] == [main, f"{tree_dir}/app/mime.types", f"{tree_dir}/app/conf.d/a.conf"]
    assert config["from_this_machine"] == []


def test_a_file_neither_beside_nor_on_the_machine_is_missing_for_both(tree_dir):
    main = _main(tree_dir, MAIN.replace("mime.types", "no-such-file.types"))
    scan = run_cli("scan", "--no-fs", "--format", "json", "--config", main)
    assert scan.returncode == 2
    [error] = json.loads(scan.stdout)["errors"]
    assert error["message"].startswith('open() "/etc/nginx/no-such-file.types" failed (2:')
    assert _nginx_accepts(main) in (False, None)


def test_an_apache_main_with_its_own_server_root_reads_its_includes_beside_it(tree_dir):
    """h5bp's layout: httpd.conf says `ServerRoot "/usr/local/apache2"` and includes
    h5bp/*.conf relative to it; kept in a repository, those are the repository's."""
    os.makedirs(f"{tree_dir}/repo/h5bp")
    with open(f"{tree_dir}/repo/httpd.conf", "w") as fh:
        fh.write('ServerRoot "/usr/local/apache2"\nInclude h5bp/access.conf\n')
    with open(f"{tree_dir}/repo/h5bp/access.conf", "w") as fh:
        fh.write("<Directory /srv/site>\n    Options -Indexes\n</Directory>\n")
    scan = run_cli("scan", "--no-fs", "--format", "json", f"{tree_dir}/repo")
    assert scan.returncode == 0, scan.stdout + scan.stderr
    [config] = _inputs(scan)["configs"]
    assert config["deployed_at"] == "/usr/local/apache2/"
    assert config["files"] == [f"{tree_dir}/repo/httpd.conf", f"{tree_dir}/repo/h5bp/access.conf"]

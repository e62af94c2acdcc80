"""Ordinary invocations an admin types that no other test covers (session 26, s26-wild):
each once ended in a wrong answer, a wrong exit code or a wrong "clean"."""

from __future__ import annotations

import json
import os
import subprocess

from cc_helpers import run_cli


def _write(path: str, data: bytes) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _nginx_t(conf: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/usr/sbin/nginx", "-t", "-c", conf], capture_output=True, timeout=60)


def test_why_on_a_debian_nginx_folder_answers_from_its_main(tree_dir):
    """`why URL /etc/nginx` exited 2 ("the command line reads 3") because Debian's
    snippets/fastcgi-php.conf and snakeoil.conf, which nothing includes, are read alone by
    the folder search; only nginx.conf answers requests."""
    conf = _write(os.path.join(tree_dir, "nginx.conf"),
                  f"pid {tree_dir}/nginx.pid;\nerror_log {tree_dir}/error.log;\nevents {{}}\n"
                  f"http {{ access_log off; include sites-enabled/*; }}\n".encode())
    _write(os.path.join(tree_dir, "sites-enabled", "default"),
           b"server {\n  listen 8080 default_server;\n  location / { deny all; }\n}\n")
    _write(os.path.join(tree_dir, "snippets", "fastcgi-php.conf"),
           b"fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\nfastcgi_index index.php;\n")
    assert _nginx_t(conf).returncode == 0
    proc = run_cli("why", "http://localhost:8080/x", tree_dir, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["status"] == 403 and answer["decided_by"]["directive"] == "deny", answer
    assert [c["path"] for c in answer["inputs"]["configs"]] == [conf]
    snippet = os.path.join(tree_dir, "snippets", "fastcgi-php.conf")
    assert snippet in [s["path"] for s in answer["inputs"]["not_read"]]
    # two mains are still a question only the user can answer
    _write(os.path.join(tree_dir, "other", "nginx.conf"), b"events {}\nhttp { server { listen 8081; } }\n")
    proc = run_cli("why", "http://localhost:8080/x", tree_dir)
    assert proc.returncode == 2 and b"why answers for one server configuration" in proc.stderr, proc.stderr

"""What PATH arguments mean: lone vhost files, config folders, bad snapshots."""

from __future__ import annotations

import json
import os

from cc_helpers import run_cli

VHOST = "server {\n    listen 80;\n    root /var/www/shop;\n    location / { try_files $uri $uri/ =404; }\n}\n"


def write(path: str, text: str) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)
    return path


def test_a_lone_vhost_file_is_read_in_http_context(tree_dir):
    conf = write(f"{tree_dir}/sites-available/shop", VHOST)
    proc = run_cli("scan", "--no-fs", "--format", "json", conf)
    assert proc.returncode == 0, proc.stdout
    assert json.loads(proc.stdout)["errors"] == []


def test_a_snippet_of_locations_is_read_in_server_context(tree_dir):
    conf = write(f"{tree_dir}/snippets/deny.conf", "location ~ /\\. {\n    deny all;\n}\n")
    assert run_cli("scan", "--no-fs", conf).returncode == 0


def test_a_misplaced_directive_in_a_vhost_is_still_an_error(tree_dir):
    conf = write(f"{tree_dir}/shop.conf", VHOST.replace("listen 80;", "listen 80;\n    worker_connections 10;"))
    proc = run_cli("scan", "--no-fs", "--format", "json", conf)
    assert proc.returncode == 2
    [error] = json.loads(proc.stdout)["errors"]
    assert (error["line"], error["column"]) == (3, 5)
    assert "worker_connections" in error["message"]


def test_a_config_folder_scans_each_file_and_never_the_hosts_config(tree_dir):
    write(f"{tree_dir}/repo/sites-available/a", VHOST)
    write(f"{tree_dir}/repo/sites-available/b", VHOST.replace("}\n}", "}\n"))   # unclosed server
    proc = run_cli("scan", "--no-fs", "--format", "json", f"{tree_dir}/repo/sites-available")
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    assert doc["summary"]["files"] == 2
    assert [e["file"] for e in doc["errors"]] == [f"{tree_dir}/repo/sites-available/b"]


def test_conf_d_style_folder_reads_only_conf_files(tree_dir):
    write(f"{tree_dir}/conf/site.conf", VHOST)
    write(f"{tree_dir}/conf/README", "not nginx {{{\n")
    doc = json.loads(run_cli("scan", "--no-fs", "--format", "json", f"{tree_dir}/conf").stdout)
    assert doc["summary"] == {"files": 1, "findings": 0, "errors": 0}


def test_a_broken_snapshot_is_bad_input_not_a_crash(tree_dir):
    conf = write(f"{tree_dir}/shop.conf", VHOST)
    snap = write(f"{tree_dir}/fs.json", "{ not json")
    proc = run_cli("scan", "--fs-snapshot", snap, conf)
    assert proc.returncode == 2
    assert b"not a confcheck snapshot" in proc.stderr and b"Traceback" not in proc.stderr
    proc = run_cli("scan", "--fs-snapshot", f"{tree_dir}/missing.json", conf)
    assert proc.returncode == 2 and b"cannot read the snapshot" in proc.stderr

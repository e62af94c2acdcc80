"""scan as a user meets it: exit codes, JSON contract, text and colour, inputs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from cc_helpers import SITE, make_site, need_root, run_cli

def test_json_follows_the_contract(tree_dir):
    need_root()
    make_site(tree_dir, index_mode=0o600)
    proc = run_cli("scan", "--root", tree_dir, "--format", "json", "/etc/nginx")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["version"] == 1
    assert doc["tool"] == {"name": "confcheck", "version": doc["tool"]["version"]}
    assert doc["errors"] == []
    assert doc["summary"] == {"files": 1, "findings": 1, "errors": 0}
    [finding] = doc["findings"]
    for key in ("rule", "name", "severity", "message", "file", "line", "column", "end_line",
                "end_column", "fs_path", "server", "fix"):
        assert key in finding
    assert finding["rule"] == "FS102" and finding["name"] == "file-unreadable"
    assert finding["file"] == f"{tree_dir}/etc/nginx/nginx.conf"
    assert (finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == (7, 9, 7, 24)
    assert finding["fs_path"] == "/srv/site/index.html"
    assert finding["server"] == "nginx"


def test_clean_scan_exits_0_and_says_so(tree_dir):
    need_root()
    make_site(tree_dir)
    proc = run_cli("scan", "--root", tree_dir, "/etc/nginx")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.decode().strip().endswith("0 findings in 1 file.")


def test_fail_on_error_ignores_lower_severities(tree_dir):
    need_root()
    make_site(tree_dir, index_mode=0o600)
    assert run_cli("scan", "--root", tree_dir, "--fail-on", "error", "/etc/nginx").returncode == 1
    assert run_cli("scan", "--root", tree_dir, "--ignore", "FS102", "/etc/nginx").returncode == 0
    assert run_cli("scan", "--root", tree_dir, "--select", "FS101", "/etc/nginx").returncode == 0


def test_unparsable_config_is_never_clean(tree_dir):
    need_root()
    make_site(tree_dir, conf=SITE.replace("deny all;", "deny all"))
    proc = run_cli("scan", "--root", tree_dir, "--format", "json", "/etc/nginx")
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    [error] = doc["errors"]
    assert error["file"] == f"{tree_dir}/etc/nginx/nginx.conf"
    assert (error["line"], error["column"]) == (10, 9)
    assert error["message"] == 'unexpected "}"'
    text = run_cli("scan", "--root", tree_dir, "/etc/nginx")
    assert text.returncode == 2
    # text names the file as the server sees it under --root (JSON keeps the path read)
    assert b"\n/etc/nginx/nginx.conf:10:9: unexpected \"}\"" in text.stdout
    assert tree_dir.encode() not in text.stdout
    assert b"the scan is incomplete" in text.stdout


def test_no_fs_reads_only_the_config(tree_dir):
    need_root()
    make_site(tree_dir, index_mode=0o600, conf=SITE.replace("/srv/site", "/srv/nowhere"))
    proc = run_cli("scan", "--root", tree_dir, "--no-fs", "--format", "json", "/etc/nginx")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["findings"] == []
    with_fs = json.loads(run_cli("scan", "--root", tree_dir, "--format", "json", "/etc/nginx").stdout)
    assert [f["rule"] for f in with_fs["findings"]] == ["FS104"]


def test_colour_only_on_request_or_terminal(tree_dir):
    need_root()
    make_site(tree_dir, index_mode=0o600)
    plain = run_cli("scan", "--root", tree_dir, "/etc/nginx")
    assert b"\x1b[" not in plain.stdout
    forced = run_cli("scan", "--root", tree_dir, "/etc/nginx", env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert b"\x1b[31m" in forced.stdout
    flag = run_cli("scan", "--root", tree_dir, "--color", "/etc/nginx")
    assert b"\x1b[" in flag.stdout
    no_color_wins = run_cli("scan", "--root", tree_dir, "/etc/nginx", env={"FORCE_COLOR": "1"})
    assert b"\x1b[" not in no_color_wins.stdout


def test_contradictory_and_bad_options_exit_2(tree_dir):
    proc = run_cli("scan", "--no-fs", "--fs-snapshot", "x.json", "/etc/nginx")
    assert proc.returncode == 2 and b"contradict" in proc.stderr
    proc = run_cli("scan", "--select", "NOPE1", "/etc/nginx")
    assert proc.returncode == 2 and b"unknown rule" in proc.stderr
    proc = run_cli("scan", "--format", "yaml")
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr


def test_unknown_worker_user_is_a_usage_error(tree_dir):
    need_root()
    make_site(tree_dir)
    proc = run_cli("scan", "--root", tree_dir, "--worker-user", "nosuchuser", "/etc/nginx")
    assert proc.returncode == 2
    assert b"nosuchuser" in proc.stderr


def test_worker_user_override_changes_the_verdict(tree_dir):
    need_root()
    make_site(tree_dir, index_mode=0o600)
    os.chown(f"{tree_dir}/srv/site/index.html", 33, 33)   # www-data owns it
    assert run_cli("scan", "--root", tree_dir, "/etc/nginx").returncode == 0
    proc = run_cli("scan", "--root", tree_dir, "--worker-user", "root", "/etc/nginx")
    assert proc.returncode == 0   # root reads anything
    with open(f"{tree_dir}/etc/passwd", "a") as fh:
        fh.write("nginx:x:101:101::/nonexistent:/usr/sbin/nologin\n")
    proc = run_cli("scan", "--root", tree_dir, "--worker-user", "nginx", "--format", "json", "/etc/nginx")
    assert [f["rule"] for f in json.loads(proc.stdout)["findings"]] == ["FS102"]


@pytest.mark.skipif(shutil.which("nginx") is None and not os.environ.get("CI"), reason="needs nginx for a real -T dump")
def test_nginx_T_dump_on_stdin_gives_the_same_findings(tree_dir):
    need_root()
    make_site(tree_dir, index_mode=0o600,
              conf=SITE.replace("root /srv/site;", f"root {tree_dir}/srv/site;\n        include extra.conf;"))
    with open(f"{tree_dir}/etc/nginx/extra.conf", "w") as fh:
        fh.write("index index.html;\n")
    conf = f"{tree_dir}/etc/nginx/nginx.conf"
    dump = subprocess.run(["nginx", "-T", "-c", conf, "-p", f"{tree_dir}/", "-e", "/dev/null"],
                          capture_output=True, timeout=60)
    assert b"# configuration file " in dump.stdout, dump.stderr
    from_dump = run_cli("scan", "--format", "json", "-", stdin=dump.stdout)
    from_files = run_cli("scan", "--format", "json", conf)
    assert from_dump.returncode == from_files.returncode == 1
    key = lambda doc: [(f["rule"], os.path.basename(f["file"]), f["line"], f["fs_path"])  # noqa: E731
                       for f in json.loads(doc)["findings"]]
    assert key(from_dump.stdout) == key(from_files.stdout)
    assert json.loads(from_dump.stdout)["findings"][0]["file"] == conf


def test_text_groups_many_paths_with_a_count(tree_dir):
    need_root()
    make_site(tree_dir)
    for n in range(40):
        path = f"{tree_dir}/srv/site/f{n:02d}.html"
        with open(path, "w") as fh:
            fh.write("x")
        os.chmod(path, 0o600)
    text = run_cli("scan", "--root", tree_dir, "/etc/nginx").stdout.decode()
    assert "40 files under /srv/site cannot be read by the worker" in text
    assert "40 paths, for example:" in text and "... and 35 more" in text
    doc = json.loads(run_cli("scan", "--root", tree_dir, "--format", "json", "/etc/nginx").stdout)
    [finding] = doc["findings"]
    assert finding["fs_path"] == "/srv/site"
    assert len(finding["fs_paths"]) == 40
    assert re.search(r"\(-rw------- root:root\)", finding["message"])

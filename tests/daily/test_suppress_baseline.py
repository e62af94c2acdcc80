"""Suppression comments through the command line, and --baseline."""

from __future__ import annotations

import json

from cc_helpers import run_cli
from dailyhelpers import ADMIN_BAD, config_repo, write


def scan_json(cwd, *args):
    proc = run_cli("scan", "--no-fs", "--format", "json", *args, cwd=cwd)
    return proc, json.loads(proc.stdout)


def test_ignore_comment_silences_its_rule_for_that_directive_only(tmp_path):
    repo = config_repo(str(tmp_path), admin="location /admin/ {\n"
                       "    # confcheck: ignore NGX102 -- the VPN range is re-allowed upstream\n"
                       "    deny all;\n    allow 10.0.0.0/8;\n}\n" + ADMIN_BAD.replace("/admin/", "/ops/"))
    proc, doc = scan_json(repo, "nginx/nginx.conf")
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("NGX102", 7)]


def test_file_ignore_and_missing_reason(tmp_path):
    repo = config_repo(str(tmp_path), admin="# confcheck: file-ignore NGX102 -- reviewed 2026-11\n" + ADMIN_BAD)
    assert scan_json(repo, "nginx/nginx.conf")[1]["findings"] == []
    write(f"{repo}/nginx/snippets/admin.conf", "# confcheck: file-ignore NGX102\n" + ADMIN_BAD)
    proc, doc = scan_json(repo, "nginx/nginx.conf")
    assert proc.returncode == 1
    assert sorted(f["rule"] for f in doc["findings"]) == ["CC002", "NGX102"]


def test_suppressions_in_htaccess_and_apache_files_are_checked(tmp_path):
    repo = config_repo(str(tmp_path))
    write(f"{repo}/site/.htaccess", "# confcheck: ignore NGX102 -- nothing here\nRequire all granted\n")
    proc, doc = scan_json(repo, "site/.htaccess")
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("CC001", 1)]
    write(f"{repo}/apache2/sites-available/000-default.conf", "<VirtualHost *:80>\n"
          "    # confcheck: ignore FS101\n    DocumentRoot /var/www/html\n</VirtualHost>\n")
    proc, doc = scan_json(repo, "apache2/apache2.conf")
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("CC002", 2)]
    assert doc["findings"][0]["file"].endswith("000-default.conf")


def test_unused_suppressions_can_be_ignored_like_any_rule(tmp_path):
    repo = config_repo(str(tmp_path), admin="# confcheck: ignore NGX102 -- stale\n" + ADMIN_BAD.replace("deny", "#deny"))
    assert [f["rule"] for f in scan_json(repo, "nginx/nginx.conf")[1]["findings"]] == ["CC001"]
    assert scan_json(repo, "nginx/nginx.conf", "--ignore", "CC001")[1]["findings"] == []


def test_baseline_accepts_todays_findings_and_fails_on_new_ones(tmp_path):
    repo = config_repo(str(tmp_path))
    proc = run_cli("scan", "--no-fs", "nginx/nginx.conf", "--baseline", "base.json", cwd=repo)
    assert proc.returncode == 2 and b"--update-baseline" in proc.stderr          # no baseline yet
    proc = run_cli("scan", "--no-fs", "nginx/nginx.conf", "--baseline", "base.json", "--update-baseline", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert [e["rule"] for e in json.load(open(f"{repo}/base.json"))["findings"]] == ["NGX102"]
    proc, doc = scan_json(repo, "nginx/nginx.conf", "--baseline", "base.json")
    assert proc.returncode == 0 and doc["findings"] == [] and doc["summary"]["baseline_accepted"] == 1
    # lines move: still accepted
    write(f"{repo}/nginx/snippets/admin.conf", "\n\n# moved down\n" + ADMIN_BAD)
    assert scan_json(repo, "nginx/nginx.conf", "--baseline", "base.json")[0].returncode == 0
    # a new problem: only it is reported
    write(f"{repo}/nginx/snippets/admin.conf", ADMIN_BAD + ADMIN_BAD.replace("/admin/", "/ops/"))
    proc, doc = scan_json(repo, "nginx/nginx.conf", "--baseline", "base.json")
    assert proc.returncode == 1
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("NGX102", 6)]
    # from the settings file, with text output saying what was accepted
    write(f"{repo}/.confcheck.toml", 'baseline = "base.json"\n')
    proc = run_cli("scan", "--no-fs", "nginx/nginx.conf", cwd=f"{repo}")
    assert b"1 finding accepted by the baseline" in proc.stdout


def test_a_broken_baseline_is_exit_2(tmp_path):
    repo = config_repo(str(tmp_path))
    write(f"{repo}/base.json", "[1, 2]")
    proc = run_cli("scan", "--no-fs", "nginx/nginx.conf", "--baseline", "base.json", cwd=repo)
    assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1

"""The command line as users meet it: help, rules, rule docs, exit codes."""

from __future__ import annotations

import json

from cc_helpers import run_cli


def test_rules_lists_every_registered_rule():
    proc = run_cli("rules", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rules = json.loads(proc.stdout)
    ids = [r["id"] for r in rules]
    assert ids == sorted(ids)
    assert {"FS101", "FS102", "FS103", "FS104", "FS105", "FS106", "FS107", "FS108"} <= set(ids)
    for entry in rules:
        assert entry["severity"] in ("info", "warning", "error")
        assert entry["summary"]


def test_rules_text_table_has_a_header_and_a_row_per_rule():
    proc = run_cli("rules")
    assert proc.returncode == 0
    lines = proc.stdout.decode().splitlines()
    assert lines[0].split()[:3] == ["ID", "NAME", "SEVERITY"]
    assert any(line.startswith("FS101 ") and "parent-not-searchable" in line for line in lines)


def test_rule_doc_by_id_and_by_name_have_all_sections():
    by_id = run_cli("rule", "FS101")
    by_name = run_cli("rule", "parent-not-searchable")
    assert by_id.returncode == 0 and by_name.returncode == 0
    assert by_id.stdout == by_name.stdout
    text = by_id.stdout.decode()
    for section in ("What it does", "Why the server answers this way", "Example", "Use instead", "Fix safety"):
        assert section in text


def test_unknown_rule_is_a_usage_error():
    proc = run_cli("rule", "XX999")
    assert proc.returncode == 2
    assert b"unknown rule" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_unknown_option_exits_2_without_traceback():
    proc = run_cli("scan", "--no-such-option")
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr


def test_missing_path_exits_2_with_the_path():
    proc = run_cli("scan", "/nonexistent/confcheck/nginx.conf")
    assert proc.returncode == 2
    assert b"/nonexistent/confcheck/nginx.conf" in proc.stderr


def test_help_shows_examples():
    proc = run_cli("scan", "--help")
    assert proc.returncode == 0
    assert b"confcheck scan /etc/nginx /var/www" in proc.stdout

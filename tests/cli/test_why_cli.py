"""`confcheck why` as users call it: bad requests exit 2, JSON and batch shapes."""

from __future__ import annotations

import json
import os

from cc_helpers import run_cli, write_why_conf as _conf

def test_bad_requests_exit_2_with_one_clear_line(tree_dir):
    conf = _conf(tree_dir)
    cases = {
        ("not a url",): b"malformed URL",
        ("ftp://site.test/",): b"malformed URL",
        ("http://site.test:8080/", "--method", "GE T"): b"unknown method",
        ("http://site.test:9999/",): b"no server listens on port 9999",
        ("http://site.test:8080/", "--header", "NoColon"): b"expected 'Name: value'",
        ("http://site.test:8080/", "--client-ip", "10.1.2"): b"is not an IP address",
    }
    for args, message in cases.items():
        proc = run_cli("why", "--no-fs", "--config", conf, *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert message in proc.stderr, (args, proc.stderr)
        assert b"Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_why_json_follows_the_contract(tree_dir):
    conf = _conf(tree_dir)
    proc = run_cli("why", "--no-fs", "--config", conf, "--format", "json",
                   "http://site.test:8080/private/x", "--method", "POST", "--client-ip", "10.1.2.3")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["request"] == {"method": "POST", "url": "http://site.test:8080/private/x", "client_ip": "10.1.2.3"}
    assert doc["server"] == "nginx"
    assert doc["status"] == 403
    assert doc["decided_by"] == {"file": conf, "line": 9, "column": 13, "directive": "deny"}
    assert doc["fs_path"] is None
    steps = [s["step"] for s in doc["trace"]]
    assert steps[0] == "server" and "location" in steps and "access" in steps
    assert all(set(s) <= {"step", "detail", "file", "line"} for s in doc["trace"])


def test_text_output_names_status_and_deciding_directive(tree_dir):
    conf = _conf(tree_dir)
    out = run_cli("why", "--no-fs", "--config", conf, "http://site.test:8080/old").stdout.decode()
    assert "=> 301 Moved Permanently" in out
    assert f"decided by: return 301 /new at {conf}:12:13" in out
    assert "Location: /new" in out


def test_batch_answers_in_order_and_flags_bad_lines(tree_dir):
    conf = _conf(tree_dir)
    batch = os.path.join(tree_dir, "requests.jsonl")
    with open(batch, "w") as fh:
        fh.write(json.dumps({"url": "http://site.test:8080/private/a"}) + "\n")
        fh.write("\n")
        fh.write(json.dumps({"url": "http://site.test:8080/old", "method": "HEAD",
                             "headers": {"X-Test": "1"}, "client_ip": "10.0.0.1"}) + "\n")
        fh.write("{not json\n")
        fh.write(json.dumps({"url": "http://site.test:8080/private/b", "method": "GET"}) + "\n")
    proc = run_cli("why", "--no-fs", "--config", conf, "--batch", batch, "--format", "json")
    assert proc.returncode == 2          # one line was not a request
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [d.get("status") for d in lines] == [403, 301, None, 403]
    assert lines[1]["request"]["method"] == "HEAD"
    assert lines[2]["request"] is None and "line 4" in lines[2]["error"]
    good = run_cli("why", "--no-fs", "--config", conf, "--batch", "-", "--format", "json",
                   stdin=(json.dumps({"url": "http://site.test:8080/"}) + "\n").encode())
    assert good.returncode == 0
    assert json.loads(good.stdout)["status"] is None   # the disk decides: unknown without it


def test_url_and_batch_are_exclusive(tree_dir):
    conf = _conf(tree_dir)
    assert run_cli("why", "--config", conf).returncode == 2
    assert run_cli("why", "--config", conf, "http://site.test:8080/", "--batch", "x").returncode == 2

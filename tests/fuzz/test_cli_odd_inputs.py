"""Invocations nobody wrote the code for: odd URLs, batch lines and log bytes
end as a clear exit 2 (or an answer), never exit 3 or a traceback."""

from __future__ import annotations

import json
import os

from cc_helpers import run_cli, write_why_conf as _conf


def test_an_unclosed_ipv6_host_or_port_0_is_a_malformed_url(tree_dir):
    for url in ("http://[::1/private/x", "http://site.test:0/private/x"):
        proc = run_cli("why", "--no-fs", "--config", _conf(tree_dir), url)
        assert proc.returncode == 2, proc.stderr
        assert b"malformed URL" in proc.stderr and b"Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_batch_lines_of_the_wrong_type_or_encoding_are_their_own_errors(tree_dir):
    conf = _conf(tree_dir)
    batch = os.path.join(tree_dir, "batch.jsonl")
    with open(batch, "wb") as fh:
        fh.write(b'{"url": 5}\n'
                 b'{"url": "http://site.test:8080/private/x", "method": ["GET"]}\n'
                 b'{"url": "http://site.test:8080/private/x", "client_ip": 10}\n'
                 b'{"url": "http://site.test:8080/private/\xff"}\n'
                 b'{"url": "http://[::1/"}\n'
                 b'{"url": null}\n'
                 b'{"url": "http://site.test:8080/private/x"}\n')
    proc = run_cli("why", "--batch", batch, "--no-fs", "--config", conf, "--format", "json")
    assert proc.returncode == 2, proc.stderr             # bad lines: exit 2, after every line was answered
    assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [d.get("error", "").split(": ", 1)[0] for d in docs[:6]] == [f"line {n}" for n in range(1, 7)]
    assert '"url" must be a string' in docs[0]["error"]
    assert '"method" must be a string' in docs[1]["error"]
    assert '"client_ip" must be a string' in docs[2]["error"]
    assert "not UTF-8" in docs[3]["error"]
    assert "malformed URL" in docs[4]["error"]
    assert '"url" must be a string' in docs[5]["error"]      # no URL: that line's error, not an internal one
    assert docs[6]["status"] == 403                      # the good line after them is still answered


def test_a_binary_batch_file_is_bad_input_not_an_internal_error(tree_dir):
    batch = os.path.join(tree_dir, "batch.bin")
    with open(batch, "wb") as fh:
        fh.write(bytes(range(256)) * 8)
    proc = run_cli("why", "--batch", batch, "--no-fs", "--config", _conf(tree_dir))
    assert proc.returncode == 2, proc.stderr
    assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr


def test_explain_reads_a_log_with_bytes_that_are_not_utf8(tree_dir):
    log = os.path.join(tree_dir, "error.log")
    with open(log, "wb") as fh:
        fh.write(b'2026/12/07 00:00:00 [error] 7#7: *1 open() "/srv/nowhere/caf\xe9.html" failed '
                 b'(13: Permission denied), client: 127.0.0.1, server: site.test, request: '
                 b'"GET /caf%E9.html HTTP/1.1", host: "site.test"\n' + bytes(range(256)) + b"\n")
    for fmt in ("text", "json"):
        proc = run_cli("explain", "--log", log, "--config", _conf(tree_dir), "--format", fmt)
        assert proc.returncode in (0, 1), proc.stderr
        assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr
        assert b"caf" in proc.stdout
    piped = run_cli("explain", "--config", _conf(tree_dir), stdin=open(log, "rb").read())
    assert piped.returncode in (0, 1), piped.stderr
    assert b"internal error" not in piped.stderr


def test_scan_of_an_empty_stdin_is_an_input_error_that_counts_no_negative_files():
    proc = run_cli("scan", "--no-fs", "-", stdin=b"")
    assert proc.returncode == 2, proc.stderr
    assert b"<stdin>" in proc.stdout and b"-1" not in proc.stdout, proc.stdout


def test_why_with_a_worker_user_that_does_not_exist_is_bad_input(tree_dir):
    for extra in ((), ("--root", tree_dir)):          # this machine's accounts, and a view with no /etc/passwd
        proc = run_cli("why", *extra, "--worker-user", "no-such-user-cc", "--config", "/etc/nginx/nginx.conf"
                       if extra else _conf(tree_dir), "http://site.test:8080/private/x")
        assert proc.returncode == 2, proc.stderr
        assert b"--worker-user: unknown user 'no-such-user-cc'" in proc.stderr, proc.stderr

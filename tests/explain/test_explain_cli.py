"""`confcheck explain` from the command line: stdin, --log, --since, JSON, exit codes."""

from __future__ import annotations

import json
import os

from cc_helpers import make_site, need_root, run_cli

LINE = ('{time} [error] 7#7: *1 open() "{path}" failed (13: Permission denied), client: 127.0.0.1, '
        'server: site.test, request: "GET /index.html HTTP/1.1", host: "site.test"')


def test_explain_names_the_bit_and_the_fix(tree_dir):
    need_root()
    make_site(tree_dir, index_mode=0o600)
    line = LINE.format(time="2026/11/21 09:00:00", path="/srv/site/index.html")
    proc = run_cli("explain", "--root", tree_dir, "--config", "/etc/nginx/nginx.conf", "--format", "json",
                   stdin=(line + "\nnot a log line\n").encode())
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["lines"], doc["recognized"], doc["unknown"]) == (2, 1, 1)
    [cause] = doc["causes"]
    assert cause["fs_path"] == "/srv/site/index.html" and cause["status"] == 403
    assert "www-data is 'other' on /srv/site/index.html (-rw------- root:root) and has no r" in cause["explanation"]
    assert cause["fix"]["commands"] == ["chmod o+r /srv/site/index.html"]
    assert cause["decided_by"]["directive"] == "root"


def test_explain_log_file_since_and_grouping(tree_dir):
    need_root()
    make_site(tree_dir, index_mode=0o600)
    log = os.path.join(tree_dir, "error.log")
    with open(log, "w") as fh:
        fh.write(LINE.format(time="2001/01/01 00:00:00", path="/srv/site/index.html") + "\n")
        for _ in range(3):
            fh.write(LINE.format(time="2099/01/01 00:00:00", path="/srv/site/index.html") + "\n")
    text = run_cli("explain", "--root", tree_dir, "--config", "/etc/nginx/nginx.conf", "--log", log,
                   "--since", "2020-01-01").stdout.decode()
    # what was read comes first (the config the logged requests were replayed on), as the server sees it
    first, rest = text.split("\n", 1)
    assert first == "read nginx: /etc/nginx/nginx.conf"
    assert rest.startswith("3x 403 nginx:")
    assert "3 lines: 3 recognised (1 distinct cause), 0 not recognised." in text
    assert run_cli("explain", "--log", log, "--since", "yesterday").returncode == 2


def test_fixed_problem_says_so(tree_dir):
    need_root()
    make_site(tree_dir, index_mode=0o644)
    line = LINE.format(time="2026/11/21 09:00:00", path="/srv/site/index.html")
    out = run_cli("explain", "--root", tree_dir, "--config", "/etc/nginx/nginx.conf", line).stdout.decode()
    assert "replayed now the request gets 200" in out

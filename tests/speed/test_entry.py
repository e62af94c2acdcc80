"""The short way in (confcheck/entry.py) reads a plain `scan` command line as typer does:
the same command lines, run both ways (`--debug` before the command sends one to typer),
print the same and exit the same; and the short way does not import typer."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from confcheck.entry import plain_scan, plain_why

SITE = "server {\n    listen 80;\n    root /srv/www;\n    location /private/ { deny all; }\n" \
       "    location ~ \\.php$ { fastcgi_pass unix:/run/php.sock; }\n}\n"


def _run(argv, cwd):
    proc = subprocess.run([sys.executable, "-m", "confcheck", *argv], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "CONFCHECK_NO_CACHE": "1"})
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("args", [
    ["--no-fs", "site.conf"],
    ["--no-fs", "--format", "json", "--no-progress", "site.conf"],
    ["--no-fs", "--select", "NGX104", "--select", "NGX1", "--format", "sarif", "site.conf"],
    ["--no-fs", "--ignore", "NGX104", "--fail-on", "error", "--no-color", "site.conf"],
    ["--no-fs", "--select", "BOGUS", "site.conf"],
    ["--no-fs", "missing.conf"],
    ["--no-fs", "--fs-snapshot", "x.json", "site.conf"],
    ["--no-fs", "--server", "apache", "site.conf"],
    ["--no-fs", "--format", "github", "--isolated", "--config", "site.conf"],
])
def test_short_and_typer_ways_answer_alike(tmp_path, args):
    (tmp_path / "site.conf").write_text(SITE)
    assert plain_scan(["scan", *args]) is not None
    short = _run(["scan", *args], tmp_path)
    typer_way = _run(["--debug", "scan", *args], tmp_path)
    assert short == typer_way


@pytest.mark.parametrize("args", [
    ["http://a.test/private/x", "--config", "site.conf"],
    ["http://a.test/x.php", "--config", "site.conf", "--format", "json", "--no-fs"],
    ["http://a.test/private/", "-X", "POST", "-H", "Authorization: Basic eDp5", "--header", "X-A: 1",
     "--client-ip", "10.0.0.1", "--no-replay", "--no-color", "site.conf"],
    ["http://a.test/", "--config", "site.conf", "--format", "sarif"],
    ["http://a.test/", "--config", "missing.conf"],
    ["http://a.test/", "--config", "site.conf", "-H", "no colon"],
    ["not a url", "--config", "site.conf"],
    ["--config", "site.conf"],
    ["http://a.test/", "--batch", "requests.jsonl", "--config", "site.conf"],
    ["--batch", "requests.jsonl", "--no-fs", "site.conf"],
    ["http://a.test/", "--body", "missing.bin", "--config", "site.conf"],
    ["http://a.test/", "--no-fs", "--fs-snapshot", "x.json", "--config", "site.conf"],
    ["http://a.test/", "--server", "apache", "--config", "site.conf"],
])
def test_short_and_typer_ways_answer_why_alike(tmp_path, args):
    (tmp_path / "site.conf").write_text("events {}\nhttp {\n" + SITE + "}\n")
    (tmp_path / "requests.jsonl").write_text('{"url": "http://a.test/private/a"}\n{"url": "nope"}\n'
                                             '{"url": "http://a.test/b", "method": "POST"}\n')
    assert plain_why(["why", *args]) is not None
    short = _run(["why", *args], tmp_path)
    typer_way = _run(["--debug", "why", *args], tmp_path)
    assert short == typer_way


@pytest.mark.parametrize("argv", [
    ["why", "--format=json", "http://a.test/"], ["why", "-XPOST", "http://a.test/"], ["why", "-h"],
    ["why", "--format", "github", "http://a.test/"], ["why", "-X", "GET", "--method", "POST", "http://a.test/"],
    ["why", "--batch"], ["why", "--", "http://a.test/"], ["scan", "x"],
])
def test_anything_unusual_in_why_goes_to_typer(argv):
    assert plain_why(argv) is None


@pytest.mark.parametrize("argv", [
    ["scan", "--format=json", "x"], ["scan", "--", "x"], ["scan", "-h"], ["scan", "--format", "xml", "x"],
    ["scan", "--format", "json", "--format", "text", "x"], ["scan", "--color", "--no-color", "x"],
    ["scan", "--root"], ["why", "x"], ["--debug", "scan", "x"], ["scan", "--unknown", "x"],
])
def test_anything_unusual_goes_to_typer(argv):
    assert plain_scan(argv) is None


@pytest.mark.parametrize("argv,code", [
    (["scan", "--no-fs", "site.conf"], 1),
    (["why", "http://a.test/private/x", "--no-fs", "site.conf"], 0),
])
def test_a_plain_scan_or_why_does_not_import_typer(tmp_path, argv, code):
    (tmp_path / "site.conf").write_text(SITE)
    program = (f"import sys, runpy; sys.argv = ['confcheck', *{argv!r}]\n"
               "from confcheck import entry\n"
               "code = entry.main()\n"
               "print(code, 'typer' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "CONFCHECK_NO_CACHE": "1"})
    assert proc.stdout.strip().splitlines()[-1] == f"{code} False", proc.stderr

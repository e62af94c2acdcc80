"""The short way in (confcheck/entry.py) reads a plain `scan` command line as typer does:
the same command lines, run both ways (`--debug` before the command sends one to typer),
print the same and exit the same; and the short way does not import typer."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from confcheck.entry import plain_scan

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


@pytest.mark.parametrize("argv", [
    ["scan", "--format=json", "x"], ["scan", "--", "x"], ["scan", "-h"], ["scan", "--format", "xml", "x"],
    ["scan", "--format", "json", "--format", "text", "x"], ["scan", "--color", "--no-color", "x"],
    ["scan", "--root"], ["why", "x"], ["--debug", "scan", "x"], ["scan", "--unknown", "x"],
])
def test_anything_unusual_goes_to_typer(argv):
    assert plain_scan(argv) is None


def test_a_plain_scan_does_not_import_typer(tmp_path):
    (tmp_path / "site.conf").write_text(SITE)
    code = ("import sys, runpy; sys.argv = ['confcheck', 'scan', '--no-fs', 'site.conf']\n"
            "from confcheck import entry\n"
            "code = entry.main()\n"
            "print(code, 'typer' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "CONFCHECK_NO_CACHE": "1"})
    assert proc.stdout.strip().splitlines()[-1] == "1 False", proc.stderr

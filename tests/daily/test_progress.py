"""Progress on stderr: only on a terminal, only for text output, only for long runs."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

from cc_helpers import REPO, run_cli
from dailyhelpers import config_repo

from confcheck.progress import Progress, start_progress


class _Sink:
    def __init__(self, tty: bool) -> None:
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_not_started_when_piped_or_for_machine_output():
    assert start_progress(_Sink(False), True) is None
    assert start_progress(_Sink(True), False) is None


def test_quick_runs_print_nothing_and_long_ones_are_erased():
    quick = _Sink(True)
    progress = Progress(quick, delay=1.0)
    progress.close()
    assert quick.text == ""
    slow = _Sink(True)
    progress = Progress(slow, delay=0.0, interval=0.01)
    progress.stage("FS101 parent-not-searchable")
    time.sleep(0.1)
    progress.close()
    assert "confcheck: FS101 parent-not-searchable" in slow.text
    assert slow.text.endswith("\r\x1b[K")


def _scan_with_tty_stderr(cwd, *args):
    """Run scan with stderr on a real pseudo-terminal; returns (stdout, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "confcheck", "scan", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=slave, env=dict(os.environ, NO_COLOR="1"))
    os.close(slave)
    out = proc.stdout.read()
    proc.wait(timeout=120)
    err = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    return out, err


def test_scan_json_and_sarif_never_show_progress_even_on_a_terminal(tmp_path):
    repo = config_repo(str(tmp_path))
    for fmt in ("json", "sarif"):
        out, err = _scan_with_tty_stderr(repo, "--no-fs", "--format", fmt, "nginx/nginx.conf")
        assert err == b"" and out.startswith(b"{")


def test_piped_scan_writes_nothing_on_stderr(tmp_path):
    repo = config_repo(str(tmp_path))
    proc = run_cli("scan", "--no-fs", "nginx/nginx.conf", cwd=repo)
    assert proc.stderr == b"" and REPO

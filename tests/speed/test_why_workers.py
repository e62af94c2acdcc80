"""`why --batch` split between forked workers (confcheck/why_workers.py): the same bytes on
stdout and stderr, the same exit code, as one process; a worker that fails leaves its
lines to the parent, which answers them itself."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from confcheck.why_workers import answer_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_nginx_parse import generate as generate_uniform  # noqa: E402
from test_why_sharing import _requests  # noqa: E402


@pytest.fixture
def base():
    path = Path(tempfile.mkdtemp(prefix="confcheck-whyworkers-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


class _Stream(io.TextIOWrapper):
    """A text stream over bytes in memory, as sys.stdout is over its file."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors="backslashreplace", newline="\n")

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode()


def _chunk(fail_in=None, seen=None):
    parent = os.getpid()

    def answer_chunk(lines, first, out, err):
        if fail_in is not None and os.getpid() != parent and first == fail_in:
            raise RuntimeError("this worker fails")
        for number, line in enumerate(lines, start=first):
            out.write(f"{number} {line.strip()} {os.getpid()}\n")
            if number % 7 == 0:
                err.write(f"seven {number}\n")
        if seen is not None and os.getpid() != parent:
            (seen / str(first)).touch()      # a worker answered this block
        return sum(1 for n in range(first, first + len(lines)) if n % 7 == 0), [f"line {first}"]
    return answer_chunk


def _forks(monkeypatch) -> list[int]:
    """The pids of the workers answer_split forks (the real fork, noted)."""
    pids: list[int] = []
    fork = os.fork

    def noted() -> int:
        pid = fork()
        if pid:
            pids.append(pid)
        return pid
    monkeypatch.setattr(os, "fork", noted)
    return pids


def _all_reaped(pids: list[int]) -> None:
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


@pytest.mark.parametrize("fail_in", [None, 4, 7])
def test_blocks_come_back_in_order_and_a_failed_worker_s_blocks_are_answered_again(fail_in, tmp_path, monkeypatch):
    pids = _forks(monkeypatch)
    lines = [f"l{i}\n" for i in range(1, 10)]
    out, err = _Stream(), _Stream()
    out.write("before\n")        # written before the split: never repeated by a worker

    def slow_checks():          # the parent's checks last until the workers took every block
        deadline = time.monotonic() + 30
        while len(os.listdir(tmp_path)) < 9 - (fail_in is not None) and time.monotonic() < deadline:
            time.sleep(0.01)
    bad, failed = answer_split(lines, 3, _chunk(fail_in, tmp_path), out, err, meanwhile=slow_checks)
    rows = [row.split() for row in out.text().splitlines()]
    assert rows[0] == ["before"]
    assert [(n, text) for n, text, _pid in rows[1:]] == [(str(i), f"l{i}") for i in range(1, 10)]
    by = {int(n): pid for n, _text, pid in rows[1:]}
    if fail_in is None:         # the parent was busy: the workers answered everything
        assert str(os.getpid()) not in by.values()
    else:                       # the worker that failed: every block it took is answered here
        assert by[fail_in] == str(os.getpid())
        assert set(by.values()) - {str(os.getpid())}, "the other worker's answers are kept"
    assert err.text() == "seven 7\n"
    assert (bad, failed) == (1, [f"line {n}" for n in range(1, 10)])
    assert len(pids) == 2
    _all_reaped(pids)


def test_what_the_parent_s_checks_raise_stops_the_workers_and_nothing_is_written(monkeypatch):
    pids = _forks(monkeypatch)
    lines = [f"l{i}\n" for i in range(1, 400)]
    out, err = _Stream(), _Stream()

    def refuse():
        time.sleep(0.2)
        raise ValueError("the configuration has errors")
    with pytest.raises(ValueError):
        answer_split(lines, 2, _chunk(), out, err, meanwhile=refuse)
    assert out.text() == err.text() == ""
    assert len(pids) == 1
    _all_reaped(pids)


def test_batch_cli_same_in_one_process_and_split(base):
    generate_uniform(base / "u", 40, 4)
    names = [f"site{i}" for i in range(40)]
    lines = _requests(names, 900, seed=5)
    lines[450:450] = ["not json", json.dumps({"url": "ftp://x/"}), ""]
    batch = base / "batch.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    args = ("why", "--no-fs", "--config", str(base / "u" / "nginx.conf"), "--batch", str(batch), "--format", "json")
    from cc_helpers import run_cli
    one = run_cli(*args, env={"CONFCHECK_WORKERS": "1"})
    for workers in ("2", "3"):
        split = run_cli(*args, env={"CONFCHECK_WORKERS": workers})
        assert split.returncode == one.returncode == 2
        assert split.stdout == one.stdout and split.stderr == one.stderr
    assert len(one.stdout.splitlines()) == len(lines) - 1     # the empty line has no answer


def test_a_configuration_with_errors_answers_nothing_when_split(base):
    """The workers answer while the parent validates: its errors still stop every answer."""
    generate_uniform(base / "u", 40, 4)
    site = sorted((base / "u").rglob("site*.conf"))[-1]
    site.write_text(site.read_text().replace("deny all;", "deny;", 1))
    names = [f"site{i}" for i in range(40)]
    batch = base / "batch.jsonl"
    batch.write_text("\n".join(_requests(names, 900, seed=6)) + "\n")
    args = ("why", "--no-fs", "--config", str(base / "u" / "nginx.conf"), "--batch", str(batch), "--format", "json")
    from cc_helpers import run_cli
    one = run_cli(*args, env={"CONFCHECK_WORKERS": "1"})
    assert one.returncode == 2 and one.stdout == b"" and b"deny" in one.stderr, one.stderr
    for workers in ("2", "3"):
        split = run_cli(*args, env={"CONFCHECK_WORKERS": workers})
        assert (split.returncode, split.stdout, split.stderr) == (one.returncode, one.stdout, one.stderr)

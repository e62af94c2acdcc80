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


def _chunk(fail_in=None):
    parent = os.getpid()

    def answer_chunk(lines, first, out, err):
        if fail_in is not None and os.getpid() != parent and first == fail_in:
            raise RuntimeError("this worker fails")
        for number, line in enumerate(lines, start=first):
            out.write(f"{number} {line.strip()} {os.getpid()}\n")
            if number % 7 == 0:
                err.write(f"seven {number}\n")
        return sum(1 for n in range(first, first + len(lines)) if n % 7 == 0), [f"line {first}"]
    return answer_chunk


@pytest.mark.parametrize("fail_in", [None, 4, 7])
def test_chunks_come_back_in_order_and_a_failed_worker_s_chunk_is_answered_again(fail_in):
    lines = [f"l{i}\n" for i in range(1, 10)]
    out, err = _Stream(), _Stream()
    out.write("before\n")        # written before the split: never repeated by a worker
    bad, failed = answer_split(lines, 3, _chunk(fail_in), out, err)
    rows = [row.split() for row in out.text().splitlines()]
    assert rows[0] == ["before"]
    assert [(n, text) for n, text, _pid in rows[1:]] == [(str(i), f"l{i}") for i in range(1, 10)]
    pids = {first: rows[first][2] for first in (1, 4, 7)}
    assert pids[1] == str(os.getpid())
    for first in (4, 7):      # a worker of its own, or the parent for the one that failed
        assert (pids[first] == str(os.getpid())) == (first == fail_in)
    assert err.text() == "seven 7\n"
    assert (bad, failed) == (1, ["line 1", "line 4", "line 7"])


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

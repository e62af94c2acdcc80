"""`why --batch` split between forked workers (confcheck/why_workers.py): the same bytes on
stdout and stderr, the same exit code, as one process; a worker that fails leaves its
lines to the parent, which answers them itself."""

from __future__ import annotations

import io
import json
import os
import random
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


def _answerer(fail_in=None, seen=None):
    parent = os.getpid()

    def answer_line(line, number):
        if fail_in is not None and os.getpid() != parent and number == fail_in:
            raise RuntimeError("this worker fails")
        if seen is not None and os.getpid() != parent:
            (seen / str(number)).touch()      # a worker answered this line
        return (f"{number} {line.strip()} {os.getpid()}\n", f"seven {number}\n" if number % 7 == 0 else "",
                f"line {number}")
    return answer_line


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
    bad, failed = answer_split(lines, 3, _answerer(fail_in, tmp_path), out, err, meanwhile=slow_checks)
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


@pytest.mark.parametrize("workers", [2, 3])
def test_lines_grouped_by_key_come_back_in_order(workers, tmp_path, monkeypatch):
    """Lines of one key go to one process (why --batch: look-alike servers' lines); every
    line's answer is still written in the lines' order, the stderr lines and the internal
    errors too, whichever process answered it."""
    pids = _forks(monkeypatch)
    lines = [f"k{i * 7 % 4 if i % 13 else 'x' * (i % 3)} {i}\n" if i % 11 else " \n" for i in range(1, 3000)]
    answer = _answerer(seen=tmp_path)
    out, err = _Stream(), _Stream()

    def slow_checks():          # the workers take their own blocks first, then the parent's
        deadline = time.monotonic() + 30
        while len(os.listdir(tmp_path)) < 1000 and time.monotonic() < deadline:
            time.sleep(0.01)
    bad, failed = answer_split(lines, workers, lambda line, n: answer(line, n) if line.strip() else ("", "", None),
                               out, err, meanwhile=slow_checks, key=lambda line: line.split()[0] if line.strip() else None)
    rows = [row.split() for row in out.text().splitlines()]
    kept = [(i, line.split()[0]) for i, line in enumerate(lines, start=1) if line.strip()]
    assert [(int(n), text) for n, text, _i, _pid in rows] == kept
    assert err.text() == "".join(f"seven {i}\n" for i, _text in kept if i % 7 == 0)
    assert (bad, failed) == (sum(1 for i, _text in kept if i % 7 == 0), [f"line {i}" for i, _text in kept])
    assert len({row[-1] for row in rows}) > 1
    assert len(pids) == workers - 1
    _all_reaped(pids)


@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_the_plan_gives_whole_groups_largest_first_to_the_least_busy(workers):
    from confcheck.why_workers import BLOCKS, _plan
    sizes = {"a": 5000, "b": 4507, "c": 442, "d": 51, None: 30}
    keys = [name for name, size in sizes.items() for _ in range(size)]
    random.Random(3).shuffle(keys)
    blocks, owners, block_of = _plan(keys, workers, key=lambda line: line)
    assert len(blocks) <= BLOCKS
    assert sorted(i for block in blocks for i in block) == list(range(len(keys)))
    assert all(list(block) == sorted(block) for block in blocks)
    assert all(block_of[i] == number for number, block in enumerate(blocks) for i in block)
    assert sorted(n for mine in owners for n in mine) == list(range(len(blocks)))
    held = [{keys[i] for n in mine for i in blocks[n]} for mine in owners]
    expected = {1: [set(sizes)], 2: [{"a", None}, {"b", "c", "d"}], 3: [{"a"}, {"b"}, {"c", "d", None}],
                4: [{"a"}, {"b"}, {"c"}, {"d", None}]}[workers]
    assert held == expected


def test_what_the_parent_s_checks_raise_stops_the_workers_and_nothing_is_written(monkeypatch):
    pids = _forks(monkeypatch)
    lines = [f"l{i}\n" for i in range(1, 400)]
    out, err = _Stream(), _Stream()

    def refuse():
        time.sleep(0.2)
        raise ValueError("the configuration has errors")
    with pytest.raises(ValueError):
        answer_split(lines, 2, _answerer(), out, err, meanwhile=refuse)
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


def test_asking_for_more_workers_than_blocks_is_capped(monkeypatch):
    from confcheck.why_workers import BLOCKS, _plan, worker_count

    class Prepared:
        class model:
            outside = None
    monkeypatch.setenv("CONFCHECK_WORKERS", "1000")
    assert worker_count(Prepared, 5000, _Stream(), _Stream()) == BLOCKS // 2
    monkeypatch.setenv("CONFCHECK_WORKERS", "3")
    assert worker_count(Prepared, 5000, _Stream(), _Stream()) == 3
    lines = [f"k{i % 300}\n" for i in range(5000)]
    blocks, owners, _block_of = _plan(lines, BLOCKS // 2, key=str.strip)
    assert len(blocks) <= BLOCKS and len(owners) == BLOCKS // 2

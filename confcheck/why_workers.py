"""why --batch on more than one core: the batch's lines split between forked workers.

The configuration is read once; a large batch is then cut into consecutive
chunks, and each chunk but the first is answered by a child forked from the
prepared process (it inherits the model, nothing is sent to it). The parent
answers the first chunk straight to stdout meanwhile, then copies each
child's output (kept in memory, never in a file) in order: the bytes are the
ones one process writes. A child that does not finish cleanly leaves its
chunk to the parent, which answers it itself: a worker's failure changes no
answer.

Off for small batches, one usable core, output that is no byte stream, and a
WAF replay (its throwaway servers are the parent's); CONFCHECK_WORKERS=N sets
the number of processes (1: off).
"""

from __future__ import annotations

import io
import json
import os

MIN_LINES = 2000        # per worker: below that, forking and learning again cost more than they save
MAX_WORKERS = 4


MAX_BYTES = 256 << 20   # a larger batch file is answered as it is read, in one process


def whole_file(stream) -> list[str] | None:
    """The lines of a batch read from a regular file of at most MAX_BYTES (a split needs them
    all); None for a pipe or a larger file."""
    import stat
    try:
        info = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
        return None
    return stream.readlines()


def worker_count(prepared, lines: int, stdout, stderr) -> int:
    """How many processes answer a batch of `lines`: CONFCHECK_WORKERS=N asks for N (1: one
    process); unset, one per usable core (at most MAX_WORKERS) with MIN_LINES lines each."""
    if not hasattr(os, "fork") or prepared.model.outside or lines < 2:
        return 1
    if not (hasattr(stdout, "buffer") and hasattr(stderr, "buffer")):
        return 1
    wanted = os.environ.get("CONFCHECK_WORKERS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return min(int(wanted), lines)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS, lines // MIN_LINES))


def answer_split(lines: list[str], workers: int, answer_chunk, stdout, stderr) -> tuple[int, list[str]]:
    """answer_chunk(lines, first line number, stdout, stderr) -> (bad lines, internal errors)
    over `lines` in `workers` processes; the output and the result are those of one call."""
    size = -(-len(lines) // workers)
    starts = list(range(0, len(lines), size))
    stdout.flush()
    stderr.flush()
    children: list[tuple[int, int, tuple]] = []     # (start, pid, (out, err, result) files)
    try:
        for start in starts[1:]:
            files = tuple(_memory_file(name) for name in ("out", "err", "result"))
            pid = os.fork()
            if pid == 0:
                _child(lines[start:start + size], start + 1, files, answer_chunk, stdout, stderr)
            children.append((start, pid, files))
        bad, failed = answer_chunk(lines[:size], 1, stdout, stderr)
        while children:
            start, pid, files = children.pop(0)
            done = _reap(pid, files)
            if done is None:        # the worker failed: its chunk is answered here
                more = answer_chunk(lines[start:start + size], start + 1, stdout, stderr)
            else:
                more = done
                for source, target in ((files[0], stdout), (files[1], stderr)):
                    target.flush()
                    source.seek(0)
                    target.buffer.write(source.read())
                    target.buffer.flush()
            bad, failed = bad + more[0], failed + more[1]
            for f in files:
                f.close()
        return bad, failed
    finally:
        for _start, pid, files in children:     # left behind by an error here: stopped, reaped
            _stop(pid)
            for f in files:
                f.close()


def _memory_file(name: str):
    try:
        return os.fdopen(os.memfd_create(f"confcheck-why-{name}"), "w+b")
    except (AttributeError, OSError):
        import tempfile
        return tempfile.TemporaryFile()


def _child(lines, first: int, files, answer_chunk, stdout, stderr) -> None:
    """The forked worker: answers its chunk into memory, says how it went, and exits."""
    code = 3
    try:
        out = io.TextIOWrapper(files[0], encoding=stdout.encoding, errors=stdout.errors, newline="\n")
        err = io.TextIOWrapper(files[1], encoding=stderr.encoding, errors=stderr.errors, newline="\n")
        bad, failed = answer_chunk(lines, first, out, err)
        out.flush()
        err.flush()
        files[2].write(json.dumps({"bad": bad, "failed": failed}).encode())
        files[2].flush()
        code = 0
    except BaseException:  # noqa: BLE001 - the parent answers this chunk again
        code = 3
    finally:
        os._exit(code)


def _reap(pid: int, files) -> tuple[int, list[str]] | None:
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    files[2].seek(0)
    try:
        result = json.loads(files[2].read())
        return int(result["bad"]), [str(x) for x in result["failed"]]
    except (ValueError, KeyError, TypeError):
        return None


def _stop(pid: int) -> None:
    import signal
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass

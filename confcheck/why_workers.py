"""why --batch on more than one core: the batch's lines answered by forked workers.

The configuration is read once; a large batch is then cut into up to 255
blocks of consecutive lines, handed out in order to whichever process asks
first: the parent and children forked from the prepared process (they
inherit the model, nothing is sent to them). Each keeps its answers in
memory (never in a file) and says which blocks it answered; the parent then
writes every block's output in order: the bytes are the ones one process
writes. Handing blocks out as they are asked for keeps every core busy to the
end, and lets the parent do its own checks first (`meanwhile`: why --batch
validates the configuration while the workers answer, and writes nothing of
theirs when it has errors). A child that does not finish cleanly leaves its
blocks to the parent, which answers them itself: a worker's failure changes
no answer.

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
    from confcheck.cpus import usable_cores
    return max(1, min(usable_cores(), MAX_WORKERS, lines // MIN_LINES))


BLOCKS = 255           # a batch is handed out in at most this many blocks (a block's number is one byte)


def answer_split(lines: list[str], workers: int, answer_chunk, stdout, stderr,
                 meanwhile=None) -> tuple[int, list[str]]:
    """answer_chunk(lines, first line number, stdout, stderr) -> (bad lines, internal errors)
    over `lines` in `workers` processes; the output and the result are those of one call.
    `meanwhile()` runs in the parent once the workers started, before it answers: what it
    raises stops them, and nothing they answered is written."""
    size = -(-len(lines) // min(BLOCKS, len(lines)))
    blocks = [(start, lines[start:start + size]) for start in range(0, len(lines), size)]
    queue = _Queue(len(blocks))
    stdout.flush()
    stderr.flush()
    mine = (_memory_file("out"), _memory_file("err"))
    opened = list(mine)
    children: list[tuple[int, tuple]] = []      # (pid, (out, err, result) files), not reaped yet
    try:
        for _ in range(workers - 1):
            files = tuple(_memory_file(name) for name in ("out", "err", "result"))
            opened += files
            pid = os.fork()
            if pid == 0:
                _child(queue, blocks, files, answer_chunk, stdout, stderr)
            children.append((pid, files))
        if meanwhile is not None:
            meanwhile()
        done = {number: (mine, record)
                for number, *record in _answer_blocks(queue.take, blocks, mine, answer_chunk, stdout, stderr)}
        while children:
            pid, files = children[0]
            for number, *record in _reap(pid, files) or ():
                done[number] = (files, record)
            children.pop(0)
        missing = iter([number for number in range(len(blocks)) if number not in done])
        # a failed worker's blocks: answered here, after the others
        for number, *record in _answer_blocks(lambda: next(missing, None), blocks, mine, answer_chunk, stdout,
                                              stderr):
            done[number] = (mine, record)
        return _write_in_order(done, stdout, stderr)
    finally:
        queue.close()
        for pid, _files in children:     # left behind by an error here: stopped, reaped
            _stop(pid)
        for f in opened:
            f.close()


class _Queue:
    """The blocks' numbers in a pipe, taken one byte at a time by whichever process asks
    first: a one-byte read is atomic, and a worker stopped at any moment holds nothing."""

    def __init__(self, count: int) -> None:
        self.read, write = os.pipe()
        os.write(write, bytes(range(count)))
        os.close(write)             # empty then reads as the end

    def take(self) -> int | None:
        taken = os.read(self.read, 1)
        return taken[0] if taken else None

    def close(self) -> None:
        os.close(self.read)


def _answer_blocks(take, blocks, files, answer_chunk, stdout, stderr) -> list[list]:
    """Answer the blocks `take()` hands out (None: no more) into `files` (out, err):
    [number, out start, out end, err start, err end, bad lines, internal errors] each."""
    out = io.TextIOWrapper(files[0], encoding=stdout.encoding, errors=stdout.errors, newline="\n")
    err = io.TextIOWrapper(files[1], encoding=stderr.encoding, errors=stderr.errors, newline="\n")
    records = []
    try:
        while (number := take()) is not None:
            start, chunk = blocks[number]
            at = (files[0].tell(), files[1].tell())
            bad, failed = answer_chunk(chunk, start + 1, out, err)
            out.flush()
            err.flush()
            records.append([number, at[0], files[0].tell(), at[1], files[1].tell(), bad, failed])
    finally:
        out.detach()                # the files stay open for the merge
        err.detach()
    return records


def _write_in_order(done: dict, stdout, stderr) -> tuple[int, list[str]]:
    """Every block's output copied out in the blocks' order (a run of blocks one process
    answered one after the other in one write), the counts summed."""
    bad, failed = 0, []
    runs: list[list] = []       # [files, out start, out end, err start, err end]
    for number in range(len(done)):
        files, (out_start, out_end, err_start, err_end, more, errors) = done[number]
        last = runs[-1] if runs else None
        if last is not None and last[0] is files and last[2] == out_start and last[4] == err_start:
            last[2], last[4] = out_end, err_end
        else:
            runs.append([files, out_start, out_end, err_start, err_end])
        bad, failed = bad + more, failed + list(errors)
    texts: dict[int, tuple] = {}
    stdout.flush()
    stderr.flush()
    for files, out_start, out_end, err_start, err_end in runs:
        if id(files) not in texts:
            texts[id(files)] = tuple(_contents(f) for f in files[:2])
        out, err = texts[id(files)]
        stdout.buffer.write(out[out_start:out_end])
        if err_end > err_start:
            stderr.buffer.write(err[err_start:err_end])
    stdout.buffer.flush()
    stderr.buffer.flush()
    return bad, failed


def _contents(f) -> memoryview:
    """The memory file's bytes, mapped rather than copied."""
    import mmap
    size = os.fstat(f.fileno()).st_size
    return memoryview(mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ) if size else b"")


def _memory_file(name: str):
    try:
        return os.fdopen(os.memfd_create(f"confcheck-why-{name}"), "w+b")
    except (AttributeError, OSError):
        import tempfile
        return tempfile.TemporaryFile()


def _child(queue, blocks, files, answer_chunk, stdout, stderr) -> None:
    """The forked worker: answers blocks into memory until none is left, says which, and exits."""
    code = 3
    try:
        records = _answer_blocks(queue.take, blocks, files, answer_chunk, stdout, stderr)
        files[2].write(json.dumps(records).encode())
        files[2].flush()
        code = 0
    except BaseException:  # noqa: BLE001 - the parent answers its blocks again
        code = 3
    finally:
        os._exit(code)


def _reap(pid: int, files) -> list | None:
    """The worker's records, or None when it failed (its blocks are then answered again)."""
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    files[2].seek(0)
    try:
        return [[int(r[0]), *map(int, r[1:6]), [str(x) for x in r[6]]] for r in json.loads(files[2].read())]
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def _stop(pid: int) -> None:
    import signal
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass

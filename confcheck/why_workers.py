"""why --batch on more than one core: the batch's lines answered by forked workers.

The configuration is read once; a large batch is then cut into up to 255
blocks of lines, handed out to whichever process asks: the parent and children
forked from the prepared process (they inherit the model, nothing is sent to
them). Lines that share a key (`key(line)`; why --batch: the look-alike class
of the URL's host, why_batch.split_key) are best answered by one process,
which then learns once what they share: the lines are grouped by key, the
groups given to the processes largest first (each to the one with the fewest
lines so far), and each process takes its own blocks first, then helps the
others with theirs. So every core stays busy to the end, whatever else the
machine runs, and the parent does its own checks first (`meanwhile`: why
--batch validates the configuration while the workers answer, and writes
nothing of theirs when it has errors). Each keeps its answers in memory (never
in a file) and says which blocks it answered and how long each line's answer
is; the parent then writes every line's answer in the lines' order: the bytes
one process writes. A child that does not finish cleanly leaves its blocks to
the parent, which answers them itself: a worker's failure changes no answer.

Off for small batches, one usable core, output that is no byte stream, and a
WAF replay (its throwaway servers are the parent's); CONFCHECK_WORKERS=N sets
the number of processes (1: off).
"""

from __future__ import annotations

import io
import json
import os
from array import array
from itertools import accumulate

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
        return min(int(wanted), lines, BLOCKS // 2)     # each process's share: at least one block
    from confcheck.cpus import usable_cores
    return max(1, min(usable_cores(), MAX_WORKERS, lines // MIN_LINES))


BLOCKS = 255           # a batch is handed out in at most this many blocks (a block's number is one byte)
FLUSH = 64 << 10       # the merged output is written in pieces of about this many bytes (under
                       # malloc's mmap threshold: a larger join gets fresh pages, faulted in, each time)


def answer_split(lines: list[str], workers: int, answer_line, stdout, stderr,
                 meanwhile=None, key=None) -> tuple[int, list[str]]:
    """answer_line(line, number) -> (stdout text, stderr text, internal error or None) for
    each of `lines` (numbered from 1) in `workers` processes, written in the lines' order;
    (lines with stderr text, internal errors in the lines' order), as one process gives them.
    `key(line)`: lines with one key go to one process where the balance allows (None: in
    order). `meanwhile()` runs in the parent once the workers started, before it answers:
    what it raises stops them, and nothing they answered is written."""
    blocks, owners, block_of = _plan(lines, workers, key)
    queues = [_Queue(mine) for mine in owners]
    stdout.flush()
    stderr.flush()
    mine = (_memory_file("out"), _memory_file("err"))
    opened = list(mine)
    children: list[tuple[int, tuple]] = []      # (pid, (out, err, result) files), not reaped yet
    try:
        for worker in range(1, workers):
            files = tuple(_memory_file(name) for name in ("out", "err", "result"))
            opened += files
            pid = os.fork()
            if pid == 0:
                _child(_taker(queues, worker), blocks, lines, files, answer_line, stdout, stderr)
            children.append((pid, files))
        if meanwhile is not None:
            meanwhile()
        done = {record[0]: (mine, record)
                for record in _answer_blocks(_taker(queues, 0), blocks, lines, mine, answer_line, stdout, stderr)}
        while children:
            pid, files = children[0]
            for record in _reap(pid, files, blocks) or ():
                done[record[0]] = (files, record)
            children.pop(0)
        missing = iter([number for number in range(len(blocks)) if number not in done])
        # a failed worker's blocks: answered here, after the others
        for record in _answer_blocks(lambda: next(missing, None), blocks, lines, mine, answer_line, stdout,
                                     stderr):
            done[record[0]] = (mine, record)
        return _write_in_order(done, block_of, stdout, stderr)
    finally:
        for queue in queues:
            queue.close()
        for pid, _files in children:     # left behind by an error here: stopped, reaped
            _stop(pid)
        for f in opened:
            f.close()


def _plan(lines: list[str], workers: int, key) -> tuple[list, list[list[int]], bytearray]:
    """(blocks: each a sequence of line indices, in order; each worker's block numbers;
    each line's block number). The lines are grouped by key, the groups given to the
    workers largest first, each to the one with the fewest lines so far; a worker's lines
    (group by group, each in order) are cut into blocks of one size."""
    count = len(lines)
    if key is None:
        shares: list = [range(count)]
    else:
        groups: dict = {}
        for index, name in enumerate(map(key, lines)):
            found = groups.get(name)
            if found is None:
                found = groups[name] = array("l")
            found.append(index)
        shares = [array("l") for _ in range(workers)]
        for group in sorted(groups.values(), key=len, reverse=True):
            min(shares, key=len).extend(group)
    # at most BLOCKS in all: each share's last block may be short
    size = max(1, -(-count // max(1, BLOCKS - len(shares))))
    blocks: list = []
    owners: list[list[int]] = [[] for _ in range(workers)]
    block_of = bytearray(count)
    for worker, share in enumerate(shares):
        for start in range(0, len(share), size):
            block = share[start:start + size]
            if key is not None:
                block = array("l", sorted(block))      # a block may hold the end of one group and the next
            owners[worker].append(len(blocks))
            for index in block:
                block_of[index] = len(blocks)
            blocks.append(block)
    return blocks, owners, block_of


class _Queue:
    """Block numbers in a pipe, taken one byte at a time by whichever process asks
    first: a one-byte read is atomic, and a worker stopped at any moment holds nothing."""

    def __init__(self, numbers: list[int]) -> None:
        self.read, write = os.pipe()
        os.write(write, bytes(numbers))
        os.close(write)             # empty then reads as the end

    def take(self) -> int | None:
        taken = os.read(self.read, 1)
        return taken[0] if taken else None

    def close(self) -> None:
        os.close(self.read)


def _taker(queues: list[_Queue], worker: int):
    """take() for `worker`: its own queue's blocks, then the others' (the next worker's first)."""
    left = queues[worker:] + queues[:worker]

    def take() -> int | None:
        while left:
            number = left[0].take()
            if number is not None:
                return number
            left.pop(0)
        return None
    return take


def _answer_blocks(take, blocks, lines, files, answer_line, stdout, stderr) -> list[list]:
    """Answer the blocks `take()` hands out (None: no more) into `files` (out, err):
    [number, out start, each line's out bytes, err start, each line's err bytes, [line number,
    internal error] each] each."""
    out_file, err_file = files[0], files[1]
    out_code, err_code = (stdout.encoding, stdout.errors), (stderr.encoding, stderr.errors)
    records = []
    while (number := take()) is not None:
        outs, errs, failed = [], [], []
        for index in blocks[number]:
            out, err, error = answer_line(lines[index], index + 1)
            outs.append(out.encode(*out_code))
            errs.append(err.encode(*err_code) if err else b"")
            if error is not None:
                failed.append([index + 1, error])
        records.append([number, out_file.tell(), [len(b) for b in outs], err_file.tell(), [len(b) for b in errs],
                        failed])
        out_file.write(b"".join(outs))
        err_file.write(b"".join(errs))
    out_file.flush()
    err_file.flush()
    return records


def _write_in_order(done: dict, block_of: bytearray, stdout, stderr) -> tuple[int, list[str]]:
    """Every line's output copied out in the lines' order (in pieces of about FLUSH bytes),
    the counts summed."""
    texts: dict[int, tuple] = {}
    outs: list = [None] * len(done)         # per block: an iterator over its lines' out bytes
    errs: list = [None] * len(done)         # per block with stderr text: the same for it
    failed: list = []
    bad = 0
    for number in range(len(done)):
        files, (_number, out_start, out_sizes, err_start, err_sizes, errors) = done[number]
        if id(files) not in texts:
            texts[id(files)] = tuple(_contents(f) for f in files[:2])
        out, err = texts[id(files)]
        outs[number] = _pieces(out, out_start, out_sizes)
        if any(err_sizes):
            errs[number] = _pieces(err, err_start, err_sizes)
            bad += sum(1 for size in err_sizes if size)
        failed += errors
    stdout.flush()
    stderr.flush()
    write, pending, size = stdout.buffer.write, [], 0
    for number in block_of:
        piece = next(outs[number])
        pending.append(piece)
        size += len(piece)
        more = errs[number]
        if more is not None and len(said := next(more)):
            write(b"".join(pending))
            pending, size = [], 0
            stdout.buffer.flush()
            stderr.buffer.write(said)
        elif size >= FLUSH:
            write(b"".join(pending))
            pending, size = [], 0
    write(b"".join(pending))
    stdout.buffer.flush()
    stderr.buffer.flush()
    failed.sort(key=lambda item: item[0])
    return bad, [error for _number, error in failed]


def _pieces(view, start: int, sizes: list[int]):
    """An iterator over the slices of `view` from `start` of the given sizes, in order."""
    ends = list(accumulate(sizes, initial=start))
    return iter([view[a:b] for a, b in zip(ends, ends[1:])])


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


def _child(take, blocks, lines, files, answer_line, stdout, stderr) -> None:
    """The forked worker: answers blocks into memory until none is left, says which, and exits."""
    code = 3
    try:
        records = _answer_blocks(take, blocks, lines, files, answer_line, stdout, stderr)
        files[2].write(json.dumps(records).encode())
        files[2].flush()
        code = 0
    except BaseException:  # noqa: BLE001 - the parent answers its blocks again
        code = 3
    finally:
        os._exit(code)


def _reap(pid: int, files, blocks) -> list | None:
    """The worker's records, or None when it failed (its blocks are then answered again)."""
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    files[2].seek(0)
    try:
        records = [[int(r[0]), int(r[1]), [int(n) for n in r[2]], int(r[3]), [int(n) for n in r[4]],
                    [[int(n), str(x)] for n, x in r[5]]] for r in json.loads(files[2].read())]
        if any(len(r[2]) != len(blocks[r[0]]) or len(r[4]) != len(blocks[r[0]]) for r in records):
            return None
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    return records


def _stop(pid: int) -> None:
    import signal
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass

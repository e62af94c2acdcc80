"""`confcheck why` between the command line and the model: the request, its checks,
one answer or a batch, output.

cli.py keeps only the typer signature and confcheck/entry.py reads plain `why`
command lines without typer; both hand a `WhyArgs` to `run_why_command`, which
returns the exit code.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass, field

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class WhyUsageError(Exception):
    """Could not run as asked: exit 2 with this one line."""


@dataclass
class WhyArgs:
    url: str | None
    paths: list[str] = field(default_factory=list)
    method: str = "GET"
    headers: list[str] = field(default_factory=list)     # 'Name: value', as given
    client_ip: str = "127.0.0.1"
    body: str | None = None
    no_replay: bool = False
    batch: str | None = None
    configs: list[str] = field(default_factory=list)
    server: str | None = None
    root: str | None = None
    fs_snapshot: str | None = None
    no_fs: bool = False
    worker_user: str | None = None
    fmt: str = "text"
    color: bool | None = None
    app_settings: list[str] = field(default_factory=list)


def run_why_command(args: WhyArgs, stdin) -> int:
    from confcheck.servers.nginx.request import Request, RequestError, typed_headers, typed_url
    from confcheck.why import WhyOptions, prepare

    url, paths = args.url, list(args.paths)
    if args.batch is not None and url is not None and "://" not in url:
        paths.insert(0, url)        # `why --batch FILE repo/nginx`: no URL, the first PATH landed in url
        url = None
    if (url is None) == (args.batch is None):
        raise WhyUsageError("give either a URL or --batch FILE")
    if args.fmt == "sarif":
        raise WhyUsageError("--format sarif is for scan; why speaks text or json")
    if args.no_fs and args.fs_snapshot:
        raise WhyUsageError("--no-fs and --fs-snapshot contradict each other: pick one")
    headers = {}
    for item in args.headers:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise WhyUsageError(f"--header {item!r}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    dump = "-" in paths or "-" in args.configs
    if dump and "-" in (args.batch, args.body):
        raise WhyUsageError("standard input holds one thing: the `nginx -T` dump (PATH -), --batch - or --body -")
    options = WhyOptions(paths=paths, configs=list(args.configs), root=args.root, fs_snapshot=args.fs_snapshot,
                         no_fs=args.no_fs, worker_user=args.worker_user, server=args.server,
                         app_settings=list(args.app_settings), stdin=stdin if dump else None)
    if args.worker_user:
        from confcheck.inputs.model import InputError
        from confcheck.scan_cmd import ScanUsageError, check_worker_user
        try:
            check_worker_user(options)
        except (ScanUsageError, InputError) as exc:
            raise WhyUsageError(str(exc)) from None
    request = None
    if url is not None:
        try:
            request = Request.parse(typed_url(url), args.method, typed_headers(headers), args.client_ip,
                                    stated=True)
        except RequestError as exc:
            raise WhyUsageError(str(exc)) from None
    if args.body is not None and args.batch is not None:
        raise WhyUsageError("--body goes with one URL, not with --batch")
    data = _read_body(args.body, stdin) if args.body is not None else None
    from confcheck.gcpause import gc_paused
    with gc_paused():   # one pause for reading and answering: the tree is large and acyclic
        prepared = prepare(options, later=args.batch is not None)
        prepared.replay.body, prepared.replay.replay = data, not args.no_replay
        return _why_run(prepared, request, args, stdin)


def _read_body(path: str, stdin) -> bytes:
    if path == "-":
        return stdin.buffer.read()
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise WhyUsageError(f"--body {path}: cannot read: {exc.strerror}") from None


def open_text(path: str, stdin=None):
    """A UTF-8 text file (or `-`, stdin) whose undecodable bytes stay as surrogates:
    a log may hold a path in any encoding, and a bad batch line is that line's error."""
    if path == "-":
        import io
        return io.TextIOWrapper((stdin or sys.stdin).buffer, encoding="utf-8", errors="surrogateescape")
    try:
        return open(path, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise WhyUsageError(f"{path}: cannot read: {exc.strerror}") from None


def _report_internal(errors: list[str]) -> int:
    """After everything was answered: one stderr line per internal error; exit 3."""
    from confcheck.isolation import report_lines
    sys.stderr.write("".join(line + "\n" for line in report_lines(errors)))
    return EXIT_INTERNAL


def _why_run(prepared, request, args: WhyArgs, stdin) -> int:
    from confcheck.servers.nginx.request import RequestError
    from confcheck.why import explain

    if request is not None:
        _settled(prepared, batch=False)
        try:
            outcome = explain(prepared, request)
        except RequestError as exc:
            raise WhyUsageError(str(exc)) from None
        _emit_why(outcome, args.fmt, args.color, prepared)
        if outcome.internal_error is not None:
            return _report_internal([f"internal error: {outcome.internal_error}"])
        return EXIT_OK
    try:
        stream = open_text(args.batch, stdin)
    except WhyUsageError:
        _settled(prepared, batch=True)      # the configuration's errors come first
        raise
    import json

    pool = None
    ready = functools.partial(_settled, prepared, batch=True)
    if prepared.replay is not None and prepared.model.outside:     # a WAF in front: it is replayed
        from confcheck.waf_replay.throwaway import Pool
        ready()
        ready = None
        pool = prepared.replay.pool = Pool()     # one replay server per WAF configuration for the batch
    try:
        bad, failed = _why_batch(prepared, stream, json, ready)
    finally:
        if pool is not None:
            pool.close()
    if failed:
        return _report_internal(failed)
    return EXIT_USAGE if bad else EXIT_OK


def _settled(prepared, *, batch: bool) -> None:
    """The configuration's checks done (prepare(later=True) leaves them): with errors, nothing is
    answered; a batch then says what was read."""
    prepared.settle()
    if prepared.errors:
        for diag in prepared.errors:
            sys.stderr.write(f"confcheck: {diag}\n")
        raise WhyUsageError("the configuration has errors (above): its answers cannot be trusted")
    if batch and prepared.reading is not None:
        from confcheck.inputs import inputs_line
        sys.stderr.write(f"confcheck: {inputs_line(prepared.reading)}\n")


def _why_batch(prepared, stream, json, ready) -> tuple[int, list[str]]:
    """(bad request lines, internal errors as `line N: ...`): every line is answered, after
    `ready()` (None: already done), which forked workers answer alongside."""
    from confcheck.why_batch import answerer, split_key
    from confcheck.why_workers import answer_split, whole_file, worker_count

    answer_line = _line_answerer(answerer(prepared), json)
    lines = whole_file(stream)
    workers = 1 if lines is None else worker_count(prepared, len(lines), sys.stdout, sys.stderr)
    if workers > 1:
        _warm(answer_line, lines)
        return answer_split(lines, workers, answer_line, sys.stdout, sys.stderr, meanwhile=ready,
                            key=split_key(prepared))
    if ready is not None:
        ready()
    return _answer_lines(answer_line, stream if lines is None else lines, sys.stdout, sys.stderr)


def _warm(answer_line, lines: list[str]) -> None:
    """One line answered before the split, its answer dropped: what a process makes at its
    first answer (the look-alike finder, the server index, the model's tables, compiled
    patterns, lazy imports) is made once and inherited by the workers. Made in each, it
    cost each one its making and a copy of every page it touched (after a fork, the first
    write to a shared page copies it: ~3,000 fewer per worker on a 2,000-server tree)."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            answer_line(line, number)
            return


def _line_answerer(answer, json):
    """(line, its number) -> (its JSON line and newline, its error line for stderr, its internal
    error as `internal error: line N: ...` or None): a blank line has neither; a line with an
    error line is a bad request line (not JSON, no URL, a malformed one), answered with
    `{"request": null, "error": ...}`."""
    from confcheck.servers.nginx.request import RequestError
    from confcheck.why import parse_batch_line

    def answer_line(line: str, number: int) -> tuple[str, str, str | None]:
        if not line.strip():
            return "", "", None
        try:
            request = parse_batch_line(line, number)
            try:
                text, error = answer(request)
            except RequestError as exc:     # one the configuration refuses (no listen on its port)
                raise RequestError(f"line {number}: {exc}") from None
        except RequestError as exc:
            return (json.dumps({"request": None, "error": str(exc)}, ensure_ascii=True) + "\n",
                    f"confcheck: {exc}\n", None)
        return text + "\n", "", None if error is None else f"internal error: line {number}: {error}"
    return answer_line


# answers of a batch file written together, ~40 KB (a pipe's: each as it comes); a join past
# malloc's mmap threshold (128 KB) gets fresh pages each time: 256 lines cost ~5,000 page faults
WRITE_LINES = 32


def _answer_lines(answer_line, lines, out, err) -> tuple[int, list[str]]:
    """Every line answered in one process, in order."""
    bad, failed, pending = 0, [], []
    together = WRITE_LINES if isinstance(lines, list) else 1
    for number, line in enumerate(lines, start=1):
        text, said, error = answer_line(line, number)
        if said:
            bad += 1
            out.write("".join(pending))
            pending = []
            err.write(said)
        if error is not None:
            failed.append(error)
        pending.append(text)
        if len(pending) >= together:
            out.write("".join(pending))
            pending = []
    out.write("".join(pending))
    return bad, failed


def _emit_why(outcome, fmt: str, color: bool | None, prepared) -> None:
    from confcheck.inputs import inputs_json, inputs_line
    root = None
    if fmt == "json":
        import json
        doc = outcome.to_json()
        if prepared.reading is not None:
            doc["inputs"] = inputs_json(prepared.reading)
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=True) + "\n")
        return
    from confcheck.output.text import printable, want_colour
    from confcheck.output.why_text import render_why
    if prepared.reading is not None:
        root = prepared.reading.inputs.root
        sys.stdout.write(printable(inputs_line(prepared.reading)) + "\n")
    sys.stdout.write(render_why(outcome, colour=want_colour(sys.stdout, color), root=root))

"""`confcheck scan` between the command line and the engine: settings, rule
selection, pre-commit context, progress, per-file ignores, baseline, output.

cli.py keeps only the typer signature; everything it parsed arrives here as a
`ScanArgs`, and `run_scan_command` returns the exit code.

Precedence: a flag given on the command line beats the settings file
(confcheck/settings.py), which beats the built-in default; key by key.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class ScanUsageError(Exception):
    """Bad arguments or settings: exit 2 with this one line."""


@dataclass
class ScanArgs:
    paths: list[str]
    configs: list[str] = field(default_factory=list)
    server: str | None = None
    root: str | None = None
    fs_snapshot: str | None = None
    no_fs: bool = False
    worker_user: str | None = None
    fmt: str = "text"
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    fail_on: str | None = None
    color: bool | None = None
    settings: str | None = None
    isolated: bool = False
    baseline: str | None = None
    update_baseline: bool = False
    context: bool = False
    progress: bool | None = None
    app_settings: list[str] = field(default_factory=list)
    cache: bool = True          # --no-cache: neither use nor write confcheck/scan_cache.py's entries


def _split(values) -> list[str]:
    """`--select FS101,NGX --select NGX105` -> ["FS101", "NGX", "NGX105"]."""
    out = []
    for value in values:
        out += [v.strip().upper() for v in value.split(",") if v.strip()]
    return out


def expand_ids(patterns, registry, where: str) -> frozenset[str]:
    """Rule ids and id prefixes ("NGX", "ALL") -> the exact ids they name."""
    ids = [r.id for r in registry.all()]
    out = set()
    for pattern in patterns:
        hits = [i for i in ids if pattern == "ALL" or i.startswith(pattern)]
        if not hits:
            raise ScanUsageError(f"{where}: unknown rule {pattern!r}; `confcheck rules` lists them")
        out.update(hits)
    return frozenset(out)


def run_scan_command(args: ScanArgs, stdin) -> int:
    from confcheck.settings import SettingsError, load_settings

    if args.no_fs and args.fs_snapshot:
        raise ScanUsageError("--no-fs and --fs-snapshot contradict each other: pick one")
    try:
        settings = load_settings(explicit=args.settings, isolated=args.isolated)
    except SettingsError as exc:
        raise ScanUsageError(str(exc)) from None
    baseline = args.baseline
    if baseline is None and settings.baseline:
        baseline = os.path.join(settings.root, settings.baseline)
    cached = (args.cache and not os.environ.get("CONFCHECK_NO_CACHE") and args.no_fs and not args.update_baseline
              and "-" not in args.paths)
    # looked up before the rules are imported (most of a small scan's start-up): the key holds the
    # code, the arguments, the settings and the baseline's bytes, so the run that made an entry passed
    # every check below but the worker user's, which reads the disk and stays ahead of the lookup
    early = cached and not (args.worker_user or settings.worker_user)
    if early:
        code = _replay(args, settings, baseline)
        if code is not None:
            return code
    from confcheck.registry import load_rules
    where = settings.path or "settings"
    registry = load_rules()
    cli_select, cli_ignore = _split(args.select), _split(args.ignore)
    select = (expand_ids(cli_select, registry, "--select") if cli_select else
              expand_ids(settings.select, registry, where) if settings.select is not None else None)
    ignore = (expand_ids(cli_ignore, registry, "--ignore") if cli_ignore else
              expand_ids(settings.ignore, registry, where))
    for _pattern, ids in settings.per_file_ignores:
        expand_ids(ids, registry, f"{where}: per-file-ignores")
    if args.update_baseline and baseline is None:
        raise ScanUsageError("--update-baseline needs --baseline FILE (or `baseline` in the settings)")
    accepted = None
    if baseline is not None and not args.update_baseline:
        from confcheck.baseline import BaselineError, read_baseline
        try:
            accepted = read_baseline(baseline)
        except BaselineError as exc:
            raise ScanUsageError(str(exc)) from None

    if args.worker_user or settings.worker_user:
        from confcheck.engine import ScanOptions
        check_worker_user(ScanOptions(root=args.root, fs_snapshot=args.fs_snapshot, no_fs=args.no_fs,
                                      worker_user=args.worker_user or settings.worker_user))
    from confcheck.progress import start_progress
    progress = start_progress(sys.stderr, args.fmt == "text" and args.progress is not False)
    if not cached:
        return _scan(args, settings, select, ignore, baseline, accepted, registry, progress, stdin, {})
    if not early:
        code = _replay(args, settings, baseline)
        if code is not None:
            if progress is not None:
                progress.close()
            return code
    from confcheck import scan_cache
    key = scan_cache.entry_key(args, settings, baseline)
    ran: dict = {}
    with scan_cache.recording() as captured:
        code = _scan(args, settings, select, ignore, baseline, accepted, registry, progress, stdin, ran)
    if code != EXIT_INTERNAL and not scan_cache.machine_fallback(ran.get("reading"), captured):
        scan_cache.store(key, captured, code)
    return code


def _replay(args: ScanArgs, settings, baseline: str | None) -> int | None:
    """The exit code of a cached answer, written out as the run that made it wrote it; None without one."""
    from confcheck import scan_cache
    entry = scan_cache.lookup(scan_cache.entry_key(args, settings, baseline))
    if entry is None:
        return None
    sys.stdout.write(entry["stdout"])
    sys.stderr.write(entry["stderr"])
    return entry["code"]


def _scan(args: ScanArgs, settings, select, ignore, baseline, accepted, registry, progress, stdin,
          ran: dict) -> int:
    """run_scan and everything after it: the part of a scan whose answer can be cached
    (`ran` gets what was read, for the cache to judge)."""
    from confcheck.engine import ScanOptions, run_scan
    from confcheck.findings import severity_rank
    from confcheck.settings import per_file_ignored

    fail_on = args.fail_on or settings.fail_on or "warning"
    options = ScanOptions(
        paths=list(args.paths), configs=list(args.configs), server=args.server or settings.server,
        root=args.root, fs_snapshot=args.fs_snapshot, no_fs=args.no_fs,
        worker_user=args.worker_user or settings.worker_user, select=select, ignore=ignore,
        context=args.context, app_settings=list(args.app_settings) or list(settings.app_settings))
    options.progress = progress
    try:
        result = run_scan(options, stdin=stdin)
    finally:
        if progress is not None:
            progress.close()
    ran["reading"] = result.reading

    if settings.per_file_ignores:
        kept = [f for f in result.findings
                if not per_file_ignored(settings, f.rule, f.span.source.realpath if f.span else None)]
        result = dataclasses.replace(result, findings=kept)
    if args.update_baseline:
        from confcheck.baseline import BaselineError, write_baseline
        try:
            write_baseline(baseline, result.findings, settings.root)
        except BaselineError as exc:
            raise ScanUsageError(str(exc)) from None
        sys.stderr.write(f"confcheck: wrote {len(result.findings)} finding"
                         f"{'s' if len(result.findings) != 1 else ''} to the baseline {baseline}\n")
        return EXIT_USAGE if result.errors else EXIT_OK
    accepted_count = 0
    if accepted is not None:
        from confcheck.baseline import apply_baseline
        filtered = apply_baseline(result.findings, accepted, settings.root)
        result = dataclasses.replace(result, findings=filtered.findings)
        accepted_count = filtered.accepted

    _emit(result, args, settings.root, registry, accepted_count, baseline)
    if result.failures:
        # after everything else was written: each contained internal error, then exit 3
        from confcheck.isolation import report_lines
        sys.stderr.write("".join(line + "\n" for line in report_lines(result.failures)))
        return EXIT_INTERNAL
    if result.errors:
        return EXIT_USAGE
    threshold = severity_rank(fail_on)
    if any(severity_rank(f.severity) >= threshold for f in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def check_worker_user(options) -> None:
    """ScanUsageError when --worker-user names no account of the disk looked at (scan, why)."""
    from confcheck.engine import open_fs
    from confcheck.fs.identity import UnknownUser, resolve_identity
    fs = open_fs(options)
    if fs is None:
        return
    try:
        resolve_identity(fs, options.worker_user, None)
    except UnknownUser as exc:
        raise ScanUsageError(f"--worker-user: {exc}") from None


def _emit(result, args: ScanArgs, root: str, registry, accepted: int, baseline: str | None) -> None:
    from confcheck.gcpause import gc_paused
    # the findings' documents and text are acyclic: a collection here would only walk the
    # scan's whole tree again (a fifth of a second on 2,000 servers), to free nothing
    with gc_paused():
        _write(result, args, root, registry, accepted, baseline, sys.stdout)


def _write(result, args: ScanArgs, root: str, registry, accepted: int, baseline: str | None, out) -> None:
    if args.fmt == "json":
        from confcheck.output.json_out import scan_document
        from confcheck.output.json_text import write
        doc = scan_document(result, encoded=True)
        if result.reading is not None:
            from confcheck.inputs import inputs_json
            doc["inputs"] = inputs_json(result.reading)
        if baseline is not None:
            doc["summary"]["baseline_accepted"] = accepted
        write(doc, out)
        out.write("\n")
    elif args.fmt == "sarif":
        from confcheck.output.json_text import write
        from confcheck.output.sarif import sarif_document
        write(sarif_document(result, registry.all(), root), out)
        out.write("\n")
    elif args.fmt == "github":
        from confcheck.output.github import render_github
        out.write(render_github(result, root))
    else:
        from confcheck.output.text import render_scan, want_colour
        out.write(render_scan(result, colour=want_colour(out, args.color), root=args.root))
        if baseline is not None:
            out.write(f"{accepted} finding{'s' if accepted != 1 else ''} accepted by the baseline {baseline}.\n")

"""`confcheck report hosts/*.json`: one fleet view from the per-host results.

Exit codes follow the contract on the merged view: 2 when a host failed to scan
(its file is missing a scan, unparsable, or the scan itself exited 2/3: the fleet
is not known to be clean), else 1 when a finding (a new one, with --baseline) is
at or above --fail-on, else 0. The report is written in every case.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class ReportUsageError(Exception):
    """Bad arguments: exit 2 with this one line."""


@dataclass
class ReportArgs:
    paths: list
    fmt: str = "text"
    output: str | None = None
    baseline: str | None = None
    fail_on: str = "warning"
    color: bool | None = None


def host_files(paths) -> list[str]:
    """Files as given; a directory stands for the *.json files in it (sorted)."""
    out = []
    for path in paths:
        if os.path.isdir(path):
            out.extend(os.path.join(path, n) for n in sorted(os.listdir(path)) if n.endswith(".json"))
        else:
            out.append(path)
    return out


def run_report_command(args: ReportArgs) -> int:
    from confcheck.fleet.merge import merge

    files = host_files(args.paths)
    if not files:
        raise ReportUsageError("no host files: give the JSON files the playbook fetched (hosts/*.json) or their folder")
    if args.baseline is not None and not os.path.isdir(args.baseline):
        raise ReportUsageError(f"--baseline {args.baseline}: not a directory (give the folder of an earlier run's host files)")
    view = merge(files, args.baseline)
    if args.output:
        _write(args.output, lambda out: _render(view, args, out))
        sys.stderr.write(f"confcheck: wrote {args.output}\n")
    else:
        _render(view, args, sys.stdout)
    if view.failed:
        return EXIT_USAGE
    return EXIT_FINDINGS if view.failing(args.fail_on) else EXIT_OK


def _write(path: str, render) -> None:
    """A regular file is replaced whole (no half-written report); a device or pipe
    (/dev/stdout, a fifo) is written to as it is."""
    try:
        if os.path.exists(path) and not os.path.isfile(path):
            with open(path, "w", encoding="utf-8") as fh:
                render(fh)
            return
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            render(fh)
        os.replace(tmp, path)
    except OSError as exc:
        raise ReportUsageError(f"{path}: cannot write: {exc.strerror}") from None


def _render(view, args: ReportArgs, out) -> None:
    if args.fmt == "json":
        from confcheck.output.report_json import write_report
        write_report(view, out)
    elif args.fmt == "html":
        from confcheck.output.report_html import write_html
        write_html(view, out)
    else:
        from confcheck.output.report_text import render_report
        from confcheck.output.text import want_colour
        colour = want_colour(sys.stdout, args.color) if not args.output else bool(args.color)
        out.write(render_report(view, colour=colour))

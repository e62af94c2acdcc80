"""The console entry point, and the short way in for plain `scan` and `why` command lines.

Importing typer costs more than the rest of a one-vhost `scan --no-fs` (issue 14:
start to exit under 150 ms, pre-commit runs it on every commit). A `scan` or `why`
command line made only of the options below, each written `--name value` (or
`-X value`) and given once, is read here and handed to the same run_scan_command
or run_why_command the typer command calls; anything else (help, `--opt=value`,
`--`, other commands, an unknown option or value, `--debug`) goes to typer
(confcheck/cli.py), which also says what is wrong with it. tests/speed/test_entry.py
runs both ways on the same command lines and compares what they print and their
exit codes.
"""

from __future__ import annotations

import sys

EXIT_OK, EXIT_USAGE, EXIT_INTERNAL = 0, 2, 3

# --flag -> (ScanArgs field, value)
_FLAGS = {
    "--no-fs": ("no_fs", True), "--isolated": ("isolated", True), "--context": ("context", True),
    "--update-baseline": ("update_baseline", True), "--progress": ("progress", True),
    "--no-progress": ("progress", False), "--color": ("color", True), "--no-color": ("color", False),
    "--cache": ("cache", True), "--no-cache": ("cache", False),
}
# --option VALUE -> (ScanArgs field, the values typer accepts or None for any, repeatable)
_VALUED = {
    "--format": ("fmt", ("text", "json", "sarif", "github"), False),
    "--fail-on": ("fail_on", ("info", "warning", "error"), False),
    "--server": ("server", ("nginx", "apache"), False),
    "--select": ("select", None, True), "--ignore": ("ignore", None, True), "--config": ("configs", None, True),
    "--root": ("root", None, False), "--baseline": ("baseline", None, False),
    "--worker-user": ("worker_user", None, False), "--fs-snapshot": ("fs_snapshot", None, False),
    "--settings": ("settings", None, False), "--app-settings": ("app_settings", None, True),
}
# the same for `why` (WhyArgs fields)
_WHY_FLAGS = {
    "--no-fs": ("no_fs", True), "--no-replay": ("no_replay", True),
    "--color": ("color", True), "--no-color": ("color", False),
}
_WHY_VALUED = {
    "--format": ("fmt", ("text", "json", "sarif"), False),
    "--server": ("server", ("nginx", "apache"), False),
    "--method": ("method", None, False), "-X": ("method", None, False),
    "--header": ("headers", None, True), "-H": ("headers", None, True),
    "--client-ip": ("client_ip", None, False), "--body": ("body", None, False), "--batch": ("batch", None, False),
    "--config": ("configs", None, True), "--root": ("root", None, False),
    "--fs-snapshot": ("fs_snapshot", None, False), "--worker-user": ("worker_user", None, False),
    "--app-settings": ("app_settings", None, True),
}


def _plain(rest: list[str], flags: dict, valued: dict, fields: dict) -> list[str] | None:
    """Read `rest` into `fields` (flags and options); the positional arguments, or None
    when anything in it is for typer to read."""
    given: set[str] = set()
    positional: list[str] = []
    i = 0
    while i < len(rest):
        token = rest[i]
        if token in given:
            return None
        if token in flags:
            name, value = flags[token]
            if name in fields:
                return None          # --color and --no-color both: typer's to judge
            fields[name] = value
            given.add(token)
        elif token in valued:
            name, allowed, repeatable = valued[token]
            if i + 1 >= len(rest):
                return None
            value = rest[i + 1]
            if value.startswith("-") or (allowed is not None and value not in allowed):
                return None
            if repeatable:
                fields.setdefault(name, []).append(value)
            elif name in fields:
                return None          # `-X GET --method POST`: one option under two names
            else:
                fields[name] = value
            i += 1
        elif token.startswith("-") and token != "-":
            return None
        else:
            positional.append(token)
        i += 1
    return positional


def plain_scan(argv: list[str]) -> dict | None:
    """The ScanArgs fields of a plain `scan` command line, or None for typer to read it."""
    if not argv or argv[0] != "scan":
        return None
    fields: dict = {"select": [], "ignore": [], "configs": []}
    positional = _plain(argv[1:], _FLAGS, _VALUED, fields)
    if positional is None:
        return None
    fields["paths"] = positional
    return fields


def plain_why(argv: list[str]) -> dict | None:
    """The WhyArgs fields of a plain `why` command line, or None for typer to read it."""
    if not argv or argv[0] != "why":
        return None
    fields: dict = {}
    positional = _plain(argv[1:], _WHY_FLAGS, _WHY_VALUED, fields)
    if positional is None:
        return None
    fields["url"], fields["paths"] = (positional[0] if positional else None), positional[1:]
    return fields


def _short(command: str, fields: dict) -> int:
    """`scan` or `why` read the short way: the same run_*_command the typer command calls."""
    if command == "scan":
        from confcheck.scan_cmd import ScanArgs as Args, ScanUsageError as UsageError, run_scan_command as run
    else:
        from confcheck.why_cmd import WhyArgs as Args, WhyUsageError as UsageError, run_why_command as run
    try:
        return run(Args(**fields), sys.stdin)
    except UsageError as exc:
        sys.stderr.write(f"confcheck: {exc}\n")
        return EXIT_USAGE


def guarded(call, debug: bool) -> int:
    """call(): its exit code, with what escapes it mapped onto the contract's codes
    (the typer path's main() and the short path share it)."""
    try:
        return call()
    except KeyboardInterrupt:
        sys.stderr.write("confcheck: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place internal errors are caught
        from confcheck.inputs.model import InputError
        if isinstance(exc, InputError):
            sys.stderr.write(f"confcheck: {exc}\n")
            return EXIT_USAGE
        from confcheck.isolation import REPORT_URL
        if debug:
            import traceback
            traceback.print_exc()
        sys.stderr.write(f"confcheck: internal error: {type(exc).__name__}: {exc}{_where(exc)}; "
                         f"please report it at {REPORT_URL} (rerun with --debug for details)\n")
        return EXIT_INTERNAL


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return ""
    return f" (at {last.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{last.tb_lineno})"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for command, plain in (("scan", plain_scan), ("why", plain_why)):
        fields = plain(argv)
        if fields is not None:
            return guarded(lambda: _short(command, fields), debug=False)
    from confcheck.cli import main as typer_main
    return typer_main(argv)


def run() -> None:
    """Console entry point: exit without tearing down the parsed trees object by
    object (a large config's teardown costs a third of a config-only scan)."""
    import gc
    import os

    # A command-line run builds one large, mostly acyclic tree and then exits:
    # the cyclic collector would only re-scan it (a full pass costs ~0.3 s on
    # 2,000 server blocks). Library callers keep their collector.
    gc.disable()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)

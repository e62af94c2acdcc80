"""The command line (typer). Heavy modules are imported inside commands so that
`confcheck scan one.conf` starts fast (pre-commit runs it often).

Exit codes (../shared/CONTRACT.md): 0 clean, 1 findings at or above the
failing severity, 2 could not run as asked, 3 internal error.
"""

from __future__ import annotations

import os
import re
import sys
from enum import Enum
from typing import List, Optional

import typer

from confcheck.isolation import report_lines

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    name="confcheck",
    help="Find why nginx or Apache answers 403: configs, requests and the disk as the worker sees it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


# why, explain and rules take Format's `sarif` only to refuse it with a message naming scan
_TEXT_OR_JSON = "text or json (sarif is for scan)."


class Server(str, Enum):
    nginx = "nginx"
    apache = "apache"


class Severity(str, Enum):
    info = "info"
    warning = "warning"
    error = "error"


class UsageError(Exception):
    """Could not run as asked: exit 2 with this one-line message."""


def _fail(message: str) -> None:
    raise UsageError(message)


class ScanFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


@app.command(epilog="Examples:\n\n  confcheck scan /etc/nginx /var/www\n\n"
             "  confcheck scan --no-fs sites-available/shop.conf\n\n"
             "  confcheck scan --root /mnt/image --format json\n\n"
             "  confcheck scan --fs-snapshot fs.json nginx-conf/\n\n"
             "  confcheck scan --no-fs --context --format sarif nginx/ > confcheck.sarif\n\n"
             "  confcheck scan --baseline .confcheck-baseline.json --update-baseline\n\n"
             "  nginx -T | confcheck scan -\n\n"
             "Settings: the nearest .confcheck.toml or pyproject.toml \\[tool.confcheck] "
             "(select, ignore, fail-on, per-file-ignores, worker-user, server, baseline); "
             "flags override them.")
def scan(
    paths: List[str] = typer.Argument(None, help="Config files or directories (searched for nginx and Apache "
                                      "configs and .htaccess), an `nginx -T` dump (`-` for stdin), or served trees "
                                      "(/var/www: a directory without config) to limit the disk walk. Default: this "
                                      "machine's standard locations, read only when nothing named is config. "
                                      "Example: sites-available/"),
    config: List[str] = typer.Option([], "--config", help="The main config file (repeatable). "
                                     "Example: --config /etc/nginx/nginx.conf"),
    server: Optional[Server] = typer.Option(None, "--server", help="nginx or apache, when detection is "
                                            "ambiguous. Example: --server apache"),
    root: Optional[str] = typer.Option(None, "--root", metavar="DIR",
                                       help="Treat DIR as / (an image or a mounted server). Example: --root /mnt/image"),
    fs_snapshot: Optional[str] = typer.Option(None, "--fs-snapshot", metavar="FILE",
                                              help="Use a snapshot from `confcheck snapshot` instead of the live disk. "
                                              "Example: --fs-snapshot fs.json"),
    no_fs: bool = typer.Option(False, "--no-fs", help="Config-only: read nothing but the configs (pre-commit). "
                               "Example: --no-fs"),
    worker_user: Optional[str] = typer.Option(None, "--worker-user", metavar="NAME",
                                              help="The worker's user, overriding what the config says. "
                                              "Example: --worker-user www-data"),
    fmt: ScanFormat = typer.Option(ScanFormat.text, "--format",
                                   help="text, json, sarif (GitHub code scanning) or github (workflow "
                                   "annotations). Example: --format sarif"),
    select: List[str] = typer.Option([], "--select", metavar="IDS",
                                     help="Run only these rules: ids or prefixes, comma-separated or repeated. "
                                     "Example: --select NGX,FS101"),
    ignore: List[str] = typer.Option([], "--ignore", metavar="IDS",
                                     help="Skip these rules: ids or prefixes. Example: --ignore NGX106"),
    fail_on: Optional[Severity] = typer.Option(None, "--fail-on",
                                               help="Exit 1 when a finding has this severity or higher "
                                               "(default: warning). Example: --fail-on error"),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Force colour on or off. Example: --no-color"),
    settings: Optional[str] = typer.Option(None, "--settings", metavar="FILE",
                                           help="Read settings from FILE instead of the nearest .confcheck.toml "
                                           "or pyproject.toml. Example: --settings ci/confcheck.toml"),
    isolated: bool = typer.Option(False, "--isolated", help="Ignore every settings file. Example: --isolated"),
    baseline: Optional[str] = typer.Option(None, "--baseline", metavar="FILE",
                                           help="Accept the findings recorded in FILE; report only new ones. "
                                           "Example: --baseline .confcheck-baseline.json"),
    update_baseline: bool = typer.Option(False, "--update-baseline",
                                         help="Write today's findings to the --baseline FILE and exit 0. "
                                         "Example: --baseline b.json --update-baseline"),
    context: bool = typer.Option(False, "--context",
                                 help="Check each file in the context of the main configs under the current "
                                 "directory that include it (the pre-commit hook). Example: --no-fs --context "
                                 "snippets/php.conf"),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress",
                                            help="Progress on stderr (default: on a terminal, text output, "
                                            "after a second). Example: --no-progress"),
    app_settings: List[str] = typer.Option([], "--app-settings", metavar="[HOST=]FILE",
                                           help="A Django settings file behind the proxy (repeatable; also found "
                                           "from manage.py in the PATHs named); HOST= links it to the server "
                                           "block answering HOST. Example: --app-settings shop/settings.py"),
    cache: bool = typer.Option(True, "--cache/--no-cache",
                               help="Reuse the answer of an earlier --no-fs scan when no file it read changed "
                               "(kept in $CONFCHECK_CACHE_DIR, else $XDG_CACHE_HOME/confcheck or ~/.cache/confcheck; "
                               "safe to delete). Example: --no-cache"),
) -> None:
    """Find likely causes of 403 (and their 404/500 neighbours) in configs and on disk."""
    from confcheck.scan_cmd import ScanArgs, ScanUsageError, run_scan_command

    args = ScanArgs(paths=list(paths or []), configs=list(config), server=server.value if server else None,
                    root=root, fs_snapshot=fs_snapshot, no_fs=no_fs, worker_user=worker_user,
                    fmt=fmt.value, select=list(select), ignore=list(ignore),
                    fail_on=fail_on.value if fail_on else None, color=color, settings=settings,
                    isolated=isolated, baseline=baseline, update_baseline=update_baseline,
                    context=context, progress=progress, app_settings=list(app_settings), cache=cache)
    try:
        code = run_scan_command(args, sys.stdin)
    except ScanUsageError as exc:
        _fail(str(exc))
    if code:
        raise typer.Exit(code)


def _check_rule_ids(ids: list[str]) -> None:
    if not ids:
        return
    from confcheck.registry import load_rules
    registry = load_rules()
    for rule_id in ids:
        if registry.get(rule_id) is None:
            _fail(f"unknown rule {rule_id!r}; `confcheck rules` lists them")


@app.command(epilog="Examples:\n\n  confcheck why https://shop.example.com/uploads/a.png\n\n"
             "  confcheck why http://site.test/admin/ --method POST --client-ip 10.1.2.3 --config /etc/nginx/nginx.conf\n\n"
             "  confcheck why http://site.test/private/ --header 'Authorization: Basic YWxpY2U6c2VjcmV0'\n\n"
             "  confcheck why --batch requests.jsonl --format json")
def why(
    url: Optional[str] = typer.Argument(None, help="http://host[:port]/path[?query]: host and port select the server block."),
    paths: List[str] = typer.Argument(None, help="Config files or directories, as `scan` takes them "
                                      "(default: --config, else this machine's standard locations)."),
    method: str = typer.Option("GET", "--method", "-X", help="HTTP method."),
    header: List[str] = typer.Option([], "--header", "-H", help="A request header, 'Name: value' (repeatable)."),
    client_ip: str = typer.Option("127.0.0.1", "--client-ip", help="The client's address (allow/deny rules)."),
    body: Optional[str] = typer.Option(None, "--body", metavar="FILE",
                                       help="The request body (`-` for stdin): a WAF replay sends it."),
    no_replay: bool = typer.Option(False, "--no-replay",
                                   help="Do not replay the request through the real ModSecurity engine."),
    batch: Optional[str] = typer.Option(None, "--batch", metavar="FILE",
                                        help="One JSON request per line ({\"url\", \"method\", \"headers\", \"client_ip\"}); `-` for stdin."),
    config: List[str] = typer.Option([], "--config", help="The main config file (default: this machine's)."),
    server: Optional[Server] = typer.Option(None, "--server", help="nginx or apache, when detection is ambiguous."),
    root: Optional[str] = typer.Option(None, "--root", metavar="DIR", help="Treat DIR as / (an image or a mounted server)."),
    fs_snapshot: Optional[str] = typer.Option(None, "--fs-snapshot", metavar="FILE",
                                              help="Use a snapshot instead of the live disk."),
    no_fs: bool = typer.Option(False, "--no-fs", help="Do not read the disk (answers that need it become unknown)."),
    worker_user: Optional[str] = typer.Option(None, "--worker-user", metavar="NAME", help="The worker's user."),
    fmt: Format = typer.Option(Format.text, "--format", help=_TEXT_OR_JSON),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Force colour on or off."),
    app_settings: List[str] = typer.Option([], "--app-settings", metavar="[HOST=]FILE",
                                           help="A Django settings file behind the proxy (repeatable); HOST= links "
                                           "it to the server block answering HOST. Example: --app-settings "
                                           "shop.example.com=shop/settings.py"),
) -> None:
    """Predict what nginx or Apache answers to one request, and why, step by step."""
    from confcheck.why_cmd import WhyArgs, WhyUsageError, run_why_command

    args = WhyArgs(url=url, paths=list(paths or []), method=method, headers=list(header), client_ip=client_ip,
                   body=body, no_replay=no_replay, batch=batch, configs=list(config),
                   server=server.value if server is not None else None, root=root, fs_snapshot=fs_snapshot,
                   no_fs=no_fs, worker_user=worker_user, fmt=fmt.value, color=color,
                   app_settings=list(app_settings))
    try:
        code = run_why_command(args, sys.stdin)
    except WhyUsageError as exc:
        _fail(str(exc))
    if code:
        raise typer.Exit(code)


def _report_internal(errors: list[str]) -> None:
    """After everything was answered: one stderr line per internal error, then exit 3."""
    sys.stderr.write("".join(line + "\n" for line in report_lines(errors)))
    raise typer.Exit(EXIT_INTERNAL)


def _open_text(path: str):
    """A log file (or `-`, stdin) as why_cmd.open_text reads a batch."""
    from confcheck.why_cmd import WhyUsageError, open_text
    try:
        return open_text(path)
    except WhyUsageError as exc:
        _fail(str(exc))


# what logrotate leaves (error.log.2.gz; compress with bzip2 or xz when configured so)
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "lzma"))
# a combined/common access-log line: `ADDR IDENT USER [TIME] "REQUEST" STATUS`
_ACCESS_LINE = re.compile(r'^\S+ \S+ \S+ \[[^\]]+\] "[^"]*" \d{3}\b')


def _log_lines(path: str) -> list[str]:
    """The lines of an error log, read through gzip/bzip2/xz when logrotate compressed it."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
    except OSError as exc:
        _fail(f"{path}: cannot read: {exc.strerror}")
    module = next((name for magic, name in _COMPRESSED if head.startswith(magic)), None)
    if module is None:
        return _open_text(path).read().splitlines()
    import importlib
    try:
        with importlib.import_module(module).open(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError, ValueError) as exc:
        _fail(f"{path}: cannot read it as {module} data: {exc}")
    return data.decode("utf-8", "surrogateescape").splitlines()


@app.command(epilog="Examples:\n\n"
             "  confcheck explain '2026/11/21 09:00:00 \\[error] 7#7: *1 open() \"/srv/a.html\" failed (13: Permission denied), ...'\n\n"
             "  tail -n 200 /var/log/nginx/error.log | confcheck explain\n\n"
             "  confcheck explain --log /var/log/apache2/error.log --since 1h --format json")
def explain(
    lines: List[str] = typer.Argument(None, metavar="[LOGLINE]...", help="Error-log lines (default: stdin)."),
    log: List[str] = typer.Option([], "--log", metavar="FILE", help="An error log to read (repeatable)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only lines newer than this: 30m, 1h, 2d or an ISO time."),
    config: List[str] = typer.Option([], "--config", help="The main config file, nginx or Apache (default: the "
                                      "standard location of the server that wrote the lines)."),
    root: Optional[str] = typer.Option(None, "--root", metavar="DIR", help="Treat DIR as / (an image or a mounted server)."),
    fs_snapshot: Optional[str] = typer.Option(None, "--fs-snapshot", metavar="FILE",
                                              help="Check paths in a snapshot instead of the live disk."),
    worker_user: Optional[str] = typer.Option(None, "--worker-user", metavar="NAME", help="The worker's user."),
    fmt: Format = typer.Option(Format.text, "--format", help=_TEXT_OR_JSON),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Force colour on or off."),
) -> None:
    """Map error-log lines to their causes on this machine."""
    from confcheck.explain import Machine, explain_events, read_since
    from confcheck.logparse import parse_lines
    from confcheck.why import WhyOptions

    if fmt is Format.sarif:
        _fail("--format sarif is for scan; explain speaks text or json")
    threshold = None
    if since is not None:
        try:
            threshold = read_since(since)
        except ValueError as exc:
            _fail(str(exc))
    texts: list[str] = list(lines or [])
    for text in texts:
        # `explain /var/log/nginx/error.log` or `explain --log error.log nginx.conf`: a log line
        # always holds spaces, so a lone word naming a file was meant as one of the options
        if text and not any(c.isspace() for c in text) and os.path.lexists(text):
            from confcheck.output.text import printable
            name = printable(text)
            _fail(f"{name} is a file, not an error-log line: `--log {name}` reads it as an error log, "
                  f"`--config {name}` names the configuration")
    for path in log:
        texts.extend(_log_lines(path))
    if not texts and not log:
        if sys.stdin.isatty():
            _fail("give log lines as arguments, --log FILE, or pipe them on stdin")
        texts = _open_text("-").read().splitlines()
    events = parse_lines(texts)
    if events and all(e.kind == "unknown" for e in events) and any(_ACCESS_LINE.match(t) for t in texts):
        _fail("these are access-log lines (client, time, request, status): explain reads the error log "
              "(nginx error_log, Apache ErrorLog), where the server says why it refused")
    if threshold is not None:
        events = [e for e in events if e.time is None or e.time >= threshold]
    # with no --config, the standard location of the server that wrote the lines (a machine with
    # both servers read nginx's configuration for Apache's lines)
    writers = {e.server for e in events if e.kind != "unknown" and e.server in ("nginx", "apache")}
    machine = Machine(WhyOptions(configs=list(config), root=root, fs_snapshot=fs_snapshot,
                                 worker_user=worker_user,
                                 server=writers.pop() if len(writers) == 1 and not config else None))
    report = explain_events(events, machine)
    reading = machine.reading()      # the configuration, when a logged request needed it
    if fmt is Format.json:
        import json
        doc = report.to_json()
        if reading is not None:
            from confcheck.inputs import inputs_json
            doc["inputs"] = inputs_json(reading)
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=True) + "\n")
    else:
        from confcheck.output.explain_text import render_explain
        from confcheck.output.text import printable, want_colour
        if reading is not None:
            from confcheck.inputs import inputs_line
            sys.stdout.write(printable(inputs_line(reading)) + "\n")
        sys.stdout.write(render_explain(report, colour=want_colour(sys.stdout, color)))
    if machine.failures():
        _report_internal([str(f) for f in machine.failures()])
    if any((c.status or 0) >= 400 and c.kind not in ("no-credentials",) for c in report.causes):
        raise typer.Exit(EXIT_FINDINGS)


@app.command(epilog="Examples:\n\n  confcheck snapshot /var/www /srv -o fs.json\n\n"
             "  confcheck snapshot --root /mnt/image /var/www -o fs.json")
def snapshot(
    paths: List[str] = typer.Argument(..., help="Trees to capture (their ancestors up to / are captured too)."),
    output: str = typer.Option(..., "-o", "--output", help="Where to write the JSON snapshot (`-` for stdout)."),
    root: Optional[str] = typer.Option(None, "--root", metavar="DIR", help="Treat DIR as /."),
) -> None:
    """Capture modes, owners, groups, links, ACLs and SELinux labels for offline analysis."""
    import os

    from confcheck.fs.live import LiveFs
    from confcheck.fs.snapshot import write_snapshot
    from confcheck.inputs import local_path

    for path in paths:
        if not os.path.lexists(local_path(os.path.abspath(path), root)):
            _fail(f"{path}: no such file or directory")
    fs = LiveFs(root)
    server_paths = [os.path.abspath(p) for p in paths]
    if output == "-":
        write_snapshot(server_paths, sys.stdout, fs)
    else:
        tmp = output + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                write_snapshot(server_paths, out, fs)
            os.replace(tmp, output)
        except OSError as exc:
            _fail(f"{output}: cannot write: {exc.strerror}")
        typer.echo(f"wrote {output}", err=True)


@app.command(name="rules", epilog="Example:\n\n  confcheck rules --format json")
def rules_cmd(fmt: Format = typer.Option(Format.text, "--format", help=_TEXT_OR_JSON)) -> None:
    """List the rules: id, name, severity, fixable."""
    import json

    if fmt is Format.sarif:
        _fail("--format sarif is for scan; rules speaks text or json")

    from confcheck.registry import load_rules

    rules = load_rules().all()
    if fmt is Format.json:
        sys.stdout.write(json.dumps([{"id": r.id, "name": r.name, "severity": r.severity,
                                      "server": r.server, "fixable": r.fixable, "needs_fs": r.needs_fs,
                                      "summary": r.summary} for r in rules], indent=2) + "\n")
        return
    width = max(len(r.name) for r in rules)
    sys.stdout.write(f"{'ID':<7} {'NAME':<{width}} {'SEVERITY':<8} {'FIX':<4} SUMMARY\n")
    for r in rules:
        sys.stdout.write(f"{r.id:<7} {r.name:<{width}} {r.severity:<8} {'yes' if r.fixable else 'no':<4} {r.summary}\n")


@app.command(name="rule", epilog="Examples:\n\n  confcheck rule FS101\n\n  confcheck rule parent-not-searchable")
def rule_cmd(rule_id: str = typer.Argument(..., metavar="ID", help="A rule id (FS101) or name.")) -> None:
    """Print one rule's documentation."""
    from confcheck.output.ruledoc import render_rule
    from confcheck.registry import load_rules

    found = load_rules().get(rule_id)
    if found is None:
        _fail(f"unknown rule {rule_id!r}; `confcheck rules` lists them")
    sys.stdout.write(render_rule(found))


@app.command(epilog="Example:\n\n  confcheck demo")
def demo(color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Force colour on or off.")) -> None:
    """Scan the bundled broken site (needs no server, no root; changes nothing)."""
    from confcheck.demo import run_demo

    raise typer.Exit(run_demo(sys.stdout, color))


class FixFormat(str, Enum):
    text = "text"
    json = "json"


# The signature only: the logic is in confcheck/fixcmd.py, imported when `fix` runs
# (a module-level import would load it on every `confcheck scan`).
@app.command(epilog="Examples:\n\n  confcheck fix /etc/nginx /var/www\n\n"
             "  confcheck fix /etc/nginx --output-dir /tmp/fixes\n\n"
             "  confcheck fix /etc/nginx --apply\n\n"
             "  confcheck fix --root /mnt/image --unsafe-fixes --format json")
def fix(
    paths: List[str] = typer.Argument(None, help="Config files or directories (/etc/nginx), or served trees "
                                      "(/var/www) to limit the disk walk. Default: this machine's standard locations."),
    config: List[str] = typer.Option([], "--config", help="The main config file (repeatable)."),
    server: Optional[Server] = typer.Option(None, "--server", help="nginx or apache, when detection is ambiguous."),
    root: Optional[str] = typer.Option(None, "--root", metavar="DIR", help="Treat DIR as / (an image or a mounted server)."),
    fs_snapshot: Optional[str] = typer.Option(None, "--fs-snapshot", metavar="FILE",
                                              help="Use a snapshot instead of the live disk (the script is then for "
                                              "the machine the snapshot came from)."),
    no_fs: bool = typer.Option(False, "--no-fs", help="Config-only: config fixes only."),
    worker_user: Optional[str] = typer.Option(None, "--worker-user", metavar="NAME", help="The worker's user."),
    diff: bool = typer.Option(False, "--diff", help="Print the patch and the permission script; change nothing "
                              "(the default)."),
    # the file names are fixcmd.PATCH_NAME and fixcmd.SCRIPT_NAME (tests/cli checks they agree)
    output_dir: Optional[str] = typer.Option(None, "--output-dir", metavar="DIR",
                                             help="Write DIR/confcheck.patch and DIR/confcheck-permissions.sh "
                                             "instead of printing them."),
    apply: bool = typer.Option(False, "--apply", help="Apply the config patch (after showing it and asking); "
                               "never runs the permission script."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --apply: do not ask."),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes", help="Include fixes that change more than the finding."),
    backup_dir: Optional[str] = typer.Option(None, "--backup-dir", metavar="DIR",
                                             help="With --apply: where to keep the original files "
                                             "(default /var/backups/confcheck/<time>/)."),
    fmt: FixFormat = typer.Option(FixFormat.text, "--format", help="text or json."),
    fail_on: Severity = typer.Option(Severity.warning, "--fail-on",
                                     help="Exit 1 when a finding at this severity or higher remains."),
    app_settings: List[str] = typer.Option([], "--app-settings", metavar="[HOST=]FILE",
                                           help="A Django settings file behind the proxy (repeatable), as for scan."),
) -> None:
    """Turn the fixable findings into a reviewable patch and a permission script."""
    from confcheck.fixcmd import run_fix

    run_fix(paths=list(paths or []), config=list(config), server=server.value if server else None, root=root,
            fs_snapshot=fs_snapshot, no_fs=no_fs, worker_user=worker_user, diff=diff, output_dir=output_dir,
            apply=apply, yes=yes, unsafe_fixes=unsafe_fixes, backup_dir=backup_dir, fmt=fmt.value,
            fail_on=fail_on.value, app_settings=list(app_settings))


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"


# The signature only: the logic is in confcheck/commands/report.py.
@app.command(epilog="Examples:\n\n  confcheck report results/hosts/*.json\n\n"
             "  confcheck report results/hosts/ --format html -o fleet.html\n\n"
             "  confcheck report results/hosts/ --baseline last-week/hosts --fail-on error")
def report(
    paths: List[str] = typer.Argument(..., help="Per-host results (the playbook's hosts/*.json, or "
                                      "`confcheck scan --format json` output named HOST.json), or their folder."),
    fmt: ReportFormat = typer.Option(ReportFormat.text, "--format", help="text, json or html (one self-contained page)."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="FILE", help="Write the report to FILE."),
    baseline: Optional[str] = typer.Option(None, "--baseline", metavar="DIR",
                                           help="An earlier run's host files: count and gate on new findings only."),
    fail_on: Severity = typer.Option(Severity.warning, "--fail-on",
                                     help="Exit 1 when a finding on any host has this severity or higher."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help="Force colour on or off."),
) -> None:
    """Merge many hosts' scan results into one fleet view: causes shared across hosts, per-host counts, failures."""
    from confcheck.commands.report import ReportArgs, ReportUsageError, run_report_command

    try:
        code = run_report_command(ReportArgs(list(paths), fmt.value, output, baseline, fail_on.value, color))
    except ReportUsageError as exc:
        _fail(str(exc))
    if code:
        raise typer.Exit(code)


@app.command(epilog="Example (what the Ansible role runs on each host):\n\n"
             "  confcheck digest results/scan.json > results/digest.json")
def digest(
    path: str = typer.Argument("-", help="The role's result file (a scan envelope), or - for standard input."),
) -> None:
    """The fleet digest of one host's result: what `confcheck report` reads of the scan, with its causes."""
    from confcheck.fleet.digest import digest_bytes

    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        _fail(f"{path}: cannot read: {exc.strerror}")
    try:
        out = digest_bytes(data)
    except (ValueError, UnicodeDecodeError) as exc:
        _fail(f"{path}: not a confcheck result file ({exc})")
    sys.stdout.buffer.write(out)


@app.callback()
def _global(debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal errors.")) -> None:
    """Declares --debug; main() reads it from argv so it also covers errors raised before parsing."""


def main(argv: list[str] | None = None) -> int:
    """Entry point: maps every failure onto the contract's exit codes (confcheck.entry.guarded)."""
    from confcheck.entry import guarded

    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    return guarded(lambda: _invoke(argv), debug)


def _invoke(argv: list[str] | None) -> int:
    """The typer app on `argv`; its own exits and usage errors as exit codes."""
    try:
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int):
            return code
    except typer.Exit as exc:
        return exc.exit_code
    except UsageError as exc:
        sys.stderr.write(f"confcheck: {exc}\n")
        return EXIT_USAGE
    except typer.TyperException as exc:
        # click's usage errors (typer vendors click): one line, naming the command's help.
        show = getattr(exc, "show", None)
        if show is None:
            raise
        message = getattr(exc, "format_message", None)
        ctx = getattr(exc, "ctx", None)
        if message is None:
            show()
            return getattr(exc, "exit_code", EXIT_USAGE)
        where = ctx.command_path if ctx is not None else "confcheck"
        sys.stderr.write(f"confcheck: {message()} (see `{where} -h`)\n")
        return getattr(exc, "exit_code", EXIT_USAGE)
    return EXIT_OK


def run() -> None:
    """The console entry point lives in confcheck.entry (it starts without typer)."""
    from confcheck.entry import run as entry_run
    entry_run()

"""`report` for people: causes by rule, then hosts, then what failed."""

from __future__ import annotations

from confcheck.output.text import Painter, printable

HOSTS_SHOWN = 8


def host_list(hosts, shown: int = HOSTS_SHOWN) -> str:
    names = list(hosts[:shown])
    text = ", ".join(printable(h) for h in names)
    if len(hosts) > shown:
        text += f" and {len(hosts) - shown} more"
    return text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def render_report(view, *, colour: bool) -> str:
    paint = Painter(colour)
    lines: list[str] = []
    causes_by_rule: dict[str, list] = {}
    for cause in view.causes:
        causes_by_rule.setdefault(cause.rule, []).append(cause)
    for rule in view.rules():
        sev = rule["severity"]
        lines.append(f"{paint(rule['rule'], sev)} {paint(sev, sev)} {rule['name']}: "
                     f"{_plural(rule['findings'], 'finding')} on {_plural(rule['hosts'], 'host')}, "
                     f"{_plural(rule['causes'], 'cause')}")
        for cause in causes_by_rule[rule["rule"]]:
            where = printable(cause.file) if cause.file else "<no file>"
            if cause.line is not None:
                where += f":{cause.line}"
            new = ""
            if view.baseline is not None and cause.new_hosts:
                new = paint(f" (new on {len(cause.new_hosts)})", "bold")
            lines.append(f"  {paint(_plural(len(cause.hosts), 'host'), 'bold')}{new}  {paint(where, 'bold')}")
            lines.append(f"      {printable(cause.message)}")
            if cause.fs_path:
                lines.append(f"      at fault: {paint(printable(cause.fs_path), 'path')}")
            lines.append(f"      on: {host_list(cause.hosts)}")
        lines.append("")
    lines.extend(_host_table(view))
    failed = view.failed
    if failed:
        lines.append("")
        lines.append(paint(f"{_plural(len(failed), 'host')} failed to scan:", "error"))
        for host in failed:
            lines.append(f"  {printable(host.host)}: {printable(host.failure or '')}")
    lines.append("")
    lines.append(summary_line(view))
    return "\n".join(lines) + "\n"


def _host_table(view) -> list[str]:
    width = max([4] + [len(printable(h.host)) for h in view.hosts])
    baseline = view.baseline is not None
    header = f"{'HOST':<{width}}  {'STATUS':<6}  {'ERROR':>5}  {'WARNING':>7}  {'INFO':>4}"
    if baseline:
        header += f"  {'NEW':>4}  {'GONE':>4}  BASELINE"
    rows = [header]
    for h in view.hosts:
        row = (f"{printable(h.host):<{width}}  {'ok' if h.ok else 'failed':<6}  {h.counts['error']:>5}  "
               f"{h.counts['warning']:>7}  {h.counts['info']:>4}")
        if baseline:
            gone = "-" if h.gone is None else str(h.gone)
            row += f"  {h.new or 0:>4}  {gone:>4}  {h.baseline}"
        rows.append(row)
    return rows


def summary_line(view) -> str:
    findings = sum(h.findings for h in view.hosts)
    text = (f"{_plural(len(view.hosts), 'host')} ({len(view.hosts) - len(view.failed)} scanned, "
            f"{len(view.failed)} failed): {_plural(findings, 'finding')} from {_plural(len(view.causes), 'cause')}")
    if view.baseline is not None:
        text += f", {sum(h.new or 0 for h in view.hosts)} new since the baseline"
    if view.failed:
        text += "; the fleet view is incomplete"
    return text + "."

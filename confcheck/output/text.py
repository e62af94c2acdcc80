"""Human output: one block per finding, coloured only on a terminal.

Colour follows the usual precedence: an explicit --color/--no-color, then
NO_COLOR (set and non-empty disables), then FORCE_COLOR, then whether the
stream is a terminal.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

EXAMPLES_SHOWN = 5

_COLOURS = {"error": "31", "warning": "33", "info": "36", "dim": "2", "bold": "1", "path": "35"}


def want_colour(stream, explicit: bool | None = None) -> bool:
    if explicit is not None:
        return explicit
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def printable(path: str) -> str:
    """A path shown so that newlines, control and undecodable bytes are visible.

    Plain names are shown as they are; anything else is escaped the way a
    reader would type it back (\\n, \\t, \\xNN for bytes that are not UTF-8).
    """
    if path.isprintable():      # surrogates (undecodable bytes) are not printable
        return path
    out = []
    for ch in path:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\\":
            out.append("\\\\")
        elif not ch.isprintable():
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


@dataclass
class Painter:
    colour: bool

    def __call__(self, text: str, style: str) -> str:
        if not self.colour:
            return text
        return f"\x1b[{_COLOURS[style]}m{text}\x1b[0m"


def diag_text(diag, root: str | None = None) -> str:
    """`file:line:column: message` with the file as the user named it."""
    from confcheck.inputs import shown
    pos = diag.position()
    where = shown(pos["file"], root) if pos["file"] else "<input>"
    if pos["line"] is not None:
        where += f":{pos['line']}:{pos['column']}"
    return f"{where}: {diag.message}"


def render_scan(result, *, colour: bool, root: str | None = None) -> str:
    """Text output: what was read first, then each input error and finding, file paths
    as the user named them (relative to the working directory, or to --root)."""
    from confcheck.inputs import inputs_line
    from confcheck.inputs import shown as as_named
    paint = Painter(colour)
    lines: list[str] = []
    if getattr(result, "reading", None) is not None:
        lines.append(printable(inputs_line(result.reading)))
    for diag in result.errors:
        lines.append(f"{paint(printable(diag_text(diag, root)), 'bold')} {paint('error', 'error')} (input)")
    for finding in result.findings:
        where = "<no file>"
        if finding.span is not None:
            pos = finding.span.position()
            where = f"{printable(as_named(pos['file'], root))}:{pos['line']}:{pos['column']}"
        header = (f"{paint(where, 'bold')}: {paint(finding.rule, finding.severity)} "
                  f"{paint(finding.severity, finding.severity)} {finding.name}")
        lines.append(header)
        lines.append(f"    {printable(finding.message)}")
        if finding.fs_paths and len(finding.fs_paths) > 1:
            shown = finding.fs_paths[:EXAMPLES_SHOWN]
            lines.append(f"    {len(finding.fs_paths)} paths, for example:")
            for path in shown:
                lines.append(f"      {paint(printable(path), 'path')}")
            if len(finding.fs_paths) > len(shown):
                lines.append(f"      ... and {len(finding.fs_paths) - len(shown)} more (--format json lists all)")
        elif finding.fs_path:
            lines.append(f"    at fault: {paint(printable(finding.fs_path), 'path')}")
        if finding.fix is not None:
            lines.append(f"    fix ({finding.fix.applicability}): {printable(finding.fix.title)}")
            for command in finding.fix.commands:
                lines.append(f"      {command}")
        lines.append("")
    for item in result.not_checked:
        lines.append(f"{paint('not checked', 'warning')}: {printable(item.path)}: {item.reason}")
    if result.not_checked:
        lines.append("")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def summary_line(result) -> str:
    counts: dict[str, int] = {}
    for finding in result.findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    parts = [f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in sorted(counts.items(),
             key=lambda kv: ("error", "warning", "info").index(kv[0]))]
    total = len(result.findings)
    text = f"{total} finding{'s' if total != 1 else ''}"
    if parts:
        text += f" ({', '.join(parts)})"
    text += f" in {result.files} file{'s' if result.files != 1 else ''}"
    if result.errors:
        text += f"; {len(result.errors)} input error{'s' if len(result.errors) != 1 else ''}: the scan is incomplete"
    if result.not_checked:
        text += f"; {len(result.not_checked)} path{'s' if len(result.not_checked) != 1 else ''} not checked"
    return text + "."

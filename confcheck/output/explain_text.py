"""`confcheck explain` as text: one block per cause, most frequent first."""

from __future__ import annotations

from confcheck.output.text import Painter, printable


def render_explain(report, *, colour: bool) -> str:
    paint = Painter(colour)
    out: list[str] = []
    for cause in report.causes:
        status = str(cause.status) if cause.status is not None else "-"
        head = f"{cause.count}x {status} {cause.server}: {cause.summary}"
        out.append(paint(head, "error" if (cause.status or 0) >= 400 else "bold"))
        out.append(f"    {printable(cause.explanation)}")
        if cause.decided_by is not None:
            node = cause.decided_by
            text = " ".join([node.name] + [a.raw for a in node.args])
            out.append(f"    decided by: {printable(text)} at {printable(node.file)}:{node.line}:{node.column}")
        if cause.fs_path:
            out.append(f"    at fault: {paint(printable(cause.fs_path), 'path')}")
        for fix in ([cause.fix] if cause.fix is not None else []) + list(getattr(cause, "alternatives", [])):
            out.append(f"    fix ({fix.applicability}): {printable(fix.title)}")
            out.extend(f"      {printable(c)}" for c in fix.commands)
            if cause.waf is not None and fix.diff:
                out.extend(f"      {printable(line)}" for line in fix.diff.splitlines())
        out.append(paint(f"    e.g. {printable(cause.examples[0])}", "dim"))
        out.append("")
    recognized = report.lines - report.unknown
    out.append(f"{report.lines} line{'s' if report.lines != 1 else ''}: {recognized} recognised "
               f"({len(report.causes)} distinct cause{'s' if len(report.causes) != 1 else ''}), "
               f"{report.unknown} not recognised.")
    return "\n".join(out) + "\n"

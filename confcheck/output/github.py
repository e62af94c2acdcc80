"""`--format github`: GitHub Actions workflow commands, one annotation per finding.

    ::error file=nginx/sites-available/shop.conf,line=7,col=5,endLine=7,endColumn=22,title=FS101 parent-not-searchable::www-data cannot enter ...

Paths are relative to the project root (Actions resolves them against the
workspace). Severity info becomes a notice. Values are escaped as the
runner's command parser expects (`%`, CR, LF always; `:` and `,` in
properties).
"""

from __future__ import annotations

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result, root: str) -> str:
    from confcheck.settings import relative_to_root

    lines = []
    for diag in result.errors:
        props = []
        pos = diag.position()
        if pos["file"]:
            props.append(f"file={_escape_property(relative_to_root(root, pos['file']))}")
        if pos["line"] is not None:
            props += [f"line={pos['line']}", f"col={pos['column']}"]
        props.append("title=input error")
        lines.append(f"::error {','.join(props)}::{_escape_data(diag.message)}")
    for finding in result.findings:
        props = []
        if finding.span is not None:
            pos = finding.span.position()
            props.append(f"file={_escape_property(relative_to_root(root, finding.span.source.realpath))}")
            props += [f"line={pos['line']}", f"col={pos['column']}",
                      f"endLine={pos['end_line']}", f"endColumn={pos['end_column']}"]
        props.append(f"title={_escape_property(f'{finding.rule} {finding.name}')}")
        message = finding.message
        if finding.fs_path:
            message += f" (at fault: {finding.fs_path})"
        lines.append(f"::{LEVEL[finding.severity]} {','.join(props)}::{_escape_data(message)}")
    return "".join(line + "\n" for line in lines)

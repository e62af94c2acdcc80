"""`confcheck why` as text: the steps nginx takes, then the answer."""

from __future__ import annotations

from http import HTTPStatus

from confcheck.output.text import Painter, printable


def _status_text(status: int | None) -> str:
    if status is None:
        return "unknown"
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def render_why(outcome, *, colour: bool, root: str | None = None) -> str:
    from confcheck.inputs import shown
    paint = Painter(colour)
    req = outcome.request
    lines = [paint(f"{req.method} {req.url}", "bold") + f" from {req.client_ip}"]
    width = max((len(s.step) for s in outcome.trace), default=8)
    for step in outcome.trace:
        where = ""
        if step.node is not None:
            where = paint(f"  ({printable(shown(step.node.file, root))}:{step.node.line})", "dim")
        lines.append(f"  {step.step:<{width}}  {printable(step.detail)}{where}")
    style = "error" if outcome.status in (401, 403, 404, 405, 500) else "info" if outcome.status is None else "bold"
    lines.append("")
    lines.append(paint(f"=> {_status_text(outcome.status)}", style) + f": {printable(outcome.reason)}")
    if outcome.decided_by is not None:
        node = outcome.decided_by
        lines.append(f"   decided by: {node.name} {' '.join(a.raw for a in node.args)}".rstrip()
                     + f" at {printable(shown(node.file, root))}:{node.line}:{node.column}")
    if outcome.fs_path:
        lines.append(f"   path at fault: {paint(printable(outcome.fs_path), 'path')}")
    if outcome.location:
        lines.append(f"   Location: {printable(outcome.location)}")
    for name in outcome.unknown:
        lines.append(paint(f"   assumption: ${name} is not known offline (taken as empty)", "dim"))
    for limit in outcome.limits:
        lines.append(f"   under load: {printable(limit.describe())}")
    if outcome.app is not None:
        lines += _app_lines(outcome.app.to_json(), root)
    return "\n".join(lines) + "\n"


def _app_lines(app: dict, root: str | None) -> list[str]:
    """The request as the app behind the proxy received it, and its answer."""
    from confcheck.inputs import shown
    out = []
    if app["app"] is not None:
        out.append(f"   app: Django {printable(shown(app['app']['settings'], root))} ({printable(app['app']['linked_by'])})")
    received = ", ".join(f"{k}: {v}" for k, v in app["headers_received"].items() if k != "connection")
    out.append(f"   headers received: {printable(received)}")
    for name, why in app["headers_unknown"].items():
        out.append(f"   header {name}: not known ({printable(why)})")
    if app["app"] is not None:
        out.append(f"   wsgi.url_scheme: {app['url_scheme'] or 'unknown'}; request.is_secure(): "
                   f"{app['is_secure'] if app['is_secure'] is not None else 'unknown'}; host: {app['host']}")
        out.append(f"   Django: {_status_text(app['status'])}: {printable(app['reason'])}")
    if app["decided_by"] is not None:
        d = app["decided_by"]
        out.append(f"   decided by: {d['setting']} at {printable(shown(d['file'], root))}:{d['line']}:{d['column']}")
    for note in app["assumptions"]:
        out.append(f"   assumption: {printable(note)}")
    return out

"""`report --format json`: the fleet view (docs/contract-additions.md)."""

from __future__ import annotations

from confcheck import __version__


def host_document(host) -> dict:
    return {"host": host.host, "source": host.source, "status": "ok" if host.ok else "failed",
            "exit_code": host.exit_code, "failure": host.failure, "findings": host.findings,
            "counts": dict(host.counts), "new": host.new, "gone": host.gone, "baseline": host.baseline}


def cause_document(cause, with_baseline: bool) -> dict:
    doc = {"rule": cause.rule, "name": cause.name, "severity": cause.severity, "message": cause.message,
           "file": cause.file, "line": cause.line, "fs_path": cause.fs_path,
           "hosts": list(cause.hosts), "host_count": len(cause.hosts), "occurrences": cause.occurrences}
    if with_baseline:
        doc["new_hosts"] = [h for h in cause.hosts if h in cause.new_hosts]
    return doc


def report_document(view) -> dict:
    with_baseline = view.baseline is not None
    hosts = [host_document(h) for h in view.hosts]
    causes = [cause_document(c, with_baseline) for c in view.causes]
    summary = {"hosts": len(hosts), "ok": sum(1 for h in view.hosts if h.ok), "failed": len(view.failed),
               "findings": sum(h.findings for h in view.hosts), "causes": len(causes)}
    if with_baseline:
        summary["new"] = sum(h.new or 0 for h in view.hosts)
    return {"version": 1, "kind": "fleet-report", "tool": {"name": "confcheck", "version": __version__},
            "hosts": hosts, "rules": view.rules(), "causes": causes, "summary": summary}

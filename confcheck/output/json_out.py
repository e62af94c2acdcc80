"""`--format json`: the shape ../shared/CONTRACT.md fixes.

Paths with bytes that are not UTF-8 are written with JSON's `\\udcXX` escapes
(Python's surrogateescape): `os.fsencode(json.loads(...))` gives back the
exact name on disk, and the output stays pure ASCII.
"""

from __future__ import annotations

from confcheck import __version__
from confcheck.output import json_text


def scan_document(result, encoded: bool = False) -> dict:
    """The scan's document; `encoded`: its findings write their own text (finding_json),
    for json_text to write, not to read."""
    if encoded:
        from confcheck.output.finding_json import encoded_findings
        findings = encoded_findings(result.findings)
    else:
        findings = [f.to_json() for f in result.findings]
    errors = [{**d.position(), "message": d.message} for d in result.errors]
    doc = {
        "version": 1,
        "tool": {"name": "confcheck", "version": __version__},
        "findings": findings,
        "errors": errors,
        "summary": {"files": result.files, "findings": len(findings), "errors": len(errors)},
    }
    failures = getattr(result, "failures", None)
    if failures:
        # contract addition (docs/contract-additions.md): internal errors contained where they happened
        doc["internal_errors"] = [f.to_json() for f in failures]
        doc["summary"]["internal_errors"] = len(failures)
    if result.not_checked:
        doc["not_checked"] = [{"path": n.path, "reason": n.reason} for n in result.not_checked]
        doc["summary"]["not_checked"] = len(result.not_checked)
    return doc


def dumps(document) -> str:
    """json.dumps(document, indent=2, ensure_ascii=True), faster (json_text)."""
    return json_text.dumps(document)

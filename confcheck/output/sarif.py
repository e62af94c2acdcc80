"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

What code scanning needs (../shared/reference/real-world.md section 3):
* every rule with shortDescription, fullDescription, help (text and
  markdown: the same pages as docs/rules/) and defaultConfiguration.level;
* URIs relative to the repository root (`uriBaseId: "%SRCROOT%"`, the project
  root: the settings file's directory, else the current directory), with
  symlinks resolved: GitHub does not display files reached through a
  `sites-enabled` link, so a finding cites the file the link points to;
* filesystem findings anchored on the config line that serves the path (the
  finding's span already is), the path on disk in `properties.fsPath`;
* `partialFingerprints` that ignore line numbers (confcheck/fingerprint.py).
Input errors (a config that does not parse) are tool execution
notifications and mark the run unsuccessful: a broken config is never clean.
"""

from __future__ import annotations

import os

from confcheck import __version__

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
PROBLEM = {"error": "error", "warning": "warning", "info": "recommendation"}
INFO_URI = "https://github.com/confcheck/confcheck"


def _file_uri(path: str) -> str:
    from urllib.parse import quote
    return "file://" + quote(os.path.abspath(path).encode("utf-8", "surrogateescape"), safe="/")


def _uri(path: str) -> str:
    from urllib.parse import quote
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")


def _rule_descriptor(rule) -> dict:
    from confcheck.output.ruledoc import render_rule
    from confcheck.ruledocs import help_url, render_markdown
    summary = rule.summary[:1].upper() + rule.summary[1:]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": rule.doc.what},
        "help": {"text": render_rule(rule), "markdown": render_markdown(rule)},
        "helpUri": help_url(rule),
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {
            "tags": [rule.server, "filesystem" if rule.needs_fs else "config", "403"],
            "precision": "high",
            "problem.severity": PROBLEM[rule.severity],
        },
    }


def _artifact(realpath: str, root: str) -> dict:
    from confcheck.settings import relative_to_root
    rel = relative_to_root(root, realpath)
    artifact = {"uri": _uri(rel)} if not rel.startswith("/") else {"uri": _file_uri(rel)}
    if not rel.startswith("/"):
        artifact["uriBaseId"] = "%SRCROOT%"
    return artifact


def _location(span, root: str, artifacts: dict | None = None) -> dict:
    """`artifacts`: each file's artifactLocation made so far (a big scan has many findings per file)."""
    realpath = span.source.realpath
    known = artifacts.get(realpath) if artifacts is not None else None
    if known is None:
        known = _artifact(realpath, root)
        if artifacts is not None:
            artifacts[realpath] = known
    artifact = dict(known)
    line, column = span.source.line_col(span.start)
    end_line, end_column = span.source.line_col(span.end)
    region = {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column,
              "snippet": {"text": span.source.line_text(line)}}
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def sarif_document(result, rules, root: str) -> dict:
    """`rules`: every registered rule (code scanning shows help for all of them)."""
    from confcheck.fingerprint import fingerprints

    index = {rule.id: i for i, rule in enumerate(rules)}
    prints = fingerprints(result.findings, root)
    results = []
    artifacts: dict = {}
    for finding, fingerprint in zip(result.findings, prints):
        item = {
            "ruleId": finding.rule,
            "level": LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [_location(finding.span, root, artifacts)] if finding.span is not None else [],
            "partialFingerprints": {"primaryLocationLineHash": fingerprint,
                                    "confcheckFingerprint/v1": fingerprint},
            "properties": {"name": finding.name},
        }
        if finding.rule in index:
            item["ruleIndex"] = index[finding.rule]
        if finding.server:
            item["properties"]["server"] = finding.server
        if finding.fs_path:
            item["properties"]["fsPath"] = finding.fs_path
        if finding.fs_paths:
            item["properties"]["fsPaths"] = list(finding.fs_paths)
        if finding.fix is not None:
            item["properties"]["fix"] = finding.fix.to_json()
        results.append(item)
    notifications = []
    for diag in result.errors:
        note = {"level": "error", "message": {"text": diag.message}, "descriptor": {"id": "input-error"}}
        if diag.span is not None:
            note["locations"] = [_location(diag.span, root)]
        elif diag.file:
            note["message"]["text"] = f"{diag.file}: {diag.message}"
        notifications.append(note)
    failures = getattr(result, "failures", None) or []
    for failure in failures:
        notifications.append({"level": "error", "message": {"text": str(failure)},
                              "descriptor": {"id": "internal-error"}})
    run = {
        "tool": {"driver": {"name": "confcheck", "version": __version__, "semanticVersion": __version__,
                            "informationUri": INFO_URI, "rules": [_rule_descriptor(r) for r in rules]}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": _file_uri(root).rstrip("/") + "/"}},
        "automationDetails": {"id": "confcheck/"},
        "columnKind": "unicodeCodePoints",
        "invocations": [{"executionSuccessful": not result.errors and not failures,
                         "toolExecutionNotifications": notifications}],
        "results": results,
    }
    if result.not_checked:
        run["properties"] = {"notChecked": [{"path": n.path, "reason": n.reason} for n in result.not_checked]}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}

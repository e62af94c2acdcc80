"""One host's result file, as the Ansible role brings it back (or as a user saved it).

Three shapes are read (docs/contract-additions.md):

- the role's envelope: `{"confcheck_host": 1, "host", "exit_code", "root",
  "names", "stderr", "scan": <scan --format json document> | null, "error"}`;
- a bare `confcheck scan --format json` document (`confcheck scan ... > web1.json`):
  the host is named after the file;
- anything else (an error object, a truncated download, another program's JSON)
  makes the host *failed*, with the reason, never an empty (clean) host.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

ENVELOPE_KEY = "confcheck_host"
_UNSET = msgspec.UNSET


class Finding(msgspec.Struct, frozen=True, gc=False):
    """What a fleet view keeps of one finding (small, to keep and to pass between processes)."""

    rule: str
    severity: Literal["info", "warning", "error"]
    message: str
    name: str | None = None
    file: str | None = None
    line: int | None = None
    fs_path: str | None = None


class _Scan(msgspec.Struct, gc=False):
    findings: list[Finding] | msgspec.UnsetType = _UNSET
    errors: Any = _UNSET
    internal_errors: Any = _UNSET
    version: Any = _UNSET


class _Document(_Scan, gc=False):
    """Both shapes at once, every field optional: only what the merge reads is decoded."""

    confcheck_host: Any = _UNSET
    host: Any = _UNSET
    exit_code: Any = _UNSET
    root: Any = _UNSET
    names: Any = _UNSET
    stderr: Any = _UNSET
    scan: _Scan | None | msgspec.UnsetType = _UNSET
    error: Any = _UNSET


# Decoding only the fields read, into typed findings, is ~5x faster than json.loads on a
# host file (mostly fixes and diffs the merge never reads): issue 19's 1,000-host target.
_DECODER = msgspec.json.Decoder(_Document)


def _present(struct) -> dict:
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not _UNSET}


@dataclass(slots=True)
class HostFile:
    host: str
    source: str                   # the path it was read from
    exit_code: int | None = None  # the scan's exit code, when the envelope says
    root: str | None = None       # the scan's --root (its prefix is not part of a cause)
    names: tuple[str, ...] = ()   # the host's own names (masked in causes)
    findings: list = field(default_factory=list)   # Finding

    failure: str | None = None    # why this host has no complete scan, or None


def host_name_of(path: str) -> str:
    name = os.path.basename(path)
    return name[:-5] if name.endswith(".json") else name


def read_host_file(path: str) -> HostFile:
    """Never raises on what is in the file: a bad file is a failed host with its reason."""
    fallback = host_name_of(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return HostFile(fallback, path, failure=f"cannot read {path}: {exc.strerror}")
    try:
        fast = _DECODER.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        fast = None     # not the expected shape: read again the slow way, which says what is wrong
    if fast is not None:
        doc = _present(fast)
        if isinstance(doc.get("scan"), _Scan):
            doc["scan"] = _present(doc["scan"])
        return _from_document(doc, path, fallback)
    try:
        doc = json.loads(data.decode("utf-8"))   # JSON files are UTF-8 (json.loads would guess UTF-16/32)
    except UnicodeDecodeError:
        return HostFile(fallback, path, failure=f"{path}: not UTF-8 JSON")
    except ValueError as exc:
        where = f", line {exc.lineno} column {exc.colno}" if hasattr(exc, "lineno") else ""
        reason = "empty file" if not data.strip() else f"not JSON ({getattr(exc, 'msg', exc)}{where})"
        return HostFile(fallback, path, failure=f"{path}: {reason}")
    if not isinstance(doc, dict):
        return HostFile(fallback, path, failure=f"{path}: not a confcheck result (expected a JSON object)")
    return _from_document(doc, path, fallback)


def _from_document(doc: dict, path: str, fallback: str) -> HostFile:
    if ENVELOPE_KEY in doc:
        return _from_envelope(doc, path, fallback)
    if "findings" in doc and "version" in doc:
        return _with_scan(HostFile(fallback, path), doc, stderr="")
    if "error" in doc:
        host = doc.get("host") if isinstance(doc.get("host"), str) and doc.get("host") else fallback
        return HostFile(host, path, exit_code=_int(doc.get("exit_code")), failure=_text(doc.get("error")))
    return HostFile(fallback, path, failure=f"{path}: not a confcheck scan result (no findings, no error)")


def _from_envelope(doc: dict, path: str, fallback: str) -> HostFile:
    host = doc.get("host") if isinstance(doc.get("host"), str) and doc.get("host") else fallback
    root = doc.get("root") if isinstance(doc.get("root"), str) else None
    names = tuple(n for n in doc.get("names") or () if isinstance(n, str))
    result = HostFile(host, path, exit_code=_int(doc.get("exit_code")), root=root, names=names)
    stderr = _text(doc.get("stderr") or "")
    if doc.get("error"):
        result.failure = _text(doc["error"])
        return result
    scan = doc.get("scan")
    if scan is None:
        result.failure = _exit_reason(result.exit_code, stderr) or "no scan result in the file"
        return result
    return _with_scan(result, scan, stderr)


def _with_scan(result: HostFile, scan, stderr: str) -> HostFile:
    findings = scan.get("findings") if isinstance(scan, dict) else None
    errors = scan.get("errors", []) if isinstance(scan, dict) else None
    if not isinstance(findings, list) or not isinstance(errors, list):
        result.failure = f"{result.source}: not a confcheck scan result (findings and errors must be lists)"
        return result
    if findings and type(findings[0]) is not Finding:     # read by json: check each
        compact = []
        for number, finding in enumerate(findings, start=1):
            row = _finding(finding)
            if row is None:
                result.failure = f"{result.source}: finding {number} is not a confcheck finding"
                return result
            compact.append(row)
        findings = compact
    result.findings = findings
    if errors:
        first = errors[0] if isinstance(errors[0], dict) else {}
        where = ":".join(str(first[k]) for k in ("file", "line", "column") if first.get(k) is not None)
        prefix = (result.root or "").rstrip("/")
        if prefix and where.startswith(prefix + "/"):      # the file as the host names it
            where = where[len(prefix):]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        result.failure = (f"{len(errors)} input error{'s' if len(errors) != 1 else ''}, the scan is incomplete: "
                          f"{where + ': ' if where else ''}{_text(first.get('message', ''))}{more}")
    elif _internal_errors(scan):
        # exit 3 after everything else was answered: the findings stand, the part named is missing
        problems = _internal_errors(scan)
        first = problems[0] if isinstance(problems[0], dict) else {}
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        result.failure = (f"{len(problems)} internal error{'s' if len(problems) != 1 else ''} in confcheck, "
                          f"the scan is incomplete: {_text(first.get('where', ''))}: "
                          f"{_text(first.get('error', ''))}{more}")
    elif result.exit_code not in (None, 0, 1):
        result.failure = _exit_reason(result.exit_code, stderr)
    return result


def _internal_errors(scan: dict) -> list:
    found = scan.get("internal_errors")
    return found if isinstance(found, list) else []


def _finding(raw) -> Finding | None:
    """A finding read by json, checked as the typed decoder checks it; None if it is not one."""
    try:
        return msgspec.convert(raw, Finding, strict=True)
    except msgspec.ValidationError:
        return None


def _exit_reason(exit_code: int | None, stderr: str) -> str | None:
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
    if exit_code is None:
        return last or None
    meaning = {2: "could not run as asked", 3: "internal error"}.get(exit_code, "unexpected exit")
    return f"scan exited {exit_code} ({meaning})" + (f": {last}" if last else "")


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)

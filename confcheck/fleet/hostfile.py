"""One host's result file, as the Ansible role brings it back (or as a user saved it).

Three shapes are read (docs/contract-additions.md):

- the role's envelope: `{"confcheck_host": 1, "host", "exit_code", "root",
  "names", "stderr", "scan": <scan --format json document> | null, "error"}`,
  or with `"digest"` in place of `"scan"`: the scan's fleet digest, only what a
  fleet view reads of it (no fixes), its texts (and null) listed once and its
  findings as columns of indexes into them (what the role fetches to results/hosts/);
- a bare `confcheck scan --format json` document (`confcheck scan ... > web1.json`):
  the host is named after the file;
- anything else (an error object, a truncated download, another program's JSON)
  makes the host *failed*, with the reason, never an empty (clean) host.

A digest written by `confcheck digest` (what the role runs on each host) also
carries the host's cause table (causes.py), read here into `HostFile.causes`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from operator import attrgetter
from typing import Annotated, Any, Literal

import msgspec

ENVELOPE_KEY = "confcheck_host"
DIGEST_VERSION = 1
# What a fleet view reads of a finding, in the order of HostFile.columns and of a digest's columns.
FIELDS = ("rule", "name", "severity", "message", "file", "line", "fs_path")
RULE, NAME, SEVERITY, MESSAGE, FILE, LINE, FS_PATH = range(len(FIELDS))
SEVERITIES = frozenset(("info", "warning", "error"))
# The version of the definition of a cause (causes.py) a digest's cause table was worked out by:
# a table of another version is not read (the merge works it out again from the findings).
CAUSE_VERSION = 1
_UNSET = msgspec.UNSET


class Finding(msgspec.Struct, frozen=True, gc=False):
    """What a fleet view keeps of one finding."""

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


_Index = Annotated[int, msgspec.Meta(ge=0)]     # checked as it is decoded


class _DigestColumns(msgspec.Struct, gc=False):
    """Per finding, an index into the digest's strings; line is the line."""

    rule: list[_Index]
    name: list[_Index]
    severity: list[_Index]
    message: list[_Index]
    file: list[_Index]
    line: list[int | None]
    fs_path: list[_Index]


class _DigestCauses(msgspec.Struct, gc=False):
    """Per distinct cause: its key's fingerprint, its first finding's index, its count, its
    highest severity (an index into the digest's strings), its line (null unless all share it)."""

    version: Literal[CAUSE_VERSION]     # another version's table is not decoded
    key: list[_Index]
    first: list[_Index]
    count: list[Annotated[int, msgspec.Meta(ge=1)]]
    severity: list[_Index]
    line: list[int | None]


class _Digest(msgspec.Struct, gc=False):
    version: int
    strings: list[str | None]
    findings: _DigestColumns
    errors: list = []
    internal_errors: list = []
    causes: _DigestCauses | None = None


class _Document(_Scan, gc=False):
    """Every shape at once, every field optional: only what the merge reads is decoded."""

    confcheck_host: Any = _UNSET
    host: Any = _UNSET
    exit_code: Any = _UNSET
    root: Any = _UNSET
    names: Any = _UNSET
    stderr: Any = _UNSET
    scan: _Scan | None | msgspec.UnsetType = _UNSET
    digest: _Digest | None | msgspec.UnsetType = _UNSET
    error: Any = _UNSET


# Decoding only the fields read, into typed findings, is ~5x faster than json.loads on a
# full host file (mostly fixes and diffs the merge never reads); a digest is faster still.
_DECODER = msgspec.json.Decoder(_Document)
_ROW = attrgetter(*FIELDS)
NO_FINDINGS = ((),) * len(FIELDS)


def _present(struct) -> dict:
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not _UNSET}


@dataclass(slots=True)
class CauseTable:
    """A host's distinct causes, in order of first occurrence (one entry per cause in each list)."""

    keys: list | None  # (rule, message shape, masked file, masked fs_path); None in a digest's,
    first: list        # the index of its first finding         which has their fingerprints
    count: list        # its findings on the host
    severity: list     # the highest severity of them
    line: list         # the line they all have, else None
    fingerprints: list | None = None    # a digest's: per cause, its key's fingerprint (causes.py)


@dataclass(slots=True)
class HostFile:
    host: str
    source: str                   # the path it was read from
    exit_code: int | None = None  # the scan's exit code, when the envelope says
    root: str | None = None       # the scan's --root (its prefix is not part of a cause)
    names: tuple[str, ...] = ()   # the host's own names (masked in causes)
    # The findings as columns (FIELDS order), one entry per finding. In a digest's the
    # entries are indexes into `strings` (whose texts may be None), except line; else the values.
    columns: tuple = NO_FINDINGS
    strings: list | None = None
    failure: str | None = None    # why this host has no complete scan, or None
    causes: CauseTable | None = None   # the digest's cause table, when it has one of CAUSE_VERSION

    @property
    def count(self) -> int:
        return len(self.columns[RULE])

    def text(self, entry):
        """The text a column's entry stands for."""
        return entry if self.strings is None else self.strings[entry]

    def texts(self, column: int):
        """A column's texts, for the columns that always have one (rule, severity, message)."""
        entries = self.columns[column]
        return entries if self.strings is None else map(self.strings.__getitem__, entries)

    def severity_counts(self) -> dict:
        """severity -> findings."""
        counts: Counter = Counter()
        for entry, n in Counter(self.columns[SEVERITY]).items():
            counts[self.text(entry)] += n
        return {s: counts[s] for s in ("error", "warning", "info")}

    def findings(self) -> list[Finding]:
        """One Finding per finding (for readers that go one at a time)."""
        return [Finding(rule=r, name=n, severity=s, message=m, file=f, line=ln, fs_path=p)
                for r, n, s, m, f, ln, p in zip(*(map(self.text, c) if i != LINE else c
                                                   for i, c in enumerate(self.columns)))]


def host_name_of(path: str) -> str:
    name = os.path.basename(path)
    return name[:-5] if name.endswith(".json") else name


def read_host_file(path: str) -> HostFile:
    """Never raises on what is in the file: a bad file is a failed host with its reason."""
    return HostReader(0).read(path)


class HostReader:
    """read_host_file for many files in a row, each read into one buffer kept for the next (a
    new bytes object of a few hundred KB per file costs more to allocate and fault in than to
    fill, and the decoder then reads memory still in cache). The texts decoded are copies."""

    def __init__(self, size: int = 1 << 20):
        self.buffer = bytearray(size)

    def read(self, path: str) -> HostFile:
        try:
            data = self._content(path)
        except OSError as exc:
            return HostFile(host_name_of(path), path, failure=f"cannot read {path}: {exc.strerror}")
        with data:
            return read_host_bytes(data, path)

    def _content(self, path: str) -> memoryview:
        with open(path, "rb", buffering=0) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size >= len(self.buffer):
                self.buffer = bytearray(size + (size >> 3) + 1)
            view, filled = memoryview(self.buffer), 0
            while got := fh.readinto(view[filled:]):
                filled += got
                if filled == len(view):      # longer than it said (a pipe, a growing file)
                    view.release()
                    self.buffer += bytes(len(self.buffer))
                    view = memoryview(self.buffer)
            return view[:filled]


def read_host_bytes(data, path: str) -> HostFile:
    """A host file's content (bytes, or a memoryview of them), read as read_host_file reads it
    (`path` names it)."""
    fallback = host_name_of(path)
    try:
        fast = _DECODER.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        fast = None     # not the expected shape: read again the slow way, which says what is wrong
        data = bytes(data)
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
    if doc.get("digest") is not None and doc.get("scan") is None:
        return _with_digest(result, doc["digest"], stderr)
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
    if findings:
        result.columns = tuple(zip(*map(_ROW, findings)))
    return _incomplete(result, scan, stderr)


def _with_digest(result: HostFile, digest, stderr: str) -> HostFile:
    if not isinstance(digest, _Digest):       # read by json: check it as the typed decoder does
        version = digest.get("version") if isinstance(digest, dict) else None
        if isinstance(version, int) and version != DIGEST_VERSION:
            result.failure = (f"{result.source}: not a confcheck fleet digest (version {version}; "
                              f"this confcheck reads version {DIGEST_VERSION})")
            return result
        causes = digest.get("causes") if isinstance(digest, dict) else None
        known = isinstance(causes, dict) and causes.get("version") == CAUSE_VERSION
        try:    # a cause table of another version is left out: worked out again, as for an older digest
            digest = msgspec.convert({k: v for k, v in digest.items() if k != "causes" or known}, _Digest,
                                     strict=True)
        except msgspec.ValidationError as exc:
            where = "its causes: " if known and "- at `$.causes" in str(exc) else ""
            result.failure = f"{result.source}: not a confcheck fleet digest ({where}{exc})"
            return result
    columns = tuple(getattr(digest.findings, name) for name in FIELDS)
    problem = _digest_problem(digest, columns)
    if problem:
        result.failure = f"{result.source}: not a confcheck fleet digest ({problem})"
        return result
    result.columns, result.strings = columns, digest.strings
    if digest.causes is not None:
        result.causes, problem = _cause_table(digest.causes, digest.strings, result.count)
        if problem:
            result.failure = f"{result.source}: not a confcheck fleet digest (its causes: {problem})"
            result.columns, result.strings = NO_FINDINGS, None
            return result
    return _incomplete(result, {"errors": digest.errors, "internal_errors": digest.internal_errors}, stderr)


def _digest_problem(digest: _Digest, columns: tuple) -> str | None:
    """What makes the digest's columns unreadable, or None (bulk checks: a column's bounds,
    whether it names a null, the set of its severities)."""
    if digest.version != DIGEST_VERSION:
        return f"version {digest.version}; this confcheck reads version {DIGEST_VERSION}"
    strings = digest.strings
    count, size = len(columns[RULE]), len(strings)
    nulls = null_entries(strings)
    for number, (name, entries) in enumerate(zip(FIELDS, columns)):
        if len(entries) != count:
            return f"{len(entries)} {name} entries for {count} findings"
        if number == LINE or not entries:
            continue
        if max(entries) >= size:        # and none is below 0 (_Index)
            return f"a {name} entry is not an index of its {size} strings"
        if number in (RULE, SEVERITY, MESSAGE) and any(map(entries.__contains__, nulls)):
            return f"a finding has no {name}"
    if not {strings[i] for i in set(columns[SEVERITY])} <= SEVERITIES:
        return "a severity is not info, warning or error"
    return None


def _cause_table(table: _DigestCauses, strings: list, findings: int) -> tuple[CauseTable | None, str | None]:
    """The digest's cause table and None, or None and what makes it unreadable."""
    rows = len(table.key)
    if any(len(part) != rows for part in (table.first, table.count, table.severity, table.line)):
        return None, f"its lists differ in length ({rows} keys)"
    if sum(table.count) != findings:
        return None, f"they count {sum(table.count)} findings of {findings}"
    if rows and max(table.first) >= findings:
        return None, f"a first entry is not one of its {findings} findings"
    try:
        severity = list(map(strings.__getitem__, table.severity))
    except IndexError:
        return None, f"a severity entry is not an index of its {len(strings)} strings"
    if not set(severity) <= SEVERITIES:
        return None, "a severity is not info, warning or error"
    return CauseTable(None, table.first, table.count, severity, table.line, table.key), None


def null_entries(strings: list) -> list[int]:
    """Where a digest's strings hold null (list.index: a loop in C)."""
    found: list[int] = []
    try:
        while True:
            found.append(strings.index(None, found[-1] + 1 if found else 0))
    except ValueError:
        return found


def _incomplete(result: HostFile, scan: dict, stderr: str) -> HostFile:
    """The host's failure when its scan was incomplete or exited oddly (its findings still count)."""
    errors = scan.get("errors") or []
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

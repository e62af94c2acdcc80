"""A host's fleet digest: what `confcheck report` reads of its scan, written on the host.

`confcheck digest` (what the Ansible role runs after the scan) turns the role's
envelope (docs/contract-additions.md) into the same envelope with, in place of
the scan, its digest: each finding's fields (no fixes), each text listed once and
the findings as columns of indexes into them, and the host's cause table
(causes.py), worked out here so that the controller only looks its keys'
fingerprints up.
"""

from __future__ import annotations

import json

from confcheck.fleet.causes import CAUSE_VERSION, Keyer, fingerprint
from confcheck.fleet.hostfile import DIGEST_VERSION, FIELDS, read_host_bytes


def digest_of(scan) -> dict | None:
    """The scan's digest without its cause table, or None when the scan is not a document
    of findings the digest can carry (its envelope then keeps the whole scan)."""
    findings = scan.get("findings") if isinstance(scan, dict) else None
    if not isinstance(findings, list) or not isinstance(scan.get("errors", []), list):
        return None
    strings: dict = {}        # each text (or null) once: the columns index it
    columns: dict = {name: [] for name in FIELDS}
    for finding in findings:
        if not isinstance(finding, dict):
            return None
        for name in FIELDS:
            value = finding.get(name)
            if name == "line":
                if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                    return None
                columns[name].append(value)
            elif value is None or isinstance(value, str):
                columns[name].append(strings.setdefault(value, len(strings)))
            else:
                return None
    digest = {"version": DIGEST_VERSION, "tool": scan.get("tool"), "summary": scan.get("summary"),
              "errors": scan.get("errors", []), "strings": list(strings), "findings": columns}
    if "internal_errors" in scan:
        digest["internal_errors"] = scan["internal_errors"]
    return digest


def digest_envelope(envelope: dict) -> dict:
    """The envelope with the scan's digest in place of the scan (as it is when there is none).
    The cause table is added when the envelope names its host (the keys mask its names)."""
    scan = envelope.get("scan")
    digest = digest_of(scan) if scan is not None else None
    if digest is None:
        return envelope
    out = {("digest" if key == "scan" else key): (digest if key == "scan" else value)
           for key, value in envelope.items()}
    if isinstance(envelope.get("host"), str) and envelope["host"]:
        hostfile = read_host_bytes(_json_bytes(out), envelope["host"])
        if hostfile.count == len(digest["findings"]["rule"]):     # its findings were read
            digest["causes"] = _causes(Keyer().table(hostfile), digest["strings"])
    return out


def _causes(table, strings: list) -> dict:
    """The table as the digest carries it: keys as their fingerprints, severities as
    indexes into the strings (which hold every severity a finding has)."""
    index = {text: n for n, text in enumerate(strings)}
    return {"version": CAUSE_VERSION, "key": list(map(fingerprint, table.keys)), "first": table.first,
            "count": table.count, "severity": list(map(index.__getitem__, table.severity)), "line": table.line}


def _json_bytes(doc, **layout) -> bytes:
    return (json.dumps(doc, ensure_ascii=True, **layout) + "\n").encode("ascii")


def digest_bytes(data: bytes) -> bytes:
    """The digest envelope of a role result file's content, as the role writes it (compact:
    the report reads hundreds of these, and whitespace is parse time too). Raises ValueError
    when the content is not a JSON object."""
    envelope = json.loads(data)
    if not isinstance(envelope, dict):
        raise ValueError("not a JSON object")
    return _json_bytes(digest_envelope(envelope), separators=(",", ":"))

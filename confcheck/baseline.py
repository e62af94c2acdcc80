"""Baselines: accept today's findings, fail only on new ones.

    confcheck scan --no-fs nginx/ --update-baseline --baseline .confcheck-baseline.json
    confcheck scan --no-fs nginx/ --baseline .confcheck-baseline.json

The file lists fingerprints (confcheck/fingerprint.py: rule, file, directive
text, path at fault; no line numbers), so findings stay accepted when lines
move. Each entry accepts one finding: a second identical problem in the same
file is new. Rule, file and message are stored only for people reading the
file in review.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass


class BaselineError(Exception):
    """An unreadable or malformed baseline (exit 2)."""


@dataclass
class Filtered:
    findings: list          # what is still reported
    accepted: int           # findings the baseline accepted


def read_baseline(path: str) -> set[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline; create it with --update-baseline") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not a confcheck baseline ({exc})") from None
    entries = doc.get("findings") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or doc.get("version") != 1 or not all(
            isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries):
        raise BaselineError(f"{path}: not a confcheck baseline (expected version 1 with findings[].fingerprint)")
    return {e["fingerprint"] for e in entries}


def write_baseline(path: str, findings, root: str) -> None:
    from confcheck.fingerprint import finding_file, fingerprints

    entries = [{"fingerprint": fp, "rule": f.rule, "file": finding_file(f, root), "message": f.message}
               for f, fp in zip(findings, fingerprints(findings, root))]
    doc = {"version": 1, "tool": "confcheck", "findings": entries}
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2, ensure_ascii=True)
            fh.write("\n")
        os.replace(tmp, path)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write: {exc.strerror}") from None


def apply_baseline(findings, accepted: set[str], root: str) -> Filtered:
    from confcheck.fingerprint import fingerprints

    kept = [f for f, fp in zip(findings, fingerprints(findings, root)) if fp not in accepted]
    return Filtered(kept, len(findings) - len(kept))

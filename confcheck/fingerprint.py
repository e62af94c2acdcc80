"""Finding fingerprints: the identity of a finding that survives unrelated edits.

A fingerprint hashes the rule, the file (relative to the project root, the
resolved path so a `sites-enabled` symlink and its target agree), the text of
the directive it points at with whitespace collapsed, and the path on disk at
fault; never a line number, so lines moving above or below do not change it.
Two findings that would hash alike (the same rule on two identical `deny all;`
lines of one file) get an occurrence number in file order, as GitHub's own
`primaryLocationLineHash` does (`hash:2`).

Used by SARIF (`partialFingerprints`) and by baselines.
"""

from __future__ import annotations

import hashlib

from confcheck.settings import relative_to_root


def finding_file(finding, root: str) -> str | None:
    """The finding's file as reported to code scanning: resolved, relative to root."""
    if finding.span is None:
        return None
    return relative_to_root(root, finding.span.source.realpath)


def _directive_text(finding) -> str:
    if finding.span is None:
        return ""
    text = finding.span.text
    # A block's span covers its body: only its header identifies it (an edit
    # inside a server block must not re-key every finding on that block).
    # Cutting every directive at its first '{' (or an Apache section at '>') is
    # deterministic, which is all a hash needs.
    header = text.split(">", 1)[0] if text.lstrip().startswith("<") else text.split("{", 1)[0]
    return " ".join(header.split())


def fingerprints(findings, root: str) -> list[str]:
    """One fingerprint per finding, in the order given ("<sha256 prefix>:<occurrence>")."""
    seen: dict[str, int] = {}
    files: dict = {}        # a source's finding_file: a big scan has many findings per file
    out = []
    for finding in findings:
        source = finding.span.source if finding.span is not None else None
        file = files.get(source)
        if file is None:
            file = files[source] = finding_file(finding, root) or ""
        parts = (finding.rule, file, _directive_text(finding), finding.fs_path or "")
        digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:32]
        seen[digest] = seen.get(digest, 0) + 1
        out.append(f"{digest}:{seen[digest]}")
    return out

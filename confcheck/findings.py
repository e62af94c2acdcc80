"""Findings and fixes: what a rule yields, in the shape of the JSON contract."""

from __future__ import annotations

from dataclasses import dataclass, field

from confcheck.source import Span

SEVERITIES = ("info", "warning", "error")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(slots=True)
class Fix:
    applicability: str          # safe | unsafe | display-only
    title: str
    commands: list[str] = field(default_factory=list)

    @property
    def diff(self) -> str | None:
        """The unified diff of a config fix (fixers.config.ConfigFix); None here."""
        return None

    def to_json(self) -> dict:
        return {"applicability": self.applicability, "title": self.title,
                "diff": self.diff, "commands": list(self.commands)}


@dataclass(slots=True)
class Finding:
    rule: str
    name: str
    severity: str
    message: str
    span: Span | None            # the directive that makes the finding matter
    server: str | None = None    # nginx | apache | None
    fs_path: str | None = None
    fs_paths: list[str] | None = None   # every path at fault, for grouped findings
    fix: Fix | None = None

    def sort_key(self) -> tuple:
        if self.span is None:
            return ("", 0, 0, self.rule, self.fs_path or "")
        return (self.span.file, self.span.start, 0, self.rule, self.fs_path or "")

    def to_json(self) -> dict:
        if self.span is not None:
            pos = self.span.position()
        else:
            pos = {"file": None, "line": None, "column": None, "end_line": None, "end_column": None}
        out = {
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            **pos,
            "fs_path": self.fs_path,
            "server": self.server,
            "fix": self.fix.to_json() if self.fix else None,
        }
        if self.fs_paths is not None:
            out["fs_paths"] = list(self.fs_paths)
        return out


@dataclass
class NotCheckedPath:
    """A path a scan could not judge, and why (reported, never silently skipped)."""

    path: str
    reason: str

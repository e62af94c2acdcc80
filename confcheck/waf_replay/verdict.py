"""What the engine said about the replayed request, from its error-log lines.

Both engines write one line per matched rule, `ModSecurity: Warning. ...` or,
for the rule that refused, `ModSecurity: Access denied with code N (phase P).
...`, followed by `[file "..."] [line "..."] [id "..."] [msg "..."]` fields;
a request body over SecRequestBodyLimit (Reject) is refused while it is read,
with a line of its own and no rule id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FIELD = re.compile(r'\[(\w+) "((?:[^"\\]|\\.)*)"\]')
_DENIED = re.compile(r"Access denied with code (\d+) \(phase (\d)\)")
_SCORE = re.compile(r"Total (?:Inbound )?Score: (\d+)")
# the variable a rule matched: CRS's logdata "... found within ARGS:q: ...", else the engines' own words
_VARIABLE = (re.compile(r"found within ([A-Z_]+(?::[^\s:]+)?)"), re.compile(r"against variable `([^']+)'"),
             re.compile(r"\bat ([A-Z_]+(?::[^\s.]+)?)\. \["))
# mod_security2: "Request body (Content-Length) is larger than the configured limit (N)."
# libmodsecurity3: "Request body limit is marked to reject the request" / "Request body excluding files is bigger ..."
_BODY_LIMIT = re.compile(r"Request body (?:\(Content-Length\) is larger than|no files data length is larger than|"
                         r"limit is marked to reject|excluding files is bigger than)", re.I)


@dataclass
class RuleHit:
    id: str
    msg: str
    file: str | None
    line: int | None
    data: str = ""
    variable: str | None = None   # what matched, e.g. ARGS:content
    severity: str | None = None
    paranoia_level: int | None = None
    denied: bool = False          # this rule refused the request

    def to_json(self) -> dict:
        return {"id": self.id, "msg": self.msg, "file": self.file, "line": self.line, "data": self.data,
                "variable": self.variable, "severity": self.severity, "paranoia_level": self.paranoia_level, "denied": self.denied}


@dataclass
class Verdict:
    status: int | None = None     # the refusal's status (None: the engine let the request through)
    phase: int | None = None      # the phase that refused (a body over the limit: 2, while it is read)
    rules: list[RuleHit] = field(default_factory=list)
    anomaly_score: int | None = None
    body_limit: str | None = None  # the engine's line when it refused the body for its size
    lines: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return self.status is not None


def read(lines: list[str], origin: dict | None = None) -> Verdict:
    """`origin`: (config path, line) -> the directive it was copied from (throwaway.Emitter)."""
    origin = origin or {}
    verdict = Verdict()
    seen: dict[str, RuleHit] = {}
    for line in lines:
        if "ModSecurity" not in line:
            continue
        verdict.lines.append(line)
        denied = _DENIED.search(line)
        if denied and verdict.status is None:
            verdict.status, verdict.phase = int(denied.group(1)), int(denied.group(2))
        if _BODY_LIMIT.search(line) and verdict.body_limit is None:
            verdict.body_limit = line[line.index("ModSecurity"):]
        fields: dict[str, list[str]] = {}
        for name, value in _FIELD.findall(line):
            fields.setdefault(name, []).append(value)
        score = _SCORE.search(" ".join(fields.get("msg", [])))
        if score:
            verdict.anomaly_score = max(verdict.anomaly_score or 0, int(score.group(1)))
        rule_id = (fields.get("id") or [None])[0]
        if rule_id is None:
            continue
        hit = seen.get(rule_id)
        if hit is None:
            file = (fields.get("file") or [None])[0]
            number = (fields.get("line") or [None])[0]
            number = int(number) if number and number.isdigit() else None
            item = origin.get((file, number)) if file and number else None
            if item is not None:
                file, number = item.file, item.line
            level = next((int(t.rsplit("/", 1)[1]) for t in fields.get("tag", [])
                          if t.startswith("paranoia-level/") and t.rsplit("/", 1)[1].isdigit()), None)
            data = (fields.get("data") or [""])[0]
            hit = seen[rule_id] = RuleHit(rule_id, (fields.get("msg") or [""])[0], file, number, data,
                                          _variable(data, line), (fields.get("severity") or [None])[0], level)
            verdict.rules.append(hit)
        if denied:
            hit.denied = True
    return verdict


def _variable(data: str, line: str) -> str | None:
    for pattern, text in zip(_VARIABLE, (data, line, line)):
        found = pattern.search(text)
        if found:
            return found.group(1)
    return None

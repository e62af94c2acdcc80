"""ModSecurity's log lines and audit logs, read into hits (one matched rule each).

Error log, Apache (mod_security2) and nginx (libmodsecurity 3):

    ModSecurity: Warning. Pattern match "..." at ARGS:content. [file "..."] [line "297"] [id "942270"] ...
    ModSecurity: Warning. Matched "Operator `Rx' with parameter `...' against variable `ARGS:json.content' ...
    ModSecurity: Access denied with code 403 (phase 2). ... [id "949110"] [msg "Inbound Anomaly Score
        Exceeded (Total Score: 10)"] ... [uri "/wp-admin/post.php"] [unique_id "..."]

Both name the matched variable (mod_security2 "at VAR.", libmodsecurity "against
variable `VAR'", and the CRS's logdata "found within VAR:"); the two engines do
not name JSON fields alike (ARGS:content, ARGS:json.content), so an exclusion
takes the name from the engine's own line. The [line] is not the same either
(mod_security2 names the directive's last line, libmodsecurity its first): the
rule is found by id in the configuration.

Audit logs: the native format (sections `--ID-A--` ... `--ID-Z--`, A: the
transaction, B: the request line, F: the response status, H: the messages) of
both engines, and the JSON formats (mod_security2: audit_data.messages as text;
libmodsecurity: transaction.messages with details).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_FIELD = re.compile(r'\[(\w+) "((?:[^"\\]|\\.)*)"\]')
_DENIED = re.compile(r"Access denied with code (\d+) \(phase (\d)\)")
_VAR_AGAINST = re.compile(r"against variable `(?P<var>[^']*)'")
_VAR_AT = re.compile(r'"? at (?P<var>[A-Za-z_]+(?::[^\s\[]*?)?)\. \[')
_VAR_WITHIN = re.compile(r"found within (?P<var>[A-Za-z_]+(?::[^:\s]+)?)(?:: |$)")
_SCORE = re.compile(r"Total (?:Inbound )?Score: (\d+)")
# mod_security2: --1a2b3c4d-A--; libmodsecurity: ---s4r6Dtrq---A--
_NATIVE_BOUNDARY = re.compile(r"^-{2,3}(?P<id>[0-9A-Za-z]+)-{1,3}(?P<part>[A-Z])--$")


@dataclass
class WafHit:
    rule_id: int | None
    file: str | None = None
    line: int | None = None
    msg: str = ""
    data: str = ""
    variable: str | None = None
    tags: list[str] = field(default_factory=list)
    uri: str | None = None
    unique_id: str | None = None
    hostname: str | None = None
    denied: int | None = None        # the status of "Access denied with code N"
    phase: int | None = None

    @property
    def paranoia_level(self) -> int | None:
        for tag in self.tags:
            if tag.startswith("paranoia-level/") and tag[15:].isdigit():
                return int(tag[15:])
        return None

    @property
    def evaluation(self) -> bool:
        """The CRS's anomaly evaluation and correlation rules (949xxx, 959xxx, 980xxx): they add
        up the other rules' scores, they are not the rule to exclude."""
        return self.rule_id is not None and self.rule_id // 1000 in (949, 959, 980)

    @property
    def score(self) -> int | None:
        found = _SCORE.search(self.msg)
        return int(found.group(1)) if found else None

    def to_json(self) -> dict:
        return {"id": self.rule_id, "msg": self.msg, "file": self.file, "line": self.line,
                "variable": self.variable, "paranoia_level": self.paranoia_level}


def parse_message(text: str) -> WafHit | None:
    """The hit a `ModSecurity: ...` message (or an audit log's `Message: ...`) names; None when
    the text is not one."""
    at = text.find("ModSecurity: ")
    if at >= 0:
        text = text[at + len("ModSecurity: "):]
    elif text.startswith("Message: "):
        text = text[len("Message: "):]
    else:
        return None
    fields: dict[str, list[str]] = {}
    for name, value in _FIELD.findall(text):
        fields.setdefault(name, []).append(value.replace('\\"', '"'))

    def one(name: str) -> str | None:
        return fields[name][0] if name in fields else None

    rule_id = one("id")
    line = one("line")
    hit = WafHit(int(rule_id) if rule_id and rule_id.isdigit() else None, one("file"),
                 int(line) if line and line.isdigit() else None, one("msg") or "", one("data") or "",
                 tags=fields.get("tag", []), uri=one("uri"), unique_id=one("unique_id"), hostname=one("hostname"))
    denied = _DENIED.search(text)
    if denied:
        hit.denied, hit.phase = int(denied.group(1)), int(denied.group(2))
    head = text.split(" [file ", 1)[0] + " ["
    found = _VAR_AGAINST.search(head) or _VAR_AT.search(head) or _VAR_WITHIN.search(hit.data)
    hit.variable = found.group("var") if found else None
    return hit


# -- audit logs ----------------------------------------------------------------------

@dataclass
class AuditEntry:
    unique_id: str | None
    request_line: str | None
    status: int | None
    hits: list[WafHit]
    raw: str
    server: str | None = None        # apache | nginx, from the entry's producer lines


def audit_entries(lines: list[str]) -> list[AuditEntry]:
    """Every audit-log entry in `lines` (native sections or one JSON document per line)."""
    out: list[AuditEntry] = []
    current: dict | None = None
    for line in lines:
        text = line.rstrip("\r\n")
        if text.startswith("{"):
            entry = _json_entry(text)
            if entry is not None:
                out.append(entry)
            continue
        boundary = _NATIVE_BOUNDARY.match(text)
        if boundary:
            part = boundary.group("part")
            if part == "A":
                current = {"parts": {}, "raw": []}
            if current is not None:
                current["part"] = part
                current["raw"].append(text)
                if part == "Z":
                    out.append(_native_entry(current))
                    current = None
            continue
        if current is not None:
            current["parts"].setdefault(current["part"], []).append(text)
            current["raw"].append(text)
    return out


def _native_entry(entry: dict) -> AuditEntry:
    parts = entry["parts"]
    a = (parts.get("A") or [""])[0].split()
    unique_id = a[2] if len(a) > 2 else None
    request_line = next((t for t in parts.get("B", []) if t.strip()), None)
    status_line = next((t for t in parts.get("F", []) if t.strip()), "")
    status = int(status_line.split()[1]) if len(status_line.split()) > 1 and status_line.split()[1].isdigit() \
        else None
    hits = []
    for text in parts.get("H", []):
        if text.startswith("Message: ") or (text.startswith("ModSecurity: ")):
            hit = parse_message(text)
            if hit is not None:
                hit.unique_id = hit.unique_id or unique_id
                hits.append(hit)
    # the engine does not name the server: mod_security2 writes Apache-Handler/Apache-Error lines,
    # nginx's own pages and headers name it
    raw = "\n".join(entry["raw"])
    server = "apache" if re.search(r"^Apache-(?:Handler|Error):|^Server: Apache", raw, re.M) else (
        "nginx" if "nginx" in raw.lower() else None)
    return AuditEntry(unique_id, request_line, status, hits, raw, server)


def _json_entry(text: str) -> AuditEntry | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("transaction"), dict):
        return None
    tx = doc["transaction"]
    unique_id = tx.get("unique_id") or tx.get("transaction_id") or tx.get("id")
    request = tx.get("request") if isinstance(tx.get("request"), dict) else doc.get("request") or {}
    request_line = request.get("request_line")
    if request_line is None and request.get("method") and request.get("uri"):
        request_line = f"{request['method']} {request['uri']} HTTP/{request.get('http_version', '1.1')}"
    response = tx.get("response") if isinstance(tx.get("response"), dict) else doc.get("response") or {}
    status = response.get("http_code") or response.get("status")
    hits: list[WafHit] = []
    for message in tx.get("messages") or []:          # libmodsecurity
        details = message.get("details") or {}
        rule_id, line = str(details.get("ruleId", "")), str(details.get("lineNumber", ""))
        hit = WafHit(int(rule_id) if rule_id.isdigit() else None, details.get("file"),
                     int(line) if line.isdigit() else None, message.get("message", ""), details.get("data", ""),
                     tags=list(details.get("tags") or []), unique_id=unique_id)
        found = _VAR_AGAINST.search(details.get("match", "")) or _VAR_WITHIN.search(hit.data)
        hit.variable = found.group("var") if found else None
        hits.append(hit)
    for message in (doc.get("audit_data") or {}).get("messages") or []:   # mod_security2
        hit = parse_message("Message: " + message)
        if hit is not None:
            hit.unique_id = hit.unique_id or unique_id
            hits.append(hit)
    if str(status).isdigit() and int(status) >= 400:
        # libmodsecurity's JSON does not say which rule refused: the inbound evaluation (949xxx) did
        denial = next((h for h in reversed(hits) if h.rule_id is not None and h.rule_id // 1000 == 949), None)
        if denial is not None and denial.denied is None:
            denial.denied = int(status)
    producer = json.dumps(tx.get("producer") or doc.get("audit_data", {}).get("producer") or "").lower()
    server = "nginx" if "nginx" in producer else ("apache" if "apache" in text.lower() else None)
    return AuditEntry(unique_id, request_line, int(status) if str(status).isdigit() else None, hits, text, server)

"""Merge per-host results into one fleet view: causes shared across hosts.

Two findings on two hosts have the same *cause* when they agree on

- the rule,
- the message's shape: the message with the host's own names masked, the
  scan's --root prefix removed, and free-standing numbers (counts such as
  "240 files", "(line 23)") replaced by N; numbers inside paths, addresses
  and versions (`site1.conf`, `192.0.2.0/24`, `php8.2`) are kept,
- the config file as the server names it (the --root prefix removed, host
  names masked), and
- the path on disk at fault, host names masked.

Line numbers are not part of a cause (as in fingerprints, confcheck/fingerprint.py:
the same template mistake may sit a few lines lower on one host). The same cause
twice on one host counts twice there, as a baseline entry accepts one finding.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from confcheck.findings import severity_rank
from confcheck.fleet.hostfile import HostFile, read_host_file

# A number standing on its own: not part of a word, a path, an address or a version.
_NUMBER = re.compile(r"(?<![\w./:\\-])\d+(?![\w./:\\-])")
MIN_NAME = 3     # shorter host names would mask unrelated text


@dataclass(slots=True)
class Cause:
    rule: str
    name: str
    severity: str
    message: str                 # one host's message (paths as the server names them)
    file: str | None             # as the server names it (no --root prefix)
    line: int | None             # None when it differs between occurrences
    fs_path: str | None
    hosts: dict = field(default_factory=dict)      # host -> occurrences there
    new_hosts: set = field(default_factory=set)    # hosts where an occurrence is new (--baseline)

    @property
    def occurrences(self) -> int:
        return sum(self.hosts.values())


@dataclass(slots=True)
class HostSummary:
    host: str
    source: str
    exit_code: int | None
    failure: str | None
    counts: dict                 # severity -> findings
    new: int | None = None       # findings not in the baseline (None: no --baseline)
    gone: int | None = None      # baseline findings no longer reported
    baseline: str | None = None  # compared | missing | the reason it is unusable

    @property
    def findings(self) -> int:
        return sum(self.counts.values())

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass
class FleetView:
    hosts: list                   # HostSummary, in host order
    causes: list                  # Cause, most hosts first
    baseline: str | None = None   # the --baseline DIR, when given

    @property
    def failed(self) -> list:
        return [h for h in self.hosts if not h.ok]

    def rules(self) -> list[dict]:
        """Per rule: its causes, the hosts it fires on, its findings."""
        by_rule: dict[str, dict] = {}
        for cause in self.causes:
            entry = by_rule.setdefault(cause.rule, {"rule": cause.rule, "name": cause.name,
                                                    "severity": cause.severity, "causes": 0,
                                                    "hosts": set(), "findings": 0})
            entry["causes"] += 1
            entry["hosts"].update(cause.hosts)
            entry["findings"] += cause.occurrences
            if severity_rank(cause.severity) > severity_rank(entry["severity"]):
                entry["severity"] = cause.severity
        out = [{**e, "hosts": len(e["hosts"])} for e in by_rule.values()]
        out.sort(key=lambda e: (-severity_rank(e["severity"]), -e["hosts"], e["rule"]))
        return out

    def failing(self, fail_on: str) -> bool:
        """A finding at or above `fail_on` (only new ones when compared with a baseline)."""
        threshold = severity_rank(fail_on)
        for cause in self.causes:
            if severity_rank(cause.severity) >= threshold and (self.baseline is None or cause.new_hosts):
                return True
        return False


class _Shaper:
    """Cause keys for one host's findings (memoised: fleets repeat their messages)."""

    def __init__(self, memo: dict):
        self.memo = memo

    def for_host(self, hostfile: HostFile):
        prefix = (hostfile.root or "").rstrip("/")
        names = sorted({n for n in (hostfile.host, *hostfile.names) if len(n) >= MIN_NAME}, key=len, reverse=True)
        patterns = [re.compile(r"(?<![\w-])" + re.escape(n) + r"(?![\w-])") for n in names]
        memo = self.memo

        def local(text: str | None) -> str | None:
            if text is None:
                return None
            if prefix and text.startswith(prefix + "/"):
                text = text[len(prefix):]
            for name, pattern in zip(names, patterns):
                if name in text:
                    text = pattern.sub("<host>", text)
            return text

        def unrooted(text: str) -> str:
            """The message with paths as the server names them (no --root prefix)."""
            if prefix and prefix + "/" in text:
                return text.replace(prefix + "/", "/")
            return text

        def message(text: str) -> str:
            text = unrooted(text)
            for name, pattern in zip(names, patterns):
                if name in text:
                    text = pattern.sub("<host>", text)
            shaped = memo.get(text)
            if shaped is None:
                shaped = memo[text] = _NUMBER.sub("N", text)
            return shaped

        return local, message, unrooted


def host_keys(hostfile: HostFile, shaper: _Shaper) -> list[tuple]:
    """The cause key of each of the host's findings, in order."""
    local, message, _ = shaper.for_host(hostfile)
    return [(f["rule"], message(f["message"]), local(f.get("file")), local(f.get("fs_path")))
            for f in hostfile.findings]


def _baseline_counts(baseline_dir: str, hostfile: HostFile, shaper: _Shaper) -> tuple[Counter | None, str]:
    import os

    for name in (os.path.basename(hostfile.source), f"{hostfile.host}.json"):
        path = os.path.join(baseline_dir, name)
        if os.path.exists(path):
            old = read_host_file(path)
            if old.failure is not None:
                return None, f"unusable: {old.failure}"
            old.host, old.names = hostfile.host, old.names or hostfile.names
            return Counter(host_keys(old, shaper)), "compared"
    return None, "missing"


def merge(paths, baseline_dir: str | None = None) -> FleetView:
    """Read every host file (one at a time: only the merged view is kept) and merge them."""
    shaper = _Shaper({})
    causes: dict[tuple, Cause] = {}
    hosts: list[HostSummary] = []
    for path in paths:
        hostfile = read_host_file(path)
        counts = {"error": 0, "warning": 0, "info": 0}
        summary = HostSummary(hostfile.host, path, hostfile.exit_code, hostfile.failure, counts)
        hosts.append(summary)
        keys = host_keys(hostfile, shaper)
        old = None
        if baseline_dir is not None:
            old, summary.baseline = _baseline_counts(baseline_dir, hostfile, shaper)
            summary.new = 0
        seen: Counter = Counter()
        _, _, unrooted = shaper.for_host(hostfile)
        host = hostfile.host
        for finding, key in zip(hostfile.findings, keys):
            severity = finding["severity"]
            counts[severity] += 1
            cause = causes.get(key)
            if cause is None:
                file = finding.get("file")
                cause = causes[key] = Cause(finding["rule"], finding.get("name") or "", severity,
                                            unrooted(finding["message"]), unrooted(file) if file else None,
                                            finding.get("line"), finding.get("fs_path"))
            elif cause.line != finding.get("line"):
                cause.line = None
            if severity != cause.severity and severity_rank(severity) > severity_rank(cause.severity):
                cause.severity = severity
            cause.hosts[host] = cause.hosts.get(host, 0) + 1
            if baseline_dir is not None:
                seen[key] += 1
                if old is None or seen[key] > old.get(key, 0):
                    cause.new_hosts.add(host)
                    summary.new += 1
        if old is not None:
            summary.gone = sum((old - seen).values())
    hosts.sort(key=lambda h: natural_key(h.host))
    ordered = sorted(causes.values(), key=lambda c: (-severity_rank(c.severity), -len(c.hosts), c.rule,
                                                      c.file or "", c.message))
    for cause in ordered:
        cause.hosts = dict(sorted(cause.hosts.items(), key=lambda kv: natural_key(kv[0])))
    return FleetView(hosts, ordered, baseline_dir)


def natural_key(text: str) -> tuple:
    """web2 before web10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))

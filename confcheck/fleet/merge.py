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

import os
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

    def __init__(self):
        self.memo: dict[str, str] = {}      # masked message -> its shape (numbers as N)

    @staticmethod
    def unrooter(hostfile: HostFile):
        """A text without the host's --root prefix."""
        rooted = _rooted(hostfile)

        def unrooted(text):
            if text and rooted in text:
                return text.replace(rooted, "/")
            return text

        return unrooted

    def keys(self, hostfile: HostFile) -> list[tuple]:
        """The cause key of each finding, in order. One loop with the masking inline: it runs
        once per finding of the fleet (2 million in issue 19's benchmark)."""
        rooted = _rooted(hostfile)
        names = sorted({n for n in (hostfile.host, *hostfile.names) if len(n) >= MIN_NAME}, key=len, reverse=True)
        patterns = [(n, re.compile(r"(?<![\w-])" + re.escape(n) + r"(?![\w-])")) for n in names]
        memo = self.memo
        paths: dict = {None: None}       # file and fs_path texts repeat within a host
        out = []
        for finding in hostfile.findings:
            message = finding.message
            if rooted in message:
                message = message.replace(rooted, "/")
            for name, pattern in patterns:
                if name in message:
                    message = pattern.sub("<host>", message)
            shaped = memo.get(message)
            if shaped is None:
                shaped = memo[message] = _NUMBER.sub("N", message)
            file, fs_path = finding.file, finding.fs_path
            masked_file = paths.get(file, paths)
            if masked_file is paths:
                masked_file = paths[file] = _masked_path(file, rooted, patterns)
            masked_fs = paths.get(fs_path, paths)
            if masked_fs is paths:
                masked_fs = paths[fs_path] = _masked_path(fs_path, rooted, patterns)
            out.append((finding.rule, shaped, masked_file, masked_fs))
        return out


def _rooted(hostfile: HostFile) -> str:
    """The host's --root prefix with its slash, as it starts a rooted path in a text
    ("\0", which is in no text, when the scan had no --root)."""
    prefix = (hostfile.root or "").rstrip("/")
    return prefix + "/" if prefix else "\0"


def _masked_path(text: str, rooted: str, patterns: list) -> str:
    if rooted in text:
        text = text.replace(rooted, "/")
    for name, pattern in patterns:
        if name in text:
            text = pattern.sub("<host>", text)
    return text


def _baseline_counts(baseline_dir: str, hostfile: HostFile, shaper: _Shaper) -> tuple[Counter | None, str]:
    for name in (os.path.basename(hostfile.source), f"{hostfile.host}.json"):
        path = os.path.join(baseline_dir, name)
        if os.path.exists(path):
            old = read_host_file(path)
            if old.failure is not None:
                return None, f"unusable: {old.failure}"
            old.host, old.names = hostfile.host, old.names or hostfile.names
            return Counter(shaper.keys(old)), "compared"
    return None, "missing"


def _merge_part(paths: list, baseline_dir: str | None) -> tuple[list, dict]:
    """Hosts and causes of some host files, read one at a time (only the merged view is kept)."""
    shaper = _Shaper()
    causes: dict[tuple, Cause] = {}
    hosts: list[HostSummary] = []
    rank = {s: severity_rank(s) for s in ("info", "warning", "error")}
    for path in paths:
        hostfile = read_host_file(path)
        counts = {"error": 0, "warning": 0, "info": 0}
        summary = HostSummary(hostfile.host, path, hostfile.exit_code, hostfile.failure, counts)
        hosts.append(summary)
        unrooted = shaper.unrooter(hostfile)
        old = None
        if baseline_dir is not None:
            old, summary.baseline = _baseline_counts(baseline_dir, hostfile, shaper)
            summary.new = 0
        seen: Counter = Counter()
        host = hostfile.host
        for finding, key in zip(hostfile.findings, shaper.keys(hostfile)):
            severity, line = finding.severity, finding.line
            counts[severity] += 1
            cause = causes.get(key)
            if cause is None:
                cause = causes[key] = Cause(finding.rule, finding.name or "", severity, unrooted(finding.message),
                                            unrooted(finding.file), line, finding.fs_path)
                cause.hosts[host] = 1
            else:
                if cause.line != line:
                    cause.line = None
                if severity != cause.severity and rank[severity] > rank[cause.severity]:
                    cause.severity = severity
                hosts_of = cause.hosts
                hosts_of[host] = hosts_of.get(host, 0) + 1
            if baseline_dir is not None:
                seen[key] += 1
                if old is None or seen[key] > old.get(key, 0):
                    cause.new_hosts.add(host)
                    summary.new += 1
        if old is not None:
            summary.gone = sum((old - seen).values())
    return hosts, causes


def _combine(into: dict, part: dict) -> None:
    for key, cause in part.items():
        have = into.get(key)
        if have is None:
            into[key] = cause
            continue
        for host, n in cause.hosts.items():
            have.hosts[host] = have.hosts.get(host, 0) + n
        have.new_hosts |= cause.new_hosts
        if have.line != cause.line:
            have.line = None
        if severity_rank(cause.severity) > severity_rank(have.severity):
            have.severity = cause.severity


PER_WORKER = 64     # fewer host files than this per process are read in this one


def merge(paths, baseline_dir: str | None = None, workers: int | None = None) -> FleetView:
    """Merge the host files. Many files are read by several processes, each merging a
    contiguous share; the shares are combined in order, so the result is the same."""
    paths = list(paths)
    if workers is None:
        workers = min(os.cpu_count() or 1, len(paths) // PER_WORKER)
    if workers <= 1:
        hosts, causes = _merge_part(paths, baseline_dir)
    else:
        from concurrent.futures import ProcessPoolExecutor

        size = -(-len(paths) // workers)
        shares = [paths[i:i + size] for i in range(0, len(paths), size)]
        hosts, causes = [], {}
        with ProcessPoolExecutor(len(shares)) as pool:
            for part_hosts, part_causes in pool.map(_merge_part, shares, [baseline_dir] * len(shares)):
                hosts.extend(part_hosts)
                _combine(causes, part_causes)
    rank = {}
    for host in sorted(hosts, key=lambda h: natural_key(h.host)):
        rank.setdefault(host.host, len(rank))
    hosts.sort(key=lambda h: rank[h.host])
    ordered = sorted(causes.values(), key=lambda c: (-severity_rank(c.severity), -len(c.hosts), c.rule,
                                                      c.file or "", c.message))
    for cause in ordered:
        if len(cause.hosts) > 1:
            cause.hosts = dict(sorted(cause.hosts.items(), key=lambda kv: rank[kv[0]]))
    return FleetView(hosts, ordered, baseline_dir)


def natural_key(text: str) -> tuple:
    """web2 before web10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))

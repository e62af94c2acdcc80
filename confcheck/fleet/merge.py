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

Issue 19 asks for 1,000 hosts of 2,000 findings each in under 2 s, so the work per
finding is done by bulk operations written in C (map, zip, dict and Counter over a
host's columns, one str.replace per needle over a host's texts joined); Python code
runs per distinct message of a host and per cause. A host file is a full scan or the
role's fleet digest (hostfile.py); both are read as columns, and a digest's texts
are masked once for all of its columns. tests/fleet/test_merge_reference.py holds
the same merge written one finding at a time and compares the two, for both kinds.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import getitem, is_, ne

from confcheck.findings import severity_rank
from confcheck.fleet.hostfile import (FILE, FS_PATH, LINE, MESSAGE, RULE, SEVERITY, HostFile, null_entries,
                                     read_host_file)

# A number standing on its own: not part of a word, a path, an address or a version.
_NUMBER = re.compile(r"(?<![\w./:\\-])\d+(?![\w./:\\-])")
MIN_NAME = 3     # shorter host names would mask unrelated text
_RANK = {s: severity_rank(s) for s in ("info", "warning", "error")}
_LAST, _FIRST = slice(-1, None), slice(0, 1)


@dataclass(slots=True)
class Cause:
    rule: str
    name: str
    severity: str
    message: str                 # one host's message (paths as the server names them)
    file: str | None             # as the server names it (no --root prefix)
    line: int | None             # None when it differs between occurrences
    fs_path: str | None
    occurrences: int = 0         # findings, over all hosts
    hosts: list = field(default_factory=list)      # the hosts it occurs on, each once, in host order
    new_hosts: set = field(default_factory=set)    # hosts where an occurrence is new (--baseline)


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


class _Masker:
    """One host's texts as another host would have them: its --root prefix removed
    (`unrooted`) and, for cause keys, its names masked as <host> (`masked`)."""

    def __init__(self, hostfile: HostFile):
        prefix = (hostfile.root or "").rstrip("/")
        self.rooted = prefix + "/" if prefix else None
        self.names = sorted({n for n in (hostfile.host, *hostfile.names) if len(n) >= MIN_NAME}, key=len, reverse=True)
        self.patterns: dict[str, re.Pattern] = {}      # compiled when a name is not simply replaceable
        self.strings: list | None = None                # a digest's strings, masked
        self.nul = any("\0" in n for n in (self.rooted or "", *self.names))   # texts are masked one by one

    def unrooted(self, text):
        rooted = self.rooted
        return text.replace(rooted, "/") if text and rooted and rooted in text else text

    def masked(self, text: str) -> str:
        if self.rooted and self.rooted in text:
            text = text.replace(self.rooted, "/")
        for name in self.names:
            if name in text:
                text = self._masked_name(text, name)
        return text

    def _masked_name(self, text: str, name: str) -> str:
        """Each occurrence of the name that stands on its own (not inside a word or a
        hyphenated name) as <host>. When every leftmost occurrence stands on its own (the
        characters around them, read off the pieces between them, do not continue a name),
        str.replace finds the same ones as the pattern (sre compiles cost more than the rest
        of a host's masking)."""
        pieces = text.split(name)
        around = set(map(getitem, pieces[:-1], repeat(_LAST))) | set(map(getitem, pieces[1:], repeat(_FIRST)))
        if "" in pieces[1:-1] or any(map(_joins, around)):    # "" inside: two occurrences touch
            pattern = self.patterns.get(name)
            if pattern is None:
                pattern = self.patterns[name] = re.compile(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])")
            return pattern.sub("<host>", text)
        return "<host>".join(pieces)

    def masked_texts(self, texts: list) -> list:
        """masked() of each text, done to all of them joined by NUL: one str.replace per
        needle found, not a call per text (a NUL is neither a word character nor in a needle,
        so the joined text's edges are the texts' own)."""
        if self.nul:
            return list(map(self.masked, texts))
        joined = "\0".join(texts)
        done = joined
        if self.rooted and self.rooted in done:
            done = done.replace(self.rooted, "/")
        for name in self.names:
            if name in done:
                done = self._masked_name(done, name)
        if done is joined:
            return texts
        masked = done.split("\0")
        return masked if len(masked) == len(texts) else list(map(self.masked, texts))   # a text holds a NUL

    def _masked_strings(self, strings: list) -> list:
        """A digest's strings masked (a null stays null)."""
        nulls = null_entries(strings)
        if not nulls:
            return self.masked_texts(strings)
        texts = list(strings)
        for i in nulls:
            texts[i] = ""            # masks to itself
        masked = self.masked_texts(texts)      # texts itself, or a new list
        for i in nulls:
            masked[i] = None
        return masked

    def table(self, hostfile: HostFile, column: int):
        """entry -> its text, masked, for a column's entries (None too: a full scan's
        columns hold the texts; a digest's strings are masked once for all its columns)."""
        if hostfile.strings is not None:
            if self.strings is None:
                self.strings = self._masked_strings(hostfile.strings)
            return self.strings.__getitem__
        out = dict.fromkeys(hostfile.columns[column])
        out.pop(None, None)
        out = dict(zip(out, self.masked_texts(list(out))))
        out[None] = None
        return out.__getitem__


def _joins(char: str) -> bool:
    """A character that continues a name (a word character or "-": a name next to it is not on its own)."""
    return bool(char) and (char.isalnum() or char in "_-")


class _Keyer:
    """Cause keys (rule, message shape, masked file, masked fs_path) of hosts' findings; the
    message shapes are memoised (fleets repeat their messages)."""

    def __init__(self):
        self.shapes: dict[str, str] = {}      # masked message -> its shape (numbers as N)

    def keys(self, hostfile: HostFile, masker: _Masker | None = None) -> list[tuple]:
        if not hostfile.count:
            return []
        masker = masker or _Masker(hostfile)
        columns = hostfile.columns
        masked_of = masker.table(hostfile, MESSAGE)
        messages = dict.fromkeys(columns[MESSAGE])          # each distinct entry, shaped once
        masked = list(map(masked_of, messages))
        shapes = self.shapes
        shaped = list(map(shapes.get, masked))
        if None in shaped:
            for i in compress(range(len(shaped)), map(is_, shaped, repeat(None))):
                text = masked[i]
                shaped[i] = shapes.get(text) or shapes.setdefault(text, _NUMBER.sub("N", text))
        shape_of = dict(zip(messages, shaped))
        return list(zip(hostfile.texts(RULE), map(shape_of.__getitem__, columns[MESSAGE]),
                        map(masker.table(hostfile, FILE), columns[FILE]),
                        map(masker.table(hostfile, FS_PATH), columns[FS_PATH])))


def _baseline_counts(baseline_dir: str, hostfile: HostFile, keyer: _Keyer) -> tuple[Counter | None, str]:
    for name in (os.path.basename(hostfile.source), f"{hostfile.host}.json"):
        path = os.path.join(baseline_dir, name)
        if os.path.exists(path):
            old = read_host_file(path)
            if old.failure is not None:
                return None, f"unusable: {old.failure}"
            old.host, old.names = hostfile.host, old.names or hostfile.names
            return Counter(keyer.keys(old)), "compared"
    return None, "missing"


@dataclass
class _Part:
    """The merge of some host files, compact (it crosses a process boundary): causes by id,
    in order of first occurrence; hosts by position, in file order."""

    hosts: list = field(default_factory=list)           # HostSummary
    host_causes: list = field(default_factory=list)     # per host: ids of its causes, each once
    keys: list = field(default_factory=list)            # per id: its cause key
    causes: list = field(default_factory=list)          # per id: Cause (first occurrence; hosts left empty)
    new_at: dict = field(default_factory=dict)          # id -> host positions where new (--baseline)


def _merge_part(paths: list, baseline_dir: str | None) -> _Part:
    """Hosts and causes of some host files, read one at a time (only the merged view is kept)."""
    part = _Part()
    keyer = _Keyer()
    ids: defaultdict = defaultdict()
    ids.default_factory = ids.__len__        # a new key gets the next id
    severities: list = []                    # per id: the highest severity so far
    lines: list = []                         # per id: its line, None once two occurrences differ
    occurrences: Counter = Counter()
    causes = part.causes
    for path in paths:
        hostfile = read_host_file(path)
        summary = HostSummary(hostfile.host, path, hostfile.exit_code, hostfile.failure, {})
        position = len(part.hosts)
        part.hosts.append(summary)
        masker = _Masker(hostfile)
        keys = keyer.keys(hostfile, masker)
        cids = list(map(ids.__getitem__, keys))
        host_lines = hostfile.columns[LINE]
        if len(ids) > len(causes):
            first = dict(zip(reversed(cids), range(len(cids) - 1, -1, -1)))
            rules, names, host_severities, messages, files, _, fs_paths = hostfile.columns
            text = hostfile.text
            for cid in range(len(causes), len(ids)):
                i = first[cid]
                severity = text(host_severities[i])
                causes.append(Cause(text(rules[i]), text(names[i]) or "", severity,
                                    masker.unrooted(text(messages[i])), masker.unrooted(text(files[i])),
                                    host_lines[i], text(fs_paths[i])))
                severities.append(severity)
                lines.append(host_lines[i])
        host_severities = list(hostfile.texts(SEVERITY))
        for cid, severity in compress(zip(cids, host_severities),
                                      map(ne, map(severities.__getitem__, cids), host_severities)):
            if _RANK[severity] > _RANK[severities[cid]]:
                severities[cid] = severity
        for cid in compress(cids, map(ne, map(lines.__getitem__, cids), host_lines)):
            lines[cid] = None
        counts = Counter(host_severities)
        summary.counts = {s: counts[s] for s in ("error", "warning", "info")}
        per_cause = Counter(cids)        # its keys: the host's causes, in order of first occurrence
        occurrences.update(per_cause)
        part.host_causes.append(list(per_cause))
        if baseline_dir is not None:
            _compare(summary, _baseline_counts(baseline_dir, hostfile, keyer), Counter(keys), ids,
                     part.new_at, position)
        # freed before the next file is decoded, which then reuses this memory (still in cache)
        del hostfile, keys, cids, host_severities, host_lines, per_cause
    for cause, severity, line in zip(causes, severities, lines):
        cause.severity, cause.line = severity, line
    for cid, cause in enumerate(causes):
        cause.occurrences = occurrences[cid]
    part.keys = list(ids)
    return part


def _compare(summary: HostSummary, baseline: tuple, seen: Counter, ids: dict, new_at: dict, position: int) -> None:
    """New findings: the occurrences of a cause beyond its count in the baseline (all of them without one)."""
    old, summary.baseline = baseline
    summary.new = 0
    for key, n in seen.items():
        extra = n - (old.get(key, 0) if old is not None else 0)
        if extra > 0:
            summary.new += extra
            new_at.setdefault(ids[key], []).append(position)
    if old is not None:
        summary.gone = sum((old - seen).values())


PER_WORKER = 64     # fewer host files than this per process are read in this one


def _parts(paths: list, baseline_dir: str | None, workers: int) -> list:
    """Each share of the files merged on its own: contiguous shares, the first in this process
    while the others run in worker processes (2 cores: one worker, nothing to wait for idle)."""
    if workers <= 1:
        return [_merge_part(paths, baseline_dir)]
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(paths) // workers)
    shares = [paths[i:i + size] for i in range(0, len(paths), size)]
    with ProcessPoolExecutor(len(shares) - 1) as pool:
        others = [pool.submit(_merge_part, share, baseline_dir) for share in shares[1:]]
        return [_merge_part(shares[0], baseline_dir)] + [f.result() for f in others]


def merge(paths, baseline_dir: str | None = None, workers: int | None = None) -> FleetView:
    """Merge the host files. Many files are read by several processes, each merging a
    contiguous share; the shares are combined in order, so the result is the same."""
    paths = list(paths)
    if workers is None:
        workers = min(os.cpu_count() or 1, len(paths) // PER_WORKER)
    ids: defaultdict = defaultdict()
    ids.default_factory = ids.__len__
    causes: list = []
    hosts: list = []
    host_causes: list = []
    for part in _parts(paths, baseline_dir, workers):
        to_global = list(map(ids.__getitem__, part.keys))
        for cid, cause in zip(to_global, part.causes):
            if cid == len(causes):
                causes.append(cause)
                continue
            have = causes[cid]
            have.occurrences += cause.occurrences
            if have.line != cause.line:
                have.line = None
            if _RANK[cause.severity] > _RANK[have.severity]:
                have.severity = cause.severity
        for cid, positions in part.new_at.items():
            causes[to_global[cid]].new_hosts.update(part.hosts[p].host for p in positions)
        hosts.extend(part.hosts)
        host_causes.extend(list(map(to_global.__getitem__, own)) for own in part.host_causes)
    rank: dict = {}
    for host in sorted(hosts, key=lambda h: natural_key(h.host)):
        rank.setdefault(host.host, len(rank))
    order = sorted(range(len(hosts)), key=lambda i: rank[hosts[i].host])
    host_lists = [c.hosts for c in causes]
    for i in order:      # each cause's hosts in host order, as appended
        deque(map(list.append, map(host_lists.__getitem__, host_causes[i]), repeat(hosts[i].host)), maxlen=0)
    if len(rank) < len(hosts):     # a host name in two files counts once
        for cause in causes:
            cause.hosts = list(dict.fromkeys(cause.hosts))
    ordered = sorted(causes, key=lambda c: (-_RANK[c.severity], -len(c.hosts), c.rule, c.file or "", c.message))
    return FleetView([hosts[i] for i in order], ordered, baseline_dir)


def natural_key(text: str) -> tuple:
    """web2 before web10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))

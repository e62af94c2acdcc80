"""Merge per-host results into one fleet view: causes shared across hosts
(what a cause is: causes.py).

Issue 19 asks for 1,000 hosts of 2,000 findings each in under 2 s, so each host is
read as its cause table (one row per distinct cause), which the role's digest
carries as worked out on the host: the merge looks each key up once per host and
works per cause with bulk operations written in C (map, zip, compress, Counter);
Python code runs per cause new to the fleet and per exception (a higher severity,
a differing line, a cause found more than once on a host). A host file without a
usable table (a full scan, an older digest) has its table worked out here, from
its findings' keys. tests/fleet/test_merge_reference.py holds the same merge
written one finding at a time and compares the two, for every kind of host file.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import ge, is_, ne

from confcheck.cpus import usable_cores
from confcheck.findings import severity_rank
from confcheck.fleet.causes import RANK as _RANK
from confcheck.fleet.causes import Keyer, Masker
from confcheck.fleet.hostfile import CauseTable, HostFile, HostReader


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
    # the hosts it occurs on, each once, in host order (causes found on the same hosts share the list: read-only)
    hosts: list = field(default_factory=list)
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
                                                    "hosts": {}, "findings": 0})
            entry["causes"] += 1
            entry["hosts"][id(cause.hosts)] = cause.hosts     # a list causes share is read once
            entry["findings"] += cause.occurrences
            if severity_rank(cause.severity) > severity_rank(entry["severity"]):
                entry["severity"] = cause.severity
        out = [{**e, "hosts": len(set().union(*e["hosts"].values()))} for e in by_rule.values()]
        out.sort(key=lambda e: (-severity_rank(e["severity"]), -e["hosts"], e["rule"]))
        return out

    def failing(self, fail_on: str) -> bool:
        """A finding at or above `fail_on` (only new ones when compared with a baseline)."""
        threshold = severity_rank(fail_on)
        for cause in self.causes:
            if severity_rank(cause.severity) >= threshold and (self.baseline is None or cause.new_hosts):
                return True
        return False


class _Ids:
    """Cause ids of one share of the files: a key gets the next id when first met; a digest's
    fingerprint is looked up, and its key worked out only the first time it is met."""

    def __init__(self):
        self.ids: defaultdict = defaultdict()
        self.ids.default_factory = self.ids.__len__
        self.by_fingerprint: dict = {}
        self.keyer = Keyer()

    def tokens(self, hostfile: HostFile, masker: Masker) -> tuple[CauseTable, list, list]:
        """The host's cause table; per cause, its id if it has one, else its key (nothing is
        given an id here); and where the keys are. A digest's table whose fingerprints do not
        name distinct causes is set aside for the one worked out from the findings."""
        table = hostfile.causes
        if table is not None:
            tokens = list(map(self.by_fingerprint.get, table.fingerprints))
            fresh: list = []
            if None in tokens:
                todo = list(compress(range(len(tokens)), map(is_, tokens, repeat(None))))
                keys = self.keyer.keys_at(hostfile, list(map(table.first.__getitem__, todo)), masker)
                ids, remember = self.ids, self.by_fingerprint
                for j, key in zip(todo, keys):
                    if key in ids:
                        tokens[j] = remember[table.fingerprints[j]] = ids[key]
                    else:
                        tokens[j] = key
                        fresh.append(j)
            if len(set(tokens)) == len(tokens):
                return table, tokens, fresh
        table = self.keyer.table(hostfile, masker)
        tokens = list(map(self.ids.get, table.keys, table.keys))
        return table, tokens, list(compress(range(len(tokens)), map(is_, tokens, table.keys)))

    def give(self, table: CauseTable, tokens: list, fresh: list) -> list:
        """The ids of the host's causes, new ones given the next ids in table order."""
        if fresh:
            ids = self.ids
            for j in fresh:
                tokens[j] = ids[tokens[j]]
            if table.fingerprints is not None:
                remember = self.by_fingerprint
                for j in fresh:
                    remember[table.fingerprints[j]] = tokens[j]
        return tokens


def _baseline_counts(baseline_dir: str, hostfile: HostFile, ids: _Ids,
                     reader: HostReader) -> tuple[Counter | None, str]:
    """The baseline's findings per cause (its id, or its key when no host of this share has it)."""
    for name in (os.path.basename(hostfile.source), f"{hostfile.host}.json"):
        path = os.path.join(baseline_dir, name)
        if os.path.exists(path):
            old = reader.read(path)
            if old.failure is not None:
                return None, f"unusable: {old.failure}"
            host, names = hostfile.host, old.names or hostfile.names
            if (host, names) != (old.host, old.names):
                old.causes = None           # its table masks other names: worked out again as this host's
            old.host, old.names = host, names
            table, tokens, _ = ids.tokens(old, Masker(old))
            return Counter(dict(zip(tokens, table.count))), "compared"
    return None, "missing"


@dataclass
class _Part:
    """The merge of some host files, compact (it crosses a process boundary): causes by id,
    in order of first occurrence; hosts by position, in file order."""

    hosts: list = field(default_factory=list)           # HostSummary
    # per host: ids of its causes, each once (hosts with the same causes share one list: sent once)
    host_causes: list = field(default_factory=list)
    keys: list = field(default_factory=list)            # per id: its cause key
    # per id: the Cause's fields up to its occurrences beyond one per host, as a tuple (pickled fast)
    causes: list = field(default_factory=list)
    new_at: dict = field(default_factory=dict)          # id -> host positions where new (--baseline)


def _merge_part(paths: list, baseline_dir: str | None) -> _Part:
    """Hosts and causes of some host files, read one at a time (only the merged view is kept)."""
    part = _Part()
    ids = _Ids()
    reader = HostReader()
    severities: list = []                    # per id: the highest severity so far
    lines: list = []                         # per id: its line, None once two occurrences differ
    extra: Counter = Counter()               # per id: its findings beyond one per host (merge() adds those)
    causes: list = []                        # per id: its first occurrence's texts
    profiles: dict = {}                      # a host's cause ids -> the list of them hosts share
    for path in paths:
        hostfile = reader.read(path)
        summary = HostSummary(hostfile.host, path, hostfile.exit_code, hostfile.failure, hostfile.severity_counts())
        position = len(part.hosts)
        part.hosts.append(summary)
        masker = Masker(hostfile)
        table, tokens, fresh = ids.tokens(hostfile, masker)
        cids = ids.give(table, tokens, fresh)
        known = len(causes)
        if len(ids.ids) > known:       # causes new to the fleet, in the order their ids were given
            rules, names, _, messages, files, _, fs_paths = hostfile.columns
            text, unrooted = hostfile.text, masker.unrooted
            for j in compress(range(len(cids)), map(ge, cids, repeat(known))):
                i = table.first[j]
                causes.append((text(rules[i]), text(names[i]) or "", unrooted(text(messages[i])),
                               unrooted(text(files[i])), text(fs_paths[i])))
            severities.extend(compress(table.severity, map(ge, cids, repeat(known))))
            lines.extend(compress(table.line, map(ge, cids, repeat(known))))
        for cid, severity in compress(zip(cids, table.severity),
                                      map(ne, map(severities.__getitem__, cids), table.severity)):
            if _RANK[severity] > _RANK[severities[cid]]:
                severities[cid] = severity
        for cid in compress(cids, map(ne, map(lines.__getitem__, cids), table.line)):
            lines[cid] = None
        for cid, count in compress(zip(cids, table.count), map(ne, table.count, repeat(1))):
            extra[cid] += count - 1
        part.host_causes.append(profiles.setdefault(tuple(cids), cids))
        if baseline_dir is not None:
            _compare(summary, _baseline_counts(baseline_dir, hostfile, ids, reader),
                     Counter(dict(zip(cids, table.count))), part.new_at, position)
        # freed before the next file is decoded, which then reuses this memory (still in cache)
        del hostfile, table, tokens, cids, fresh
    part.causes = [(rule, name, severity, message, file, line, fs_path, extra[cid])
                   for cid, ((rule, name, message, file, fs_path), severity, line)
                   in enumerate(zip(causes, severities, lines))]
    part.keys = list(ids.ids)
    return part


def _compare(summary: HostSummary, baseline: tuple, seen: Counter, new_at: dict, position: int) -> None:
    """New findings: the occurrences of a cause beyond its count in the baseline (all of them without one)."""
    old, summary.baseline = baseline
    summary.new = 0
    for cid, n in seen.items():
        extra = n - (old.get(cid, 0) if old is not None else 0)
        if extra > 0:
            summary.new += extra
            new_at.setdefault(cid, []).append(position)
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
        workers = min(usable_cores(), len(paths) // PER_WORKER)
    ids: defaultdict = defaultdict()
    ids.default_factory = ids.__len__
    causes: list = []
    hosts: list = []
    host_causes: list = []
    for part in _parts(paths, baseline_dir, workers):
        to_global = list(map(ids.__getitem__, part.keys))
        for cid, row in zip(to_global, part.causes):
            if cid == len(causes):
                causes.append(Cause(*row))
                continue
            have, severity, line, extra = causes[cid], row[2], row[5], row[7]
            have.occurrences += extra
            if have.line != line:
                have.line = None
            if _RANK[severity] > _RANK[have.severity]:
                have.severity = severity
        for cid, positions in part.new_at.items():
            causes[to_global[cid]].new_hosts.update(part.hosts[p].host for p in positions)
        hosts.extend(part.hosts)
        if to_global == list(range(len(to_global))):     # the first share: its ids are the fleet's
            host_causes.extend(part.host_causes)
        else:
            mapped: dict = {}      # id of a list the share's hosts share -> it in the fleet's ids
            for own in part.host_causes:
                fleet_ids = mapped.get(id(own))
                if fleet_ids is None:
                    fleet_ids = mapped[id(own)] = list(map(to_global.__getitem__, own))
                host_causes.append(fleet_ids)
    rank: dict = {}
    for host in sorted(hosts, key=lambda h: natural_key(h.host)):
        rank.setdefault(host.host, len(rank))
    order = sorted(range(len(hosts)), key=lambda i: rank[hosts[i].host])
    _place_hosts(causes, [hosts[i].host for i in order], [host_causes[i] for i in order], len(rank) < len(hosts))
    ordered = sorted(causes, key=lambda c: (-_RANK[c.severity], -len(c.hosts), c.rule, c.file or "", c.message))
    return FleetView([hosts[i] for i in order], ordered, baseline_dir)


def _place_hosts(causes: list, names: list, host_causes: list, repeated: bool) -> None:
    """Each cause's hosts (names and their causes given in host order), and its occurrences
    counted one per host file. Hosts whose causes are the same (a template's) form one profile,
    and causes found on the same profiles share one list of hosts (read-only: the renderers
    write a shared list once), so the work goes by profiles, not by host and cause."""
    profiles: dict = {}          # a host's cause ids -> positions (in host order) of the hosts that have them
    for position, cids in enumerate(host_causes):
        profiles.setdefault(tuple(cids), []).append(position)
    found_on: list = [[] for _ in causes]      # per cause: the profiles it is found on, in order
    for number, cids in enumerate(profiles):
        deque(map(list.append, map(found_on.__getitem__, cids), repeat(number)), maxlen=0)
    members = list(profiles.values())
    shared: dict = {}            # profiles -> the hosts' names
    for cause, on in zip(causes, found_on):
        key = tuple(on)
        hosts = shared.get(key)
        if hosts is None:
            positions = members[on[0]] if len(on) == 1 else sorted(chain.from_iterable(map(members.__getitem__, on)))
            hosts = shared[key] = list(map(names.__getitem__, positions))
        cause.occurrences += len(hosts)        # one finding per host file that has it, and the extra ones
        cause.hosts = hosts
    if repeated:                 # a host name in two files counts once
        once = {id(hosts): list(dict.fromkeys(hosts)) for hosts in shared.values()}
        for cause in causes:
            cause.hosts = once[id(cause.hosts)]


def natural_key(text: str) -> tuple:
    """web2 before web10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))

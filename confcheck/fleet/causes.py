"""Causes: which findings on different hosts are the same mistake.

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

A host's findings are summed up as its cause table (one row per distinct cause:
its key, first finding, count, highest severity, shared line): the merge reads
tables, not findings. The table is worked out here for a host file without one,
and on the host itself when the role writes its digest (digest.py), with each
key's fingerprint in place of the key: the controller looks the fingerprints up
and works a key out only for a fingerprint it has not met yet. CAUSE_VERSION (hostfile.py) names this
definition: change it with the definition, and a digest's table worked out under
another one is not used (the merge works the table out again from the findings).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from itertools import compress, count, repeat
from operator import getitem, is_, ne

from confcheck.findings import severity_rank
from confcheck.fleet.hostfile import (CAUSE_VERSION, FILE, FS_PATH, LINE, MESSAGE, RULE, SEVERITY, CauseTable,
                                     HostFile, null_entries)

__all__ = ["CAUSE_VERSION", "CauseTable", "Keyer", "Masker", "RANK", "fingerprint"]

# A number standing on its own: not part of a word, a path, an address or a version.
_NUMBER = re.compile(r"(?<![\w./:\\-])\d+(?![\w./:\\-])")
MIN_NAME = 3     # shorter host names would mask unrelated text
RANK = {s: severity_rank(s) for s in ("info", "warning", "error")}
_LAST, _FIRST = slice(-1, None), slice(0, 1)


def fingerprint(key: tuple) -> int:
    """A cause key's fingerprint: the first 63 bits of BLAKE2b over the key as JSON (equal
    keys, equal fingerprints, on any host and Python; a JSON number any reader holds)."""
    digest = hashlib.blake2b(json.dumps(key, ensure_ascii=True).encode("ascii"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


class Masker:
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


class Keyer:
    """Cause keys (rule, message shape, masked file, masked fs_path) of hosts' findings; the
    message shapes are memoised (fleets repeat their messages)."""

    def __init__(self):
        self.shapes: dict[str, str] = {}      # masked message -> its shape (numbers as N)

    def keys(self, hostfile: HostFile, masker: Masker | None = None) -> list[tuple]:
        if not hostfile.count:
            return []
        masker = masker or Masker(hostfile)
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


    def keys_at(self, hostfile: HostFile, indexes: list, masker: Masker | None = None) -> list[tuple]:
        """The keys of the findings at these indexes."""
        columns = tuple(list(map(column.__getitem__, indexes)) for column in hostfile.columns)
        part = HostFile(hostfile.host, hostfile.source, root=hostfile.root, names=hostfile.names,
                        columns=columns, strings=hostfile.strings)
        return self.keys(part, masker or Masker(hostfile))

    def table(self, hostfile: HostFile, masker: Masker | None = None) -> CauseTable:
        """The host's cause table, from its findings' keys."""
        keys = self.keys(hostfile, masker)
        # each distinct key numbered in order of first occurrence (no defaultdict whose factory is
        # its own __len__: that cycle is never freed when the CLI runs with the collector off)
        local = dict(zip(dict.fromkeys(keys), count()))
        lids = list(map(local.__getitem__, keys))
        size = len(local)
        first_of = dict(zip(reversed(lids), range(len(lids) - 1, -1, -1)))
        first = list(map(first_of.__getitem__, range(size)))
        severities = list(hostfile.texts(SEVERITY))
        severity = list(map(severities.__getitem__, first))
        for lid, text in compress(zip(lids, severities), map(ne, map(severity.__getitem__, lids), severities)):
            if RANK[text] > RANK[severity[lid]]:
                severity[lid] = text
        lines = hostfile.columns[LINE]
        line = list(map(lines.__getitem__, first))
        for lid in compress(lids, map(ne, map(line.__getitem__, lids), lines)):
            line[lid] = None
        counts = Counter(lids)
        return CauseTable(list(local), first, list(map(counts.__getitem__, range(size))), severity, line)

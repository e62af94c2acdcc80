"""The fleet merge against a plain reference merge kept here.

merge.py groups two million findings in a couple of seconds with bulk operations
(joined texts, dict-driven ids, per-host counters); this file says what it must
compute, one finding at a time, in the words of docs/contract-additions.md
("Causes"), and compares the merged JSON of generated fleets: varied hosts and
names, failed hosts, baselines (compared, missing, unusable), odd roots and
paths (trailing slashes, regex characters, non-ASCII, NUL in a message), the
same host name in two files, the same cause on different lines and severities.
Reading a host file is tested in test_report.py: the reference takes each
host's facts (name, root, names, findings, failure) from read_host_file.

The role fetches each envelope's fleet digest (its module writes it); merging
digests, or a fleet of both kinds, must give the view the full scans give.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from collections import Counter

import pytest

from confcheck.commands.report import host_files
from confcheck.fleet.hostfile import read_host_file
from confcheck.fleet.merge import Cause, FleetView, HostSummary, merge, natural_key
from confcheck.output.report_html import render_html
from confcheck.output.report_json import report_document, write_report
from confcheck.output.report_text import render_report
from conftest import digest_bytes

RANK = {"info": 0, "warning": 1, "error": 2}


# --- the reference: one finding at a time -------------------------------------------------------

def _mask(text, host, names, root):
    if text is None:
        return None
    prefix = (root or "").rstrip("/")
    if prefix:
        text = text.replace(prefix + "/", "/")
    for name in sorted({n for n in (host, *names) if len(n) >= 3}, key=len, reverse=True):
        text = re.sub(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", "<host>", text)
    return text


def _unrooted(text, root):
    prefix = (root or "").rstrip("/")
    return text.replace(prefix + "/", "/") if text and prefix else text


def _key(finding, host, names, root):
    shape = re.sub(r"(?<![\w./:\\-])\d+(?![\w./:\\-])", "N", _mask(finding.message, host, names, root))
    return (finding.rule, shape, _mask(finding.file, host, names, root), _mask(finding.fs_path, host, names, root))


def _baseline(baseline_dir, hostfile):
    for name in (os.path.basename(hostfile.source), f"{hostfile.host}.json"):
        path = os.path.join(baseline_dir, name)
        if os.path.exists(path):
            old = read_host_file(path)
            if old.failure is not None:
                return None, f"unusable: {old.failure}"
            names = old.names or hostfile.names
            return Counter(_key(f, hostfile.host, names, old.root) for f in old.findings()), "compared"
    return None, "missing"


def reference_document(paths, baseline_dir=None) -> dict:
    hosts, causes = [], {}
    for path in paths:
        hf = read_host_file(path)
        counts = {"error": 0, "warning": 0, "info": 0}
        row = {"host": hf.host, "source": path, "status": "failed" if hf.failure else "ok",
               "exit_code": hf.exit_code, "failure": hf.failure, "findings": hf.count, "counts": counts,
               "new": None, "gone": None, "baseline": None}
        hosts.append(row)
        old = None
        if baseline_dir is not None:
            old, row["baseline"] = _baseline(baseline_dir, hf)
            row["new"] = 0
        seen = Counter()
        for f in hf.findings():
            counts[f.severity] += 1
            key = _key(f, hf.host, hf.names, hf.root)
            cause = causes.setdefault(key, {"rule": f.rule, "name": f.name or "", "severity": f.severity,
                                            "message": _unrooted(f.message, hf.root),
                                            "file": _unrooted(f.file, hf.root), "lines": set(),
                                            "fs_path": f.fs_path, "hosts": Counter(), "new_hosts": set()})
            cause["lines"].add(f.line)
            if RANK[f.severity] > RANK[cause["severity"]]:
                cause["severity"] = f.severity
            cause["hosts"][hf.host] += 1
            seen[key] += 1
            if baseline_dir is not None and (old is None or seen[key] > old[key]):
                cause["new_hosts"].add(hf.host)
                row["new"] += 1
        if old is not None:
            row["gone"] = sum(max(0, n - seen[k]) for k, n in old.items())
    order = {}
    for name in sorted((h["host"] for h in hosts), key=natural_key):
        order.setdefault(name, len(order))
    hosts.sort(key=lambda h: order[h["host"]])
    out = []
    for c in causes.values():
        names = sorted(c["hosts"], key=order.__getitem__)
        doc = {"rule": c["rule"], "name": c["name"], "severity": c["severity"], "message": c["message"],
               "file": c["file"], "line": next(iter(c["lines"])) if len(c["lines"]) == 1 else None,
               "fs_path": c["fs_path"], "hosts": names, "host_count": len(names),
               "occurrences": sum(c["hosts"].values())}
        if baseline_dir is not None:
            doc["new_hosts"] = [h for h in names if h in c["new_hosts"]]
        out.append(doc)
    out.sort(key=lambda c: (-RANK[c["severity"]], -c["host_count"], c["rule"], c["file"] or "", c["message"]))
    rules = {}
    for c in out:
        r = rules.setdefault(c["rule"], {"rule": c["rule"], "name": c["name"], "severity": c["severity"],
                                         "causes": 0, "hosts": set(), "findings": 0})
        r["causes"] += 1
        r["hosts"].update(c["hosts"])
        r["findings"] += c["occurrences"]
        if RANK[c["severity"]] > RANK[r["severity"]]:
            r["severity"] = c["severity"]
    rule_rows = [{**r, "hosts": len(r["hosts"])} for r in rules.values()]
    rule_rows.sort(key=lambda r: (-RANK[r["severity"]], -r["hosts"], r["rule"]))
    summary = {"hosts": len(hosts), "ok": sum(h["status"] == "ok" for h in hosts),
               "failed": sum(h["status"] == "failed" for h in hosts),
               "findings": sum(h["findings"] for h in hosts), "causes": len(out)}
    if baseline_dir is not None:
        summary["new"] = sum(h["new"] for h in hosts)
    return {"hosts": hosts, "rules": rule_rows, "causes": out, "summary": summary}


# --- generated fleets ------------------------------------------------------------------------------

# (rule, name, severity, message, file, fs_path): {root} is the host's --root, {host} one of its names,
# {n} a count that differs from host to host, {site} a site shared by the hosts of a template
TEMPLATES = [
    ("FS101", "home-not-traversable", "error", "{root}/home/deploy is not traversable by www-data ({n} files)",
     "{root}/etc/nginx/sites-enabled/{site}.conf", "/home/deploy"),
    ("FS102", "unreadable-files", "error", "{n} files under {root}/srv/{site}/media are unreadable (line {n})",
     "{root}/etc/nginx/sites-enabled/{site}.conf", "{root}/srv/{site}/media"),
    ("NGX101", "root-in-location", "warning", "root in location /{site}/ (php8.2, 192.0.2.0/24, v1.22) on {host}",
     "{root}/etc/nginx/sites-enabled/{site}.conf", None),
    ("NGX102", "allow-after-deny-all", "error", "`deny all` matches first on {host}-old and {host}: {n} rules",
     "{root}/etc/nginx/nginx.conf", None),
    ("NGX104", "alias-traversal", "warning", "alias {root}/srv/{site}/ without a trailing slash: {n}",
     None, None),
    ("APA101", "require-all-denied", "error", "Require all denied for {root}/var/www/{site} (www.{host}, x{host})",
     "{root}/etc/apache2/sites-enabled/{site}.conf", "/home/{host}/{site}"),
    ("FS107", "symlink-refused", "info", "/srv/{site}/current is a symlink (n={n}, {n}%, -{n}, {n}.5)",
     "{root}/etc/nginx/sites-enabled/{site}.conf", "/srv/{site}/current"),
    ("NGX110", "odd", "warning", "odd text\x00with NUL {n} and é {host}", "{root}/etc/nginx/odd\u00e9 [1].conf", None),
]
ROOTS = [None, "/var/tmp/img/{host}", "/var/tmp/img/{host}/", "/", "/srv/imäge (1)+[x]/{host}", "/var/tmp/img/{host}//"]
HOSTS = ["web1", "web2", "web10", "web9", "db-1", "a", "x.y", "wéb3", "web1-old", "w+1", "web02"]


def _host_name(rnd: random.Random, n: int) -> str:
    return rnd.choice(HOSTS) + ("" if n < len(HOSTS) else f"-{n}")


def _findings(rnd: random.Random, host: str, names: list, root: str | None, template: int) -> list[dict]:
    out = []
    spoken = rnd.choice([host, *names]) if names else host
    for _ in range(rnd.randrange(0, 30)):
        rule, name, severity, message, file, fs_path = TEMPLATES[(template * 2 + rnd.randrange(4)) % len(TEMPLATES)]
        site = f"site{template * 3 + rnd.randrange(2)}"
        values = {"root": (root or "").rstrip("/") if root else "", "host": spoken, "n": rnd.randrange(1, 12),
                  "site": site}
        finding = {"rule": rule, "name": name if rnd.random() > 0.05 else None,
                   "severity": severity if rnd.random() > 0.1 else rnd.choice(list(RANK)),
                   "message": message.format(**values),
                   "file": file.format(**values) if file else None,
                   "line": rnd.choice([3, 3, 3, 7, None]), "column": 1,
                   "fs_path": fs_path.format(**values) if fs_path else None,
                   "fix": {"diff": "--- a\n+++ b\n" * rnd.randrange(3), "commands": ["chmod o+x x"]}}
        if rnd.random() < 0.05:
            finding["fs_paths"] = ["/a", "/b"]
        out.append(finding)
        if rnd.random() < 0.1:
            out.append(dict(finding))       # the same cause twice on one host
    return out


def _document(rnd: random.Random, host: str, template: int) -> tuple[dict | bytes, list[dict]]:
    names = rnd.choice([[], [f"{host}.example.com"], [f"{host}.example.com", "ab", "www." + host]])
    root = rnd.choice(ROOTS)
    root = root.format(host=host) if root else root
    findings = _findings(rnd, host, names, root, template)
    scan = {"version": 1, "findings": findings, "errors": [], "summary": {"findings": len(findings)}}
    kind = rnd.random()
    if kind < 0.04:
        return b'{"confcheck_host": 1, "host": "' + host.encode() + b'", "scan": {"findings": [', findings
    if kind < 0.08:
        scan["errors"] = [{"file": f"{root or ''}/etc/nginx/nginx.conf", "line": 3, "column": 1, "message": "bad"}]
    elif kind < 0.11:
        scan["internal_errors"] = [{"where": "rule NGX112", "error": "KeyError: 1"}]
    elif kind < 0.14:
        return {"host": host, "error": "unreachable: ssh timed out"}, []
    elif kind < 0.18:
        return scan, findings          # a bare scan document
    return {"confcheck_host": 1, "host": host, "names": names, "root": root, "exit_code": 1 if findings else 0,
            "stderr": "", "scan": scan, "error": None}, findings


def _write(path: str, doc) -> None:
    with open(path, "wb") as fh:
        fh.write(doc if isinstance(doc, bytes) else json.dumps(doc, ensure_ascii=bool(len(path) % 2)).encode())


def generate_fleet(folder: str, seed: int, hosts: int) -> tuple[str, str]:
    """Host files and a baseline folder (an earlier run: some hosts changed, some missing, one unusable)."""
    rnd = random.Random(seed)
    now, before = os.path.join(folder, "hosts"), os.path.join(folder, "baseline")
    os.makedirs(now)
    os.makedirs(before)
    for n in range(hosts):
        host = _host_name(rnd, n) if rnd.random() > 0.03 else "web1"     # now and then a name twice
        template = rnd.randrange(4)
        doc, _ = _document(rnd, host, template)
        _write(os.path.join(now, f"{host}-{n}.json"), doc)
        if isinstance(doc, dict) and doc.get("scan"):
            old = json.loads(json.dumps(doc))
            found = (old["scan"] if "scan" in old else old)["findings"]
            rnd.shuffle(found)
            del found[:rnd.randrange(3)]                                   # gone since
            for f in found[:rnd.randrange(2)]:
                f["message"] += " (changed)"                               # a new cause now
            if "root" in old and rnd.random() < 0.3:
                old["root"] = "/elsewhere"                                 # the old scan had another root
            choice = rnd.random()
            if choice < 0.6:
                _write(os.path.join(before, f"{host}-{n}.json"), old)
            elif choice < 0.75:
                _write(os.path.join(before, f"{host}.json"), old)          # matched by host name
            elif choice < 0.8:
                _write(os.path.join(before, f"{host}-{n}.json"), b"{")    # unusable
    return now, before


def _comparable(doc: dict) -> dict:
    return {k: doc[k] for k in ("hosts", "rules", "causes", "summary")}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_merge_is_the_reference_merge(tmp_path, seed):
    now, before = generate_fleet(str(tmp_path), seed, hosts=150)
    files = host_files([now])
    expected = reference_document(files)
    assert len(expected["causes"]) > 20 and expected["summary"]["failed"] > 0
    assert any(c["host_count"] > 3 for c in expected["causes"]) and any(c["line"] is None for c in expected["causes"])
    for workers in (1, 2, 3):
        assert _comparable(report_document(merge(files, workers=workers))) == expected, workers
    with_baseline = reference_document(files, before)
    assert {h["baseline"].split(":")[0] for h in with_baseline["hosts"]} == {"compared", "missing", "unusable"}
    assert 0 < with_baseline["summary"]["new"] < with_baseline["summary"]["findings"]
    for workers in (1, 2):
        assert _comparable(report_document(merge(files, before, workers=workers))) == with_baseline, workers


def view_of(doc: dict, baseline_dir) -> FleetView:
    """The reference document as the view the renderers read."""
    hosts = [HostSummary(h["host"], h["source"], h["exit_code"], h["failure"], h["counts"], h["new"], h["gone"],
                         h["baseline"]) for h in doc["hosts"]]
    causes = [Cause(c["rule"], c["name"], c["severity"], c["message"], c["file"], c["line"], c["fs_path"],
                    c["occurrences"], c["hosts"], set(c.get("new_hosts", ()))) for c in doc["causes"]]
    return FleetView(hosts, causes, baseline_dir)


@pytest.mark.parametrize("baseline", [False, True])
def test_reports_of_the_merge_are_those_of_the_reference(tmp_path, baseline):
    """What is written (JSON cause by cause, text, HTML) is the reference view's, and the
    JSON written is the document (non-ASCII, NUL and odd paths included)."""
    import io

    now, before = generate_fleet(str(tmp_path), 4, hosts=80)
    before = before if baseline else None
    files = host_files([now])
    view, expected = merge(files, before), view_of(reference_document(files, before), before)
    written = io.StringIO()
    write_report(view, written)
    assert written.getvalue() == json.dumps(report_document(expected), indent=2, ensure_ascii=True) + "\n"
    assert render_report(view, colour=True) == render_report(expected, colour=True)
    assert render_html(view) == render_html(expected)


def as_digests(folder: str, into: str, causes: bool = True) -> str:
    """The folder's host files as the role fetches them: each envelope as its digest (without
    its cause table: as the role wrote it before); other files (bare scans, errors, broken
    files) as they are."""
    os.makedirs(into)
    for name in sorted(os.listdir(folder)):
        source, target = os.path.join(folder, name), os.path.join(into, name)
        try:
            with open(source, "rb") as fh:
                doc = json.loads(fh.read())
        except ValueError:
            doc = None
        if isinstance(doc, dict) and "confcheck_host" in doc:
            with open(target, "wb") as fh:
                fh.write(digest_bytes(doc, causes))
        else:
            shutil.copy(source, target)
    return into


def _named(doc: dict) -> dict:
    """The document with each host's file named by its name only (the folders differ), also
    where a failure or an unusable baseline names one."""
    def name_only(text):
        return re.sub(r"\S*/([^/\s]+\.json: )", r"\1", text) if text else text

    return {**doc, "hosts": [{**h, "source": os.path.basename(h["source"]), "failure": name_only(h["failure"]),
                              "baseline": name_only(h["baseline"])} for h in doc["hosts"]]}


@pytest.mark.parametrize("seed", [1, 2])
def test_digests_merge_as_their_full_scans(tmp_path, seed):
    """The role's digests (with the causes worked out on the host, or older ones without) give
    the merged view the full scans give, and so do fleets and baselines of the kinds mixed."""
    now, before = generate_fleet(str(tmp_path), seed, hosts=150)
    files = host_files([now])
    digests = host_files([as_digests(now, str(tmp_path / "digests"))])
    older = host_files([as_digests(now, str(tmp_path / "older"), causes=False)])
    old_digests = as_digests(before, str(tmp_path / "old-digests"))
    old_older = as_digests(before, str(tmp_path / "old-older"), causes=False)
    with open(digests[0], "rb") as fh:
        assert sum(b'"causes":{"version":1' in open(p, "rb").read() for p in digests) > 100 and fh.read(1) == b"{"
    assert sum(read_host_file(p).causes is not None for p in digests) > 100
    assert not any(b'"causes"' in open(p, "rb").read() for p in older)
    expected = _named(reference_document(files))
    mixed = [(f, d, o)[n % 3] for n, (f, d, o) in enumerate(zip(files, digests, older))]
    for workers in (1, 2):
        assert _named(_comparable(report_document(merge(digests, workers=workers)))) == expected, workers
    assert _named(_comparable(report_document(merge(older)))) == expected
    assert _named(_comparable(report_document(merge(mixed)))) == expected
    with_baseline = _named(reference_document(files, before))
    for paths, baseline in ((digests, old_digests), (digests, before), (mixed, old_digests), (files, old_digests),
                            (digests, old_older), (older, old_digests)):
        assert _named(_comparable(report_document(merge(paths, baseline)))) == with_baseline

"""`confcheck report`: the fleet view of real scans of the images in fleet_images.py,
and every way a host file can fail."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from cc_helpers import run_cli
from confcheck.fleet.causes import fingerprint
from conftest import envelope, write_json
from fleet_images import web2


@pytest.fixture(scope="module")
def scans(fleet):
    """Each host's envelope, as the role writes it (real scans)."""
    _, hosts = fleet
    return {host: envelope(host, args) for host, args in hosts.items()}


@pytest.fixture
def hosts_dir(tree_dir, scans):
    folder = os.path.join(tree_dir, "hosts")
    os.makedirs(folder)
    for host, doc in scans.items():
        write_json(os.path.join(folder, f"{host}.json"), doc)
    return folder


def report_json(*args: str):
    proc = run_cli("report", "--format", "json", *args)
    return proc, json.loads(proc.stdout)


def causes_of(doc, rule: str) -> list[dict]:
    return [c for c in doc["causes"] if c["rule"] == rule]


def rules_in(envelope_doc) -> list[str]:
    return [f["rule"] for f in envelope_doc["scan"]["findings"]]


def test_same_template_mistake_on_two_hosts_is_one_cause(hosts_dir, scans):
    proc, doc = report_json(hosts_dir)
    assert proc.returncode == 2, proc.stderr      # web4 did not parse: the fleet is not known clean
    shared = set(rules_in(scans["web1"])) & set(rules_in(scans["web2"]))
    assert {"NGX102", "NGX101", "NGX104"} <= shared
    for rule in shared:
        [cause] = causes_of(doc, rule)
        assert cause["hosts"] == ["web1", "web2"] and cause["host_count"] == 2 and cause["occurrences"] == 2
        # the file as the server names it: each host's --root prefix is not part of the cause
        assert cause["file"] == "/etc/nginx/sites-enabled/shop.conf"
    [fs101] = causes_of(doc, "FS101")
    assert fs101["hosts"] == ["web1"] and fs101["fs_path"] == "/home/deploy"
    [apa] = causes_of(doc, "APA101")
    assert apa["hosts"] == ["web3"] and apa["file"] == "/etc/httpd/conf.d/app.conf"
    # every finding of every host is in exactly one cause
    for host, env in scans.items():
        in_causes = sum(1 for c in doc["causes"] for h in c["hosts"] if h == host)
        assert in_causes == len({(f["rule"], f["line"]) for f in env["scan"]["findings"]})
    assert doc["summary"]["findings"] == sum(len(e["scan"]["findings"]) for e in scans.values())


def test_per_host_counts_and_the_failed_host(hosts_dir, scans):
    _, doc = report_json(hosts_dir)
    by_host = {h["host"]: h for h in doc["hosts"]}
    assert list(by_host) == ["web1", "web2", "web3", "web4"]
    for host, env in scans.items():
        severities = [f["severity"] for f in env["scan"]["findings"]]
        assert by_host[host]["counts"] == {s: severities.count(s) for s in ("error", "warning", "info")}
    web4 = by_host["web4"]
    assert web4["status"] == "failed" and web4["exit_code"] == 2
    error = scans["web4"]["scan"]["errors"][0]
    as_the_host_names_it = error["file"][len(scans["web4"]["root"]):]
    assert as_the_host_names_it == "/etc/nginx/nginx.conf"
    assert f"{as_the_host_names_it}:{error['line']}:{error['column']}: {error['message']}" in web4["failure"]
    assert [h["status"] for h in doc["hosts"]].count("ok") == 3
    text = run_cli("report", hosts_dir).stdout.decode()
    assert "web4: 1 input error, the scan is incomplete" in text
    assert "4 hosts (3 scanned, 1 failed)" in text and "the fleet view is incomplete" in text


def test_counts_in_messages_do_not_split_a_cause(tree_dir, fleet, scans):
    """web2 and a copy with five unreadable uploads instead of three: one FS102 cause."""
    base = os.path.join(tree_dir, "web2b")
    os.makedirs(base)
    os.chmod(base, 0o755)
    web2(base)
    for n in (3, 4):
        shutil.copy2(f"{base}/srv/shop-media/products/0.png", f"{base}/srv/shop-media/products/{n}.png")
    other = envelope("web2b", ["--root", base, "/etc/nginx"])
    messages = {e["host"]: next(f["message"] for f in e["scan"]["findings"] if f["rule"] == "FS102")
                for e in (scans["web2"], other)}
    assert messages["web2"] != messages["web2b"]          # "3 files" and "5 files"
    folder = os.path.join(tree_dir, "h")
    os.makedirs(folder)
    paths = [write_json(f"{folder}/web2.json", scans["web2"]), write_json(f"{folder}/web2b.json", other)]
    proc, doc = report_json(*paths)
    assert proc.returncode == 1
    [cause] = causes_of(doc, "FS102")
    assert cause["hosts"] == ["web2", "web2b"] and cause["message"] == messages["web2"]


def test_host_names_in_a_finding_are_masked(tree_dir, scans):
    """The same mistake naming each host's own name (a per-host server_name) is one cause."""
    folder = os.path.join(tree_dir, "h")
    os.makedirs(folder)
    for host in ("web1", "web2"):
        doc = json.loads(json.dumps(scans[host]))
        doc["names"] = [f"{host}.example.com"]
        for finding in doc["scan"]["findings"]:
            finding["message"] += f" (server {host}.example.com)"
        write_json(f"{folder}/{host}.json", doc)
    _, doc = report_json(folder)
    [cause] = causes_of(doc, "NGX102")
    assert cause["hosts"] == ["web1", "web2"]
    assert cause["message"].endswith("(server web1.example.com)")   # shown as one host wrote it


def test_baseline_counts_new_and_gone_per_host(tree_dir, fleet, scans, hosts_dir):
    """Last week's results as the baseline: web1's home was fixed and a new mistake appeared."""
    _, hosts = fleet
    base = os.path.join(tree_dir, "web1-now")
    shutil.copytree(hosts["web1"][1], base, symlinks=True)
    os.chmod(base, 0o755)
    os.chmod(f"{base}/home/deploy", 0o755)                  # FS101 is gone
    os.makedirs(f"{base}/srv/shop-media/products")
    with open(f"{base}/srv/shop-media/products/a.png", "w") as fh:
        fh.write("x")
    os.chmod(f"{base}/srv/shop-media/products/a.png", 0o600)   # FS102 is new
    now = os.path.join(tree_dir, "now")
    os.makedirs(now)
    write_json(f"{now}/web1.json", envelope("web1", ["--root", base, "/etc/nginx"]))
    write_json(f"{now}/web3.json", scans["web3"])
    write_json(f"{now}/web9.json", scans["web3"] | {"host": "web9"})   # no baseline for it
    proc, doc = report_json(now, "--baseline", hosts_dir)
    assert proc.returncode == 1
    by_host = {h["host"]: h for h in doc["hosts"]}
    assert (by_host["web1"]["new"], by_host["web1"]["gone"], by_host["web1"]["baseline"]) == (1, 1, "compared")
    assert (by_host["web3"]["new"], by_host["web3"]["gone"]) == (0, 0)
    assert by_host["web9"]["baseline"] == "missing" and by_host["web9"]["new"] == 1
    [fs102] = causes_of(doc, "FS102")
    assert fs102["new_hosts"] == ["web1"]
    assert causes_of(doc, "NGX102")[0]["new_hosts"] == []
    assert doc["summary"]["new"] == 2
    # the gate looks at new findings only: web1's new FS102 is an error, web9's APA101 too
    assert run_cli("report", now, "--baseline", hosts_dir, "--fail-on", "error").returncode == 1
    only_old = os.path.join(tree_dir, "old")
    os.makedirs(only_old)
    write_json(f"{only_old}/web3.json", scans["web3"])
    assert run_cli("report", only_old, "--baseline", hosts_dir).returncode == 0
    assert run_cli("report", only_old).returncode == 1


def test_fail_on_works_on_the_merged_view(tree_dir, scans):
    folder = os.path.join(tree_dir, "h")
    os.makedirs(folder)
    warnings_only = json.loads(json.dumps(scans["web1"]))
    warnings_only["scan"]["findings"] = [f for f in warnings_only["scan"]["findings"] if f["severity"] == "warning"]
    assert warnings_only["scan"]["findings"]
    write_json(f"{folder}/web1.json", warnings_only)
    assert run_cli("report", folder).returncode == 1
    assert run_cli("report", folder, "--fail-on", "error").returncode == 0
    clean = json.loads(json.dumps(scans["web3"]))
    clean["scan"]["findings"], clean["exit_code"] = [], 0
    write_json(f"{folder}/web1.json", clean)
    proc = run_cli("report", folder, "--fail-on", "info")
    assert proc.returncode == 0, proc.stdout
    assert b"1 host (1 scanned, 0 failed): 0 findings from 0 causes." in proc.stdout


def _digest(**change) -> bytes:
    """A digest envelope of one FS101 finding, with the digest's fields or columns changed."""
    columns = {"rule": [0], "name": [1], "severity": [2], "message": [3], "file": [4], "line": [3], "fs_path": [4]}
    digest = {"version": 1, "errors": [], "strings": ["FS101", "home-not-traversable", "error", "m", None],
              "findings": {k: change.get(k, v) for k, v in columns.items()}}
    digest.update((k, v) for k, v in change.items() if k not in columns)
    return json.dumps({"confcheck_host": 1, "host": "w", "exit_code": 1, "stderr": "", "digest": digest}).encode()


def _causes(**change) -> dict:
    """_digest's cause table (one cause), with its fields changed."""
    key = fingerprint(("FS101", "m", None, None))
    table = {"version": 1, "key": [key], "first": [0], "count": [1], "severity": [2], "line": [3]}
    return {**table, **change}


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file"),
    (b'{"confcheck_host": 1, "host": "w", "findings": [', "not JSON"),
    (b"[1, 2]", "expected a JSON object"),
    (b"\xff\xfe", "not UTF-8 JSON"),
    (b'{"something": "else"}', "not a confcheck scan result"),
    (b'{"host": "w", "error": "unreachable: ssh timed out"}', "unreachable: ssh timed out"),
    (b'{"confcheck_host": 1, "host": "w", "exit_code": 3, "scan": null, '
     b'"stderr": "confcheck: internal error: KeyError: x (at a.py:1)\\n"}',
     "scan exited 3 (internal error): confcheck: internal error: KeyError: x"),
    (b'{"version": 1, "findings": [{"rule": "FS101"}], "errors": []}', "finding 1 is not a confcheck finding"),
    (b'{"confcheck_host": 1, "host": "w", "exit_code": 3, "stderr": "", "scan": {"version": 1, "findings": [], '
     b'"errors": [], "internal_errors": [{"where": "rule NGX112 on nginx a.conf", "error": "KeyError: 1"}]}}',
     "1 internal error in confcheck, the scan is incomplete: rule NGX112 on nginx a.conf: KeyError: 1"),
    # digests (the role's host files) that cannot be read as the scan they stand for
    (_digest(version=2), "not a confcheck fleet digest (version 2; this confcheck reads version 1)"),
    (_digest(rule=[5]), "a rule entry is not an index of its 5 strings"),
    (_digest(file=[-1]), "not a confcheck fleet digest (Expected `int` >= 0 - at `$.findings.file[0]`)"),
    (_digest(line=[1, 2]), "2 line entries for 1 findings"),
    (_digest(severity=[1]), "a severity is not info, warning or error"),
    (_digest(message=[4]), "a finding has no message"),
    (_digest(rule=["FS101"]), "not a confcheck fleet digest (Expected `int`, got `str`"),
    # its cause table (worked out on the host) that cannot stand for its findings
    (_digest(causes=_causes(count=[2])), "(its causes: they count 2 findings of 1)"),
    (_digest(causes=_causes(first=[1])), "(its causes: a first entry is not one of its 1 findings)"),
    (_digest(causes=_causes(severity=[5])), "(its causes: a severity entry is not an index of its 5 strings)"),
    (_digest(causes=_causes(severity=[3])), "(its causes: a severity is not info, warning or error)"),
    (_digest(causes=_causes(count=[0])), "(its causes: Expected `int` >= 1 - at `$.causes.count[0]`)"),
    (_digest(causes=_causes(line=[])), "(its causes: its lists differ in length (1 keys))"),
    (_digest(causes=_causes(line=["3"])), "(its causes: Expected `int | null`, got `str` - at `$.causes.line[0]`)"),
])
def test_a_bad_host_file_is_a_failed_host_with_its_reason(tree_dir, scans, content, reason):
    good = write_json(os.path.join(tree_dir, "web3.json"), scans["web3"])
    bad = os.path.join(tree_dir, "w.json")
    with open(bad, "wb") as fh:
        fh.write(content)
    proc, doc = report_json(good, bad)
    assert proc.returncode == 2
    failed = [h for h in doc["hosts"] if h["status"] == "failed"]
    assert [h["host"] for h in failed] == ["w"]
    assert reason in failed[0]["failure"]
    assert doc["summary"]["ok"] == 1 and causes_of(doc, "APA101")[0]["hosts"] == ["web3"]


def test_a_cause_table_of_another_version_is_worked_out_again(tree_dir):
    """A digest's cause table stands for its findings; one of a version this confcheck does not
    know (another definition of a cause) is left aside, as an older digest has none; a
    fingerprint met for the first time has its key worked out from the cause's first finding."""
    views = []
    for n, causes in enumerate((_causes(), {"version": 2, "rule": "another shape"}, None,
                                _causes(key=[fingerprint(("FS101", "not m", None, None))]))):
        folder = os.path.join(tree_dir, f"v{n}")
        os.makedirs(folder)
        with open(os.path.join(folder, "w.json"), "wb") as fh:
            fh.write(_digest(causes=causes) if causes else _digest())
        proc, doc = report_json(folder)
        assert proc.returncode == 1, doc
        views.append({**doc, "hosts": [{**h, "source": None} for h in doc["hosts"]]})
    assert views[0] == views[1] == views[2] == views[3]
    assert views[0]["summary"]["findings"] == 1 and views[0]["causes"][0]["line"] == 3


def test_a_bare_scan_document_is_named_after_its_file(tree_dir, scans):
    path = write_json(os.path.join(tree_dir, "db7.json"), scans["web3"]["scan"])
    proc, doc = report_json(path)
    assert proc.returncode == 1
    assert [h["host"] for h in doc["hosts"]] == ["db7"] and doc["hosts"][0]["exit_code"] is None


def test_a_host_file_read_from_a_pipe_is_read_whole(tree_dir, scans):
    """`confcheck report <(ssh web3 cat result.json)`: a pipe says no size, and its content
    (here longer than the reader's first buffer) arrives in pieces; it reads as the file does."""
    import threading

    content = json.dumps(scans["web3"] | {"stderr": "x" * 1_500_000}).encode()   # stderr of an ok scan is not shown
    path = os.path.join(tree_dir, "web3.json")
    with open(path, "wb") as fh:
        fh.write(content)
    pipe = os.path.join(tree_dir, "pipe", "web3.json")
    os.makedirs(os.path.dirname(pipe))
    os.mkfifo(pipe)

    def feed():
        with open(pipe, "wb") as fh:
            for start in range(0, len(content), 65536):
                fh.write(content[start:start + 65536])

    writer = threading.Thread(target=feed)
    writer.start()
    proc, piped = report_json(pipe)
    writer.join(timeout=60)
    _, plain = report_json(path)
    assert proc.returncode == 1 and piped["summary"]["findings"] == len(scans["web3"]["scan"]["findings"]) > 0
    assert piped["hosts"][0].pop("source") == pipe and plain["hosts"][0].pop("source") == path
    assert piped == plain


def test_usage_errors_exit_2_with_one_line(tree_dir):
    empty = os.path.join(tree_dir, "empty")
    os.makedirs(empty)
    proc = run_cli("report", empty)
    assert proc.returncode == 2 and proc.stderr.startswith(b"confcheck: no host files")
    host = write_json(os.path.join(tree_dir, "web3.json"), {"host": "web3", "error": "unreachable"})
    proc = run_cli("report", host, "--baseline", os.path.join(tree_dir, "nowhere"))
    assert proc.returncode == 2 and b"--baseline" in proc.stderr and b"Traceback" not in proc.stderr
    proc = run_cli("report", os.path.join(tree_dir, "missing.json"))
    assert proc.returncode == 2 and b"cannot read" in proc.stdout


def test_output_file_and_html_is_self_contained(hosts_dir, tree_dir):
    out = os.path.join(tree_dir, "fleet.html")
    proc = run_cli("report", hosts_dir, "--format", "html", "-o", out)
    assert proc.returncode == 2 and proc.stdout == b""
    with open(out) as fh:
        page = fh.read()
    assert page.startswith("<!DOCTYPE html>") and "<script>" in page and "<style>" in page
    for external in ("src=", "href=", "@import", "url("):
        assert external not in page, external


def test_reading_in_several_processes_gives_the_same_view(hosts_dir, tree_dir, scans):
    """Large fleets are read by several processes; the merged view must not depend on it."""
    from confcheck.commands.report import host_files
    from confcheck.fleet.merge import merge
    from confcheck.output.report_json import report_document

    for n in range(5, 9):      # more hosts, named so that natural order differs from file order
        write_json(os.path.join(hosts_dir, f"web{n * 10}.json"), scans["web1"] | {"host": f"web{n * 10}"})
    files = host_files([hosts_dir])
    one, three = report_document(merge(files, workers=1)), report_document(merge(files, workers=3))
    assert one == three
    assert [h["host"] for h in one["hosts"]] == ["web1", "web2", "web3", "web4", "web50", "web60", "web70", "web80"]


def test_json_written_cause_by_cause_is_the_document(hosts_dir):
    import io

    from confcheck.commands.report import host_files
    from confcheck.fleet.merge import merge
    from confcheck.output.report_json import report_document, write_report

    for files in (host_files([hosts_dir]), []):
        view = merge(files)
        out = io.StringIO()
        write_report(view, out)
        assert out.getvalue() == json.dumps(report_document(view), indent=2, ensure_ascii=True) + "\n"

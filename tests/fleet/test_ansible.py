"""The Ansible role with the real ansible-playbook: four inventory hosts on this
machine (ansible_connection=local), each scanning its own image with --root,
confcheck installed into each host's virtualenv from one wheelhouse archive
(built once per session; no index is used on the hosts).

The sequence: --check on fresh hosts (nothing may be created), a first run, a
second run (changed=0 everywhere, the fetched files untouched), --check again
(changed=0); then the fetched results (each host's fleet digest in results/hosts,
its whole scan in results/scans) and `confcheck report` over them.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

import pytest

from cc_helpers import REPO, run_cli
from confcheck.fleet.causes import CAUSE_VERSION, Keyer, fingerprint
from confcheck.fleet.hostfile import read_host_file

PLAYBOOK = os.path.join(REPO, "ansible", "site.yml")
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
HOST_PYTHON = "/usr/bin/python3"

pytestmark = pytest.mark.slow


def _tool(name: str) -> str:
    return os.path.join(os.path.dirname(sys.executable), name)


def _pip_wheel(into: str) -> None:
    """pip's own wheel, which installs the rest on a host without pip: the one
    bundled with this Python's ensurepip (or Debian's copy), else from the index."""
    import ensurepip
    found = (glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))
             + glob.glob("/usr/share/python-wheels/pip-*.whl"))
    if found:
        shutil.copy(sorted(found)[-1], into)
        return
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", into, "pip"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="session")
def wheelhouse_archive():
    """confcheck's wheel, its dependencies and pip's wheel in one tar, as ansible/README.md builds it."""
    out = tempfile.mkdtemp(prefix="confcheck-wheelhouse-", dir="/var/tmp")
    try:
        wheels = os.path.join(out, "wheelhouse")
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "-w", wheels, REPO],
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr
        _pip_wheel(wheels)
        archive = os.path.join(out, "confcheck-wheelhouse.tar")
        with tarfile.open(archive, "w") as tar:
            for name in sorted(os.listdir(wheels)):
                tar.add(os.path.join(wheels, name), arcname=name)
        yield archive
    finally:
        shutil.rmtree(out, ignore_errors=True)


def tree_state(root: str) -> dict:
    """Every path under root with its mode, owner, size and mtime (the scan must change none)."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            st = os.lstat(os.path.join(folder, name))
            out[os.path.join(folder, name)] = (st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns)
    return out


class Fleet:
    def __init__(self, base: str, hosts: dict, archive: str):
        self.base = base
        self.results = os.path.join(base, "results", "hosts")
        self.scans = os.path.join(base, "results", "scans")
        self.venvs = {h: os.path.join(base, "venv", h) for h in hosts}
        inventory = {"webservers": {
            "hosts": {h: {"confcheck_scan_args": args, "confcheck_venv": self.venvs[h]} for h, args in hosts.items()},
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": HOST_PYTHON,
                     "confcheck_become": False,      # already root; no sudo on this machine
                     "confcheck_wheelhouse_archive": archive, "confcheck_results_dir": self.results,
                     "confcheck_scans_dir": self.scans}}}
        self.inventory = os.path.join(base, "inventory.json")
        with open(self.inventory, "w") as fh:
            json.dump(inventory, fh)
        home = os.path.join(base, "ansible-home")
        self.env = {**os.environ, "ANSIBLE_HOME": home, "ANSIBLE_LOCAL_TEMP": f"{home}/tmp",
                    "ANSIBLE_REMOTE_TMP": f"{home}/remote-tmp", "ANSIBLE_NOCOLOR": "1",
                    "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_PIPELINING": "1",
                    "ANSIBLE_FORCE_COLOR": "0", "PYTHONWARNINGS": "ignore",
                    "LC_ALL": "C.UTF-8"}      # ansible-core refuses a locale that is not UTF-8

    def play(self, *extra: str) -> dict:
        proc = subprocess.run([_tool("ansible-playbook"), "-i", self.inventory, PLAYBOOK, *extra],
                              capture_output=True, text=True, env=self.env, timeout=900)
        recap = {m[0]: dict(zip(("ok", "changed", "unreachable", "failed"), map(int, m[1:])))
                 for m in RECAP.findall(proc.stdout)}
        assert proc.returncode == 0 and len(recap) == len(self.venvs), proc.stdout[-6000:] + proc.stderr[-3000:]
        return recap


@pytest.fixture(scope="module")
def played(fleet, wheelhouse_archive):
    if not os.path.exists(_tool("ansible-playbook")):
        pytest.fail("ansible-playbook is missing: pip install -e '.[test]' installs ansible-core")
    if not os.path.exists(HOST_PYTHON):
        pytest.skip("the hosts' Python 3 (/usr/bin/python3) is missing")
    base, hosts = fleet
    run = Fleet(base, hosts, wheelhouse_archive)
    images = os.path.join(base, "images")
    before = tree_state(images)
    runs = {"fresh-check": run.play("--check")}
    runs["fresh-check-created"] = [p for p in [*run.venvs.values(), run.results, run.scans] if os.path.exists(p)]
    runs["first"] = run.play()
    fetched = _fetched(run)
    runs["second"] = run.play()
    runs["check"] = run.play("--check")
    runs["fetched-before"] = fetched
    runs["images-changed"] = tree_state(images) != before
    yield run, hosts, runs


def test_check_mode_on_fresh_hosts_creates_nothing(played):
    _, _, runs = played
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in runs["fresh-check"].values())
    assert all(r["changed"] > 0 for r in runs["fresh-check"].values())   # it says what it would do
    assert runs["fresh-check-created"] == []


def test_second_run_and_check_mode_change_nothing(played):
    run, _, runs = played
    assert all(r["failed"] == 0 and r["changed"] > 0 for r in runs["first"].values())
    assert {h: r["changed"] for h, r in runs["second"].items()} == {h: 0 for h in run.venvs}
    assert {h: r["changed"] for h, r in runs["check"].items()} == {h: 0 for h in run.venvs}
    after = _fetched(run)
    assert after == runs["fetched-before"] and len(after) == 8


def _fetched(run) -> dict:
    """Each fetched file (digests and whole scans) with its content and mtime."""
    paths = glob.glob(f"{run.results}/*.json") + glob.glob(f"{run.scans}/*.json")
    return {p: (open(p, "rb").read(), os.stat(p).st_mtime_ns) for p in paths}


def test_hosts_keep_nothing_but_the_virtualenv(played):
    run, _, runs = played
    assert not runs["images-changed"]
    remote_tmp = os.path.join(run.base, "ansible-home", "remote-tmp")
    assert not os.path.exists(remote_tmp) or os.listdir(remote_tmp) == []
    for venv in run.venvs.values():
        # lib64 is a link some Pythons add
        assert set(os.listdir(venv)) - {"lib64"} == {"bin", "include", "lib", "pyvenv.cfg", "results", "wheelhouse.tar"}
        assert sorted(os.listdir(os.path.join(venv, "results"))) == ["digest.json", "scan.json"]
        assert not os.path.exists(os.path.join(venv, "bin", "pip"))    # installed with pip's wheel, not into the venv
        version = subprocess.run([os.path.join(venv, "bin", "confcheck"), "rules", "--format", "json"],
                                 capture_output=True, timeout=120)
        assert version.returncode == 0 and json.loads(version.stdout)


def test_fetched_results_are_the_hosts_scans(played):
    """results/scans/HOST.json holds the whole scan; results/hosts/HOST.json its digest: every
    finding's rule, name, severity, message, file, line and fs_path, and nothing of its fix."""
    run, hosts, _ = played
    causes = 0
    for host, args in hosts.items():
        doc, digest = _load(os.path.join(run.scans, f"{host}.json")), _load(os.path.join(run.results, f"{host}.json"))
        direct = run_cli("scan", "--format", "json", *args)
        scan = json.loads(direct.stdout)
        assert doc["host"] == host and doc["root"] == args[1]
        assert doc["exit_code"] == direct.returncode
        assert doc["scan"] == scan
        assert {k: v for k, v in digest.items() if k != "digest"} == {k: v for k, v in doc.items() if k != "scan"}
        strings, columns = digest["digest"]["strings"], digest["digest"]["findings"]
        rows = [{name: value if name == "line" or value is None else strings[value] for name, value in row.items()}
                for row in (dict(zip(columns, entries)) for entries in zip(*columns.values()))]
        assert rows == [{name: f.get(name) for name in columns} for f in scan["findings"]]
        assert digest["digest"]["errors"] == scan["errors"]
        # the causes worked out on the host (`confcheck digest`) are the ones the report works out
        worked_out = Keyer().table(read_host_file(os.path.join(run.scans, f"{host}.json")))
        assert digest["digest"]["causes"]["version"] == CAUSE_VERSION
        fetched = read_host_file(os.path.join(run.results, f"{host}.json")).causes
        assert fetched.fingerprints == list(map(fingerprint, worked_out.keys))
        causes += len(fetched.first)
        assert (fetched.first, fetched.count, fetched.severity, fetched.line) == (
            worked_out.first, worked_out.count, worked_out.severity, worked_out.line)
        assert '"fix"' not in open(os.path.join(run.results, f"{host}.json")).read()
    assert [doc["exit_code"] for doc in map(_load, sorted(glob.glob(f"{run.results}/*.json")))] == [1, 1, 1, 2]
    assert causes > 3


def _load(path: str) -> dict:
    with open(path) as fh:
        return json.load(fh)


def test_report_over_the_fetched_results(played):
    run, _, _ = played
    proc = run_cli("report", "--format", "json", run.results)
    assert proc.returncode == 2     # web4's config does not parse
    doc = json.loads(proc.stdout)
    assert [(h["host"], h["status"]) for h in doc["hosts"]] == [
        ("web1", "ok"), ("web2", "ok"), ("web3", "ok"), ("web4", "failed")]
    assert 'unexpected "}"' in doc["hosts"][3]["failure"]
    shared = [c for c in doc["causes"] if c["hosts"] == ["web1", "web2"]]
    assert {c["rule"] for c in shared} == {"NGX101", "NGX102", "NGX104"}
    fetched = {h: _load(os.path.join(run.scans, f"{h}.json")) for h in run.venvs}
    for host in doc["hosts"]:
        assert host["findings"] == len(fetched[host["host"]]["scan"]["findings"])
    # the whole scans merge into the same view
    whole = json.loads(run_cli("report", "--format", "json", run.scans).stdout)
    for one in (doc, whole):
        for host in one["hosts"]:
            host["source"] = os.path.basename(host["source"])
    assert whole == doc
    ok_only = run_cli("report", *(os.path.join(run.results, f"web{n}.json") for n in (1, 2, 3)))
    assert ok_only.returncode == 1 and b"3 hosts (3 scanned, 0 failed)" in ok_only.stdout

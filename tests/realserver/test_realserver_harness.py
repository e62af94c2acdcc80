"""Self-tests of the real-server harness: data validation (no root needed),
tree building, accounts, config errors, cleanup (root needed)."""

from __future__ import annotations

import grp
import os
import stat
import subprocess
from pathlib import Path

import pytest

from realserver_harness.accounts import Accounts
from realserver_harness.scenarios import ScenarioError, load_scenarios, parse_scenario
from realserver_harness.session import RealServerSession, gate
from realserver_harness.tree import TreeError, build_tree, make_base, parse_entries, remove_base

# -- data validation (no root) ----------------------------------------------------


def _scenario(**over):
    raw = {"name": "x", "tree": [{"path": "www/a.html"}], "nginx": "root @ROOT@/www;",
           "requests": [{"path": "/a.html", "nginx": {"status": 200}}]}
    raw.update(over)
    return raw


def test_scenario_files_load_and_names_are_unique():
    scenarios = load_scenarios()
    assert len({s.name for s in scenarios}) == len(scenarios) > 40


@pytest.mark.parametrize("bad, message", [
    ({"tree": [{"path": "a", "mode": 0o600}]}, "quoted octal"),
    ({"tree": [{"path": "a", "mode": "999"}]}, "not octal"),
    ({"tree": [{"path": "../a"}]}, "relative"),
    ({"tree": [{"path": "/a"}]}, "relative"),
    ({"tree": [{"path": "a", "colour": "red"}]}, "unknown keys"),
    ({"tree": [{"path": "a", "kind": "symlink"}]}, "needs a target"),
    ({"requests": [{"path": "/a", "nginx": {"status": 403, "rule": "file-unreadable"}}]}, "go together"),
    ({"requests": [{"path": "/a", "nginx": {"status": 403, "fs_path": "a", "rule": "nope"}}]}, "unknown rule"),
    ({"requests": [{"path": "/a", "nginx": {"fs_path": "a"}}]}, "needs a status"),
    ({"requests": [{"path": "/a", "apache": {"status": 200}}]}, "no apache config"),
    ({"requests": [{"path": "a", "nginx": 200}]}, "start with '/'"),
    ({"name": "Bad Name"}, "name must match"),
    ({"requests": []}, "no requests"),
    ({"requests": [{"path": "/a", "nginx": {"status": 403}}]}, "needs fs_path/rule .disk. or decided_by"),
    ({"requests": [{"path": "/a", "nginx": {"status": 401}}]}, "decided_by"),
    ({"requests": [{"path": "/a", "nginx": {"status": 403, "decided_by": "deny all;"}}]}, "not in the scenario's config"),
    ({"requests": [{"path": "/a", "nginx": {"status": 200, "upstream": True}}]}, "needs status 502"),
    ({"requests": [{"path": "/a", "nginx": {"status": 502, "upstream": "yes"}}]}, "true or false"),
    ({"requests": [{"path": "/a", "nginx": {"status": 200, "closed": True}}]}, "status 444"),
    ({"requests": [{"path": "/a", "nginx": {"status": 200, "location": "/b"}}]}, "3xx"),
    ({"requests": [{"path": "/a", "host": "a/b", "nginx": 200}]}, "host is a host name"),
    ({"raw_servers": True}, "raw_servers needs server"),
    ({"raw_servers": True, "apache": "DocumentRoot /x"}, "nginx configs only"),
    ({"requests": [{"path": "/a", "nginx": {"status": 403, "decided_by": "Deny from all",
                                            "decided_in": "www/a.html"}}]}, "is not in 'www/a.html'"),
    ({"requests": [{"path": "/a", "nginx": {"status": 200, "decided_in": "base"}}]}, "goes with decided_by"),
    ({"refuses_start": {"nginx": "x"}}, "no requests"),
    ({"refuses_start": {"apache": "x"}, "requests": []}, "refuses_start maps"),
    ({"accounts": {"users": [{"name": "u", "home": "/home/u"}]}}, "home is a path under @ROOT@"),
])
def test_scenario_validation_rejects_bad_data(bad, message):
    with pytest.raises((ScenarioError, TreeError), match=message):
        parse_scenario(_scenario(**bad))


def test_request_model_fields_are_parsed():
    sc = parse_scenario(_scenario(nginx="root @ROOT@/www;\nlocation /p/ { deny all; }", requests=[
        {"path": "/p/", "host": "h.test", "nginx": {"status": 403, "decided_by": "deny all;"}},
        {"path": "/u", "nginx": {"status": 502, "upstream": True}},
        {"path": "/d", "nginx": {"status": 301, "location": "/d/"}},
        {"path": "/x", "nginx": {"status": 444, "closed": True}},
    ]))
    e = [r.expect["nginx"] for r in sc.requests]
    assert sc.requests[0].host == "h.test" and e[0].decided_by == "deny all;"
    assert (e[1].upstream, e[2].location, e[3].closed) == (True, "/d/", True)
    raw = parse_scenario(_scenario(raw_servers=True, nginx="server {\n  listen @LISTEN@;\n}"))
    assert raw.raw_servers


def test_apache_schema_additions_are_parsed():
    sc = parse_scenario({
        "name": "x", "apache": "DocumentRoot @ROOT@/www",
        "tree": [{"path": "www/.htaccess", "content": "Deny from all\n"}],
        "requests": [
            {"path": "/a", "apache": {"status": 403, "decided_by": "Deny from all", "decided_in": "www/.htaccess"}},
            {"path": "/.htaccess", "apache": {"status": 403, "decided_by": "Require all denied", "decided_in": "base"}},
            {"path": "/b", "apache": {"status": 500, "fs_path": "www/.htaccess", "rule": "htaccess-invalid"}},
        ]})
    assert [r.expect["apache"].decided_in for r in sc.requests] == ["www/.htaccess", "base", None]
    refused = parse_scenario({"name": "y", "apache": "Require not ip 1.2.3.4",
                              "refuses_start": {"apache": "negative Require"}})
    assert refused.refuses_start == {"apache": "negative Require"} and refused.requests == []


def test_entry_kinds_are_inferred():
    entries = parse_entries([{"path": "d/"}, {"path": "f"}, {"path": "l", "target": "f"}])
    assert [e.kind for e in entries] == ["dir", "file", "symlink"]
    assert [e.effective_mode for e in entries[:2]] == [0o755, 0o644]


@pytest.mark.parametrize("reason, ci, action", [
    (None, None, "run"), (None, "1", "run"),
    ("not root", None, "skip"), ("not root", "", "skip"), ("not root", "true", "fail"),
])
def test_gate_fails_instead_of_skipping_under_ci(reason, ci, action):
    assert gate(reason, ci) == action


# -- building (root) ----------------------------------------------------------------


@pytest.mark.realserver
def test_tree_builder_sets_modes_owners_links_and_acls(realserver_root):
    base = make_base("selftest")
    try:
        assert stat.S_IMODE(os.stat(base).st_mode) == 0o755
        assert str(base).startswith("/var/tmp/")
        entries = parse_entries([
            {"path": "d700/", "mode": "0700"},
            {"path": "d700/deep/f.txt", "mode": "0640", "owner": "www-data", "group": 33, "content": "hi"},
            {"path": "link", "target": "@ROOT@/d700/deep/f.txt", "owner": "www-data"},
            {"path": "acl.txt", "mode": "0600", "acl": ["u:www-data:r"], "chmod_after_acl": "g-rwx"},
        ])
        root = base / "t"
        build_tree(root, entries)
        st = os.stat(root / "d700")
        assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == 0
        assert stat.S_IMODE(os.stat(root / "d700/deep").st_mode) == 0o755  # implicit parent
        f = os.stat(root / "d700/deep/f.txt")
        assert (stat.S_IMODE(f.st_mode), f.st_uid, f.st_gid) == (0o640, 33, 33)
        assert (root / "d700/deep/f.txt").read_text() == "hi"
        assert os.readlink(root / "link") == str(root / "d700/deep/f.txt")
        assert os.lstat(root / "link").st_uid == 33
        acl = subprocess.run(["getfacl", "-c", str(root / "acl.txt")], capture_output=True, text=True).stdout
        assert "user:www-data:r--\t#effective:---" in acl  # the mask cancels the grant
    finally:
        remove_base(base)
    assert not base.exists()


@pytest.mark.realserver
def test_remove_base_refuses_foreign_directories(realserver_root):
    with pytest.raises(TreeError):
        remove_base(Path("/etc"))


@pytest.mark.realserver
def test_accounts_are_removed_even_when_the_body_fails(realserver_root):
    names = []
    with pytest.raises(RuntimeError, match="boom"):
        with Accounts() as acc:
            names.append(acc.add_group("selftest", members=["www-data"]))
            names.append(acc.add_user("selfuser", groups=["@selftest"]))
            assert "www-data" in grp.getgrnam(names[0]).gr_mem
            assert names[1] in grp.getgrnam(names[0]).gr_mem
            assert acc.resolve("@selfuser") == names[1]
            raise RuntimeError("boom")
    for n in names:
        with pytest.raises(KeyError):
            grp.getgrnam(n)


@pytest.mark.realserver
def test_broken_scenario_config_is_reported_and_the_others_still_run(realserver_root):
    good = parse_scenario(_scenario(name="selftest-good"))
    bad = parse_scenario(_scenario(name="selftest-bad", nginx="root @ROOT@/www;\nno_such_directive on;"))
    session = RealServerSession("nginx", [good, bad])
    try:
        session.setup()
        run = session.run()
        assert run.scenarios["selftest-good"].requests[0].status == 200
        err = run.scenarios["selftest-bad"].error
        assert err and 'unknown directive "no_such_directive"' in err
        assert run.scenarios["selftest-bad"].requests[0].status is None
        assert "no_such_directive" not in run.conf_path.read_text()
        proc = session.runner.proc
        assert proc is None  # stopped after the run
        base = session.base
    finally:
        assert session.close() == []
    assert not base.exists()
    assert session.close() == []  # idempotent


@pytest.mark.realserver
def test_server_is_stopped_and_everything_removed_after_close(realserver_root):
    s = parse_scenario(_scenario(name="selftest-stop", accounts={"groups": [{"name": "stopgrp", "members": ["www-data"]}]},
                                 tree=[{"path": "www/a.html", "mode": "0640", "group": "@stopgrp"}]))
    session = RealServerSession("nginx", [s])
    try:
        session.setup()
        group = session.accounts.groups["stopgrp"]
        runner_cls = __import__("realserver_harness.nginx", fromlist=["NginxRunner"]).NginxRunner
        runner = session.runner = runner_cls(session.base / "nginx", session.bound)
        runner.prepare()
        runner.start()
        pid = runner.proc.pid
        workers = runner._children(pid)
        assert workers, "nginx has no worker"
        # the worker really runs as www-data with the test group
        status = Path(f"/proc/{workers[0]}/status").read_text()
        assert "\nUid:\t33\t" in status
        assert str(grp.getgrnam(group).gr_gid) in status.split("Groups:")[1].split("\n")[0].split()
    finally:
        session.close()
    for p in [pid, *workers]:
        assert not Path(f"/proc/{p}").exists() or "Z" in Path(f"/proc/{p}/stat").read_text().split(")")[1][:3]
    with pytest.raises(KeyError):
        grp.getgrnam(group)
    assert not session.base.exists()

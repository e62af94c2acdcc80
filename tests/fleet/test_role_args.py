"""The role's scan module finds the scan's --root in either spelling the CLI accepts."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cc_helpers import REPO
from confcheck.fleet import digest as fleet_digest
from confcheck.fleet.causes import fingerprint
from confcheck.fleet.digest import digest_envelope
from conftest import role_module


@pytest.mark.parametrize("args,given,want", [
    (["--root", "/mnt/a", "/etc/nginx"], "", "/mnt/a"),
    (["--root=/mnt/b"], "", "/mnt/b"),
    (["--root=/mnt/b", "--root", "/mnt/c"], "", "/mnt/c"),
    (["/etc/nginx"], "", None),
    (["--root=/mnt/b"], "/given", "/given"),
])
def test_root_in_either_spelling(args, given, want):
    assert role_module().root_of(args, given) == want


def test_role_default_reads_the_equals_form():
    """The role's default confcheck_root, rendered by Ansible itself."""
    playbook = os.path.join(REPO, "ansible", "roles", "confcheck", "defaults", "main.yml")
    for args, want in ((["--root=/mnt/x", "/etc/nginx"], "/mnt/x"), (["--root", "/mnt/y"], "/mnt/y"), ([], "")):
        proc = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost", "-c", "local", "-m", "debug",
             "-a", "msg={{ confcheck_root }}", "-e", f"@{playbook}",
             "-e", '{"confcheck_scan_args": %s}' % __import__("json").dumps(args)],
            capture_output=True, text=True, timeout=120, env={**os.environ, "ANSIBLE_LOCALHOST_WARNING": "False",
                                                              "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False"})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f'"msg": "{want}"' in proc.stdout, proc.stdout


def test_a_scan_the_digest_cannot_carry_stays_whole():
    """The digest carries findings the report can read back; anything else (a line that is not
    a number, a finding that is not an object, no scan) keeps the envelope as it is."""
    for scan in ({"version": 1, "findings": [{"rule": "FS101", "line": "7"}], "errors": []},
                 {"version": 1, "findings": ["FS101"], "errors": []}, {"version": 1, "findings": {}}, None):
        envelope = {"confcheck_host": 1, "host": "w", "scan": scan, "error": None}
        assert digest_envelope(envelope) is envelope
    good = {"version": 1, "findings": [{"rule": "FS101", "severity": "error", "message": "m", "line": 3,
                                        "fs_path": None, "fix": {"diff": "x"}}], "errors": []}
    digest = digest_envelope({"confcheck_host": 1, "host": "w", "scan": good, "error": None})
    assert "scan" not in digest and digest["digest"]["strings"] == ["FS101", None, "error", "m"]
    assert digest["digest"]["findings"] == {"rule": [0], "name": [1], "severity": [2], "message": [3],
                                            "file": [1], "line": [3], "fs_path": [1]}
    assert digest["digest"]["causes"] == {"version": 1, "key": [fingerprint(("FS101", "m", None, None))],
                                          "first": [0], "count": [1], "severity": [2], "line": [3]}


def test_the_module_has_confcheck_write_the_digest(tmp_path):
    """The module runs `confcheck digest` on the host; without a confcheck that can (a failed
    run), the digest file holds the whole envelope, which the report reads too."""
    module = role_module()
    scan = {"version": 1, "findings": [{"rule": "FS101", "severity": "error", "message": "m on web1.example.com",
                                        "file": "/img/etc/nginx/a.conf", "line": 3}], "errors": []}
    envelope = {"confcheck_host": 1, "host": "web1", "names": ["web1.example.com"], "root": "/img", "scan": scan,
                "error": None}
    confcheck = os.path.join(os.path.dirname(sys.executable), "confcheck")
    written = module.digest_bytes({"confcheck": confcheck}, envelope)
    assert written == fleet_digest.digest_bytes(json.dumps(envelope).encode())
    assert json.loads(written)["digest"]["causes"]["key"] == [fingerprint(("FS101", "m on <host>", "/etc/nginx/a.conf",
                                                                           None))]
    whole = module.digest_bytes({"confcheck": str(tmp_path / "no-confcheck")}, envelope)
    assert json.loads(whole) == envelope

"""The role's scan module finds the scan's --root in either spelling the CLI accepts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cc_helpers import REPO
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

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from cc_helpers import need_root

import sys
sys.path.insert(0, os.path.dirname(__file__))
from fshelpers import Tree, run  # noqa: E402

from confcheck.fs.identity import resolve_identity
from confcheck.fs.live import LiveFs


@pytest.fixture(autouse=True)
def _need_root():
    need_root()


@pytest.fixture
def tree():
    t = Tree()
    try:
        yield t
    finally:
        t.remove()


@pytest.fixture
def fs():
    return LiveFs()


@pytest.fixture
def www(fs):
    return resolve_identity(fs, "www-data", "www-data")


@pytest.fixture
def temp_group():
    """A fresh group (and a fresh user in it); removed even when the test fails."""
    suffix = uuid.uuid4().hex[:6]
    group, user = f"ccg{suffix}", f"ccu{suffix}"
    made = []
    try:
        run("groupadd", group)
        made.append(("groupdel", group))
        run("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
            "--user-group", "--groups", group, user)
        made.insert(0, ("userdel", user))
        yield group, user
    finally:
        for cmd, name in made:
            subprocess.run([cmd, name], capture_output=True)

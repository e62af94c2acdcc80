"""Fixtures for the permission fixer tests: real trees, real sh, the kernel as oracle.

Trees live in a fresh 0755 directory under /var/tmp (never pytest's 0700
tmp_path, which would deny www-data everything): `<base>/tree` holds the tree,
`<base>/run` is the script's working directory (a `$(touch X)` that escaped
its quotes would create X there). Immutable flags are cleared before removal.
"""

from __future__ import annotations

import os
import sys

import pytest

from cc_helpers import need_root

sys.path.insert(0, os.path.dirname(__file__))
from fixhelpers import Sandbox  # noqa: E402

from confcheck.fs.identity import Accounts, resolve_identity
from confcheck.fs.live import LiveFs


@pytest.fixture(autouse=True)
def _need_root():
    need_root()


@pytest.fixture
def sandbox():
    box = Sandbox()
    try:
        yield box
    finally:
        box.remove()


@pytest.fixture
def fs():
    return LiveFs()


@pytest.fixture
def www(fs):
    return resolve_identity(fs, "www-data", "www-data")


@pytest.fixture
def accounts(fs):
    return Accounts.load(fs)

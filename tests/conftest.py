"""Shared fixtures: scenario trees that the worker can really reach.

pytest's tmp_path is 0700 under /tmp/pytest-of-root: www-data could not
traverse it and every permission verdict would be 'denied'. Trees are built in
a fresh 0755 directory under /var/tmp (every ancestor searchable, and not in a
sticky world-writable directory where protected_symlinks applies).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest


@pytest.fixture
def tree_dir():
    base = tempfile.mkdtemp(prefix="confcheck-test-", dir="/var/tmp")
    os.chmod(base, 0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def pytest_addoption(parser):
    group = parser.getgroup("confcheck generated differential tests")
    group.addoption("--gen-count", type=int, default=300,
                    help="generated configs the differential tests run against real nginx and Apache (default 300 each)")
    group.addoption("--gen-seed", type=int, default=20261206,
                    help="hypothesis seed of the generated configs (fixed: CI is reproducible)")

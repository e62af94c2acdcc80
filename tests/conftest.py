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


@pytest.fixture(autouse=True, scope="session")
def _no_scan_cache(tmp_path_factory):
    """Tests run scans without the cache (confcheck/scan_cache.py): many patch the code
    in-process, which the cache's key (the modules' files) cannot see. The cache's own
    tests turn it back on in their subprocesses, with a folder of their own."""
    os.environ["CONFCHECK_NO_CACHE"] = "1"
    os.environ.setdefault("CONFCHECK_CACHE_DIR", str(tmp_path_factory.mktemp("confcheck-cache")))
    yield

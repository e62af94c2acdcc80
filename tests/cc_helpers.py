"""Helpers shared by the test suites (a plain module: conftest.py names clash
between folders, so tests import from here)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")


def need_root() -> None:
    """Skip without root, except in CI where every test must run."""
    if os.geteuid() != 0:
        if os.environ.get("CI"):
            pytest.fail("this test needs root, and CI must run it")
        pytest.skip("needs root (builds trees with other owners)")


def run_cli(*args: str, stdin: bytes | None = None, env: dict | None = None,
            cwd: str | None = None) -> subprocess.CompletedProcess:
    """Run the real command line in a child process (exit codes and streams as users see them)."""
    full_env = dict(os.environ)
    full_env.pop("FORCE_COLOR", None)
    full_env["NO_COLOR"] = "1"
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-m", "confcheck", *args], input=stdin,
                          capture_output=True, env=full_env, cwd=cwd, timeout=300)

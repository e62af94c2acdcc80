"""Fixtures for the nginx reader tests (helpers live in nginx_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nginx_helpers import CORPUS, make_root


@pytest.fixture
def debian_root(tmp_path: Path) -> Path:
    return make_root(tmp_path / "root", CORPUS / "debian")

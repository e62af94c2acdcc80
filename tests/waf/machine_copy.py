"""A copy of this machine's Apache and nginx configurations with the ModSecurity
packages' files (libapache2-mod-security2, modsecurity-crs,
libnginx-mod-http-modsecurity), under a fake `/` for `--root`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# What the packages put where their configurations reach it.
TREES = ("etc/apache2", "etc/nginx", "etc/modsecurity", "usr/share/modsecurity-crs",
         "usr/share/nginx/modules-available")
CRS = Path("/usr/share/modsecurity-crs/rules")


def need_waf_packages() -> None:
    """Skip where the packages are not installed, except in CI (.ci/run installs them)."""
    missing = [p for p in ("/etc/apache2/mods-available/security2.load", str(CRS),
                           "/usr/share/nginx/modules-available/mod-http-modsecurity.conf")
               if not os.path.exists(p)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs the ModSecurity packages, but these are missing: {missing}")
        pytest.skip(f"the ModSecurity packages are not installed ({missing[0]})")


def copy_machine(base: Path) -> Path:
    """`base` as a root holding copies of TREES (symlinks kept as they are, as a2enmod made them)."""
    for rel in TREES:
        src = Path("/") / rel
        if src.exists():
            shutil.copytree(src, base / rel, symlinks=True)
    return base

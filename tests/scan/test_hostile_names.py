"""Names with spaces, newlines, quotes, $(...), a leading '-' and bytes that are
not UTF-8 are normal input: reported exactly in JSON, visibly in text."""

from __future__ import annotations

import json
import os

from cc_helpers import make_site, need_root, run_cli

HOSTILE = [
    b"with space.html",
    b"new\nline.html",
    b"quote'd \"both\".html",
    b"$(touch pwned).html",
    b"-rf.html",
    b"latin1-\xe9\xff.html",
    b"tab\there.html",
]


def test_hostile_names_round_trip_through_json_and_show_in_text(tree_dir):
    need_root()
    make_site(tree_dir)
    site = os.fsencode(f"{tree_dir}/srv/site/")
    for name in HOSTILE:
        with open(site + name, "wb") as fh:
            fh.write(b"x")
        os.chmod(site + name, 0o600)
    proc = run_cli("scan", "--root", tree_dir, "--format", "json", "/etc/nginx")
    assert proc.returncode == 1
    proc.stdout.decode("ascii")   # JSON output is pure ASCII, whatever the names
    [finding] = json.loads(proc.stdout)["findings"]
    got = sorted(os.fsencode(p) for p in finding["fs_paths"])
    assert got == sorted(b"/srv/site/" + n for n in HOSTILE)
    assert not os.path.exists(f"{tree_dir}/srv/site/pwned")

    text = run_cli("scan", "--root", tree_dir, "/etc/nginx").stdout
    text.decode("utf-8")          # escaped, so always valid UTF-8
    shown = text.decode()
    assert "7 files under /srv/site" in shown
    for name in ("/srv/site/-rf.html", "/srv/site/$(touch pwned).html", "/srv/site/new\\nline.html",
                 "/srv/site/latin1-\\xe9\\xff.html", "/srv/site/quote'd \"both\".html"):
        assert name in shown, name


def test_hostile_directory_name_blocks_with_exact_path(tree_dir):
    need_root()
    make_site(tree_dir)
    bad = os.fsencode(f"{tree_dir}/srv/site/") + b"dir \xff\n$(x)"
    os.mkdir(bad, 0o700)
    with open(bad + b"/a.html", "w") as fh:
        fh.write("x")
    doc = json.loads(run_cli("scan", "--root", tree_dir, "--format", "json", "/etc/nginx").stdout)
    [finding] = doc["findings"]
    assert finding["rule"] == "FS101"
    assert os.fsencode(finding["fs_path"]) == b"/srv/site/dir \xff\n$(x)"

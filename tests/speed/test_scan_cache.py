"""The scan cache never answers stale: a changed include, a new or removed file where
an include glob looks, and (in disk scans, which are not cached) a changed disk entry
all change the findings; a cached answer is the fresh answer, byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CONF = """events {}
http {
    include sites/*.conf;
}
"""
SITE = """server {
    listen 80;
    server_name shop.example;
    root %s;
    location /private/ {
        deny all;
    }
    include snippets/php.conf;
}
"""
PHP = "location ~ \\.php$ {\n    fastcgi_pass unix:/run/php.sock;\n}\n"


def _scan(args, cache_dir, *extra):
    env = {**os.environ, "CONFCHECK_CACHE_DIR": str(cache_dir)}
    env.pop("CONFCHECK_NO_CACHE", None)
    proc = subprocess.run([sys.executable, "-m", "confcheck", "scan", "--format", "json", *extra, *args],
                          capture_output=True, text=True, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout, proc.returncode


def _rules(out: str) -> list[tuple]:
    return sorted((f["rule"], os.path.basename(f["file"]), f["line"]) for f in json.loads(out)["findings"])


@pytest.fixture
def tree(tree_dir):
    conf = os.path.join(tree_dir, "conf")
    os.makedirs(os.path.join(conf, "sites"))
    os.makedirs(os.path.join(conf, "snippets"))
    www = os.path.join(tree_dir, "www")
    os.makedirs(www)
    with open(os.path.join(www, "index.html"), "w") as fh:
        fh.write("hi\n")
    for mode, path in ((0o755, tree_dir), (0o755, www), (0o644, os.path.join(www, "index.html"))):
        os.chmod(path, mode)
    files = {"nginx.conf": CONF, "sites/shop.conf": SITE % www, "snippets/php.conf": PHP}
    for rel, text in files.items():
        with open(os.path.join(conf, rel), "w") as fh:
            fh.write(text)
    return conf, www


def test_cached_answers_follow_every_file_read(tree, tmp_path):
    conf, _www = tree
    main = os.path.join(conf, "nginx.conf")
    cache = tmp_path / "cache"
    first, code = _scan([main], cache, "--no-fs")
    assert ("NGX104", "php.conf", 1) in _rules(first) and code == 1
    assert any(cache.rglob("*.json")), "the first run writes an entry"
    again, _ = _scan([main], cache, "--no-fs")
    assert again == first

    # an included file edited in place, same size and same mtime: its bytes decide
    snippet = os.path.join(conf, "snippets", "php.conf")
    st = os.stat(snippet)
    with open(snippet, "w") as fh:
        fh.write(PHP.replace("\\.php$", "\\.phq$"))
    os.utime(snippet, ns=(st.st_atime_ns, st.st_mtime_ns))
    edited, _ = _scan([main], cache, "--no-fs")
    fresh, _ = _scan([main], cache, "--no-fs", "--no-cache")
    assert edited == fresh
    assert not any(rule == "NGX104" for rule, *_ in _rules(edited))

    # a new file where the include glob looks
    with open(os.path.join(conf, "sites", "blog.conf"), "w") as fh:
        fh.write("server {\n    listen 80;\n    server_name blog.example;\n    location / {\n"
                 "        deny all;\n        allow 10.0.0.1;\n    }\n}\n")
    added, _ = _scan([main], cache, "--no-fs")
    assert ("NGX102", "blog.conf", 5) in _rules(added)
    assert added == _scan([main], cache, "--no-fs", "--no-cache")[0]

    # and removed again: the first answer comes back
    os.unlink(os.path.join(conf, "sites", "blog.conf"))
    assert _scan([main], cache, "--no-fs")[0] == edited


def test_disk_scans_see_a_changed_disk_entry(tree, tmp_path):
    conf, www = tree
    main = os.path.join(conf, "nginx.conf")
    cache = tmp_path / "cache"
    before, _ = _scan([main, www], cache)
    os.chmod(os.path.join(www, "index.html"), 0o600)
    after, _ = _scan([main, www], cache)
    assert not any(r[0].startswith("FS") for r in _rules(before))
    assert any(r[0].startswith("FS") for r in _rules(after))
    assert not any(cache.rglob("*.json")), "disk scans are not cached"


def test_an_answer_that_read_the_machines_deployed_folder_is_not_kept(tree_dir, tmp_path):
    # a repository's nginx.conf: `include /etc/nginx/...` is read beside it when the
    # repository has the file, else from this machine; the second depends on a file
    # *not* being there, which the cache cannot watch
    if not os.path.isfile("/etc/nginx/mime.types"):
        pytest.skip("no /etc/nginx/mime.types on this machine")
    repo = os.path.join(tree_dir, "repo")
    os.makedirs(repo)
    with open(os.path.join(repo, "nginx.conf"), "w") as fh:
        fh.write("events {}\nhttp {\n    include /etc/nginx/mime.types;\n    server {\n        listen 80;\n"
                 "        location / {\n            deny all;\n            allow 10.0.0.1;\n        }\n    }\n}\n")
    cache = tmp_path / "cache"
    first, _ = _scan([os.path.join(repo, "nginx.conf")], cache, "--no-fs")
    assert ("NGX102", "nginx.conf", 7) in _rules(first)
    assert not any(cache.rglob("*.json"))
    with open(os.path.join(repo, "mime.types"), "w") as fh:
        fh.write("types {\n    text/html html;\n    bogus_directive;\n}\n")
    beside, _ = _scan([os.path.join(repo, "nginx.conf")], cache, "--no-fs")
    assert beside != first
    assert beside == _scan([os.path.join(repo, "nginx.conf")], cache, "--no-fs", "--no-cache")[0]


def _run(args, cache_dir, *extra):
    env = {**os.environ, "CONFCHECK_CACHE_DIR": str(cache_dir)}
    env.pop("CONFCHECK_NO_CACHE", None)
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "confcheck", "scan", *extra, *args],
                          capture_output=True, text=True, env=env)


def _answer(proc) -> tuple:
    """stdout, stderr without -X importtime's lines, exit code."""
    err = "".join(line + "\n" for line in proc.stderr.splitlines() if not line.startswith("import time:"))
    return proc.stdout, err, proc.returncode


def _rules_imported(proc) -> bool:
    """The rule registry was imported (it imports every rule module)."""
    return any(line.startswith("import time:") and line.endswith("confcheck.registry")
               for line in proc.stderr.splitlines())


def test_a_hit_answers_before_the_rules_are_imported_and_as_the_run_that_made_it(tree, tmp_path):
    conf, _www = tree
    main = os.path.join(conf, "nginx.conf")
    cache = tmp_path / "cache"
    for extra in (["--no-fs"], ["--no-fs", "--select", "NGX104"], ["--no-fs", "--ignore", "NGX", "--format", "json"]):
        first = _run([main], cache, *extra)
        hit = _run([main], cache, *extra)
        assert _rules_imported(first) and not _rules_imported(hit)
        assert _answer(hit) == _answer(first) == _answer(_run([main], cache, "--no-cache", *extra))
    # an unknown rule id is judged on every run (a usage error is never cached)
    for _ in range(2):
        bad = _run([main], cache, "--no-fs", "--select", "NGX999")
        assert bad.returncode == 2 and "unknown rule 'NGX999'" in bad.stderr

"""Look-alike servers share verdicts (analyzers/nginx/_shapes.py) without changing one answer:
the whole JSON document of a config-only scan is the same with sharing on and off
(CONFCHECK_NO_SHARING), on the benchmark's uniform tree, realistic application servers, the
real corpus, and trees where one server among many look-alikes is changed in a way that
changes its findings (and must not change theirs)."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from confcheck.engine import ScanOptions, run_scan
from confcheck.inputs import InputError
from confcheck.output.json_out import dumps, scan_document

CHECKOUT = Path(__file__).resolve().parents[2]
UNIFORM = CHECKOUT.parent / "shared" / "bench" / "gen_nginx_tree.py"
CORPUS = CHECKOUT.parent / "shared" / "corpus" / "nginx"
sys.path.insert(0, str(CHECKOUT / "benchmarks"))
from gen_app_tree import generate as generate_apps  # noqa: E402


def _document(main: str, sharing: bool, monkeypatch) -> str:
    if sharing:
        monkeypatch.delenv("CONFCHECK_NO_SHARING", raising=False)
    else:
        monkeypatch.setenv("CONFCHECK_NO_SHARING", "1")
    try:
        return dumps(scan_document(run_scan(ScanOptions(paths=[main], no_fs=True))))
    except InputError as exc:       # (a corpus file whose includes name /etc/nginx: the same both ways)
        return f"input error: {exc}"


def _same_both_ways(main: str, monkeypatch) -> str:
    shared = _document(main, True, monkeypatch)
    alone = _document(main, False, monkeypatch)
    assert shared == alone, main
    return alone


@pytest.fixture
def base():
    path = Path(tempfile.mkdtemp(prefix="confcheck-share-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _uniform(base: Path, count: int) -> Path:
    top = base / "uniform"
    top.mkdir()
    subprocess.run([sys.executable, str(UNIFORM), str(count)], cwd=top, check=True, stdout=subprocess.DEVNULL)
    return top


@pytest.mark.skipif(not UNIFORM.exists(), reason="../shared/bench is not there")
def test_uniform_tree_same_with_and_without_sharing(base, monkeypatch):
    top = _uniform(base, 60)
    doc = json.loads(_same_both_ways(str(top / "nginx.conf"), monkeypatch))
    assert len(doc["findings"]) == 120     # two NGX104 findings per server, every one answered


def test_app_tree_same_with_and_without_sharing(base, monkeypatch):
    main = generate_apps(str(base / "apps"), 160)
    doc = json.loads(_same_both_ways(main, monkeypatch))
    assert doc["findings"]


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is not there")
def test_corpus_same_with_and_without_sharing(monkeypatch):
    mains = sorted(CORPUS.rglob("nginx.conf")) + sorted(CORPUS.glob("*.conf"))
    assert len(mains) > 10
    answered = 0
    for main in mains:
        answered += not _same_both_ways(str(main), monkeypatch).startswith("input error")
    assert answered > 10


# One server's block changed: each edit changes what the rules find for that server.
PERTURBATIONS = [
    ("the admin deny becomes an allow", "        deny all;\n    }\n    location /static/", "        allow all;\n    }\n    location /static/"),
    ("a regex location that takes .sql (NGX104)", "    location = /old {", "    location ~ \\.sql$ {\n        expires 1d;\n    }\n    location = /old {"),
    ("the asset regex location removed", "    location ~* \\.(png|jpg|css|js)$ {\n        add_header Cache-Control \"public\";\n        expires 7d;\n    }\n", ""),
    ("the php regex renamed", "location ~ \\.php$ {", "location ~ \\.phtml$ {"),
    ("the admin prefix made ^~", "location /admin/ {", "location ^~ /admin/ {"),
    ("a rewrite that loops (NGX113)", "        try_files $uri $uri/ /index.php?$args;", "        rewrite ^/(.*)$ /x/$1 last;"),
    ("the server refuses everything", "    index index.html index.php;", "    index index.html index.php;\n    deny all;"),
    ("the admin location named like the site", "location /admin/ {", "location /SITE/ {"),
    ("the location's root repeats its prefix (NGX109)", "        alias /var/www/SITE/static/;", "        root /var/www/SITE/static;"),
    ("the alias loses its slash (NGX107)", "/SITE/static/;", "/SITE/static;"),
    ("a comment that the fix's copy carries", "        expires 7d;\n    }\n    location = /old", "        expires 7d;  # SITE\n    }\n    location = /old"),
    ("the admin block on one line", "    location /admin/ {\n        allow 10.0.0.0/8;\n        allow 192.168.0.0/16;\n        deny all;\n    }", "    location /admin/ { allow 10.0.0.0/8; allow 192.168.0.0/16; deny all; }"),
    ("a dot-file deny without the acme exception (NGX101)", "    location / {", "    location ~ /\\. {\n        deny all;\n    }\n    location / {"),
    # each rule that shares look-alikes' verdicts fires for the one changed server
    ("the admin allows after its deny (NGX102)", "        allow 10.0.0.0/8;\n        allow 192.168.0.0/16;\n        deny all;",
     "        deny all;\n        allow 10.0.0.0/8;\n        allow 192.168.0.0/16;"),
    ("a server-level deny robots.txt inherits (NGX103)", "    index index.html index.php;",
     "    index index.html index.php;\n    deny 203.0.113.0/24;\n    location = /robots.txt {\n    }"),
    ("the static location loses its slash, not its alias (NGX108)", "location /static/ {", "location /static {"),
    ("PHP refused to POST (NGX110)", "        fastcgi_pass unix:/run/php/php-fpm.sock;",
     "        fastcgi_pass unix:/run/php/php-fpm.sock;\n        limit_except GET {\n            deny all;\n        }"),
    ("a referer check without none/blocked (NGX111)", "    index index.html index.php;",
     "    index index.html index.php;\n    valid_referers SITE.example.com;\n    if ($invalid_referer) {\n        return 403;\n    }"),
    ("the server returns 403 to everything (NGX112)", "    index index.html index.php;",
     "    index index.html index.php;\n    return 403;"),
    ("a connection limit answering 403 (NGX114)", "    index index.html index.php;",
     "    index index.html index.php;\n    limit_conn addr 10;\n    limit_conn_status 403;"),
]


def _server_text(text: str, index: int) -> tuple[int, int]:
    """The span of the index-th `server {` block of a generated file."""
    starts = [m.start() for m in re.finditer(r"(?m)^server \{", text)] + [len(text)]
    return starts[index], starts[index + 1]


@pytest.mark.skipif(not UNIFORM.exists(), reason="../shared/bench is not there")
def test_one_changed_server_among_look_alikes(base, monkeypatch):
    top = _uniform(base, 40)      # servers 10..39 are one shape (two-digit names), 0..9 another
    main = str(top / "nginx.conf")
    original = _same_both_ways(main, monkeypatch)
    rng = random.Random(1422)
    files = sorted((top / "sites").glob("*.conf"))
    saved = {f: f.read_text() for f in files}
    for label, old, new in PERTURBATIONS:
        for server in (10, rng.randrange(11, 40)):     # the first of its shape, and a later one
            path = files[server // 10]
            text = saved[path]
            start, end = _server_text(text, server % 10)
            block = text[start:end]
            site = f"site{server}"
            edited = block.replace(old.replace("SITE", site), new.replace("SITE", site), 1)
            assert edited != block, label
            path.write_text(text[:start] + edited + text[end:])
            try:
                changed = _same_both_ways(main, monkeypatch)
            finally:
                path.write_text(text)
            assert changed != original, (label, server)
            named = re.search(r"\((NGX\d+)\)", label)
            if named:       # the rule the edit is for fires there, sharing or not
                assert named.group(1) in {f["rule"] for f in json.loads(changed)["findings"]
                                          if (f.get("file") or "").endswith("/" + path.name)}, (label, server)
            # every other server keeps its findings: compare the documents without the changed file
            assert _other_files(changed, path.name) == _other_files(original, path.name), (label, server)


def _other_files(document: str, name: str) -> list:
    return [f for f in json.loads(document)["findings"] if not (f.get("file") or "").endswith("/" + name)]


def test_a_status_code_is_never_renamed(base, monkeypatch):
    """Names are renamed between look-alikes, a return's status code is not: the server named
    like the 403 it returns is no look-alike of the one named like its 404."""
    (base / "nginx.conf").write_text(
        "events {}\nhttp {\n"
        "    server { listen 80; server_name 404.example.com; return 404; }\n"
        "    server { listen 80; server_name 403.example.com; return 403; }\n"
        "}\n")
    doc = json.loads(_same_both_ways(str(base / "nginx.conf"), monkeypatch))
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("NGX112", 4)]


def test_a_map_in_an_included_file_keeps_names_apart(base, monkeypatch):
    """A token the http level uses (here a map in an included file, naming one site) is
    never renamed: the server whose name the map reads keeps its own analysis."""
    (base / "conf.d").mkdir()
    (base / "conf.d" / "map.conf").write_text("map $http_host $blocked { default 0; site1.example.com 1; }\n")
    servers = "".join(f"    server {{ listen 80; server_name site{i}.example.com; root /srv/site{i}; }}\n"
                      for i in range(1, 4))
    (base / "nginx.conf").write_text(f"events {{}}\nhttp {{\n    include conf.d/*.conf;\n{servers}}}\n")
    from confcheck.analyzers.nginx._shapes import Shapes
    from confcheck.engine import read_options
    from confcheck.servers.nginx.conf import build_http
    reading = read_options(ScanOptions(paths=[str(base / "nginx.conf")], no_fs=True))
    http = build_http(reading.of("nginx")[0].tree.nodes)
    table = Shapes(http)
    keys = [table.key[id(server)] for server in http.servers]
    assert keys[0] is None or keys[0] != keys[1]
    assert keys[1] is not None and keys[1] == keys[2]


SERVER = """server {{{head}
    location /admin/ {{{allow}
        deny all;{note}
    }}
    location ~* \\.(png|css)$ {{{copied}
        expires 7d;
    }}
    location /static/ {{
        alias /var/www/{site}/static/;
    }}
}}
"""


def test_look_alike_fix_diffs_at_the_edges(base, monkeypatch):
    """The fix diffs of look-alike servers, filled from their representative's (fixers.diff
    edit_template), are those made for each server alone: servers packed without blank lines
    where the diff's context reaches into the next server or the file's first lines, a CRLF
    file, bytes that are not UTF-8 near the edit, a site name in the context lines and in the
    text the fix copies (then each server's diff is its own), files of one server."""
    sites = base / "sites"
    sites.mkdir()
    head = "\n    listen 80;\n    server_name {site}.example.com;\n    root /var/www/{site};"
    allow = "\n        allow 10.0.0.0/8;"
    variants = {
        "plain": dict(head=head, allow=allow, note="", copied=""),
        "packed": dict(head=" listen 80; server_name {site}.example.com;", allow="", note="", copied=""),
        "latin1": dict(head=head, allow=allow, note="  # caf\xe9", copied=""),
        "named": dict(head=head, allow=allow, note="", copied="  # {site}"),
    }
    for number, (name, parts) in enumerate(variants.items()):
        for count, crlf in ((12, False), (1, False), (6, True)):
            text = "".join(SERVER.format(site=f"s{number}{crlf:d}{count:02d}x{i:02d}", **{
                k: v.format(site=f"s{number}{crlf:d}{count:02d}x{i:02d}") for k, v in parts.items()})
                for i in range(count))
            data = text.encode("latin-1")
            if crlf:
                data = data.replace(b"\n", b"\r\n")
            (sites / f"{name}-{count}-{crlf:d}.conf").write_bytes(data)
    (base / "nginx.conf").write_text("events {}\nhttp {\n    include sites/*.conf;\n}\n")
    from confcheck.analyzers.nginx import _shapes
    filled = []
    real = _shapes._MovedDiffs.diff
    monkeypatch.setattr(_shapes._MovedDiffs, "diff", lambda self, other: filled.append(real(self, other)) or filled[-1])
    doc = json.loads(_same_both_ways(str(base / "nginx.conf"), monkeypatch))
    assert sum(f["rule"] == "NGX104" for f in doc["findings"]) == 4 * 19
    assert all(f["fix"]["diff"] for f in doc["findings"] if f["rule"] == "NGX104")
    # some look-alikes' diffs came from a template, and some could not (packed servers, named copies)
    assert sum(d is not None for d in filled) >= 20 and None in filled

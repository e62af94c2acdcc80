"""Rule probes share one decision between servers that read the same configuration
(analyzers/nginx/_decisions.py): every shared answer must be the one decide() gives.

Random servers are drawn from fragments that differ in what a decision reads (a server-level
rewrite that matches or not, `if`, `set`, a variable naming the host, allow lists with other
addresses, error pages, named locations, captures, auto-redirects, limit_except, a subrequest,
valid_referers) and in what it does not (names, paths, body sizes); each probe of each server
is answered both ways and compared, verdict first (what the rules read, before anything is
decided in full), then the whole answer."""

from __future__ import annotations

import itertools
import random
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from confcheck.analyzers.nginx._common import PUBLIC_IP, request_for
from confcheck.analyzers.nginx._decisions import SharedOutcome, decide_shared, shared_on
from confcheck.parsers.nginx_loader import load_nginx
from confcheck.servers.nginx.conf import build_http
from confcheck.servers.nginx.decide import Model, decide
from confcheck.source import Diagnostics

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from gen_app_tree import generate as generate_apps  # noqa: E402

SERVER_LEVEL = [
    "rewrite ^/old/(.*)$ /new/$1 permanent;",
    "rewrite ^/a/(.*)$ /b/$1 last;",
    "rewrite ^/old-{n}/(.*)$ /new/$1 permanent;",
    "rewrite ^/loop/(.*)$ /loop/$1;",
    "if ($host ~ 3) {{ return 403; }}",
    "set $v 1;",
    "error_page 403 /e403.html;",
    "error_page 404 = @fallback;",
    "error_page 404 /404-{n}.html;",
    "allow 10.0.0.0/8; deny all;",
    "auth_basic \"site {n}\"; auth_basic_user_file /etc/nginx/htpasswd/u{n};",
    "client_max_body_size {n}m;",
    "merge_slashes off;",
    "index index.php index.html;",
    "return 444;",
]
LOCATIONS = [
    "location / {{ try_files $uri /index.php?$args; }}",
    "location / {{ try_files /index.php; }}",
    "location /admin/ {{ allow 192.0.2.{n}; deny all; }}",
    "location /admin/ {{ allow 10.0.0.0/8; deny all; }}",
    "location ~ \\.php$ {{ fastcgi_pass unix:/run/php.sock; fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; }}",
    "location = /e403.html {{ internal; root /usr/share/nginx/html; }}",
    "location @fallback {{ return 418; }}",
    "location @fallback {{ rewrite ^ /index.php last; }}",
    "location /a/ {{ rewrite ^/a/(.*)$ /c/$1 last; }}",
    "location /c/ {{ return 200 \"$host\"; }}",
    "location /c/ {{ return 301 https://s{n}.example.org$request_uri; }}",
    "location /d/ {{ if ($request_method = POST) {{ return 405; }} }}",
    "location /ref/ {{ valid_referers server_names; if ($invalid_referer) {{ return 403; }} }}",
    "location /sub/ {{ auth_request /auth; }}",
    "location = /auth {{ return 204; }}",
    "location ^~ /static/ {{ alias /srv/s{n}/static/; }}",
    "location /lim/ {{ limit_except GET {{ deny all; }} }}",
    "location /x/ {{ location ~ \\.txt$ {{ deny all; }} }}",
    "location ~ ^/(?<name>u)/ {{ return 301 /$name; }}",
    "location /h/ {{ if ($http_host ~ 3) {{ return 403; }} }}",
    "location /v/ {{ set $t $host; if ($t ~ 3) {{ return 403; }} }}",
    "location = /auth {{ return 403; }}",
    "location /redir/ {{ proxy_pass http://127.0.0.1:9; }}",
    "location /loop/ {{ rewrite ^/loop/(.*)$ /loop/x$1 last; }}",
    "location /e/ {{ error_page 403 = @fallback; deny all; }}",
    "location /404-{n}.html {{ return 410; }}",
    "location /www/ {{ root /srv/www{n}; autoindex on; }}",
]
URIS = ["/", "/index.php", "/admin/x", "/admin/x.php", "/a/1", "/b/1", "/c/1", "/d/", "/ref/x", "/sub/x",
        "/static/x.css", "/lim/x", "/x/y.txt", "/u/1", "/h/", "/v/", "/redir", "/redir/", "/old/q", "/old-3/q",
        "/loop/1", "/e403.html", "/missing", "/e/x", "/404-3.html", "/www/", "/new/x"]


def _profiles(rng: random.Random, pool: list[str], count: int, low: int, high: int) -> list[list[tuple[str, bool]]]:
    """A few sets of fragments servers are drawn from (templated configs repeat them), each
    fragment with whether a server writes its own number into it."""
    return [[(text, rng.random() < 0.3) for text in rng.sample(pool, rng.randint(low, high))] for _ in range(count)]


def _server(rng: random.Random, n: int, levels: list, locations: list) -> str:
    lines = [f"    listen {rng.choice(['80', '8080', '443 ssl', '443 ssl http2'])};",
             f"    server_name s{n}.example.org www.s{n}.example.org;",
             f"    root /srv/s{n}/{rng.choice(['public', 'web', 'current/public'])};"]
    picked = rng.choice(levels) + ([(rng.choice(SERVER_LEVEL), True)] if rng.random() < 0.3 else [])
    picked += [entry for entry in rng.choice(locations) if rng.random() < 0.9]
    if rng.random() < 0.3:
        picked.append((rng.choice(LOCATIONS), True))
    for text, own in picked:
        lines.append("    " + text.format(n=n if own else 3))
    # one location per name: nginx refuses a duplicate
    seen, kept = set(), []
    for line in lines:
        head = line.split("{", 1)[0].strip()
        if head.startswith("location") and head in seen:
            continue
        seen.add(head)
        kept.append(line)
    return "server {\n" + "\n".join(kept) + "\n}\n"


@pytest.fixture
def base():
    path = Path(tempfile.mkdtemp(prefix="confcheck-decisions-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _model(main: str) -> Model:
    diags = Diagnostics()
    loaded = load_nginx(main, diags)
    assert not diags.items, diags.items
    return Model(build_http(loaded.nodes), None, None)


# a Referer naming server 3 (valid_referers server_names lets it in there only)
HEADERS = (None, {"Referer": "http://s3.example.org/"})


def _compare(model: Model, methods=("GET", "POST"), uris=URIS, ips=(PUBLIC_IP, "192.0.2.3"),
             headers=HEADERS) -> int:
    """Every probe answered shared and in full: the same. Returns how many answers were shared."""
    assert shared_on(model)
    shared = 0
    for server in model.http.servers:
        for uri, method, ip, sent in itertools.product(uris, methods, ips, headers):
            request = request_for(model.http, server, uri, method=method, client_ip=ip, headers=sent)
            if request is None:
                continue
            answer = decide_shared(model, request, server)
            again = request_for(model.http, server, uri, method=method, client_ip=ip, headers=sent)
            full = decide(model, again)
            where = f"{server.describe()} {method} {uri} from {ip}"
            # what the rules read, before anything of the shared answer is decided in full
            assert (answer.status, answer.rule, answer.fs_path) == (full.status, full.rule, full.fs_path), where
            assert answer.decided_by is full.decided_by, where
            if isinstance(answer, SharedOutcome):
                shared += 1
            assert answer.to_json() == full.to_json(), where
            assert answer.not_modelled is full.not_modelled, where
    return shared


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_random_servers_shared_decisions_are_decide(base, seed):
    rng = random.Random(seed)
    levels, locations = _profiles(rng, SERVER_LEVEL, 3, 0, 4), _profiles(rng, LOCATIONS, 3, 3, 10)
    text = "events {}\nhttp {\n" + "".join(_server(rng, n, levels, locations) for n in range(40)) + "}\n"
    (base / "nginx.conf").write_text(text)
    shared = _compare(_model(str(base / "nginx.conf")))
    assert shared > 0      # the servers repeat fragments: some decisions are shared


def test_app_tree_shared_decisions_are_decide(base):
    main = generate_apps(str(base / "apps"), 120, seed=11)
    model = _model(main)
    uris = ["/", "/index.php", "/admin/confcheck", "/admin/x.php", "/admin/x.css", "/wp-admin/x", "/backup/x.sql",
            "/vendor/x.php", "/storage/x", "/home", "/old-3/x", "/sites/a/files/styles/x", "/.git/config",
            "/50x.html", "/api/x", "/.well-known/acme-challenge/x", "/wp-login.php", "/xmlrpc.php"]
    shared = _compare(model, methods=("GET",), uris=uris, ips=(PUBLIC_IP, "10.0.0.1", "192.0.2.3"), headers=(None,))
    # most of the TLS servers are each their own shape; their probes are still mostly shared
    assert shared > 120 * len(uris) // 2


def test_a_matching_server_rewrite_is_never_shared(base):
    """Two servers alike but for a server-level rewrite: the URI it matches is decided apart."""
    text = ("events {}\nhttp {\n"
            "server { listen 80; server_name a.example; location / { return 200; } }\n"
            "server { listen 80; server_name b.example; rewrite ^/old/(.*)$ /new/$1 permanent;"
            " location / { return 200; } }\n}\n")
    (base / "nginx.conf").write_text(text)
    model = _model(str(base / "nginx.conf"))
    first, second = model.http.servers
    answers = {}
    for server in (first, second):
        for uri in ("/x", "/old/x"):
            answers[server.primary_name, uri] = decide_shared(model, request_for(model.http, server, uri), server)
    assert isinstance(answers["b.example", "/x"], SharedOutcome)        # the rewrite does not match
    assert not isinstance(answers["b.example", "/old/x"], SharedOutcome)
    assert answers["a.example", "/old/x"].status == 200
    assert answers["b.example", "/old/x"].status == 301

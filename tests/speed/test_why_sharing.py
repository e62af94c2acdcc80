"""`why --batch` shares one decision between look-alike servers (confcheck/why_batch.py)
without changing one answer: every JSON line is the same with sharing on and off
(CONFCHECK_NO_SHARING), for requests that spell other servers' names, %-encode them,
change their case, carry credentials naming a server, and for answers whose text
names a file and line of the server (those must not be shared)."""

from __future__ import annotations

import base64
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from confcheck.servers.nginx.request import RequestError
from confcheck.why import WhyOptions, parse_batch_line, prepare
from confcheck.why_batch import answerer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_nginx_parse import generate as generate_uniform  # noqa: E402

SERVER = """\
server {{
    listen 80;
    server_name {name}.test www.{name}.test;
    root /srv/{name}/public;
    index index.html;
    error_page 404 /errors/404.html;
    location / {{ try_files $uri $uri/ =404; }}
    location /old/ {{ rewrite ^/old/(.*)$ /new/$1 last; }}
    location /new/ {{ return 200; }}
    location /go {{ return 301 https://$host$request_uri; }}
    location /img/ {{ alias /srv/{name}/images/; }}
    location /cut/ {{ rewrite ^/cut/x(\\w+)$ /to/$1 redirect; }}
    location ~ ^/cap/(?<part>\\w+) {{ return 302 /srv/$part; }}
    location /thumbs/ {{ image_filter resize 100 100; return 200; }}
    location /private/ {{ deny all; }}
    location /admin/ {{
        allow 10.0.0.0/8;
        deny all;
        auth_basic "admin";
        auth_basic_user_file /etc/nginx/{name}.htpasswd;
    }}
    location = /exact {{ return 403; }}
    location /lim/ {{ limit_except GET {{ deny all; }} }}
    location /self/ {{ return 302 /{name}/x; }}
    location /rate/ {{ limit_req zone=one; }}
}}
"""

ODD = """\
server {
    listen 80;
    server_name app33.test;
    root /srv/app33/public;
    location / { deny all; }
}
"""

PATHS = ["/", "/a.html", "/old/x", "/new/y", "/go", "/img/a.png", "/cut/x{o}", "/cut/x%61pp{n}", "/cut/x{other}z",
         "/cap/{o}", "/cap/{self}", "/thumbs/a.jpg", "/private/", "/admin/", "/exact", "/lim/", "/self/",
         "/{self}/", "//double//{o}", "/%2e%2e/x", "/..", "/a?q={o}", "/rate/", "/{o}%2F{self}", "/x/{SELF}"]


def _tree(base: Path, names: list[str], odd: bool) -> str:
    (base / "sites").mkdir(parents=True)
    (base / "nginx.conf").write_text(
        "user www-data;\nevents {}\nhttp {\n    limit_req_zone $binary_remote_addr zone=one:1m rate=1r/s;\n"
        "    include sites/*.conf;\n}\n")
    for start in range(0, len(names), 7):
        text = "".join(SERVER.format(name=name) for name in names[start:start + 7])
        (base / "sites" / f"s{start:03d}.conf").write_text(text + (ODD if odd and start == 14 else ""))
    return str(base / "nginx.conf")


def _requests(names: list[str], count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    lines = []
    for _ in range(count):
        name, other = rnd.choice(names), rnd.choice(names[:3])    # a few others: requests repeat
        host = rnd.choice([f"{name}.test", f"www.{name}.test", f"{name.upper()}.TEST", "unknown.test",
                           f"{name}.test:8080", "127.0.0.1"])
        path = rnd.choice(PATHS).format(o=other, self=name, SELF=name.upper(), n=name[3:], other=other)
        item = {"url": f"http://{host}{path}", "method": rnd.choice(["GET", "GET", "GET", "POST", "TRACE"]),
                "client_ip": rnd.choice(["127.0.0.1", "10.1.2.3"])}
        if rnd.random() < 0.2:
            credentials = base64.b64encode(f"{other}:pw".encode()).decode()
            item["headers"] = {"Authorization": f"Basic {credentials}"}
        lines.append(json.dumps(item))
    return lines


def _answers(conf: str, lines: list[str], sharing: bool, monkeypatch):
    if sharing:
        monkeypatch.delenv("CONFCHECK_NO_SHARING", raising=False)
    else:
        monkeypatch.setenv("CONFCHECK_NO_SHARING", "1")
    answer = answerer(prepare(WhyOptions(configs=[conf], no_fs=True, server="nginx")))
    out = []
    for number, line in enumerate(lines, start=1):
        try:
            out.append(answer(parse_batch_line(line, number)))
        except RequestError as exc:
            out.append(("error", str(exc)))
    return out, getattr(answer, "filled", 0)


@pytest.fixture
def base():
    path = Path(tempfile.mkdtemp(prefix="confcheck-whyshare-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("odd", [False, True])
def test_shared_answers_are_the_full_decisions(base, monkeypatch, odd):
    names = [f"app{i}" for i in range(10, 38)] + [f"app{i}" for i in range(100, 106)]
    conf = _tree(base, names, odd)
    lines = _requests(names, 3000, seed=7 + odd)
    shared, filled = _answers(conf, lines, True, monkeypatch)
    alone, none = _answers(conf, lines, False, monkeypatch)
    assert none == 0
    for line, a, b in zip(lines, shared, alone):
        assert a == b, line
    assert filled > len(lines) // 10       # the shared path answered many of them (most keys come once here)


def test_what_renaming_cannot_carry_is_decided_in_full(base, monkeypatch):
    """A name the request itself spells (in part, %-encoded) would be renamed with the server's,
    and a message citing the server's file:line moves with more than names: each is decided in full."""
    names = [f"app{i}" for i in range(10, 20)]
    conf = _tree(base, names, False)
    lines = []
    for _round in range(3):
        for name in names:       # app10 answers first: its answer is the one other servers' would be made from
            lines += [json.dumps({"url": f"http://{name}.test{path}"})
                      for path in ("/cut/xapp10", "/cut/x%61pp10", "/thumbs/a.jpg", "/rate/", "/new/y")]
    shared, filled = _answers(conf, lines, True, monkeypatch)
    alone, _ = _answers(conf, lines, False, monkeypatch)
    assert shared == alone
    by_path = {}
    for line, (text, _error) in zip(lines, shared):
        by_path.setdefault(json.loads(line)["url"].split(".test")[1], []).append(json.loads(text))
    assert {d["location"] for d in by_path["/cut/xapp10"]} == {"/to/app10"}
    assert {d["location"] for d in by_path["/cut/x%61pp10"]} == {"/to/app10"}
    assert len({d["reason"] for d in by_path["/thumbs/a.jpg"]}) == len(names)   # each names its own line
    assert len({json.dumps(d["limits"]) for d in by_path["/rate/"]}) == len(names)
    assert filled >= 2 * (len(names) - 2)    # /new/y shared: the others were not all decided in full


def test_batch_cli_same_with_and_without_sharing(base):
    """The command line: bad lines, ports nobody listens on and shared answers, byte for byte."""
    from cc_helpers import run_cli
    generate_uniform(base / "u", 40, 4)
    names = [f"site{i}" for i in range(40)]
    lines = _requests(names, 400, seed=3) + ["not json", json.dumps({"url": "ftp://x/"})]
    batch = base / "batch.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    args = ("why", "--no-fs", "--config", str(base / "u" / "nginx.conf"), "--batch", str(batch), "--format", "json")
    shared = run_cli(*args)
    alone = run_cli(*args, env={"CONFCHECK_NO_SHARING": "1"})
    assert shared.returncode == alone.returncode == 2
    assert shared.stdout == alone.stdout and shared.stderr == alone.stderr
    assert len(shared.stdout.splitlines()) == len(lines)


@pytest.mark.parametrize("broken", ["app10", "app11"])
def test_a_failure_in_a_decision_to_be_shared_stays_with_its_request(base, monkeypatch, broken):
    """The first server's decision (the template) or the second's (its proof) failing: no answer
    is made from it, every other server is decided in full, as without sharing."""
    from confcheck.servers.nginx import decide as nginx_decide
    real = nginx_decide._access

    def access(state):
        if state.server.primary_name == f"{broken}.test":
            raise RuntimeError(f"injected failure in {broken}")
        return real(state)

    monkeypatch.setattr(nginx_decide, "_access", access)
    names = [f"app{i}" for i in range(10, 20)]
    conf = _tree(base, names, False)
    lines = [json.dumps({"url": f"http://{name}.test/private/"}) for name in names]
    shared, _ = _answers(conf, lines, True, monkeypatch)
    alone, _ = _answers(conf, lines, False, monkeypatch)
    assert shared == alone
    errors = [error for _text, error in shared]
    assert errors[names.index(broken)].startswith("RuntimeError: injected failure")
    assert errors.count(None) == len(names) - 1


def test_a_decision_is_shared_between_clients_only_where_the_address_is_not_read(base, monkeypatch):
    """/new/ (return 200) never reads the client address: one decision for every client;
    /admin/ (allow 10.0.0.0/8; deny all) does: another address is decided anew, and answered
    otherwise, also on a server whose /admin/ answers are already shared."""
    names = [f"app{i}" for i in range(10, 16)]
    conf = _tree(base, names, False)
    lines = []
    for path in ("/new/y", "/admin/"):
        lines += [json.dumps({"url": f"http://{name}.test{path}", "client_ip": "10.1.2.3"}) for name in names]
        lines += [json.dumps({"url": f"http://{name}.test{path}", "client_ip": "192.0.2.7"}) for name in names]
    shared, filled = _answers(conf, lines, True, monkeypatch)
    alone, _ = _answers(conf, lines, False, monkeypatch)
    assert shared == alone
    status = [json.loads(text)["status"] for text, _error in shared]
    count = len(names)
    assert status[:2 * count] == [200] * 2 * count
    assert status[2 * count:] == [401] * count + [403] * count
    # /new/y: two decisions (app10, app11's proof), the rest shared, whatever the client;
    # /admin/: two per address
    assert filled == 4 * count - 6


def test_a_typed_nul_is_refused_wherever_it_sits_and_never_shared(base, monkeypatch):
    """A NUL at the URL's tail, at the head of the Host header and in another header's value
    (nginx: 400 for the URL and the header lines; curl refuses all three): each line is refused
    on its own, naming where, the lines around it answered, never one shared answer."""
    names = [f"app{i}" for i in range(10, 13)]
    conf = _tree(base, names, False)
    lines = [json.dumps({"url": f"http://{name}.test/new/y\u0000", "headers": {"Host": f"{name}.test"}})
             for name in names[:2]]
    lines.append(json.dumps({"url": "http://app10.test/new/y", "headers": {"Host": "\u0000app10.test"}}))
    lines.append(json.dumps({"url": "http://app11.test/new/y", "headers": {"X-Note": "a\u0000b"}}))
    lines.append(json.dumps({"url": "http://app12.test/new/y", "headers": {"X-Note": "a\tb"}}))
    shared, _ = _answers(conf, lines, True, monkeypatch)
    alone, _ = _answers(conf, lines, False, monkeypatch)
    assert shared == alone
    assert [kind for kind, _text in shared[:4]] == ["error"] * 4
    assert "character 24" in shared[0][1] and "'Host'" in shared[2][1] and "'X-Note'" in shared[3][1]
    assert json.loads(shared[4][0])["status"] == 200
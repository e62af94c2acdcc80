"""A decision leaves nothing for the cyclic garbage collector, and the request model's
per-URI memos answer each server and URI for itself.

Rules put tens of thousands of probes to decide() on a fleet's config; a cycle per
probe (an exception held by a frame of its own traceback: _error_page re-raises the
Final it was given) kept every probe's frames and state alive until the collector ran,
which cost a third of the rules' time on a 2,000-server tree of application servers."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile

import pytest

from confcheck.servers.nginx.decide import Model, State, decide
from confcheck.servers.nginx.locations import find_location
from confcheck.servers.nginx.request import Request
from confcheck.why import WhyOptions, prepare

SERVER = """\
    server {{
        listen 8080;
        server_name {name}.test;
        root /srv/{name};
        error_page 404 /404.html;
        location / {{ try_files $uri =404; }}
        location /private/ {{ deny all; }}
        location = /403.html {{ internal; }}
        location /loop/ {{ rewrite ^/loop/(.*)$ /loop/$1 last; }}
        location /gone {{ return 410; }}
        location /moved {{ return 404; }}
        location /admin/ {{ allow 10.0.0.0/8; allow {allowed}; deny all; }}
        location ~ \\.php$ {{ fastcgi_pass unix:/run/php.sock; }}
    }}
"""
# two look-alike servers, alike but for their names and the second allow address
CONFIG = ("events {}\nhttp {\n" + SERVER.format(name="a", allowed="192.0.2.1")
          + SERVER.format(name="b", allowed="192.0.2.2") + "}\n")


@pytest.fixture(scope="module")
def model():
    base = tempfile.mkdtemp(prefix="confcheck-garbage-", dir="/var/tmp")
    try:
        conf = os.path.join(base, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as fh:
            fh.write(CONFIG)
        prepared = prepare(WhyOptions(configs=[conf], no_fs=True)).model
        yield Model(prepared.http, None, None, prefix=prepared.prefix, conf_prefix=prepared.conf_prefix)
    finally:
        shutil.rmtree(base)


REQUESTS = [("a.test", "/private/x", "203.0.113.7"), ("a.test", "/loop/x", "203.0.113.7"),
            ("a.test", "/gone", "203.0.113.7"), ("a.test", "/x.php", "203.0.113.7"),
            ("a.test", "/admin/x", "192.0.2.1"), ("a.test", "/admin/x", "203.0.113.7"),
            ("a.test", "/403.html", "203.0.113.7"), ("a.test", "/moved", "203.0.113.7"), ("a.test", "/", "203.0.113.7"),
            ("a.test", "/%2e%2e/x", "203.0.113.7")]


def _ask(model, host: str, path: str, ip: str):
    return decide(model, Request.aimed("127.0.0.1", 8080, host, path, client_ip=ip))


def test_decisions_leave_no_cycles(model):
    for request in REQUESTS:       # every lazy index and memo built before counting
        _ask(model, *request)
    was = gc.isenabled()
    gc.disable()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        outcomes = [_ask(model, *request) for request in REQUESTS * 3]
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, State) or type(o).__name__ == "frame"]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
    # the answers went through a redirection cycle, return, the access phase, an internal
    # location, a bad URI and an error page (unknown: its file is on the disk)
    statuses = {o.status for o in outcomes}
    assert statuses == {403, 500, 410, 400, None}, statuses
    assert any(step.step == "error_page" for o in outcomes for step in o.trace)
    assert left == []


def test_look_alike_servers_keep_their_own_answers(model):
    """Two servers alike but for one decisive argument (the second allow address): each
    one's memoised location search and decision are its own, whichever is asked first."""
    first = [_ask(model, "a.test", "/admin/x", ip).status for ip in ("192.0.2.1", "192.0.2.2")]
    second = [_ask(model, "b.test", "/admin/x", ip).status for ip in ("192.0.2.1", "192.0.2.2")]
    assert first[0] != 403 and first[1] == 403
    assert second[0] == 403 and second[1] != 403
    a, b = model.http.servers
    found_a, found_b = find_location(a, "/admin/x"), find_location(b, "/admin/x")
    assert found_a.location is not found_b.location
    assert found_a.location.node.line != found_b.location.node.line
    assert find_location(a, "/admin/x") is found_a        # the memo answers again
    assert find_location(a, "/admin/y").location is found_a.location
    assert find_location(a, "/x.php").location.name == "\\.php$"

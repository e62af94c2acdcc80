"""Modules whose answer changes the disk or depends on chance or the clock
(dav.py, decide._random_index, secure_link.py), judged before anything runs.

The real-server scenarios (scenarios/nginx/dav.yaml, random_index.yaml,
secure_link.yaml) check every answer that leaves the tree and the clock as they
were; these check the rest on a real directory, with the worker as an account
that owns nothing here (nobody)."""

from __future__ import annotations

import hashlib
import base64
import os
import shutil
import tempfile
import time

import pytest

from confcheck.fs.live import LiveFs
from confcheck.fs.model import Identity
from confcheck.servers.nginx.content_modules import accept_gzip
from confcheck.servers.nginx.decide import Model, decide
from confcheck.servers.nginx.request import Request
from confcheck.why import WhyOptions, prepare

NOBODY = Identity(user="nobody", uid=65534, gid=65534, groups=frozenset({65534}))


@pytest.fixture
def site():
    base = tempfile.mkdtemp(prefix="confcheck-mods-", dir="/var/tmp")
    os.chmod(base, 0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base)


def _model(site: str, body: str) -> Model:
    conf = os.path.join(site, "nginx.conf")
    with open(conf, "w", encoding="utf-8") as fh:
        fh.write("events {}\nhttp {\n server {\n  listen 8080;\n  server_name t.test;\n"
                 f"  root {site}/www;\n{body}\n }}\n}}\n")
    prepared = prepare(WhyOptions(configs=[conf], no_fs=True))
    model = prepared.model
    return Model(model.http, LiveFs(None), NOBODY, prefix=model.prefix, conf_prefix=model.conf_prefix)


def _file(path: str, mode: int = 0o644, text: str = "x\n") -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, mode)


def _ask(model: Model, path: str, method: str = "GET", headers: dict | None = None):
    return decide(model, Request.parse(f"http://t.test:8080{path}", method, headers or {}))


def test_dav_answers_what_creates_and_removes(site):
    www = os.path.join(site, "www")
    _file(os.path.join(www, "w", "e.txt"))
    _file(os.path.join(www, "t", "f.txt"))
    os.chmod(os.path.join(www, "w"), 0o777)
    os.chmod(os.path.join(www, "t"), 0o1777)        # sticky: nobody owns neither it nor f.txt
    model = _model(site, "  location / { dav_methods PUT DELETE MKCOL; }\n"
                         "  location /full/ { dav_methods PUT; create_full_put_path on; alias " + www + "/w/; }")
    assert _ask(model, "/w/new.txt", "PUT").status == 201
    assert _ask(model, "/w/e.txt", "PUT").status == 204
    assert _ask(model, "/w/e.txt", "DELETE").status == 204
    assert _ask(model, "/w/newdir/", "MKCOL").status == 201
    assert _ask(model, "/w/a/b/c.txt", "PUT").status == 500            # create_full_put_path off
    assert _ask(model, "/full/a/b/c.txt", "PUT").status == 201
    refused = _ask(model, "/t/f.txt", "DELETE")
    assert refused.status == 403 and "sticky" in refused.reason
    assert _ask(model, "/t/g.txt", "PUT").status == 201                 # a new name in a 1777 directory
    unknown = _ask(model, "/w/", "DELETE")                               # a directory's tree
    assert unknown.status is None and unknown.not_modelled is not None and unknown.not_modelled.name == "dav_methods"


def test_random_index_is_unknown_when_its_picks_are_answered_differently(site):
    www = os.path.join(site, "www")
    _file(os.path.join(www, "same", "a.html"))
    _file(os.path.join(www, "same", "b.html"))
    _file(os.path.join(www, "mixed", "a.html"))
    _file(os.path.join(www, "mixed", "s.html"), 0o600)                 # nobody cannot read it: 403
    model = _model(site, "  location / { random_index on; }")
    assert _ask(model, "/same/").status == 200
    mixed = _ask(model, "/mixed/")
    assert mixed.status is None and mixed.not_modelled.name == "random_index"
    assert "a.html 200" in mixed.reason and "s.html 403" in mixed.reason


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.md5(text.encode()).digest()).decode().rstrip("=")


def test_secure_link_expiry_near_now_is_unknown_far_is_judged(site):
    _file(os.path.join(site, "www", "s", "a.html"))
    model = _model(site, '  location /s/ { secure_link $arg_md5,$arg_e; secure_link_md5 "$secure_link_expires$uri k";\n'
                         '    if ($secure_link = "") { return 403; }\n    if ($secure_link = "0") { return 410; } }')
    soon = int(time.time()) + 60
    near = _ask(model, f"/s/a.html?md5={_b64(f'{soon}/s/a.html k')}&e={soon}")
    assert near.status is None and near.not_modelled_variable == "$secure_link"
    later = int(time.time()) + 10 * 86400
    assert _ask(model, f"/s/a.html?md5={_b64(f'{later}/s/a.html k')}&e={later}").status == 200
    past = int(time.time()) - 10 * 86400
    assert _ask(model, f"/s/a.html?md5={_b64(f'{past}/s/a.html k')}&e={past}").status == 410
    assert _ask(model, f"/s/a.html?md5={_b64(f'{later}/s/a.html x')}&e={later}").status == 403


@pytest.mark.parametrize("value, accepted", [
    ("gzip", True), ("gzip, deflate", True), ("deflate, gzip", True), ("deflate,gzip", True),
    ("GZIP", True), ("xgzip", False), ("gzipx", False), ("gzip;q=0", False), ("gzip;q=0.000", False),
    ("gzip;q=0.5", True), ("gzip; q=1", True), ("gzip;q=1.0", True), ("gzip;q=1.5", False),
    ("gzip;x=1", False), ("br, xgzip, gzip", True), ("gzip;q=0.0001", False)])
def test_accept_encoding_as_ngx_http_gzip_accept_encoding_reads_it(value, accepted):
    assert accept_gzip(value) is accepted

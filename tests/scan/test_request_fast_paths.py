"""The request model's fast paths give what the general code gives.

- Request.aimed (the rules' probe constructor) builds what Request.parse builds
  from the same URL and Host: rules and `why` must see one request;
- normalize_uri's shortcut for plain URIs agrees with the full normalisation;
- _host_name's shortcut for plain host names agrees with its character loop;
- select_aimed (which server a probe reaches, without making the probe) answers
  what select_server answers for Request.aimed's request.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

import re

from confcheck.servers.nginx import request as request_module
from confcheck.servers.nginx.request import BadUri, Request, RequestError, _normalize, normalize_uri

ADDRESSES = st.sampled_from(["127.0.0.1", "10.1.2.3", "[::1]", "[2001:db8::1]", "localhost"])
HOSTS = st.sampled_from(["site.example.com", "Site.Example.COM.", "a:8080", "[::1]:81", "_", "x.test"])
PATH_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="#\r\n\t")
PATHS = st.builds(lambda a, q: "/" + a + q, st.text(PATH_CHARS, max_size=20),
                  st.sampled_from(["", "?", "?a=b", "?a=b&c=%20"]))
METHODS = st.sampled_from(["GET", "post", "PUT", "OPTIONS", "PROPFIND", "BAD METHOD", "x"])
HEADERS = st.sampled_from([None, {}, {"Referer": " http://a/ "}, {"Host": "other.test"},
                           {"X-Forwarded-For": "1.2.3.4", "AUTHORIZATION": "Basic eDp5"}])
IPS = st.sampled_from(["127.0.0.1", "203.0.113.7", "::1", "10.0.0.0", "not-an-ip"])


def _outcome(fn):
    try:
        return fn()
    except RequestError:
        return RequestError


@settings(max_examples=400, deadline=None)
@given(ADDRESSES, st.sampled_from([80, 8080, 443]), HOSTS, PATHS, METHODS, HEADERS, IPS)
def test_aimed_equals_parse(address, port, host, path, method, headers, ip):
    parsed = _outcome(lambda: Request.parse(f"http://{address}:{port}{path}", method,
                                            {"Host": host, **(headers or {})}, ip))
    aimed = _outcome(lambda: Request.aimed(address, port, host, path, method, headers, ip))
    assert aimed == parsed


URI_PIECES = st.sampled_from(["/", "//", ".", "..", "/./", "/../", "a", "b.php", "%2e", "%2F", "%", "%zz",
                              "%00", "\x00", "é", "\udcff", "?", " "])


def _normalised(fn, raw):
    try:
        return fn(raw)
    except BadUri:
        return BadUri


@settings(max_examples=1000, deadline=None)
@given(st.lists(URI_PIECES, max_size=8).map(lambda xs: "/" + "".join(xs)))
def test_plain_uri_shortcut_agrees(raw):
    assert _normalised(normalize_uri, raw) == _normalised(_normalize, raw)


@settings(max_examples=3000, deadline=None)
@given(st.text(st.sampled_from("aZ09-_.:[]/ \t\x7f\xe9"), max_size=10))
def test_plain_host_shortcut_agrees(host):
    general = request_module._host_name.__wrapped__
    shortcut = request_module._PLAIN_HOST
    got = general(host)
    request_module._PLAIN_HOST = re.compile(r"(?!)")      # the loop for every host
    try:
        assert got == general(host)
    finally:
        request_module._PLAIN_HOST = shortcut


SERVERS = """events {}
http {
    server { listen 80; server_name a.test *.wild.test; }
    server { listen 80 default_server; server_name www.b.test ~^(?<sub>x+)\\.re\\.test$; }
    server { listen 127.0.0.1:8080; server_name c.test c.test.; }
    server { listen [::1]:8080; server_name d.test; }
    server { listen 8080; server_name e.*; }
}
"""


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["127.0.0.1", "10.1.2.3", "[::1]", "localhost", "LocalHost"]), st.sampled_from([80, 8080, 81]),
       st.sampled_from(["a.test", "A.Test.", "x.wild.test", "xx.re.test", "c.test", "d.test", "e.org", " e.org ",
                        "b..test", "a/b", "", "[::1]:8080", "www.b.test:80"]))
def test_select_aimed_equals_select_server(address, port, host):
    from confcheck.servers.nginx.conf import build_http
    from confcheck.servers.nginx.select import select_aimed, select_server
    http = build_http(_tree().nodes)

    def answer(select):
        try:
            found = select()
        except RequestError as exc:
            return str(exc)
        return found.server.node.line, found.reason, found.node.line if found.node else None, found.captures
    assert answer(lambda: select_aimed(http, address, port, host)) == \
        answer(lambda: select_server(http, Request.aimed(address, port, host, "/")))


_TREES: list = []


def _tree():
    if not _TREES:
        import os
        import shutil
        import tempfile

        from confcheck.source import Diagnostics
        from confcheck.parsers.nginx_loader import load_nginx
        folder = tempfile.mkdtemp(prefix="confcheck-select-", dir="/var/tmp")
        try:
            path = os.path.join(folder, "nginx.conf")
            with open(path, "w") as fh:
                fh.write(SERVERS)
            _TREES.append(load_nginx(path, Diagnostics()))
        finally:
            shutil.rmtree(folder)
    return _TREES[0]

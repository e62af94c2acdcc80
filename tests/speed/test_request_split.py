"""Request.parse takes a plain URL apart with one regex match (batches are mostly plain
URLs); whatever the URL, the parts are urlsplit's (confcheck/servers/nginx/request.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from confcheck.servers.nginx.request import Request, RequestError, _split, _split_any

CASES = ["http://site1.example.com/", "https://Site1.Example.COM:8443/a/b?x=1&y=%41", "http://h", "http://h?x",
         "http://h:/", "http://h:0/", "http://h:65535/", "http://h:65536/", "http://h:0080/x", "HTTP://h/",
         "http://h/a#frag", "http://u:p@h/", "http://[::1]:8080/", "http://h/ a", "http://h/\t", " http://h/",
         "http://h/\u00e9?\u00e9", "http://h/\x7f", "http://h/\u0085", "http://h./", "http://-/", "http://h/?",
         "http://h//x//", "http://h/?a?b", "http://h:８０/", "http://é.com/", "ftp://h/", "http:/h", "http://",
         "http://h/\u3000x"]

URL = st.builds(lambda scheme, host, port, path, query: f"{scheme}://{host}{port}{path}{query}",
                st.sampled_from(["http", "https", "http", "https", "HTTP", "hTtp", "ftp"]),
                st.one_of(st.text("aZ09.-", min_size=1, max_size=8), st.text("aZ09.-_[]:@%é \t", max_size=8)),
                st.sampled_from(["", "", ":", ":0", ":80", ":080", ":65535", ":65536", ":99999", ":x", ":８"]),
                st.one_of(st.text("/aZ.%é?", max_size=10), st.text("/aZ.%?#é \t\r\n\x00\x7f\u0085\u3000", max_size=10)),
                st.sampled_from(["", "?", "?q=1", "?a?b", "#f", "?x#y", "?\t"]))


def _parts(split, url):
    try:
        return split(url)
    except RequestError as exc:
        return str(exc)


@pytest.mark.parametrize("url", CASES)
def test_plain_urls_are_taken_apart_as_urlsplit_does(url):
    assert _parts(_split, url) == _parts(_split_any, url)


@settings(max_examples=2000, deadline=None)
@given(URL)
def test_any_url_is_taken_apart_as_urlsplit_does(url):
    assert _parts(_split, url) == _parts(_split_any, url)


PLAIN = st.builds(lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
                  st.sampled_from(["http", "https"]), st.text("aZz09.-", min_size=1, max_size=8),
                  st.one_of(st.just(""), st.integers(0, 99999).map(lambda n: f":{n}"),
                            st.integers(0, 999).map(lambda n: f":0{n}")),
                  st.text("/aZ.%é?=&:;@!$'()*+,~", max_size=12))


@settings(max_examples=1000, deadline=None)
@given(PLAIN)
def test_plain_urls_of_every_kind_are_taken_apart_as_urlsplit_does(url):
    assert _parts(_split, url) == _parts(_split_any, url)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=12), st.text(max_size=20), st.text(max_size=12))
def test_a_request_s_json_text_is_json_dumps_of_its_json(method, url, client_ip):
    request = Request(url=url, method=method, client_ip=client_ip)
    assert request.json_text() == json.dumps(request.to_json(), ensure_ascii=True)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=10), st.text(max_size=30), st.text(max_size=20), st.integers(0, 30), st.booleans())
def test_a_trace_step_s_json_text_is_json_dumps_of_its_json(step, detail, name, blank_lines, with_node):
    from confcheck.parsers.nginx_parser import parse_nginx
    from confcheck.servers.outcome import Step
    from confcheck.source import Diagnostics, SourceFile
    path = f"/etc/nginx/{name}.conf"
    [node] = parse_nginx(SourceFile(path, b"\n" * blank_lines + b"server_tokens off;\n"), Diagnostics()).nodes
    made = Step(step, detail, node if with_node else None)
    lazy = Step(step, lambda: detail, node if with_node else None)
    for one in (made, lazy):
        assert one.json_text() == json.dumps(one.to_json(), ensure_ascii=True)


def test_parse_gives_each_field_its_own_value():
    """Request.parse passes the fields by position (faster than by name): each lands in its own."""
    req = Request.parse("https://u:p@Site.Example:8443/p/a?q=1", "POST", {"X-A": " b "}, "10.0.0.9", stated=True)
    assert (req.url, req.method, req.client_ip, req.scheme, req.host, req.port, req.address, req.raw_path,
            req.args, req.address_from_log, req.bad_host, req.stated) == (
        "https://u:p@Site.Example:8443/p/a?q=1", "POST", "10.0.0.9", "https", "site.example", 8443, "site.example",
        "/p/a", "q=1", False, False, True)
    assert req.headers == {"x-a": "b", "authorization": "Basic dTpw", "host": "Site.Example:8443"}
    bad = Request.parse("http://h/", headers={"Host": "a..b"})
    assert (bad.bad_host, bad.stated, bad.host, bad.address) == (True, False, "a..b", "h")

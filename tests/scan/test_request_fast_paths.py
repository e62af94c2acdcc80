"""The request model's fast paths give what the general code gives.

- Request.aimed (the rules' probe constructor) builds what Request.parse builds
  from the same URL and Host: rules and `why` must see one request;
- normalize_uri's shortcut for plain URIs agrees with the full normalisation.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

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

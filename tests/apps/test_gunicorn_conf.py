"""gunicorn as a unit's command line and its config file start it (gunicorn 27.0 semantics)."""

from __future__ import annotations

from confcheck.apps.gunicorn import from_command, split_exec


def test_command_line_overrides_the_config_file(tmp_path):
    (tmp_path / "gunicorn.conf.py").write_text(
        'bind = ["unix:/run/shop.sock"]\nforwarded_allow_ips = "10.0.0.1"\n'
        'secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}\n')
    g = from_command(split_exec(f"/usr/bin/gunicorn --chdir {tmp_path} -b 127.0.0.1:9000 -w 3 shop.wsgi"),
                     "shop.service:7:1", None)
    assert g.binds == ["127.0.0.1:9000"] and g.where["bind"] == "shop.service:7:1"
    assert g.forwarded_allow_ips == ["10.0.0.1"]
    assert g.app == "shop.wsgi"
    assert g.bound_to("127.0.0.1", 9000, None) and not g.bound_to("127.0.0.1", 8000, None)


def test_who_may_say_the_request_was_secure():
    g = from_command(["gunicorn", "app:app"], "unit", None, read_file=False)
    assert g.binds == ["127.0.0.1:8000"] and g.forwarded_allow_ips == ["127.0.0.1", "::1"]
    xfp = {"x-forwarded-proto": "https"}
    assert g.scheme(xfp, "127.0.0.1")[0] == "https"
    assert g.scheme(xfp, "10.0.0.9")[0] == "http"          # not in forwarded_allow_ips: ignored
    assert g.scheme(xfp, None)[0] == "https"               # a unix socket peer is always trusted
    assert g.scheme({"x-forwarded-proto": "http"}, "127.0.0.1")[0] == "http"
    assert g.scheme({}, "127.0.0.1")[0] == "http"
    assert from_command(["uwsgi", "--http", ":8000"], "unit", None) is None


SCHEME_CASES = [  # (headers as a proxy passes them, peer)
    ([("X-Forwarded-Proto", "https")], ("127.0.0.1", 40000)),
    ([("X-Forwarded-Proto", "http")], ("127.0.0.1", 40000)),
    ([("X-Forwarded-Proto", "https, http")], ("127.0.0.1", 40000)),     # a chain of proxies
    ([("X-Forwarded-Proto", "HTTPS")], ("127.0.0.1", 40000)),
    ([("X-Forwarded-Proto", "https")], ("10.0.0.9", 40000)),
    ([("X-Forwarded-Proto", "https")], ("::1", 40000, 0, 0)),
    ([("X-Forwarded-Proto", "https")], "/run/gunicorn.sock"),            # a unix socket peer
    ([("X-Forwarded-Ssl", "on")], ("127.0.0.1", 40000)),
    ([("X-Forwarded-Protocol", "ssl")], ("127.0.0.1", 40000)),
    ([("X-Forwarded-Proto", "https"), ("X-Forwarded-Ssl", "on")], ("127.0.0.1", 40000)),
    ([("X-Forwarded-Proto", "https"), ("X-Forwarded-Ssl", "off")], ("127.0.0.1", 40000)),
    ([("X-Forwarded-Ssl", "off"), ("X-Forwarded-Proto", "https")], ("127.0.0.1", 40000)),
    ([("X-Forwarded-Proto", "https"), ("X-Forwarded-Ssl", "off")], ("10.0.0.9", 40000)),
    ([], ("127.0.0.1", 40000)),
]


def test_scheme_as_gunicorn_itself_parses_the_request():
    """The model's wsgi.url_scheme against gunicorn's own request parser (its header policy:
    forwarded_allow_ips, secure_scheme_headers, contradictory headers refused) on the headers
    proxies send; a refusal must leave the model without a scheme (null), never a guess."""
    pytest = __import__("pytest")
    gunicorn_config = pytest.importorskip("gunicorn.config")
    from gunicorn.http.message import Request as GRequest
    from gunicorn.http.unreader import IterUnreader
    model = from_command(["gunicorn", "app:app"], "unit", None, read_file=False)
    for headers, peer in SCHEME_CASES:
        raw = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers) + b"\r\n"
        try:
            real = GRequest(gunicorn_config.Config(), IterUnreader([raw]), peer, 1).scheme
        except Exception as exc:  # noqa: BLE001 - gunicorn refuses the request (answered 400)
            real = type(exc).__name__
        got, why = model.scheme({k.lower(): v for k, v in headers}, peer[0] if isinstance(peer, tuple) else None)
        if real in ("http", "https"):
            assert got == real, (headers, peer, real, why)
        else:
            assert got is None and "400" in why, (headers, peer, real, why)

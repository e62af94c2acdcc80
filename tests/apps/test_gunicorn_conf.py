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

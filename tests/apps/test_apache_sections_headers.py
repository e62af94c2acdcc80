"""Apache's RequestHeader inside sections, as the app behind ProxyPass receives it: a
<Location> that matches applies (the real chain: tests/realserver/test_django_uwsgi_real.py),
one that does not is skipped, any other section makes its header unknown."""

from __future__ import annotations

from confcheck.servers.nginx.request import Request
from confcheck.why import WhyOptions, explain, prepare

MODULES = "/usr/lib/apache2/modules"
SETTINGS = ('ALLOWED_HOSTS = ["shop.example.com"]\nMIDDLEWARE = [\n'
            '    "django.middleware.common.CommonMiddleware",\n    "django.middleware.csrf.CsrfViewMiddleware",\n]\n')


def _answer(tmp_path, sections: str, path: str = "/form/"):
    (tmp_path / "shop/shop").mkdir(parents=True)
    (tmp_path / "shop/shop/__init__.py").write_text("")
    (tmp_path / "shop/shop/settings.py").write_text(SETTINGS)
    (tmp_path / "shop/gunicorn.conf.py").write_text('bind = "127.0.0.1:8000"\n')
    conf = tmp_path / "httpd.conf"
    conf.write_text("\n".join([
        *[f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in ("proxy", "proxy_http", "headers", "authz_core")],
        "Listen 80", "<VirtualHost *:80>", "    ServerName shop.example.com", "    ProxyPreserveHost On",
        sections, "    ProxyPass / http://127.0.0.1:8000/", "</VirtualHost>", ""]))
    prepared = prepare(WhyOptions(paths=[str(conf)], no_fs=True,
                                  app_settings=[str(tmp_path / "shop/shop/settings.py")]))
    request = Request.parse(f"http://shop.example.com{path}", "POST",
                            {"Origin": "http://shop.example.com", "Cookie": "csrftoken=" + "a" * 32,
                             "X-CSRFToken": "a" * 32})
    return explain(prepared, request).app


def test_a_location_that_matches_applies_and_one_that_does_not_is_skipped(tmp_path):
    app = _answer(tmp_path, '    <Location "/form/">\n        RequestHeader set X-Forwarded-Proto "https"\n'
                            '    </Location>\n    <Location "/admin/">\n        RequestHeader set X-Extra "1"\n'
                            '    </Location>')
    assert app.backend.headers["x-forwarded-proto"] == "https" and "x-extra" not in app.backend.headers
    assert app.url_scheme == "https"          # gunicorn trusts 127.0.0.1


def test_a_requestheader_in_another_section_makes_the_header_unknown(tmp_path):
    app = _answer(tmp_path, '    <Directory "/srv">\n        RequestHeader set X-Forwarded-Proto "https"\n'
                            '    </Directory>')
    assert "x-forwarded-proto" in app.backend.unknown and "<Directory" in app.backend.unknown["x-forwarded-proto"]
    assert app.url_scheme is None and app.status is None
    assert "not known" in app.reason

"""uWSGI's ini file and its wsgi.url_scheme (uWSGI 2.0.30: core/ini.c, core/protocol.c,
plugins/python/wsgi_subhandler.c); the real chain is tests/realserver/test_django_uwsgi_real.py."""

from __future__ import annotations

import os

from confcheck.apps.uwsgi import app_root, read_ini, url_scheme, wsgi_path


def test_ini_sockets_app_and_env(tmp_path):
    ini = tmp_path / "shop.ini"
    ini.write_text("[other]\nsocket = /nope\n[uwsgi]\n; a comment\nsocket = :3031\nuwsgi-socket = /run/%n.sock\n"
                   "http-socket = 127.0.0.1:8001\nchdir = %dsrc\nmodule = shop.wsgi:application\n"
                   "env = DJANGO_SETTINGS_MODULE=shop.settings.prod\nbase = /srv\nhome = %(base)/venv\n"
                   "pythonpath = $(HOME)/lib\n")
    u = read_ini(str(ini))
    assert u.sockets == ["0.0.0.0:3031", "unix:/run/shop.sock"] and u.http_sockets == ["127.0.0.1:8001"]
    assert u.chdir == f"{tmp_path}/src" and app_root(u) == f"{tmp_path}/src"
    assert wsgi_path(u) == os.path.join(f"{tmp_path}/src", "shop", "wsgi.py")
    assert u.environ["DJANGO_SETTINGS_MODULE"][0] == "shop.settings.prod"
    assert "pyuwsgi" in u.environ["DJANGO_SETTINGS_MODULE"][1]      # outside Debian's layout: stated
    assert "pythonpath" in u.unknown                                 # $(HOME) is not followed
    assert u.bound_to("uwsgi", "127.0.0.1", 3031, None) and u.bound_to("uwsgi", None, None, "/run/shop.sock")
    assert u.bound_to("http", "127.0.0.1", 8001, None) and not u.bound_to("http", "127.0.0.1", 3031, None)
    assert read_ini(str(tmp_path / "missing.ini")) is None
    (tmp_path / "other.ini").write_text("[app:main]\nuse = egg:shop\n")
    assert read_ini(str(tmp_path / "other.ini")) is None


def test_debian_apps_enabled_default_socket(tmp_path):
    folder = tmp_path / "etc/uwsgi/apps-enabled"
    folder.mkdir(parents=True)
    (folder / "shop.ini").write_text("[uwsgi]\nplugins = python3\nchdir = /srv/shop\nmodule = shop.wsgi\n"
                                     "env = DJANGO_SETTINGS_MODULE=shop.settings\n")
    u = read_ini(str(folder / "shop.ini"))
    assert u.sockets == ["unix:/run/uwsgi/app/shop/socket"]
    assert "pyuwsgi" not in u.environ["DJANGO_SETTINGS_MODULE"][1]


def test_url_scheme_follows_the_variables_in_packet_order():
    assert url_scheme([])[0] == "http"
    assert url_scheme([("HTTPS", "on")])[0] == "https"
    assert url_scheme([("HTTPS", "ON")])[0] == "https" and url_scheme([("HTTPS", "1")])[0] == "https"
    assert url_scheme([("HTTPS", "off")])[0] == "http"
    assert url_scheme([("HTTP_X_FORWARDED_SSL", "on")])[0] == "https"
    # the scheme slot wins over HTTPS, as written (Django compares with "https")
    assert url_scheme([("HTTPS", "on"), ("HTTP_X_FORWARDED_PROTO", "http")])[0] == "http"
    assert url_scheme([("HTTP_X_FORWARDED_PROTO", "HTTPS")])[0] == "HTTPS"
    # a later empty X-Forwarded-Proto empties the slot: HTTPS decides again
    assert url_scheme([("UWSGI_SCHEME", "http"), ("HTTPS", "on"), ("HTTP_X_FORWARDED_PROTO", "")])[0] == "https"

"""Django settings read statically with libcst: what is followed, what is stated as an
assumption, and what stays unknown (with file:line:column), never guessed."""

from __future__ import annotations

import textwrap

from confcheck.apps.django.settings import read_settings


def _write(tmp_path, rel, text):
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_split_settings_env_defaults_and_mutations(tmp_path):
    _write(tmp_path, "proj/settings/__init__.py", "")
    _write(tmp_path, "proj/settings/base.py", """\
        import os
        DOMAIN = "shop.example.com"
        ALLOWED_HOSTS = [h.strip() for h in os.environ.get("HOSTS", "a.test, b.test").split(",")]
        CSRF_TRUSTED_ORIGINS = [f"https://{DOMAIN}"] + ["https://" + "www." + DOMAIN]
        MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
        """)
    prod = _write(tmp_path, "proj/settings/prod.py", """\
        from .base import *
        MIDDLEWARE += ["django.middleware.csrf.CsrfViewMiddleware"]
        CSRF_TRUSTED_ORIGINS.append("https://admin.example.com")
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        """)
    s = read_settings(str(prod), package_root=str(tmp_path))
    assert s.get("ALLOWED_HOSTS").value == ["a.test", "b.test"]
    assert any("HOSTS is not set" in a for a in s.get("ALLOWED_HOSTS").assumptions)
    assert s.get("CSRF_TRUSTED_ORIGINS").value == ["https://shop.example.com", "https://www.shop.example.com",
                                                   "https://admin.example.com"]
    assert s.get("MIDDLEWARE").value[-1] == "django.middleware.csrf.CsrfViewMiddleware"
    assert s.get("SECURE_PROXY_SSL_HEADER").value == ("HTTP_X_FORWARDED_PROTO", "https")
    assert s.get("CSRF_COOKIE_SECURE").value is False and s.is_default("CSRF_COOKIE_SECURE")
    assert len(s.files) == 2
    # each list entry keeps its own position (findings point at it)
    item = s.get("ALLOWED_HOSTS")
    assert item.where().startswith(str(tmp_path / "proj/settings/base.py") + ":3:")


def test_environment_from_the_unit_wins_over_the_default(tmp_path):
    path = _write(tmp_path, "settings.py", 'import os\nALLOWED_HOSTS = os.getenv("H", "x.test").split(",")\n')
    s = read_settings(str(path), environ={"H": ("a.test,b.test", "shop.service:5:1")})
    value = s.get("ALLOWED_HOSTS")
    assert value.value == ["a.test", "b.test"]
    assert value.assumptions == ("H='a.test,b.test' as shop.service:5:1 sets it",)


def test_what_is_not_followed_is_unknown_with_its_place(tmp_path):
    path = _write(tmp_path, "settings.py", """\
        import os
        from somewhere import helper
        if os.environ.get("PROD"):
            CSRF_COOKIE_SECURE = True
        ALLOWED_HOSTS = helper()
        SECRET_KEY = os.environ["SECRET_KEY"]
        """)
    s = read_settings(str(path))
    cookie = s.get("CSRF_COOKIE_SECURE")
    assert not cookie.known and "inside an `if`" in cookie.why and ":3:1" in cookie.why
    hosts = s.get("ALLOWED_HOSTS")
    assert not hosts.known and "helper()" in hosts.why and ":5:17" in hosts.why
    secret = s.get("SECRET_KEY")
    assert not secret.known and "SECRET_KEY" in secret.why


def test_an_unreadable_star_import_makes_every_later_unassigned_setting_unknown(tmp_path):
    path = _write(tmp_path, "settings.py", "from elsewhere.settings import *\nDEBUG = False\n")
    s = read_settings(str(path), package_root=str(tmp_path))
    assert s.get("DEBUG").value is False
    assert not s.get("ALLOWED_HOSTS").known and "cannot be read" in s.get("ALLOWED_HOSTS").why


def test_not_python_is_an_error_with_its_position(tmp_path):
    path = _write(tmp_path, "settings.py", "ALLOWED_HOSTS = [\n")
    s = read_settings(str(path))
    assert s.module.errors and s.module.errors[0].startswith(str(path) + ":")
    assert not s.get("ALLOWED_HOSTS").known

"""The Django settings that decide host and CSRF checks, read statically.

Defaults are Django 5.2's (django/conf/global_settings.py): a setting the
settings module never assigns has that value. A setting assigned in a way not
followed offline is unknown, with the reason and where.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from confcheck.parsers.pysettings_value import Value

# django/conf/global_settings.py (Django 5.2)
DEFAULTS: dict[str, object] = {
    "DEBUG": False,
    "ALLOWED_HOSTS": [],
    "CSRF_TRUSTED_ORIGINS": [],
    "SECURE_PROXY_SSL_HEADER": None,
    "USE_X_FORWARDED_HOST": False,
    "USE_X_FORWARDED_PORT": False,
    "CSRF_COOKIE_SECURE": False,
    "SESSION_COOKIE_SECURE": False,
    "CSRF_USE_SESSIONS": False,
    "CSRF_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_DOMAIN": None,
    "CSRF_COOKIE_NAME": "csrftoken",
    "CSRF_HEADER_NAME": "HTTP_X_CSRFTOKEN",
    "SECURE_SSL_REDIRECT": False,
    "SECURE_SSL_HOST": None,
    "SECURE_REDIRECT_EXEMPT": [],
    "MIDDLEWARE": [],
}

CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
COMMON_MIDDLEWARE = "django.middleware.common.CommonMiddleware"
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
# Middleware whose request hooks never answer a request the model follows here
# (Django 5.2 sources): they pass every request on to the next one.
PASSING_MIDDLEWARE = frozenset({
    SESSION_MIDDLEWARE,
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
})


@dataclass
class DjangoSettings:
    """One Django project's settings as read (the module and what it star-imports)."""

    path: str                           # the settings file named or found
    module: object                      # confcheck.parsers.pysettings.Module
    how_found: str = ""                 # "manage.py", "--app-settings", a unit's DJANGO_SETTINGS_MODULE ...
    environ_origin: str = ""            # where the environment values came from, if any
    server_names: list[str] = field(default_factory=list)   # --app-settings HOST=FILE: linked by name

    def get(self, name: str) -> Value:
        value = self.module.get(name)
        if value is None:
            return Value(DEFAULTS.get(name), None, assumptions=())
        return value

    def is_default(self, name: str) -> bool:
        return self.module.get(name) is None

    @property
    def files(self) -> list[str]:
        return self.module.files


def read_settings(path: str, *, environ: dict[str, tuple[str, str]] | None = None, package_root: str | None = None,
                  how_found: str = "") -> DjangoSettings:
    from confcheck.parsers.pysettings import Reader
    module = Reader(environ, package_root).read(path)
    return DjangoSettings(path, module, how_found)

"""Config readers. The nginx and Apache entry points are imported lazily (pre-commit runs
confcheck often, so importing this package must stay cheap)."""

from __future__ import annotations

_LAZY = {
    "parse_nginx": "confcheck.parsers.nginx_parser",
    "load_nginx": "confcheck.parsers.nginx_loader",
    "load_nginx_dump": "confcheck.parsers.nginx_loader",
    "NginxConfig": "confcheck.parsers.nginx_loader",
    "validate_nginx": "confcheck.parsers.nginx_directives",
    "parse_apache": "confcheck.parsers.apache_parser",
    "unclosed_sections": "confcheck.parsers.apache_parser",
    "load_apache": "confcheck.parsers.apache_loader",
    "load_htaccess": "confcheck.parsers.apache_loader",
    "ApacheConfig": "confcheck.parsers.apache_loader",
    "loaded_modules": "confcheck.parsers.apache_loader",
    "ifmodule_active": "confcheck.parsers.apache_loader",
    "ifdefine_active": "confcheck.parsers.apache_loader",
    "override_class": "confcheck.parsers.apache_directives",
    "allowed_in_htaccess": "confcheck.parsers.apache_directives",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    return getattr(importlib.import_module(module), name)

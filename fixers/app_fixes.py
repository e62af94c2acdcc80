"""Fixes for the chain proxy -> app server -> Django: a proxy header added to the
nginx/Apache config (a byte-span insertion, fixers/edits.py) and the Django
settings edits (fixers/django_settings.py), in one reviewable patch."""

from __future__ import annotations

from .config import SAFE, checked_fix
from .diff import patch_base
from .django_settings import parses
from .edits import Edit, insert_after, insert_before


def nginx_proxy_header(link, name: str, value: str) -> Edit:
    """`proxy_set_header NAME VALUE;` where it reaches the proxy_pass: beside the
    proxy_set_header lines in force (nginx inherits them only as a whole, so a
    new one at another level would cut the others off), else before proxy_pass."""
    scope = link.backend(link.request()).scope
    group = scope.group("proxy_set_header") if scope is not None else []
    for node in group:
        if node.args and node.args[0].value.lower() == name.lower():
            return None     # already set there (to something else): not ours to replace silently
    line = f"proxy_set_header {name} {value};"
    return insert_after(group[-1], line) if group else insert_before(link.handler, line)


def apache_before_proxypass(link, line: str) -> Edit:
    return insert_before(link.handler, line)


def chain_fix(ctx, link, edits: list, title: str, applicability: str = SAFE):
    """One ConfigFix over the server config and the settings files (None when the
    edits conflict, leave the base, or a settings file would no longer parse)."""
    edits = [e for e in edits if e is not None]
    if not edits or not parses([e for e in edits if e.source.path.endswith(".py")]):
        return None
    paths = [sf.realpath for sf in link.target.config.files.values()] if link is not None else []
    paths += [e.source.realpath for e in edits]
    return checked_fix(edits, patch_base(paths, getattr(ctx.options, "root", None)), title, applicability)

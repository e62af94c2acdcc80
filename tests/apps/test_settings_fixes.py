"""libcst-located byte edits of a settings file: only the edited statement changes."""

from __future__ import annotations

import difflib

from confcheck.apps.django.settings import read_settings
from confcheck.fixers.django_settings import add_scheme, add_statement, add_to_list, parses
from confcheck.fixers.edits import plan_files

ORIGINAL = '''\
# -*- coding: utf-8 -*-
"""Shop settings."""
import os  # needed below

ALLOWED_HOSTS = ['shop.example.com']   # public name

CSRF_TRUSTED_ORIGINS = [
    'shop.example.com',  # no scheme: Django 3.2 style
    'https://www.example.com',
]
DEBUG = os.environ.get("DEBUG", "") == "1"    # not followed: unknown
'''


def _apply(path, edits):
    [plan] = plan_files(edits)
    return plan.new_data().decode()


def test_patched_settings_differ_only_in_the_edited_statements(tmp_path):
    path = tmp_path / "settings.py"
    path.write_text(ORIGINAL)
    s = read_settings(str(path))
    origins = s.get("CSRF_TRUSTED_ORIGINS")
    edits = [add_scheme(origins.items[0], "https"), add_to_list(s.module, origins, "https://shop.example.com:8443"),
             add_statement(s.module, 'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")')]
    assert parses(edits)
    new = _apply(path, edits)
    changed = [line for line in difflib.ndiff(ORIGINAL.splitlines(), new.splitlines()) if line[:1] in "+-"]
    assert changed == [
        "-     'shop.example.com',  # no scheme: Django 3.2 style",
        "+     'https://shop.example.com',  # no scheme: Django 3.2 style",
        "+     'https://shop.example.com:8443',",
        '+ SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")',
    ]
    # read again: the values are what the edits meant
    path.write_text(new)
    again = read_settings(str(path))
    assert again.get("CSRF_TRUSTED_ORIGINS").value == [
        "https://shop.example.com", "https://www.example.com", "https://shop.example.com:8443"]
    assert again.get("SECURE_PROXY_SSL_HEADER").value == ("HTTP_X_FORWARDED_PROTO", "https")


def test_a_one_line_list_grows_on_its_line(tmp_path):
    path = tmp_path / "settings.py"
    path.write_text('CSRF_TRUSTED_ORIGINS = ["https://a.test"]  # keep\n')
    s = read_settings(str(path))
    new = _apply(path, [add_to_list(s.module, s.get("CSRF_TRUSTED_ORIGINS"), "https://b.test")])
    assert new == 'CSRF_TRUSTED_ORIGINS = ["https://a.test", "https://b.test"]  # keep\n'


def test_the_scheme_goes_inside_the_literal_or_nowhere(tmp_path):
    path = tmp_path / "settings.py"
    path.write_text('HOST = "a.test"\nCSRF_TRUSTED_ORIGINS = [f"{HOST}", HOST]\n')
    s = read_settings(str(path))
    fstring, name = s.get("CSRF_TRUSTED_ORIGINS").items
    assert _apply(path, [add_scheme(fstring, "https")]).endswith('[f"https://{HOST}", HOST]\n')
    assert add_scheme(name, "https") is None     # a name: the value is written elsewhere

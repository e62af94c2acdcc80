"""The validator decides a directive once per distinct (context, name, values):
every copy must still be judged where it stands and reported at its own place."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from confcheck.source import Diagnostics
from confcheck.parsers.nginx_directives import validate
from confcheck.parsers.nginx_loader import load_nginx
from cc_helpers import write_nginx_tree

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _diags(main: str) -> list[tuple[str, int, int, str]]:
    diags = Diagnostics()
    validate(load_nginx(main, diags), diags)
    return [(os.path.basename(d.span.file), d.span.line, d.span.column, d.message) for d in diags.items]


def _nginx_error(main: str) -> tuple[str, str, int]:
    """nginx -t's first complaint: (message, file name, line)."""
    out = subprocess.run([NGINX, "-t", "-c", main, "-p", os.path.dirname(main), "-e", "/dev/null"],
                         capture_output=True, text=True, timeout=30)
    line = [l for l in out.stderr.splitlines() if "[emerg]" in l][0]
    message, _, where = line.split("[emerg] ", 1)[1].rpartition(" in ")
    path, _, number = where.rpartition(":")
    return message, os.path.basename(path), int(number)


SITES = {
    "nginx.conf": "events {}\nhttp {\n    include sites/*.conf;\n}\n",
    # the same directive twice: fine in the server, not allowed in the location
    "sites/a.conf": ("server {\n    listen 8080;\n    expires 30d;\n"
                     "    location / {\n        listen 8080;\n    }\n}\n"),
    # the same bad value in two files, at other lines and columns
    "sites/b.conf": "server {\n    listen 8081;\n  expires 30x;\n}\n",
    "sites/c.conf": "\n\nserver {\n    listen 8082;\n    location /c {\n            expires 30x;\n    }\n}\n",
}


def test_each_copy_is_reported_at_its_own_place(tmp_path):
    assert _diags(write_nginx_tree(tmp_path, SITES)) == [
        ("a.conf", 5, 9, '"listen" directive is not allowed here'),
        ("b.conf", 3, 11, '"expires" directive invalid value'),
        ("c.conf", 6, 21, '"expires" directive invalid value'),
    ]


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx not installed")
@pytest.mark.parametrize("only, message, line", [
    ("a.conf", '"listen" directive is not allowed here', 5),
    ("b.conf", '"expires" directive invalid value', 3),
    ("c.conf", '"expires" directive invalid value', 6),
])
def test_nginx_refuses_each_copy_there(tmp_path, only, message, line):
    files = {k: v for k, v in SITES.items() if k == "nginx.conf" or k.endswith(only)}
    assert _nginx_error(write_nginx_tree(tmp_path, files)) == (message, only, line)


def test_a_copy_after_its_log_format_is_fine(tmp_path):
    # the same access_log twice: before the format is defined nginx refuses it, after, not
    main = write_nginx_tree(tmp_path, {"nginx.conf": (
        "events {}\nhttp {\n    server {\n        listen 8080;\n        access_log /tmp/x.log custom;\n    }\n"
        "    log_format custom '$remote_addr';\n"
        "    server {\n        listen 8081;\n        access_log /tmp/x.log custom;\n    }\n}\n")})
    assert _diags(main) == [("nginx.conf", 5, 31, 'unknown log format "custom"')]


def test_a_bad_snippet_is_reported_per_include_site(tmp_path):
    # one file read twice: each instance is validated (same place, two include sites)
    main = write_nginx_tree(tmp_path, {
        "nginx.conf": ("events {}\nhttp {\n    server {\n        listen 8080;\n        include bad.conf;\n    }\n"
                       "    server {\n        listen 8081;\n        include bad.conf;\n    }\n}\n"),
        "bad.conf": "expires 1y2y;\nadd_header X-A $undefined_var;\n"})
    diags = Diagnostics()
    validate(load_nginx(main, diags), diags)
    found = [(os.path.basename(d.span.file), d.span.line, d.span.column, d.message) for d in diags.items]
    assert found == [("bad.conf", 1, 9, '"expires" directive invalid value'),
                     ("bad.conf", 1, 9, '"expires" directive invalid value'),
                     ("bad.conf", 2, 16, 'unknown "undefined_var" variable')]


# The same directive with the same values in every server: found fine once, then only looked
# for as a second use in its block (a generated config's servers repeat them by thousands).
REPEATS = {"nginx.conf": (
    "events {}\nhttp {\n"
    "    server {\n        listen 8080;\n        root /tmp/a;\n        expires 30d;\n    }\n"
    "    server {\n        listen 8081;\n        root /tmp/a;\n        expires 30d;\n    }\n"
    "    server {\n        listen 8082;\n        root /tmp/a;\n        expires 30d;\n"
    "        location /x/ {\n            root /tmp/a;\n            alias /tmp/a/;\n        }\n"
    "        expires 30d;\n    }\n}\n")}


def test_a_repeated_directive_is_still_a_second_use_where_it_is_one(tmp_path):
    assert _diags(write_nginx_tree(tmp_path, REPEATS)) == [
        ("nginx.conf", 19, 13, '"alias" directive is duplicate, "root" directive was specified earlier'),
        ("nginx.conf", 21, 9, '"expires" directive is duplicate'),
    ]


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx not installed")
def test_nginx_refuses_the_first_second_use(tmp_path):
    assert _nginx_error(write_nginx_tree(tmp_path, REPEATS)) == (
        '"alias" directive is duplicate, "root" directive was specified earlier', "nginx.conf", 19)


# Block bodies and included files of the same bytes are checked once when the first check
# found them fine and left nothing in the enclosing block: a copy that does leave something
# (a default server, a root) must still be judged against what its block holds.
SAME_TEXT = {
    "nginx.conf": ("events {}\nhttp {\n"
                   "    server {\n        listen 8080 default_server;\n        include common.conf;\n    }\n"
                   "    server {\n        listen 8080 default_server;\n        include common.conf;\n    }\n"
                   "    server {\n        listen 8081;\n        root /tmp/b;\n        include common.conf;\n"
                   "        location / {\n            include root.conf;\n            include root.conf;\n        }\n"
                   "    }\n}\n"),
    "common.conf": "location / {\n    expires 30d;\n}\n",
    "root.conf": "root /tmp/a;\n",
}


def test_a_copy_of_the_same_text_is_judged_in_its_block(tmp_path):
    assert _diags(write_nginx_tree(tmp_path, SAME_TEXT)) == [
        ("nginx.conf", 8, 16, "a duplicate default server for 0.0.0.0:8080"),
        ("nginx.conf", 15, 18, 'duplicate location "/"'),
        ("root.conf", 1, 1, '"root" directive is duplicate'),
    ]


_SECOND_SERVER = "    server {\n        listen 8080 default_server;\n        include common.conf;\n    }\n"
_TWICE = "            include root.conf;\n"


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx not installed")
@pytest.mark.parametrize("drop, message, where", [
    ((), "a duplicate default server for 0.0.0.0:8080", ("nginx.conf", 8)),
    ((_SECOND_SERVER,), '"root" directive is duplicate', ("root.conf", 1)),
    ((_SECOND_SERVER, _TWICE), 'duplicate location "/"', ("nginx.conf", 11)),
])
def test_nginx_judges_each_copy_in_its_block(tmp_path, drop, message, where):
    files = dict(SAME_TEXT)
    for text in drop:   # nginx stops at its first complaint: leave out what comes before
        files["nginx.conf"] = files["nginx.conf"].replace(text, "", 1)
    assert _nginx_error(write_nginx_tree(tmp_path, files)) == (message, *where)


# A listen or a location found fine once is then only looked for in its block's record.
LOOK_ALIKES = {"nginx.conf": (
    "events {}\nhttp {\n"
    "    server {\n        listen 8082;\n        location /a/ { }\n    }\n"
    "    server {\n        listen 8082;\n        location /a/ { }\n    }\n"
    "    server {\n        listen 8082;\n        location /a/ { }\n        location /a/ { }\n"
    "        listen 8082;\n    }\n}\n")}


def test_a_look_alike_listen_or_location_is_still_a_repeat_in_its_block(tmp_path):
    assert _diags(write_nginx_tree(tmp_path, LOOK_ALIKES)) == [
        ("nginx.conf", 14, 18, 'duplicate location "/a/"'),
        ("nginx.conf", 15, 16, "a duplicate listen 0.0.0.0:8082"),
    ]


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx not installed")
@pytest.mark.parametrize("last_listen, message, line", [
    (True, "a duplicate listen 0.0.0.0:8082", 15),
    (False, 'duplicate location "/a/"', 14),   # (nginx stops at the first complaint)
])
def test_nginx_refuses_a_look_alike_repeat(tmp_path, last_listen, message, line):
    text = LOOK_ALIKES["nginx.conf"]
    if not last_listen:
        text = text.replace("        listen 8082;\n    }\n}\n", "    }\n}\n")
    assert _nginx_error(write_nginx_tree(tmp_path, {"nginx.conf": text})) == (message, "nginx.conf", line)

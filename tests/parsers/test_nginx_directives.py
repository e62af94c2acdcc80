"""Context and argument checks (crossplane's table + local additions), checked against nginx -t."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from confcheck.parsers.nginx_directives import validate_nginx
from nginx_helpers import diag_tuples, parse_bytes


def check(src: bytes, context=()) -> list[tuple[int, int, str]]:
    parsed, diags = parse_bytes(src)
    assert diags.items == []
    validate_nginx(parsed.nodes, diags, context=context)
    return diag_tuples(diags)


def test_context_error():
    assert check(b"http {\n server {\n  upstream u { server 127.0.0.1; }\n }\n}\n") == [
        (3, 3, '"upstream" directive is not allowed here')]


def test_argument_count_error():
    assert check(b"http { server { location / {\n root;\n} } }") == [
        (2, 2, 'invalid number of arguments in "root" directive')]


def test_flag_and_block_errors():
    assert check(b"http { sendfile maybe; }") == [
        (1, 8, 'invalid value "maybe" in "sendfile" directive, it must be "on" or "off"')]
    assert check(b"http;") == [(1, 1, 'directive "http" has no opening "{"')]
    assert check(b"http { gzip on { } }") == [(1, 8, 'directive "gzip" is not terminated by ";"')]


def test_third_party_directives_are_fine():
    # unknown to nginx's own modules, defined by modules a main may load
    assert check(b"http { more_set_headers 'X: y'; brotli on; server { location / {"
                 b" content_by_lua_block { ngx.say(1) } } } }") == []


def test_names_no_module_can_have_are_unknown_directives():
    # a typo (one edit from "allow"), a truncated name, characters no directive has
    assert check(b"http { server { location / { allwo all; } } }") == [
        (1, 30, 'unknown directive "allwo"')]
    assert check(b"http { server { locat / { } } }") == [(1, 17, 'unknown directive "locat"')]
    assert check(b"http { server { 0 1; } }") == [(1, 17, 'unknown directive "0"')]
    assert check(b"http { gzipxon; }") == [(1, 8, 'unknown directive "gzipxon"')]
    assert check(b"http { server { try'files $uri =404; } }") == [
        (1, 17, 'unknown directive "try\'files"')]


def test_data_block_entries_are_not_directives():
    assert check(b"http { map $a $b { default 0; root 1; server 2; }\n"
                 b" types { text/html html; }\n geo $g { default 0; 10.0.0.0/8 1; }\n"
                 b" split_clients $r $v { 50% a; * b; } }") == []


def test_directives_crossplane_lacks():
    assert check(b"http { ssl_conf_command Options PrioritizeChaCha; server { http2 on;"
                 b" ssl_reject_handshake on; location / { proxy_ssl_conf_command A B; } } }") == []
    assert check(b"http { server { http2 on on; } }") == [
        (1, 17, 'invalid number of arguments in "http2" directive')]


def test_include_is_validated_and_followed_in_its_context():
    parsed, diags = parse_bytes(b"http { include; }")
    validate_nginx(parsed.nodes, diags)
    assert diag_tuples(diags) == [(1, 8, 'invalid number of arguments in "include" directive')]


def test_if_args_after_paren_stripping():
    assert check(b"http { server { if ($x) { return 403; } } }") == []


def test_crossplane_is_not_imported_by_parsing():
    code = ("import sys; from confcheck.parsers.nginx_loader import load_nginx; "
            "import confcheck.parsers.nginx_parser; print('crossplane' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.strip() == "False", out.stderr


# --- nginx itself as the oracle ---------------------------------------------

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_first_error(tmp_path, src: bytes) -> tuple[str, int]:
    conf = tmp_path / "nginx.conf"
    conf.write_bytes(src)
    out = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path), "-e", "/dev/null"],
                         capture_output=True, text=True, timeout=30)
    line = [l for l in out.stderr.splitlines() if "[emerg]" in l][0]
    message = line.split("[emerg] ", 1)[1]
    message, _, where = message.rpartition(" in ")
    return message, int(where.rsplit(":", 1)[1])


NGINX_CASES = [
    b"events {}\nhttp {\n  server {\n    root /x\n  }\n}\n",
    b"events {}\nuser \"a\"b;\n",
    b"events {}\n}\n",
    b"events {}\n;\n",
    b"events {}\nuser 'it''s';\n",
    b"events {}\nhttp { root \"/x\"}\n}\n",
    b"events {}\nhttp {\n server {\n  upstream u { server 127.0.0.1; }\n }\n}\n",
    b"events {}\nhttp {\n server {\n  location / {\n   root;\n  }\n }\n}\n",
    b"events {}\nhttp {\n sendfile maybe;\n}\n",
    b"events {}\nhttp {\n server {\n  listen 127.0.0.1:8999;\n  location / {\n   gzip on { }\n  }\n }\n}\n",
]


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx not installed")
@pytest.mark.parametrize("src", NGINX_CASES)
def test_first_error_matches_nginx(tmp_path, src):
    message, line = nginx_first_error(tmp_path, src)
    parsed, diags = parse_bytes(src)
    validate_nginx(parsed.nodes, diags)
    first = diags.items[0]
    assert (first.message, first.span.line) == (message, line)


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx not installed")
@pytest.mark.parametrize("src", [b"events {}\nhttp {\n", b"events {}\nworker_processes 1"])
def test_eof_messages_match_nginx(tmp_path, src):
    message, _ = nginx_first_error(tmp_path, src)
    _, diags = parse_bytes(src)
    assert diags.items[0].message == message

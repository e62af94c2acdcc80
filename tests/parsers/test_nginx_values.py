"""What nginx refuses in values, duplicates, data blocks and variables: each
case is run through real `nginx -t` and through confcheck, and both must give
the same first message (and line, where nginx names one). The accepted cases
guard against false refusals: nginx takes them, so confcheck must too."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from confcheck.parsers.nginx_directives import validate
from confcheck.parsers.nginx_loader import load_nginx
from confcheck.parsers.nginx_values import parse_size, parse_time
from confcheck.source import Diagnostics

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
import nginx_mutants  # noqa: E402

HEAD = "events {} "  # on the first line: the line numbers below are the http block's

REFUSED = [
    # (config, nginx's message, line)
    ("events {}\nevents {}\n", '"events" directive is duplicate', 2),
    ("worker_processes 2;\nworker_processes 4;\nevents {}\n", '"worker_processes" directive is duplicate', 2),
    ("events {\n worker_connections 512;\n worker_connections 1024;\n}\n",
     '"worker_connections" directive is duplicate', 3),
    ("events {\n worker_connections 10x;\n}\n", 'invalid number "10x"', 2),
    ("worker_processes lots;\nevents {}\n", '"worker_processes" directive invalid value', 1),
    (HEAD + "http {\n sendfile on;\n sendfile off;\n}\n", '"sendfile" directive is duplicate', 3),
    (HEAD + "http {\n client_max_body_size 10q;\n}\n", '"client_max_body_size" directive invalid value', 2),
    (HEAD + "http {\n client_body_buffer_size 1g;\n}\n",
     '"client_body_buffer_size" directive invalid value', 2),
    (HEAD + "http {\n send_timeout 1y;\n}\n", '"send_timeout" directive invalid value', 2),
    (HEAD + "http {\n keepalive_timeout 65 60x;\n}\n", '"keepalive_timeout" directive invalid value', 2),
    (HEAD + "http {\n keepalive_requests many;\n}\n", '"keepalive_requests" directive invalid number', 2),
    (HEAD + "http {\n gzip_buffers 16 8z;\n}\n", '"gzip_buffers" directive invalid value', 2),
    (HEAD + "http {\n ssl_protocols TLSv1.2 TLSv9;\n}\n", 'invalid value "TLSv9"', 2),
    (HEAD + "http {\n satisfy some;\n}\n", 'invalid value "some"', 2),
    (HEAD + "http {\n server {\n  listen 8080 defered;\n }\n}\n", 'invalid parameter "defered"', 3),
    (HEAD + "http {\n server {\n  listen 80800;\n }\n}\n",
     'invalid port in "80800" of the "listen" directive', 3),
    (HEAD + "http {\n server {\n  listen 127.0.0.1:8080;\n  listen 127.0.0.1:8080;\n }\n}\n",
     "a duplicate listen 127.0.0.1:8080", 4),
    (HEAD + "http {\n server {\n  listen 8080 default_server;\n }\n"
            " server {\n  listen *:8080 default_server;\n }\n}\n",
     "a duplicate default server for 0.0.0.0:8080", 6),
    (HEAD + "http {\n server {\n  location /a { }\n  location ^~ /a { }\n }\n}\n",
     'duplicate location "/a"', 4),
    (HEAD + "http {\n server {\n  root /a;\n  root /b;\n }\n}\n", '"root" directive is duplicate', 4),
    (HEAD + "http {\n server {\n  location /a {\n   root /a;\n   alias /b/;\n  }\n }\n}\n",
     '"alias" directive is duplicate, "root" directive was specified earlier', 5),
    (HEAD + "http {\n server {\n  location / {\n   try_files $uri =404;\n   try_files $uri =403;\n"
            "  }\n }\n}\n", '"try_files" directive is duplicate', 5),
    (HEAD + "http {\n server {\n  return 2000;\n }\n}\n", 'invalid return code "2000"', 3),
    (HEAD + "http {\n server {\n  return /elsewhere;\n }\n}\n", 'invalid return code "/elsewhere"', 3),
    (HEAD + "http {\n server {\n  error_page 404 700 /e.html;\n }\n}\n",
     'value "700" must be between 300 and 599', 3),
    (HEAD + "http {\n server {\n  error_page 40x /e.html;\n }\n}\n", 'invalid value "40x"', 3),
    (HEAD + "http {\n fastcgi_param A b off;\n}\n", 'invalid parameter "off"', 2),
    (HEAD + "http {\n map $uri $m {\n  default 0;\n  /a 1 2;\n }\n}\n",
     "invalid number of the map parameters", 4),
    (HEAD + "http {\n map $uri $m {\n  default 0;\n  default 1;\n }\n}\n",
     "duplicate default map parameter", 4),
    (HEAD + "http {\n map $uri $m {\n  /a 1;\n  /A 2;\n }\n}\n", 'conflicting parameter "/a"', 4),
    (HEAD + "http {\n geo $g {\n  default 0;\n  10.0.0.0/8;\n }\n}\n",
     "invalid number of the geo parameters", 4),
    (HEAD + "http {\n split_clients $remote_addr $v {\n  50 a;\n }\n}\n", 'invalid percent value "50"', 3),
    (HEAD + "http {\n types {\n  include;\n }\n}\n",
     'invalid number of arguments in "include" directive', 3),
    (HEAD + "http {\n server {\n  lisen 80;\n }\n}\n", 'unknown directive "lisen"', 3),
    (HEAD + "http {\n server {\n  return 200 $no_such_thing;\n }\n}\n", 'unknown "no_such_thing" variable', None),
    (HEAD + "http {\n server {\n  if ($foo) { return 403; }\n }\n}\n", 'unknown "foo" variable', None),
    ("http {\n}\n", 'no "events" section in configuration', None),
    ("error_log /tmp/x.log warn info;\nevents {}\n", 'duplicate log level "info"', 1),
    ("error_log /tmp/x.log info debug_http;\nevents {}\n", 'invalid log level "debug_http"', 1),
    (HEAD + "http {\n expires @25h;\n}\n",
     '"expires" directive daily time value must be less than 24 hours', 2),
    (HEAD + "http {\n expires modified @1h;\n}\n",
     '"expires" directive daily time cannot be used with "modified" parameter', 2),
    (HEAD + "http {\n expires 1q;\n}\n", '"expires" directive invalid value', 2),
    (HEAD + "http {\n server {\n  location / /x { }\n }\n}\n", 'invalid location modifier "/"', 3),
    (HEAD + "http {\n server {\n  listen [x:]:80;\n }\n}\n",
     'invalid IPv6 address in "[x:]:80" of the "listen" directive', 3),
    (HEAD + "http {\n keepalive_timeout 65;\n keepalive_timeout 65;\n}\n",
     '"keepalive_timeout" directive is duplicate', 3),
    (HEAD + "http {\n server {\n  location ~ ^/a(b { }\n }\n}\n",
     'pcre2_compile() failed: missing closing parenthesis in "^/a(b"', 3),
    (HEAD + "http {\n server {\n  rewrite ^/a)b /c;\n }\n}\n",
     'pcre2_compile() failed: unmatched closing parenthesis in "^/a)b" at ")b"', 3),
    (HEAD + "http {\n server {\n  if ($uri ~* \"a**\") { return 403; }\n }\n}\n",
     'pcre2_compile() failed: quantifier does not follow a repeatable item in "a**" at "*"', 3),
    (HEAD + "http {\n server {\n  location ~ \\.php {\n   fastcgi_split_path_info ^(.+\\.php)$;\n  }\n }\n}\n",
     'pattern "^(.+\\.php)$" must have 2 captures', 4),
    (HEAD + "http {\n server {\n  try_files $uri =4o4;\n }\n}\n", 'invalid code "=4o4"', 3),
    (HEAD + "http {\n access_log /tmp/a.log main;\n}\n", 'unknown log format "main"', 2),
    (HEAD + "http {\n access_log /tmp/a.log combined default;\n}\n", 'invalid parameter "default"', 2),
    (HEAD + "http {\n server {\n  return 200 \"cost: 5$\";\n }\n}\n", "invalid variable name", 3),
    (HEAD + "http {\n server {\n  add_header X \"${uri\";\n }\n}\n",
     'the closing bracket in "uri" variable is missing', 3),
    (HEAD + "http {\n log_format x '$ a';\n}\n", 'invalid parameter "$ a"', 2),
    (HEAD + "http {\n log_format x '${a b';\n}\n", 'the closing bracket in "a" variable is missing', 2),
]

ACCEPTED = [
    HEAD + "http {\n add_header A b;\n add_header C d;\n fastcgi_param A b;\n fastcgi_param A c if_not_empty;\n}\n",
    HEAD + "http {\n client_max_body_size 1g;\n send_timeout \"1h 30m\";\n keepalive_timeout 75s 60;\n"
           " proxy_read_timeout 500ms;\n expires 1y;\n proxy_buffers 8 16k;\n ssl_protocols TLSv1.2 TLSv1.3;\n}\n",
    HEAD + "http {\n server {\n  listen 127.0.0.1:8080 default_server backlog=128 rcvbuf=64k reuseport;\n"
           "  listen [::1]:8080 ipv6only=on;\n  listen 8081 so_keepalive=30m::10;\n }\n"
           " server {\n  listen 127.0.0.2:8080 default_server;\n  listen 127.0.0.1:8080;\n }\n}\n",
    HEAD + "http {\n server {\n  location = /a { }\n  location /a { }\n  location ~ /a { }\n"
           "  location ~ /a { }\n  location @a { return 204; }\n  location /b { location /b/c { } }\n }\n"
           " server {\n  location /a { }\n }\n}\n",
    HEAD + "http {\n map $http_host $site {\n  hostnames;\n  default 0;\n  .example.com 1;\n"
           "  ~^(?<sub>[a-z]+)\\.test$ $sub;\n }\n split_clients $remote_addr $v {\n  50.5% a;\n  * b;\n }\n"
           " geo $remote_addr $g {\n  ranges;\n  default 0;\n }\n"
           " server {\n  location ~ ^/(?<id>\\d+)$ { return 200 \"$id $1 $site $v $g $arg_x $http_x_y"
           " $cookie_c $sent_http_etag $request_uri ${uri}\"; }\n  set $mine 1;\n"
           "  if (-f $request_filename) { return 200 $mine; }\n  rewrite ^/x(.*)$ /y$1;\n"
           "  error_page 404 =200 /e.html;\n  error_page 500 502 = @a;\n  location @a { return 204; }\n"
           "  return https://example.com$request_uri;\n }\n}\n",
    HEAD + "http {\n sendfile \"on\0x\";\n expires modified +1h;\n server {\n  listen 8080 \"default_server\0 \";\n"
           "  expires @10h;\n  location / { expires epoch; }\n }\n}\n",
    HEAD + "http {\n log_format main '$remote_addr $request';\n access_log /tmp/a.log MAIN buffer=32k gzip=5"
           " flush=5m if=$arg_log;\n server {\n  location ~ ^/(?<x>\\d+)\\Ky$ { return 200 \"${x}$1\"; }\n"
           "  location ~ \"(*UTF8)^/\\w\" { }\n  location ~ \\.php {\n"
           "   fastcgi_split_path_info ^(.+\\.php)(/.+)$;\n   try_files $uri =404;\n  }\n }\n}\n",
    "error_log /tmp/x.log debug_http debug_core;\nworker_processes auto;\nevents {\n worker_connections 768;\n multi_accept on;\n}\n"
    "http {\n server {\n  return 200 ok;\n }\n}\n",
]


@pytest.fixture(scope="module")
def real_nginx():
    nginx_mutants.require_namespaces()
    return nginx_mutants.nginx_test


def confcheck_errors(tree: Path) -> list[tuple[str, int | None]]:
    diags = Diagnostics()
    validate(load_nginx(str(tree / "nginx.conf"), diags), diags)
    return [(d.message, d.span.line if d.span else None) for d in diags.items]


def write_tree(tree_dir: str, text: str) -> Path:
    tree = Path(tree_dir)
    (tree / "nginx.conf").write_text(text)
    return tree


@pytest.mark.parametrize("text,message,line", REFUSED, ids=[c[1][:60] for c in REFUSED])
def test_refused_like_nginx(real_nginx, tree_dir, text, message, line):
    tree = write_tree(tree_dir, text)
    nginx = real_nginx(tree, "nginx.conf")
    assert (nginx.message, nginx.line) == (message, line)  # the case says what nginx says
    first = confcheck_errors(tree)[0]
    assert first[0] == message
    if line is not None:  # nginx names no line for a missing section or an unknown variable
        assert first[1] == line


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_like_nginx(real_nginx, tree_dir, text):
    tree = write_tree(tree_dir, text)
    assert not real_nginx(tree, "nginx.conf").refused
    assert confcheck_errors(tree) == []


def test_unknown_variable_points_at_its_use(tree_dir):
    tree = write_tree(tree_dir, HEAD + "http {\n server {\n  return 200 \"a $nope\";\n }\n}\n")
    assert confcheck_errors(tree) == [('unknown "nope" variable', 3)]


def test_variables_are_not_judged_in_a_lone_vhost(tree_dir):
    # the map that defines $site may be in the main's http{}: a vhost alone cannot tell
    vhost = Path(tree_dir) / "site.conf"
    vhost.write_text("server {\n return 200 $site;\n}\n")
    diags = Diagnostics()
    validate(load_nginx(str(vhost), diags), diags)
    assert diags.items == []


def test_no_events_is_for_mains_only(tree_dir):
    vhost = Path(tree_dir) / "site.conf"
    vhost.write_text("server {\n listen 80;\n listen 80;\n}\n")
    diags = Diagnostics()
    validate(load_nginx(str(vhost), diags), diags)
    assert [(d.message, d.span.line) for d in diags.items] == [("a duplicate listen 0.0.0.0:80", 3)]


@pytest.mark.parametrize("text,ok", [
    ("10s", True), ("1h 30m", True), ("500ms", True), ("1d1h", True), ("30", True),
    ("1y", False), ("1M", False), ("1m1h", False), ("10x", False), ("", False), ("ms", False),
])
def test_parse_time_as_ngx_parse_time_for_msec(text, ok):
    assert parse_time(text, False) is ok


def test_parse_time_seconds_takes_years_not_ms():
    assert parse_time("1y", True) and not parse_time("5ms", True)


def test_parse_size_units():
    assert parse_size("10m") == 10 << 20 and parse_size("1K") == 1024
    assert parse_size("1g") is None and parse_size("1g", "kmg") == 1 << 30
    assert parse_size("-1") is None and parse_size("9" * 30) is None

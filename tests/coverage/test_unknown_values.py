"""Values the model cannot compute (GeoIP, split_clients, $upstream_*...) make `why` unknown
where they decide the status, naming the variable and the directive that read it; where the
decision does not depend on them, or the request determines the value, the answer stays."""

from __future__ import annotations

import os

import pytest

from test_not_modelled import _line_of, _nginx, _why

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the worker's view of the tree needs root")

HTTP = ('    split_clients "${remote_addr}x" $variant { 50% a; * b; }\n'
        "    map $variant $blocked { a 1; default 0; }\n"
        "    map $variant $same { a 1; default 1; }\n"
        "    map $http_x_k $from_header { b 1; default 0; }\n")


def _conf(tree_dir: str, body: str) -> str:
    return _nginx(tree_dir, body, HTTP)


def test_geoip_in_if_is_unknown_naming_variable_and_if(tree_dir):
    conf = _conf(tree_dir, "        location /d/ {\n            if ($geoip_country_code = CN) { return 403; }\n"
                           "        }")
    out = _why(conf, "/d/a.html")
    assert out.status is None and out.would_answer == 200
    line = _line_of(conf, "geoip_country_code")
    assert out.reason.startswith(f"not modelled: $geoip_country_code in if at {conf}:{line}")
    assert out.not_modelled_variable == "$geoip_country_code"
    assert out.to_json()["not_modelled"]["variable"] == "$geoip_country_code"
    assert _why(conf, "/a.html").status == 200     # the if is not on this request's way


@pytest.mark.parametrize("body", [
    "if ($blocked) { return 403; }",                    # a map keyed on it
    "set $copy $variant; if ($copy = a) { return 403; }",  # a set carries it
    "try_files /$variant/a.html =404;",                 # a path
    "rewrite ^ /$variant/a.html last;",                 # the new URI
])
def test_values_derived_from_split_clients_are_unknown(tree_dir, body):
    conf = _conf(tree_dir, f"        location /d/ {{\n            {body}\n        }}")
    out = _why(conf, "/d/a.html")
    assert out.status is None and out.not_modelled_variable == "$variant", out.reason
    assert f"split_clients at {conf}:{_line_of(conf, 'split_clients')}" in out.reason


def test_root_from_an_unknown_value_is_unknown(tree_dir):
    conf = _conf(tree_dir, "        location /d/ {\n            root /srv/$upstream_http_x_root;\n        }")
    out = _why(conf, "/d/a.html")
    assert out.status is None and out.not_modelled.name == "root"


@pytest.mark.parametrize("body,status", [
    ("if ($same) { return 403; }", 403),                  # every key gives 1
    ("return 302 /x/$variant;", 302),                     # a redirect's status does not depend on it
    ("rewrite ^ /x/$variant redirect;", 302),
    ("set $copy $variant; if ($http_x_k = b) { return 403; }", 403),   # the copy is never read
    ("if ($from_header) { return 403; }", 403),           # the request determines it
])
def test_decisions_that_do_not_depend_on_the_value_stay_confident(tree_dir, body, status):
    conf = _conf(tree_dir, f"        location /d/ {{\n            {body}\n        }}")
    out = _why(conf, "/d/a.html", headers={"X-K": "b"})
    assert out.status == status, out.reason
    assert out.not_modelled is None


def _apache_why(tree_dir: str, rules: str, path: str, headers: dict | None = None):
    from confcheck.why import WhyOptions, explain, prepare
    from confcheck.servers.nginx.request import Request
    os.makedirs(os.path.join(tree_dir, "www"), exist_ok=True)
    conf = os.path.join(tree_dir, "apache2.conf")
    with open(conf, "w") as fh:
        fh.write("Listen 80\nLoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n"
                 "User www-data\nGroup www-data\n<VirtualHost *:80>\n    ServerName a.test\n"
                 f"    DocumentRoot {tree_dir}/www\n    RewriteEngine on\n{rules}</VirtualHost>\n")
    prepared = prepare(WhyOptions(configs=[conf], server="apache", no_fs=True))
    return conf, explain(prepared, Request.parse(f"http://a.test{path}", "GET",
                                                 {"Host": "a.test", **(headers or {})}, "127.0.0.1"))


def test_apache_rewrite_condition_on_an_unknown_value_is_unknown(tree_dir):
    rules = ("    RewriteCond %{SSL:SSL_CIPHER} =x\n    RewriteRule ^/t/ - [F]\n"
             "    RewriteCond %{HTTP:X-K} =b\n    RewriteRule ^/h/ - [F]\n"
             "    RewriteRule ^/r/(.*) /x/%{TIME_HOUR}/$1 [R=302]\n")
    conf, out = _apache_why(tree_dir, rules, "/t/a")
    assert out.status is None and out.not_modelled_variable == "%{SSL:SSL_CIPHER}"
    assert out.reason.startswith(f"not modelled: %{{SSL:SSL_CIPHER}} in RewriteCond at {conf}:9")
    assert _apache_why(tree_dir, rules, "/h/a", {"X-K": "b"})[1].status == 403
    assert _apache_why(tree_dir, rules, "/r/a")[1].status == 302

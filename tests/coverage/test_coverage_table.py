"""The coverage table classes every directive, and its page is what the table generates."""

from __future__ import annotations

import re

from confcheck.parsers.apache_directives import _table as apache_directive_table
from confcheck.parsers.nginx_directives import _local_directives
from confcheck.servers import coverage
from confcheck.servers.coverage import (CLASSES, THIRD_PARTY, apache_entries, apache_entry, nginx_entries,
                                        nginx_entry, unknown_reason)
from confcheck.servers.coverage.page import default_path, render


def test_every_directive_of_crossplanes_database_is_classed():
    from crossplane import analyzer
    names = set(analyzer.DIRECTIVES) | set(_local_directives(analyzer))
    unclassed = sorted(n for n in names if nginx_entry(n) is None or nginx_entry(n).cls not in CLASSES)
    assert unclassed == []


def test_every_directive_of_the_apache_table_is_classed():
    unclassed = sorted(info.name for info in apache_directive_table().values()
                       if apache_entry(info.name) is None or apache_entry(info.name).cls not in CLASSES)
    assert unclassed == []
    assert len(apache_entries()) == len(apache_directive_table())


def _lines(text: str) -> list[str]:
    return [line.split()[0] for line in text.splitlines() if line.strip()]


def test_every_line_of_the_class_tables_names_a_real_module_or_directive():
    """A typo in the table would silently leave the directive at its module's default."""
    from confcheck.servers.coverage.apache_classes import CLASSES as APACHE
    from confcheck.servers.coverage.nginx_classes import CLASSES as NGINX
    nginx_modules = {e.module for e in nginx_entries()} | {"not-in-1.22"}
    nginx_names = {e.name for e in nginx_entries()}
    apache_modules = {i.modules[0][:-len("_module")] for i in apache_directive_table().values()}
    bad = [w for w in _lines(NGINX) if (w[1:] not in nginx_modules if w.startswith("*") else w not in nginx_names)]
    bad += [w for w in _lines(APACHE)
            if (w[1:] not in apache_modules if w.startswith("*") else apache_entry(w) is None)]
    assert bad == []


def test_every_unknown_directive_and_module_default_says_why():
    silent = [f"{e.module} {e.name}" for e in nginx_entries() + apache_entries()
              if e.cls != "modelled" and not e.reason]
    assert silent == []


def test_docs_coverage_page_is_up_to_date():
    with open(default_path(), encoding="utf-8") as fh:
        assert fh.read() == render(), "run `python -m confcheck.servers.coverage.page` to regenerate docs/coverage.md"


def test_page_counts_match_the_table():
    page = render()
    for server, entries in (("nginx 1.22", nginx_entries()), ("Apache 2.4", apache_entries())):
        row = re.search(rf"^\| {re.escape(server)} \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", page, re.M)
        assert row is not None
        counts = [sum(e.cls == cls for e in entries) for cls in CLASSES] + [len(entries)]
        assert [int(g) for g in row.groups()] == counts


def test_status_changing_directives_the_model_ignores_are_unknown():
    for name in ("perl", "image_filter", "xslt_stylesheet", "slice"):
        assert nginx_entry(name).cls == "unknown", name
    for name in ("CheckSpelling", "DAV", "SSLRequire",
                 "RewriteMap", "AuthDigestProvider", "RemoteIPProxyProtocol", "AllowMethods"):
        assert apache_entry(name).cls == "unknown", name
    for name in ("deny", "root", "try_files", "error_page", "auth_basic", "return", "auth_request",
                 "set_real_ip_from", "real_ip_header", "real_ip_recursive", "limit_req", "limit_conn",
                 "secure_link", "secure_link_md5", "secure_link_secret", "mp4", "flv", "random_index",
                 "gzip_static", "stub_status", "dav_methods", "create_full_put_path", "min_delete_depth"):
        assert nginx_entry(name).cls == "modelled", name
    for name in ("Require", "Options", "RewriteRule", "DirectoryIndex", "Directory", "<Directory", "ErrorDocument",
                 "ProxyPass", "ProxyPassMatch", "<Proxy", "RemoteIPHeader", "RemoteIPTrustedProxy",
                 "RemoteIPInternalProxyList"):
        assert apache_entry(name).cls == "modelled", name


def test_off_values_switch_an_unknown_directive_off():
    entry = nginx_entry("image_filter")
    assert unknown_reason(entry, "off") is None
    assert unknown_reason(entry, "on") == entry.reason
    assert unknown_reason(nginx_entry("root"), "/srv") is None
    assert unknown_reason(None, "x") == THIRD_PARTY


def test_stream_and_mail_directives_never_take_an_http_class():
    # `server`, `listen`, `allow` ... exist in stream{} too; the http module's class is the one looked up
    assert nginx_entry("allow").module == "ngx_http_access_module"
    assert nginx_entry("proxy_pass").module == "ngx_http_proxy_module"
    stream = [e for e in nginx_entries() if e.module == "ngx_stream_proxy_module" and e.name == "proxy_pass"]
    assert stream and stream[0].cls == "no-effect"


def test_dynamic_modules_exist_only_when_loaded():
    none = coverage.nginx_loaded_modules([])
    assert "ngx_http_core_module" in none and "ngx_http_auth_request_module" in none
    assert coverage.nginx_directive_exists("geoip_country", none) is False
    assert coverage.nginx_directive_exists("auth_request", none) is True
    assert coverage.nginx_directive_exists("access_by_lua_block", none) is None
    assert coverage.nginx_directive_exists("more_set_headers", none) is False
    more = coverage.nginx_loaded_modules(["modules/ngx_http_headers_more_filter_module.so"])
    assert coverage.nginx_directive_exists("more_set_headers", more) is True
    geoip = coverage.nginx_loaded_modules(["modules/ngx_http_geoip_module.so"])
    assert coverage.nginx_directive_exists("geoip_country", geoip) is True
    assert coverage.nginx_directive_exists("perl", geoip) is False
    mail = coverage.nginx_loaded_modules(["/usr/lib/nginx/modules/ngx_mail_module.so"])
    assert "ngx_mail_smtp_module" in mail and "ngx_stream_core_module" not in mail
    assert coverage.apache_directive_exists("RewriteRule", {"rewrite_module"}) is True
    assert coverage.apache_directive_exists("RewriteRule", {"alias_module"}) is False
    assert coverage.apache_directive_exists("NoSuchThing", {"rewrite_module"}) is None

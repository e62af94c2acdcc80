"""Real Apache configs: no errors where httpd accepts them, spans exact, readings right."""

from __future__ import annotations

from pathlib import Path

import pytest

from confcheck.parsers.apache_directives import override_class
from confcheck.parsers.apache_loader import load_apache, loaded_modules
from confcheck.source import Diagnostics
from apache_helpers import CORPUS, all_nodes, assert_spans_exact, corpus_files, make_root, parse_bytes

FILES = corpus_files()
IDS = [str(p.relative_to(CORPUS)) for p in FILES]
# Debian's files read alone miss the variables envvars supplies (httpd: warning AH00111).
ENVVARS = {"APACHE_RUN_DIR", "APACHE_PID_FILE", "APACHE_RUN_USER", "APACHE_RUN_GROUP",
           "APACHE_LOG_DIR", "APACHE_LOCK_DIR"}


def test_corpus_is_there():
    assert len(FILES) > 100
    assert "h5bp/dist/.htaccess" in IDS and "httpd-upstream/docs/conf/httpd.conf.in" in IDS


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_corpus_file_parses_with_exact_spans(path: Path):
    dialect = "htaccess" if "htaccess" in path.name else "apache"
    parsed, diags = parse_bytes(path.read_bytes(), str(path), dialect=dialect)
    assert_spans_exact(parsed)
    assert [str(d) for d in diags.errors] == []
    for d in diags.items:   # only the envvars variables may be missing
        assert d.code == "undefined-variable" and d.message[18:-16] in ENVVARS, str(d)
    assert parsed.nodes or parsed.comments


def _find(nodes, name):
    return [n for n in all_nodes(nodes) if n.key == name.lower()]


def test_debian_tree_with_root_remap(tmp_path):
    root = make_root(tmp_path / "root", CORPUS / "debian", "etc/apache2")
    diags = Diagnostics()
    config = load_apache(str(root / "etc/apache2/apache2.conf"), diags, root=str(root))
    assert [str(d) for d in diags.items] == []
    assert config.server_root == "/etc/apache2"
    assert config.envvars["APACHE_RUN_USER"] == "www-data"
    assert config.envvars["APACHE_LOG_DIR"] == "/var/log/apache2"
    user = _find(config.nodes, "User")[0]
    assert user.values == ["www-data"] and user.args[0].raw == "${APACHE_RUN_USER}"
    # everything read from under the root, findings show local paths
    assert all(s.path.startswith(str(root)) for s in config.files.values())
    site = config.files[str(root / "etc/apache2/sites-enabled/000-default.conf")]
    # the link is followed inside the image (never to this machine's /etc/apache2)
    assert site.realpath == str(root / "etc/apache2/sites-available/000-default.conf")
    # include order: mods-enabled/*.load sorted (strcmp), then *.conf
    mods = [n for n in config.nodes if n.key == "includeoptional"][0]
    loaded = [Path(inc.source.path).name for inc in mods.included]
    assert loaded == sorted(loaded) and loaded[0] == "access_compat.load"
    vhost = _find(config.nodes, "VirtualHost")[0]
    assert vhost.via is not None and vhost.values == ["*:80"]
    assert vhost.file.endswith("sites-enabled/000-default.conf")
    modules = loaded_modules(config)
    assert {"rewrite_module", "mod_rewrite.c"}.isdisjoint(modules)
    assert {"authz_core_module", "mod_authz_core.c", "mod_dir.c", "core.c", "mpm_event_module",
            "event.c", "mod_unixd.c", "http_core.c"} <= modules


def test_h5bp_tree_readings(tmp_path):
    root = make_root(tmp_path / "root", CORPUS / "h5bp", "usr/local/apache2")
    diags = Diagnostics()
    config = load_apache(str(root / "usr/local/apache2/httpd.conf"), diags, root=str(root))
    assert [str(d) for d in diags.items] == []
    assert config.server_root == "/usr/local/apache2"
    names = {Path(p.source.path).name for p in config.parsed}
    # vhosts/*.conf: the hidden .000-default.conf is not matched (APR_FNM_PERIOD)
    assert "000-no-ssl-default.conf" in names and ".000-default.conf" not in names


@pytest.mark.parametrize("name", ["security/x-frame-options.conf", "security/referrer-policy.conf",
                                  "security/cross-origin-policy.conf",
                                  "security/content-security-policy.conf",
                                  "web_performance/cache-control.conf"])
def test_h5bp_expr_lines(name):
    """`Header ... "expr=%{CONTENT_TYPE} =~ m#...#i"`: one quoted arg, '#' and all."""
    path = CORPUS / "h5bp/h5bp" / name
    parsed, diags = parse_bytes(path.read_bytes())
    assert diags.items == []
    expected = sum(1 for line in path.read_text().splitlines()
                   if "expr=%{CONTENT_TYPE}" in line and not line.lstrip().startswith("#"))
    exprs = [a for n in _find(parsed.nodes, "Header") for a in n.args
             if a.value.startswith("expr=%{CONTENT_TYPE}")]
    assert len(exprs) == expected > 0
    for arg in exprs:
        assert arg.quote == '"' and "m#" in arg.value and arg.value.endswith("#i")
        assert arg.raw == '"' + arg.value + '"'


def test_h5bp_htaccess():
    parsed, diags = parse_bytes((CORPUS / "h5bp/dist/.htaccess").read_bytes(), dialect="htaccess")
    assert diags.items == []
    nodes = all_nodes(parsed.nodes)
    assert len(nodes) > 100
    rewrites = [n.name for n in nodes if n.key in ("rewritecond", "rewriterule")]
    # RewriteCond -> RewriteRule order as written (several conds then a rule)
    assert "RewriteCond" in rewrites and rewrites[-1] == "RewriteRule"
    # every directive in it is known to the override table
    unknown = {n.name for n in nodes if override_class(n.name) is None}
    assert unknown == set()


def test_debian_autoindex_indexignore():
    parsed, _ = parse_bytes((CORPUS / "debian/mods-available/autoindex.conf").read_bytes())
    (node,) = _find(parsed.nodes, "IndexIgnore")
    assert node.values == [".??*", "*~", "*#", "RCS", "CVS", "*,v", "*,t"]


def test_httpd_policy_urls_keep_fragments():
    parsed, diags = parse_bytes((CORPUS / "httpd-upstream/docs/conf/extra/httpd-policy.conf.in").read_bytes())
    assert diags.items == []
    assert any("#" in v for n in all_nodes(parsed.nodes) for v in n.values)


def test_placeholders_parse():
    parsed, diags = parse_bytes((CORPUS / "httpd-upstream/docs/conf/httpd.conf.in").read_bytes())
    assert diags.items == []
    assert any(n.name == "@@LoadModule@@" for n in parsed.nodes)
    assert _find(parsed.nodes, "ServerRoot")[0].values == ["@@ServerRoot@@"]


def test_debian_continuation_lines():
    path = CORPUS / "h5bp/h5bp/web_performance/pre-compressed_content_gzip.conf"
    parsed, _ = parse_bytes(path.read_bytes())
    multi = [n for n in all_nodes(parsed.nodes) if n.span.end_line > n.span.line and n.children is None]
    assert multi and all(".css.gz" in n.values for n in multi if n.key == "addcharset")

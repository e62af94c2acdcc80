"""Include / IncludeOptional / Define / envvars / modules, read as httpd reads them."""

from __future__ import annotations

import os
from pathlib import Path

from confcheck.parsers.apache_loader import (
    ifdefine_active, ifmodule_active, load_apache, load_htaccess, loaded_modules, read_envvars,
)
from confcheck.parsers.syntax import effective_children
from confcheck.source import Diagnostics
from apache_helpers import CORPUS, all_nodes


def write(base: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def load(base: Path, main="httpd.conf", **kw):
    diags = Diagnostics()
    config = load_apache(str(base / main), diags, **kw)
    return config, [(d.code, d.message) for d in diags.items]


def names(config) -> list[str]:
    return [n.name + ("=" + n.values[0] if n.values else "") for n in all_nodes(config.nodes)
            if n.key not in ("include", "includeoptional")]


def test_relative_include_against_server_root_and_sorted_globs(tmp_path):
    write(tmp_path, {"httpd.conf": "Include conf.d/*.conf\nA last\n",
                     "conf.d/b.conf": "B 1\n", "conf.d/a.conf": "A 1\n", "conf.d/.hidden.conf": "H 1\n",
                     "conf.d/Z.conf": "Z 1\n", "conf.d/c.txt": "C 1\n"})
    config, diags = load(tmp_path)
    assert diags == []
    assert names(config) == ["Z=1", "A=1", "B=1", "A=last"]   # strcmp order, no dot files
    inc = config.nodes[0]
    a = inc.included[1].nodes[0]
    assert a.via is inc and a.parent is None and a.file.endswith("conf.d/a.conf")
    assert [n.name for n in effective_children(config.nodes)] == ["Z", "A", "B", "A"]


def test_include_directory_reads_everything_recursively(tmp_path):
    write(tmp_path, {"httpd.conf": "Include conf\n", "conf/b": "B 1\n", "conf/.a": "A 1\n",
                     "conf/sub/c.conf": "C 1\n"})
    config, diags = load(tmp_path)
    assert diags == []
    assert names(config) == ["A=1", "B=1", "C=1"]


def test_missing_include_is_an_error_optional_is_not(tmp_path):
    write(tmp_path, {"httpd.conf": "Include nope.conf\nIncludeOptional nope2.conf\n"
                                   "IncludeOptional none/*.conf\nInclude empty/*.conf\nA b\n",
                     "empty/x.txt": ""})
    config, diags = load(tmp_path)
    root = str(tmp_path)
    assert diags == [
        ("include", f"Could not open configuration file {root}/nope.conf: No such file or directory"),
        ("include", f"Include/IncludeOptional: No matches for the wildcard '*.conf' in '{root}/empty', failing"),
    ]
    assert names(config) == ["A=b"]


def test_include_inside_section_gets_the_section_as_parent(tmp_path):
    write(tmp_path, {"httpd.conf": "<Directory /x>\n  Include acl.conf\n</Directory>\n"
                                   "<Directory /y>\n  Include acl.conf\n</Directory>\n",
                     "acl.conf": "Require all denied\n"})
    config, diags = load(tmp_path)
    assert diags == []
    r1 = config.nodes[0].children[0].included[0].nodes[0]
    r2 = config.nodes[1].children[0].included[0].nodes[0]
    # one file, two instances: same bytes, distinct nodes, each in its own section
    assert r1 is not r2 and r1.source is r2.source
    assert r1.parent is config.nodes[0] and r2.parent is config.nodes[1]
    assert r1.include_chain() == [config.nodes[0].children[0]]
    assert len(config.files) == 2 and len(config.parsed) == 3


def test_include_cycle_is_reported_not_followed(tmp_path):
    write(tmp_path, {"httpd.conf": "Include a.conf\n", "a.conf": "A 1\nInclude b.conf\n",
                     "b.conf": "Include a.conf\nB 1\n"})
    config, diags = load(tmp_path)
    assert [c for c, _ in diags] == ["include-cycle"]
    assert "There appears to be a recursion" in diags[0][1]
    assert names(config) == ["A=1", "B=1"]


def test_root_remap_reads_absolute_paths_under_root(tmp_path):
    write(tmp_path, {"etc/apache2/apache2.conf": "Include /etc/apache2/x.conf\nIncludeOptional extra/*.conf\n",
                     "etc/apache2/x.conf": "X 1\n", "etc/apache2/extra/y.conf": "Y 1\n"})
    config, diags = load(tmp_path, "etc/apache2/apache2.conf", root=str(tmp_path))
    assert diags == []
    assert config.server_root == "/etc/apache2"
    assert names(config) == ["X=1", "Y=1"]
    assert all(p.startswith(str(tmp_path)) for p in config.files)


def test_serverroot_directive_changes_relative_includes(tmp_path):
    write(tmp_path, {"main/httpd.conf": f"ServerRoot {tmp_path}/other\nInclude x.conf\n",
                     "other/x.conf": "X 1\n"})
    config, diags = load(tmp_path, "main/httpd.conf")
    assert diags == [] and names(config) == [f"ServerRoot={tmp_path}/other", "X=1"]
    assert config.server_root == f"{tmp_path}/other"


def test_define_in_included_file_is_visible_after_the_include(tmp_path):
    write(tmp_path, {"httpd.conf": "Include defs.conf\nDocumentRoot ${DOCROOT}\n"
                                   "<IfDefine HAVE_X>\nInclude x.conf\n</IfDefine>\n"
                                   "<IfDefine !HAVE_X>\nInclude missing.conf\n</IfDefine>\n",
                     "defs.conf": "Define DOCROOT /srv/www\nDefine HAVE_X\n", "x.conf": "X 1\n"})
    config, diags = load(tmp_path)
    assert diags == []   # the missing include sits in a skipped <IfDefine>: httpd never reads it
    assert [n for n in all_nodes(config.nodes) if n.key == "documentroot"][0].values == ["/srv/www"]
    assert config.defines == {"DOCROOT": "/srv/www", "HAVE_X": ""}
    skipped = [n for n in config.nodes if n.key == "ifdefine"]
    assert skipped[0] not in config.inactive and skipped[1] in config.inactive
    assert ifdefine_active(skipped[0], config.defines) and not ifdefine_active(skipped[1], config.defines)


def test_defines_parameter(tmp_path):
    write(tmp_path, {"httpd.conf": "<IfDefine SSL>\nDefine P 443\n</IfDefine>\nListen ${P?=80}\n"})
    config, _ = load(tmp_path, defines={"SSL": ""})
    assert config.nodes[-1].values == ["443"]
    config, _ = load(tmp_path)
    assert config.nodes[-1].values == ["80"]


def test_envvars_debian():
    env = read_envvars((CORPUS / "debian/envvars").read_text(), "/etc/apache2")
    assert env["APACHE_RUN_USER"] == env["APACHE_RUN_GROUP"] == "www-data"
    assert env["APACHE_PID_FILE"] == "/var/run/apache2/apache2.pid"
    assert env["APACHE_LOG_DIR"] == "/var/log/apache2"
    assert "SUFFIX" not in env   # not exported
    # a second instance: /etc/apache2-foo gets the -foo suffix, like apache2ctl
    env = read_envvars((CORPUS / "debian/envvars").read_text(), "/etc/apache2-foo")
    assert env["APACHE_LOG_DIR"] == "/var/log/apache2-foo"


def test_loaded_modules_and_ifmodule(tmp_path):
    # (an MPM too: without one httpd refuses the config, AH00534)
    write(tmp_path, {"httpd.conf": "LoadModule mpm_event_module m/mod_mpm_event.so\n"
                                   "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n"
                                   "<IfModule mod_rewrite.c>\nLoadModule headers_module m/mod_headers.so\n</IfModule>\n"
                                   "<IfModule !mod_ssl.c>\nLoadModule expires_module m/mod_expires.so\n</IfModule>\n"
                                   "<IfModule mod_nope.c>\nLoadModule env_module m/mod_env.so\n</IfModule>\n"})
    config, diags = load(tmp_path)
    assert diags == []
    mods = loaded_modules(config)
    assert {"rewrite_module", "mod_rewrite.c", "mod_rewrite.so", "headers_module", "mod_headers.c",
            "expires_module", "core.c", "http_core.c", "mod_so.c"} <= mods
    assert "env_module" not in mods and "mod_env.c" not in mods
    ifs = [n for n in config.nodes if n.key == "ifmodule"]
    assert [ifmodule_active(n, mods) for n in ifs] == [True, True, False]


def test_load_htaccess(tmp_path):
    write(tmp_path, {"var/www/.htaccess": "<IfModule mod_rewrite.c>\nRewriteEngine On\n"})
    diags = Diagnostics()
    parsed = load_htaccess("/var/www/.htaccess", diags, root=str(tmp_path))
    assert parsed.nodes[0].dialect == "htaccess" and parsed.nodes[0].close_span is None
    assert [d.code for d in diags.items] == ["unclosed-section"]
    diags = Diagnostics()
    parsed = load_htaccess(str(tmp_path / "missing/.htaccess"), diags)
    assert parsed.nodes == [] and [d.code for d in diags.items] == ["htaccess-read"]


def test_missing_main_file(tmp_path):
    config, diags = load(tmp_path, "nope.conf")
    assert config.nodes == [] and diags[0][0] == "include"


def test_symlinked_include_dir_loop(tmp_path):
    write(tmp_path, {"httpd.conf": "Include d\n", "d/a.conf": "A 1\n"})
    os.symlink("..", tmp_path / "d" / "loop")
    config, diags = load(tmp_path)
    assert [c for c, _ in diags] == ["include"] and "nesting level" in diags[0][1]

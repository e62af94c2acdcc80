"""The php-fpm reader against real php-fpm 8.2: `php-fpm8.2 -tt -y FILE` prints every
value it settled on (or the error it refused with), and the reader must agree."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from confcheck.parsers.phpfpm_ini import read_fpm
from confcheck.servers.phpfpm.pools import build_pools
from confcheck.source import Diagnostics

FPM = shutil.which("php-fpm8.2") or ("/usr/sbin/php-fpm8.2" if os.path.exists("/usr/sbin/php-fpm8.2") else None)
needs_fpm = pytest.mark.skipif(FPM is None or os.geteuid() != 0, reason="needs php-fpm8.2 and root")

HEAD = "[global]\npid = {d}/fpm.pid\nerror_log = {d}/err.log\n[www]\nuser = nobody\nlisten = {d}/s.sock\n" \
       "pm = static\npm.max_children = 1\n"


def _read(path: str):
    diags = Diagnostics()
    conf = build_pools(read_fpm(path, diags, env={"FOO": "zz"}), diags)
    return conf, diags


def _real(path: str) -> tuple[int, str]:
    run = subprocess.run([FPM, "-tt", "-y", path], capture_output=True, text=True, env={"FOO": "zz"},
                         timeout=30)
    return run.returncode, run.stderr + run.stdout


def _dumped(output: str, name: str) -> str | None:
    match = re.search(r"NOTICE: \t" + re.escape(name) + r" = (.*)$", output, re.M)
    return None if match is None else match.group(1)


VALUES = [
    ("slowlog = a b  ", "slowlog", "/usr/a b"),
    ('slowlog = a "b" c ; comment', "slowlog", "/usr/abc"),
    ('slowlog = "a;b\\"c\\\\d\\$e"', "slowlog", '/usr/a;b"c\\d$e'),
    ("slowlog = 'x\\\\y'", "slowlog", "/usr/x\\\\y"),
    ("slowlog = ${FOO}x", "slowlog", "/usr/zzx"),
    ('slowlog = "p${FOO}q"', "slowlog", "/usr/pzzq"),
    ("slowlog = a#b{c}", "slowlog", "/usr/a#b{c}"),
    ("slowlog = /var/log/$pool.slow", "slowlog", "/var/log/www.slow"),
    ("listen.owner = 'www-data'", "listen.owner", "www-data"),
    ("listen.mode = 0660", "listen.mode", "0660"),
    ("security.limit_extensions = .php .php7   .html", "security.limit_extensions", ".php .php7   .html"),
    ("php_admin_value[open_basedir] = /srv/a:/tmp ; why", "php_admin_value[open_basedir]", "/srv/a:/tmp"),
    ("php_value[ x ] = 1", "php_value[x ]", "1"),
    ("catch_workers_output = On", "catch_workers_output", "yes"),
]


@needs_fpm
@pytest.mark.parametrize("line,name,expected", VALUES)
def test_values_as_php_fpm_reads_them(tree_dir, line, name, expected):
    path = os.path.join(tree_dir, "v.conf")
    with open(path, "w") as fh:
        fh.write(HEAD.format(d=tree_dir) + line + "\n")
    code, output = _real(path)
    assert code == 0 and _dumped(output, name) == expected, output
    conf, diags = _read(path)
    assert not diags.errors
    pool = conf.pool("www")
    ours = {"slowlog": lambda: pool.value("slowlog"), "catch_workers_output": lambda: pool.value(name)}
    value = ours.get(name, lambda: None)()
    if name.startswith("php_"):
        array, key = name[:-1].split("[")
        value = pool.arrays[array][key].value
    elif value is None:
        value = pool.value(name)
    if name == "slowlog" and not value.startswith("/"):
        value = "/usr/" + value            # php-fpm prints a relative path under its prefix
    if name == "catch_workers_output":
        value = "yes" if value == "1" else "no"
    assert value == expected


ERRORS = [
    ("foo = bar", 9, 1, "unknown entry 'foo'"),
    ("slowlog = a(b", 9, 12, "syntax error, unexpected '('"),
    ("slowlog = a=b", 9, 12, "syntax error, unexpected '='"),
    ('slowlog = "abc', 9, 15, "syntax error, unexpected end of file, expecting TC_DOLLAR_CURLY"),
    ("[www", 9, 5, "syntax error, unexpected end of file, expecting ']'"),
    ("catch_workers_output = maybe", 9, 24,
     "unable to parse value for entry 'catch_workers_output': invalid boolean value"),
    ("pm.max_children = 2x", 9, 19, "unable to parse value for entry 'pm.max_children': is not a valid number"),
    ("php_admin_value[] = x", 9, 1, "You must provide a key for field 'php_admin_value'"),
    ("slowlog", 9, 1, "value is NULL for a ZEND_INI_PARSER_ENTRY"),
    ("include = {d}/nope/*.conf", 9, 11, "Unable to globalize '{d}/nope/*.conf' (ret=2)"),
]


@needs_fpm
@pytest.mark.parametrize("line,row,column,message", ERRORS)
def test_refusals_worded_like_php_fpm(tree_dir, line, row, column, message):
    path = os.path.join(tree_dir, "v.conf")
    line, message = line.format(d=tree_dir), message.format(d=tree_dir)
    with open(path, "w") as fh:
        fh.write(HEAD.format(d=tree_dir) + line + "\n")
    code, output = _real(path)
    assert code != 0
    words = message.split(":")[0] if "unexpected" not in message else message[:40]
    assert words in output, output       # php-fpm says the same thing
    _conf, diags = _read(path)
    [error] = diags.errors
    assert message in error.message
    assert (error.position()["line"], error.position()["column"]) == (row, column)


@needs_fpm
def test_pool_level_refusals(tree_dir):
    path = os.path.join(tree_dir, "p.conf")
    with open(path, "w") as fh:
        fh.write(f"[global]\npid = {tree_dir}/fpm.pid\n[www]\nlisten = 9000\npm = static\npm.max_children = 1\n")
    code, output = _real(path)
    assert code != 0 and "[pool www] user has not been defined" in output
    _conf, diags = _read(path)
    assert [str(d) for d in diags.errors] == [f"{path}:3:1: [pool www] user has not been defined"]


def test_includes_sections_and_pool_names(tree_dir):
    pools = os.path.join(tree_dir, "pool.d")
    os.mkdir(pools)
    with open(os.path.join(tree_dir, "php-fpm.conf"), "w") as fh:
        fh.write(f"[global]\npid = {tree_dir}/fpm.pid\ninclude={pools}/*.conf\n")
    with open(os.path.join(pools, "b.conf"), "w") as fh:
        fh.write("[shop]\nuser = shop\nlisten = /run/php/$pool.sock\npm = ondemand\npm.max_children = 2\n"
                 "listen.owner = www-data\nlisten.mode = 0660\n")
    with open(os.path.join(pools, "a.conf"), "w") as fh:
        fh.write("[blog]\nuser = blog\nlisten = 127.0.0.1:9001\npm = static\npm.max_children = 1\n"
                 "security.limit_extensions = .php .php5\n[SHOP]\ngroup = shopg\n")
    conf, diags = _read(os.path.join(tree_dir, "php-fpm.conf"))
    assert not diags.items
    # a.conf comes first (sorted glob) and names SHOP; b.conf's [shop] re-opens it (names compare without case)
    assert [p.name for p in conf.pools] == ["blog", "SHOP"]
    blog, shop = conf.pools
    assert str(blog.listen) == "127.0.0.1:9001" and blog.limit_extensions == (".php", ".php5")
    assert shop.listen.unix == "/run/php/SHOP.sock"
    assert shop.group == "shopg" and shop.user == "shop" and shop.limit_extensions == (".php", ".phar")
    assert shop.entry("listen.mode").line == 7 and shop.entry("listen.mode").file.endswith("b.conf")


def test_missing_include_is_a_warning(tree_dir):
    main = os.path.join(tree_dir, "php-fpm.conf")
    with open(main, "w") as fh:
        fh.write(f"[global]\ninclude={tree_dir}/missing.conf\n[www]\nuser = a\nlisten = 9000\npm = static\npm.max_children = 1\n")
    _conf, diags = _read(main)
    assert not diags.errors
    assert [d.message for d in diags.items] == [
        f"Nothing matches the include pattern '{tree_dir}/missing.conf' from php-fpm.conf at line 2."]


def test_a_bad_pool_file_is_exit_2_in_php_fpm_words_and_the_server_is_still_scanned(tree_dir):
    import contextlib
    import io
    import json

    from confcheck.cli import main
    nginx = os.path.join(tree_dir, "nginx.conf")
    with open(nginx, "w") as fh:
        fh.write("events {}\nhttp {\n  server {\n    listen 80;\n    location /admin/ {\n      deny all;\n"
                 "      allow 10.0.0.0/8;\n    }\n  }\n}\n")
    pool = os.path.join(tree_dir, "php-fpm.conf")
    with open(pool, "w") as fh:
        fh.write("[global]\n[www]\nuser = www-data\nlisten = /run/php/x.sock\npm = static\n"
                 "pm.max_children = 1\nlisten.mode = \"0660\nfoo = 1\n")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["scan", "--no-fs", "--format", "json", nginx, pool])
    doc = json.loads(out.getvalue())
    assert code == 2
    assert [(e["file"], e["line"], e["column"], e["message"]) for e in doc["errors"]] == [
        (pool, 7, 20, "syntax error, unexpected end of file, expecting TC_DOLLAR_CURLY or TC_QUOTED_STRING or '\"'")]
    assert [f["rule"] for f in doc["findings"]] == ["NGX102"]      # nginx's own finding is still there


def test_a_value_from_php_fpms_environment_makes_the_answer_unknown(tree_dir):
    from confcheck.servers.nginx.request import Request
    from confcheck.why import WhyOptions, explain, prepare
    nginx = os.path.join(tree_dir, "nginx.conf")
    with open(nginx, "w") as fh:
        fh.write("user www-data;\nevents {}\nhttp {\n  server {\n    listen 80;\n    root " + tree_dir + ";\n"
                 "    location ~ \\.php$ {\n      fastcgi_param REQUEST_METHOD $request_method;\n"
                 "      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n"
                 f"      fastcgi_pass unix:{tree_dir}/a.sock;\n    }}\n  }}\n}}\n")
    pool = os.path.join(tree_dir, "php-fpm.conf")
    with open(pool, "w") as fh:
        fh.write(f"[www]\nuser = ${{SITE_USER}}\nlisten = {tree_dir}/a.sock\npm = static\npm.max_children = 1\n")
    with open(os.path.join(tree_dir, "i.php"), "w") as fh:
        fh.write("<?php\n")
    prepared = prepare(WhyOptions(configs=[nginx, pool]))
    outcome = explain(prepared, Request.parse("http://127.0.0.1/i.php", "GET", {}, "127.0.0.1"))
    assert outcome.status is None
    assert outcome.reason.startswith("user at ") and "reads ${SITE_USER} from php-fpm's environment" in outcome.reason

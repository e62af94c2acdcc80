"""php.ini as php-fpm reads it: the values against real PHP (`php-fpm8.2 -c FILE -i` prints
every ini value it settled on), which php.ini a php-fpm.conf runs with (Debian's and RHEL's
layouts under --root, the unit's -c/-n/PHPRC, the installed one), ${VAR} from the unit's
Environment=, TCP listen addresses, and a bad php.ini as an input error that stops nothing."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess

import pytest

from confcheck.inputs.model import Config
from confcheck.inputs.read import load
from confcheck.parsers.php_ini import read_ini_file
from confcheck.servers.phpfpm.handoff import connect, localhost_addresses
from confcheck.servers.phpfpm.phpini import PhpIni
from confcheck.servers.phpfpm.pools import Listen, parse_listen
from confcheck.source import Diagnostics

# Found the way test_phpfpm_reader.py finds it (a test module is not importable as a package here).
FPM = shutil.which("php-fpm8.2") or ("/usr/sbin/php-fpm8.2" if os.path.exists("/usr/sbin/php-fpm8.2") else None)

needs_php = pytest.mark.skipif(FPM is None, reason="needs php-fpm8.2")
KEYS = ("cgi.fix_pathinfo", "open_basedir", "doc_root", "user_dir", "user_ini.filename")


def _write(base: str, files: dict[str, str]) -> None:
    for path, text in files.items():
        full = os.path.join(base, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as fh:
            fh.write(text)


def _php_sees(ini: str) -> dict[str, str]:
    run = subprocess.run([FPM, "-c", ini, "-i"], capture_output=True, text=True, timeout=60,
                         env={"PHP_INI_SCAN_DIR": "", "SITE": "/srv/env"})
    out = {}
    for key in KEYS:
        match = re.search(r"^" + re.escape(key) + r" => (.*?) => ", run.stdout, re.M)
        out[key] = match.group(1) if match else None
    return out


INIS = [
    "cgi.fix_pathinfo = 0\nopen_basedir = /srv/a:/tmp\n",
    "[PHP]\ncgi.fix_pathinfo=off\nopen_basedir = \"/srv/x\" ; why\ndoc_root = ${SITE}/docs\n",
    "cgi.fix_pathinfo = yes\nuser_ini.filename =\nuser_dir = public_html\nopen_basedir = '/q'\n",
    "open_basedir = /one\nopen_basedir = /two\n[PATH=/srv/p]\nopen_basedir = /tmp\n",
]


@needs_php
@pytest.mark.parametrize("text", INIS)
def test_global_values_as_php_reads_them(tree_dir, text):
    path = os.path.join(tree_dir, "php.ini")
    _write(tree_dir, {"php.ini": text})
    diags = Diagnostics()
    ini = PhpIni("test", [read_ini_file(path, diags, env={"SITE": "/srv/env"})])
    assert diags.items == []
    real = _php_sees(path)
    for key in KEYS:
        mine = ini.global_setting(key)
        want = real[key]
        shown = {"no value": ""}.get(want, want)
        if key == "cgi.fix_pathinfo":       # phpinfo shows booleans as On/Off
            assert ("On" if mine.on else "Off") == want, key
        else:
            assert (mine.value or "") == shown, key


def test_path_and_host_sections_are_scoped(tree_dir):
    _write(tree_dir, {"php.ini": "[PATH=/srv/p/]\nopen_basedir = /tmp\n[Date]\ndate.timezone = UTC\n"
                                 "[HOST=Example.COM]\ndoc_root = /x\n"})
    diags = Diagnostics()
    ini = PhpIni("test", [read_ini_file(os.path.join(tree_dir, "php.ini"), diags)])
    assert [(s, e.label, e.value) for s, e in ini.scoped("PATH")] == [("/srv/p", "open_basedir", "/tmp")]
    assert [(s, e.label) for s, e in ini.scoped("HOST")] == [("example.com", "doc_root")]
    assert ini.global_setting("date.timezone").value == "UTC"       # [Date] scopes nothing


@needs_php
def test_a_syntax_error_is_worded_like_php_and_placed(tree_dir):
    path = os.path.join(tree_dir, "php.ini")
    _write(tree_dir, {"php.ini": "a = 1\nopen_basedir = /a)\nb = (1|2)\n"})
    diags = Diagnostics()
    read_ini_file(path, diags)
    [error] = diags.errors
    assert (error.span.line, error.span.column, error.message) == (2, 18, "syntax error, unexpected ')'")
    real = subprocess.run([FPM, "-c", path, "-i"], capture_output=True, text=True, timeout=60,
                          env={"PHP_INI_SCAN_DIR": ""})
    assert "syntax error, unexpected ')' in " + path + " on line 2" in real.stdout + real.stderr


def test_an_expression_is_not_an_error_in_php_ini_but_not_computed(tree_dir):
    _write(tree_dir, {"php.ini": "open_basedir = (1|2)\ncgi.fix_pathinfo = !0\n"})
    diags = Diagnostics()
    ini = PhpIni("test", [read_ini_file(os.path.join(tree_dir, "php.ini"), diags)])
    assert diags.items == []
    for key in ("open_basedir", "cgi.fix_pathinfo"):
        setting = ini.global_setting(key)
        assert setting.value is None and "an expression of PHP constants" in setting.why_unknown


POOL = "[www]\nuser = {user}\nlisten = /run/php/www.sock\npm = static\npm.max_children = 1\n"


def test_rhel_layout_under_root(tree_dir):
    _write(tree_dir, {"/etc/php-fpm.conf": "[global]\npid = /run/php-fpm/php-fpm.pid\ninclude=/etc/php-fpm.d/*.conf\n",
                      "/etc/php-fpm.d/www.conf": POOL.format(user="apache"),
                      "/etc/php.ini": "[PHP]\ncgi.fix_pathinfo = 0\n",
                      "/etc/php.d/20-basedir.ini": "open_basedir = /var/www\n"})
    item = load(Config("php-fpm", "main", os.path.join(tree_dir, "etc/php-fpm.conf")), tree_dir)
    conf = item.tree
    assert [p.name for p in conf.pools] == ["www"] and item.diags.items == []
    assert conf.php_ini.how == "/etc/php.ini (RHEL's layout)"
    assert conf.php_ini.global_setting("cgi.fix_pathinfo").value == "0"
    assert conf.php_ini.global_setting("open_basedir").value == "/var/www"
    assert [f.source.display_path for f in conf.php_ini.files] == ["/etc/php.ini", "/etc/php.d/20-basedir.ini"]


def test_debian_unit_gives_php_ini_and_environment(tree_dir):
    unit = ("[Service]\nEnvironment=SITE_USER=web \"OTHER=a b\"\n"
            "ExecStart=/usr/sbin/php-fpm8.2 --nodaemonize --fpm-config /etc/php/8.2/fpm/php-fpm.conf -c /etc/php/site.ini\n")
    _write(tree_dir, {"/lib/systemd/system/php8.2-fpm.service": unit,
                      "/etc/php/8.2/fpm/php-fpm.conf": "[global]\ninclude=/etc/php/8.2/fpm/pool.d/*.conf\n",
                      "/etc/php/8.2/fpm/pool.d/www.conf": POOL.format(user="${SITE_USER}"),
                      "/etc/php/8.2/fpm/php.ini": "open_basedir = /not/this\n",
                      "/etc/php/site.ini": "open_basedir = /srv/site\n"})
    conf = load(Config("php-fpm", "main", os.path.join(tree_dir, "etc/php/8.2/fpm/php-fpm.conf")), tree_dir).tree
    [pool] = conf.pools
    assert pool.user == "web" and pool.entry("user").env == () and pool.entry("user").env_given == ("SITE_USER",)
    assert pool.from_environment("user") is None
    assert conf.php_ini.how.startswith("/etc/php/site.ini (-c in ExecStart at /lib/systemd/system/php8.2-fpm.service:3")
    assert conf.php_ini.global_setting("open_basedir").value == "/srv/site"
    from confcheck.servers.phpfpm.handoff import _environment_steps
    [(_name, said)] = _environment_steps(pool)
    assert "${SITE_USER} = 'web' (php8.2-fpm.service, /lib/systemd/system/php8.2-fpm.service:2" in said


def test_without_a_unit_a_variable_stays_unknown_and_n_means_no_php_ini(tree_dir):
    _write(tree_dir, {"/lib/systemd/system/php8.2-fpm.service":
                      "[Service]\nExecStart=/usr/sbin/php-fpm8.2 -n --nodaemonize\n",
                      "/etc/php/8.2/fpm/php-fpm.conf": POOL.format(user="${SITE_USER}"),
                      "/etc/php/8.2/fpm/php.ini": "open_basedir = /not/this\n"})
    conf = load(Config("php-fpm", "main", os.path.join(tree_dir, "etc/php/8.2/fpm/php-fpm.conf")), tree_dir).tree
    assert conf.pools[0].from_environment("user") is not None
    assert conf.php_ini.files == [] and "-n in php8.2-fpm.service" in conf.php_ini.how
    assert conf.php_ini.global_setting("open_basedir").value == ""


def test_several_installed_php_ini_that_disagree_make_the_setting_unknown(tree_dir):
    _write(tree_dir, {"/srv/php-fpm.conf": POOL.format(user="www-data"),
                      "/etc/php/8.1/fpm/php.ini": "cgi.fix_pathinfo = 0\nopen_basedir = /a\n",
                      "/etc/php/8.2/fpm/php.ini": "cgi.fix_pathinfo = 0\nopen_basedir = /b\n"})
    conf = load(Config("php-fpm", "main", os.path.join(tree_dir, "srv/php-fpm.conf")), tree_dir).tree
    assert conf.php_ini.global_setting("cgi.fix_pathinfo").value == "0"       # they agree
    basedir = conf.php_ini.global_setting("open_basedir")
    assert basedir.value is None and "differs between the php.ini files installed" in basedir.why_unknown


@pytest.mark.parametrize("value,want", [
    ("9000", Listen(port=9000)), ("[::]:9000", Listen(port=9000)), ("*:9000", Listen(port=9000)),
    ("0.0.0.0:9000", Listen(host="0.0.0.0", port=9000)), ("127.0.0.1:9000", Listen(host="127.0.0.1", port=9000)),
    ("[::1]:9000", Listen(host="::1", port=9000)), ("localhost:9000", Listen(host="localhost", port=9000)),
    ("php.sock", Listen(unix="/usr/php.sock")),
])
def test_listen_values(value, want):
    assert parse_listen(value, "/usr") == want


class _Hosts:
    def __init__(self, hosts: str, gai: str | None = None):
        self.files = {"/etc/hosts": hosts.encode(), "/etc/gai.conf": None if gai is None else gai.encode()}

    def read_bytes(self, path):
        return self.files.get(path)


def test_localhost_follows_etc_hosts_in_getaddrinfo_order():
    assert localhost_addresses(_Hosts("127.0.0.1 localhost\n")) == ("127.0.0.1",)
    assert localhost_addresses(_Hosts("127.0.0.1 localhost\n::1 localhost ip6-localhost\n")) == ("::1", "127.0.0.1")
    assert localhost_addresses(_Hosts("127.0.0.1 localhost\n", "precedence ::ffff:0:0/96 100\n")) is None


def test_a_pool_on_localhost_is_reached_where_php_fpm_bound_it(tree_dir):
    _write(tree_dir, {"php-fpm.conf": "[a]\nuser = nobody\nlisten = localhost:9000\npm = static\n"
                                      "pm.max_children = 1\n"})
    pools = load(Config("php-fpm", "main", os.path.join(tree_dir, "php-fpm.conf")), None).tree.pools
    v4, both = ("127.0.0.1",), ("::1", "127.0.0.1")
    assert connect(pools, Listen(host="127.0.0.1", port=9000), v4)[0] is pools[0]
    assert connect(pools, Listen(host="127.0.0.1", port=9000), both)[0] is None     # bound on ::1
    assert connect(pools, Listen(host="localhost", port=9000), both)[:2] == (pools[0], "::1")
    assert connect(pools, Listen(host="127.0.0.1", port=9000), None)[2] is pools[0]  # not known


def test_a_bad_php_ini_is_exit_2_and_the_rest_is_still_scanned(tree_dir):
    from confcheck.cli import main
    nginx = os.path.join(tree_dir, "nginx.conf")
    _write(tree_dir, {"nginx.conf": "events {}\nhttp {\n  server {\n    listen 80;\n    location /admin/ {\n"
                                    "      deny all;\n      allow 10.0.0.0/8;\n    }\n  }\n}\n",
                      "php-fpm.conf": POOL.format(user="www-data"),
                      "php.ini": "[PHP]\nopen_basedir = /srv)\n"})
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["scan", "--no-fs", "--format", "json", nginx, os.path.join(tree_dir, "php-fpm.conf"),
                     os.path.join(tree_dir, "php.ini")])
    doc = json.loads(out.getvalue())
    assert code == 2
    assert [(e["file"], e["line"], e["column"], e["message"]) for e in doc["errors"]] == [
        (os.path.join(tree_dir, "php.ini"), 2, 20, "syntax error, unexpected ')'")]
    assert [f["rule"] for f in doc["findings"]] == ["NGX102"]

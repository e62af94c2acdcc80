"""One decision of which systemd unit starts a php-fpm.conf: the pools' view of the disk
(fs.sandbox.for_server) and the master's php.ini/environment (servers.phpfpm.unit.started_by)
must name the same unit, read the way systemd 252 reads it (drop-ins, ExecStart= reset by an
empty assignment, EnvironmentFile= over Environment=) and the way php-fpm 8.2 reads its
command line (-y FILE, -yFILE, --fpm-config FILE, --fpm-config=FILE; built-in config by binary)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from confcheck.fs.live import LiveFs
from confcheck.fs.sandbox import for_server
from confcheck.servers.phpfpm.unit import started_by

DEBIAN = "/lib/systemd/system/php8.2-fpm.service"
DROPIN = "/etc/systemd/system/php8.2-fpm.service.d/override.conf"
CONF = "/etc/php/8.2/fpm/php-fpm.conf"
FPM = shutil.which("php-fpm8.2") or ("/usr/sbin/php-fpm8.2" if os.path.exists("/usr/sbin/php-fpm8.2") else None)


def _write(base, files):
    for path, text in files.items():
        full = os.path.join(base, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as fh:
            fh.write(text)


def _both(root, conf):
    """(unit name per the sandbox finder, unit name per the php.ini finder): always equal."""
    unit, _box = for_server(LiveFs(str(root), xattrs=False), "php-fpm", conf)
    started = started_by(conf, str(root))
    return (unit.name if unit else None), (started.unit if started else None)


@pytest.mark.parametrize("arg", ["-y /srv/fpm.conf", "-y/srv/fpm.conf", "--fpm-config /srv/fpm.conf",
                                 "--fpm-config=/srv/fpm.conf"])
def test_every_form_php_fpm_takes_names_the_config(tmp_path, arg):
    _write(tmp_path, {DEBIAN: f"[Service]\nExecStart=/usr/sbin/php-fpm8.2 --nodaemonize {arg}\n"})
    assert _both(tmp_path, "/srv/fpm.conf") == ("php8.2-fpm.service",) * 2
    assert _both(tmp_path, CONF) == (None, None)


@pytest.mark.skipif(FPM is None, reason="needs php-fpm8.2")
@pytest.mark.parametrize("arg", ["-y/nonexistent/a.conf", "--fpm-config=/nonexistent/a.conf"])
def test_php_fpm_itself_takes_the_attached_forms(arg):
    # php-fpm -t only reads the configuration: it names the file it was told to load
    run = subprocess.run([FPM, "-t", arg], capture_output=True, text=True, timeout=30)
    assert "'/nonexistent/a.conf'" in run.stderr + run.stdout


def test_without_y_the_binary_decides_the_built_in_config_not_the_unit_name(tmp_path):
    # a php8.2-fpm.service edited to run php-fpm8.3 loads 8.3's compiled-in php-fpm.conf
    _write(tmp_path, {DEBIAN: "[Service]\nExecStart=/usr/sbin/php-fpm8.3 --nodaemonize\n"})
    assert _both(tmp_path, "/etc/php/8.3/fpm/php-fpm.conf") == ("php8.2-fpm.service",) * 2
    assert _both(tmp_path, CONF) == (None, None)


def test_a_drop_in_replacing_exec_start_moves_the_unit_to_its_config(tmp_path):
    _write(tmp_path, {DEBIAN: f"[Service]\nExecStart=/usr/sbin/php-fpm8.2 --nodaemonize --fpm-config {CONF}\n",
                      DROPIN: "[Service]\nExecStart=\nExecStart=/usr/sbin/php-fpm8.2 --nodaemonize -y /srv/f.conf\n"})
    assert _both(tmp_path, "/srv/f.conf") == ("php8.2-fpm.service",) * 2
    assert _both(tmp_path, CONF) == (None, None)


def test_exec_start_reset_to_nothing_starts_nothing(tmp_path):
    # systemd refuses a service with no ExecStart= ("Service has no ExecStart=... Refusing")
    _write(tmp_path, {DEBIAN: f"[Service]\nExecStart=/usr/sbin/php-fpm8.2 --nodaemonize --fpm-config {CONF}\n",
                      DROPIN: "[Service]\nExecStart=\n"})
    assert _both(tmp_path, CONF) == (None, None)


def test_a_second_exec_start_without_reset_starts_nothing(tmp_path):
    # Type=notify with two ExecStart=: "only allowed for Type=oneshot services. Refusing."
    _write(tmp_path, {DEBIAN: f"[Service]\nType=notify\nExecStart=/usr/sbin/php-fpm8.2 --fpm-config {CONF}\n",
                      DROPIN: "[Service]\nExecStart=/usr/sbin/php-fpm8.2 -y /srv/f.conf\n"})
    assert _both(tmp_path, CONF) == (None, None) and _both(tmp_path, "/srv/f.conf") == (None, None)


def test_a_masked_unit_starts_nothing(tmp_path):
    _write(tmp_path, {DEBIAN: f"[Service]\nExecStart=/usr/sbin/php-fpm8.2 --fpm-config {CONF}\n",
                      "/etc/systemd/system/php8.2-fpm.service": ""})
    assert _both(tmp_path, CONF) == (None, None)


def test_rhel_and_scl_style_units_are_found_by_both(tmp_path):
    _write(tmp_path, {"/usr/lib/systemd/system/php-fpm.service": "[Service]\nExecStart=/usr/sbin/php-fpm --nodaemonize\n",
                      "/usr/lib/systemd/system/php74-php-fpm.service":
                      "[Service]\nExecStart=/opt/remi/php74/root/usr/sbin/php-fpm -y /etc/opt/remi/php74/php-fpm.conf\n"})
    assert _both(tmp_path, "/etc/php-fpm.conf") == ("php-fpm.service",) * 2
    assert _both(tmp_path, "/etc/opt/remi/php74/php-fpm.conf") == ("php74-php-fpm.service",) * 2


def test_environment_file_overrides_environment_and_empty_assignments_reset(tmp_path):
    _write(tmp_path, {DEBIAN: f"[Service]\nEnvironment=A=unit B=unit GONE=x\nEnvironmentFile=/etc/old.env\n"
                              f"ExecStart=/usr/sbin/php-fpm8.2 --fpm-config {CONF}\n",
                      DROPIN: "[Service]\nEnvironment=\nEnvironment=A=dropin B=dropin\n"
                              "EnvironmentFile=\nEnvironmentFile=-/etc/site.env\n",
                      "/etc/old.env": "OLD=1\n", "/etc/site.env": "B=file\n"})
    env = started_by(CONF, str(tmp_path)).env
    assert {k: v for k, (v, _where) in env.items()} == {"A": "dropin", "B": "file"}
    assert env["A"][1] == f"{DROPIN}:3:1"

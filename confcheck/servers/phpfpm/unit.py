"""The systemd unit that starts a php-fpm master: which php-fpm.conf (`-y`/`--fpm-config`,
else the binary's built-in one), which php.ini (`-c`/`--php-ini`, `-n`, Environment=PHPRC)
and the environment its `${VAR}` values read (Environment=, EnvironmentFile=).

Debian names the unit php<V>-fpm.service (ExecStart=/usr/sbin/php-fpm<V> --nodaemonize
--fpm-config /etc/php/<V>/fpm/php-fpm.conf), RHEL php-fpm.service (ExecStart=/usr/sbin/php-fpm
--nodaemonize, EnvironmentFile=/etc/sysconfig/php-fpm on older releases).
"""

from __future__ import annotations

import glob
import os
import posixpath
import re
import shlex
from dataclasses import dataclass, field

from confcheck.inputs.paths import local_path

_BINARY = re.compile(r"php-fpm(\d+\.\d+)?$")


@dataclass
class Started:
    unit: str                                   # php8.2-fpm.service
    where: str                                  # the ExecStart line (file:line:column)
    php_ini: str | None = None                  # -c FILE|DIR or PHPRC (a server path)
    php_ini_from: str = ""                      # "-c at ...", "Environment=PHPRC at ..."
    no_ini: bool = False                        # -n
    env: dict[str, tuple[str, str]] = field(default_factory=dict)   # name -> (value, where set)


def _default_conf(binary: str) -> str | None:
    found = _BINARY.search(posixpath.basename(binary))
    if found is None:
        return None
    return f"/etc/php/{found.group(1)}/fpm/php-fpm.conf" if found.group(1) else "/etc/php-fpm.conf"


def _option(words: list[str], *names: str) -> str | None:
    for i, word in enumerate(words):
        for name in names:
            if word == name and i + 1 < len(words):
                return words[i + 1]
            if name.startswith("--") and word.startswith(name + "="):
                return word[len(name) + 1:]
            if not name.startswith("--") and word.startswith(name) and len(word) > len(name):
                return word[len(name):]
    return None


def started_by(conf_server_path: str, root: str | None) -> Started | None:
    """The enabled-or-not unit whose ExecStart runs the php-fpm.conf at `conf_server_path`."""
    from confcheck.fs.live import LiveFs
    from confcheck.parsers.systemd_unit import SEARCH_PATH, load_unit
    names = sorted({os.path.basename(p) for folder in SEARCH_PATH
                    for p in glob.glob(os.path.join(local_path(folder, root), "php*-fpm.service"))})
    if not names:
        return None
    fs = LiveFs(root, xattrs=False)
    for name in names:
        unit = load_unit(fs, name)      # shown by server paths, as the php-fpm files are
        if unit is None or unit.masked:
            continue
        starts = [a for a in unit.get("Service", "ExecStart") if a.value]
        if not starts:
            continue
        try:
            words = shlex.split(starts[-1].value.lstrip("@-:+!"))
        except ValueError:
            continue
        if not words:
            continue
        conf = _option(words[1:], "--fpm-config", "-y") or _default_conf(words[0])
        if conf is None or posixpath.normpath(conf) != posixpath.normpath(conf_server_path):
            continue
        started = Started(name, starts[-1].where, no_ini="-n" in words[1:], env=_environment(unit, root))
        ini = _option(words[1:], "--php-ini", "-c")
        if ini is not None:
            started.php_ini, started.php_ini_from = ini, f"-c in ExecStart at {starts[-1].where}"
        elif "PHPRC" in started.env:
            started.php_ini = started.env["PHPRC"][0]
            started.php_ini_from = f"PHPRC at {started.env['PHPRC'][1]}"
        return started
    return None


def _environment(unit, root: str | None) -> dict[str, tuple[str, str]]:
    """Environment= and EnvironmentFile= in the order systemd applies them (files first)."""
    from confcheck.apps.django.discover import read_env_file
    out: dict[str, tuple[str, str]] = {}
    for item in unit.get("Service", "EnvironmentFile"):
        out.update(read_env_file(local_path(item.value.lstrip("-"), root)))
    for item in unit.get("Service", "Environment"):
        try:
            words = shlex.split(item.value)
        except ValueError:
            continue
        for word in words:
            key, sep, value = word.partition("=")
            if sep:
                out[key] = (value, item.where)
    return out

"""The systemd unit that starts a php-fpm master: which php-fpm.conf (`-y`/`--fpm-config`,
else the binary's built-in one), which php.ini (`-c`/`--php-ini`, `-n`, Environment=PHPRC)
and the environment its `${VAR}` values read (Environment=, EnvironmentFile=).

Debian names the unit php<V>-fpm.service (ExecStart=/usr/sbin/php-fpm<V> --nodaemonize
--fpm-config /etc/php/<V>/fpm/php-fpm.conf), RHEL php-fpm.service (ExecStart=/usr/sbin/php-fpm
--nodaemonize, EnvironmentFile=/etc/sysconfig/php-fpm on older releases).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from confcheck.inputs.paths import local_path


@dataclass
class Started:
    unit: str                                   # php8.2-fpm.service
    where: str                                  # the ExecStart line (file:line:column)
    php_ini: str | None = None                  # -c FILE|DIR or PHPRC (a server path)
    php_ini_from: str = ""                      # "-c at ...", "Environment=PHPRC at ..."
    no_ini: bool = False                        # -n
    env: dict[str, tuple[str, str]] = field(default_factory=dict)   # name -> (value, where set)
    user: tuple[str, str] | None = None         # User= other than root: (its text, file:line:column)


def started_by(conf_server_path: str, root: str | None, fs=None) -> Started | None:
    """The enabled-or-not unit whose ExecStart runs the php-fpm.conf at `conf_server_path`, as
    fs.sandbox.starting_unit decides it (the same unit gives the pools their view of the disk),
    on the view `fs` (default: the disk under `root`)."""
    from confcheck.fs.sandbox import exec_start, option, starting_unit
    if fs is None:
        from confcheck.fs.live import LiveFs
        fs = LiveFs(root, xattrs=False)
    unit = starting_unit(fs, "php-fpm", conf_server_path)     # shown by server paths, as the php-fpm files are
    if unit is None:
        return None
    words = exec_start(unit) or []
    where = [a for a in unit.get("Service", "ExecStart") if a.value][-1].where
    started = Started(unit.name, where, no_ini="-n" in words[1:], env=_environment(unit, root))
    users = [a for a in unit.get("Service", "User")]
    if users and users[-1].value not in ("", "root", "0"):
        started.user = (users[-1].text, users[-1].where)
    ini = option(words[1:], "--php-ini", "-c")
    if ini is not None:
        started.php_ini, started.php_ini_from = ini, f"-c in ExecStart at {where}"
    elif "PHPRC" in started.env:
        started.php_ini = started.env["PHPRC"][0]
        started.php_ini_from = f"PHPRC at {started.env['PHPRC'][1]}"
    return started


def _environment(unit, root: str | None) -> dict[str, tuple[str, str]]:
    from confcheck.apps.django.discover import read_env_file
    from confcheck.parsers.systemd_unit import environment
    return environment(unit, lambda path: read_env_file(local_path(path, root)))

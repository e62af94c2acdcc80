"""Which php.ini a php-fpm master runs with, and the settings in it that decide
which file php-fpm opens for a request, or whether it refuses it.

Where php-fpm 8.2 finds php.ini (main/php_ini.c): `-c FILE|DIR` or `$PHPRC`
first, else the compiled-in folder, then every `*.ini` of the scan folder in
name order (conf.d). Offline, the compiled-in folder is known from the
layout the php-fpm.conf belongs to:

* Debian/Ubuntu: /etc/php/V/fpm/php-fpm.conf -> /etc/php/V/fpm/php.ini + conf.d/
* RHEL/Fedora:   /etc/php-fpm.conf -> /etc/php.ini + /etc/php.d/
* the official images and source builds: /usr/local/etc/php-fpm.conf ->
  /usr/local/etc/php/php.ini + conf.d/
* a php-fpm.conf elsewhere (started with -y): the php.ini of the php-fpm
  installed (/etc/php/*/fpm/php.ini on Debian, /etc/php.ini on RHEL); when
  several are installed and they disagree on a setting, that setting is not
  known.

A php.ini named on the command line is the one php-fpm runs with (as `-c`),
with the scan folder of the layout. Nothing found: PHP's built-in defaults.

Settings apply in php-fpm's order: php.ini (global), the pool's
php_value/php_flag/php_admin_value/php_admin_flag (the child's startup values),
then per request the php.ini `[PATH=dir]` sections of the script's folder and
its ancestors (not for cgi.fix_pathinfo: that is read before them), then the
`.user.ini` files (php_cgi_ini_activate_user_config; only settings a user may
change: open_basedir only tightened, php_admin_* locked).
"""

from __future__ import annotations

import glob
import os
import posixpath
import re
from dataclasses import dataclass, field

from confcheck.inputs.paths import local_path, server_path
from confcheck.parsers.php_ini import IniFile, read_ini_file
from confcheck.parsers.phpfpm_ini import Entry
from confcheck.source import Diagnostics

# what PHP's own defaults are for the settings the model reads
DEFAULTS = {"cgi.fix_pathinfo": "1", "cgi.discard_path": "0", "doc_root": "", "user_dir": "",
            "open_basedir": "", "user_ini.filename": ".user.ini"}
# PHP_INI_SYSTEM: a .user.ini cannot set them
SYSTEM_ONLY = frozenset({"cgi.fix_pathinfo", "cgi.discard_path", "doc_root", "user_dir", "user_ini.filename"})

_DEBIAN = re.compile(r"^/etc/php/([^/]+)/fpm/php-fpm\.conf$")
_LAYOUTS = ((_DEBIAN, r"/etc/php/\1/fpm/php.ini", r"/etc/php/\1/fpm/conf.d", "Debian's layout"),
            (re.compile(r"^/etc/php-fpm\.conf$"), "/etc/php.ini", "/etc/php.d", "RHEL's layout"),
            (re.compile(r"^/usr/local/etc/php-fpm\.conf$"), "/usr/local/etc/php/php.ini",
             "/usr/local/etc/php/conf.d", "a source build's layout"))
_INSTALLED = (("/etc/php/*/fpm/php.ini", "conf.d"), ("/etc/php.ini", "/etc/php.d"))


@dataclass(frozen=True)
class Setting:
    """One php.ini setting as php-fpm settled it for a request."""

    key: str
    value: str | None                  # None: not known offline
    entry: Entry | None = None         # the line that set it (None: PHP's default)
    where: str = "PHP's default"       # "php.ini", "pool", "[PATH=/x] in php.ini", ".user.ini"
    why_unknown: str = ""

    @property
    def on(self) -> bool:
        """PHP's OnUpdateBool: on/yes/true, or a non-zero number."""
        value = (self.value or "").strip().lower()
        if value in ("on", "yes", "true"):
            return True
        digits = re.match(r"[+-]?\d+", value)
        return bool(digits and int(digits.group(0)) != 0)

    def cited(self) -> str:
        if self.entry is None:
            return f"{self.key} = {DEFAULTS.get(self.key, '')!r} (PHP's default)"
        return f"{self.entry.label} = {self.value} ({self.where}, {self.entry.file}:{self.entry.line})"


def setting_of(key: str, entry: Entry, where: str, value: str | None = None) -> Setting:
    """`key` as `entry` sets it; an expression of PHP constants or an environment variable not
    given makes it unknown."""
    if entry.computed or entry.env:
        what = "an expression of PHP constants" if entry.computed else \
            "${" + ", ".join(entry.env) + "} from php-fpm's environment"
        return Setting(key, None, entry, where, f"{entry.label} at {entry.file}:{entry.line} is {what}, which "
                                                 "the model does not compute")
    return Setting(key, entry.value if value is None else value, entry, where)


@dataclass(eq=False)
class PhpIni:
    """The php.ini files one php-fpm master reads, in order, and how they were found."""

    how: str
    files: list[IniFile] = field(default_factory=list)
    conflicts: dict[str, str] = field(default_factory=dict)    # key -> why not known
    _settled: dict[str, Setting] = field(default_factory=dict, repr=False)

    def global_setting(self, key: str) -> Setting:
        if key not in self._settled:        # asked for every request: settled once
            self._settled[key] = self._global(key)
        return self._settled[key]

    def _global(self, key: str) -> Setting:
        if key in self.conflicts:
            return Setting(key, None, why_unknown=self.conflicts[key])
        found = None
        for ini in self.files:
            for item in ini.entries:
                if item.scope is None and item.key == key:
                    found = item.entry
        if found is None:
            return Setting(key, DEFAULTS.get(key))
        return setting_of(key, found, "php.ini")

    def scoped(self, kind: str) -> list[tuple[str, Entry]]:
        """(the section's path or host, entry) of every [PATH=]/[HOST=] entry, in order."""
        return [(item.scope.split("=", 1)[1], item.entry) for ini in self.files for item in ini.entries
                if item.scope is not None and item.scope.startswith(kind + "=")]


def locate(conf_path: str, root: str | None, named: list[str], started=None) -> tuple[list[list[str]], str]:
    """Candidate php.ini sets (local paths, main file first, then the scan folder's files)
    for the php-fpm.conf at local path `conf_path`, and how they were found. `started`: the
    unit starting it (unit.Started), whose -c/PHPRC/-n come before the layout."""
    server = server_path(os.path.abspath(conf_path), root)
    scan = None
    main = None
    how = ""
    for pattern, ini, folder, name in _LAYOUTS:
        if pattern.match(server):
            main, scan, how = pattern.sub(ini, server), pattern.sub(folder, server), name
            break
    if named:
        chosen = named[-1]
        if scan is None:        # the scan folder is compiled in: the installed php-fpm's
            installed = _installed(root)
            scan = installed[0][1] if len(installed) == 1 else None
        return [[chosen] + _scan(scan, root)], f"{server_path(chosen, root)} (named on the command line, as -c)"
    if started is not None and started.no_ini:
        return [], f"-n in {started.unit}'s ExecStart at {started.where}: no php.ini, PHP's built-in defaults"
    if started is not None and started.php_ini:
        chosen = started.php_ini
        if os.path.isdir(local_path(chosen, root)):
            chosen = posixpath.join(chosen, "php.ini")
        if scan is None:
            installed = _installed(root)
            scan = installed[0][1] if len(installed) == 1 else None
        return [_existing(chosen, root) + _scan(scan, root)], f"{chosen} ({started.php_ini_from})"
    if main is not None:
        return [_existing(main, root) + _scan(scan, root)], f"{main} ({how})"
    installed = _installed(root)
    sets = [[path] + _scan(scan_dir, root) for path, scan_dir in installed]
    names = [server_path(path, root) for path, _scan_dir in installed]
    if not sets:
        return [], "no php.ini found: PHP's built-in defaults"
    return sets, ("the php.ini of the php-fpm installed: " + ", ".join(names)
                  + (" (several: a setting they disagree on is not known)" if len(sets) > 1 else ""))


def _installed(root: str | None) -> list[tuple[str, str]]:
    """(local php.ini, its scan folder as the server names it) of each php-fpm installed."""
    out = []
    for pattern, folder in _INSTALLED:
        for path in sorted(glob.glob(local_path(pattern, root))):
            if os.path.isfile(path):
                out.append((path, folder if folder.startswith("/") else
                            posixpath.join(posixpath.dirname(server_path(path, root)), folder)))
    return out


def _existing(path: str, root: str | None) -> list[str]:
    local = local_path(path, root)
    return [local] if os.path.isfile(local) else []


def _scan(folder: str | None, root: str | None) -> list[str]:
    if folder is None:
        return []
    return sorted(p for p in glob.glob(os.path.join(local_path(folder, root), "*.ini")) if os.path.isfile(p))


def load_php_ini(conf_path: str, root: str | None, named: list[str], diags: Diagnostics, started=None) -> PhpIni:
    sets, how = locate(conf_path, root, named, started)
    read: list[list[IniFile]] = []
    for paths in sets:
        read.append([read_ini_file(p, diags, display=server_path(p, root)) for p in paths])
    if not read:
        return PhpIni(how)
    ini = PhpIni(how, read[0])
    for other in read[1:]:
        alt = PhpIni(how, other)
        for key in DEFAULTS:
            mine, theirs = ini._global(key), alt._global(key)
            if mine.value != theirs.value:
                ini.conflicts[key] = (f"{key} differs between the php.ini files installed ({how}): which one this "
                                      "php-fpm reads is not known")
        for kind in ("PATH", "HOST"):
            if [(s, e.label, e.value) for s, e in alt.scoped(kind)] != [(s, e.label, e.value)
                                                                       for s, e in ini.scoped(kind)]:
                for key in DEFAULTS:
                    ini.conflicts.setdefault(key, f"the [{kind}=] sections differ between the php.ini files "
                                                  f"installed ({how})")
    return ini


def settle(pool, key: str, script_dir: str | None = None) -> Setting:
    """`key` as the pool's scripts see it: php.ini, the pool's own php_* entries, then (per
    request, with the script's folder) the [PATH=] sections of that folder and its ancestors."""
    ini = getattr(pool, "php_ini", None) or PhpIni("not read")
    setting = ini.global_setting(key)
    own = pool.php(key)
    if own is not None:
        setting = setting_of(key, own[1], f"pool [{pool.name}]", own[0])
    if script_dir is None or key == "cgi.fix_pathinfo":     # read before the per-dir sections apply
        return setting
    for host, entry in ini.scoped("HOST"):
        if entry.label == key:
            return Setting(key, None, entry, f"[HOST={host}] in php.ini",
                           f"a [HOST={host}] section of php.ini sets {key}: which host name php-fpm receives "
                           "(SERVER_NAME) is not modelled")
    sections = [(path, entry) for path, entry in ini.scoped("PATH") if entry.label == key
                and covers(path, script_dir)]
    for path, entry in sorted(sections, key=lambda item: len(item[0])):   # root first, the script's folder last
        setting = setting_of(key, entry, f"[PATH={path}] in php.ini")
    return setting


def covers(folder: str, path: str) -> bool:
    """`folder` is `path` or one of its ancestors (whole components)."""
    folder = folder.rstrip("/")
    return path == folder or path.startswith(folder + "/")

"""php-fpm's global settings and pools, as php-fpm settles them from what it read.

Entry names are php-fpm 8.2's (sapi/fpm/fpm/fpm_conf.c); an unknown one is the
error php-fpm refuses to start with. `$pool` in a pool's value is the pool's
name. Values keep the Entry they came from, so findings and patches point at
the exact line and span.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from confcheck.parsers.phpfpm_ini import Entry, FpmFiles, Section
from confcheck.source import Diagnostics

GLOBAL_KEYS = frozenset("""pid error_log syslog.facility syslog.ident log_buffering log_level log_limit
emergency_restart_threshold emergency_restart_interval process_control_timeout process.max process.priority
daemonize rlimit_files rlimit_core events.mechanism systemd_interval""".split())
POOL_KEYS = frozenset("""prefix user group listen listen.backlog listen.acl_users listen.acl_groups listen.owner
listen.group listen.mode listen.allowed_clients listen.setfib process.priority process.dumpable pm
pm.max_children pm.start_servers pm.min_spare_servers pm.max_spare_servers pm.max_spawn_rate
pm.process_idle_timeout pm.max_requests pm.status_path pm.status_listen ping.path ping.response access.log
access.format slowlog request_slowlog_timeout request_slowlog_trace_depth request_terminate_timeout
request_terminate_timeout_track_finished rlimit_files rlimit_core chroot chdir catch_workers_output
decorate_workers_output clear_env security.limit_extensions apparmor_hat""".split())
ARRAY_KEYS = frozenset({"env", "php_value", "php_admin_value", "php_flag", "php_admin_flag",
                        "access.suppress_path"})
BOOLEAN_KEYS = frozenset({"daemonize", "log_buffering", "catch_workers_output", "decorate_workers_output",
                          "clear_env", "process.dumpable", "request_terminate_timeout_track_finished"})
INTEGER_KEYS = frozenset({"pm.max_children", "pm.start_servers", "pm.min_spare_servers", "pm.max_spare_servers",
                          "pm.max_spawn_rate", "pm.max_requests", "listen.backlog", "log_limit", "process.max",
                          "emergency_restart_threshold", "request_slowlog_trace_depth"})
DEFAULT_EXTENSIONS = (".php", ".phar")


@dataclass(frozen=True)
class Listen:
    """Where a pool listens: a unix socket path, or a TCP host (None: every address) and port."""

    unix: str | None = None
    host: str | None = None
    port: int | None = None

    def __str__(self) -> str:
        if self.unix is not None:
            return self.unix
        return f"{self.host}:{self.port}" if self.host else f"*:{self.port}"


def parse_listen(value: str, prefix: str) -> Listen | None:
    """php-fpm's `listen`: a port, host:port, [v6]:port or a unix path (relative: under the prefix).
    Measured with php-fpm 8.2: a port alone, `*:`, `[::]:` bind every address, IPv4 and IPv6
    (host None); `0.0.0.0:` every IPv4 address; a name (`localhost:`) the first address it
    resolves to (handoff.localhost_addresses); `[::1]:` IPv6 loopback only."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return Listen(port=int(value))
    host, sep, port = value.rpartition(":")
    if sep and port.isdigit() and "/" not in value:
        host = host.strip("[]").lower()
        return Listen(host=None if host in ("", "*", "::") else host, port=int(port))
    if not value.startswith("/"):
        value = prefix.rstrip("/") + "/" + value
    return Listen(unix=value)


@dataclass(eq=False)
class Pool:
    name: str
    section: Section
    entries: dict[str, Entry] = field(default_factory=dict)     # lower-case name -> last entry
    arrays: dict[str, dict[str, Entry]] = field(default_factory=dict)   # php_admin_value -> key -> entry
    php_ini: object = None      # confcheck.servers.phpfpm.phpini.PhpIni: the master's php.ini
    started: object = None      # confcheck.servers.phpfpm.unit.Started: the unit starting the master

    def entry(self, name: str) -> Entry | None:
        return self.entries.get(name)

    def value(self, name: str, default: str | None = None) -> str | None:
        entry = self.entries.get(name)
        return default if entry is None or entry.value is None else _pool_name(entry.value, self.name)

    @property
    def user(self) -> str | None:
        return self.value("user")

    @property
    def group(self) -> str | None:
        return self.value("group")

    @property
    def listen(self) -> Listen | None:
        value = self.value("listen")
        return None if value is None else parse_listen(value, self.value("prefix") or "/usr")

    @property
    def limit_extensions(self) -> tuple[str, ...]:
        value = self.value("security.limit_extensions")
        if value is None:
            return DEFAULT_EXTENSIONS
        return tuple(value.split())

    def from_environment(self, *keys: str) -> Entry | None:
        """The first of `keys` whose value reads ${VAR} from php-fpm's environment (not known offline)."""
        for key in keys:
            entry = self.entries.get(key)
            if entry is not None and entry.env:
                return entry
        return None

    def php(self, key: str) -> tuple[str, Entry] | None:
        """The php.ini setting `key` the pool gives its scripts (php_admin_* wins: the script cannot
        change it) with the entry that sets it."""
        for array in ("php_admin_value", "php_admin_flag", "php_value", "php_flag"):
            entry = self.arrays.get(array, {}).get(key)
            if entry is not None and entry.value is not None:
                value = entry.value
                if array.endswith("flag"):
                    value = "1" if value == "1" else ""
                return _pool_name(value, self.name), entry
        return None


@dataclass(eq=False)
class FpmConf:
    files: FpmFiles
    globals: dict[str, Entry] = field(default_factory=dict)
    pools: list[Pool] = field(default_factory=list)
    php_ini: object = None
    started: object = None      # unit.Started (None: no unit starts it)

    @property
    def path(self) -> str:
        return self.files.path

    def pool(self, name: str) -> Pool | None:
        return next((p for p in self.pools if p.name.lower() == name.lower()), None)

    def set_php_ini(self, php_ini) -> None:
        """The php.ini this master runs with (phpini.PhpIni): every pool's scripts start from it."""
        self.php_ini = php_ini
        for pool in self.pools:
            pool.php_ini, pool.started = php_ini, self.started

    @property
    def php_ini_files(self) -> list[str]:
        return [ini.path for ini in self.php_ini.files] if self.php_ini is not None else []


def _pool_name(value: str, pool: str) -> str:
    return value.replace("$pool", pool)


def build_pools(files: FpmFiles, diags: Diagnostics) -> FpmConf:
    """The pools of `files`; each problem php-fpm refuses to start with is a diagnostic."""
    conf = FpmConf(files)
    refused = bool(diags.errors)        # php-fpm stopped reading at the first error: nothing more to say
    current: Pool | None = None
    for item in files.items:
        if isinstance(item, Section):
            if item.name.lower() == "global":
                current = None
                continue
            current = conf.pool(item.name)
            if current is None:
                current = Pool(item.name, item)
                conf.pools.append(current)
            continue
        if item.name == "include" and item.key is None:
            continue
        if not _entry(item, current, conf, diags):
            return conf
    if refused:
        return conf
    if not conf.pools and not files.alone:
        diags.add("No pool defined. at least one pool section must be specified in config file",
                  file=files.files[files.path].display_path if files.path in files.files else files.path)
    for pool in conf.pools:
        _check_pool(pool, diags)
    return conf


def _entry(item: Entry, pool: Pool | None, conf: FpmConf, diags: Diagnostics) -> bool:
    if item.value is None:
        diags.add("value is NULL for a ZEND_INI_PARSER_ENTRY", item.span)
        return False
    name = item.name.lower()
    if item.key is not None:
        if pool is None:
            diags.add("Array are not allowed in the global section", item.span)
            return False
        if item.name not in ARRAY_KEYS:
            diags.add(f"unknown directive '{item.name}'", item.name_span)
            return False
        if not item.key:
            diags.add(f"You must provide a key for field '{item.name}'", item.span)
            return False
        pool.arrays.setdefault(item.name, {})[item.key] = item
        return True
    known = GLOBAL_KEYS if pool is None else POOL_KEYS
    if name not in known:
        diags.add(f"unknown entry '{item.name}'", item.name_span)
        return False
    if pool is None and "$pool" in item.value:
        diags.add(f"unable to parse value for entry '{name}': Can't use '$pool' when the pool is "
                  "not defined", item.value_span)
        return False
    problem = _bad_value(name, item)
    if problem:
        diags.add(f"unable to parse value for entry '{name}': {problem}", item.value_span)
        return False
    (conf.globals if pool is None else pool.entries)[name] = item
    return True


def _bad_value(name: str, item: Entry) -> str | None:
    if item.computed or item.env:
        return None
    value = item.value or ""
    if name in BOOLEAN_KEYS and value not in ("1", ""):
        return "invalid boolean value"
    if name in INTEGER_KEYS and not (value.lstrip("-").isdigit() or value == ""):
        return "is not a valid number (greater or equal than zero)"
    if name == "pm" and value.lower() not in ("static", "dynamic", "ondemand"):
        return "invalid process manager (static, dynamic or ondemand)"
    return None


def _check_pool(pool: Pool, diags: Diagnostics) -> None:
    """What php-fpm's post-processing refuses (it names the pool, not a line): the first one per pool."""
    at = pool.section.span
    children = pool.value("pm.max_children") or "0"
    if not pool.value("listen"):
        message = "no listen address have been defined!"
    elif pool.value("user") is None:      # php-fpm runs as root on Debian and RHEL: a pool needs its user
        message = "user has not been defined"
    elif pool.value("pm") is None:
        message = "the process manager is missing (static, dynamic or ondemand)"
    elif not children.lstrip("-").isdigit() or int(children) < 1:
        message = "pm.max_children must be a positive value"
    else:
        return
    diags.add(f"[pool {pool.name}] {message}", at)

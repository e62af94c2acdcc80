"""Reading what the input stage resolved: each main with its includes once, then
every other file alone unless a main already read it.

A file a main includes is checked there, in its context, not a second time on
its own (naming nginx.conf and its sites-enabled/shop, or a folder holding
both, reads shop once). A file found by a search in a Debian `*-available`
folder that neither a main nor the `*-enabled` folder beside it uses is not
enabled: it is listed, not read. Each configuration keeps its own
diagnostics; only those of what is finally read are the command's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from confcheck.inputs.model import Config, Inputs, Skipped
from confcheck.inputs.paths import real_path
from confcheck.source import Diagnostics


@dataclass
class Loaded:
    config: Config
    tree: object                 # NginxConfig | ApacheConfig | ParsedFile (a lone .htaccess) | FpmConf
    diags: Diagnostics
    # problems that are input errors yet stop nothing (a php.ini php-fpm starts with anyway)
    more_diags: Diagnostics = field(default_factory=Diagnostics)

    @property
    def files(self) -> list[str]:
        """Local paths of every file read for it, its own first."""
        if self.config.role == "htaccess":
            return [self.tree.source.path]
        if self.config.server == "php-fpm":
            return list(self.tree.files.files) + self.tree.php_ini_files
        return list(self.tree.files)


@dataclass
class Reading:
    inputs: Inputs
    loaded: list[Loaded] = field(default_factory=list)
    # php-fpm configurations (the pools behind the servers in `loaded`): kept apart, as no
    # request is answered by them alone
    fpm: list[Loaded] = field(default_factory=list)
    # config path -> (unit name, its files in the order applied): the systemd unit that
    # starts that configuration, read by the filesystem stage (confcheck/fs/sandbox.py)
    units: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    # the Django apps behind the proxies (confcheck.apps): settings file, files read, how found, app server
    apps: list[dict] = field(default_factory=list)
    # problems of files found but not read into any configuration (one confcheck may not open)
    diags: Diagnostics = field(default_factory=Diagnostics)

    def note_unit(self, config_path: str, sandbox) -> None:
        if sandbox is not None:
            self.units[os.path.realpath(config_path)] = (sandbox.unit.name, sandbox.unit.files)

    def unit_of(self, config_path: str):
        return self.units.get(os.path.realpath(config_path))

    def of(self, server: str, *roles: str) -> list[Loaded]:
        return [item for item in self.loaded if item.config.server == server
                and (not roles or item.config.role in roles)]

    @property
    def files(self) -> int:
        return sum(len(item.files) for item in self.loaded + self.fpm)

    def running_pools(self) -> list | None:
        """The php-fpm pools behind the servers (None: no php-fpm configuration was read). A
        configuration php-fpm refuses to start with runs no pool: its sockets are absent."""
        if not self.fpm:
            return None
        return [pool for item in self.fpm if not item.diags.errors for pool in item.tree.pools]


def load(config: Config, root: str | None, php_ini: list[str] | None = None) -> Loaded:
    """`php_ini`: the php.ini files named on the command line (php-fpm configurations only)."""
    diags = Diagnostics()
    if config.server == "php-fpm":
        from confcheck.inputs.paths import server_path
        from confcheck.parsers.phpfpm_ini import read_fpm
        from confcheck.servers.phpfpm.phpini import load_php_ini
        from confcheck.servers.phpfpm.pools import build_pools
        from confcheck.servers.phpfpm.unit import started_by
        # the unit that starts this php-fpm.conf: its environment (${VAR}) and its php.ini (-c)
        started = started_by(server_path(os.path.abspath(config.path), root), root) \
            if config.role == "main" else None
        env = {name: value for name, (value, _where) in started.env.items()} if started else {}
        files = read_fpm(config.path, diags, root=root, alone=config.role == "pool", env=env)
        conf = build_pools(files, diags)
        conf.started = started
        # php-fpm starts despite a broken php.ini (PHP reports it and stops reading that file):
        # its problems are input errors, but the pools still run
        ini_diags = Diagnostics()
        conf.set_php_ini(load_php_ini(config.path, root, php_ini or [], ini_diags, started))
        return Loaded(config, conf, diags, ini_diags)
    if config.role == "dump":
        from confcheck.parsers.nginx_loader import load_nginx_dump
        tree = load_nginx_dump(config.data or b"", config.path, diags)
    elif config.server == "nginx":
        from confcheck.parsers.nginx_loader import load_nginx
        tree = load_nginx(config.path, diags, root=root, prefix=config.prefix, mount=config.mount)
    elif config.role == "htaccess":
        from confcheck.parsers.apache_loader import load_htaccess
        tree = load_htaccess(config.path, diags)
    else:
        from confcheck.parsers.apache_loader import load_apache
        tree = load_apache(config.path, diags, root=root, server_root=config.prefix, mount=config.mount,
                           envvars_dir=config.prefix if config.role == "lone" else None)
    return Loaded(config, tree, diags)


def _realpaths(item: Loaded) -> set[str]:
    if item.config.server == "php-fpm":
        return {source.realpath for source in item.tree.files.files.values()}
    if item.config.role == "htaccess":
        return {item.tree.source.realpath}
    return {source.realpath for source in item.tree.files.values()}


def read_inputs(inputs: Inputs, *, context_base: str | None = None, server: str | None = None) -> Reading:
    """Load `inputs`; with `context_base` (--context), named files are replaced by the
    mains under that folder that include them."""
    reading = Reading(inputs)
    configs = list(inputs.configs)
    if context_base is not None:
        configs = _in_context(configs, context_base, server, reading)
    fpm = [c for c in configs if c.server == "php-fpm"]
    configs = [c for c in configs if c.server != "php-fpm"]
    mains = [c for c in configs if c.role in ("main", "dump")]
    for config in mains:
        if not any(item.config is config for item in reading.loaded):
            reading.loaded.append(load(config, inputs.root))
    read: dict[str, str] = {}
    for item in reading.loaded:
        for path in _realpaths(item):
            read.setdefault(path, item.config.path)
    # the folders the mains read files from (as opened: sites-enabled/x, not its link's target)
    folders = {os.path.dirname(os.path.abspath(path)): item.config.path
               for item in reversed(reading.loaded) for path in item.files}
    mains_read = {real_path(folder, inputs.root): main for folder, main in folders.items()}
    links: dict[str, tuple[set[str], set[str]]] = {}     # *-enabled folder -> _enabled_entries
    for config in configs:
        if config.role in ("main", "dump"):
            continue
        real = real_path(config.path, inputs.root)
        if real in read:            # read inside a main: its files list it
            continue
        if config.found and _not_enabled(config.path, real, inputs.root, links):
            inputs.skipped.append(Skipped(config.path, "not enabled: nothing includes it and no link in "
                                          + _enabled_dir(config.path) + " points to it", "not enabled"))
            continue
        passed = _passed_over(config, mains_read, inputs.root)
        if passed:
            inputs.skipped.append(Skipped(config.path, passed, "not included"))
            continue
        if config.role == "unreadable":
            _unreadable(config, reading)
            continue
        if config.role == "foreign":
            inputs.skipped.append(Skipped(config.path, "neither an nginx nor an Apache configuration"
                                          + (f" (--server {config.server})" if config.server else ""),
                                          "not config"))
            continue
        item = load(config, inputs.root)
        reading.loaded.append(item)
        for path in _realpaths(item):
            read.setdefault(path, config.path)
    if not reading.loaded and reading.diags.errors:
        from confcheck.inputs.model import InputError
        first = reading.diags.errors[0]
        raise InputError(f"{first.file}: {first.message}")
    _read_fpm(fpm, inputs, reading)
    _fold_included(reading)
    # mains first, in the order named; then the files read alone
    order = {id(c): i for i, c in enumerate(configs)}
    reading.loaded.sort(key=lambda item: (item.config.role not in ("main", "dump"), order.get(id(item.config), 0)))
    return reading


def _unreadable(config: Config, reading: Reading) -> None:
    """A found file confcheck may not open is an input error (what it configures is unknown,
    so the scan is not clean), unless a main's include of it already said so."""
    try:
        with open(config.path, "rb"):
            return          # readable now: it changed while it was read
    except OSError as exc:
        reason = exc.strerror or str(exc)
    name = os.path.basename(config.path)
    if any(d.code == "include" and name in d.message and reason in d.message
           for item in reading.loaded for d in item.diags.errors):
        return
    reading.diags.add(f"cannot read it: {reason} (as uid {os.geteuid()}): what it configures is unknown",
                      file=config.path, code="unreadable")


def _read_fpm(configs: list[Config], inputs: Inputs, reading: Reading) -> None:
    """php-fpm mains with their includes, then the pool files no main read (alone)."""
    read: set[str] = set()
    named_ini = [c.path for c in configs if c.role == "ini"]
    for config in sorted((c for c in configs if c.role != "ini"), key=lambda c: c.role != "main"):
        if real_path(config.path, inputs.root) in read:
            continue
        item = load(config, inputs.root, named_ini)
        reading.fpm.append(item)
        read |= _realpaths(item)


def _fold_included(reading: Reading) -> None:
    """A config another one includes is read there, not also on its own (a found
    `conf.d/x.conf` holding an http{}, or h5bp's `basic.conf` that a template found
    earlier in the search includes). File sets are transitive, so being included by
    a config nothing includes (a root) is enough; configs including each other in a
    cycle are all kept."""
    own = {id(item): real_path(item.config.path, reading.inputs.root) for item in reading.loaded}
    sets = {id(item): _realpaths(item) - {own[id(item)]} for item in reading.loaded}
    includers = {id(item): [other for other in reading.loaded if other is not item and own[id(item)] in sets[id(other)]]
                 for item in reading.loaded}
    reading.loaded[:] = [item for item in reading.loaded
                         if not any(not includers[id(other)] for other in includers[id(item)])]


# folders a main reads through one include pattern (`sites-enabled/*.conf`, `conf.d/*.conf`)
_INCLUDED_FOLDERS = ("sites-enabled", "conf-enabled", "mods-enabled", "modules-enabled", "conf.d")


def _passed_over(config: Config, mains_read: dict[str, str], root: str | None) -> str:
    """Why a file found in such a folder is not read: a main reads other files there but not
    this one, so its include pattern skips the name (Apache's `sites-enabled/*.conf` and a
    site without `.conf`, nginx's `conf.d/*.conf` and `x.conf.bak`). Read alone it would be
    judged as if served. "" when that is not the case."""
    folder = real_path(os.path.dirname(os.path.abspath(config.path)), root)
    if not config.found or os.path.basename(folder) not in _INCLUDED_FOLDERS or folder not in mains_read:
        return ""
    return (f"{mains_read[folder]} reads {os.path.basename(folder)}/ through its includes, whose pattern "
            f"does not match this name: the server never reads it")


def _enabled_dir(path: str) -> str:
    directory = os.path.dirname(os.path.abspath(path))
    return directory[: -len("available")] + "enabled"


def _not_enabled(path: str, real: str, root: str | None, links: dict) -> bool:
    """In a `*-available` folder beside a `*-enabled` one, and no entry of that folder is it
    (a repository of sites-available/ and sites-enabled/ links, without the main). A link
    written for the deployed place (`-> /etc/nginx/sites-available/shop`) names this copy
    when it ends in the same folder and file names. `links` keeps each folder's entries."""
    directory = os.path.dirname(os.path.abspath(path))
    if not directory.endswith("-available"):
        return False
    enabled = _enabled_dir(path)
    entries = links.get(enabled)
    if entries is None:
        entries = links[enabled] = _enabled_entries(enabled, root)
    reals, written = entries
    if not reals and not written and not os.path.isdir(enabled):
        return False
    tail = os.path.join(os.path.basename(directory), os.path.basename(path))
    return real not in reals and tail not in written


def _enabled_entries(enabled: str, root: str | None) -> tuple[set[str], set[str]]:
    """(the real paths of a `*-enabled` folder's entries, the last two names of each link's text)."""
    try:
        names = os.listdir(enabled)
    except OSError:
        return set(), set()
    reals, written = set(), set()
    for name in names:
        entry = os.path.join(enabled, name)
        reals.add(real_path(entry, root))
        if os.path.islink(entry):
            target = os.path.normpath(os.readlink(entry))
            written.add(os.path.join(os.path.basename(os.path.dirname(target)), os.path.basename(target)))
    return reals, written


def _in_context(configs: list[Config], base: str, server: str | None, reading: Reading) -> list[Config]:
    """pre-commit: a named file some main under `base` includes is checked inside that main."""
    from confcheck.inputs.resolve import context_mains

    mains = context_mains(base, server)
    loaded = []
    for main in mains:
        loaded.append(load(main, reading.inputs.root))
    out: list[Config] = []
    used: set[int] = set()
    for config in configs:
        real = real_path(config.path, reading.inputs.root)
        hits = [i for i, item in enumerate(loaded) if real in _realpaths(item)]
        if not hits or config.role == "dump":
            out.append(config)
            continue
        for i in hits:
            if i not in used:
                used.add(i)
                out.append(loaded[i].config)
                reading.loaded.append(loaded[i])
    return out

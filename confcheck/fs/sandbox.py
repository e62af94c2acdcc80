"""The worker's filesystem as its systemd unit's mount namespace shows it.

systemd 252 builds the namespace in src/core/namespace.c (setup_namespace):
every setting becomes a mount entry (the ProtectHome=/ProtectSystem= tables,
ReadWritePaths=, ReadOnlyPaths=, InaccessiblePaths= with their `-`/`+`
prefixes, BindPaths=, BindReadOnlyPaths=, TemporaryFileSystem=, PrivateTmp=),
the entries are sorted by path and, for the same path, by mode priority
(INACCESSIBLE first: the more restrictive wins, drop_duplicates), and an
inaccessible entry drops every entry below it (drop_inaccessible). What the
entries mean for a lookup (src/core/namespace.c apply_one_mount,
src/shared/mount-util.c):

- inaccessible: /run/systemd/inaccessible/{dir,reg} bind-mounted over the
  path: mode 000 owned by root, empty. A non-root worker gets EACCES (nginx
  logs `(13: Permission denied)`, 403); root finds nothing below (ENOENT).
- tmpfs (ProtectHome=tmpfs: mode 0755, /root 0700; TemporaryFileSystem=:
  mode 0755 unless `mode=`): an empty directory owned by root, ENOENT below,
  except the mount points systemd creates (0755) for deeper bind mounts.
- private-tmp (PrivateTmp=yes on /tmp and /var/tmp): an empty 1777 directory.
- bind / bind-read-only: the source's files at the destination.
- read-only / read-write: reads unchanged (writes fail EROFS on read-only).

`SandboxFs` wraps any FsView with that view, and every synthesized entry
carries the `Mount` (its unit line) so a denial can say which line caused it.
A unit setting this module cannot model (RootDirectory=, RootImage=, ...)
is listed in `Sandbox.unknown`; callers make the answers unknown.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from dataclasses import dataclass, field, replace
from typing import Iterator

from .model import DIR, FILE, Denial, Meta, NotChecked

# Mode priority for the same path (namespace.c MountMode: the first wins).
INACCESSIBLE, BIND, PRIVATE_TMP, READ_ONLY, READ_WRITE, TMPFS, READ_WRITE_IMPLICIT = (
    "inaccessible", "bind", "private-tmp", "read-only", "read-write", "tmpfs", "read-write-implicit")
_PRIORITY = {INACCESSIBLE: 0, BIND: 1, PRIVATE_TMP: 2, READ_ONLY: 3, READ_WRITE: 4, TMPFS: 5,
             READ_WRITE_IMPLICIT: 6}

_TRUE = frozenset({"1", "yes", "y", "true", "t", "on"})
_FALSE = frozenset({"0", "no", "n", "false", "f", "off"})

# src/core/namespace.c tables (path, mode, ignore-if-missing, tmpfs mode)
_PROTECT_HOME = {
    "yes": [("/home", INACCESSIBLE, True, 0), ("/run/user", INACCESSIBLE, True, 0), ("/root", INACCESSIBLE, True, 0)],
    "read-only": [("/home", READ_ONLY, True, 0), ("/run/user", READ_ONLY, True, 0), ("/root", READ_ONLY, True, 0)],
    "tmpfs": [("/home", TMPFS, True, 0o755), ("/run/user", TMPFS, True, 0o755), ("/root", TMPFS, True, 0o700)],
}
_PROTECT_SYSTEM = {
    "yes": [("/usr", READ_ONLY, False, 0), ("/boot", READ_ONLY, True, 0), ("/efi", READ_ONLY, True, 0)],
    "full": [("/usr", READ_ONLY, False, 0), ("/boot", READ_ONLY, True, 0), ("/efi", READ_ONLY, True, 0),
             ("/etc", READ_ONLY, False, 0)],
    "strict": [("/", READ_ONLY, False, 0), ("/proc", READ_WRITE_IMPLICIT, False, 0),
               ("/sys", READ_WRITE_IMPLICIT, False, 0), ("/dev", READ_WRITE_IMPLICIT, False, 0),
               ("/home", READ_WRITE_IMPLICIT, True, 0), ("/run/user", READ_WRITE_IMPLICIT, True, 0),
               ("/root", READ_WRITE_IMPLICIT, True, 0)],
}
_LISTS = ("ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths", "BindPaths", "BindReadOnlyPaths",
          "TemporaryFileSystem")
# systemd 252 still reads the old names into the same lists (load-fragment-gperf: the same
# parser and field): units written for older systemds carry them
_ALIASES = {"ReadWriteDirectories": "ReadWritePaths", "ReadOnlyDirectories": "ReadOnlyPaths",
            "InaccessibleDirectories": "InaccessiblePaths"}
_SCALARS = ("ProtectHome", "ProtectSystem", "PrivateTmp")
# Settings that change the namespace in ways this module does not model.
_UNMODELLED = ("RootDirectory", "RootImage", "DynamicUser", "MountImages", "ExtensionImages",
               "ExtensionDirectories", "PrivateMounts", "ProtectProc", "ProcSubset")


@dataclass(frozen=True, slots=True)
class Mount:
    path: str
    mode: str
    cause: object               # confcheck.parsers.systemd_unit.Assignment (None: never)
    setting: str                # the setting as it takes effect, e.g. "ProtectHome=yes"
    unit: str = ""
    ignore: bool = False
    source: str | None = None   # bind mounts
    dir_mode: int = 0           # tmpfs / private-tmp directory mode
    read_only: bool = False

    @property
    def where(self) -> str:
        return self.cause.where if self.cause is not None else self.unit

    def what(self) -> str:
        if self.mode == INACCESSIBLE:
            return f"{self.path} is an inaccessible empty directory (mode 000 root:root)"
        if self.mode == TMPFS:
            return f"{self.path} is an empty tmpfs (mode {self.dir_mode:04o} root:root)"
        if self.mode == PRIVATE_TMP:
            return f"{self.path} is the service's private, empty {self.path}"
        if self.mode == BIND:
            return f"{self.path} shows {self.source}" + (" read-only" if self.read_only else "")
        if self.mode == READ_ONLY or self.read_only:
            return f"{self.path} is mounted read-only"
        return f"{self.path} is {self.mode}"

    def note(self) -> str:
        return f"in {self.unit}'s sandbox {self.what()}: {self.setting} at {self.where}"


@dataclass(slots=True)
class Sandbox:
    unit: object                                   # confcheck.parsers.systemd_unit.Unit
    mounts: list[Mount] = field(default_factory=list)    # in effect, sorted by path
    unknown: list[str] = field(default_factory=list)     # why answers through the unit are unknown
    failed: list[str] = field(default_factory=list)      # settings that stop the unit from starting
    ignored: list[str] = field(default_factory=list)     # assignments systemd warns about and ignores

    @property
    def hides(self) -> bool:
        """True when the namespace changes what a read sees (not only writes)."""
        return any(m.mode in (INACCESSIBLE, TMPFS, PRIVATE_TMP, BIND) for m in self.mounts)

    @property
    def protects(self) -> bool:
        """True when some path is read-only in the namespace (writes there fail with EROFS)."""
        return any(m.mode == READ_ONLY or m.read_only for m in self.mounts)

    def read_only_at(self, path: str) -> Mount | None:
        """The mount making `path` read-only (EROFS on a write), or None. The deepest mount
        covering the path decides (mount_entry_read_only() per entry, applied in path order
        by namespace.c: a ReadWritePaths= below a ReadOnlyPaths= is writable again)."""
        deepest = deepest_mount(self.mounts, path)
        if deepest is None or not (deepest.mode == READ_ONLY or deepest.read_only):
            return None
        return deepest


def _bool(value: str) -> bool | None:
    v = value.lower()
    return True if v in _TRUE else False if v in _FALSE else None


def _scalar_ok(key: str, value: str) -> bool:
    if _bool(value) is not None:
        return True
    return value in {"ProtectHome": ("read-only", "tmpfs"), "ProtectSystem": ("full", "strict")}.get(key, ())


def _specifiers(word: str, unit_name: str) -> str | None:
    """The path specifiers a server unit may use; None for one not modelled."""
    out, i = [], 0
    prefix = unit_name.rpartition(".")[0]
    table = {"%": "%", "n": unit_name, "N": prefix, "p": prefix.split("@")[0], "i": "", "I": ""}
    while i < len(word):
        ch = word[i]
        if ch == "%" and i + 1 < len(word):
            hit = table.get(word[i + 1])
            if hit is None:
                return None
            out.append(hit)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _words(value: str) -> list[str] | None:
    try:
        return shlex.split(value, posix=True)
    except ValueError:
        return None


def namespace(unit) -> Sandbox:
    """The mount entries `unit`'s settings produce, as setup_namespace orders them."""
    box = Sandbox(unit)
    lists: dict[str, list] = {key: [] for key in _LISTS}
    scalars: dict[str, object] = {}
    for a in unit.assignments:
        if a.section != "Service":
            continue
        if a.key in _UNMODELLED and a.value and _bool(a.value) is not False:
            box.unknown.append(f"{a.text} at {a.where} is not modelled")
        elif a.key in _SCALARS:
            # conf-parser hands "" to the setting's parser, which fails on it and
            # keeps the earlier value ("Failed to parse ..., ignoring"), as for any
            # value it does not accept (systemd-analyze security agrees)
            if _scalar_ok(a.key, a.value):
                scalars[a.key] = a
            else:
                box.ignored.append(f"{a.text} at {a.where}: systemd ignores it (not a valid value)")
        elif _ALIASES.get(a.key, a.key) in _LISTS:
            key = _ALIASES.get(a.key, a.key)
            if not a.value:
                lists[key] = []          # an empty assignment resets the list
                continue
            words = _words(a.value)
            if words is None:
                box.unknown.append(f"{a.text} at {a.where}: unbalanced quotes")
                continue
            for word in words:
                expanded = _specifiers(word, unit.name)
                if expanded is None:
                    box.unknown.append(f"{a.text} at {a.where}: specifier in {word!r} not modelled")
                    continue
                lists[key].append((expanded, a))
    entries: list[Mount] = []
    name = unit.name

    def add(path, mode, cause, setting, **kw):
        entries.append(Mount(posixpath.normpath(path), mode, cause, setting, name, **kw))

    for key, mode in (("ReadWritePaths", READ_WRITE), ("ReadOnlyPaths", READ_ONLY),
                      ("InaccessiblePaths", INACCESSIBLE)):
        for word, a in lists[key]:
            ignore = word.startswith("-")
            path = word.lstrip("-").lstrip("+")
            if not path.startswith("/"):
                box.failed.append(f"{a.text} at {a.where}: {path!r} is not absolute")
                continue
            add(path, mode, a, f"{key}={word}", ignore=ignore)     # an alias's line, the list's name
    for key in ("BindPaths", "BindReadOnlyPaths"):
        for word, a in lists[key]:
            ignore = word.startswith("-")
            src, _, rest = word.lstrip("-").partition(":")
            dst = rest.split(":")[0] if rest else src
            opts = rest.split(":")[1] if rest.count(":") else ""
            read_only = key == "BindReadOnlyPaths" or opts == "ro"
            add(dst, BIND, a, f"{a.key}={word}", ignore=ignore, source=posixpath.normpath(src),
                read_only=read_only)
    for word, a in lists["TemporaryFileSystem"]:
        path, _, opts = word.partition(":")
        mode = 0o755
        for opt in opts.split(",") if opts else []:
            if opt.startswith("mode="):
                try:
                    mode = int(opt[5:], 8)
                except ValueError:
                    box.unknown.append(f"{a.text} at {a.where}: mode {opt[5:]!r}")
        add(path, TMPFS, a, f"{a.key}={word}", dir_mode=mode, read_only="ro" in opts.split(","))
    tmp = scalars.get("PrivateTmp")
    if tmp is not None:
        if _bool(tmp.value):
            for path in ("/tmp", "/var/tmp"):
                add(path, PRIVATE_TMP, tmp, tmp.text, dir_mode=0o1777)
    for key, table in (("ProtectHome", _PROTECT_HOME), ("ProtectSystem", _PROTECT_SYSTEM)):
        a = scalars.get(key)
        if a is None:
            continue
        flag = _bool(a.value)
        value = "yes" if flag else None if flag is False else a.value
        if value is None:
            continue
        for path, mode, ignore, dir_mode in table[value]:
            add(path, mode, a, a.text, ignore=ignore, dir_mode=dir_mode, read_only=mode == TMPFS)
    box.mounts = _effective(entries)
    return box


def _key(mount: Mount) -> tuple:
    return (tuple(p for p in mount.path.split("/") if p), _PRIORITY[mount.mode])


def _under(path: str, top: str) -> bool:
    return top == "/" or path == top or path.startswith(top + "/")


def deepest_mount(mounts: list[Mount], path: str) -> Mount | None:
    """The mount among `mounts` that decides for `path`: the deepest one covering it
    (namespace.c mounts in path order, so a deeper mount is on top)."""
    best = None
    for m in mounts:
        if _under(path, m.path) and (best is None or len(m.path) >= len(best.path)):
            best = m
    return best


def covers(path: str, top: str) -> bool:
    """`path` is `top` or lies under it."""
    return _under(path, top)


def _effective(entries: list[Mount]) -> list[Mount]:
    """drop_duplicates then drop_inaccessible (namespace.c), on the sorted entries."""
    out: list[Mount] = []
    for m in sorted(entries, key=_key):
        if out and out[-1].path == m.path:
            if m.read_only and not out[-1].read_only:
                out[-1] = replace(out[-1], read_only=True)
            continue
        out.append(m)
    kept: list[Mount] = []
    clear = None
    for m in out:
        if clear is not None and _under(m.path, clear) and m.path != clear:
            continue
        clear = m.path if m.mode == INACCESSIBLE else None
        kept.append(m)
    return kept


_HIDING = (INACCESSIBLE, TMPFS, PRIVATE_TMP, BIND)


def unix_sockets_refused(unit):
    """The RestrictAddressFamilies= line after which the unit's processes may not create AF_UNIX
    sockets (socket() fails with EAFNOSUPPORT: no connection to a unix-socket backend), or None.
    systemd.exec: an allow-list, or a deny-list when the first assignment starts with `~`; later
    assignments add to or remove from it, `none` allows nothing, an empty one resets it."""
    mode, families, last = None, set(), None
    for a in unit.assignments if unit is not None else ():
        if a.section != "Service" or a.key != "RestrictAddressFamilies":
            continue
        value = a.value.strip()
        if not value:
            mode, families, last = None, set(), None
            continue
        if value == "none":
            mode, families, last = "allow", set(), a
            continue
        invert, names = value.startswith("~"), set(value.lstrip("~").split())
        if mode is None:
            mode, families = ("deny" if invert else "allow"), names
        elif (mode == "allow") != invert:
            families |= names
        else:
            families -= names
        last = a
    refused = (mode == "allow" and "AF_UNIX" not in families) or (mode == "deny" and "AF_UNIX" in families)
    return last if refused else None


class SandboxFs:
    """An FsView showing `inner` through the unit's mount namespace."""

    def __init__(self, inner, sandbox: Sandbox) -> None:
        self.inner = inner
        self.sandbox = sandbox
        self._mounts = [m for m in sandbox.mounts if m.mode in _HIDING]

    def __getattr__(self, name):
        # host_path, root, is_immutable ...: the underlying view's
        return getattr(self.inner, name)

    def _refuse_unknown(self, path: str) -> None:
        # a setting this module cannot model, or a unit that cannot start: no answer through it
        why = self.sandbox.unknown or self.sandbox.failed
        if why:
            raise NotChecked(path, f"{self.sandbox.unit.name}'s sandbox: " + "; ".join(why))

    def _covering(self, path: str) -> Mount | None:
        return deepest_mount(self._mounts, path)

    def read_only_at(self, path: str) -> Mount | None:
        """The unit line that makes `path` read-only for the worker (a write fails with EROFS)."""
        return self.sandbox.read_only_at(path)

    def empty_mount_at(self, path: str) -> Mount | None:
        """The tmpfs or private /tmp mounted exactly at `path` (everything in it is gone)."""
        m = self._covering(path)
        return m if m is not None and m.path == path and m.mode in (TMPFS, PRIVATE_TMP) else None

    def _mount_points_below(self, top: Mount, path: str) -> list[str]:
        """Names systemd created in an empty tmpfs `top` (mkdir -p of deeper mount points) under `path`."""
        names = set()
        for m in self._mounts:
            if m is not top and _under(m.path, path) and m.path != path and _under(m.path, top.path):
                names.add(m.path[len(path):].lstrip("/").split("/")[0])
        return sorted(names)

    def _synth(self, path: str, mount: Mount, mode: int, kind: str = DIR) -> Meta:
        return Meta(path, kind, mode, 0, 0, 0, sandbox=mount)

    def lstat(self, path: str) -> Meta | None:
        self._refuse_unknown(path)
        m = self._covering(path)
        if m is None:
            return self.inner.lstat(path)
        if m.mode == BIND:
            meta = self.inner.lstat(m.source + path[len(m.path):] if path != m.path else m.source)
            return None if meta is None else replace(meta, path=path)
        if path == m.path:
            if m.mode == INACCESSIBLE:
                real = self.inner.lstat(path)
                kind = FILE if real is not None and real.kind == FILE else DIR
                return self._synth(path, m, 0, kind)
            return self._synth(path, m, m.dir_mode)
        if m.mode in (TMPFS, PRIVATE_TMP):
            parent = posixpath.dirname(path)
            if posixpath.basename(path) in self._mount_points_below(m, parent):
                return self._synth(path, m, 0o755)
        return None

    def scandir(self, path: str) -> Iterator[Meta]:
        self._refuse_unknown(path)
        m = self._covering(path)
        if m is None:
            yield from self.inner.scandir(path)
            return
        if m.mode == BIND:
            base = m.source + path[len(m.path):] if path != m.path else m.source
            for meta in self.inner.scandir(base):
                yield replace(meta, path=path.rstrip("/") + "/" + posixpath.basename(meta.path))
            return
        if m.mode == INACCESSIBLE:
            return
        for name in self._mount_points_below(m, path):
            child = path.rstrip("/") + "/" + name
            meta = self.lstat(child)
            if meta is not None:
                yield meta

    def read_bytes(self, path: str) -> bytes | None:
        # configs, passwd and units are read by systemd and the master outside the
        # worker's view questions; the view answers for what the worker opens
        return self.inner.read_bytes(path)

    def selinux_enforcing(self) -> bool | None:
        return self.inner.selinux_enforcing()


def hidden_note(fs, path: str) -> str:
    """" (in UNIT's sandbox ...: SETTING at FILE:LINE:COL)" when `path` lies in an empty or
    inaccessible mount of the view `fs`; "" otherwise (and for any other view)."""
    if not isinstance(fs, SandboxFs):
        return ""
    mount = fs._covering(path)
    if mount is None or mount.mode == BIND:
        return ""
    return f" ({mount.note()})"


def _namespace_of(fs) -> "SandboxFs | None":
    """The SandboxFs inside a view (under an AppArmor ConfinedFs), or None."""
    while fs is not None and not isinstance(fs, SandboxFs):
        fs = vars(fs).get("inner") if hasattr(fs, "__dict__") else None
    return fs


def read_only_denial(fs, folder: str, meta: Meta | None = None, who: str = "the worker") -> Denial | None:
    """EROFS: the Denial a file created in `folder` meets when the view `fs`'s unit mounts it
    read-only (the kernel refuses the create before it asks the mode bits: fs/namei.c
    lookup_open without mnt_want_write), or None (also for a view without a unit)."""
    read_only_at = getattr(fs, "read_only_at", None)
    mount = read_only_at(folder) if read_only_at is not None else None
    if mount is None:
        return None
    return Denial(folder, meta, "w", None, f"{folder} is read-only for {who} ({mount.note()})", sandbox=mount)


def socket_place(fs, path: str) -> tuple[str, str, "Mount | None"]:
    """Where a unix socket at `path` lives for a process seeing the view `fs`, and the mount
    deciding it: ("disk", the path on the shared disk, None or a bind mount), ("private", path,
    Mount) in a mount only that unit has (its private /tmp, a tmpfs: no other process reaches
    it), or ("inaccessible", path, Mount)."""
    box = _namespace_of(fs)
    if box is not None:
        box._refuse_unknown(path)
    mount = box._covering(path) if box is not None else None
    if mount is None:
        return "disk", path, None
    if mount.mode == BIND:
        return "disk", (mount.source + path[len(mount.path):] if path != mount.path else mount.source), mount
    return ("inaccessible" if mount.mode == INACCESSIBLE else "private"), path, mount


def hiding_mount(fs, path: str) -> "Mount | None":
    """The mount of the view `fs`'s unit that keeps `path` from its process: an inaccessible,
    empty or bound mount over it, or a read-only folder where a socket would be created."""
    box = _namespace_of(fs)
    if box is None:
        return None
    return box._covering(path) or box.read_only_at(posixpath.dirname(path))


def socket_apart(server_fs, fpm_fs, path: str) -> tuple[str, Mount] | None:
    """Why the web server cannot reach the socket php-fpm creates at `path` when either runs in
    its own unit's namespace, with the mount (its unit line) that separates them; None when
    both see the same file (no sandbox on either side: always). An inaccessible folder on the
    server's side is left to the permission walk (EACCES, not ENOENT). Units joined by
    JoinsNamespaceOf= share their private /tmp (src/core/unit.c, execute.c): not modelled,
    the answer is unknown (NotChecked)."""
    fpm_side, fpm_at, fpm_mount = socket_place(fpm_fs, path)
    server_side, server_at, server_mount = socket_place(server_fs, path)
    for mount in (fpm_mount, server_mount):
        if mount is not None and mount.mode == PRIVATE_TMP:
            joins = [a for fs in (server_fs, fpm_fs) if (box := _namespace_of(fs)) is not None
                     for a in box.sandbox.unit.get("Unit", "JoinsNamespaceOf") if a.value]
            if joins:
                raise NotChecked(path, f"{joins[0].text} at {joins[0].where} may share the private /tmp "
                                       "with the other service: not modelled")
    if fpm_side != "disk":
        return (f"php-fpm creates {path} in its own namespace, where {fpm_mount.what()} "
                f"({fpm_mount.setting} at {fpm_mount.where}): no other service sees it"), fpm_mount
    read_only = fpm_fs.read_only_at(posixpath.dirname(path)) if hasattr(fpm_fs, "read_only_at") else None
    if read_only is not None:
        return (f"php-fpm cannot create {path}: in {read_only.unit}'s sandbox {read_only.what()} "
                f"({read_only.setting} at {read_only.where}), so its bind() fails (EROFS) and php-fpm does "
                "not start"), read_only
    if server_side == "private":
        return (f"in {server_mount.unit}'s sandbox {server_mount.what()} ({server_mount.setting} at "
                f"{server_mount.where}): the socket php-fpm creates on the disk is not there"), server_mount
    if server_side == "disk" and server_at != fpm_at:
        bind = server_mount or fpm_mount
        return (f"{path} is {server_at} on the disk for the web server but {fpm_at} for php-fpm "
                f"({bind.setting} at {bind.where})"), bind
    return None


# -- which unit starts which configuration ---------------------------------------

# (unit, server path of the config the unit's ExecStart loads by default, options naming another)
UNITS = {
    "nginx": (("nginx.service", "/etc/nginx/nginx.conf", ("-c",)),),
    "apache": (("apache2.service", "/etc/apache2/apache2.conf", ("-f",)),
               ("httpd.service", "/etc/httpd/conf/httpd.conf", ("-f",))),
    # RHEL/Fedora's php-fpm.service; Debian's phpX.Y-fpm.service are found on disk (_fpm_units)
    "php-fpm": (("php-fpm.service", "/etc/php-fpm.conf", ("--fpm-config", "-y")),),
}
_FPM_UNIT = re.compile(r"php(\d+\.\d+)-fpm\.service")
# php-fpm's built-in configuration is the binary's (its compiled-in sysconfdir), whatever the
# unit is called: Debian's php-fpm8.2 loads /etc/php/8.2/fpm/php-fpm.conf, RHEL's php-fpm /etc/php-fpm.conf
_FPM_BINARY = re.compile(r"php-fpm(\d+\.\d+)?")


def _fpm_units(fs) -> list[tuple]:
    """Every php*-fpm.service on the unit search path (Debian's php8.2-fpm.service, RHEL's
    php-fpm.service, SCL-style names), each with the configuration its name implies."""
    from confcheck.parsers.systemd_unit import SEARCH_PATH
    names = set()
    for directory in SEARCH_PATH:
        try:
            names.update(posixpath.basename(m.path) for m in fs.scandir(directory))
        except (NotChecked, OSError):
            continue
    out = []
    for name in sorted(n for n in names if fnmatch.fnmatchcase(n, "php*-fpm.service")):
        version = _FPM_UNIT.fullmatch(name)
        default = f"/etc/php/{version.group(1)}/fpm/php-fpm.conf" if version else \
            "/etc/php-fpm.conf" if name == "php-fpm.service" else None
        out.append((name, default, ("--fpm-config", "-y")))
    return out


def exec_start(unit) -> list[str] | None:
    """The words of the command `unit` starts, as systemd reads ExecStart= (src/core/load-fragment.c
    config_parse_exec: an empty assignment resets the list; service.c service_verify refuses a
    non-oneshot service with none or with several), its prefixes (@-:+!) removed; None when the
    unit cannot start a daemon."""
    starts: list = []
    for a in unit.get("Service", "ExecStart"):
        starts = starts + [a] if a.value else []
    if len(starts) != 1:
        return None
    value = starts[0].value.lstrip("@-:+!")
    return _words(value) or None


def option(words: list[str], *names: str) -> str | None:
    """The value of the first of `names` among a command's arguments (getopt forms: `-y FILE`,
    `-yFILE`, `--fpm-config FILE`, `--fpm-config=FILE`; php-fpm 8.2 takes all four)."""
    for i, word in enumerate(words):
        for name in names:
            if word == name and i + 1 < len(words):
                return words[i + 1]
            if name.startswith("--") and word.startswith(name + "="):
                return word[len(name) + 1:]
            if not name.startswith("--") and word.startswith(name) and len(word) > len(name):
                return word[len(name):]
    return None


def _started_config(unit, server: str, default: str | None, options: tuple[str, ...]) -> str | None:
    words = exec_start(unit)
    if words is None:
        return None
    named = option(words[1:], *options)
    if named is not None:
        return named
    if server == "php-fpm" and (binary := _FPM_BINARY.fullmatch(posixpath.basename(words[0]))):
        return f"/etc/php/{binary.group(1)}/fpm/php-fpm.conf" if binary.group(1) else "/etc/php-fpm.conf"
    return default


def starting_unit(fs, server: str, config_path: str, display=None):
    """The one place deciding which systemd unit starts `config_path` (a server path) on the
    view `fs` (host, --root image or snapshot): the unit, read with its drop-ins, or None.
    `display(path)` shows the unit files' paths (default: server paths)."""
    from confcheck.parsers.systemd_unit import load_unit
    candidates = list(UNITS.get(server, ()))
    if server == "php-fpm":
        candidates += [c for c in _fpm_units(fs) if c[0] not in {n for n, _d, _o in candidates}]
    for name, default, options in candidates:
        unit = load_unit(fs, name, display)
        if unit is None or unit.masked:
            continue
        started = _started_config(unit, server, default, options)
        if started is not None and posixpath.normpath(started) == posixpath.normpath(config_path):
            return unit
    return None


def for_server(fs, server: str, config_path: str):
    """(unit, Sandbox) of the unit that starts `config_path` (a server path) on the
    view `fs`, or (None, None) when no unit starts it (a config elsewhere: today's answers)."""
    unit = starting_unit(fs, server, config_path, getattr(fs, "host_path", None))
    return (unit, namespace(unit)) if unit is not None else (None, None)


def _check_start(fs, box: Sandbox) -> None:
    """A listed path (or bind source) that does not exist and has no '-' stops the unit
    from starting (226/NAMESPACE): nothing it would serve can be answered."""
    for m in box.mounts:
        if m.ignore or m.cause is None or m.mode in (TMPFS, PRIVATE_TMP, READ_WRITE_IMPLICIT):
            continue
        where = m.source if m.mode == BIND else m.path
        try:
            missing = fs.lstat(where) is None
        except NotChecked:
            continue
        if missing:
            box.failed.append(f"{m.setting} at {m.where}: {where} does not exist, so the unit fails to "
                              "start (226/NAMESPACE; a '-' prefix would ignore it)")


def view(fs, server: str, config_path: str, child: str | None = None):
    """`fs` as the worker of the unit starting `config_path` sees it (its mount namespace,
    its AppArmor profile, or that profile's `child`: php-fpm's apparmor_hat), and the
    Sandbox (None when no unit applies)."""
    if fs is None:
        return fs, None
    _unit, box = for_server(fs, server, config_path)
    seen = fs
    if box is not None:
        _check_start(fs, box)
        if box.hides or box.protects or box.unknown or box.failed or unix_sockets_refused(box.unit) is not None:
            seen = SandboxFs(fs, box)
    return _confined(seen, fs, server, child), box


def _confined(seen, fs, server: str, child: str | None = None):
    """`seen` under the worker's AppArmor profile, when one is enforced (read from `fs`:
    /etc/apparmor.d is read by the kernel's loader, outside the namespace)."""
    from confcheck.fs.apparmor import ConfinedFs
    from confcheck.fs.apparmor import for_server as confinement_for
    confinement = confinement_for(fs, server, child)
    return seen if confinement is None else ConfinedFs(seen, confinement)


__all__ = ["Mount", "Sandbox", "SandboxFs", "hidden_note", "namespace", "for_server", "socket_apart",
           "socket_place", "read_only_denial", "starting_unit", "exec_start", "option", "view"]

"""Real servers inside the mount namespace a systemd unit describes.

A sandbox file (tests/realserver/sandbox_scenarios/*.yaml) holds sandboxes:

    sandboxes:
      - name: protect-home-yes
        dropin: |                   # /etc/systemd/system/<unit>.d/harden.conf in the image
          [Service]
          ProtectHome=yes
        host: [/home]               # image directories bound over the host's (the disk under test)
        mounts:                     # what systemd 252 mounts for the unit, in its order
          - [inaccessible, /home]   #   (src/core/namespace.c; written by hand: the oracle)
          - [tmpfs, /srv/x, "0755"]
          - [bind-ro, /home/bob/public]       # source = destination, or [bind-ro, DST, SRC]
          - [read-only, /srv/www]             # ProtectSystem=, ReadOnlyPaths=: remounted ro last
          - [read-write, /srv/www/upload]     # ReadWritePaths= below it: a bind of its own, left rw
        tree: [...]                 # tree.py entries, relative to the image root
        scenarios: [...]            # scenarios.py scenarios (nginx:/apache: bodies use image paths)

The image is a fresh directory with the tree, the host's vendor unit and
passwd/group, the drop-in, and (after the run) the exact config the server ran
at its default path: `confcheck why --root IMAGE` reads the unit from it.

The server runs as systemd would start it (namespace.c, setup_namespace):
`unshare -m --propagation private`, then the image's directories over the
host's, then the unit's mounts: inaccessible paths get an empty mode-000
directory (or regular file) bound over them and remounted read-only, like
/run/systemd/inaccessible/{dir,reg}; tmpfs mounts are empty with their mode;
bind sources are taken from the view before the sandbox (systemd binds them
from outside the unit's root) and the mount points created 0755 inside an
empty tmpfs; read-only mounts are remounted `ro` last. PrivateTmp= is not
emulated on /tmp only (`[private-tmp, /tmp]`: an empty 1777 tmpfs): the harness's
own files live under /var/tmp and must stay visible, so scenarios put what a private
/tmp hides in a fresh directory of the real /tmp, named by the run (`@TMP@`, the
absolute path, and `@TMPNAME@`, its name: `tree: [{path: tmp/@TMPNAME@/x}]`,
`host: [@TMP@]`), removed afterwards.

php-fpm (fpm_sandbox_scenarios/): a sandbox with `fpm_dropin:`/`fpm_mounts:` runs a
php-fpm master carrying the scenarios' pools in the namespace php8.2-fpm.service's
drop-in describes (the same script, its own mounts), beside the server in its own;
the master's configuration is left at /etc/php/8.2/fpm/php-fpm.conf in the image.
"""

from __future__ import annotations

import os
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .scenarios import Scenario, parse_scenario
from .tree import Entry, build_tree, parse_entries

SANDBOX_DIR = Path(__file__).resolve().parent.parent / "sandbox_scenarios"
UNITS = {"nginx": ("nginx.service", "/etc/nginx/nginx.conf"),
         "apache": ("apache2.service", "/etc/apache2/apache2.conf"),
         "php-fpm": ("php8.2-fpm.service", "/etc/php/8.2/fpm/php-fpm.conf")}
VENDOR_DIRS = ("/usr/lib/systemd/system", "/lib/systemd/system")


@dataclass
class SandboxSpec:
    name: str
    kind: str
    dropin: str
    host: list[str]
    mounts: list[list[str]]
    tree: list[Entry]
    scenarios: list[Scenario]
    source: str = ""
    fpm_dropin: str | None = None        # php8.2-fpm.service's drop-in: a php-fpm master runs beside
    fpm_mounts: list[list[str]] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return UNITS[self.kind][0]

    @property
    def dropin_path(self) -> str:
        return f"/etc/systemd/system/{self.unit}.d/harden.conf"


def load_sandboxes(kind: str, tmp: str, directory: Path = SANDBOX_DIR) -> list[SandboxSpec]:
    """The sandboxes of `directory` with scenarios for `kind`; `tmp` is the run's fresh
    directory in the real /tmp (@TMP@)."""
    out = []
    for path in sorted(directory.glob("*.yaml")):
        text = path.read_text(encoding="utf-8").replace("@TMPNAME@", os.path.basename(tmp)).replace("@TMP@", tmp)
        doc = yaml.safe_load(text)
        for raw in doc["sandboxes"]:
            scenarios = [parse_scenario(s, f"{path.name}:{raw['name']}") for s in raw["scenarios"]]
            scenarios = [s for s in scenarios if s.runs_on(kind)]
            if not scenarios:
                continue
            out.append(SandboxSpec(raw["name"], kind, raw["dropin"], list(raw.get("host") or []),
                                   [list(map(str, m)) for m in raw["mounts"]],
                                   parse_entries(raw.get("tree") or [], f"{raw['name']}.tree"),
                                   scenarios, path.name, raw.get("fpm_dropin"),
                                   [list(map(str, m)) for m in raw.get("fpm_mounts") or []]))
    return out


def write_dropin(image: Path, path: str, text: str) -> None:
    dest = image / path.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")


def build_image(image: Path, spec: SandboxSpec) -> None:
    """The image confcheck reads with --root: tree (the sandbox's, then its scenarios'),
    vendor unit, drop-in, accounts."""
    build_tree(image, spec.tree + [e for s in spec.scenarios for e in s.tree])
    vendor = next(Path(d) / spec.unit for d in VENDOR_DIRS if (Path(d) / spec.unit).exists())
    dest = image / "usr/lib/systemd/system" / spec.unit
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(vendor, dest)
    write_dropin(image, spec.dropin_path, spec.dropin)
    for name in ("passwd", "group"):
        shutil.copyfile(f"/etc/{name}", image / "etc" / name)
    if spec.fpm_dropin is not None:
        unit = UNITS["php-fpm"][0]
        vendor = next(Path(d) / unit for d in VENDOR_DIRS if (Path(d) / unit).exists())
        shutil.copyfile(vendor, image / "usr/lib/systemd/system" / unit)
        write_dropin(image, f"/etc/systemd/system/{unit}.d/harden.conf", spec.fpm_dropin)
        (image / "etc/nginx").mkdir(parents=True, exist_ok=True)
        shutil.copyfile("/etc/nginx/fastcgi_params", image / "etc/nginx/fastcgi_params")


def namespace_script(image: Path, work: Path, spec: SandboxSpec, mounts: list[list[str]] | None = None) -> str:
    """The shell run by `unshare -m`: the disk under test, then systemd's mounts (the
    server's, or `mounts`), then exec."""
    mounts = spec.mounts if mounts is None else mounts
    inacc = work / "inaccessible"
    (inacc / "dir").mkdir(parents=True, exist_ok=True)
    (inacc / "reg").touch()
    os.chmod(inacc / "dir", 0)
    os.chmod(inacc / "reg", 0)
    stage = work / "stage"
    q = shlex.quote
    lines = ["set -e"]
    for d in spec.host:
        lines.append(f"mount --bind {q(str(image) + d)} {q(d)}")
    binds, read_only = [], []
    for n, (mode, path, *rest) in enumerate(mounts):
        if mode in ("bind", "bind-ro"):
            # the source as the host shows it before any sandbox mount
            src = rest[0] if rest else path
            (stage / str(n)).mkdir(parents=True, exist_ok=True)
            lines.append(f"mount --bind {q(src)} {q(str(stage / str(n)))}")
            binds.append(n)
    for n, (mode, path, *rest) in enumerate(mounts):
        if mode == "inaccessible":
            lines.append(f"if [ -d {q(path)} ]; then mount --bind {q(str(inacc / 'dir'))} {q(path)}; "
                         f"elif [ -e {q(path)} ]; then mount --bind {q(str(inacc / 'reg'))} {q(path)}; fi")
            read_only.append(path)
        elif mode == "tmpfs":
            lines.append(f"mount -t tmpfs -o mode={rest[0] if rest else '0755'},nodev,strictatime tmpfs {q(path)}")
            read_only.append(path)
        elif mode in ("bind", "bind-ro"):
            lines.append(f"mkdir -p {q(path)} && mount --bind {q(str(stage / str(n)))} {q(path)}")
            if mode == "bind-ro":
                read_only.append(path)
        elif mode == "read-only":
            lines.append(f"mount --bind {q(path)} {q(path)}")
            read_only.append(path)
        elif mode == "private-tmp":
            # PrivateTmp=: a fresh, empty 1777 directory (systemd binds /tmp/systemd-private-*/tmp)
            lines.append(f"mount -t tmpfs -o mode=1777,nodev,nosuid tmpfs {q(path)}")
        elif mode == "read-write":
            # ReadWritePaths= under a read-only tree: its own bind mount, never remounted ro
            lines.append(f"mount --bind {q(path)} {q(path)}")
        else:
            raise ValueError(f"{spec.name}: mount mode {mode!r}")
    for path in read_only:
        lines.append(f"[ ! -e {q(path)} ] || mount -o remount,bind,ro {q(path)}")
    lines.append('exec "$@"')
    return "\n".join(lines)


class InNamespace:
    """Mixed into a runner: the master starts inside the unit's mount namespace
    (unshare without --fork execs in place, so the pid is the server's)."""

    namespace: str = ""

    def start_foreground(self, argv: list[str], attempts: int = 3) -> None:
        wrapped = ["unshare", "-m", "--propagation", "private", "--", "sh", "-c", self.namespace, "sh", *argv]
        super().start_foreground(wrapped, attempts)


def sandboxed_runner(kind: str):
    from .session import runner_class
    base = runner_class(kind)
    return type(f"Sandboxed{base.__name__}", (InNamespace, base), {})


@dataclass
class SandboxRun:
    spec: SandboxSpec
    image: Path
    result: object                 # runner.RunResult
    errors: list[str] = field(default_factory=list)


def run_sandbox(base: Path, spec: SandboxSpec, image: Path | None = None, label: str = "") -> SandboxRun:
    """Build the image (or reuse `image`, e.g. with a fix's drop-in added), run the server
    in the namespace `spec.mounts` describes over its scenarios, and leave the config it
    ran at the image's default path."""
    from .runner import BoundScenario
    work = base / (spec.name + label) / "work"
    work.mkdir(parents=True)
    for d in (base / (spec.name + label), work):
        os.chmod(d, 0o755)
    if image is None:
        image = base / spec.name / "image"
        build_image(image, spec)      # build_tree makes the image directory itself (0755)
    bound = [BoundScenario(spec=s, root=image, tree_base=image) for s in spec.scenarios]
    runner = sandboxed_runner(spec.kind)(work / spec.kind, bound)
    runner.namespace = namespace_script(image, work, spec)
    master = _fpm_master(image, work, spec, bound) if spec.fpm_dropin is not None else None
    try:
        result = runner.run()
    finally:
        if master is not None:
            master.stop()
    conf = image / UNITS[spec.kind][1].lstrip("/")
    conf.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(runner.conf_path, conf)
    return SandboxRun(spec, image, result)


def _fpm_master(image: Path, work: Path, spec: SandboxSpec, bound: list):
    """php-fpm, started in the namespace of php8.2-fpm.service's drop-in, carrying the pools of
    every scenario; its configuration is left where the unit's --fpm-config names it."""
    from .phpfpm import FpmMaster, pool_text
    master = FpmMaster(work / "php-fpm", [pool_text(b, spec.kind, None) for b in bound if b.spec.php_fpm])
    master.wrap = ["unshare", "-m", "--propagation", "private", "--", "sh", "-c",
                   namespace_script(image, work, spec, spec.fpm_mounts), "sh"]
    master.start()
    conf = image / UNITS["php-fpm"][1].lstrip("/")
    conf.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(master.conf_path, conf)
    return master

"""The unit reader against systemd's own: `systemd-analyze --root=DIR cat-config`
(which files, in which order) and `systemd-analyze --offline=true --root=DIR
security` (the ProtectHome=/PrivateTmp= systemd's parser ends up with after every
drop-in, continuation, comment and reset), over generated drop-in layouts."""

from __future__ import annotations

import os
import random
import shutil
import subprocess

import pytest

from confcheck.fs.live import LiveFs
from confcheck.fs.sandbox import INACCESSIBLE, PRIVATE_TMP, READ_ONLY, TMPFS, namespace
from confcheck.parsers.systemd_unit import load_unit

ANALYZE = shutil.which("systemd-analyze")
DIRS = ("etc/systemd/system", "run/systemd/system", "usr/local/lib/systemd/system", "usr/lib/systemd/system")
VENDOR = "[Unit]\nDescription=web\n\n[Service]\nType=forking\nExecStart=/usr/sbin/nginx\n"


def _need_analyze():
    if ANALYZE is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze (Debian package systemd) is the oracle here and CI must run it")
        pytest.skip("systemd-analyze is not installed")


def _write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def _layout(rng: random.Random, root: str) -> None:
    """The vendor unit plus 1-5 drop-ins spread over the search path (names repeat across
    directories, so masking matters), each with ProtectHome/PrivateTmp lines in the
    forms conf-parser accepts."""
    _write(root, "usr/lib/systemd/system/nginx.service", VENDOR + ("PrivateTmp=true\n" if rng.random() < .5 else ""))
    for _ in range(rng.randint(1, 5)):
        lines = ["[Service]"]
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(["ProtectHome", "PrivateTmp"])
            value = rng.choice(["yes", "read-only", "tmpfs", "no", "true", "0", ""] if key == "ProtectHome"
                               else ["yes", "no", "on", "off", ""])
            form = rng.randrange(4)
            if form == 0:
                lines.append(f"{key}={value}")
            elif form == 1:
                lines.append(f"  {key} =  {value}  ")
            elif form == 2:
                lines += [f"{key}=\\", "# a comment inside the continuation", f"  {value}"]
            else:
                lines += [f"; {key}=yes", f"{key}={value}"]
        _write(root, f"{rng.choice(DIRS)}/nginx.service.d/{rng.choice(['a', 'b', '10-x', 'z'])}.conf",
               "\n".join(lines) + "\n")


def _systemd_files(root: str) -> list[str]:
    out = subprocess.run([ANALYZE, f"--root={root}", "cat-config", "systemd/system/nginx.service"],
                         capture_output=True, text=True, check=True).stdout
    return [line[2:][len(root):] for line in out.splitlines() if line.startswith("# /")]


def _systemd_security(root: str) -> dict[str, str]:
    out = subprocess.run([ANALYZE, "--offline=true", f"--root={root}", "security", "nginx.service"],
                         capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        for key in ("ProtectHome=", "PrivateTmp="):
            if f" {key} " in line:
                found[key[:-1]] = line.split(key, 1)[1].strip()
    return found


def _home(box) -> str:
    mode = next((m.mode for m in box.mounts if m.path == "/home"), None)
    return {INACCESSIBLE: "no access to home directories", READ_ONLY: "read-only access to home directories",
            TMPFS: "fake empty home directories", None: "full access to home directories"}[mode]


@pytest.mark.parametrize("seed", range(16))
def test_reader_agrees_with_systemd(seed, tmp_path):
    _need_analyze()
    root = str(tmp_path)
    _layout(random.Random(seed), root)
    fs = LiveFs(root)
    unit = load_unit(fs, "nginx.service", fs.host_path)
    # cat-config searches /etc, /run, /usr/local/lib, /usr/lib: the same order as the unit path
    assert unit.files == _systemd_files(root)
    box = namespace(unit)
    security = _systemd_security(root)
    assert _home(box) in security["ProtectHome"], (security, [a.text for a in unit.assignments])
    private = any(m.mode == PRIVATE_TMP for m in box.mounts)
    assert ("no access to other software's temporary files" in security["PrivateTmp"]) == private, security


def test_spans_name_the_assignment(tmp_path):
    root = str(tmp_path)
    _write(root, "usr/lib/systemd/system/nginx.service", VENDOR)
    _write(root, "etc/systemd/system/nginx.service.d/h.conf",
           "[Service]\n# why\n   ProtectHome = yes \nReadOnlyPaths=/a \\\n  /b\n")
    fs = LiveFs(root)
    unit = load_unit(fs, "nginx.service", fs.host_path)
    home, ro = unit.get("Service", "ProtectHome")[0], unit.get("Service", "ReadOnlyPaths")[0]
    assert (home.value, home.where) == ("yes", f"{root}/etc/systemd/system/nginx.service.d/h.conf:3:4")
    assert ro.value == "/a    /b" and ro.span.line == 4 and ro.span.end_line == 5


def test_namespace_follows_namespace_c():
    """drop_duplicates (the more restrictive mode wins the same path), drop_inaccessible
    (nothing below an inaccessible path), empty assignments reset lists, '-' and quotes."""
    from confcheck.parsers.systemd_unit import Unit, parse
    from confcheck.source import SourceFile
    text = ("[Service]\nReadWritePaths=/srv/a\nInaccessiblePaths=/srv/a\nBindPaths=/x:/srv/a/b\n"
            "ReadOnlyPaths=/gone\nReadOnlyPaths=\nReadOnlyPaths=-\"/with space\" /srv\nProtectHome=tmpfs\n"
            "TemporaryFileSystem=/var/cache:mode=0700,ro\n")
    unit = Unit("nginx.service")
    parse(SourceFile("/u", text.encode()), unit)
    box = namespace(unit)
    got = [(m.path, m.mode) for m in box.mounts]
    assert ("/srv/a", INACCESSIBLE) in got and ("/srv/a", "read-write") not in got
    assert not any(p.startswith("/srv/a/") for p, _ in got)
    assert ("/gone", READ_ONLY) not in got and ("/with space", READ_ONLY) in got
    cache = next(m for m in box.mounts if m.path == "/var/cache")
    assert (cache.mode, cache.dir_mode, cache.read_only) == (TMPFS, 0o700, True)
    root_home = next(m for m in box.mounts if m.path == "/root")
    assert root_home.dir_mode == 0o700


def test_environment_files_override_environment_and_an_empty_assignment_resets_each_list(tmp_path):
    # systemd.exec(5): EnvironmentFile= settings override Environment=; both are lists an empty
    # assignment resets. php-fpm's unit reading and Django's discovery take the environment here.
    from confcheck.parsers.systemd_unit import Unit, environment, parse
    from confcheck.source import SourceFile
    text = ("[Service]\nEnvironment=A=unit B=unit\nEnvironmentFile=-/gone.env\nEnvironmentFile=\n"
            "EnvironmentFile=-/site.env\nEnvironment=\nEnvironment=\"C=after reset\" D=unit\n")
    unit = Unit("app.service")
    parse(SourceFile("app.service", text.encode()), unit)
    files = {"/site.env": {"D": ("file", "/site.env:1")}}
    read = []
    env = environment(unit, lambda path: read.append(path) or files.get(path, {}))
    assert read == ["/site.env"]                         # the reset dropped /gone.env
    assert env == {"C": ("after reset", "app.service:7:1"), "D": ("file", "/site.env:1")}

"""The sandbox view (confcheck/fs/sandbox.py) on a real tree: what the worker finds
through a unit's namespace, and the unit line every denial names."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from confcheck.fs.access import Checker
from confcheck.fs.live import LiveFs
from confcheck.fs.model import Identity
from confcheck.fs.sandbox import view

WWW = Identity("www-data", 33, 33)
ROOT = Identity("root", 0, 0)


@pytest.fixture
def image():
    base = tempfile.mkdtemp(prefix="cc-sandbox-", dir="/var/tmp")
    os.chmod(base, 0o755)
    for rel in ("tmp/site/index.html", "var/tmp/x.html", "srv/www/index.html", "srv/www/secret.txt",
                "home/alice/site/index.html"):
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write("x\n")
    try:
        yield base
    finally:
        shutil.rmtree(base)


def _unit(base, text):
    path = os.path.join(base, "etc/systemd/system/nginx.service")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write("[Service]\nExecStart=/usr/sbin/nginx\n" + text)
    fs, box = view(LiveFs(base), "nginx", "/etc/nginx/nginx.conf")
    return fs, box


def test_private_tmp_hides_tmp_and_var_tmp(image):
    fs, _ = _unit(image, "PrivateTmp=yes\n")
    ck = Checker(fs, WWW)
    for path in ("/tmp/site/index.html", "/var/tmp/x.html"):
        acc = ck.check(path, "read")
        assert not acc.ok and acc.denial.need == "missing"
        assert "PrivateTmp=yes at " in acc.denial.detail and acc.denial.sandbox is not None
    assert fs.lstat("/tmp").mode == 0o1777
    assert ck.check("/srv/www/index.html", "read").ok


def test_inaccessible_file_and_root_worker(image):
    fs, _ = _unit(image, "InaccessiblePaths=/srv/www/secret.txt\nProtectHome=yes\n")
    acc = Checker(fs, WWW).check("/srv/www/secret.txt", "read")
    assert (acc.denial.need, acc.denial.path) == ("r", "/srv/www/secret.txt")
    assert "nginx.service:3:1" in acc.denial.detail
    # root may search the mode-000 directory: it is empty (ENOENT, 404)
    acc = Checker(fs, ROOT).check("/home/alice/site/index.html", "read")
    assert acc.denial.need == "missing" and "ProtectHome=yes" in acc.denial.detail


def test_read_only_settings_change_writes_not_reads(image):
    """ProtectSystem=strict and ProtectHome=read-only hide nothing: every read answers as on
    the plain view, and writes under them meet the read-only mount (EROFS), but not under a
    ReadWritePaths= folder (the deeper mount wins)."""
    os.makedirs(os.path.join(image, "srv/www/upload"))
    plain = LiveFs(image)
    fs, box = _unit(image, "ProtectSystem=strict\nProtectHome=read-only\nReadWritePaths=/srv/www/upload\n")
    assert box is not None and not box.hides
    for path in ("/srv/www", "/srv/www/index.html"):
        assert fs.lstat(path) == plain.lstat(path)
        assert Checker(fs, WWW).check(path, "read" if path.endswith(".html") else "search").ok
    assert fs.read_only_at("/srv/www").setting == "ProtectSystem=strict"
    assert fs.read_only_at("/home/alice").setting == "ProtectHome=read-only"
    assert fs.read_only_at("/srv/www/upload") is None


def test_a_unit_that_cannot_start_answers_unknown(image):
    fs, box = _unit(image, "ReadOnlyPaths=/does/not/exist\n")
    assert box.failed and "226/NAMESPACE" in box.failed[0]
    acc = Checker(fs, WWW).check("/srv/www/index.html", "read")
    assert acc.not_checked is not None and "226/NAMESPACE" in acc.not_checked.reason
    fs, box = _unit(image, "ReadOnlyPaths=-/does/not/exist\n")
    assert not box.failed


def test_unmodelled_setting_answers_unknown(image):
    fs, box = _unit(image, "RootDirectory=/srv/chroot\n")
    acc = Checker(fs, WWW).check("/srv/www/index.html", "read")
    assert acc.not_checked is not None and "RootDirectory=/srv/chroot" in acc.not_checked.reason


@pytest.mark.parametrize("lines,refused", [
    ("", False),
    ("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n", False),
    ("RestrictAddressFamilies=AF_INET AF_INET6\n", True),                  # the copied hardening line
    ("RestrictAddressFamilies=AF_INET AF_INET6\nRestrictAddressFamilies=AF_UNIX\n", False),   # merged
    ("RestrictAddressFamilies=~AF_PACKET AF_NETLINK\n", False),
    ("RestrictAddressFamilies=~AF_UNIX\n", True),
    ("RestrictAddressFamilies=~AF_UNIX\nRestrictAddressFamilies=AF_UNIX\n", False),
    ("RestrictAddressFamilies=none\n", True),
    ("RestrictAddressFamilies=AF_INET\nRestrictAddressFamilies=\n", False),   # reset
])
def test_address_families_that_leave_out_unix_sockets(image, lines, refused):
    """The line after which a worker cannot create AF_UNIX sockets (systemd.exec's list rules;
    `systemd-analyze security` words it "Service cannot allocate local sockets")."""
    import subprocess
    from confcheck.fs.sandbox import unix_sockets_refused
    _fs, box = _unit(image, lines)
    got = unix_sockets_refused(box.unit)
    assert (got is not None) is refused
    # and systemd's own reading of the unit agrees (its security report: a check mark on
    # "RestrictAddressFamilies=~AF_UNIX" means the service cannot allocate local sockets)
    if shutil.which("systemd-analyze"):
        unit = os.path.join(image, "etc/systemd/system/nginx.service")
        report = subprocess.run(["systemd-analyze", "security", "--offline=yes", unit], capture_output=True,
                                text=True, timeout=60).stdout
        line = next(row for row in report.splitlines() if "RestrictAddressFamilies=~AF_UNIX" in row)
        assert line.lstrip().startswith("✓") is refused, line
    if refused:
        assert got.key == "RestrictAddressFamilies" and got.value == lines.splitlines()[-1].split("=", 1)[1]

"""scan and why say which systemd unit files they read for a configuration the unit
starts (the `inputs` report), and a configuration no unit starts names none."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from cc_helpers import need_root, run_cli, write_image

CONF = "user www-data;\nevents {}\nhttp {\n    server {\n        listen 80;\n        root /home/alice/site;\n    }\n}\n"


@pytest.fixture
def image():
    need_root()
    base = write_image({"etc/nginx/nginx.conf": CONF, "home/alice/site/index.html": "hi\n",
                        "usr/lib/systemd/system/nginx.service": "[Service]\nExecStart=/usr/sbin/nginx\n",
                        "etc/systemd/system/nginx.service.d/harden.conf": "[Service]\nProtectHome=yes\n"},
                       prefix="cc-units-")
    try:
        yield base
    finally:
        shutil.rmtree(base)


def test_scan_and_why_name_the_unit_files(image):
    want = {"name": "nginx.service", "files": ["/usr/lib/systemd/system/nginx.service",
                                               "/etc/systemd/system/nginx.service.d/harden.conf"]}
    done = run_cli("scan", "--root", image, "/etc/nginx/nginx.conf", "--format", "json")
    doc = json.loads(done.stdout)
    assert doc["inputs"]["configs"][0]["unit"] == want
    assert [f["rule"] for f in doc["findings"]] == ["FS109"]
    text = run_cli("scan", "--root", image, "/etc/nginx/nginx.conf").stdout.decode()
    assert "(started by nginx.service: /usr/lib/systemd/system/nginx.service, " \
           "/etc/systemd/system/nginx.service.d/harden.conf)" in text
    why = run_cli("why", "--root", image, "--config", "/etc/nginx/nginx.conf", "http://x/index.html")
    out = why.stdout.decode() + why.stderr.decode()
    assert "started by nginx.service" in out and "403" in out and "harden.conf:2:1" in out


def test_a_config_no_unit_starts_names_none(image):
    os.rename(os.path.join(image, "etc/nginx/nginx.conf"), os.path.join(image, "etc/nginx/other.conf"))
    doc = json.loads(run_cli("scan", "--root", image, "/etc/nginx/other.conf", "--format", "json").stdout)
    assert doc["inputs"]["configs"][0]["unit"] is None
    assert doc["findings"] == []

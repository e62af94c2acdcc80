"""`confcheck scan /etc/httpd`: the RHEL layout (conf/httpd.conf, conf.modules.d, conf.d)
read under --root with the image's own passwd/group (worker `apache`)."""

from __future__ import annotations

import json
import os

from cc_helpers import RHEL_HTTPD_CONF as HTTPD_CONF, RHEL_HTTPD_MODULES as MODULES, need_root, run_cli

FILES = {
    "etc/httpd/conf/httpd.conf": HTTPD_CONF,
    "etc/httpd/conf.modules.d/00-base.conf": MODULES,
    "etc/httpd/conf.d/app.conf": "<VirtualHost *:80>\n    ServerName app.example.com\n    DocumentRoot /srv/app\n</VirtualHost>\n",
    "etc/passwd": "root:x:0:0::/root:/bin/bash\napache:x:48:48::/usr/share/httpd:/sbin/nologin\n",
    "etc/group": "root:x:0:\napache:x:48:\n",
    "var/www/html/index.html": "hi\n",
    "srv/app/index.html": "app\n",
}


def _build(base: str) -> None:
    for rel, text in FILES.items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)


def test_rhel_layout_scans_with_the_images_worker(tree_dir):
    need_root()
    _build(tree_dir)
    proc = run_cli("scan", "--root", tree_dir, "--format", "json", "/etc/httpd")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["errors"] == []
    assert doc["summary"]["files"] == 3
    found = [(f["rule"], os.path.relpath(f["file"], tree_dir), f["line"]) for f in doc["findings"]]
    assert found == [("APA101", "etc/httpd/conf.d/app.conf", 3)]
    why = run_cli("why", "--root", tree_dir, "--config", "/etc/httpd/conf/httpd.conf", "--format", "json",
                  "http://app.example.com/")
    answer = json.loads(why.stdout)
    assert (answer["server"], answer["status"], answer["decided_by"]["line"]) == ("apache", 403, 8)
    # An unknown Host goes to the first <VirtualHost> on the address, not the main server.
    other = json.loads(run_cli("why", "--root", tree_dir, "--config", "/etc/httpd/conf/httpd.conf",
                               "--format", "json", "http://localhost/").stdout)
    assert other["status"] == 403
    assert "the first <VirtualHost>" in other["trace"][0]["detail"]

"""What `confcheck scan --no-fs` loads: the pre-commit hook runs it on every commit, so what
only other commands, other servers or the disk rules need must stay unloaded."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.main import get_command

from confcheck import fixcmd
from confcheck.cli import app

PROBE = """
import json, sys
from confcheck.cli import main
code = main(["scan", "--no-fs", "--no-progress", sys.argv[1]])
sys.stdout.flush()
sys.stderr.write(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

NOT_FOR_AN_NGINX_SCAN = (
    "confcheck.fixcmd",                 # `confcheck fix`
    "confcheck.fixers.apache_fixes",    # Apache rules, with their first finding
    "confcheck.parsers.apache_loader",
    "confcheck.parsers.apache_parser",
    "confcheck.servers.apache.perdir",
    "confcheck.servers.apache.htaccess",
    "confcheck.survey",                 # disk rules (needs_fs)
    "confcheck.fs.model",
    "pydantic",                         # typer >= 0.29 (pyproject.toml keeps typer < 0.29)
    "libcst",                           # the apps behind the proxy: read only when a scan names some
    # rules whose inputs an nginx scan without apps or ModSecurity lacks (confcheck/registry.py), and
    # what only they read
    "confcheck.analyzers.apache",
    "confcheck.analyzers.app",
    "confcheck.analyzers.waf",
    "confcheck.analyzers.fs",           # needs_fs
    "confcheck.analyzers.php",
    "confcheck.servers.apache.conf",
    "confcheck.apps.links",
    "confcheck.apps.django.decide",
    "confcheck.waf.exclusions",
    "confcheck.parsers.secrule",        # ModSecurity's rule language: configurations that load it
)


def test_config_only_nginx_scan_loads_no_apache_fix_or_disk_modules(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\nhttp {\n    server {\n        listen 80;\n    }\n}\n")
    proc = subprocess.run([sys.executable, "-c", PROBE, str(conf)], capture_output=True, cwd=tmp_path,
                          timeout=120)
    report = json.loads(proc.stderr.decode().splitlines()[-1])
    assert report["code"] == 0, proc
    loaded = set(report["modules"])
    assert "confcheck.engine" in loaded            # the probe did scan
    assert "confcheck.analyzers.nginx.alias_missing_slash" in loaded     # and ran the nginx rules
    assert sorted(loaded & set(NOT_FOR_AN_NGINX_SCAN)) == []


def test_fix_help_names_the_files_fix_writes():
    # cli.py spells the names out so that building the command line never imports fixcmd
    fix = get_command(app).commands["fix"]
    output_dir = next(p for p in fix.params if p.name == "output_dir")
    assert f"DIR/{fixcmd.PATCH_NAME}" in output_dir.help
    assert f"DIR/{fixcmd.SCRIPT_NAME}" in output_dir.help

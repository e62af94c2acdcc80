"""Ordinary invocations an admin types that no other test covers (session 25, s25-wild):
each once ended in a wrong finding, a wrong exit code or a wrong "clean"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from cc_helpers import run_cli


def _write(path: str, data: bytes) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _apache_t(tree: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The real `apache2 -t` on tree/apache2.conf, with the variables apache2ctl takes from envvars."""
    return subprocess.run(["/usr/sbin/apache2", "-t", "-d", tree, "-f", os.path.join(tree, "apache2.conf")],
                          capture_output=True, timeout=60, env={"PATH": os.environ.get("PATH", ""), **env})


def test_a_lone_debian_vhost_reads_envvars_beside_its_folder(tree_dir):
    """`scan /etc/apache2/sites-available/000-default.conf` said Apache would not start
    (`/etc/apache2/${APACHE_LOG_DIR}/` missing): apache2ctl sources envvars first."""
    logs = os.path.join(tree_dir, "logs")
    _write(os.path.join(tree_dir, "envvars"),
           f"unset HOME\nexport APACHE_RUN_USER=www-data\nexport APACHE_LOG_DIR={logs}$SUFFIX\n".encode())
    site = _write(os.path.join(tree_dir, "sites-available", "site.conf"),
                  b"<VirtualHost *:80>\n\tDocumentRoot /var/www/html\n"
                  b"\tErrorLog ${APACHE_LOG_DIR}/error.log\n\tCustomLog ${APACHE_LOG_DIR}/access.log combined\n"
                  b"</VirtualHost>\n")
    # the main it belongs to: what the real server says with and without the log folder
    _write(os.path.join(tree_dir, "apache2.conf"),
           f"LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"
           f"PidFile {tree_dir}/apache2.pid\nErrorLog {tree_dir}/main-error.log\nListen 127.0.0.1:8\n"
           f"LogFormat \"%h\" combined\nInclude sites-available/site.conf\n".encode())
    env = {"APACHE_LOG_DIR": logs}
    missing = _apache_t(tree_dir, env)
    assert missing.returncode != 0 and f"Cannot access directory '{logs}/'".encode() in missing.stderr, missing.stderr
    proc = run_cli("scan", site, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    found = [(f["rule"], f["fs_path"]) for f in json.loads(proc.stdout)["findings"]]
    assert found == [("FS110", logs), ("FS110", logs)], found
    os.mkdir(logs)
    assert _apache_t(tree_dir, env).returncode == 0
    proc = run_cli("scan", site)
    assert proc.returncode == 0 and b"0 findings" in proc.stdout, proc.stdout


def test_a_lone_vhost_without_its_environment_leaves_undefined_paths_unjudged(tree_dir):
    """A vhost copied out of its tree names `${APACHE_LOG_DIR}`, which its main's environment
    supplies: confcheck cannot know where that is, so it does not say Apache will not start."""
    site = _write(os.path.join(tree_dir, "site.conf"),
                  b"<VirtualHost *:80>\n\tDocumentRoot /var/www/html\n"
                  b"\tErrorLog ${APACHE_LOG_DIR}/error.log\n\tCustomLog /nonexistent-s25/access.log combined\n"
                  b"</VirtualHost>\n")
    proc = run_cli("scan", site, "--format", "json")
    found = [(f["rule"], f["fs_path"]) for f in json.loads(proc.stdout)["findings"]]
    assert found == [("FS110", "/nonexistent-s25")], found      # the known path is still judged
    assert proc.returncode == 1

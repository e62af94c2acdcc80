"""Differential check against the real httpd: `apache2 -t` accepts what we accept and
rejects what we reject, at the same line of the same file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from confcheck.parsers.apache_loader import ifmodule_active, load_apache, loaded_modules
from confcheck.parsers.apache_parser import CONDITIONAL_SECTIONS, unclosed_sections
from confcheck.source import Diagnostics

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES = "/usr/lib/apache2/modules"
pytestmark = pytest.mark.skipif(not os.path.exists(APACHE) or not os.path.isdir(MODULES),
                                reason="apache2 not installed")

BASE = """\
LoadModule mpm_event_module {m}/mod_mpm_event.so
LoadModule authz_core_module {m}/mod_authz_core.so
LoadModule authz_host_module {m}/mod_authz_host.so
LoadModule rewrite_module {m}/mod_rewrite.so
LoadModule alias_module {m}/mod_alias.so
LoadModule headers_module {m}/mod_headers.so
LoadModule autoindex_module {m}/mod_autoindex.so
LoadModule macro_module {m}/mod_macro.so
LoadModule setenvif_module {m}/mod_setenvif.so
DefaultRuntimeDir {d}
PidFile {d}/pid
ErrorLog {d}/error.log
ServerName localhost
Listen 127.0.0.1:8999
"""

ACCEPTED = {
    "quoted-dir": '<Directory "/var/www/my docs">\nRequire all denied\n</Directory>\n',
    "continuation": 'Header set X "a" \\\n    "expr=%{CONTENT_TYPE} =~ m#text/html#i"\n',
    "indexignore": "IndexIgnore .??* *~ *# RCS CVS *,v *,t\n",
    "alias-quoted": 'Alias "/my docs" "/var/www/my docs"\n',
    "unclosed-loaded-ifmodule": "<IfModule mod_rewrite.c>\nRewriteEngine on\n",
    "negated-ifmodule": "<IfModule !mod_nope.c>\nRewriteEngine on\n</IfModule>\n",
    "if-expr": "<Location />\n<If \"%{HTTP_HOST} == 'x'\">\nRequire all granted\n</If>\n</Location>\n",
    "comment-continues": "# comment \\\nThisIsNotADirective at all\nRewriteEngine on\n",
    "define": "Define D /var/www\n<Directory ${D}>\nRequire all granted\n</Directory>\n",
    "case": "<directory /x>\nrequire all granted\n</DIRECTORY>\n",
    "optional-nothing": "IncludeOptional nothere/*.conf\nIncludeOptional nothere.conf\n",
    "skipped-ifdefine": "<IfDefine NOPE>\nInclude missing.conf\n</IfDefine>\n",
    "macro": "<Macro M $x>\n<Directory $x>\nRequire all granted\n</Directory>\n</Macro>\nUse M /srv\n",
    "rewrite-order": "RewriteEngine on\nRewriteCond %{HTTPS} !=on\nRewriteRule ^ - [F]\n",
}

REJECTED = {   # name: (config, file with the error, line)
    "mismatch": ("<Directory /x>\n<Files a>\n</Directory>\n", "main.conf", 4),
    "stray-close": ("RewriteEngine on\n</IfModule>\n", "main.conf", 3),
    "unclosed-files": ("<Files a>\nRequire all denied\n", "main.conf", 2),
    "unclosed-absent-ifmodule": ("<IfModule mod_nope.c>\nRewriteEngine on\n", "main.conf", 2),
    "missing-include": ("Include nope.conf\n", "main.conf", 2),
    "no-wildcard-match": ("Include empty/*.conf\n", "main.conf", 2),
    "missing-bracket": ("<Directory /x\n</Directory>\n", "main.conf", 2),
    "close-in-include": ("<Directory /x>\nInclude part.conf\n</Directory>\n", "part.conf", 1),
    "unclosed-in-include": ("Include part2.conf\n", "part2.conf", 1),
}
EXTRA_FILES = {"part.conf": "</Directory>\n", "part2.conf": "<Location /x>\n"}


def run_both(tmp: Path, body: str):
    (tmp / "empty").mkdir(exist_ok=True)
    (tmp / "base.conf").write_text(BASE.format(m=MODULES, d=tmp))
    for name, text in EXTRA_FILES.items():
        (tmp / name).write_text(text)
    (tmp / "main.conf").write_text("Include base.conf\n" + body)
    proc = subprocess.run([APACHE, "-t", "-f", str(tmp / "main.conf"), "-d", str(tmp)],
                          capture_output=True, text=True, timeout=30)
    real = None
    if proc.returncode != 0:
        # nested includes report outermost first: the innermost is the real place
        found = re.findall(r"Syntax error on line (\d+) of ([^:]+):", proc.stderr)
        assert found, proc.stderr
        real = (Path(found[-1][1]).name, int(found[-1][0]))
    diags = Diagnostics()
    config = load_apache(str(tmp / "main.conf"), diags, server_root=str(tmp))
    ours = semantic_verdict(config, diags)
    return real, ours, proc.stderr


def semantic_verdict(config, diags):
    """The first fatal problem as httpd would see it: errors, plus unclosed conditional
    sections whose condition does not hold (those are warnings from the reader)."""
    modules = loaded_modules(config)
    fatal_headers = set()
    for parsed in config.parsed:
        for node in unclosed_sections(parsed.nodes):
            if node.key in CONDITIONAL_SECTIONS and node.key == "ifmodule" \
                    and not ifmodule_active(node, modules):
                fatal_headers.add((node.header_span.source.path, node.header_span.start))
    for d in diags.items:
        if d.severity == "error" or (d.span is not None and
                                     (d.span.source.path, d.span.start) in fatal_headers):
            return (Path(d.span.source.path).name, d.span.line)
    return None


@pytest.fixture
def work():
    # a 0755 place outside /tmp's sticky dir, removed afterwards
    path = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="cc-apache-diff-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_by_both(work, name):
    real, ours, stderr = run_both(work, ACCEPTED[name])
    assert real is None, stderr
    assert ours is None


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_by_both_at_the_same_line(work, name):
    body, file, line = REJECTED[name]
    real, ours, stderr = run_both(work, body)
    assert real == (file, line), stderr
    assert ours == real

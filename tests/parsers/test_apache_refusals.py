"""What `apache2 -t` refuses, confcheck refuses: same line, same words (and what httpd
accepts stays accepted). Each case runs the real httpd on a config with its own modules."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from confcheck.parsers.apache_loader import load_apache, loaded_modules
from confcheck.servers.apache.conf import build
from confcheck.servers.apache.startup import startup_errors
from confcheck.source import Diagnostics

# the same httpd, modules and base config as the reader's differential test
from test_apache_differential import APACHE, BASE, MODULES, pytestmark  # noqa: E402,F401

REFUSED = {
    "unknown-directive": "DocumentRot /x\n",
    "module-not-loaded": "ExpiresActive on\n",
    "unknown-section": "<Foo /x>\n</Foo>\n",
    "auth-at-top": "Require ip 127 extra\n",
    "auth-at-top-in-ifmodule": "<IfModule mod_alias.c>\nRequire all granted\n</IfModule>\n",
    "server-in-directory": "<Directory /x>\nServerName a\n</Directory>\n",
    "listen-in-directory-via-ifmodule": "<Directory /x>\n<IfModule mod_alias.c>\nListen 80\n</IfModule>\n</Directory>\n",
    "directory-in-location": "<Location /x>\n<Directory /y>\n</Directory>\n</Location>\n",
    "allowoverride-in-vhost": "<VirtualHost *:80>\nAllowOverride None\n</VirtualHost>\n",
    "limit-at-top": "<Limit GET>\n</Limit>\n",
    "listen-in-vhost": "<VirtualHost *:80>\nListen 8080\n</VirtualHost>\n",
    "vhost-in-vhost": "<VirtualHost *:80>\n<VirtualHost *:81>\n</VirtualHost>\n</VirtualHost>\n",
    "take1-none": "ServerName\n",
    "take1-two": "servername a b\n",
    "take1-empty": 'ServerAdmin ""\n',
    "take2": "ErrorDocument 404\n",
    "take12": "Alias /a /b /c\n",
    "flag": "RewriteEngine maybe\n",
    "flag-none": "RewriteEngine\n",
    "iterate": "<Directory /x>\nDirectoryIndex\n</Directory>\n",
    "directory-no-arg": "<Directory>\n</Directory>\n",
    "location-two-args": "<Location /a /b>\n</Location>\n",
    "limit-no-arg": "<Directory /x>\n<Limit>\n</Limit>\n</Directory>\n",
    "directorymatch-regex": '<DirectoryMatch "(">\n</DirectoryMatch>\n',
    "directory-tilde-regex": '<Directory ~ "a{2,1}">\n</Directory>\n',
    "files-tilde-regex-nested": "<Directory /x>\n<Files ~ (>\n</Files>\n</Directory>\n",
    "options-extra-at-top": "Options Indexes extra\n",
    "listen-no-words": 'Listen ""\n',
    "alias-one-word-globally": "<VirtualHost *:80>\nAlias /x\n</VirtualHost>\n",
    "alias-one-word-in-directory": "<Directory /x>\nAlias /x\n</Directory>\n",
    "customlog-condition": "CustomLog /dev/null common extra\n",
    "rewrite-empty-flags": 'RewriteEngine on\nRewriteRule ^a b ""\n',
    "setenvif-regex": "SetEnvIfNoCase Request_URI (foo x=1\n",
    "setenvif-no-regex": "SetEnvIf Request_URI\n",
    "browsermatch-regex": "BrowserMatch a{2,1} x\n",
    "aliasmatch-regex": "AliasMatch ^/(a /srv/$1\n",
    "redirectmatch-regex": "RedirectMatch permanent ^/(a http://x/\n",
    "require-extra-in-directory": "<Directory /x>\nRequire ip 127 extra\n</Directory>\n",
    "foreign-close-in-true-ifmodule": "<Directory /x>\n<IfModule mod_alias.c>\n</Directory>\n</IfModule>\n",
    "mismatch-in-false-ifmodule": "<IfModule mod_nope.c>\n<Directory /x>\n</Files>\n</IfModule>\n",
    "unclosed-in-false-ifmodule": "<IfModule mod_nope.c>\n<Directory /x>\n",
    "unclosed-skipped-in-read-ifmodule": "<IfModule !mod_nope.c>\n<IfModule mod_nope.c>\n<Files x>\n",
    "alias-empty-second-word": 'Alias /icons/ ""\n',
    "scriptalias-one-word": "ScriptAlias /cgi-bin/\n",
    "tag-without-bracket-in-skipped-section": "<IfModule mod_nope.c>\n</IfModule\n",
    "unclosed-nested": "<Directory /x>\n<Files x>\n",
}

ACCEPTED = {
    "rewrite-rule-extra-word": "RewriteEngine on\nRewriteRule ^a b [L] extra\n",
    "flag-extra-word": "RewriteEngine on off\n",
    "pcre-only-setenvif": "SetEnvIf Request_URI (?<n>a) x=1\nRedirectMatch 301 ^/(?<x>a) http://x/\n",
    "pcre-only-regex": '<DirectoryMatch "^/x(?<n>a)\\Qb\\E[[:alpha:]]">\n</DirectoryMatch>\n',
    "alias-one-word-in-location": "<Location /x>\nAlias /srv\n</Location>\n",
    "missing-bracket-in-skipped-section": "<IfModule mod_nope.c>\n<Files x\n</Files>\n</IfModule>\n",
    "unclosed-in-true-ifmodule": "<IfModule mod_alias.c>\n<Directory /x>\n",
    "allowoverride-in-files": "<Files x>\nAllowOverride None\n</Files>\n",
    "options-without-words": "<Directory /x>\nOptions\n</Directory>\n",
    "case-insensitive": "<directory /x>\nrequire all granted\n</DIRECTORY>\n",
    "limit-in-vhost-directory": "<VirtualHost *:80>\n<Directory /x>\n<Limit GET>\nRequire all denied\n</Limit>\n</Directory>\n</VirtualHost>\n",
    "ifmodule-absent-skips-errors": "<IfModule mod_nope.c>\nNoSuchThing x y\nServerName\n</IfModule>\n",
}

_SYNTAX = re.compile(r"Syntax error on line (\d+) of [^:\n]+:\s*")


def real_verdict(tmp: Path, body: str):
    (tmp / "base.conf").write_text(BASE.format(m=MODULES, d=tmp))
    (tmp / "main.conf").write_text("Include base.conf\n" + body)
    proc = subprocess.run([APACHE, "-t", "-f", str(tmp / "main.conf"), "-d", str(tmp)],
                          capture_output=True, text=True, timeout=30)
    if proc.returncode == 0:
        return None
    last = list(_SYNTAX.finditer(proc.stderr))[-1]
    message = proc.stderr[last.end():].strip().splitlines()[0].split("\\n")[0]
    line = int(last.group(1))
    inner = re.match(r"^/[^:]+:(\d+): ", message)      # `FILE:N: <X> was not closed.`
    if inner:
        line, message = int(inner.group(1)), message[inner.end():]
    return line, message


def our_verdicts(tmp: Path) -> list[tuple[int, str]]:
    """Every refusal, as `scan` and `why` collect them: reading, validation, the model's start-up checks."""
    diags = Diagnostics()
    config = load_apache(str(tmp / "main.conf"), diags, server_root=str(tmp))
    errors = diags.errors + startup_errors(build(config, loaded_modules(config)))
    return [(d.span.line, d.message) for d in errors]


@pytest.fixture
def work(tree_dir):
    """A fresh 0755 directory under /var/tmp (the suite's tree_dir), as a Path."""
    return Path(tree_dir)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_by_both_in_the_same_words_at_the_same_line(work, name):
    real = real_verdict(work, REFUSED[name])
    assert real is not None, "httpd accepts this case: the case is wrong"
    assert real in our_verdicts(work)


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_by_both(work, name):
    assert real_verdict(work, ACCEPTED[name]) is None
    assert our_verdicts(work) == []

"""What a config file is, from its name and first bytes: nginx main, nginx vhost or
snippet, `nginx -T` dump, Apache main, Apache vhost or snippet, `.htaccess`, a
php-fpm main (php-fpm.conf) or pool file, or neither (a supervisor file: a
`.conf` that is not ours)."""

from __future__ import annotations

import re
from dataclasses import dataclass

NGINX_MAIN_NAMES = ("nginx.conf",)
APACHE_MAIN_NAMES = ("apache2.conf", "httpd.conf")
DUMP_MARKER = b"# configuration file "
SNIFF = 65536


@dataclass(frozen=True)
class Kind:
    server: str           # "nginx" | "apache" | "php-fpm"
    role: str             # "main" | "lone" | "dump" | "htaccess"; php-fpm: "main" | "pool" | "ini"


def looks_like_dump(data: bytes) -> bool:
    head = data[:4096]
    return head.startswith(DUMP_MARKER) or b"\n" + DUMP_MARKER in head or head.startswith(b"nginx: ")


# nginx directives are lower case; Apache's are capitalised (DocumentRoot,
# <VirtualHost>). One such line outside a comment marks an Apache file.
_APACHE_LINE = re.compile(
    rb"^[ \t]*(</?(VirtualHost|Directory|DirectoryMatch|Files|FilesMatch|Location|LocationMatch|IfModule|"
    rb"IfDefine|IfVersion|If|ElseIf|Else|Macro|Limit|LimitExcept|RequireAll|RequireAny|RequireNone)\b"
    rb"|(DocumentRoot|ServerName|ServerAlias|ServerRoot|Require|AllowOverride|Options|RewriteEngine|"
    rb"RewriteRule|RewriteCond|DirectoryIndex|Alias|AliasMatch|AuthType|AuthName|AuthUserFile|Include|"
    rb"IncludeOptional|LoadModule|Listen|ErrorDocument|Order|Allow|Deny|Satisfy|Header|SetEnv|"
    rb"ProxyPass|ErrorLog|CustomLog|LogLevel|AddHandler|AddType)[ \t])", re.M)
_APACHE_MAIN = re.compile(rb"^[ \t]*ServerRoot[ \t]", re.M)
_NGINX_MAIN = re.compile(rb"^[ \t]*(events|http)[ \t]*\{", re.M)
# a statement ending in `;` or opening a block, the way every nginx file has them (or a
# block on one line: `upstream php { server unix:/run/php/php-fpm.sock; }`)
_NGINX_STATEMENT = re.compile(rb"^[ \t]*[a-z_][a-z0-9_]*(?:[ \t][^\n#]*)?(?:[;{]|\{[^\n#]*\})[ \t]*(?:#[^\n]*)?\r?$",
                              re.M)
_INI_SECTION = re.compile(rb"^[ \t]*\[[^\]\n]+\][ \t]*\r?$", re.M)
# php-fpm's own entries (a pool file, php-fpm.conf): INI lines no nginx or Apache file has
_FPM_LINE = re.compile(rb"^[ \t]*(listen|pm|pm\.max_children|listen\.(owner|group|mode|acl_users|acl_groups)|"
                       rb"security\.limit_extensions|php_(admin_)?(value|flag)\[[^\]\n]*\]|"
                       rb"include|pid|error_log|daemonize)[ \t]*=", re.M)
_FPM_MAIN = re.compile(rb"^[ \t]*(\[global\]|include[ \t]*=)", re.M | re.I)
FPM_MAIN_NAMES = ("php-fpm.conf",)
PHP_INI_NAME = "php.ini"


def fpm_kind(name: str, head: bytes) -> Kind | None:
    """A php-fpm main (php-fpm.conf, or a file with [global] or include=) or pool file, else None."""
    if name in FPM_MAIN_NAMES or (_INI_SECTION.search(head) and _FPM_LINE.search(head)):
        return Kind("php-fpm", "main" if name in FPM_MAIN_NAMES or _FPM_MAIN.search(head) else "pool")
    return None


def kind_of(name: str, data: bytes, server: str | None, *, named: bool) -> Kind | None:
    """The kind of the file `name` (its base name) holding `data`.

    `named`: the user named this very file, so it is config whatever it looks
    like (nginx unless it looks like Apache; `--server` decides outright). A
    file found by a directory search that looks like neither server's, or not
    like the `--server` asked for, is not ours (None).
    """
    head = data[:SNIFF]
    if named and name == PHP_INI_NAME:
        return Kind("php-fpm", "ini")      # the php.ini php-fpm runs with, as its -c names it
    fpm = fpm_kind(name, head) if name != ".htaccess" else None
    if fpm is not None and not _APACHE_LINE.search(head) and not _NGINX_MAIN.search(head):
        return fpm          # --server picks nginx or Apache; the pools behind either are read with it
    if named and server == "apache":
        return Kind("apache", "htaccess" if name == ".htaccess" else
                    "main" if name in APACHE_MAIN_NAMES or _APACHE_MAIN.search(head) else "lone")
    found = _sniff(name, head, named and server != "nginx")
    if found is None and named:
        found = Kind("nginx", "lone")
    if found is not None and server is not None and found.server != server:
        return Kind("nginx", "main" if _NGINX_MAIN.search(head) else "lone") if named else None
    return found


def _sniff(name: str, head: bytes, named: bool) -> Kind | None:
    if name == ".htaccess":
        return Kind("apache", "htaccess")
    if looks_like_dump(head):
        return Kind("nginx", "dump")
    if name in APACHE_MAIN_NAMES or _APACHE_LINE.search(head):
        return Kind("apache", "main" if name in APACHE_MAIN_NAMES or _APACHE_MAIN.search(head) else "lone")
    if name in NGINX_MAIN_NAMES or _NGINX_MAIN.search(head):
        return Kind("nginx", "main")
    if named or (_NGINX_STATEMENT.search(head) and not _INI_SECTION.search(head)):
        return Kind("nginx", "lone")
    return None

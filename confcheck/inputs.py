"""Turning command-line PATHs into what to read: configs, dumps, served trees.

A PATH is a server path; under `--root DIR` it is read at DIR + PATH. It may
be a config file, a config directory (/etc/nginx), an `nginx -T` dump (a file,
or `-` for stdin), or a served tree (/var/www) that limits the disk walk.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

NGINX_MAIN_NAMES = ("nginx.conf",)
APACHE_MAIN_NAMES = ("apache2.conf", "httpd.conf", "conf/httpd.conf")
STANDARD_NGINX = ("/etc/nginx/nginx.conf", "/usr/local/nginx/conf/nginx.conf",
                  "/usr/local/etc/nginx/nginx.conf")
STANDARD_APACHE = ("/etc/apache2/apache2.conf", "/etc/httpd/conf/httpd.conf")
DUMP_MARKER = b"# configuration file "


class InputError(Exception):
    """The command line names something confcheck cannot read (exit 2)."""


@dataclass
class Inputs:
    nginx: list[str] = field(default_factory=list)          # local paths of main config files
    dumps: list[tuple[str, bytes]] = field(default_factory=list)   # (name, bytes) of nginx -T output
    apache: list[str] = field(default_factory=list)
    trees: list[str] = field(default_factory=list)          # server paths of served trees named


def local_path(path: str, root: str | None) -> str:
    if not root:
        return path
    return os.path.join(root, os.path.abspath(path).lstrip("/"))


def _looks_like_dump(data: bytes) -> bool:
    head = data[:4096]
    return head.startswith(DUMP_MARKER) or b"\n" + DUMP_MARKER in head or head.startswith(b"nginx: ")


# nginx directives are lower case; Apache's are capitalised (DocumentRoot,
# <VirtualHost>). One such line outside a comment marks an Apache file (a lone
# vhost from an Apache tree in a config repository).
_APACHE_LINE = re.compile(
    rb"^[ \t]*(</?(VirtualHost|Directory|DirectoryMatch|Files|FilesMatch|Location|LocationMatch|IfModule|"
    rb"IfDefine|IfVersion|If|ElseIf|Else|Macro|Limit|LimitExcept|RequireAll|RequireAny|RequireNone)\b"
    rb"|(DocumentRoot|ServerName|ServerAlias|ServerRoot|Require|AllowOverride|Options|RewriteEngine|"
    rb"RewriteRule|RewriteCond|DirectoryIndex|Alias|AliasMatch|AuthType|AuthName|AuthUserFile|Include|"
    rb"IncludeOptional|LoadModule|Listen|ErrorDocument|Order|Allow|Deny|Satisfy|Header|SetEnv|"
    rb"ProxyPass|ErrorLog|CustomLog|LogLevel|AddHandler|AddType)[ \t])", re.M)


def _looks_like_apache(data: bytes) -> bool:
    return not _looks_like_dump(data) and _APACHE_LINE.search(data[:65536]) is not None


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def classify(paths: list[str], *, root: str | None, configs: list[str], server: str | None,
             stdin=None) -> Inputs:
    inputs = Inputs()
    for config in configs:
        _add_config_file(inputs, local_path(config, root), server)
    for path in paths:
        if path == "-":
            data = stdin.buffer.read() if stdin is not None else b""
            inputs.dumps.append(("<stdin>", data))
            continue
        local = local_path(path, root)
        if os.path.isdir(local):
            main = _main_in_dir(local, server)
            if main is not None:
                kind, main_path = main
                getattr(inputs, kind).append(main_path)
            elif _is_config_dir(local):
                # A config repository folder (sites-available/, conf.d/): each file
                # is read as a vhost or snippet on its own.
                any_name = os.path.basename(os.path.normpath(local)) in CONFIG_DIR_NAMES
                for name in sorted(os.listdir(local)):
                    file = os.path.join(local, name)
                    if (os.path.isfile(file) and not name.startswith(".")
                            and (any_name or name.endswith(".conf"))):
                        _add_config_file(inputs, file, server)
            else:
                inputs.trees.append(os.path.abspath(path))
        elif os.path.lexists(local):
            _add_config_file(inputs, local, server)
        else:
            raise InputError(f"{path}: no such file or directory"
                             + (f" (looked at {local} under --root)" if root else ""))
    if not (inputs.nginx or inputs.dumps or inputs.apache) and not configs:
        for candidate in (STANDARD_NGINX if server != "apache" else ()):
            if os.path.isfile(local_path(candidate, root)):
                inputs.nginx.append(local_path(candidate, root))
                break
        if not inputs.nginx and server != "nginx":
            for candidate in STANDARD_APACHE:
                if os.path.isfile(local_path(candidate, root)):
                    inputs.apache.append(local_path(candidate, root))
                    break
        if not (inputs.nginx or inputs.apache):
            where = f" under {root}" if root else ""
            raise InputError("no server configuration found: looked for "
                             + ", ".join(STANDARD_NGINX + STANDARD_APACHE) + where
                             + "; name a config file or directory")
    return inputs


CONFIG_DIR_NAMES = frozenset({"sites-available", "sites-enabled", "conf.d", "http.d", "vhosts.d",
                              "snippets", "streams-available", "streams-enabled"})


def _is_config_dir(directory: str) -> bool:
    """A folder of nginx config files rather than a served tree.

    Only the folder's own name and its top-level entries are looked at, so a
    served tree of a million files costs one listdir.
    """
    if os.path.basename(os.path.normpath(directory)) in CONFIG_DIR_NAMES:
        return True
    try:
        with os.scandir(directory) as entries:
            names = [e.name for e in entries if e.is_file(follow_symlinks=True)]
    except OSError:
        return False
    conf = [n for n in names if n.endswith(".conf")]
    served = [n for n in names if n.rsplit(".", 1)[-1] in ("html", "htm", "php", "css", "js")]
    return bool(conf) and not served


def _main_in_dir(directory: str, server: str | None) -> tuple[str, str] | None:
    if server != "apache":
        for name in NGINX_MAIN_NAMES:
            if os.path.isfile(os.path.join(directory, name)):
                return "nginx", os.path.join(directory, name)
    if server != "nginx":
        for name in APACHE_MAIN_NAMES:
            if os.path.isfile(os.path.join(directory, name)):
                return "apache", os.path.join(directory, name)
    return None


def _add_config_file(inputs: Inputs, local: str, server: str | None) -> None:
    if not os.path.isfile(local):
        raise InputError(f"{local}: not a readable config file")
    name = os.path.basename(local)
    if server == "apache" or (server is None and (name == ".htaccess" or name in ("apache2.conf", "httpd.conf"))):
        inputs.apache.append(local)
        return
    data = _read(local)
    if server is None and _looks_like_apache(data):
        inputs.apache.append(local)
        return
    if _looks_like_dump(data):
        inputs.dumps.append((local, data))
    else:
        inputs.nginx.append(local)

"""Files httpd opens or checks while starting (so `apache2 -t` refuses the
configuration when they are missing on the machine).

Measured with Apache 2.4 (`apache2 -t`):
* `ErrorLog` (main server and each <VirtualHost>), `CustomLog` and
  `TransferLog`: the file is created, its directory must exist (AH02291,
  AH02297); relative paths are joined to ServerRoot; piped logs (`|...`) and
  `syslog` open no file.
* mod_ssl's file directives are checked while they are read (AH00526, "does
  not exist or is empty"), wherever they stand, when mod_ssl is loaded.
* mod_mime's `TypesConfig` (the main server's, relative to ServerRoot) must open at
  start (AH01597, `apache2 -k start`; `-t` does not read it).
* `PidFile` in a missing directory is not checked by `-t` (only at start);
  `User`/`Group` are FS100's.
"""

from __future__ import annotations

import posixpath
import re
from typing import Iterator

from confcheck.parsers.apache_loader import STATIC_NAMES
from confcheck.servers.nginx.startfiles import StartFile

_UNDEFINED = re.compile(r"\$\{[^}:]+\}")     # left as written by the parser: not defined
_SSL_FILES = ("sslcertificatefile", "sslcertificatekeyfile", "sslcertificatechainfile",
              "sslcacertificatefile", "sslcarevocationfile", "sslproxycacertificatefile",
              "sslproxymachinecertificatefile")
_SSL_DIRS = ("sslcacertificatepath", "sslcarevocationpath", "sslproxycacertificatepath",
             "sslproxymachinecertificatepath")


def _full(server_root: str, path: str) -> str:
    return path if path.startswith("/") else posixpath.normpath(posixpath.join(server_root or "/", path))


def _log_dir(path: str) -> str:
    return posixpath.dirname(path) + "/"


def start_files(conf, server_root: str) -> Iterator[StartFile]:
    """Every file `conf` (an ApacheConf, conditionals settled) makes httpd open
    or check at start, with what must exist of it."""
    if "mime_module" in conf.modules:
        from confcheck.servers.apache.negotiation import types_config
        node, path = types_config(conf)
        if node is not None:      # (Debian's default is only assumed for a lone vhost)
            yield StartFile(node, path, "file", f"AH01597: could not open mime types config file {path}")
    ssl = "ssl_module" in conf.modules
    # a configuration that loads no module is a piece of one (a lone vhost): the Define or
    # environment variable its main supplies is unknown here, so a path still naming one
    # (`${APACHE_LOG_DIR}/error.log` without Debian's envvars) is not judged
    piece = not (conf.modules - STATIC_NAMES)
    for server in [conf.main] + conf.vhosts:
        for node in server.scope:
            if not node.args:
                continue
            value = node.args[0].value
            if piece and _UNDEFINED.search(value):
                continue
            key = node.key
            if key == "errorlog" and not value.startswith(("|", "syslog")):
                full = _full(server_root, value)
                if server.node is None:
                    what = "main error log"
                else:
                    pos = server.node.span.position()
                    what = f"error log of vhost defined at {pos['file']}:{pos['line']}"
                yield StartFile(node, full, "dir",
                                f"AH02291: Cannot access directory '{_log_dir(full)}' for {what}")
            elif key in ("customlog", "transferlog") and not value.startswith("|"):
                full = _full(server_root, value)
                pos = node.span.position()
                yield StartFile(node, full, "dir",
                                f"AH02297: Cannot access directory '{_log_dir(full)}' for log file "
                                f"'{full}' defined at {pos['file']}:{pos['line']}")
            elif ssl and key in _SSL_FILES:
                full = _full(server_root, value)
                yield StartFile(node, full, "nonempty",
                                f"AH00526: {node.name}: file '{full}' does not exist or is empty")
            elif ssl and key in _SSL_DIRS:
                full = _full(server_root, value)
                yield StartFile(node, full, "isdir", f"AH00526: {node.name}: directory '{full}' does not exist")

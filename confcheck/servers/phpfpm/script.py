"""Which file php-fpm 8.2 opens for a request, as the pool's user, and what php.ini
says about it (sapi/fpm/fpm/fpm_main.c init_request_info and the request loop,
main/fopen_wrappers.c php_fopen_primary_script and open_basedir):

* cgi.fix_pathinfo on: SCRIPT_FILENAME is taken when it resolves (realpath:
  a folder resolves too) and does not end in `/`; else each shorter prefix in
  turn is stat-ed, the first regular file is the script; none: 404
  `File not found.` ("Primary script unknown").
* cgi.fix_pathinfo off: SCRIPT_FILENAME as sent, or PATH_TRANSLATED when the
  server sends one and cgi.discard_path is off.
* a `..` component in the path: 404 `File not found.` (is_valid_path).
* security.limit_extensions judges that name (handoff.py), then the file
  opened is doc_root + SCRIPT_NAME when doc_root is set, else that name:
  realpath (EACCES: 403 `Access denied.`, else 404 `No input file
  specified.`), open_basedir (outside: 404 `No input file specified.`,
  measured), then the open itself (EACCES: 403; a folder: 404).
"""

from __future__ import annotations

import posixpath

from confcheck.parsers.php_ini import read_ini_file
from confcheck.servers.phpfpm.phpini import Setting, settle
from confcheck.source import Diagnostics


def invalid_path(path: str) -> bool:
    """A `..` component: php-fpm refuses the path (is_valid_path)."""
    return ".." in path.split("/")


def walk(checker, path: str) -> tuple[str | None, object | None]:
    """cgi.fix_pathinfo: (the script, or None; the failed lookup of `path` when none)."""
    first = None
    if not path.endswith("/"):
        first = checker.check(path, "stat")
        if first.ok:                    # realpath succeeds: taken as it is, even a folder
            return path, None
    probe = path
    while "/" in probe:
        probe = probe[:probe.rfind("/")]
        if not probe:
            break
        got = checker.check(probe, "stat")
        if got.ok and got.meta is not None and got.meta.kind == "file":
            return probe, None
    return None, first


def user_ini_basedir(pool, setting: Setting, fs, checker, script_dir: str, document_root: str | None,
                     on_disk=lambda path: path) -> Setting:
    """open_basedir after the .user.ini files php-fpm reads for a script in `script_dir`:
    from DOCUMENT_ROOT down to that folder when it lies below it, else that folder only
    (none without DOCUMENT_ROOT). A .user.ini may set it when nothing did, else only tighten
    it; a php_admin_value locks it."""
    if setting.value is None or document_root is None:
        return setting
    name = settle(pool, "user_ini.filename", script_dir)
    if name.value is None:
        return Setting("open_basedir", None, name.entry, name.where, name.why_unknown)
    if not name.value or (setting.entry is not None and setting.entry.name.startswith("php_admin")):
        return setting
    root = document_root.rstrip("/")
    if (script_dir + "/").startswith(root + "/") or not root:
        parts = script_dir[len(root):].strip("/").split("/") if script_dir != root else []
        folders = [root or "/"] + [root + "/" + "/".join(parts[:i + 1]) for i in range(len(parts)) if parts[i]]
    else:
        folders = [script_dir]
    for folder in folders:
        path = on_disk(posixpath.join(folder, name.value))      # php-fpm names it inside its chroot
        got = checker.check(path, "read")
        if not got.ok or got.meta is None or got.meta.kind != "file":
            continue
        try:
            data = fs.read_bytes(path)
        except Exception:  # noqa: BLE001 - the scanner could not read it: what it sets is not known
            return Setting("open_basedir", None, None, path, f"{path} cannot be read here: whether it sets "
                                                             "open_basedir is not known")
        if data is None:
            continue
        diags = Diagnostics()
        ini = read_ini_file(path, diags, data=data)
        if diags.errors:
            return Setting("open_basedir", None, None, path,
                           f"{path} is not valid INI ({diags.errors[0].message}): what PHP keeps of it is not known")
        for item in ini.entries:
            if item.scope is None and item.key == "open_basedir":
                current = ":".join(on_disk(p) if p.startswith("/") else p for p in setting.value.split(":"))
                if not setting.value or all(within(on_disk(part), current, checker)
                                            for part in item.entry.value.split(":") if part):
                    setting = Setting("open_basedir", item.entry.value, item.entry, path)
    return setting


def within(path: str, basedir: str, checker) -> bool | None:
    """`path` lies inside one of open_basedir's folders, both resolved (measured on PHP 8.2:
    whole folders, `/srv/app` does not cover `/srv/application.php`). None: an entry is
    relative (resolved against the script's working folder: not modelled)."""
    real = _resolved(path, checker)
    for part in basedir.split(":"):
        if not part:
            continue
        if not part.startswith("/"):
            return None
        base = _resolved(part.rstrip("/") or "/", checker).rstrip("/")
        if real == base or real.startswith(base + "/"):
            return True
    return False


def _resolved(path: str, checker) -> str:
    got = checker.check(path, "stat")
    return got.resolved if got.ok and got.resolved else posixpath.normpath(path)

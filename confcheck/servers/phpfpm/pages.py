"""php-fpm's own pages: `ping.path` and `pm.status_path`.

php-fpm answers them itself, 200, before it looks for a script: before the
REQUEST_METHOD check, security.limit_extensions and opening SCRIPT_FILENAME
(fpm_main.c calls fpm_status_handle_request first). It compares the path with
the request's "request_uri" (fpm_main.c init_request_info):

* cgi.fix_pathinfo on: the SCRIPT_NAME sent, unless the walk back along
  SCRIPT_FILENAME found a script with a PATH_INFO after it (then php-fpm
  rewrites SCRIPT_NAME from PATH_INFO: not followed here);
* cgi.fix_pathinfo off: PATH_INFO when it is sent (even empty), else SCRIPT_NAME.

Measured: a location `~ ^/(fpm-status|ping)$` with SCRIPT_FILENAME
$document_root$fastcgi_script_name (no such file) answers 200 and "pong".
"""

from __future__ import annotations

NOT_SENT = None


def pages(pool) -> list[tuple[str, str]]:
    """(path, pool entry) of the pages the pool answers itself."""
    found = []
    for key in ("ping.path", "pm.status_path"):
        path = pool.value(key)
        if path:
            found.append((path, key))
    return found


def request_uri(fix_on: bool, script_name: str | None, path_info: str | None) -> str | None:
    """What php-fpm compares with the pages (no walk that stripped a PATH_INFO)."""
    if not fix_on and path_info is not None:
        return path_info
    return script_name


def could_be_page(pool, uri: str | None) -> tuple[str, str] | None:
    """The page (path, entry) `uri` may name after php-fpm rewrote SCRIPT_NAME (a prefix of it)."""
    if uri is None:
        return None
    return next(((path, key) for path, key in pages(pool) if uri == path or uri.startswith(path.rstrip("/") + "/")),
                None)


def page_named(pool, uri: str | None) -> tuple[str, str] | None:
    if uri is None:
        return None
    return next(((path, key) for path, key in pages(pool) if uri == path), None)

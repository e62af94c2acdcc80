"""The status a filesystem finding names comes from decide(), for a request it names.

The survey knows which path the worker cannot open; what a client gets for it
depends on the request's phases (nginx's try_files turns a stat() failure into
its fallback, the index module into 403 or 404; Apache's directory walk into
403). So a finding asks the request model about one concrete URL that reaches
the path and quotes that answer. When no URL reaches it, or the model answers
for another reason than this path, the message names no status.
"""

from __future__ import annotations

from urllib.parse import quote


# Credentials for probes of password-protected locations (no password file holds them).
PROBE_CREDENTIALS = {"Authorization": "Basic Y29uZmNoZWNrLXByb2JlOmNvbmZjaGVjay1wcm9iZQ=="}


def answered(ctx, target, problem) -> str | None:
    """'GET /a.html is answered 403 (root /srv/site)' for a request that reaches
    `problem.path` through its place, as decide() answers it; None when it cannot say."""
    meta = problem.denial.meta
    return answered_in_place(ctx, target, problem.place, problem.path, meta is not None and meta.kind == "dir")


def answered_in_place(ctx, target, place, path: str, is_dir: bool, fs_path: str | None = None) -> str | None:
    """The same for `path` served by `place`; the answer must blame `fs_path` (default `path`)."""
    url = _url_for(place, path, is_dir)
    if url is None:
        return None
    return _claim(_probe(ctx, target, place, url), url, fs_path or path)


def answered_under(ctx, target, node, fs_path: str, *, credentials: bool = False) -> str | None:
    """nginx: the answer to a request reaching a scope where `node` (auth_basic_user_file,
    root) is in force, when decide() blames `fs_path` for it."""
    from confcheck.analyzers.nginx._common import probe, sample_uri
    from confcheck.servers.nginx.conf import iter_locations
    model = ctx.request_model(target)
    if model.fs is None:
        return None
    headers = PROBE_CREDENTIALS if credentials else None
    for server in model.http.servers:
        for scope, uri in [(server, "/"), *((loc, sample_uri(server, loc)) for loc in iter_locations(server))]:
            if uri is None or scope.last(node.key) is not node:
                continue
            said = _claim(probe(model, server, uri, headers=headers), uri, fs_path,
                          " with credentials" if credentials else "")
            if said is not None:
                return said
    return None


def _claim(outcome, url: str, fs_path: str, how: str = "") -> str | None:
    if outcome is None or outcome.status is None or outcome.fs_path != fs_path:
        return None
    if (outcome.rule or "").startswith("PHP"):
        return None     # php-fpm's answer, as the pool's user: not the worker's refusal of this path
    node = outcome.decided_by
    decided = f" ({node.name} {' '.join(a.raw for a in node.args)})" if node is not None else ""
    return f"GET {url}{how} is answered {outcome.status}{decided}"


def _url_for(place, path: str, is_dir: bool) -> str | None:
    """A URL path that maps onto `path` (a file or directory under the place's directory),
    or the place's own URL when `path` is above it (every request there passes it)."""
    if getattr(place, "variable", False):
        return None
    top = place.directory.rstrip("/") or "/"
    prefix = place.url_prefix if place.url_prefix.endswith("/") else place.url_prefix + "/"
    if path == top or not (top == "/" or path.startswith(top + "/")):
        return quote(prefix, safe="/~", errors="surrogateescape")
    rest = path[len(top):].lstrip("/")
    # a directory is asked for with its slash (the index or the listing), a file by its name
    return quote(prefix + rest + ("/" if is_dir else ""), safe="/~", errors="surrogateescape")


def _probe(ctx, target, place, url: str, *, php: bool = False):
    if target.server == "apache":
        from confcheck.analyzers.apache._common import disk_model, probe
        model = disk_model(ctx, target, php=php)
        return probe(model, place.server, url) if model is not None else None
    from confcheck.analyzers.nginx._common import probe
    model = ctx.request_model(target)
    if model.fs is None:
        return None
    server = next((s for s in model.http.servers if s.node is place.server), None)
    return probe(model, server, url) if server is not None else None


def read_by_php_fpm(ctx, target, problem) -> bool:
    """nginx or Apache hands the request for this file to a php-fpm pool read by the scan: the
    pool's user opens it, not the worker (PHP102 judges that), so the worker's read does not matter."""
    if getattr(ctx, "pools", None) is None:
        return False
    meta = problem.denial.meta
    url = _url_for(problem.place, problem.path, meta is not None and meta.kind == "dir")
    outcome = _probe(ctx, target, problem.place, url, php=True) if url is not None else None
    return outcome is not None and any(step.step == "php-fpm pool" for step in outcome.trace)

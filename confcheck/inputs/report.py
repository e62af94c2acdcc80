"""What a command read, for people (one line before the output) and for programs
(the `inputs` object of the JSON output; docs/contract-additions.md)."""

from __future__ import annotations

import os

from confcheck.inputs.paths import shown

SHOWN_SKIPPED = 3
SHOWN_ALONE = 3


def _machine_files(item) -> list[str]:
    """Files of a config kept outside its deployed place that were read from this
    machine's real path (the repository has no copy beside the main)."""
    mount = item.config.mount
    if mount is None:
        return []
    return [f for f in item.files if f.startswith(mount[0]) and not f.startswith(mount[1])]


def inputs_json(reading) -> dict:
    inputs = reading.inputs
    configs = []
    for item in reading.loaded:
        config = item.config
        configs.append({
            "server": config.server,
            "kind": config.role,
            "path": config.path,
            "files": item.files,
            "deployed_at": config.mount[0] if config.mount else None,
            "read_beside": config.mount[1] if config.mount else None,
            "from_this_machine": _machine_files(item),
            "unit": _unit_json(reading.unit_of(config.path)),
            "servers": _nginx_servers(item),
        })
    for item in reading.fpm:
        configs.append({
            "server": "php-fpm",
            "kind": item.config.role,
            "path": item.config.path,
            "files": item.files,
            "deployed_at": None, "read_beside": None, "from_this_machine": [],
            "unit": _unit_json(reading.unit_of(item.config.path)),
            "pools": [_pool_json(pool) for pool in item.tree.pools],
            "php_ini": None if item.tree.php_ini is None else {
                "files": [f.path for f in item.tree.php_ini.files], "how": item.tree.php_ini.how},
        })
    return {
        "configs": configs,
        "served_trees": [{"path": t, "reason": inputs.tree_notes.get(t, "")} for t in inputs.trees],
        "standard_locations": {"used": inputs.standard, "reason": inputs.standard_reason},
        "not_read": [{"path": s.path, "reason": s.reason} for s in inputs.skipped],
        "apps": list(reading.apps),
    }


def _nginx_servers(item) -> int | None:
    """How many `server` blocks an nginx configuration's http blocks hold (None: not nginx)."""
    if item.config.server != "nginx":
        return None
    from confcheck.parsers.syntax import effective_children
    return sum(1 for http in effective_children(item.tree.nodes) if http.name == "http"
               for node in effective_children(http.children) if node.name == "server")


def _pool_json(pool) -> dict:
    listen = pool.listen
    return {"name": pool.name, "file": pool.section.span.file, "line": pool.section.span.line,
            "listen": None if listen is None else str(listen), "user": pool.user, "group": pool.group}


def _unit_json(unit) -> dict | None:
    """The systemd unit that starts a configuration (its namespace applies), or None."""
    return None if unit is None else {"name": unit[0], "files": list(unit[1])}


def inputs_line(reading, cwd: str | None = None) -> str:
    """`read nginx: repo/nginx/nginx.conf + 12 included files; apache: repo/site/.htaccess (alone)`."""
    root = reading.inputs.root

    def name(path: str) -> str:
        return shown(path, root, cwd)

    parts = []
    for server in ("nginx", "apache"):
        items = reading.of(server)
        if not items:
            continue
        whole = [item for item in items if item.config.role in ("main", "dump")]
        alone = [item for item in items if item.config.role not in ("main", "dump")]
        texts = [_item_text(item, name, reading) for item in whole]
        if len(alone) <= SHOWN_ALONE:
            texts += [_item_text(item, name, reading) for item in alone]
        else:
            machine = [f for item in alone for f in _machine_files(item)]
            texts.append(f"{len(alone)} files alone (such as {name(alone[0].config.path)}; --format json lists them"
                         + (", from this machine: " + ", ".join(machine) if machine else "") + ")")
        parts.append(f"{server}: " + ", ".join(texts))
    if reading.fpm:
        parts.append("php-fpm: " + ", ".join(_fpm_text(item, name, reading) for item in reading.fpm))
    line = "read " + ("; ".join(parts) or "no configuration")
    inputs = reading.inputs
    if inputs.standard:
        line += f" (this machine's standard location: {inputs.standard_reason})"
    if inputs.trees:
        line += "; served trees: " + ", ".join(f"{name(t)} ({inputs.tree_notes.get(t, '')})" for t in inputs.trees)
    for app in reading.apps:
        more = len(app["files"]) - 1
        line += (f"; django: {name(app['settings'])}" + (f" + {more} imported file{'s' if more != 1 else ''}"
                                                          if more else "")
                 + f" ({app['found_by']}" + (f", gunicorn from {app['app_server']}" if app["app_server"] else "")
                 + (f", uWSGI from {app['uwsgi']}" if app.get("uwsgi") else "") + ")")
    if inputs.skipped:
        line += "; not read: " + ", ".join(_skipped_text(inputs.skipped, kind, name)
                                           for kind in dict.fromkeys(s.kind for s in inputs.skipped))
    return line


def _item_text(item, name, reading) -> str:
    text = name(item.config.path)
    if item.config.role in ("main", "dump"):
        more = len(item.files) - 1
        if more > 0:        # an empty `nginx -T` dump has no file at all
            text += f" + {more} included file{'s' if more != 1 else ''}"
        if item.config.role == "dump":
            text += " (nginx -T output)"
        if _nginx_servers(item) == 0:
            text += " (no server block: nothing answers requests)"
    else:
        text += " (alone)"
    if item.config.mount and len(item.files) > 1:     # something was included through it
        prefix, beside = item.config.mount
        text += f" ({prefix} read from {name(beside.rstrip('/')) or '.'}/"
        machine = _machine_files(item)
        if machine:
            text += ", from this machine: " + ", ".join(machine)
        text += ")"
    return text + _unit_text(reading, item.config.path, name)


def _unit_text(reading, path: str, name) -> str:
    """" (started by UNIT: its files)" when a systemd unit starts that configuration."""
    unit = reading.unit_of(path)
    return "" if unit is None else f" (started by {unit[0]}: " + ", ".join(name(f) for f in unit[1]) + ")"


def _fpm_text(item, name, reading) -> str:
    text = name(item.config.path)
    more = len(item.tree.files.files) - 1
    if more:
        text += f" + {more} included file{'s' if more != 1 else ''}"
    if item.config.role == "pool":
        text += " (alone)"
    pools = [pool.name for pool in item.tree.pools]
    text += (f" (pool{'s' if len(pools) != 1 else ''} " + ", ".join(pools) + ")" if pools else " (no pool)")
    ini = item.tree.php_ini
    if ini is not None:
        shown = [name(f.path) for f in ini.files]
        text += (" with php.ini " + shown[0] + (f" + {len(shown) - 1} more .ini" if len(shown) > 1 else "")
                 if shown else " with no php.ini (PHP's defaults)")
    return text + _unit_text(reading, item.config.path, name)


def _skipped_text(skipped, kind: str, name) -> str:
    group = [s for s in skipped if s.kind == kind]
    if len(group) <= SHOWN_SKIPPED:
        return ", ".join(f"{name(s.path)} ({s.reason})" for s in group)
    return f"{len(group)} files {kind} (such as {name(group[0].path)}; --format json lists them)"


def same_files(a: dict, b: dict) -> bool:
    """Two `inputs` objects read the same files (tests compare scan's and why's)."""
    def files(doc):
        return sorted(os.path.realpath(f) for c in doc["configs"] for f in c["files"])
    return files(a) == files(b)

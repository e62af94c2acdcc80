"""explain for the lines about php-fpm: the pool line or the disk path at fault.

nginx's lines carry the request, so explain replays them through the model
first (confcheck.explain: the model follows the request into the pool). What a
line alone says is read here against the pools of the php-fpm configuration
read (`--config .../php-fpm.conf`, or the standard places): the script path
php-fpm named (`Access to the script '...'`, `Unable to open primary script:
... (Permission denied)`), the socket it could not connect to, the address a
pool could not bind. When more than one pool could have written the line, the
pools are named and none is cited: a guess would be confidently wrong.
"""

from __future__ import annotations

import posixpath

SUMMARY = {
    "php-extension": "php-fpm refused the script's extension (security.limit_extensions): 403 'Access denied.'",
    "php-open-eacces": "the php-fpm pool's user could not read the script: 403 'Access denied.'",
    "php-open-missing": "php-fpm found no script at SCRIPT_FILENAME: 404 'No input file specified.'",
    "php-script-unknown": "php-fpm found no script at SCRIPT_FILENAME (Primary script unknown): 404 'File not found.'",
    "php-upload-tmp": "PHP found no temporary folder it may write: the upload failed",
    "fastcgi-stderr": "the PHP script (or PHP's request start-up) wrote to stderr: not a refusal by the server",
    "upstream-denied": "the web worker may not connect to the backend's unix socket (13: Permission denied)",
    "upstream-missing": "the backend's unix socket does not exist (2: No such file or directory)",
    "upstream-refused": "nothing accepts connections on the backend's address (111: Connection refused)",
    "upstream-connect": "the connection to the backend failed",
    "upstream-reset": "the backend accepted the connection, then closed it before answering (php-fpm closes "
                      "connections from a client its listen.allowed_clients does not list)",
    "upstream-unreachable": "mod_proxy could not connect to the backend (AH01079): the AH02454/AH00957 line "
                            "before it names the socket or address and why",
    "fpm-bind-failed": "php-fpm could not create a pool's listening socket: it does not start, every request "
                       "handed to it fails (502/503)",
}
KINDS = frozenset(SUMMARY)


def php_cause(event, machine, base):
    """Fill `base` (an explain.Cause) for a php-fpm line from the pools read and the disk."""
    pools = machine.pools()
    if event.fields.get("pool") and pools:
        # php-fpm's own log names the pool
        pools = [p for p in pools if p.name == event.fields["pool"]] or pools
    handler = {"nginx": "nginx", "apache": "Apache (mod_proxy_fcgi)"}.get(event.server, "the web server")
    kind = event.kind
    if kind == "php-extension":
        return _extension(event, machine, pools, base)
    if kind == "php-open-eacces":
        return _unreadable(event, machine, pools, base)
    if kind == "php-open-missing":
        base.fs_path = event.path
        base.explanation = (f"{event.path} does not exist: php-fpm took SCRIPT_FILENAME as it is (cgi.fix_pathinfo "
                            "= 0) and could not open it")
        return base
    if kind == "php-script-unknown":
        base.explanation = ("php-fpm found no regular file at SCRIPT_FILENAME (nor, with cgi.fix_pathinfo, at a "
                            "shorter prefix of it) as the pool's user: the file is missing, SCRIPT_FILENAME is "
                            "built wrong (an alias with $document_root), or a folder on the way is not searchable "
                            "by the pool's user; `confcheck why URL` follows the request into the pool")
        return base
    if kind == "php-upload-tmp":
        return _upload(event, machine, pools, base)
    if kind in ("upstream-denied", "upstream-missing", "upstream-refused", "upstream-connect"):
        return _connect(event, machine, pools, base, handler)
    if kind == "upstream-reset":
        return _reset(event, machine, pools, base)
    if kind == "fpm-bind-failed":
        return _bind(event, machine, pools, base)
    base.explanation = SUMMARY.get(kind, base.summary) + (f": {event.detail}" if event.detail else "")
    return base


def _no_pools(base, what: str):
    base.explanation = (f"{what}; no php-fpm configuration was read, so the pool is not known (name it: "
                        "--config /etc/php/8.2/fpm/php-fpm.conf)")
    return base


def _named(pools) -> str:
    return ", ".join(f"[{p.name}] ({p.section.span.file}:{p.section.span.line})" for p in pools)


def _extension(event, machine, pools, base):
    from confcheck.servers.phpfpm.handoff import RULE_EXTENSION, cite
    path = event.path or ""
    base.rule = RULE_EXTENSION
    what = f"php-fpm refused {path}: its name does not end in an extension security.limit_extensions lists"
    if pools is None:
        return _no_pools(base, what + " (default .php .phar)")
    refusing = [p for p in pools if p.limit_extensions
                and not any(len(path) > len(e) and path.endswith(e) for e in p.limit_extensions)]
    refusing = _narrowed(machine, path, RULE_EXTENSION, refusing)
    if len(refusing) == 1:
        pool = refusing[0]
        base.decided_by = cite(pool, "security.limit_extensions")
        base.explanation = (f"{path} does not end in {' '.join(pool.limit_extensions)} (security.limit_extensions "
                            f"of pool [{pool.name}]"
                            + ("" if pool.entry("security.limit_extensions") else ", the default") + "): php-fpm "
                            "answers 403 'Access denied.'; hand it only .php URIs, or list the extension if such "
                            "files are PHP code no user can upload")
    elif refusing:
        base.explanation = f"{what}; pools that refuse it: {_named(refusing)}"
    else:
        base.explanation = f"{what}; every pool read allows it now: the configuration changed since the line was logged"
    return base


def _identity(machine, pool):
    from confcheck.fs.identity import IdentityError, resolve_identity
    fs = machine.fs_and_identity()[0]
    if fs is None:
        return None
    try:
        return resolve_identity(fs, pool.user or "", pool.group, source=f"php-fpm pool [{pool.name}]")
    except IdentityError:
        return None


def _unreadable(event, machine, pools, base):
    from confcheck.fs.access import Checker
    from confcheck.servers.phpfpm.handoff import RULE_SCRIPT, cite
    path = event.path or ""
    base.rule = RULE_SCRIPT
    base.fs_path = path
    if pools is None:
        return _no_pools(base, f"the pool's user could not read {path}")
    fs = machine.fs_and_identity()[0]
    refused = []
    for pool in pools:
        identity = _identity(machine, pool)
        if identity is None:
            continue
        chroot = pool.value("chroot") or ""
        disk = posixpath.normpath(chroot + "/" + path) if chroot else path
        access = Checker(fs, identity).check(disk, "read")
        if not access.ok and access.denial is not None and access.denial.need in ("r", "x"):
            refused.append((pool, identity, access.denial))
    chosen = _narrowed(machine, path, RULE_SCRIPT, [p for p, _i, _d in refused])
    refused = [r for r in refused if r[0] in chosen]
    if len({d.path for _p, _i, d in refused}) == 1:
        base.fs_path = refused[0][2].path
    if len(refused) == 1:
        pool, identity, denial = refused[0]
        base.decided_by = cite(pool, "user")
        base.explanation = (f"php-fpm pool [{pool.name}] runs as {identity.user}, who cannot read {path}: "
                            f"{denial.detail}")
        base.fix = _read_fix(machine, identity, denial.path, "read" if denial.path == path else "search")
    elif refused:
        base.explanation = (f"the pool's user cannot read {path}; pools whose user is refused: "
                            f"{_named([p for p, _i, _d in refused])}")
    else:
        base.explanation = (f"every pool's user can read {path} now: fixed since the line was logged, or the "
                            "pool that logged it is not in the configuration read")
    return base


def _narrowed(machine, path: str, rule: str, pools: list) -> list:
    """Of several pools that could have refused `path`, the one Apache hands it to: an Apache
    line carries no request, so each URL a DocumentRoot or Alias maps onto `path` is put to the
    model (with the pools) and the pool of the first answer refusing it for `rule` is kept."""
    prepared = machine.nginx()
    if len(pools) < 2 or prepared is None or prepared.server != "apache" or not path:
        return pools
    from urllib.parse import quote

    from confcheck.analyzers.apache._common import probe
    from confcheck.servers.apache.served import apache_served
    model = prepared.model
    served = apache_served(model.conf, prepared.reading.loaded[0].tree.server_root, model.fs)
    for place in served.places:
        top = place.directory.rstrip("/")
        if place.variable or not path.startswith(top + "/"):
            continue
        prefix = place.url_prefix if place.url_prefix.endswith("/") else place.url_prefix + "/"
        outcome = probe(model, place.server, quote(prefix + path[len(top) + 1:], safe="/~", errors="surrogateescape"))
        pool = getattr(getattr(outcome, "decided_by", None), "pool", None)
        if outcome is not None and outcome.rule == rule and pool in pools:
            return [pool]
    return pools


def pool_fix(machine, outcome):
    """The read fix for the pool's user of a replayed request php-fpm refused as PHP102."""
    from confcheck.servers.phpfpm.handoff import RULE_SCRIPT
    pool = getattr(outcome.decided_by, "pool", None)
    if outcome.rule != RULE_SCRIPT or pool is None or not outcome.fs_path:
        return None
    identity = _identity(machine, pool)
    if identity is None:
        return None
    return _read_fix(machine, identity, outcome.fs_path, "read" if outcome.status == 403 else "search")


def _read_fix(machine, identity, path: str, want: str):
    from confcheck.fixers.config import plan_fix
    from confcheck.fs.access import Checker
    from confcheck.fs.identity import Accounts
    fs = machine.fs_and_identity()[0]
    access = Checker(fs, identity).check(path, want)
    if access.ok or access.denial is None or access.denial.need not in ("r", "x"):
        return None         # missing, a label, a link: no permission change for the pool's user
    return plan_fix([access], identity, Accounts.load(fs), fs)


def _upload(event, machine, pools, base):
    from confcheck.analyzers.php.writable_dir_denied import folder_of
    from confcheck.fs.access import Checker
    from confcheck.servers.phpfpm.handoff import Cite
    if pools is None:
        return _no_pools(base, "PHP could write neither upload_tmp_dir nor the system's temporary folder")
    fs = machine.fs_and_identity()[0]
    found = []
    for pool in pools:
        got = pool.php("upload_tmp_dir")
        folder = folder_of("upload_tmp_dir", got[0]) if got else None
        identity = _identity(machine, pool) if folder else None
        if identity is None:
            continue
        checker = Checker(fs, identity)
        access = checker.check(folder, "search")
        denial = access.denial if not access.ok else (checker.writable(access.meta, folder) if access.meta else None)
        if denial is not None:
            found.append((pool, got[1], identity, denial))
    if len(found) == 1:
        pool, entry, identity, denial = found[0]
        base.decided_by, base.fs_path, base.rule = Cite(entry.label, entry.span, pool), denial.path, "PHP105"
        base.explanation = (f"pool [{pool.name}] puts uploads in {folder_of('upload_tmp_dir', entry.value)} "
                            f"({entry.file}:{entry.line}), which {identity.user} cannot write: {denial.detail}")
    elif found:
        base.explanation = f"{SUMMARY['php-upload-tmp']}; pools whose upload_tmp_dir is not writable: " + \
            _named([p for p, _e, _i, _d in found])
    else:
        base.explanation = (f"{SUMMARY['php-upload-tmp']}: no pool read names an upload_tmp_dir its user cannot "
                            "write; the system's temporary folder (sys_temp_dir, TMPDIR, /tmp) is the one refused")
    return base


def _address(event):
    from confcheck.servers.phpfpm.handoff import address_of
    from confcheck.servers.phpfpm.pools import Listen
    if event.path:
        return Listen(unix=event.path)
    text = event.fields.get("address", "")
    return address_of(text) if text else None


def _connect(event, machine, pools, base, handler: str):
    from confcheck.servers.phpfpm.handoff import RULE_NO_POOL, answer, cite, pool_for
    address = _address(event)
    if address is None:
        base.explanation = f"{SUMMARY[event.kind]}: {event.fields.get('address') or 'the backend'}"
        return base
    where = str(address)
    base.fs_path = address.unix
    if pools is None:
        return _no_pools(base, f"{SUMMARY[event.kind]}: {where}")
    pool = pool_for(pools, address)
    if event.kind == "upstream-refused":
        if pool is None:
            base.explanation = f"nothing accepts connections on {where}, and no php-fpm pool read listens there"
        else:
            base.decided_by = cite(pool, "listen")
            base.explanation = (f"pool [{pool.name}] listens on {where} in the configuration read, but nothing "
                                "accepts connections there: php-fpm is not running (or runs another configuration)")
        return base
    fs, worker = machine.fs_and_identity()
    verdict = answer(pools, fs, worker, address, None, {}, handler=handler)
    if verdict.rule is not None:
        base.decided_by, base.fs_path, base.rule = verdict.decided_by, verdict.fs_path, verdict.rule
        base.explanation = verdict.reason.replace("(502)", f"({event.status})").replace(
            "answers 502", f"answers {event.status}")
        return base
    if pool is not None:
        base.decided_by = cite(pool, "listen")
        state = "does not exist" if event.kind == "upstream-missing" else "refuses the worker"
        base.explanation = (f"pool [{pool.name}] listens on {where}, and the socket it would create lets the worker "
                            f"in, but the socket {state} now: php-fpm is not running (or runs another configuration)")
        return base
    base.rule = RULE_NO_POOL if event.kind == "upstream-missing" else None
    base.explanation = f"{SUMMARY[event.kind]}: {where}; {verdict.reason}"
    return base


def _bind(event, machine, pools, base):
    from confcheck.servers.phpfpm.handoff import address_of, cite, pool_for
    from confcheck.servers.phpfpm.pools import Listen
    text = event.fields.get("address", "")
    address = Listen(unix=text) if text.startswith("/") else address_of(text)
    errno = event.fields.get("errno", "")
    pool = pool_for(pools or [], address) if address is not None else None
    if pool is not None:
        base.decided_by = cite(pool, "listen")
    named = f"pool [{pool.name}]'s listen = {text}" if pool is not None else f"the listen address {text}"
    if errno == "2" and address is not None and address.unix:
        missing = _first_missing(machine, address.unix)
        base.fs_path = missing or address.unix
        base.explanation = (f"php-fpm cannot create the socket of {named}: {base.fs_path} does not exist (php-fpm "
                            "creates the socket, not its folder; /run is emptied at boot: RuntimeDirectory= in "
                            "the unit or a tmpfiles.d entry keeps it)")
    elif errno == "98":
        others = [p for p in pools or [] if p is not pool and p.listen == (pool.listen if pool else None)]
        base.explanation = (f"{text} is in use: another process listens there"
                            + (f" (pools naming it too: {_named(others)})" if others else
                               " (another php-fpm master, or another server)"))
    else:
        base.fs_path = address.unix if address is not None else None
        base.explanation = f"php-fpm cannot bind {named}: {event.detail}"
    if pool is None and pools is not None:
        base.explanation += "; no pool of the configuration read listens there"
    return base


def _first_missing(machine, path: str) -> str | None:
    """The highest component of `path` that does not exist (as root sees it: php-fpm's master)."""
    fs = machine.fs_and_identity()[0]
    if fs is None:
        return None
    missing, probe = None, posixpath.dirname(path)
    while probe not in ("", "/"):
        try:
            meta = fs.lstat(probe)
        except Exception:  # noqa: BLE001 - not known: stop where the view cannot look
            return missing
        if meta is not None:
            return missing
        missing, probe = probe, posixpath.dirname(probe)
    return missing


def _reset(event, machine, pools, base):
    """A connection php-fpm closed unanswered: the pool at the logged address (nginx names it;
    Apache's lines do not: the pools that restrict their clients) and its allowed_clients."""
    from confcheck.servers.phpfpm.handoff import cite, pool_for
    if pools is None:
        return _no_pools(base, SUMMARY["upstream-reset"])
    address = _address(event)
    if address is not None:
        pool = pool_for(pools, address)
        candidates = [pool] if pool is not None else []
    else:
        # those whose list leaves out the loopback addresses a local server connects from
        candidates = [p for p in _apache_pools(machine, pools) if p.value("listen.allowed_clients")
                      and not {"127.0.0.1", "::1"} & set(p.value("listen.allowed_clients").replace(",", " ").split())]
    if len(candidates) == 1:
        pool = candidates[0]
        base.decided_by = cite(pool, "listen.allowed_clients")
        allowed = pool.value("listen.allowed_clients")
        base.explanation = (f"pool [{pool.name}] closed the connection unanswered"
                            + (f": listen.allowed_clients = {allowed} does not list the web server's address"
                               if allowed else " (it restricts no client: php-fpm was restarting, or a worker died)"))
    else:
        base.explanation = SUMMARY["upstream-reset"] + (f"; pools restricting their clients: {_named(candidates)}"
                                                        if candidates else "")
    return base


def _apache_pools(machine, pools: list) -> list:
    """The pools the Apache configuration read hands requests to (all of them for nginx's)."""
    prepared = machine.nginx()
    if prepared is None or prepared.server != "apache":
        return pools
    from confcheck.analyzers.php._common import fcgi_handlers
    from confcheck.servers.phpfpm.handoff import pool_for
    linked = {id(pool_for(pools, address)) for _node, address in fcgi_handlers(prepared.model.conf)}
    return [p for p in pools if id(p) in linked]

"""What php-fpm answers to a request the web server hands to it.

The web server's model (nginx's fastcgi_pass, Apache's proxy:fcgi handler)
says where it connects and which SCRIPT_FILENAME it sends; this module
follows the request from there, the way php-fpm 8.2 decides
(sapi/fpm/fpm/fpm_main.c, fpm_php.c, fpm_unix.c, fpm_sockets.c):

1. connect: a unix socket no pool listens on and that is not on disk is
   nginx's `connect() ... failed (2: No such file or directory)`, 502; the
   worker needs search on every folder above the socket and write on the
   socket itself, which php-fpm creates root-owned 0660 unless
   listen.owner/listen.group/listen.mode say otherwise, or with ACL entries
   for listen.acl_users/listen.acl_groups (then owner and group are ignored)
   -> `(13: Permission denied)`, 502.
2. no REQUEST_METHOD sent (an nginx location whose own fastcgi_param replaces
   the inherited list): php-fpm runs nothing and answers an empty 200.
3. the pool's own pages (ping.path, pm.status_path: pages.py) named by the
   request's SCRIPT_NAME: php-fpm answers them itself, 200.
4. the script php-fpm settles on and opens, with the php.ini settings that
   decide it (cgi.fix_pathinfo, doc_root, open_basedir...: script.py,
   phpini.py), security.limit_extensions (default .php .phar; empty allows
   all; compared with case) judging its name before it is opened: 403
   `Access denied.`; no script: 404 `File not found.`; EACCES: 403; outside
   open_basedir or absent: 404 `No input file specified.`.
5. otherwise the script runs and its own code decides the status: unknown
   here, "answered by the PHP script".

TCP: listen.allowed_clients closes a connection from an address it does not
list (502; Apache 503).
chroot: SCRIPT_FILENAME is a path inside the pool's chroot.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from confcheck.fs.model import AclEntry, Meta, NotChecked
from confcheck.servers.phpfpm.pages import could_be_page, page_named, pages, request_uri
from confcheck.servers.phpfpm.phpini import settle
from confcheck.servers.phpfpm.pools import Listen, Pool
from confcheck.servers.phpfpm.script import invalid_path, user_ini_basedir, walk, within
from confcheck.source import Span

RULE_EXTENSION = "PHP101"
RULE_SCRIPT = "PHP102"
RULE_SOCKET = "PHP103"
RULE_NO_POOL = "PHP104"
RULE_SANDBOX = "FS109"       # php-fpm's or the web server's unit keeps the script or the socket away
RULE_APPARMOR = "FS111"


@dataclass(frozen=True)
class Cite:
    """A place in a php-fpm file that decided (an entry, or the pool's [section] when a default did):
    what an Outcome's decided_by needs."""

    name: str
    span: Span
    pool: Pool | None = None

    file = property(lambda self: self.span.file)
    line = property(lambda self: self.span.line)
    column = property(lambda self: self.span.column)
    text = property(lambda self: self.span.text)
    key = property(lambda self: self.name)

    @property
    def args(self) -> list:
        return []


def cite(pool: Pool, key: str) -> Cite:
    entry = pool.entry(key)
    if entry is not None:
        return Cite(entry.label, entry.span, pool)
    return Cite(f"[{pool.name}]", pool.section.span, pool)


@dataclass
class Verdict:
    status: int | None
    reason: str
    decided_by: Cite | None = None
    fs_path: str | None = None
    rule: str | None = None
    steps: list[tuple[str, str]] = field(default_factory=list)
    upstream: bool = True        # php-fpm's own answer (not nginx's): error_page does not apply by default


def address_of(target: str) -> Listen | None:
    """fastcgi_pass's / proxy:fcgi's address: `unix:/path`, `host:port`, `[v6]:port`."""
    if target.startswith("unix:"):
        return Listen(unix=target[5:].split("|", 1)[0].split(":", 1)[0])
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return Listen(host=host.strip("[]") or None, port=int(port))


LOOPBACK = ("127.0.0.1", "::1")
NOT_KNOWN = "\0not known"     # a FastCGI param the server sends with a value the model does not compute


def localhost_addresses(fs) -> tuple[str, ...] | None:
    """What `localhost` resolves to, in getaddrinfo's order: the addresses /etc/hosts gives it,
    IPv6 first when it names both (glibc's RFC 6724 order: ::1 ranks above 127.0.0.1); None
    when that is not known (no disk, no /etc/hosts, or an /etc/gai.conf that may reorder)."""
    if fs is None:
        return None
    try:
        hosts = fs.read_bytes("/etc/hosts")
        gai = fs.read_bytes("/etc/gai.conf")
    except Exception:  # noqa: BLE001 - the scanner could not read them: not known
        return None
    if hosts is None or (gai is not None and any(line.split("#", 1)[0].strip() for line in
                                                 gai.decode("utf-8", "replace").splitlines())):
        return None
    found = []
    for line in hosts.decode("utf-8", "replace").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and "localhost" in (f.lower() for f in fields[1:]) and fields[0] not in found:
            found.append(fields[0])
    return tuple(sorted(found, key=lambda a: ":" not in a)) or None


def _listens_on(listen: Listen, client: str, localhost: tuple[str, ...] | None) -> bool | None:
    """Whether a pool's TCP listen accepts connections to `client` (None: not known)."""
    if listen.host is None:
        return True
    if listen.host == "0.0.0.0":
        return ":" not in client
    if listen.host == "localhost":      # php-fpm binds the first address it resolves to
        return None if localhost is None else localhost[0] == client
    return listen.host == client


def connect(pools: list[Pool], address: Listen, localhost=LOOPBACK) -> tuple[Pool | None, str | None, Pool | None]:
    """(the pool the web server reaches at `address`, the address it connects from (TCP only),
    a pool that may listen there when that is not known). nginx and Apache try each address a
    name resolves to in turn until one accepts."""
    if address.unix is not None:
        for pool in pools:
            listen = pool.listen
            if listen is not None and listen.unix is not None and \
                    posixpath.normpath(listen.unix) == posixpath.normpath(address.unix):
                return pool, None, None
        return None, None, None
    host = (address.host or "").lower()
    clients = (localhost or LOOPBACK) if host == "localhost" else (host,)
    for client in clients:
        for pool in pools:
            listen = pool.listen
            if listen is None or listen.unix is not None or listen.port != address.port:
                continue
            accepts = _listens_on(listen, client, localhost)
            if accepts is None:
                return None, None, pool
            if accepts:
                return pool, client, None
    return None, None, None


def pool_for(pools: list[Pool], address: Listen) -> Pool | None:
    """The pool listening where the web server connects (`localhost` as 127.0.0.1 and ::1)."""
    pool, _client, maybe = connect(pools, address)
    return pool or maybe


def answer(pools: list[Pool], fs, worker, address: Listen, script: str | None, checkers: dict,
           *, handler: str, method_sent: bool = True, script_name: str | None = None,
           path_translated: str | None = None, document_root: str | None = None, views=None,
           path_info: str | None = None, script_name_known: bool = True) -> Verdict:
    """php-fpm's answer for a request sent to `address` with SCRIPT_FILENAME `script`
    (None: not sent). `worker` is the web server's Identity and `fs` its view of the disk
    (it connects to the socket); `views` (servers.phpfpm.views.PoolViews) gives each pool's
    own view (its unit's sandbox: the pool reads the script through it); `checkers` a cache.
    SCRIPT_NAME, PATH_TRANSLATED, DOCUMENT_ROOT, PATH_INFO: as sent (None: not sent or not known;
    `script_name_known` False: SCRIPT_NAME is sent with a value not known here)."""
    if "localhost" not in checkers:         # read /etc/hosts once per model
        checkers["localhost"] = localhost_addresses(fs)
    pool, client, maybe = connect(pools, address, checkers["localhost"])
    if pool is None and maybe is not None:
        return Verdict(None, f"pool [{maybe.name}] listens on {maybe.listen}: which address php-fpm binds for that "
                             "name (the first one it resolves to) is not known here", cite(maybe, "listen"))
    unknown = next((p.from_environment("listen") for p in pools if p.from_environment("listen")), None)
    if pool is None and unknown is not None:
        return _environment(unknown)
    if pool is None:
        return _no_pool(fs, address, handler)
    unknown = pool.from_environment(*DECIDING)
    if unknown is not None:
        return _environment(unknown, pool)
    if pool.started is not None and pool.started.user is not None:
        # a master that is not root: the pool's user and listen.owner/group are ignored (php-fpm
        # warns), scripts run as the unit's user; not followed here
        text, where = pool.started.user
        return Verdict(None, f"{text} at {where} ({pool.started.unit}) starts php-fpm as that user: pool "
                             f"[{pool.name}]'s user and listen.owner/listen.group are then ignored, which the model "
                             "does not follow", cite(pool, "user"))
    steps = [("php-fpm pool", f"[{pool.name}] at {pool.section.span.file}:{pool.section.span.line} listens on "
                              f"{address}; its scripts run as {pool.user}"
                              + (f":{pool.group}" if pool.group else ""))]
    steps += _environment_steps(pool)
    if pool.php_ini is not None:
        steps.append(("php.ini", pool.php_ini.how))
    if fs is None or worker is None:
        return Verdict(None, f"handed to php-fpm pool [{pool.name}]: without the disk (or the worker's identity) "
                             "the socket and the script's access cannot be judged", cite(pool, "listen"), steps=steps)
    if client is not None:
        refused = _client_refused(pool, client, handler)
        if refused is not None:
            refused.steps[:0] = steps
            return refused
    pool_fs = views.fs_of(pool) if views is not None else fs
    if address.unix is not None:
        refused = _socket_apart(pool, fs, pool_fs, address.unix, handler) or _socket_refused(
            pool, fs, worker, address.unix, checkers)
        if refused is not None:
            refused.steps[:0] = steps
            return refused
    if not method_sent:
        return Verdict(200, f"php-fpm pool [{pool.name}] receives no REQUEST_METHOD (no fastcgi_param sets it "
                            "where the request is handed over): it runs no script and answers an empty 200",
                       None, steps=steps)
    if script is None:
        fix = settle(pool, "cgi.fix_pathinfo")
        if fix.value is not None:
            own = _own_page(pool, page_named(pool, request_uri(fix.on, script_name, path_info)), steps)
            if own is not None:
                return own
        return Verdict(None, f"handed to php-fpm pool [{pool.name}] without SCRIPT_FILENAME: the model does "
                             "not know which script php-fpm runs", cite(pool, "listen"), steps=steps)
    from confcheck.fs.identity import IdentityError, resolve_identity
    try:
        identity = resolve_identity(pool_fs, pool.user or "", pool.group, source=f"pool [{pool.name}]")
    except IdentityError as exc:
        return Verdict(None, f"php-fpm pool [{pool.name}]: {exc}", cite(pool, "user"), steps=steps)
    checker = _checker(checkers, pool_fs, identity)
    chroot = pool.value("chroot") or ""

    def on_disk(path: str) -> str:       # a path php-fpm names, as it lies on disk (inside the chroot)
        if not chroot:
            return path
        return posixpath.normpath(chroot + "/" + path) + ("/" if path.endswith("/") else "")
    disk = on_disk(script)
    if chroot:
        steps.append(("chroot", f"pool [{pool.name}] runs in chroot {chroot}: SCRIPT_FILENAME {script} is {disk}"))
    fix = settle(pool, "cgi.fix_pathinfo")
    if fix.value is None:
        return Verdict(None, fix.why_unknown, steps=steps)
    if not script_name_known and pages(pool):
        return Verdict(None, f"pool [{pool.name}] answers {', '.join(p for p, _ in pages(pool))} itself, and the "
                             f"SCRIPT_NAME {handler} sends here is not known", cite(pool, pages(pool)[0][1]),
                       steps=steps)
    if fix.on and pages(pool):
        found, why_not = walk(checker, disk)
        if why_not is not None and why_not.not_checked is not None:
            return _not_checked(pool, why_not.not_checked, steps)
        if found is None or found == disk:
            own = _own_page(pool, page_named(pool, script_name), steps)
            if own is not None:
                return own
        elif could_be_page(pool, script_name) is not None:
            return Verdict(None, f"cgi.fix_pathinfo found {found} below SCRIPT_FILENAME {script}: php-fpm rewrites "
                                 f"SCRIPT_NAME {script_name}, which the model does not follow, and compares it with "
                                 "the pages the pool answers itself", cite(pool, could_be_page(pool, script_name)[1]),
                           steps=steps)
    elif not fix.on:
        own = _own_page(pool, page_named(pool, request_uri(False, script_name, path_info)), steps)
        if own is not None:
            return own
    if invalid_path(script):
        return Verdict(404, f"SCRIPT_FILENAME {script} has a '..' component: php-fpm refuses it ('Primary script "
                            "unknown') and answers 404 'File not found.'", cite(pool, "listen"), steps=steps)
    if fix.on:
        found, why_not = walk(checker, disk)
        if why_not is not None and why_not.not_checked is not None:
            return _not_checked(pool, why_not.not_checked, steps)
    else:
        steps.append(("cgi.fix_pathinfo", f"off ({fix.cited()}): the script is taken as sent"))
        discard = settle(pool, "cgi.discard_path")
        if path_translated == NOT_KNOWN and not discard.on:
            return Verdict(None, f"cgi.fix_pathinfo is off ({fix.cited()}) and cgi.discard_path is not: php-fpm "
                                 f"takes PATH_TRANSLATED as the script, which {handler} maps from PATH_INFO in a "
                                 "way the model does not follow", _cite_entry(fix.entry, pool), steps=steps)
        if path_translated is not None and not discard.on:
            disk = on_disk(path_translated)
            steps.append(("PATH_TRANSLATED", f"cgi.fix_pathinfo off and cgi.discard_path off: php-fpm takes "
                                              f"PATH_TRANSLATED {path_translated} as the script"))
        found, why_not = disk, None
    if found is None:
        denial = why_not.denial if why_not is not None else None
        at_fault = denial.path if denial is not None else disk
        detail = f" ({denial.detail})" if denial is not None and denial.need != "missing" else ""
        return Verdict(404, f"php-fpm finds no script at {disk}{detail}: it logs 'Primary script unknown' "
                            "and answers 404 'File not found.'",
                       cite(pool, "user") if denial is not None and denial.need != "missing" else None, at_fault,
                       _rule_of(denial) if denial is not None and denial.need != "missing" else None, steps)
    if found != disk:
        steps.append(("cgi.fix_pathinfo", f"{disk} does not resolve ({fix.cited()}): php-fpm runs {found}, the "
                                          "rest is PATH_INFO"))
    allowed = pool.limit_extensions
    if allowed and not any(len(found) > len(ext) and found.endswith(ext) for ext in allowed):
        return Verdict(403, f"{found} does not end in {' '.join(allowed)} (security.limit_extensions of pool "
                            f"[{pool.name}]): php-fpm logs 'Access to the script ... has been denied' and "
                            "answers 403 'Access denied.'", cite(pool, "security.limit_extensions"),
                       None, RULE_EXTENSION, steps)
    folder = posixpath.dirname(found.rstrip("/")) or "/"
    inside = folder[len(chroot.rstrip("/")):] or "/" if chroot else folder   # as php-fpm names it
    opened, unknown = _primary(pool, found, inside, fix_walked=found != disk, script_name=script_name,
                               on_disk=on_disk)
    if unknown is not None:
        unknown.steps[:0] = steps
        return unknown
    if opened != found:
        steps.append(("doc_root", f"php-fpm opens {opened} (doc_root + SCRIPT_NAME), not {found}"))
    resolved = checker.check(opened, "stat")
    if resolved.not_checked is not None:
        return _not_checked(pool, resolved.not_checked, steps)
    if not resolved.ok:
        denial = resolved.denial
        status = 403 if denial is not None and denial.need in ("x", "label") else 404
        words = "403 'Access denied.'" if status == 403 else "404 'No input file specified.'"
        absent = denial is None or denial.need == "missing"
        return Verdict(status, f"php-fpm cannot resolve {opened} as {identity.user}"
                               + (f" ({denial.detail})" if denial is not None else "") + f": it answers {words}",
                       cite(pool, "listen" if absent else "user"), denial.path if denial is not None else opened,
                       None if absent else _rule_of(denial), steps)
    if resolved.meta is not None and resolved.meta.kind != "file":
        return Verdict(404, f"{opened} is a {resolved.meta.kind}, not a script: php-fpm cannot open it as one and "
                            "answers 404 'No input file specified.'", cite(pool, "listen"), opened, None, steps)
    basedir = settle(pool, "open_basedir", inside)
    basedir = user_ini_basedir(pool, basedir, fs, checker, inside, document_root, on_disk)
    if basedir.value is None:
        return Verdict(None, basedir.why_unknown, _cite_entry(basedir.entry, pool), steps=steps)
    if basedir.value:
        inside_it = within(opened, ":".join(on_disk(p) if p.startswith("/") else p
                                            for p in basedir.value.split(":")), checker)
        if inside_it is None:
            return Verdict(None, f"open_basedir {basedir.value} names a relative folder: it is resolved against "
                                 "the script's working folder, which the model does not follow",
                           _cite_entry(basedir.entry, pool), steps=steps)
        if not inside_it:
            return Verdict(404, f"{opened} is outside open_basedir {basedir.value} ({basedir.cited()}): PHP refuses "
                                "to open it (open_basedir restriction in effect) and php-fpm answers 404 "
                                "'No input file specified.'", _cite_entry(basedir.entry, pool), opened, None, steps)
        steps.append(("open_basedir", f"{opened} is inside {basedir.value} ({basedir.cited()})"))
    readable = checker.check(opened, "read")
    if readable.not_checked is not None:
        return _not_checked(pool, readable.not_checked, steps)
    if not readable.ok:
        denial = readable.denial
        status = 403 if denial is not None and denial.need in ("r", "x", "label") else 404
        # EACCES: 'Access denied.'; a script taken as named (cgi.fix_pathinfo 0) that is absent:
        # 'No input file specified.' (both measured)
        words = "403 'Access denied.'" if status == 403 else "404 'No input file specified.'"
        return Verdict(status, f"php-fpm cannot open {opened} as {identity.user}"
                               + (f" ({denial.detail})" if denial is not None else "") + f": it answers {words}",
                       cite(pool, "user"), denial.path if denial is not None else opened, _rule_of(denial), steps)
    steps.append(("script", f"{identity.user} reads {opened}"))
    return Verdict(None, f"answered by the PHP script {opened} (php-fpm pool [{pool.name}], user "
                         f"{identity.user}): its code decides the status", cite(pool, "listen"), steps=steps)


def _own_page(pool: Pool, page: tuple[str, str] | None, steps) -> Verdict | None:
    """php-fpm's answer when the request names one of the pool's own pages (pages.py)."""
    if page is None:
        return None
    path, key = page
    what = "its ping page ('" + (pool.value("ping.response") or "pong") + "')" if key == "ping.path" else \
        "its status page"
    return Verdict(200, f"SCRIPT_NAME {path} is {key} of pool [{pool.name}]: php-fpm answers {what} itself, 200, "
                        "before it looks for a script", cite(pool, key), steps=steps)


def _cite_entry(entry, pool: Pool) -> Cite | None:
    return None if entry is None else Cite(entry.label, entry.span, pool)


def _primary(pool: Pool, found: str, folder: str, *, fix_walked: bool, script_name: str | None, on_disk):
    """(the file php_fopen_primary_script opens, or None; a Verdict when that is not known):
    ~user/user_dir/... for /~user/ URIs when user_dir is set, doc_root + SCRIPT_NAME when
    doc_root is an absolute path, else the script found."""
    user_dir = settle(pool, "user_dir", folder)
    doc_root = settle(pool, "doc_root", folder)
    for setting in (user_dir, doc_root):
        if setting.value is None:
            return None, Verdict(None, setting.why_unknown, _cite_entry(setting.entry, pool))
    if user_dir.value and (script_name is None or script_name.startswith("/~")):
        return None, Verdict(None, f"user_dir is set ({user_dir.cited()}): for a /~user/ SCRIPT_NAME php-fpm opens "
                                   "a file in that user's home, which the model does not follow",
                             _cite_entry(user_dir.entry, pool))
    if not doc_root.value.startswith("/"):
        return found, None
    if script_name is None or fix_walked:
        return None, Verdict(None, f"doc_root is set ({doc_root.cited()}): php-fpm opens doc_root + SCRIPT_NAME, "
                                   + ("and SCRIPT_NAME is not known here" if script_name is None else
                                      "and cgi.fix_pathinfo rewrote SCRIPT_NAME, which the model does not follow"),
                             _cite_entry(doc_root.entry, pool))
    return on_disk(doc_root.value.rstrip("/") + "/" + script_name.lstrip("/")), None


def _rule_of(denial) -> str:
    """The rule a refused script read belongs to: php-fpm's unit sandbox (FS109) or AppArmor
    profile (FS111) caused it (no chmod helps), else the pool user's access (PHP102)."""
    if denial is not None and denial.sandbox is not None:
        return RULE_SANDBOX
    if denial is not None and denial.confinement is not None:
        return RULE_APPARMOR
    return RULE_SCRIPT


# the pool entries php-fpm's answer depends on
DECIDING = ("user", "group", "chroot", "security.limit_extensions", "listen.owner", "listen.group", "listen.mode",
            "listen.acl_users", "listen.acl_groups", "prefix")


def _environment_steps(pool: Pool) -> list[tuple[str, str]]:
    """The pool entries whose ${VAR} the unit's Environment=/EnvironmentFile= gives: said, as
    the answer rests on them."""
    env = pool.started.env if pool.started is not None else {}
    entries = list(pool.entries.values()) + [e for array in pool.arrays.values() for e in array.values()]
    return [("environment", f"{entry.label} at {entry.file}:{entry.line} reads "
             + ", ".join(f"${{{name}}} = {env[name][0]!r} ({pool.started.unit}, {env[name][1]})"
                         for name in entry.env_given if name in env))
            for entry in entries if entry.env_given]


def _not_checked(pool: Pool, exc, steps) -> Verdict:
    """A path the view cannot answer for (a sandbox or profile setting not modelled, a folder the
    scanner cannot look into): the status is unknown, the reason named."""
    return Verdict(None, f"php-fpm pool [{pool.name}]: {exc.path} cannot be judged: {exc.reason}",
                   cite(pool, "user"), steps=steps)


def _environment(entry, pool: Pool | None = None) -> Verdict:
    names = ", ".join("${" + name + "}" for name in entry.env)
    return Verdict(None, f"{entry.label} at {entry.file}:{entry.line} reads {names} from php-fpm's environment, "
                         "which is not known offline", Cite(entry.label, entry.span, pool))


def _client_refused(pool: Pool, client: str, handler: str) -> Verdict | None:
    """listen.allowed_clients: php-fpm accepts, then closes a connection from an address not
    listed (measured: nginx 502 'upstream prematurely closed', Apache 503)."""
    allowed = [a.strip() for a in (pool.value("listen.allowed_clients") or "").split(",") if a.strip()]
    if not allowed or client in allowed or (client.startswith("::ffff:") and client[7:] in allowed):
        return None
    return Verdict(502, f"{handler} connects from {client}, which listen.allowed_clients of pool [{pool.name}] "
                        f"({', '.join(allowed)}) does not list: php-fpm closes the connection (502)",
                   cite(pool, "listen.allowed_clients"), None, RULE_SOCKET, upstream=False)


def _no_pool(fs, address: Listen, handler: str) -> Verdict:
    if address.unix is None:
        return Verdict(None, f"no php-fpm pool read listens on {address}: the status comes from whatever "
                             f"listens there (nothing: {handler} answers 502, Apache 503; measured)")
    if fs is not None:
        try:
            meta = fs.lstat(address.unix)
        except Exception:  # noqa: BLE001 - the scanner could not look: not known
            meta = True
        if meta is not None:
            return Verdict(None, f"{address.unix} exists but no php-fpm pool read listens there: its status "
                                 "comes from whatever serves it")
    return Verdict(502, f"no php-fpm pool listens on unix:{address.unix}"
                        + (" and there is no such socket" if fs is not None else "")
                        + f": {handler} fails to connect (2: No such file or directory) and answers 502",
                   None, address.unix, RULE_NO_POOL, upstream=False)


def socket_meta(pool: Pool, fs, path: str) -> Meta | None:
    """The socket php-fpm creates for `pool` (fpm_unix_set_socket_permissions): root-owned,
    listen.mode (0660), chowned to listen.owner/listen.group when set, unless ACL users or
    groups are set: then ACL entries rw for them, owner and group left as they are."""
    from confcheck.fs.identity import Accounts
    accounts = Accounts.load(fs)
    mode_text = pool.value("listen.mode") or "0660"
    try:
        mode = int(mode_text, 8)
    except ValueError:
        return None
    uid, gid = 0, 0
    acl_users = (pool.value("listen.acl_users") or "").replace(",", " ").split()
    acl_groups = (pool.value("listen.acl_groups") or "").replace(",", " ").split()
    acl = None
    if acl_users or acl_groups:
        entries = [AclEntry("user_obj", None, (mode >> 6) & 7), AclEntry("group_obj", None, (mode >> 3) & 7),
                   AclEntry("other", None, mode & 7), AclEntry("mask", None, 6 | ((mode >> 3) & 7))]
        for name in acl_users:
            if name in accounts.users:
                entries.append(AclEntry("user", accounts.users[name][0], 6))
        for name in acl_groups:
            if name in accounts.groups:
                entries.append(AclEntry("group", accounts.groups[name], 6))
        acl = tuple(entries)
    else:
        owner, group = pool.value("listen.owner"), pool.value("listen.group")
        if owner:
            if owner not in accounts.users:
                return None
            uid = accounts.users[owner][0]
        if group:
            if group not in accounts.groups:
                return None
            gid = accounts.groups[group]
    return Meta(path, "socket", mode, uid, gid, acl=acl)


def _socket_apart(pool: Pool, fs, pool_fs, path: str, handler: str) -> Verdict | None:
    """502 when the web server's and php-fpm's units show `path` as different files (a private
    /tmp on either side, a folder php-fpm may not write), naming the unit line."""
    if pool_fs is fs:
        return None
    from confcheck.fs.sandbox import socket_apart
    try:
        apart = socket_apart(fs, pool_fs, path)
    except NotChecked as exc:
        return _not_checked(pool, exc, [])
    if apart is None:
        return None
    why, _mount = apart
    return Verdict(502, f"{why}: {handler} fails to connect to unix:{path} (2: No such file or directory) and "
                        "answers 502", cite(pool, "listen"), path, RULE_SANDBOX, upstream=False)


def _socket_refused(pool: Pool, fs, worker, path: str, checkers: dict) -> Verdict | None:
    from confcheck.fs.sandbox import unix_sockets_refused
    sandbox = getattr(fs, "sandbox", None)
    families = unix_sockets_refused(sandbox.unit) if sandbox is not None else None
    if families is not None:
        # measured nowhere here (the harness cannot apply a seccomp filter): said, not guessed
        return Verdict(None, f"{families.text} at {families.where} ({sandbox.unit.name}) leaves AF_UNIX out: the web "
                             f"server cannot create the socket to connect to unix:{path} (socket() fails with "
                             "EAFNOSUPPORT); what it then answers is not known here",
                       Cite(families.text, families.span, pool), path, None, upstream=False)
    checker = _checker(checkers, fs, worker)
    folder = posixpath.dirname(path) or "/"
    reach = checker.check(folder, "search")    # connect() looks the socket up: x on every folder to it
    if reach.not_checked is not None:
        return _not_checked(pool, reach.not_checked, [])
    if not reach.ok:
        denial = reach.denial
        if denial is not None and denial.need == "missing":
            return Verdict(502, f"{folder} does not exist: php-fpm cannot create its socket {path} and the "
                                "connection fails (502)", cite(pool, "listen"), denial.path, RULE_SOCKET,
                           upstream=False)
        return Verdict(502, f"connect() to unix:{path} fails (13: Permission denied): "
                            f"{denial.detail if denial else 'a folder above it is not searchable'} (502)",
                       cite(pool, "listen"), denial.path if denial else folder, RULE_SOCKET, upstream=False)
    meta = socket_meta(pool, fs, path)
    if meta is None:
        return None
    denial = checker.writable(meta, path)
    if denial is None:
        return None
    key = next(k for k in ("listen.acl_users", "listen.acl_groups", "listen.mode", "listen.owner", "listen.group",
                           "listen") if pool.entry(k) is not None or k == "listen")
    return Verdict(502, f"connect() to unix:{path} fails (13: Permission denied): the socket php-fpm creates "
                        f"for pool [{pool.name}] is {_perms(meta, fs)} and {denial.detail.split(' is ', 1)[0]} "
                        f"is '{denial.cls}' on it without w (502)",
                   cite(pool, key), path, RULE_SOCKET, upstream=False)


def _perms(meta: Meta, fs) -> str:
    from confcheck.fs.identity import Accounts
    names = Accounts.load(fs)
    return (f"s{meta.perms[1:]} {names.user_names.get(meta.uid, meta.uid)}:"
            f"{names.group_names.get(meta.gid, meta.gid)}")


def _checker(checkers: dict, fs, identity):
    from confcheck.fs.access import Checker
    key = ("php-fpm", id(fs), identity.uid, identity.gid, identity.groups)
    if key not in checkers:
        checkers[key] = Checker(fs, identity)
    return checkers[key]

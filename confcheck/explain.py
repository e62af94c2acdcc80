"""explain: error-log lines mapped to their cause on this machine.

Each recognised line (confcheck.logparse) becomes a question for the same
models `scan` and `why` use: a logged request is replayed through the server
model (that finds the deciding `deny` of "access forbidden by rule"), and a
logged path is checked as the worker (that tells nginx's one EACCES message
apart: the file itself, or a directory above it). Lines with the same cause
are counted together; unknown lines are counted, not guessed at.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from confcheck.explain_php import KINDS as PHP_KINDS
from confcheck.explain_php import SUMMARY as PHP_SUMMARY
from confcheck.logparse import LogEvent

EXAMPLES = 3

# What the worker must be able to do with the logged path, per kind of line.
FS_WANT = {
    "open-eacces": "read", "index-forbidden": "stat", "opendir-eacces": "list", "stat-eacces": "stat",
    "dir-open-eacces": "list",
    "auth-file-unreadable": "read", "search-denied": "stat", "htaccess-unreadable": "read",
    "group-file-unreadable": "read",
}

SUMMARY = {
    "access-rule": "the configuration refused the request (allow/deny or Require)",
    "dir-open-eacces": "with disable_symlinks nginx tested a directory as openat(dir, \".\"), which needs x and r "
                       "on it: the test failed and nginx went on",
    "trace-method": "nginx refuses the TRACE method (405)",
    "connect-method": "nginx refuses the CONNECT method (405)",
    "body-too-large": "the request's Content-Length is over client_max_body_size (413)",
    "transfer-encoding": "nginx refuses the request's Transfer-Encoding (501 for one other than chunked, 400 "
                         "beside a Content-Length)",
    "access-compat": "mod_access_compat (Order/Allow/Deny) refused the request",
    "open-eacces": "the worker could not open a file (the file, or a directory above it)",
    "index-forbidden": "the worker could not look for the index file: a directory is not searchable",
    "no-index": "a directory was requested that has no index file, and listings are off",
    "opendir-eacces": "the worker could not list a directory (autoindex / Indexes)",
    "symlink-refused": "a symbolic link was refused (disable_symlinks / Options)",
    "symlink-notdir": "a symbolic link to a directory was refused in the middle of a path",
    "stat-eacces": "try_files could not test a path: a directory above it is not searchable",
    "open-enoent": "the file does not exist",
    "not-found": "the file or directory does not exist",
    "no-credentials": "basic authentication: the client sent no credentials (401)",
    "bad-credentials": "basic authentication: unknown user or wrong password (401)",
    "rewrite-cycle": "rewrites or internal redirects looped until the server gave up (500)",
    "auth-request-status": "the auth_request subrequest answered neither 2xx nor 401/403 (500)",
    "search-denied": "a directory on the way to the file is not searchable by the worker",
    "htaccess-unreadable": "Apache could not read an .htaccess file (or enter its directory)",
    "rewrite-no-symlinks": "per-directory RewriteRule with both symlink options off",
    "auth-file-unreadable": "the password file cannot be opened by the worker (500)",
    "group-file-unreadable": "the group file (AuthGroupFile / AuthDBMGroupFile) cannot be opened: Require group denies",
    "htaccess-invalid": "an .htaccess directive is invalid or not allowed by AllowOverride (500)",
    "user-not-authorized": "the user authenticated but is not among those Require allows (401)",
    "invalid-method": "the request used a method Apache does not know (501)",
    "directory-not-served": "a directory was requested that no index file or listing answers (404)",
    "negotiation-failed": "MultiViews found candidate files but none it could negotiate (404)",
    "not-acceptable": "MultiViews found a variant the request's Accept headers refuse (406)",
    "no-authentication": "a Require needs a user but no AuthType authenticates one here (500)",
    "no-auth-name": "AuthType is set but AuthName is missing: httpd answers 500 before it reads credentials",
    "dav-lock-db": "mod_dav needs a lock database (DavLockDB) for this method (500)",
    "rewrite-forbidden": "a RewriteRule with [F] refused the request",
    "dav-write": "WebDAV (dav_methods) could not create, replace or remove a file or directory",
    "dav-request": "WebDAV (dav_methods) refused the request's form (method, URI, Depth or Destination)",
    "mp4-file": "the mp4 module could not cut the file at start=/end= (it is no MP4 it can read)",
    "apparmor-denied": "the worker's AppArmor profile refused the access (enforce mode)",
    "apparmor-complain": "a complain-mode AppArmor profile reported an access it would refuse (not applied)",
    "limit-req": "a request rate limit (limit_req) refused the request under load",
    "limit-conn": "a connection limit (limit_conn) refused the request under load",
    "limit-req-delay": "a request rate limit (limit_req) delayed the request within its burst (not a refusal)",
    "evasive-refused": "mod_evasive refused a client that passed its request rate limit (under load)",
    "evasive-blacklist": "mod_evasive put a client on hold after it passed its request rate limit",
    "waf-denied": "ModSecurity (the WAF) refused the request: rules matched its contents",
    "waf-warning": "ModSecurity (the WAF) matched rules but logged no refusal",
    **PHP_SUMMARY,
}
WAF_KINDS = ("waf-denied", "waf-warning")


@dataclass
class Cause:
    server: str
    kind: str
    status: int | None
    summary: str
    explanation: str
    fs_path: str | None = None
    decided_by: object | None = None       # Node
    rule: str | None = None
    fix: object | None = None              # Fix
    count: int = 0
    examples: list[str] = field(default_factory=list)
    waf: dict | None = None                 # ModSecurity: the rules that matched, the URI (contract-additions.md)
    alternatives: list = field(default_factory=list)   # other fixes, wider (unsafe) ones

    def to_json(self) -> dict:
        decided = None
        if self.decided_by is not None:
            node = self.decided_by
            decided = {"file": node.file, "line": node.line, "column": node.column, "directive": node.name}
        return {"server": self.server, "kind": self.kind, "status": self.status, "count": self.count,
                "summary": self.summary, "explanation": self.explanation, "fs_path": self.fs_path,
                "decided_by": decided, "rule": self.rule,
                "fix": self.fix.to_json() if self.fix is not None else None, "examples": self.examples,
                **({"waf": self.waf, "alternatives": [f.to_json() for f in self.alternatives]}
                   if self.waf is not None else {})}


@dataclass
class Report:
    lines: int
    causes: list[Cause]
    unknown: int
    unknown_examples: list[str]

    def to_json(self) -> dict:
        return {"version": 1, "lines": self.lines, "recognized": self.lines - self.unknown,
                "unknown": self.unknown, "unknown_examples": self.unknown_examples,
                "causes": [c.to_json() for c in self.causes]}


class Machine:
    """This machine (or --root / snapshot) as the explanations need it, loaded lazily."""

    def __init__(self, options) -> None:
        self.options = options            # confcheck.why.WhyOptions
        self._nginx = None
        self._nginx_error: str | None = None
        self._fs = None
        self._identity = None
        self._waf: dict = {}

    def nginx(self):
        """The prepared nginx model, or None (with the reason in nginx_error)."""
        if self._nginx is None and self._nginx_error is None:
            from confcheck.inputs.model import InputError
            from confcheck.why import prepare
            try:
                prepared = prepare(self.options)
            except InputError as exc:
                self._nginx_error = str(exc)
            else:
                if prepared.errors:
                    self._nginx_error = "the nginx configuration has errors: " + str(prepared.errors[0])
                else:
                    self._nginx = prepared
        return self._nginx

    def waf_tree(self, server: str):
        """(WafTree or None, why not) for `server`'s configuration: the one named (--config), else
        this machine's own."""
        if server not in self._waf:
            from confcheck.waf.advice import WafTree
            from confcheck.engine import ScanOptions, apache_targets, nginx_targets, read_options
            from confcheck.fixers.diff import patch_base
            from confcheck.inputs.model import InputError
            default = {"apache": "/etc/apache2/apache2.conf", "nginx": "/etc/nginx/nginx.conf"}.get(server)
            options = ScanOptions(paths=list(self.options.configs) or ([default] if default else []),
                                  root=self.options.root, no_fs=True)
            tree, why = None, f"no {server} configuration was read"
            try:
                reading = read_options(options)
                targets = apache_targets(reading, options)[0] if server == "apache" else nginx_targets(reading)
                found = [(t.config, t.waf) for t in targets if t.waf is not None]
                if found:
                    config, root = found[0]
                    files = list(config.files.values()) + list(root.sources)
                    tree = WafTree(server, root, files, patch_base([f.realpath for f in files], self.options.root))
                    why = None
                else:
                    why = f"the {server} configuration read does not load ModSecurity"
            except InputError as exc:
                why = str(exc)
            self._waf[server] = (tree, why)
        return self._waf[server]

    def pools(self) -> list | None:
        """The php-fpm pools read beside the server's configuration (None: none was read)."""
        prepared = self.nginx()
        return getattr(prepared.model, "pools", None) if prepared is not None else None

    def failures(self) -> list:
        """Internal errors contained while replaying requests (the command exits 3)."""
        return list(self._nginx.model.failures or []) if self._nginx is not None else []

    def reading(self):
        """What was read for the nginx model (confcheck.inputs.Reading), or None if nothing was."""
        return self._nginx.reading if self._nginx is not None else None

    def fs_and_identity(self):
        """The disk view and the worker identity (from the config, else --worker-user, else www-data)."""
        if self._fs is None:
            from confcheck.engine import ScanOptions, open_fs
            from confcheck.fs.identity import UnknownUser, resolve_identity
            prepared = self.nginx()
            if prepared is not None and prepared.model.fs is not None:
                self._fs, self._identity = prepared.model.fs, prepared.model.identity
            else:
                self._fs = open_fs(ScanOptions(root=self.options.root, fs_snapshot=self.options.fs_snapshot))
                try:
                    self._identity = resolve_identity(self._fs, self.options.worker_user or "www-data", None)
                except UnknownUser:
                    self._identity = None
        return self._fs, self._identity


def explain_events(events: list[LogEvent], machine: Machine) -> Report:
    causes: dict[tuple, Cause] = {}
    unknown = 0
    unknown_examples: list[str] = []
    transactions: dict[tuple, list[LogEvent]] = {}
    for event in events:
        if event.kind in WAF_KINDS:
            # one request's ModSecurity lines together: the refusal and the rules that added to it
            uid = event.fields.get("unique_id") or f"{event.client}|{event.uri}|{event.time}"
            transactions.setdefault((event.server, uid), []).append(event)
    for group in transactions.values():
        cause = _waf_cause(group, machine)
        key = (cause.server, cause.kind, cause.status, cause.waf["uri"],
               tuple((r["id"], r["variable"]) for r in cause.waf["rules"]))
        held = causes.setdefault(key, cause)
        held.count += 1
        if len(held.examples) < EXAMPLES:
            held.examples.append(next((e.raw for e in group if e.kind == "waf-denied"), group[0].raw))
    for event in events:
        if event.kind in ("trace", "fpm-log") or event.kind in WAF_KINDS:
            continue          # a debug trace line, php-fpm's notices: recognised, but not a cause by itself
        if event.kind == "unknown":
            unknown += 1
            if len(unknown_examples) < EXAMPLES:
                unknown_examples.append(event.raw)
            continue
        cause = _cause(event, machine)
        key = (cause.server, cause.kind, cause.fs_path, id(cause.decided_by) if cause.decided_by else None,
               cause.status, cause.explanation if cause.fs_path is None and cause.decided_by is None else "")
        held = causes.setdefault(key, cause)
        held.count += 1
        if len(held.examples) < EXAMPLES:
            held.examples.append(event.raw)
    ordered = sorted(causes.values(), key=lambda c: (-(c.status or 0) // 100, -c.count))
    return Report(len(events), ordered, unknown, unknown_examples)


def _waf_cause(group: list[LogEvent], machine: Machine) -> Cause:
    """One request's ModSecurity lines: who refused it, the rules that matched, the narrow exclusion."""
    from confcheck.waf.advice import advise, uri_prefix
    denied = next((e for e in group if e.kind == "waf-denied"), None)
    first = denied or group[0]
    server = next((e.server for e in group if e.server in ("apache", "nginx")), first.server or "?")
    hits = [e.waf for e in group]
    uri = next((e.uri for e in group if e.uri), None) or first.request_path
    tree, why = machine.waf_tree(server) if server in ("apache", "nginx") else (
        None, "the log does not say which server wrote it: name its configuration with --config")
    advice = advise(hits, first.method, uri, tree, why)
    kind = "waf-denied" if denied is not None else "waf-warning"
    cause = Cause(server, kind, denied.status if denied is not None else None, SUMMARY[kind], advice.explanation)
    cause.fix = advice.fix
    cause.alternatives = [advice.alternative] if advice.alternative is not None else []
    evaluation = next((h for h in hits if h.denied is not None), None)
    cause.waf = {"uri": uri_prefix(uri), "rules": [h.to_json() for h in advice.contributors],
                 "denied_by": evaluation.to_json() if evaluation is not None else None,
                 "anomaly_score": evaluation.score if evaluation is not None else None}
    return cause


def _cause(event: LogEvent, machine: Machine) -> Cause:
    summary = SUMMARY.get(event.kind, event.kind)
    base = Cause(event.server or "?", event.kind, event.status, summary, "")
    if event.server == "apparmor":
        from confcheck.fs.apparmor import audit_cause
        base.fs_path = event.path
        base.explanation = audit_cause(event, machine.fs_and_identity()[0] or _plain_fs(machine))
        return base
    if event.kind in ("limit-req", "limit-conn", "limit-req-delay"):
        return _limit_cause(event, machine, base)
    if event.kind in ("evasive-refused", "evasive-blacklist"):
        return _evasive_cause(event, machine, base)
    replayed = _replay(event, machine) if event.server == "nginx" else None
    if replayed is not None and event.kind in PHP_KINDS and replayed[1]:
        replayed = None         # the replay disagrees with the line: what the line names is read instead
    if replayed is not None:
        outcome, note = replayed
        base.explanation = outcome.reason + (f" ({note})" if note else "")
        base.decided_by = outcome.decided_by
        base.fs_path = outcome.fs_path
        base.rule = outcome.rule
        if outcome.fs_path and _fs_kind(event):
            # Ask about the logged path: the check itself finds the component at fault.
            base.fix = _permission_fix(machine, event.path or outcome.fs_path, FS_WANT.get(event.kind, "read"))
        elif event.kind in PHP_KINDS:
            from confcheck.explain_php import pool_fix
            base.fix = pool_fix(machine, outcome)
        return base
    if event.kind in PHP_KINDS:
        from confcheck.explain_php import php_cause
        return php_cause(event, machine, base)
    if event.path and event.kind in FS_WANT:
        return _fs_cause(event, machine, base)
    if event.kind == "symlink-refused" and event.path:
        base.fs_path = event.path
        base.explanation = (f"{event.path} is a symbolic link (or passes through one) that the symlink "
                            "policy refuses; an Apache AH00037 also means a dangling link")
        return base
    if event.kind == "no-index" and event.path:
        base.fs_path, gone = _resolved(machine, event.path.rstrip("/") or "/")
        base.explanation = (f"{gone.detail} now: the directory the line names is gone (the disk changed "
                            "since it was logged)" if gone is not None else
                            f"{base.fs_path} has none of the configured index files and directory "
                            "listings are off: add an index file, the right name to index/DirectoryIndex, "
                            "or turn listings on")
        return base
    base.explanation = summary
    if event.path:
        base.fs_path = event.path
    if event.kind == "directory-not-served":
        base.explanation = _directory_not_served(event, machine)
    if event.kind in ("access-rule", "access-compat") and event.server == "apache":
        base.explanation = (f"a Require / Order decision refused {event.path}; run `confcheck why URL` "
                            "for the request to see the deciding directive")
    return base


def _plain_fs(machine: Machine):
    from confcheck.engine import ScanOptions, open_fs
    return open_fs(ScanOptions(root=machine.options.root, fs_snapshot=machine.options.fs_snapshot))
def _directory_not_served(event: LogEvent, machine: Machine) -> str:
    """AH00129 is the core's default handler meeting a directory: no DirectoryIndex file was
    there and mod_autoindex did not take it (not loaded, or a method other than GET)."""
    prepared = machine.nginx()           # the prepared model of the configuration read, either server
    conf = getattr(prepared.model, "conf", None) if prepared is not None and prepared.server == "apache" else None
    where = event.path or "the directory"
    if conf is None:
        return (f"{where} has no DirectoryIndex file, and no listing answered it (mod_autoindex not loaded, "
                "or the method was not GET): Apache's core answers 404")
    if "autoindex_module" not in conf.modules:
        return (f"{where} has no DirectoryIndex file and mod_autoindex is not loaded in the configuration "
                "read, so nothing lists it: Apache's core answers 404 (add an index file, or load "
                "mod_autoindex with Options Indexes)")
    return (f"{where} has no DirectoryIndex file and mod_autoindex answers only GET: the request's method "
            "(POST, PUT, ...) on it is answered 404 by Apache's core")


def _limit_cause(event: LogEvent, machine: Machine, base: Cause) -> Cause:
    """A limit's log line: the zone it names, the limit directive the logged request passes
    (replayed: one request is not limited, but the model names the limits it meets) and
    the status the configuration gives under load."""
    from confcheck.servers.nginx.limits import zone_definition
    delayed = event.kind == "limit-req-delay"       # within the burst: served late, the status is another's
    module = "limit_req" if delayed else event.kind.replace("-", "_")
    zone = event.fields.get("zone", "")
    what = "delayed the request within its burst" if delayed else "refused the request under load"
    replayed = _replay(event, machine)
    limits = [l for l in (replayed[0].limits if replayed else []) if l.directive.key == module and l.zone == zone]
    if limits:
        limit = limits[0]
        base.decided_by, base.status = limit.directive, None if delayed else limit.status
        base.explanation = f"zone {zone!r} {what}: {limit.describe()}"
        return base
    prepared = machine.nginx()
    definition = zone_definition(prepared.model.http, module, zone) if prepared is not None else None
    base.decided_by = definition
    base.explanation = (f"zone {zone!r} {what}"
                        + (f" ({definition.name} at {definition.file}:{definition.line})" if definition else
                           " (the zone is not in the configuration read)")
                        + ("" if delayed else f"; the status is {module}_status (503 unless set)"))
    return base


def _evasive_cause(event: LogEvent, machine: Machine, base: Cause) -> Cause:
    """mod_evasive's lines: the limit of the configuration read, with its status under load."""
    from confcheck.servers.apache.evasive import limit
    prepared = machine.nginx()           # the prepared model of the configuration read, either server
    conf = getattr(prepared.model, "conf", None) if prepared is not None and prepared.server == "apache" else None
    found = limit(conf) if conf is not None else None
    base.fs_path = None
    if found is None:
        base.explanation = (f"{SUMMARY[event.kind]}; mod_evasive is not loaded in the configuration read, "
                            "so its limits are not known (DOSHTTPResponseCode, 403 unless set)")
        return base
    base.decided_by, base.status = found.directive, found.status
    base.explanation = (f"{found.describe()}; a client on hold gets this status for every request, "
                        "which cannot be told from a permission denial in the access log")
    return base


def _resolved(machine: Machine, path: str):
    """(the real directory behind `path` (the index is missing there, not at a link), the
    denial saying it does not exist, or None)."""
    from confcheck.fs.access import Checker
    fs, identity = machine.fs_and_identity()
    if identity is None:
        return path, None
    access = Checker(fs, identity).check(path, "stat")
    missing = access.denial if access.denial is not None and access.denial.need == "missing" else None
    return (missing.path if missing is not None else access.resolved or path), missing


def _fs_kind(event: LogEvent) -> bool:
    return event.kind in FS_WANT or event.kind in ("symlink-refused", "opendir-eacces")


def _fs_cause(event: LogEvent, machine: Machine, base: Cause) -> Cause:
    from confcheck.fs.access import Checker
    path = event.path
    if event.kind == "search-denied":
        # AH00035 names the first component that could not be stat'ed: its parent lacks x.
        path = event.path
    if event.kind == "htaccess-unreadable":
        path = event.path if event.path.endswith(".htaccess") else posixpath.join(event.path, ".htaccess")
    fs, identity = machine.fs_and_identity()
    if identity is None:
        base.fs_path = path
        base.explanation = f"{path}: the worker user is unknown here (use --worker-user or --config)"
        return base
    want = FS_WANT[event.kind]
    access = Checker(fs, identity).check(path, want)
    if access.not_checked is not None:
        base.fs_path = path
        base.explanation = f"{path}: not checked ({access.not_checked.reason})"
        return base
    if access.ok:
        base.fs_path = path
        base.explanation = (f"{identity.user} can {want} {path} now: the problem was fixed since the line was "
                            "logged, or the running server has other groups (a restart picks up new group "
                            "memberships)")
        return base
    denial = access.denial
    base.fs_path = denial.path
    base.explanation = denial.detail
    base.fix = _permission_fix(machine, path, want)
    return base


def _permission_fix(machine: Machine, path: str, want: str):
    from confcheck.fixers.permissions import permission_fix
    from confcheck.fs.access import Checker
    from confcheck.fs.identity import Accounts
    fs, identity = machine.fs_and_identity()
    if identity is None:
        return None
    access = Checker(fs, identity).check(path, want)
    if access.ok or access.denial is None:
        return None
    if access.denial.sandbox is not None:
        # the unit's namespace hides it: a drop-in, never a chmod of the mount point
        from confcheck.fixers.unit_dropin import dropin_fix
        return dropin_fix(fs.sandbox, access.denial.sandbox, posixpath.dirname(path))
    try:
        accounts = Accounts.load(fs)
    except Exception:  # noqa: BLE001 - names are cosmetic; the fix still works with ids
        accounts = None
    return permission_fix([access], identity, accounts, fs=fs, secret=(want == "read" and "passw" in path))


def _replay(event: LogEvent, machine: Machine):
    """(Outcome, note) of the logged request put to the nginx model, or None.

    The server block is the one the line names (nginx logs `server: NAME`).
    A log line does not carry the credentials: when the replay stops at the
    401 prompt, it is tried again with made-up credentials, which is what
    reaches the password file (missing: 403, unreadable: 500).
    """
    if not (event.request and (event.host or event.vhost)):
        return None
    prepared = machine.nginx()
    if prepared is None or prepared.server != "nginx":
        return None         # (an nginx line read with an Apache configuration: nothing to replay it on)
    import base64

    from confcheck.isolation import decide_contained
    from confcheck.servers.nginx.decide import decide
    from confcheck.servers.nginx.request import Request, RequestError
    method, _, rest = event.request.partition(" ")
    path = rest.rsplit(" ", 1)[0] if " HTTP/" in rest else rest
    host = event.host or event.vhost
    server = _named_server(prepared.model.http, event.vhost)
    port = server.listens[0].port if server is not None and server.listens[0].port > 0 else 80
    probe = "Basic " + base64.b64encode(b"confcheck-probe:confcheck-probe").decode()
    outcome = None
    for headers in ({"Host": host}, {"Host": host, "Authorization": probe}):
        try:
            request = Request.parse(f"http://{host.split(':')[0]}:{port}{path}", method, headers,
                                    event.client or "127.0.0.1")
            request.address_from_log = event.client is not None
            outcome = decide_contained(decide, prepared.model, request, server)
        except RequestError:
            return None
        if outcome.status != 401 or event.status == 401:
            break
    if outcome is None:
        return None
    if event.status is None or outcome.status == event.status or (event.path and outcome.fs_path
                                                                   and event.path.startswith(outcome.fs_path)):
        return outcome, ""
    if outcome.status is not None:
        return outcome, (f"the log says {event.status}; replayed now the request gets {outcome.status}: "
                         "the configuration or the disk changed since, or another server answered")
    return None


def _named_server(http, name: str | None):
    if name is None:
        return None
    for server in http.servers:
        if server.primary_name == name:
            return server
    return None


def read_since(text: str):
    """A `--since` value: 90s, 30m, 1h, 2d, or an ISO date/time."""
    from datetime import datetime, timedelta
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    value = text.strip()
    if value and value[-1] in units and value[:-1].isdigit():
        return datetime.now() - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--since {text!r}: use 90s, 30m, 1h, 2d or an ISO date such as 2026-11-21T09:00") from None

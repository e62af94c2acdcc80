r"""Scenario files: YAML under tests/realserver/scenarios/ (any depth).

File format (one mapping with a ``scenarios`` list)::

    scenarios:
      - name: r01-file-0600-root     # unique; [a-z0-9-]; server_name is NAME.confcheck.test
        ref: "1"                     # row of server-behavior.md section 1, or "own"
        title: file 0600 root:root
        accounts:                    # optional; created before the server starts
          groups: [{name: sg, members: [www-data]}]    # real name cctPID-sg, use as "@sg"
          users: [{name: alice, groups: ["@sg"]}]      # own primary group "@alice"
        tree:                        # see tree.py
          - {path: www/, mode: "0755"}
          - {path: www/a.html, mode: "0600"}
        nginx: |                     # server-block body; one config per server kind
          root @ROOT@/www;
        apache: |                    # (later) <VirtualHost> body
          DocumentRoot @ROOT@/www
        requests:
          - path: /a.html            # sent verbatim
            method: GET              # default GET
            headers: {Referer: x}    # optional; Host and Connection: close are added
            auth: [user, password]   # optional Basic credentials
            body: "x"                # optional request body
            nginx:                   # expectation for this server kind
              status: 403
              fs_path: www/a.html    # the path at fault, relative to @ROOT@ ("." = @ROOT@)
              rule: file-unreadable  # one of RULES
              log: ['open() "@ROOT@/www/a.html" failed (13: Permission denied)']
              body: "..."            # optional exact body check
              note: "..."            # free text (e.g. where the reference disagrees)
              decided_by: "deny all;" # what decided a config-caused outcome: the
                                     # directive's exact text in this scenario's
                                     # config (checked); needed on every 401/403/500
                                     # that has no fs_path
              upstream: true         # handed to proxy_pass/fastcgi_pass/ProxyPass (after
                                     # the access phase); no backend runs, so the real
                                     # status must be 502 (Apache: 503) while
                                     # a model predicts "status: null" (upstream)
              location: /dir/        # the Location header: a path is compared with
                                     # http://HOST:PORT<path> (HOST the Host sent),
                                     # anything else verbatim; @NAME@ allowed
              closed: true           # `return 444`: status is what nginx logs (444),
                                     # the client gets no response (connection
                                     # closed); checked in the access log
              not_modelled: "auth_request /check;"  # the request passes a directive the
                                     # model does not know (coverage table, class
                                     # unknown): `why` must answer status null and
                                     # name it (its exact text in the config);
                                     # the real status is still checked
              under_load: 200        # the request was refused by a rate/connection
                                     # limit (limit_req/limit_conn under load): the
                                     # real status is the limit's, decided_by names
                                     # the limit; `why` (one request) answers this
                                     # status and names the limit with that status
              decided_in: www/.htaccess  # where decided_by is written when it is not
                                     # in the scenario's config: a tree file
                                     # (an .htaccess, relative to @ROOT@) or "base"
                                     # (the harness's base config, BASE_CONFIG:
                                     # Debian's <Directory /> and <FilesMatch "^\.ht">)

Apache scenarios (scenarios/apache/): ``apache:`` is the body of the
scenario's <VirtualHost> (apache.py). A .htaccess is a tree file with
``content``. Users may have a home: ``users: [{name: alice, home:
"@ROOT@/home/alice"}]`` (for UserDir; the directory itself comes from the
tree). A scenario whose config must stop the server from starting carries
``refuses_start: {apache: "message substring"}`` and no requests: the harness
drops it from the shared config (as for any scenario that breaks ``-t``) and
the tests check that ``-t`` rejected it with that message.

A request path, header or location may name a test account as ``@USER:name@``
(its real name, e.g. ``/~@USER:alice@/`` for UserDir; the harness records the
path it sent as ``RequestResult.path_sent``).

A request may also carry ``host: other.example`` (the Host header; default the
scenario's server_name; @NAME@ allowed); header values may use @NAME@.

Server selection (nginx): with ``raw_servers: true`` the ``nginx:`` text is one
or more complete ``server { listen @LISTEN@; ... }`` blocks. @LISTEN@ is an
address:port of the scenario's own (127.0.0.N, N >= 2, the run's port), so
default_server / "first server on the port" are the scenario's own; requests
are sent to that address with their ``host:``.

Placeholders in configs, symlink targets and log substrings: ``@ROOT@`` (the
scenario's tree directory) and ``@NAME@`` (its server_name); in configs also
``@ID@`` (its name as a word: raw_servers scenarios name their http-level
map/geo variables with it, as those are shared by every server).

A scenario runs on a server kind when it has a config for that kind; a request
is sent to that kind when it has an expectation for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .tree import Entry, parse_entries

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
SERVER_KINDS = ("nginx", "apache")
DOMAIN = "confcheck.test"

# Rule families for disk-caused outcomes. fs_path is the component that denies.
RULES = {
    "parent-not-searchable": "a directory on the way lacks x for the worker (fs_path: that directory)",
    "file-unreadable": "the file (or a symlink's target) lacks r for the worker (fs_path: the file)",
    "dir-not-listable": "listing requested, directory lacks r (fs_path: the directory)",
    "no-index": "directory without an index file and listing off (fs_path: the directory)",
    "symlink-refused": "the server's symlink policy refuses a link (fs_path: the link)",
    "dangling-symlink": "a symlink whose target does not exist (fs_path: the link)",
    "auth-file-unreadable": "auth_basic_user_file/AuthUserFile lacks r (fs_path: the file)",
    "auth-file-missing": "auth_basic_user_file/AuthUserFile does not exist (fs_path: the file)",
    "root-missing": "the document root does not exist (fs_path: the root)",
    # Apache .htaccess (AllowOverride not None in effect for the directory)
    "htaccess-unreadable": ".htaccess cannot be read: no r for the worker, or it is a directory (fs_path: the .htaccess)",
    "htaccess-not-allowed": ".htaccess uses a directive its AllowOverride class forbids: 500 (fs_path: the .htaccess)",
    "htaccess-invalid": ".htaccess has a syntax error or an unknown directive: 500 (fs_path: the .htaccess)",
    # phpfpm_scenarios/ (phpfpm.py): php-fpm behind the server, as the pool's user
    "pool-cannot-read": "the pool's user cannot search a folder above the script or read it (fs_path: that component)",
    "socket-refused": "the worker may not connect to the pool's socket: no w on it or no x above (fs_path: the socket)",
    "no-pool": "no pool listens on the socket the server connects to, and it does not exist (fs_path: the socket)",
    # sandbox_scenarios/ (sandbox.py): the systemd unit's mount namespace
    "sandbox-hides": "the unit's namespace hides the path: an inaccessible (mode 000) or empty mount "
                     "(fs_path: the mount, or the missing name in an empty one; unit_line: the setting's file:line:column)",
}

# The server-level text every scenario of a kind shares (rendered by the
# runner); decided_by may name a directive written here (decided_in: base).
BASE_CONFIG = {
    "apache": """\
DirectoryIndex index.html
AccessFileName .htaccess

# Debian's apache2.conf defaults
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
<Directory /var/www/>
    Options Indexes FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>
<FilesMatch "^\\.ht">
    Require all denied
</FilesMatch>
""",
}

SCENARIO_KEYS = {"name", "ref", "title", "accounts", "tree", "requests", "raw_servers", "refuses_start",
                 "php_fpm", "php_ini", *SERVER_KINDS}
REQUEST_KEYS = {"path", "method", "headers", "auth", "body", "host", *SERVER_KINDS}
EXPECT_KEYS = {"status", "fs_path", "rule", "log", "body", "note", "decided_by", "upstream", "location", "closed",
               "decided_in", "not_modelled", "unit_line", "under_load", "script", "unknown"}
# statuses a config-caused outcome must explain with decided_by (when no fs_path)
EXPLAINED_STATUSES = (401, 403, 500)
# no backend runs: nginx answers 502, Apache's mod_proxy 503
UPSTREAM_STATUS = {"nginx": 502, "apache": 503}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class ScenarioError(ValueError):
    pass


@dataclass
class Expectation:
    status: int
    fs_path: str | None = None  # relative to the scenario root
    rule: str | None = None
    log: list[str] = field(default_factory=list)
    body: str | None = None
    note: str | None = None
    decided_by: str | None = None  # directive text from the scenario config
    upstream: bool = False         # handed to an upstream (real status 502, model: null)
    location: str | None = None    # expected Location header (a path: same host:port)
    closed: bool = False           # connection closed without a response (return 444)
    decided_in: str | None = None  # decided_by is not in the config: a tree file or "base"
    not_modelled: str | None = None  # directive text of an unknown-class directive: `why` answers null
    unit_line: str | None = None   # sandbox scenarios: the unit line that caused it (end of file:line:column)
    under_load: int | None = None  # refused by a limit under load: what `why` answers one request
    script: bool = False           # php-fpm ran the PHP script (phpfpm.py): `why` answers null, naming it
    unknown: str | None = None     # no directive to name: `why` answers null, its reason holding this text


@dataclass
class RequestSpec:
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    body: str | None = None
    expect: dict[str, Expectation] = field(default_factory=dict)
    host: str | None = None  # Host header override (default: the scenario's server_name)

    @property
    def label(self) -> str:
        extra = " +auth" if self.auth else ""
        return f"{self.method} {self.path}{extra}"


@dataclass
class AccountSpec:
    groups: list[dict] = field(default_factory=list)  # {name, members}
    users: list[dict] = field(default_factory=list)   # {name, groups, home}


@dataclass
class Scenario:
    name: str
    ref: str
    title: str
    tree: list[Entry]
    configs: dict[str, str]
    requests: list[RequestSpec]
    accounts: AccountSpec
    source: str  # file it came from
    raw_servers: bool = False  # nginx: the config is whole server blocks on @LISTEN@
    refuses_start: dict[str, str] = field(default_factory=dict)  # kind -> -t message substring
    php_fpm: str | None = None     # php-fpm pool sections behind the server (phpfpm.py)
    php_ini: str | None = None     # php.ini text the master runs with (its [PATH=@ROOT@...] sections)

    @property
    def server_name(self) -> str:
        return f"{self.name}.{DOMAIN}"

    def runs_on(self, kind: str) -> bool:
        return kind in self.configs


def _expectation(raw, where: str, config: str | None = None,
                 sources: dict[str, str] | None = None, kind: str = "nginx") -> Expectation:
    """sources: where else decided_by may be written (decided_in): "base" and
    the scenario's tree files by path."""
    if isinstance(raw, int):
        raw = {"status": raw}
    if not isinstance(raw, dict) or "status" not in raw:
        raise ScenarioError(f"{where}: expectation needs a status")
    unknown = set(raw) - EXPECT_KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}")
    rule = raw.get("rule")
    if rule is not None and rule not in RULES:
        raise ScenarioError(f"{where}: unknown rule {rule!r} (known: {sorted(RULES)})")
    if (rule is None) != (raw.get("fs_path") is None):
        raise ScenarioError(f"{where}: fs_path and rule go together")
    log = raw.get("log") or []
    if isinstance(log, str):
        log = [log]
    status = int(raw["status"])
    decided_by = raw.get("decided_by")
    if decided_by is not None:
        if not isinstance(decided_by, str) or not decided_by.strip():
            raise ScenarioError(f"{where}: decided_by is the text of a directive")
        decided_in = raw.get("decided_in")
        if decided_in is not None:
            if sources is not None and (decided_in not in sources or decided_by not in sources[decided_in]):
                raise ScenarioError(f"{where}: decided_by {decided_by!r} is not in {decided_in!r} "
                                    "(a tree file with content, or \"base\")")
        elif config is not None and decided_by not in config:
            raise ScenarioError(f"{where}: decided_by {decided_by!r} is not in the scenario's config"
                                " (elsewhere: say where with decided_in)")
    elif raw.get("decided_in") is not None:
        raise ScenarioError(f"{where}: decided_in goes with decided_by")
    not_modelled = raw.get("not_modelled")
    if not_modelled is not None and (not isinstance(not_modelled, str) or config is None
                                     or not_modelled not in config):
        raise ScenarioError(f"{where}: not_modelled {not_modelled!r} is not a directive of the scenario's config")
    if status in EXPLAINED_STATUSES and decided_by is None and raw.get("fs_path") is None and not_modelled is None:
        raise ScenarioError(f"{where}: a {status} needs fs_path/rule (disk) or decided_by (config), "
                            "or not_modelled (a directive the model does not know)")
    for flag in ("upstream", "closed"):
        if not isinstance(raw.get(flag, False), bool):
            raise ScenarioError(f"{where}: {flag} is true or false")
    upstream, closed = bool(raw.get("upstream", False)), bool(raw.get("closed", False))
    if upstream and status != UPSTREAM_STATUS[kind]:
        raise ScenarioError(f"{where}: upstream: true needs status {UPSTREAM_STATUS[kind]} (no backend runs)")
    if closed and status != 444:
        raise ScenarioError(f"{where}: closed: true goes with status 444")
    under_load = raw.get("under_load")
    if under_load is not None and (not isinstance(under_load, int) or decided_by is None):
        raise ScenarioError(f"{where}: under_load is the status of one request, with decided_by (the limit)")
    location = raw.get("location")
    if location is not None and not (isinstance(location, str) and status in (201, 301, 302, 303, 307, 308)):
        raise ScenarioError(f"{where}: location is a string, on a 201/3xx")
    return Expectation(status=status, fs_path=raw.get("fs_path"), rule=rule,
                       log=list(log), body=raw.get("body"), note=raw.get("note"),
                       decided_by=decided_by, upstream=upstream, location=location, closed=closed,
                       decided_in=raw.get("decided_in"), not_modelled=not_modelled,
                       unit_line=raw.get("unit_line"), under_load=under_load, script=bool(raw.get("script")),
                       unknown=raw.get("unknown"))


def _request(raw, where: str, configs: dict[str, str] | None = None,
             sources: dict[str, dict[str, str]] | None = None) -> RequestSpec:
    if not isinstance(raw, dict) or "path" not in raw:
        raise ScenarioError(f"{where}: a request needs a path")
    unknown = set(raw) - REQUEST_KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}")
    if not str(raw["path"]).startswith("/"):
        raise ScenarioError(f"{where}: path must start with '/'")
    auth = raw.get("auth")
    if auth is not None:
        if not (isinstance(auth, list) and len(auth) == 2):
            raise ScenarioError(f"{where}: auth is [user, password]")
        auth = (str(auth[0]), str(auth[1]))
    configs = configs or {}
    sources = sources or {}
    expect = {k: _expectation(raw[k], f"{where}.{k}", configs.get(k), sources.get(k), k)
              for k in SERVER_KINDS if k in raw}
    if not expect:
        raise ScenarioError(f"{where}: no expectation for any server kind")
    headers = {str(k): str(v) for k, v in (raw.get("headers") or {}).items()}
    host = raw.get("host")
    if host is not None and (not isinstance(host, str) or not host or any(c in host for c in " \r\n/")):
        raise ScenarioError(f"{where}: host is a host name (no spaces or slashes)")
    return RequestSpec(path=str(raw["path"]), method=str(raw.get("method", "GET")).upper(),
                       headers=headers, auth=auth, body=raw.get("body"), expect=expect, host=host)


def parse_scenario(raw: dict, source: str = "<data>") -> Scenario:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: a scenario must be a mapping")
    name = raw.get("name")
    where = f"{source}:{name}"
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ScenarioError(f"{where}: name must match {NAME_RE.pattern}")
    unknown = set(raw) - SCENARIO_KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}")
    configs = {k: str(raw[k]) for k in SERVER_KINDS if k in raw}
    if not configs:
        raise ScenarioError(f"{where}: no server config (nginx: / apache:)")
    raw_servers = raw.get("raw_servers", False)
    if not isinstance(raw_servers, bool):
        raise ScenarioError(f"{where}: raw_servers is true or false")
    if raw_servers:
        if set(configs) != {"nginx"}:
            raise ScenarioError(f"{where}: raw_servers is for nginx configs only")
        if "@LISTEN@" not in configs["nginx"] or not re.search(r"^\s*server\s*\{", configs["nginx"], re.M):
            raise ScenarioError(f"{where}: raw_servers needs server {{ listen @LISTEN@; ... }} blocks")
    tree = parse_entries(raw.get("tree"), f"{where}.tree")
    files = {e.path: e.content for e in tree if e.kind == "file" and e.content is not None}
    sources = {k: {**files, **({"base": BASE_CONFIG[k]} if k in BASE_CONFIG else {}),
                   **({"php_fpm": str(raw["php_fpm"])} if "php_fpm" in raw else {}),
                   **({"php_ini": str(raw["php_ini"])} if "php_ini" in raw else {})} for k in configs}
    requests = [_request(r, f"{where}.requests[{i}]", configs, sources)
                for i, r in enumerate(raw.get("requests") or [])]
    refuses = raw.get("refuses_start") or {}
    if not isinstance(refuses, dict) or any(k not in configs or not isinstance(v, str) or not v
                                            for k, v in refuses.items()):
        raise ScenarioError(f"{where}: refuses_start maps a server kind with a config to a message substring")
    if refuses and requests:
        raise ScenarioError(f"{where}: a scenario that refuses to start has no requests")
    if not requests and not refuses:
        raise ScenarioError(f"{where}: no requests")
    for i, r in enumerate(requests):
        for kind in r.expect:
            if kind not in configs:
                raise ScenarioError(f"{where}.requests[{i}]: expectation for {kind} but no {kind} config")
    acc = raw.get("accounts") or {}
    accounts = AccountSpec(groups=list(acc.get("groups") or []), users=list(acc.get("users") or []))
    for u in accounts.users:
        home = u.get("home")
        if home is not None and not (isinstance(home, str) and home.startswith("@ROOT@/")):
            raise ScenarioError(f"{where}: a user's home is a path under @ROOT@/")
    return Scenario(name=name, ref=str(raw.get("ref", "own")), title=str(raw.get("title", name)),
                    tree=tree, configs=configs,
                    requests=requests, accounts=accounts, source=source, raw_servers=raw_servers,
                    refuses_start=dict(refuses), php_fpm=str(raw["php_fpm"]) if "php_fpm" in raw else None,
                    php_ini=str(raw["php_ini"]) if "php_ini" in raw else None)


def load_file(path: Path) -> list[Scenario]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise ScenarioError(f"{path}: expected a mapping with a 'scenarios' list")
    rel = str(Path(path).relative_to(SCENARIO_DIR)) if Path(path).is_relative_to(SCENARIO_DIR) else str(path)
    return [parse_scenario(s, rel) for s in data["scenarios"]]


def load_scenarios(kind: str | None = None, directory: Path = SCENARIO_DIR) -> list[Scenario]:
    """All scenarios under directory (sorted by file, then file order)."""
    out: list[Scenario] = []
    seen: dict[str, str] = {}
    files = sorted(p for p in Path(directory).rglob("*") if p.suffix in (".yaml", ".yml"))
    for f in files:
        for s in load_file(f):
            if s.name in seen:
                raise ScenarioError(f"duplicate scenario name {s.name!r} in {s.source} and {seen[s.name]}")
            seen[s.name] = s.source
            if kind is None or s.runs_on(kind):
                out.append(s)
    return out

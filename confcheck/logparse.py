"""Error-log lines of nginx, Apache and php-fpm, read into events with a known meaning.

Every line format of ../shared/reference/server-behavior.md section 3 is
recognised, with or without Apache's AH codes; so are the lines about php-fpm
behind them (what php-fpm sent on the FastCGI stderr stream, as nginx's
`FastCGI sent in stderr:` and Apache's AH01071 carry it; the failed connect to
its socket) and php-fpm's own log (`[07-Dec-2026 01:11:35] ERROR: ...`). The
wording is php-fpm 8.2's, nginx 1.22's and Apache 2.4's as they logged it
(tests/realserver/test_explain_real_logs.py). A line that matches nothing
known is an `unknown` event: counted, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

_NGINX = re.compile(r"^(?P<date>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) \[(?P<level>\w+)\] "
                    r"(?P<pid>\d+)#(?P<tid>\d+): (?:\*(?P<cid>\d+) )?(?P<msg>.*)$")
_NGINX_FIELDS = re.compile(r', (client|server|request|host|upstream|referrer|subrequest): ("(?:[^"\\]|\\.)*"|[^,]*)')
_APACHE = re.compile(r"^\[(?P<date>[^\]]+)\] \[(?P<module>[\w-]*):(?P<level>\w+)\] \[pid (?P<pid>\d+)(?::tid \d+)?\] "
                     r"(?:[\w.-]+\.c\(\d+\): )?"
                     r"(?:\((?P<errno>-?\d+)\)(?P<errtext>[^:\[]*): )?"
                     r"(?:\[client (?P<client>[^\]]+)\] )?(?P<msg>.*)$")
_FPM = re.compile(r"^\[(?P<date>\d{2}-\w{3}-\d{4} \d{2}:\d{2}:\d{2})\] (?P<level>[A-Z]+): "
                  r"(?:\[pool (?P<pool>[^\]]+)\] )?(?P<msg>.*)$")

# What php-fpm writes on a request's stderr (and, with catch_workers_output, into its own
# log): (kind, regex searched in it, status the client got). The first that matches wins.
FPM_STDERR = [
    ("php-extension", re.compile(r"Access to the script '(?P<path>.*)' has been denied \(see "
                                 r"security\.limit_extensions\)"), 403),
    ("php-open-eacces", re.compile(r"Unable to open primary script: (?P<path>.*) \(Permission denied\)"), 403),
    ("php-open-missing", re.compile(r"Unable to open primary script: (?P<path>.*) \(No such file or directory\)"), 404),
    ("php-script-unknown", re.compile(r"Primary script unknown"), 404),
    # PHP found no temporary folder it may write (upload_tmp_dir, then the system's): the upload fails
    ("php-upload-tmp", re.compile(r"File upload error - unable to create a temporary file"), None),
]
# connect() to the FastCGI (or any) backend: errno -> kind
CONNECT_KINDS = {"13": "upstream-denied", "2": "upstream-missing", "111": "upstream-refused"}

# (kind, server, regex over the message, status the client got)
NGINX_PATTERNS = [
    ("access-rule", re.compile(r"^access forbidden by rule"), 403),
    ("open-eacces", re.compile(r'^open\(\) "(?P<path>.*)" failed \(13: Permission denied\)'), 403),
    ("index-forbidden", re.compile(r'^"(?P<path>.*)" is forbidden \(13: Permission denied\)'), 403),
    ("no-index", re.compile(r'^directory index of "(?P<path>.*)" is forbidden'), 403),
    ("opendir-eacces", re.compile(r'^opendir\(\) "(?P<path>.*)" failed \(13: Permission denied\)'), 403),
    ("symlink-refused", re.compile(r'^openat\(\) "(?P<path>.*)" failed \(40: Too many levels of symbolic links\)'), 403),
    ("symlink-notdir", re.compile(r'^openat\(\) "(?P<path>.*)" failed \(20: Not a directory\)'), 404),
    ("stat-eacces", re.compile(r'^stat\(\) "(?P<path>.*)" failed \(13: Permission denied\)'), None),
    # disable_symlinks: a tested path ending in a slash is opened as openat(dir, ".") (x and r on dir)
    ("dir-open-eacces", re.compile(r'^openat\(\) "(?P<path>.*/)" failed \(13: Permission denied\)'), None),
    ("trace-method", re.compile(r"^client sent TRACE method"), 405),
    ("connect-method", re.compile(r"^client sent CONNECT method"), 405),
    ("body-too-large", re.compile(r"^client intended to send too large body: \d+ bytes"), 413),
    ("transfer-encoding", re.compile(r'^client sent unknown "Transfer-Encoding"'), 501),
    ("transfer-encoding", re.compile(r'^client sent "Content-Length" and "Transfer-Encoding" headers at the same '
                                     r"time"), 400),
    ("open-enoent", re.compile(r'^open\(\) "(?P<path>.*)" failed \(2: No such file or directory\)'), 404),
    ("not-found", re.compile(r'^"(?P<path>.*)" is not found \((?:2: No such file or directory|20: Not a directory)\)'), 404),
    ("no-credentials", re.compile(r"^no user/password was provided for basic authentication"), 401),
    ("bad-credentials", re.compile(r'^user "(?P<user>[^"]*)":? (?:was not found in|password mismatch)'), 401),
    ("rewrite-cycle", re.compile(r'^rewrite or internal redirection cycle while '
                                 r'(?:processing|internally redirecting to|redirect to named location) "(?P<path>.*)"'), 500),
    ("auth-request-status", re.compile(r"^auth request unexpected status: \d+"), 500),
    # the status is limit_req_status / limit_conn_status (503 unless set): explain reads it from the config
    ("limit-req", re.compile(r'^limiting requests, excess: [\d.]+ by zone "(?P<zone>[^"]*)"'), None),
    ("limit-conn", re.compile(r'^limiting connections by zone "(?P<zone>[^"]*)"'), None),
    # a request within the burst waits (a [warn] line, not a refusal: its status comes later)
    ("limit-req-delay", re.compile(r'^delaying request, excess: [\d.]+, by zone "(?P<zone>[^"]*)"'), None),
    # ngx_http_dav_module (servers/nginx/dav.py): the replayed request names the cause
    ("dav-write", re.compile(r'^rename\(\) "[^"]*" to "(?P<path>.*)" failed \(\d+: [^)]*\)'), 500),
    ("dav-write", re.compile(r'^"(?P<path>.*)" could not be created \(21: Is a directory\)'), 409),
    ("dav-write", re.compile(r'^(?:unlink|mkdir|lstat)\(\) "(?P<path>.*)" failed \(\d+: [^)]*\)'), None),
    ("dav-write", re.compile(r'^DELETE "(?P<path>.*)" failed \(21: Is a directory\)'), 409),
    ("dav-request", re.compile(r'^(?:"Depth" header must be|client sent no "Destination" header|'
                               r'MKCOL can create a collection only|cannot PUT to a collection|'
                               r'insufficient URI depth:\d+ to DELETE|PUT with range is unsupported|'
                               r'(?:DELETE|MKCOL) with body is unsupported)'), None),
    # ngx_http_mp4_module cutting a file at start=/end= that is no MP4 it can read
    ("mp4-file", re.compile(r'^"(?P<path>.*)" mp4 '), 500),
    # the backend (php-fpm's socket, a proxied server): the status is nginx's own 502
    ("upstream-connect", re.compile(r"^connect\(\) to unix:(?P<path>\S+?) failed \((?P<errno>\d+): [^)]*\) "
                                    r"while connecting to upstream"), 502),
    ("upstream-connect", re.compile(r"^connect\(\) failed \((?P<errno>\d+): [^)]*\) while connecting to upstream"), 502),
    ("fastcgi-stderr", re.compile(r'^FastCGI sent in stderr: "(?P<stderr>.*)"(?: while |$)'), None),
    # the backend accepted, then closed before answering (php-fpm: a client listen.allowed_clients refuses)
    ("upstream-reset", re.compile(r"^(?:recv\(\) failed \(104: Connection reset by peer\)|upstream prematurely "
                                  r"closed connection) while reading response header from upstream"), 502),
]

APACHE_PATTERNS = [
    ("access-rule", re.compile(r"^AH01630: client denied by server configuration: (?P<path>.*)"), 403),
    ("access-compat", re.compile(r"^AH01797: client denied by server configuration: (?P<path>.*)"), 403),
    ("search-denied", re.compile(r"^AH00035: access to (?P<uri>\S+) denied \(filesystem path '(?P<path>[^']*)'\)"), 403),
    ("open-eacces", re.compile(r"^AH00132: file permissions deny server access: (?P<path>.*)"), 403),
    ("no-index", re.compile(r"^AH01276: Cannot serve directory (?P<path>[^:]*): No matching DirectoryIndex"), 403),
    ("opendir-eacces", re.compile(r"^AH01275: Can't open directory for index: (?P<path>.*)"), 403),
    ("symlink-refused", re.compile(r"^AH0003[27]: Symbolic link not allowed or link target not accessible: (?P<path>.*)"), 403),
    ("htaccess-unreadable", re.compile(r"^AH00529: (?P<path>.*?) pcfg_openfile: unable to check htaccess file"), 403),
    ("rewrite-no-symlinks", re.compile(r"^AH00670: Options FollowSymLinks and SymLinksIfOwnerMatch are both off"), 403),
    ("auth-file-unreadable", re.compile(r"^AH01620: Could not open password file: (?P<path>.*)"), 500),
    ("not-found", re.compile(r"^AH00128: File does not exist: (?P<path>.*)"), 404),
    # the default handler refusing path info after a file (the path is file + path info)
    ("not-found", re.compile(r"^AH00130: File does not exist: (?P<path>.*)"), 404),
    ("bad-credentials", re.compile(r'^AH01617: user (?P<user>.*?): authentication failure for "(?P<uri>[^"]*)"'), 401),
    ("bad-credentials", re.compile(r"^AH01618: user (?P<user>.*) not found: (?P<uri>.*)"), 401),
    ("user-not-authorized", re.compile(r'^AH01631: user (?P<user>.*?): authorization failure for "(?P<uri>[^"]*)"'), 401),
    # mod_authz_groupfile (AH01666/7, AH01670/1) and mod_authz_owner (AH01632-AH01637: no file name,
    # cannot stat, no owner, owner or group does not match): the user is not among those allowed
    ("user-not-authorized", re.compile(r"^AH016(?:3[2-7]|6[67]|7[01]): Authorization of user (?P<user>\S+) to access "
                                       r"(?P<uri>\S+) failed(?:, reason: (?P<detail>.*))?"), 401),
    # the group file cannot be opened: every Require group denies (401 once a user is known)
    ("group-file-unreadable", re.compile(r"^AH0166[59]: Could not open group file: (?P<path>.*)"), 401),
    # mod_authz_dbm: an unreadable DBM group file is an authorization error (500)
    ("group-file-unreadable", re.compile(r"^AH01799: could not open dbm \(type \w+\) group access file: (?P<path>.*)"), 500),
    ("invalid-method", re.compile(r"^AH00135: Invalid method in request"), 501),
    ("directory-not-served", re.compile(r"^AH00129: Attempt to serve directory: (?P<path>.*)"), 404),
    ("negotiation-failed", re.compile(r"^AH00687: Negotiation: discovered file\(s\) matching request: (?P<path>\S+)"), 404),
    # mod_negotiation reading the directory for MultiViews: the same denial as a listing's
    ("opendir-eacces", re.compile(r"^AH00686: cannot read directory for multi: (?P<path>.*?)/?$"), 403),
    ("not-acceptable", re.compile(r"^AH00690: no acceptable variant: (?P<path>.*)"), 406),
    ("no-authentication", re.compile(r"^AH00027: No authentication done but request not allowed without "
                                     r"authentication for (?P<uri>\S+?)\.? Authentication not configured\?"), 500),
    # mod_auth_basic/digest with AuthType but no AuthName: the request ends 500 before credentials are read
    ("no-auth-name", re.compile(r"^AH01615: need AuthName: (?P<uri>\S+)"), 500),
    ("dav-lock-db", re.compile(r"^(?:AH00623: Failed to query lock-null status|A lock database was not specified "
                               r"with the DAVLockDB directive|Could not \S+ \S+ due to a failed precondition)"), 500),
    ("rewrite-forbidden", re.compile(r".*forcing responsecode 403 for (?P<uri>\S+)"), 403),
    # mod_evasive refusing a client under load: httpd's own denials carry AH01630/AH01797, this
    # one has no code; the status is DOSHTTPResponseCode (403 unless set): explain reads it
    ("evasive-refused", re.compile(r"^client denied by server configuration: (?P<path>.*)"), None),
    # Any other line of a [module:traceN] level: recognised, informational.
    ("trace", re.compile(r".*"), None),
    ("rewrite-cycle", re.compile(r"^AH0012[45]: Request exceeded the limit of \d+ (?:internal redirects|"
                                 r"subrequest nesting levels)"), 500),     # AH00125: FallbackResource's lookups
    # mod_proxy_fcgi: what php-fpm sent on stderr; the connect that failed (mod_proxy answers 503)
    ("fastcgi-stderr", re.compile(r"^AH01071: Got error '(?P<stderr>.*)'$"), None),
    ("upstream-connect", re.compile(r"^AH02454: \w+: attempt to connect to Unix domain socket (?P<path>\S+) "
                                    r"\([^)]*\) failed"), 503),
    ("upstream-connect", re.compile(r"^AH00957: \w+: attempt to connect to (?P<address>\S+) \([^)]*\) failed"), 503),
    ("upstream-unreachable", re.compile(r"^AH01079: failed to make connection to backend: (?P<detail>.*)"), 503),
    # php-fpm closing a connection it refuses (listen.allowed_clients) meets proxy_fcgi reading its
    # header (AH01067), dispatching (AH01075) or, when the close wins the race, still writing the
    # request's environment (AH01074, "(32)Broken pipe")
    ("upstream-reset", re.compile(r"^AH010(?:67|74|75): (?:Failed to read FastCGI header|Error dispatching request to|"
                                  r"Failed writing Environment to)"), 503),
    ("htaccess-invalid", re.compile(r"^(?P<path>\S*\.htaccess): (?P<detail>.*(?:not allowed here|Invalid command|"
                                    r"was not closed|without matching|Expected </|cannot compile|requires|invalid).*)"), 500),
]

_MONTHS = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                        "Nov", "Dec"], start=1)}


@dataclass
class LogEvent:
    raw: str
    server: str | None = None          # nginx | apache | None (not a log line we know)
    kind: str = "unknown"
    status: int | None = None
    level: str = ""
    time: datetime | None = None
    path: str | None = None            # the file/directory named by the message
    uri: str | None = None
    client: str | None = None
    request: str | None = None         # "GET /x HTTP/1.1"
    host: str | None = None
    vhost: str | None = None           # nginx's "server:" field
    detail: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    waf: object | None = None          # confcheck.waf.logs.WafHit of a ModSecurity line

    @property
    def method(self) -> str | None:
        return self.request.split(" ", 1)[0] if self.request else None

    @property
    def request_path(self) -> str | None:
        if not self.request:
            return self.uri
        parts = self.request.split(" ")
        return parts[1] if len(parts) > 1 else None


# The kernel's AppArmor audit record (dmesg, journal, audit.log): DENIED is enforced,
# ALLOWED is a complain-mode profile reporting what it would have refused.
_EVASIVE_SYSLOG = re.compile(r"mod_evasive(?:\[\d+\])?: Blacklisting address (?P<client>\S+): possible DoS attack\.")
_APPARMOR = re.compile(r'apparmor="(?P<verdict>DENIED|ALLOWED)"')
_AUDIT_FIELDS = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def parse_line(line: str) -> LogEvent:
    text = line.rstrip("\r\n")
    if _APPARMOR.search(text):
        fields = {k: _unquote(v) for k, v in _AUDIT_FIELDS.findall(text)}
        if fields.get("name", "").startswith("/"):
            return LogEvent(raw=text, server="apparmor", path=fields["name"], fields=fields,
                            kind="apparmor-denied" if fields["apparmor"] == "DENIED" else "apparmor-complain",
                            status=403 if fields["apparmor"] == "DENIED" else None)
    match = _NGINX.match(text)
    if match:
        return _nginx(text, match)
    match = _APACHE.match(text)
    if match:
        return _apache(text, match)
    match = _FPM.match(text)
    if match:
        return _fpm(text, match)
    match = _EVASIVE_SYSLOG.search(text)
    if match:
        # mod_evasive's syslog line (daemon.alert) when it puts a client on hold
        return LogEvent(raw=text, server="apache", kind="evasive-blacklist", client=match["client"],
                        detail=match.group(0), fields={"module": "evasive20"})
    return LogEvent(raw=text)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


def _nginx(text: str, match) -> LogEvent:
    msg = match["msg"]
    fields = {k: _unquote(v) for k, v in _NGINX_FIELDS.findall(msg)}
    first = _NGINX_FIELDS.search(msg)
    message = msg[: first.start()] if first else msg
    event = LogEvent(raw=text, server="nginx", level=match["level"],
                     time=_nginx_time(match["date"]), client=fields.get("client"),
                     request=fields.get("request"), host=fields.get("host"), vhost=fields.get("server"),
                     fields=fields)
    if "ModSecurity: " in message:
        return _modsecurity(event, message)
    for kind, pattern, status in NGINX_PATTERNS:
        found = pattern.match(message)
        if found:
            event.kind, event.status = kind, status
            event.path = found.groupdict().get("path")
            if found.groupdict().get("zone") is not None:
                event.fields["zone"] = found["zone"]
            event.detail = message
            break
    if event.kind == "open-eacces" and event.level == "crit":
        event.kind, event.status = "auth-file-unreadable", 500     # only the password file is [crit]
    if event.kind == "stat-eacces":
        event.status = None           # try_files goes on: 404 or the fallback
    if event.kind == "fastcgi-stderr":
        _stderr(event, found["stderr"])
    elif event.kind == "upstream-connect":
        _connect(event, found["errno"], fields.get("upstream", ""))
    elif event.kind == "upstream-reset":
        _connect(event, "104", fields.get("upstream", ""))
        event.kind = "upstream-reset"
    return event


def _apache(text: str, match) -> LogEvent:
    msg = match["msg"]
    message, _, referer = msg.partition(", referer: ")
    client = match["client"]
    event = LogEvent(raw=text, server="apache", level=match["level"], time=_apache_time(match["date"]),
                     client=client.rsplit(":", 1)[0] if client else None,
                     fields={"module": match["module"], "errno": match["errno"] or "",
                             "referer": referer})
    if "ModSecurity: " in message:
        return _modsecurity(event, message)
    tracing = match["level"].startswith("trace")
    for kind, pattern, status in APACHE_PATTERNS:
        if kind == "trace" and not tracing:
            continue
        found = pattern.match(message)
        if found:
            groups = found.groupdict()
            event.kind, event.status = kind, status
            event.path = groups.get("path")
            event.uri = groups.get("uri")
            event.detail = groups.get("detail") or message
            if kind == "fastcgi-stderr":
                _stderr(event, found["stderr"])
            elif kind == "upstream-connect":
                _connect(event, match["errno"] or "", groups.get("address") or "")
            break
    return event


def _stderr(event: LogEvent, text: str) -> None:
    """What php-fpm sent on the request's stderr: its refusal of the script, or the script's own
    messages (kind fastcgi-stderr, no status of its own)."""
    event.detail = text
    for kind, pattern, status in FPM_STDERR:
        found = pattern.search(text)
        if found:
            event.kind, event.status = kind, status
            event.path = found.groupdict().get("path")
            return


def _connect(event: LogEvent, errno: str, address: str) -> None:
    """A failed connect to the backend: a unix socket (`path`) or a TCP address (fields['address'])."""
    event.kind = CONNECT_KINDS.get(errno, "upstream-connect")
    event.fields["errno"] = errno
    address = address.split("://", 1)[-1].split("/", 1)[0]      # http://127.0.0.1:8080/ -> 127.0.0.1:8080
    if address and event.path is None:
        event.fields["address"] = address


def _fpm(text: str, match) -> LogEvent:
    """php-fpm's own log: the master's errors (a pool it cannot bind), and with
    catch_workers_output what a worker said into stderr. Other lines are recognised and
    informational (kind fpm-log)."""
    msg = match["msg"]
    event = LogEvent(raw=text, server="php-fpm", kind="fpm-log", level=match["level"].lower(),
                     time=_fpm_time(match["date"]), detail=msg, fields={"pool": match["pool"] or ""})
    bind = re.match(r"unable to bind listening socket for address '(?P<address>[^']*)': (?P<err>.*) "
                    r"\((?P<errno>\d+)\)$", msg)
    said = re.match(r'child \d+ said into stderr: "(?P<stderr>.*)"', msg)
    if bind:
        event.kind = "fpm-bind-failed"
        event.fields.update(address=bind["address"], errno=bind["errno"])
        if bind["address"].startswith("/"):
            event.path = bind["address"]
    elif said:
        _stderr(event, said["stderr"])
        if event.kind == "fpm-log":
            event.kind = "fastcgi-stderr"
    return event


def _modsecurity(event: LogEvent, message: str) -> LogEvent:
    """A ModSecurity line: a rule matched (waf-warning) or refused the request (waf-denied)."""
    from confcheck.waf.logs import parse_message
    hit = parse_message(message)
    event.waf = hit
    event.kind = "waf-denied" if hit.denied is not None else "waf-warning"
    event.status = hit.denied
    event.uri = hit.uri
    event.detail = message
    if hit.unique_id:
        event.fields["unique_id"] = hit.unique_id
    return event


def parse_lines(texts: list[str]) -> list[LogEvent]:
    """Error-log lines, and ModSecurity audit-log entries among them (native sections or JSON
    lines): each audit message becomes one event, as its error-log line would."""
    from confcheck.waf.logs import audit_entries
    out: list[LogEvent] = []
    audit: list[str] = []
    for text in texts:
        if not text.strip():
            continue
        if audit or text.startswith(('{"transaction"', "--", "---")) and _audit_start(text):
            audit.append(text)
            if not text.startswith("{") and not text.rstrip().endswith("-Z--"):
                continue
            for entry in audit_entries(audit):
                out.extend(_audit_events(entry))
            audit = []
            continue
        out.append(parse_line(text))
    if audit:
        for entry in audit_entries(audit):
            out.extend(_audit_events(entry))
    return out


def _audit_start(text: str) -> bool:
    from confcheck.waf.logs import _NATIVE_BOUNDARY
    return text.startswith("{") or _NATIVE_BOUNDARY.match(text.rstrip()) is not None


def _audit_events(entry) -> list[LogEvent]:
    request = entry.request_line
    out = []
    for hit in entry.hits:
        hit.uri = hit.uri or (request.split(" ")[1] if request and len(request.split(" ")) > 1 else None)
        kind = "waf-denied" if hit.denied is not None else "waf-warning"
        event = LogEvent(raw=entry.raw.splitlines()[0] if entry.raw else "", server=entry.server or "modsecurity",
                         kind=kind, status=hit.denied, uri=hit.uri, request=request, waf=hit)
        if hit.unique_id:
            event.fields["unique_id"] = hit.unique_id
        out.append(event)
    return out


def _nginx_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y/%m/%d %H:%M:%S")
    except ValueError:
        return None


def _fpm_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%d-%b-%Y %H:%M:%S")
    except ValueError:
        return None


def _apache_time(text: str) -> datetime | None:
    # "Sat Nov 21 09:00:00.123456 2026"
    parts = text.split()
    if len(parts) != 5 or parts[1] not in _MONTHS:
        return None
    try:
        clock = parts[3].split(".")[0]
        hour, minute, second = (int(x) for x in clock.split(":"))
        return datetime(int(parts[4]), _MONTHS[parts[1]], int(parts[2]), hour, minute, second)
    except ValueError:
        return None

"""The values nginx refuses while it reads a directive, worded as nginx words them.

nginx_directives.py decides whether a directive may stand where it stands
with that many arguments; this module looks at what the arguments say, with
the rules of nginx 1.22's handlers (src/core/ngx_conf_file.c, ngx_parse.c and
the module handlers named below):

* generic handlers (nginx_slots.SLOTS): on/off, numbers, sizes, offsets,
  times, buffers, enum and bitmask words, and "is duplicate" when one block
  sets the same directive twice;
* hand-written handlers that refuse a second use in the same block
  (CUSTOM_DUPLICATE), `root`/`alias` mixed, `listen` parameters and ports,
  `return` codes, `error_page` codes, `worker_connections`,
  `worker_processes`, `keepalive_timeout`;
* the entries of `map`, `geo`, `split_clients` and `types` blocks.

Each check returns (message, the Arg or Node to point at) or None.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from confcheck.parsers.nginx_slots import SLOTS, VALUES
from confcheck.parsers.nginx_variables import COMPILED, script_problem
from confcheck.parsers.syntax import Node

_MAX = 2 ** 63 - 1    # NGX_MAX_INT_T_VALUE, NGX_MAX_SIZE_T_VALUE, NGX_MAX_OFF_T_VALUE (64-bit)

# Handlers that answer "is duplicate" to a second use in the same block
# (ngx_event_connections, ngx_http_try_files, ngx_http_proxy_pass ...).
CUSTOM_DUPLICATE = frozenset("""
    events http stream mail user worker_processes worker_connections use worker_priority
    worker_cpu_affinity try_files proxy_pass fastcgi_pass uwsgi_pass scgi_pass grpc_pass
    memcached_pass expires internal keepalive_timeout auth_basic_user_file charset source_charset limit_except
    real_ip_header open_file_cache directio disable_symlinks resolver auth_request proxy_cache
    proxy_cache_key fastcgi_cache fastcgi_cache_key uwsgi_cache uwsgi_cache_key scgi_cache
    scgi_cache_key open_log_file_cache ssl_password_file aio root alias
""".split())
# Directives whose handler does not refuse a second use although the slot would say so.
_SHARED_KEY = {"alias": "root"}


def family(ctx: tuple[str, ...]) -> str:
    """Which ngx_command_t tables apply in `ctx` (see nginx_slots)."""
    if not ctx:
        return "main"
    top = ctx[0]
    if top == "http" and "upstream" in ctx:
        return "upstream"
    if top == "stream" and "upstream" in ctx:
        return "stream-upstream"
    return top  # events, http, stream, mail


_KINDS: dict[tuple[str, str], str] = {}
for (_fam, _kind), _names in SLOTS.items():
    for _name in _names:
        _KINDS[(_fam, _name)] = _kind
for (_fam, _kind), _table in VALUES.items():
    for _name in _table:
        _KINDS[(_fam, _name)] = _kind


def slot_kind(name: str, fam: str) -> str | None:
    kind = _KINDS.get((fam, name))
    if kind is None and fam == "upstream":  # upstream also takes http server-level directives
        kind = _KINDS.get(("http", name))
    return kind


# --- nginx's number parsers ------------------------------------------------------

def atoi(text: str) -> int | None:
    """ngx_atoi: decimal digits only, no sign, no overflow."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= _MAX else None


def parse_size(text: str, units: str = "km") -> int | None:
    """ngx_parse_size (units "km") and ngx_parse_offset (units "kmg")."""
    scale = 1
    if text and text[-1].lower() in units:
        scale = 1024 ** (units.index(text[-1].lower()) + 1)
        text = text[:-1]
    value = atoi(text)
    if value is None or value > _MAX // scale:
        return None
    return value * scale


# ngx_parse_time's steps: each unit at most once, in decreasing order
_START, _YEAR, _MONTH, _WEEK, _DAY, _HOUR, _MIN, _SEC, _MSEC, _LAST = range(10)
_UNIT_STEP = {"y": _YEAR, "M": _MONTH, "w": _WEEK, "d": _DAY, "h": _HOUR, "m": _MIN, "s": _SEC}


def parse_time(text: str, is_sec: bool) -> bool:
    """Does ngx_parse_time accept `text`? (without is_sec, years and months are refused)"""
    step = _START if is_sec else _MONTH
    valid = False
    pos, n = 0, len(text)
    while pos < n:
        ch = text[pos]
        pos += 1
        if "0" <= ch <= "9":
            valid = True
            continue
        if ch == "m" and pos < n and text[pos] == "s":
            if is_sec or step >= _MSEC:
                return False
            pos += 1
            step = _MSEC
        elif ch == "y":
            if step > _START:
                return False
            step = _YEAR
        elif ch in _UNIT_STEP:
            if step >= _UNIT_STEP[ch]:
                return False
            step = _UNIT_STEP[ch]
        elif ch == " ":
            if step >= _SEC:
                return False
            step = _LAST
        else:
            return False
        while pos < n and text[pos] == " ":
            pos += 1
    return valid


# --- the generic handlers -------------------------------------------------------------

def slot_problem(node: Node, kind: str, fam: str):
    """What the generic handler of `kind` says about `node`'s arguments."""
    args = node.args
    if not args:
        return None
    name = node.name
    value = args[0].value
    if kind == "num":
        if atoi(value) is None:
            return f'"{name}" directive invalid number', args[0]
    elif kind in ("size", "off"):
        if parse_size(value, "km" if kind == "size" else "kmg") is None:
            return f'"{name}" directive invalid value', args[0]
    elif kind in ("msec", "sec"):
        if not parse_time(value, kind == "sec"):
            return f'"{name}" directive invalid value', args[0]
    elif kind == "bufs":
        if len(args) == 2 and (not atoi(value) or not parse_size(args[1].value)):
            return f'"{name}" directive invalid value', args[0]
    elif kind in ("enum", "bitmask"):
        words = VALUES[(fam, kind)].get(name) or VALUES.get(("http", kind), {}).get(name, ())
        lowered = {w.lower() for w in words}
        for arg in (args[:1] if kind == "enum" else args):
            if arg.value.lower() not in lowered:
                return f'invalid value "{arg.value}"', arg
    return None


# --- hand-written handlers ---------------------------------------------------------

_LISTEN_WORDS = frozenset({"default_server", "default", "bind", "deferred", "reuseport", "ssl",
                           "http2", "proxy_protocol", "spdy"})


def listen_problem(node: Node):
    """ngx_http_core_listen: the address's port, then each parameter."""
    if not node.args:
        return None
    url = node.args[0]
    problem = _listen_url(url.value)
    if problem:
        return f'{problem} in "{url.value}" of the "listen" directive', url
    for arg in node.args[1:]:
        word = arg.value.split("\0", 1)[0]  # compared as a C string (ngx_strcmp)
        if word in _LISTEN_WORDS:
            continue
        key, eq, rest = word.partition("=")
        if not eq:
            return f'invalid parameter "{word}"', arg
        if key in ("backlog", "fastopen", "setfib"):
            number = atoi(rest)
            if number is None or (key == "backlog" and number == 0):
                return f'invalid {key} "{word}"', arg
        elif key in ("rcvbuf", "sndbuf"):
            if parse_size(rest) is None:
                return f'invalid {key} "{word}"', arg
        elif key == "ipv6only":
            if rest not in ("on", "off"):
                return f'invalid ipv6only flags "{rest}"', arg
        elif key == "so_keepalive":
            if rest not in ("on", "off") and not _keepalive_tuple(rest):
                return f'invalid so_keepalive value: "{rest}"', arg
        elif key != "accept_filter":
            return f'invalid parameter "{word}"', arg
    return None


def _keepalive_tuple(text: str) -> bool:
    parts = text.split(":")
    if len(parts) != 3:
        return False
    idle, intvl, cnt = parts
    ok = all(not p or parse_time(p, True) for p in (idle, intvl)) and (not cnt or atoi(cnt) is not None)
    return ok and any(parts)


def _listen_url(url: str) -> str | None:
    """ngx_parse_url's complaint about a listen address (None: fine or not decidable here)."""
    if url.startswith("unix:"):
        return None
    if url.startswith("["):
        end = url.find("]")
        if end < 0:
            return "invalid host"
        try:
            ipaddress.IPv6Address(url[1:end])
        except ValueError:
            return "invalid IPv6 address"
        rest = url[end + 1:]
        if rest.startswith(":"):
            return _port(rest[1:])
        return None if not rest else "invalid host"
    if "/" in url:
        return "invalid host"
    host, colon, port = url.rpartition(":")
    if colon:
        if not host:
            return "no host"
        return _port(port)
    if atoi(url.split("-", 1)[0]) is not None:  # a port alone
        return _port(url)
    return None  # a host name alone: resolved by nginx (this machine's business)


def _port(text: str) -> str | None:
    first, dash, last = text.partition("-")
    for part in (first, last) if dash else (first,):
        number = atoi(part)
        if number is None or not 1 <= number <= 65535:
            return "invalid port"
    if dash and int(first) > int(last):
        return "invalid port range"
    return None


def return_problem(node: Node):
    """ngx_http_rewrite_return: a code up to 999, or a lone URL."""
    if not node.args:
        return None
    first = node.args[0]
    code = atoi(first.value)
    if code is None:
        if len(node.args) == 1 and first.value.startswith(("http://", "https://", "$scheme")):
            return None
        return f'invalid return code "{first.value}"', first
    if code > 999:
        return f'invalid return code "{first.value}"', first
    return None


def error_page_problem(node: Node):
    """ngx_http_core_error_page: codes 300..599 (not 499), then an optional =code, then the URI."""
    args = node.args
    if len(args) < 2:
        return None
    last_code = len(args) - 2
    over = args[last_code]
    if over.value.startswith("="):
        if last_code == 0 or (len(over.value) > 1 and atoi(over.value[1:]) is None):
            return f'invalid value "{over.value}"', over
        codes = args[:last_code]
    else:
        codes = args[:last_code + 1]
    for arg in codes:
        code = atoi(arg.value)
        if code is None or code == 499:
            return f'invalid value "{arg.value}"', arg
        if not 300 <= code <= 599:
            return f'value "{arg.value}" must be between 300 and 599', arg
    return None


_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")


@lru_cache(maxsize=1024)
def listen_address(url: str) -> str | None:
    """The address as nginx names it in messages ("0.0.0.0:80"), None for a host name
    (memoised: every server of a generated config listens on the same few)."""
    if url.startswith("unix:"):
        return url
    if url.startswith("["):
        end = url.find("]")
        port = url[end + 2:] if url[end + 1:end + 2] == ":" else "80"
        return f"{url[:end + 1]}:{port}"
    host, colon, port = url.rpartition(":")
    if not colon:
        host, port = (url, "80") if atoi(url) is None else ("*", url)
    if host == "*":
        host = "0.0.0.0"
    if not _IPV4.fullmatch(host):
        return None
    return f"{host}:{port}"


def repeated_problem(node: Node, seen: dict):
    """What nginx refuses in a second listen or location of a block (ngx_http.c).

    `seen` is the block's record; `seen["^up"]` its enclosing block's."""
    name = node.name
    if name == "listen" and node.args:
        addr = listen_address(node.args[0].value)
        if addr is None:
            return None
        if ("listen", addr) in seen:
            return f"a duplicate listen {addr}", node.args[0]
        seen[("listen", addr)] = node
        up = seen.get("^up")
        if up is not None and any(a.value in ("default_server", "default") for a in node.args[1:]):
            if ("default_server", addr) in up:
                return f"a duplicate default server for {addr}", node.args[0]
            up[("default_server", addr)] = node
    elif name == "location":
        key = _location_key(node.args)
        if key is None:
            return None
        if key in seen:
            return f'duplicate location "{key[2]}"', node.args[-1]
        seen[key] = node
    return None


def repeat_key(node: Node):
    """What repeated_problem records `node` under in its block (None: nothing), or False
    when it records something in the enclosing block too (a default server)."""
    if node.name == "location":
        return _location_key(node.args)
    if node.name != "listen" or not node.args:
        return None
    addr = listen_address(node.args[0].value)
    if addr is None:
        return None
    if any(a.value in ("default_server", "default") for a in node.args[1:]):
        return False
    return ("listen", addr)


def _location_key(args) -> tuple[str, str, str] | None:
    """("location", exact|prefix, name) of a location nginx compares for duplicates."""
    if len(args) == 2 and args[0].value in ("=", "^~"):
        return ("location", "exact" if args[0].value == "=" else "prefix", args[1].value)
    if len(args) != 1:
        return None
    value = args[0].value
    if value.startswith("^~"):
        return ("location", "prefix", value[2:])
    if value.startswith("="):
        return ("location", "exact", value[1:])
    if value.startswith(("~", "@")):
        return None
    return ("location", "prefix", value)


_PARAM_DIRECTIVES = frozenset({"fastcgi_param", "uwsgi_param", "scgi_param", "grpc_set_header"})


_LOG_LEVELS = frozenset({"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"})
_DEBUG_LEVELS = frozenset({"debug_core", "debug_alloc", "debug_mutex", "debug_event", "debug_http",
                           "debug_mail", "debug_stream"})


def error_log_problem(node: Node):
    """ngx_log_set_levels: after the file, one level, or debug_* words alone."""
    level = False
    for arg in node.args[1:]:
        word = arg.value.split("\0", 1)[0]
        if word in _LOG_LEVELS:
            if level:
                return f'duplicate log level "{arg.value}"', arg
            level = True
        elif word not in _DEBUG_LEVELS or level:
            return f'invalid log level "{arg.value}"', arg
    return None


def expires_problem(node: Node):
    """ngx_http_headers_expires and ngx_http_parse_expires."""
    args = node.args
    if not args:
        return None
    modified = len(args) == 2
    if modified and args[0].value != "modified":
        return '"expires" directive invalid value', args[0]
    arg = args[-1]
    value = arg.value
    if "$" in value:
        return None  # a variable: decided per request
    if not modified and value in ("epoch", "max", "off"):
        return None
    daily = value.startswith("@")
    if daily and modified:
        return '"expires" directive daily time cannot be used with "modified" parameter', arg
    if value[:1] in ("@", "+", "-"):
        value = value[1:]
    if not parse_time(value, True):
        return '"expires" directive invalid value', arg
    if daily and _seconds(value) > 24 * 60 * 60:
        return '"expires" directive daily time value must be less than 24 hours', arg
    return None


def _seconds(text: str) -> int:
    scale = {"y": 31536000, "M": 2592000, "w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    total = 0
    for number, unit in re.findall(r"(\d+)\s*([yMwdhms]?)", text):
        total += int(number) * scale.get(unit or "s", 1)
    return total


def custom_problem(node: Node, fam: str, formats: set[str] | None = None):
    """The handlers of a few common directives that parse their own values
    (`formats`: the log formats defined so far, None when not known)."""
    name = node.name
    args = node.args
    if name == "error_log":
        return error_log_problem(node)
    if fam == "http":
        problem = _http_problem(node, name, args, formats)
        if problem is None and name in COMPILED and name != "if":
            for arg in args[COMPILED[name]]:
                if "$" in arg.value:
                    message = script_problem(arg.value, log_format=name == "log_format")
                    if message:
                        return message, arg
        return problem
    if fam == "events" and name == "worker_connections" and args:
        if atoi(args[0].value) is None:
            return f'invalid number "{args[0].value}"', args[0]
    elif fam == "main" and name == "worker_processes" and args:
        if args[0].value != "auto" and atoi(args[0].value) is None:
            return '"worker_processes" directive invalid value', args[0]
    return None


def _http_problem(node: Node, name: str, args, formats):
    if name in ("location", "rewrite", "if", "server_name", "fastcgi_split_path_info"):
        problem = regex_problem(node)
        if problem is not None or name != "location":
            return problem
    if name == "try_files":
        return try_files_problem(node)
    if name == "access_log":
        return access_log_problem(node, formats)
    if name == "expires":
        return expires_problem(node)
    if name == "location" and len(args) == 2 and args[0].value not in ("=", "~", "~*", "^~"):
        return f'invalid location modifier "{args[0].value}"', args[0]
    if name == "listen":
        return listen_problem(node)
    if name in _PARAM_DIRECTIVES and len(args) == 3 and args[2].value != "if_not_empty":
        return f'invalid parameter "{args[2].value}"', args[2]
    if name == "return":
        return return_problem(node)
    if name == "error_page":
        return error_page_problem(node)
    if name == "keepalive_timeout" and args:
        if not parse_time(args[0].value, False) or (
                len(args) > 1 and not parse_time(args[1].value, True)):
            return '"keepalive_timeout" directive invalid value', args[0]
    return None


_CUSTOM = frozenset({"error_log", "expires", "location", "listen", "return", "error_page",
                     "keepalive_timeout", "worker_connections", "worker_processes", "try_files",
                     "access_log", "rewrite", "if", "server_name", "fastcgi_split_path_info"}
                    ) | _PARAM_DIRECTIVES | frozenset(COMPILED)


def plan(name: str, fam: str) -> tuple[str | None, str | None, bool] | None:
    """(slot kind, duplicate key, has a hand-written check) for `name` in `fam`;
    None when nothing here looks at it (most directives of a large config;
    the validator asks once per name and family)."""
    kind = slot_kind(name, fam)
    key = duplicate_key(name, fam, kind)
    custom = name in _CUSTOM
    if kind is None and key is None and not custom:
        return None
    return kind, key, custom


def duplicate_key(name: str, fam: str, kind: str | None) -> str | None:
    """The key under which a second use in the same block is refused (None: allowed)."""
    if kind is not None and kind not in ("bitmask",) or name in CUSTOM_DUPLICATE:
        return _SHARED_KEY.get(name, name)
    return None


def duplicate_message(node: Node, first: Node) -> str:
    if node.name != first.name:  # root after alias, alias after root
        return f'"{node.name}" directive is duplicate, "{first.name}" directive was specified earlier'
    return f'"{node.name}" directive is duplicate'


# --- data blocks ---------------------------------------------------------------------

def data_block_problems(block: Node, fam: str):
    """(message, where) for each entry of a map/geo/split_clients/types block nginx refuses."""
    name = block.name
    if fam not in ("http", "stream"):
        return
    default_seen = hostnames = False
    keys: dict[str, str] = {}
    total = 0.0
    for entry in _entries(block.children):
        words = [entry.name] + [a.value for a in entry.args]
        if entry.children is not None:
            yield 'unexpected "{"', entry
            continue
        if name == "map":
            if len(words) == 1 and words[0] in ("hostnames", "volatile"):
                hostnames = hostnames or words[0] == "hostnames"
                continue
            if len(words) != 2:
                yield "invalid number of the map parameters", entry
                continue
            key = words[0]
            if key == "include":
                continue
            if key == "default":
                if default_seen:
                    yield "duplicate default map parameter", entry
                default_seen = True
                continue
            if key.startswith("~") or hostnames:
                continue
            key = key[1:] if key.startswith("\\") else key
            folded = key.lower()  # nginx lowers the key in place, and names it so
            if folded in keys:
                yield f'conflicting parameter "{folded}"', entry
            keys[folded] = key
        elif name == "geo":
            if len(words) == 1 and words[0] in ("ranges", "proxy_recursive"):
                continue
            if len(words) != 2:
                yield "invalid number of the geo parameters", entry
        elif name == "split_clients":
            percent = words[0]
            if percent == "*":
                total = 100.0
                continue
            match = re.fullmatch(r"(\d+)(?:\.(\d{0,2}))?%", percent)
            if not match or float(percent[:-1] or 0) == 0:
                yield f'invalid percent value "{percent}"', entry
                continue
            total += float(percent[:-1])
            if total > 100.0 + 1e-9:
                yield "percent total is greater than 100%", entry
        elif name == "types":
            if words[0] == "include" and len(words) != 2:
                yield 'invalid number of arguments in "include" directive', entry


def _entries(nodes):
    """The entries of a data block, included files expanded; an `include`
    nginx cannot follow (wrong word count) stays an entry to complain about."""
    stack = [iter(nodes or ())]
    while stack:
        for node in stack[-1]:
            if node.included:
                stack.extend(iter(inc.nodes) for inc in reversed(node.included))
                break
            if node.key == "include" and node.children is None and len(node.args) == 1:
                continue  # nothing matched its glob
            yield node
            break
        else:
            stack.pop()


# --- regexes (ngx_regex_compile: PCRE2) ---------------------------------------------

# Python's complaint -> PCRE2's, for the mistakes both libraries see the same way;
# a pattern Python refuses for another reason (\K, (*UTF), \p{..} ...) is left alone
_PCRE_WORDING = {
    "missing ), unterminated subpattern": ("missing closing parenthesis", None),
    "unterminated character set": ("missing terminating ] for character class", None),
    "unbalanced parenthesis": ("unmatched closing parenthesis", ""),
    "nothing to repeat": ("quantifier does not follow a repeatable item", ""),
    "multiple repeat": ("quantifier does not follow a repeatable item", ""),
    "min repeat greater than max repeat": ("numbers out of order in {} quantifier", "}"),
}
_PCRE_NAMES = re.compile(r"\(\?<([A-Za-z_]\w*)>|\(\?'([A-Za-z_]\w*)'")


def compile_regex(pattern: str):
    """(compiled pattern, None) or (None, nginx's message); (None, None) when undecided."""
    if "(*" in pattern:
        return None, None  # PCRE verbs: Python has none
    translated = _PCRE_NAMES.sub(lambda m: f"(?P<{m.group(1) or m.group(2)}>", pattern)
    try:
        return re.compile(translated), None
    except re.error as exc:
        wording = _PCRE_WORDING.get(exc.msg)
        if wording is None or translated != pattern:
            return None, None
        text, at = wording
        message = f'pcre2_compile() failed: {text} in "{pattern}"'
        if at is not None and exc.pos is not None:
            pos = pattern.find(at, exc.pos) if at else exc.pos
            message += f' at "{pattern[pos:]}"'
        return None, message


def regex_args(node: Node):
    """The arguments of `node` that nginx compiles as regexes, without their ~ or ~*."""
    name, args = node.name, node.args
    if name == "location" and args:
        if len(args) == 2 and args[0].value in ("~", "~*"):
            yield args[1], args[1].value
        elif len(args) == 1 and args[0].value.startswith("~"):
            yield args[0], args[0].value[2:] if args[0].value.startswith("~*") else args[0].value[1:]
    elif name in ("rewrite", "fastcgi_split_path_info") and args:
        yield args[0], args[0].value
    elif name == "if" and len(args) == 3 and args[1].value in ("~", "~*", "!~", "!~*"):
        yield args[2], args[2].value
    elif name == "server_name":
        for arg in args:
            if arg.value.startswith("~"):
                yield arg, arg.value[1:]


def regex_problem(node: Node):
    for arg, pattern in regex_args(node):
        compiled, message = compile_regex(pattern)
        if message:
            return message, arg
        if node.name == "fastcgi_split_path_info" and compiled is not None and compiled.groups != 2:
            return f'pattern "{pattern}" must have 2 captures', arg
    return None


def try_files_problem(node: Node):
    """ngx_http_try_files: a last `=code` is a number up to 999."""
    if node.args and node.args[-1].value.startswith("="):
        last = node.args[-1]
        code = atoi(last.value[1:])
        if code is None or code > 999:
            return f'invalid code "{last.value}"', last
    return None


def access_log_problem(node: Node, formats: set[str] | None):
    """ngx_http_log_set_log: `off` alone, a known format, then buffer=/flush=/gzip/if=.

    `formats`: the log_format names defined so far (None: not known, a lone file)."""
    args = node.args
    if not args:
        return None
    if args[0].value == "off":
        return (f'invalid parameter "{args[1].value}"', args[1]) if len(args) > 1 else None
    if len(args) > 1 and formats is not None and args[1].value.lower() not in formats:
        return f'unknown log format "{args[1].value}"', args[1]
    for arg in args[2:]:
        word = arg.value
        if word.startswith("buffer="):
            if not parse_size(word[7:]):
                return f'invalid buffer size "{word[7:]}"', arg
        elif word.startswith("flush="):
            if not parse_time(word[6:], False) or atoi(word[6:].rstrip("ms")) == 0:
                return f'invalid flush time "{word[6:]}"', arg
        elif word == "gzip" or word.startswith("gzip="):
            level = atoi(word[5:]) if word != "gzip" else 1
            if level is None or not 1 <= level <= 9:
                return f'invalid compression level "{word[5:]}"', arg
        elif not word.startswith("if="):
            return f'invalid parameter "{word}"', arg
    return None

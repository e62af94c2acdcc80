"""An HTTP request as nginx sees it: method, Host, normalised URI, args.

URL parsing and URI normalisation follow nginx's ngx_http_parse_complex_uri:
%XX decoded, slashes merged, `.` and `..` resolved (a `..` above the root is
a 400), the query string kept apart.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from functools import lru_cache
from json.encoder import encode_basestring_ascii as _quote
from urllib.parse import unquote_to_bytes, urlsplit

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "MKCOL", "COPY", "MOVE", "OPTIONS",
                     "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "PATCH", "TRACE", "CONNECT"})


# nginx accepts any method token of these characters (others are NGX_HTTP_UNKNOWN).
_METHOD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ_-")


class RequestError(ValueError):
    """The request itself is malformed (why exits 2)."""


class BadUri(Exception):
    """nginx answers 400 to this URI."""


@dataclass
class Request:
    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)   # names lower-case
    client_ip: str = "127.0.0.1"
    scheme: str = "http"
    host: str = ""           # Host as sent (lower-case, no port)
    port: int = 80
    address: str = ""        # where the connection goes: the URL's host (a name or an IP)
    raw_path: str = "/"      # as sent, before decoding
    args: str = ""
    address_from_log: bool = False   # client_ip is an error log's `client:`, the address realip produced
    bad_host: bool = False   # nginx refuses the Host header (400, the address's default server)
    # the URL a user typed (why): its scheme is checked against the socket's TLS; a rule's probe
    # or a replayed log line speaks whatever the socket speaks
    stated: bool = False

    @classmethod
    def parse(cls, url: str, method: str = "GET", headers: dict[str, str] | None = None,
              client_ip: str = "127.0.0.1", *, stated: bool = False) -> "Request":
        method = _method(method)
        scheme, netloc, hostname, port, path, query = _split(url)
        if port == 0:       # ":0" is no port a client can connect to, not the default one
            raise RequestError(f"malformed URL {url!r}: bad port")
        port = port or (443 if scheme == "https" else 80)
        norm = _headers(headers)
        userinfo, at, hostport = netloc.rpartition("@")
        if at:
            # as curl and browsers send it: the Host without the user, who is sent as Basic credentials
            netloc = hostport
            if "authorization" not in norm:
                norm["authorization"] = _basic(userinfo)
        host = norm.setdefault("host", netloc)
        path = path or "/"
        if not path.startswith("/"):
            raise RequestError(f"malformed URL {url!r}: the path must start with /")
        _check_ip(client_ip)
        name, valid = _host_name(host)
        # the fields in their order, not by name: a class call with keywords builds a dict
        # (why --batch makes one request per line; tests/speed/test_request_split.py holds the order)
        return cls(url, method, norm, client_ip, scheme, name, port, hostname, path, query, False, not valid, stated)

    @classmethod
    def aimed(cls, address: str, port: int, host: str, path: str, method: str = "GET",
              headers: dict[str, str] | None = None, client_ip: str = "127.0.0.1") -> "Request":
        """The request `parse` gives for http://ADDRESS:PORT/PATH with Host `host`,
        built without taking a URL apart (rules send thousands of probes to
        addresses they already took apart once)."""
        sent = {"Host": host, **headers} if headers else {"Host": host}
        if not path.startswith("/") or "#" in path:
            return cls.parse(f"http://{address}:{port}{path}", method, sent, client_ip)
        method = _method(method)
        _check_ip(client_ip)
        # only Host (probes mostly send nothing else): what _headers makes of it, done here
        norm = _headers(sent) if headers else {"host": host.strip(" ")}
        raw_path, _, args = path.partition("?")
        name, valid = _host_name(norm["host"])
        return cls(url=f"http://{address}:{port}{path}", method=method, headers=norm, client_ip=client_ip,
                   scheme="http", host=name, port=port, raw_path=raw_path, args=args,
                   address=address.strip("[]").lower(), bad_host=not valid)

    @property
    def request_uri(self) -> str:
        return self.raw_path + ("?" + self.args if self.args else "")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def reads_connection(self) -> None:
        """Said by a decision that reads the connection's own server (the address's default,
        not the one the Host chose): why --batch's sharing watches for it, nothing else does."""

    def basic_credentials(self) -> tuple[str, str] | None:
        value = self.header("authorization")
        if not value or not value[:6].lower() == "basic ":
            return None
        try:
            decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8", "replace")
        except (ValueError, base64.binascii.Error):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None

    def to_json(self) -> dict:
        return {"method": self.method, "url": self.url, "client_ip": self.client_ip}

    def json_text(self) -> str:
        """json.dumps(self.to_json()) (ASCII), written directly: why --batch writes one per
        answer, and json.dumps makes an encoder per call (a test holds the two together)."""
        return f'{{"method": {_quote(self.method)}, "url": {_quote(self.url)}, "client_ip": {_quote(self.client_ip)}}}'


def typed_url(url: str) -> str:
    """A URL the user typed (why, why --batch), refused when it holds a raw control
    character: urlsplit drops tabs and newlines silently (as browsers do) and a browser
    percent-encodes the other controls, while curl refuses them all and nginx answers a
    raw one 400, so no answer is the one the user meant. (Rule probes name files with
    such bytes in them directly: Request.parse takes those.)"""
    found = _CONTROL.search(url)
    if found is not None:
        control = found.group()
        raise RequestError(f"malformed URL {url!r}: a raw control character (U+{ord(control):04X}) at "
                           f"character {found.start() + 1}; percent-encode it (%{ord(control):02X})")
    return url


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")   # what typed_url refuses


def typed_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers the user typed (why --header, a batch line's "headers"), refused when they hold
    what a client cannot send or nginx cannot take as one header line: a NUL, CR or LF anywhere
    (curl refuses them; nginx answers a NUL 400 and a CR or LF ends the line) and any control
    character in a name (nginx answers 400; the model does not read names that way). Other
    controls in a value are sent and taken as they are (Host's are judged by _host_name)."""
    for name, value in headers.items():
        for part, text, pattern in (("name", name, _CONTROL), ("value", value, _LINE_BREAKING)):
            found = pattern.search(text)
            if found is not None:
                raise RequestError(f"header {name!r}: a raw control character (U+{ord(found.group()):04X}) "
                                   f"in its {part}; no client sends it as one header line")
    return headers


_LINE_BREAKING = re.compile(r"[\0\r\n]")    # what typed_headers refuses in a value


def _basic(userinfo: str) -> str:
    """`Authorization: Basic ...` for a URL's `user:password@` (percent-decoded; no password: empty)."""
    user, _, password = userinfo.partition(":")
    return "Basic " + base64.b64encode(unquote_to_bytes(user) + b":" + unquote_to_bytes(password)).decode("ascii")


# An http(s) URL of the plain form urlsplit takes apart the obvious way: a lower-case scheme, a
# host of letters, digits, dots and dashes, a port of digits, no userinfo, fragment, space or
# control character (what urlsplit strips or splits on). Batches are mostly these.
_PLAIN_URL = re.compile(r"(https?)://([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?([/][^?#\s\x00-\x1f\x7f]*)?"
                        r"(?:[?]([^#\s\x00-\x1f\x7f]*))?\Z")


def _split(url: str) -> tuple[str, str, str, int | None, str, str]:
    """(scheme, netloc, host name lower-case, port or None (0: a bad one), path, query) as
    urlsplit gives them, or RequestError; a plain URL taken apart by one match."""
    plain = _PLAIN_URL.match(url)
    if plain is not None and (plain[3] is None or int(plain[3]) <= 65535):
        scheme, name, port, path, query = plain.groups()
        netloc = name if port is None else f"{name}:{port}"
        return scheme, netloc, name.lower(), None if port is None else int(port), path or "", query or ""
    return _split_any(url)


def _split_any(url: str) -> tuple[str, str, str, int | None, str, str]:
    """_split by urlsplit, for any URL."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:       # an unclosed [IPv6 host, for one
        raise RequestError(f"malformed URL {url!r}: {exc}") from None
    hostname = parts.hostname      # a property that takes the netloc apart: once
    if parts.scheme not in ("http", "https") or not hostname:
        raise RequestError(f"malformed URL {url!r}: expected http://host[:port]/path[?query]")
    try:
        port = parts.port
    except ValueError:
        port = 0
    return parts.scheme, parts.netloc, hostname, port, parts.path, parts.query


@lru_cache(maxsize=256)
def _method(method: str | None) -> str:
    """The method as given, or RequestError (a pure memo: every probe and batch line reads
    one of a few). Methods are case-sensitive: nginx refuses `get` (400: its parser takes
    only A-Z, '_' and '-') and Apache does not implement it (501), so it is not taken as GET."""
    method = method or "GET"
    if any(c not in _METHOD_CHARS for c in method):
        case = (f" (methods are case-sensitive: nginx answers 400 to {method!r} and Apache 501; "
                f"{method.upper()!r} is the method)") if all(c in _METHOD_CHARS for c in method.upper()) else ""
        raise RequestError(f"unknown method {method!r}{case}: an HTTP method is a word of capital letters, "
                           f"'_' and '-' (GET, POST, {', '.join(sorted(METHODS - {'GET', 'POST'}))})")
    return method


def _headers(headers: dict[str, str] | None) -> dict[str, str]:
    """Header names lower-case and stripped, values stripped of the spaces nginx skips around
    them (only spaces: a tab is part of the value); a later spelling of a name wins."""
    return {k.lower().strip(): v.strip(" ") for k, v in (headers or {}).items()}


def aim_parts(address: str, host: str) -> tuple[str, str, bool]:
    """(address, Host name, whether nginx takes that Host) of Request.aimed(address, ..., host)
    sent with no other header."""
    name, valid = _host_name(host.strip(" "))
    return address.strip("[]").lower(), name, valid


_PLAIN_HOST = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?", re.ASCII)


@lru_cache(maxsize=4096)
def _host_name(host: str) -> tuple[str, bool]:
    """The Host as ngx_http_validate_host leaves it (lower-case, cut at the first ':' outside
    an [IPv6] literal, one trailing dot dropped) and whether nginx takes it: two dots in a
    row anywhere, a '/', a space or control character, or nothing left is a 400 before any
    server is chosen (nginx 1.22 skips only spaces around a header's value)."""
    host = host.strip(" ")
    if _PLAIN_HOST.fullmatch(host):
        # labels of letters, digits, '-' and '_' one dot apart: nothing to cut but a last dot
        return (host[:-1] if host[-1] == "." else host).lower(), True
    end, last_dot, literal, rest = len(host), -2, False, False
    for i, ch in enumerate(host):
        if ch == ".":
            if last_dot == i - 1:
                return host.lower(), False
            last_dot = i
        elif ch == ":" and not literal and not rest:
            end, rest = i, True
        elif ch == "[" and i == 0:
            literal = True
        elif ch == "]" and literal:
            end, literal, rest = i + 1, False, True
        elif ch == "/" or ch <= " " or ch == "\x7f":
            return host.lower(), False
    if last_dot == end - 1:
        end -= 1
    return host[:end].lower(), end > 0


@lru_cache(maxsize=4096)
def parse_address(text: str):
    """The ipaddress object of `text`, None when it is not an address. A pure
    memo shared by the request model: probes and batches repeat a few addresses."""
    if ":" not in text and not text[:1].isdigit():
        return None         # no IPv6 address without a colon, no IPv4 one without a leading digit (a host name)
    import ipaddress
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def ip_match(spec: str, ip: str) -> bool:
    """Whether the client address `ip` is in an allow/deny/set_real_ip_from address or network."""
    if spec == "all":
        return True
    if spec.startswith("unix:"):
        return False
    addr, net = parse_address(ip), _network(spec)
    return addr is not None and net is not None and addr.version == net.version and addr in net


@lru_cache(maxsize=4096)
def _network(text: str):
    import ipaddress
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _check_ip(ip: str) -> None:
    if parse_address(ip) is None:
        raise RequestError(f"--client-ip {ip!r} is not an IP address")


def normalize_uri(raw: str) -> str:
    """nginx's URI as used for location matching: decoded, slashes merged, dots resolved.

    Decoded characters go through the same rules (`%2e%2e` is `..`), as in
    ngx_http_parse_complex_uri with the default `merge_slashes on`.
    """
    if raw.startswith("/") and _NOT_PLAIN.search(raw) is None:
        return raw          # nothing to decode, merge or resolve: most probes and most logged URIs
    return _normalize(raw)


# What normalize_uri has to look at: an escape, a doubled slash, a dot segment, a NUL.
_NOT_PLAIN = re.compile(r"%|//|/\.|\x00")


@lru_cache(maxsize=4096)
def _normalize(raw: str) -> str:
    """normalize_uri's slow path: a pure memo, rules probe every server with the same few
    dotted URIs (/.git/config, /.well-known/...); a BadUri is raised again, never kept."""
    data = raw.encode("utf-8", "surrogateescape")
    out = bytearray()
    i = 0
    while i < len(data):
        c = data[i]
        if c == 0x25 and _is_hex(data[i + 1:i + 3]):   # %XX
            out.append(int(data[i + 1:i + 3], 16))
            i += 3
            continue
        if c == 0x25:
            raise BadUri("bad percent-encoding")
        out.append(c)
        i += 1
    if b"\x00" in out:
        raise BadUri("NUL in URI")
    segments: list[bytes] = []
    parts = bytes(out).split(b"/")
    trailing = parts[-1] in (b"", b".", b"..") and len(parts) > 1
    for index, seg in enumerate(parts[1:], start=1):
        if seg == b"" and index != len(parts) - 1:
            continue
        if seg == b".":
            continue
        if seg == b"..":
            if not segments:
                raise BadUri("URI goes above the root")
            segments.pop()
            continue
        segments.append(seg)
    path = b"/" + b"/".join(segments)
    if trailing and not path.endswith(b"/"):
        path += b"/"
    return path.decode("utf-8", "surrogateescape")


def parse_complex_uri(raw: str, merge_slashes: bool) -> str:
    """ngx_http_parse_complex_uri's state machine, byte by byte: the URI when
    `merge_slashes off` keeps repeated slashes (a `..` then removes one segment,
    an empty one included). Decoded %25, %23 and %3F stay literal; a decoded
    character otherwise goes through the same states."""
    data = raw.encode("utf-8", "surrogateescape")
    out = bytearray()
    state, quoted_state, decoded = "usual", "usual", 0
    i, ch = 0, None

    def back() -> None:
        # "/.." just written: drop it and the segment before it (u -= 4, then back to a '/')
        pos = len(out) - 4
        while True:
            if pos < 0:
                raise BadUri("URI goes above the root")
            if out[pos] == 0x2F:
                del out[pos + 1:]
                return
            pos -= 1

    while True:
        if ch is None:
            if i >= len(data):
                break
            ch, i = data[i], i + 1
        c, ch = ch, None                 # consumed unless a state hands it on (ch = c)
        if state == "quoted":
            if chr(c) in "0123456789abcdefABCDEF":
                decoded, state = int(chr(c), 16), "quoted_second"
                continue
            raise BadUri("bad percent-encoding")
        if state == "quoted_second":
            if chr(c) not in "0123456789abcdefABCDEF":
                raise BadUri("bad percent-encoding")
            value = decoded * 16 + int(chr(c), 16)
            if value in (0x25, 0x23, 0x3F):
                state = "usual"
                out.append(value)
                continue
            if value == 0:
                raise BadUri("NUL in URI")
            state, ch = quoted_state, value
            continue
        if c == 0x25:
            quoted_state, state = state, "quoted"
            continue
        if state == "usual":
            if c == 0x2F:
                state = "slash"
            out.append(c)
        elif state == "slash":
            if c == 0x2F:
                if not merge_slashes:
                    out.append(c)
            elif c == 0x2E:
                state = "dot"
                out.append(c)
            else:
                state = "usual"
                out.append(c)
        elif state == "dot":
            if c == 0x2F:
                state = "slash"
                del out[-1]
            elif c == 0x2E:
                state = "dot_dot"
                out.append(c)
            else:
                state = "usual"
                out.append(c)
        else:   # dot_dot
            if c == 0x2F:
                back()
                state = "slash"
            else:
                state = "usual"
                out.append(c)
    if state in ("quoted", "quoted_second"):
        raise BadUri("bad percent-encoding")
    if state == "dot":
        del out[-1]
    elif state == "dot_dot":
        back()
    return bytes(out).decode("utf-8", "surrogateescape")


def _is_hex(two: bytes) -> bool:
    return len(two) == 2 and all(chr(b) in "0123456789abcdefABCDEF" for b in two)

"""The request URI as httpd 2.4 sees it (server/request.c ap_process_request_internal,
server/util.c ap_normalize_path / ap_unescape_url_ex).

The HTTP request itself is the nginx model's Request (method, Host, client
address, credentials); only the path handling differs:
* `%XX` of unreserved characters is decoded first, `.`/`..` segments are
  resolved and slashes merged (MergeSlashes on); `..` above `/` is a 400;
* then the rest is decoded: a bad `%` escape is a 400, `%2F` (and `%00`)
  a 404 with AllowEncodedSlashes Off (the default; AH00026);
"""

from __future__ import annotations

from confcheck.servers.nginx.request import Request, RequestError

__all__ = ["Request", "RequestError", "UriStatus", "normalize"]   # one request type for both servers

_UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = set(b"0123456789abcdefABCDEF")


class UriStatus(Exception):
    """httpd answers this status before any configuration applies."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def normalize(raw: str, *, allow_encoded_slashes: str = "off") -> str:
    data = raw.encode("utf-8", "surrogateescape")
    if not data.startswith(b"/"):
        raise UriStatus(400, f"the request path {raw!r} does not start with /")
    # 1. decode unreserved characters only
    out = bytearray()
    i = 0
    while i < len(data):
        c = data[i]
        if c == 0x25 and i + 2 < len(data) + 0 and set(data[i + 1:i + 3]) <= _HEX and len(data[i + 1:i + 3]) == 2:
            value = int(data[i + 1:i + 3], 16)
            if value in _UNRESERVED:
                out.append(value)
            else:
                out += data[i:i + 3]
            i += 3
            continue
        out.append(c)
        i += 1
    # 2. ap_normalize_path: merge slashes, drop `.`, resolve `..` (not above /)
    segments: list[bytes] = []
    parts = bytes(out).split(b"/")[1:]
    for index, seg in enumerate(parts):
        last = index == len(parts) - 1
        if seg == b"" and not last:
            continue
        if seg == b".":
            if last:
                segments.append(b"")
            continue
        if seg == b"..":
            if not segments or segments == [b""]:
                raise UriStatus(400, f"invalid URI path ({raw}): '..' goes above the root (AH10244)")
            segments.pop()
            if last:
                segments.append(b"")
            continue
        segments.append(seg)
    path = b"/" + b"/".join(segments)
    # 3. ap_unescape_url_ex: the rest of the escapes
    result = bytearray()
    i = 0
    while i < len(path):
        c = path[i]
        if c == 0x25:
            two = path[i + 1:i + 3]
            if len(two) != 2 or not set(two) <= _HEX:
                raise UriStatus(400, f"bad %-escape in {raw!r}")
            value = int(two, 16)
            if value == 0x2F and allow_encoded_slashes == "off":
                raise UriStatus(404, f"found %2f (encoded '/') in URI path ({raw}), returning 404 "
                                     "(AllowEncodedSlashes Off; AH00026)")
            if value == 0:
                raise UriStatus(404, f"%00 in URI path ({raw}): 404")
            if value == 0x2F and allow_encoded_slashes == "nodecode":
                result += path[i:i + 3]
            else:
                result.append(value)
            i += 3
            continue
        result.append(c)
        i += 1
    return bytes(result).decode("utf-8", "surrogateescape")

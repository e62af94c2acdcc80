"""What nginx's not_modified and range filters make of a 200 answer (304, 412, 206, 416).

Facts from nginx 1.22 (ngx_http_not_modified_filter_module.c, ngx_http_range_filter_module.c,
ngx_http_set_etag, ngx_parse_http_time): both act on the main request's 200 only. The
not_modified filter runs first: If-Unmodified-Since not later than Last-Modified (an answer
without one fails it) or an If-Match naming no ETag ("*" always matches) is 412; then
If-Modified-Since equal to Last-Modified (`if_modified_since exact`, the default; `before` also
takes a later date, `off` never) and/or an If-None-Match naming the ETag (weak compared, "*"
always matches) make it 304. The range filter acts on answers that allow ranges (the static,
flv and mp4 handlers; not gzip_static) with a known length: `Range: bytes=...` (If-Range equal to the
ETag or Last-Modified) gives 206, 416 when no range is satisfiable, 200 when nginx declines.

The answer's entity is what the content handler produced: Last-Modified is the file's mtime,
the ETag "mtime-size" in hex (unless `etag off`); `return`, autoindex and stub_status have
neither. Where the model does not know one (a snapshot without mtimes, a handler not described
here, a body filter that drops the length) the answer is unknown, naming what decided it.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from confcheck.servers.outcome import Final

HEADERS = ("if-modified-since", "if-unmodified-since", "if-match", "if-none-match", "range")
# filters that may drop Content-Length before the range filter sees it (ranges then never apply)
LENGTH_FILTERS = ("gzip", "ssi", "sub_filter", "add_before_body", "add_after_body", "xslt_stylesheet",
                  "image_filter", "source_charset", "gunzip")
GIF_TIME = 23349600          # empty_gif's fixed Last-Modified
MAX_OFF_T = 2 ** 63 - 1


@dataclass(frozen=True)
class Entity:
    """What the not_modified and range filters read of an answer."""

    mtime: int | None               # Last-Modified; None: there is none
    length: int | None = None       # Content-Length (the range filter needs it)
    ranges: bool = False            # the handler allows ranges (r->allow_ranges)
    etag: bool = False              # an ETag "mtime-size" was set (etag on)
    unknown: str = ""               # why the model does not know this answer's Last-Modified/ETag


NONE = Entity(None)                 # return, autoindex, stub_status: no Last-Modified, no ETag


def file_entity(scope, meta, ranges: bool = True) -> Entity:
    """The static module's answer for the file `meta`; gzip_static's .gz (ranges=False: that
    handler does not set r->allow_ranges, so a Range gets the whole file)."""
    if meta.mtime is None:
        return Entity(None, meta.size, ranges, unknown=f"the modification time of {meta.path} is not in this "
                                                       "view of the disk")
    return Entity(meta.mtime, meta.size, ranges, scope.value("etag", "on") == "on")


def asks(request) -> bool:
    return any(request.header(name) is not None for name in HEADERS)


def apply(state, final: Final, entity: Entity | None) -> Final:
    """The 200 answer `final` of the main request after the two filters (raises nothing)."""
    request = state.request
    headers = {name: (request.header(name) or "").strip(" \t") for name in HEADERS + ("if-range",)
               if request.header(name) is not None}
    if entity is None or entity.unknown:
        why = entity.unknown if entity is not None else "the model does not know its Last-Modified and ETag"
        return _unknown(final, headers, why)
    try:
        status, why = _not_modified(state, headers, entity)
        if status is None and "range" in headers:
            status, why = _range(state, headers, entity)
    except _Unknown as exc:
        return _unknown(final, headers, str(exc))
    if status is None:
        return final
    if status in (412, 416) and any(str(status) in n.values for n in state.scope.group("error_page")):
        # ngx_http_filter_finalize_request goes through error_page: not followed here
        return Final(None, f"{why}; error_page handles {status}, which the model does not follow from a filter",
                     state.scope.group("error_page")[0])
    state.step("filter", why, final.node)
    return Final(status, f"{final.reason}; {why}", final.node, final.fs_path, final.rule, final.location)


class _Unknown(Exception):
    pass


def _unknown(final: Final, headers: dict, why: str) -> Final:
    names = ", ".join(h.title() for h in headers)
    return Final(None, f"{final.reason}, but the request carries {names}: {why}", final.node,
                 final.fs_path, final.rule, final.location)


def _etag(entity: Entity) -> str | None:
    return f'"{entity.mtime:x}-{entity.length:x}"' if entity.etag and entity.mtime is not None else None


def _not_modified(state, headers: dict, entity: Entity) -> tuple[int | None, str]:
    lm, etag = entity.mtime, _etag(entity)
    if "if-unmodified-since" in headers:
        if lm is None:
            return 412, "If-Unmodified-Since: the answer has no Last-Modified (412)"
        if _http_time(headers["if-unmodified-since"], "If-Unmodified-Since") < lm:
            return 412, "If-Unmodified-Since is before the file's modification time (412)"
    if "if-match" in headers and not _matches(headers["if-match"], etag, weak=False):
        return 412, "If-Match names no ETag of the answer (412)"
    if "if-modified-since" not in headers and "if-none-match" not in headers:
        return None, ""
    if "if-modified-since" in headers and _modified(state, headers["if-modified-since"], lm):
        return None, "If-Modified-Since: modified"
    if "if-none-match" in headers and not _matches(headers["if-none-match"], etag, weak=True):
        return None, "If-None-Match: no ETag matches"
    return 304, "not modified: " + " and ".join(
        n for n, h in (("If-Modified-Since", "if-modified-since"), ("If-None-Match", "if-none-match")) if h in headers)


def _modified(state, value: str, lm: int | None) -> bool:
    """ngx_http_test_if_modified."""
    if lm is None:
        return True
    mode = state.scope.value("if_modified_since", "exact")
    if mode == "off":
        return True
    ims = _http_time(value, "If-Modified-Since")
    if ims == lm:
        return False
    return mode == "exact" or ims < lm


def _matches(value: str, etag: str | None, weak: bool) -> bool:
    """ngx_http_test_if_match: "*", or one entry of the list equal to the ETag."""
    if value == "*":
        return True
    if etag is None:
        return False
    for entry in value.split(","):
        entry = entry.strip(" \t")
        if weak and entry.startswith("W/"):
            entry = entry[2:]
        if entry == etag:
            return True
    return False


def _range(state, headers: dict, entity: Entity) -> tuple[int | None, str]:
    value = headers["range"]
    if not entity.ranges or entity.length is None:
        return None, ""
    maxr = state.scope.value("max_ranges")
    limit = int(maxr) if maxr is not None and maxr.isdigit() else None
    if limit == 0 or len(value) < 7 or value[:6].lower() != "bytes=":
        return None, ""
    if "if-range" in headers:
        given = headers["if-range"]
        if given.endswith('"') and len(given) >= 2:
            if given != _etag(entity):
                return None, "If-Range does not match the ETag: the whole file"
        elif entity.mtime is None or _http_time(given, "If-Range") != entity.mtime:
            return None, "If-Range does not match Last-Modified: the whole file"
    outcome = _parse_ranges(value[6:], entity.length, limit)
    if outcome is not None:
        _length_filter(state, entity, outcome)
    if outcome == 206:
        return 206, f"Range {value}: partial content (206)"
    if outcome == 416:
        return 416, f"Range {value}: not satisfiable for {entity.length} bytes (416)"
    return None, ""


class _Overflow(Exception):
    pass


def _length_filter(state, entity: Entity, outcome: int) -> None:
    """A body filter that may drop Content-Length first (then the range filter lets the whole
    answer pass): the answer is unknown, naming it (the 206/416 kept as what it would be without)."""
    for name in LENGTH_FILTERS:
        node = state.scope.last(name)
        if node is None or not node.args or node.args[0].value in ("off", "0"):
            continue
        if name == "gzip" and not _may_gzip(state, entity):
            continue
        if state.not_modelled is None:
            state.not_modelled = (node, f"it may change the body's length (by the answer's type, which the model "
                                        f"does not compute), and the range filter then sends all of it, not "
                                        f"{outcome}")
        return


def _may_gzip(state, entity: Entity) -> bool:
    """Whether the gzip filter might compress this answer: never without "gzip" in
    Accept-Encoding (ngx_http_gzip_ok) or under gzip_min_length (default 20 bytes)."""
    if "gzip" not in (state.request.header("accept-encoding") or "").lower():
        return False
    least = state.scope.value("gzip_min_length", "20")
    return not (least.isdigit() and entity.length < int(least))


def _parse_ranges(spec: str, length: int, limit: int | None) -> int | None:
    """ngx_http_range_parse: 206, 416 (also a number past off_t), or None (declined: the whole answer)."""
    try:
        return _ranges(spec, length, limit)
    except _Overflow:
        return 416


def _ranges(spec: str, length: int, limit: int | None) -> int | None:
    pos, count, size = 0, 0, 0
    n = len(spec)

    def spaces(i: int) -> int:
        while i < n and spec[i] == " ":
            i += 1
        return i

    def number(i: int) -> tuple[int, int]:
        j = i
        while j < n and "0" <= spec[j] <= "9":
            j += 1
        if int(spec[i:j]) > MAX_OFF_T:
            raise _Overflow
        return int(spec[i:j]), j

    while True:   # noqa: PLR1702 - one loop over the list, as nginx's
        start = end = 0
        suffix = False
        pos = spaces(pos)
        at = spec[pos] if pos < n else "\0"
        if at != "-":
            if not ("0" <= at <= "9"):
                return 416
            start, pos = number(pos)
            pos = spaces(pos)
            if (spec[pos] if pos < n else "\0") != "-":
                return 416
            pos = spaces(pos + 1)
            if (spec[pos] if pos < n else "\0") in (",", "\0"):
                end = length
                found = True
            else:
                found = False
        else:
            suffix, found = True, False
            pos += 1
        if not found:
            at = spec[pos] if pos < n else "\0"
            if not ("0" <= at <= "9"):
                return 416
            end, pos = number(pos)
            pos = spaces(pos)
            if (spec[pos] if pos < n else "\0") not in (",", "\0"):
                return 416
            if suffix:
                start = length - end if end < length else 0
                end = length - 1
            end = length if end >= length else end + 1
        if start < end:
            count += 1
            size += end - start
            if limit is not None and count > limit:
                return None
        elif start == 0:
            return None
        if (spec[pos] if pos < n else "\0") != ",":
            break
        pos += 1
    if count == 0:
        return 416
    return None if size > length else 206


_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), 1)}
_DATES = (re.compile(r"[A-Za-z]+, (\d\d) ([A-Z][a-z][a-z]) (\d{4}) (\d\d):(\d\d):(\d\d) GMT"),      # RFC 1123
          re.compile(r"[A-Za-z]+, (\d\d)-([A-Z][a-z][a-z])-(\d\d) (\d\d):(\d\d):(\d\d) GMT"),      # RFC 850
          re.compile(r"[A-Za-z]{3} ([A-Z][a-z][a-z]) ( ?\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})"))   # asctime


def _http_time(value: str, header: str) -> int:
    """An HTTP date in one of the three forms nginx reads; anything else is unknown here
    (ngx_parse_http_time is more lenient than the standard forms)."""
    for i, pattern in enumerate(_DATES):
        m = pattern.fullmatch(value)
        if m is None:
            continue
        if i == 2:
            mon, day, hh, mm, ss, year = m.groups()
        else:
            day, mon, year, hh, mm, ss = m.groups()
        month, day, year = _MONTHS.get(mon), int(day), int(year)
        if i == 1:
            year += 2000 if year < 70 else 1900
        hh, mm, ss = int(hh), int(mm), int(ss)
        if month is None or hh > 23 or mm > 59 or ss > 59 or day < 1 or day > _days(month, year):
            break
        return calendar.timegm((year, month, day, hh, mm, ss))
    raise _Unknown(f"{header}: {value!r} is not an HTTP date the model reads")


def _days(month: int, year: int) -> int:
    return calendar.monthrange(year, month)[1]

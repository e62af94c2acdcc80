"""Django's own answer to a request, before the view: host validation and
CsrfViewMiddleware, with Django's reason strings.

From Django 5.2's source (the version the test extra pins):
- django/http/request.py: `scheme` (SECURE_PROXY_SSL_HEADER: the header's
  value up to the first comma, stripped, equal to the setting's value means
  https, any other value http; the header missing: wsgi.url_scheme), `is_secure`,
  `_get_raw_host` (X-Forwarded-Host when USE_X_FORWARDED_HOST, else Host),
  `get_host` (ALLOWED_HOSTS through validate_host; DEBUG with an empty list
  allows .localhost, 127.0.0.1, [::1]; else DisallowedHost).
- django/middleware/common.py: CommonMiddleware.process_request calls
  get_host(): a disallowed host is answered 400 (SuspiciousOperation) before
  any view.
- django/middleware/csrf.py: CsrfViewMiddleware.process_view for methods other
  than GET/HEAD/OPTIONS/TRACE: the Origin check (`_origin_verified`) when an
  Origin arrives, else on https only the Referer check (`_check_referer`), then
  the cookie and the token (`_check_token`); a failure answers 403 with
  REASON_* strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from confcheck.apps.django.settings import (COMMON_MIDDLEWARE, CSRF_MIDDLEWARE, PASSING_MIDDLEWARE,
                                            SECURITY_MIDDLEWARE, DjangoSettings)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

REASON_BAD_ORIGIN = "Origin checking failed - %s does not match any trusted origins."
REASON_NO_REFERER = "Referer checking failed - no Referer."
REASON_BAD_REFERER = "Referer checking failed - %s does not match any trusted origins."
REASON_NO_CSRF_COOKIE = "CSRF cookie not set."
REASON_CSRF_TOKEN_MISSING = "CSRF token missing."
REASON_MALFORMED_REFERER = "Referer checking failed - Referer is malformed."
REASON_INSECURE_REFERER = "Referer checking failed - Referer is insecure while host is secure."


class Unknown(Exception):
    """A value the decision needs is not known offline."""


@dataclass
class AppRequest:
    """The request as the WSGI app receives it."""

    method: str
    path: str
    headers: dict[str, str]          # lower-case names, as received (after the proxy)
    url_scheme: str | None           # wsgi.url_scheme from the app server (None: unknown)
    url_scheme_why: str = ""
    unknown_headers: dict[str, str] = field(default_factory=dict)   # name -> why its value is unknown
    cookie_kept: bool | None = None  # the CSRF cookie: does the client have it (None: as the request says)

    def header(self, name: str) -> str | None:
        name = name.lower()
        if name in self.unknown_headers:
            raise Unknown(self.unknown_headers[name])
        return self.headers.get(name)


@dataclass
class Decision:
    status: int | None
    reason: str
    setting: str | None = None           # the setting that decided
    steps: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    is_secure: bool | None = None
    host: str | None = None


def _setting(settings: DjangoSettings, name: str, decision: Decision):
    value = settings.get(name)
    if not value.known:
        raise Unknown(f"{name} is not known: {value.why}")
    for note in value.assumptions:
        if note not in decision.assumptions:
            decision.assumptions.append(note)
    return value.value


def scheme(settings: DjangoSettings, req: AppRequest, decision: Decision) -> str:
    header = _setting(settings, "SECURE_PROXY_SSL_HEADER", decision)
    if header:
        if not (isinstance(header, (tuple, list)) and len(header) == 2):
            raise Unknown("SECURE_PROXY_SSL_HEADER is not a pair: Django raises ImproperlyConfigured (500)")
        name, want = header
        meta = str(name)
        http_name = meta[5:].replace("_", "-").lower() if meta.startswith("HTTP_") else None
        value = req.header(http_name) if http_name else None
        if value is not None:
            got = value.split(",", 1)[0].strip()
            result = "https" if got == want else "http"
            decision.steps.append(f"SECURE_PROXY_SSL_HEADER ({meta}, {want!r}): {http_name.title()}: {value} "
                                  f"makes the scheme {result}")
            return result
        decision.steps.append(f"SECURE_PROXY_SSL_HEADER names {meta}, which does not arrive: the scheme is "
                              "wsgi.url_scheme")
    if req.url_scheme is None:
        raise Unknown(req.url_scheme_why or "wsgi.url_scheme is not known (the app server is not known)")
    decision.steps.append(f"request.is_secure() follows wsgi.url_scheme {req.url_scheme}: {req.url_scheme_why}")
    return req.url_scheme


def raw_host(settings: DjangoSettings, req: AppRequest, decision: Decision) -> str | None:
    if _setting(settings, "USE_X_FORWARDED_HOST", decision):
        forwarded = req.header("x-forwarded-host")
        if forwarded is not None:
            decision.steps.append(f"USE_X_FORWARDED_HOST: the host is X-Forwarded-Host {forwarded}")
            return forwarded
    return req.header("host")


def validate_host(host: str | None, settings: DjangoSettings, decision: Decision) -> bool:
    """get_host(): True when ALLOWED_HOSTS allows it (split_domain_port + validate_host)."""
    allowed = _setting(settings, "ALLOWED_HOSTS", decision)
    # `settings.DEBUG and not allowed_hosts`: DEBUG matters only when the list is empty
    if not allowed and _setting(settings, "DEBUG", decision):
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain = _domain(host or "")
    if not domain:
        return False
    for pattern in allowed:
        if not isinstance(pattern, str):
            raise Unknown("ALLOWED_HOSTS holds a value that is not a string")
        pattern = pattern.lower()
        if pattern == "*" or _is_same_domain(domain, pattern):
            return True
    return False


# django/http/request.py host_validation_re: letters, digits, dots and hyphens (no
# underscore), or a bracketed IPv6 address; then an optional all-digit port
_HOST = re.compile(r"([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?")


def _domain(host: str) -> str:
    """django.http.request.split_domain_port's domain part (lower-case, no trailing dot; empty
    when the host is not valid: 'my_app:8000', 'example.com:')."""
    match = _HOST.fullmatch(host.lower())
    if match is None:
        return ""
    domain = match.group(1)
    return domain[:-1] if domain.endswith(".") else domain


def _is_same_domain(host: str, pattern: str) -> bool:
    """django.utils.http.is_same_domain."""
    if not pattern:
        return False
    pattern = pattern.lower()
    host = host.lower()
    return (pattern[0] == "." and (host.endswith(pattern) or host == pattern[1:])) or pattern == host


def decide(settings: DjangoSettings, req: AppRequest) -> Decision:
    decision = Decision(None, "")
    try:
        _decide(settings, req, decision)
    except Unknown as exc:
        decision.status, decision.reason = None, f"Django's answer is not known: {exc}"
    return decision


def _decide(settings: DjangoSettings, req: AppRequest, d: Decision) -> None:
    middleware = _setting(settings, "MIDDLEWARE", d)
    d.is_secure = scheme(settings, req, d) == "https"
    host = raw_host(settings, req, d)
    d.host = host
    host_ok = validate_host(host, settings, d)
    d.steps.append(f"the host Django sees is {host!r}: " + (
        "allowed by ALLOWED_HOSTS" if host_ok else "not in ALLOWED_HOSTS"))
    # every middleware's request hook runs before any process_view (django/core/handlers/base.py)
    for name in middleware:
        if name == COMMON_MIDDLEWARE:
            if not host_ok:
                _disallowed(d, host, "CommonMiddleware calls get_host()")
                return
        elif name == SECURITY_MIDDLEWARE:
            if _setting(settings, "SECURE_SSL_REDIRECT", d) and not d.is_secure:
                if _redirect(settings, req, d, host, host_ok):
                    return
        elif name != CSRF_MIDDLEWARE and name not in PASSING_MIDDLEWARE:
            raise Unknown(f"the middleware {name} may answer the request itself (its code is not followed)")
    if CSRF_MIDDLEWARE not in middleware:
        d.reason = "no CsrfViewMiddleware: the view decides"
        d.steps.append("MIDDLEWARE has no CsrfViewMiddleware: no CSRF check before the view")
        return
    if req.method in SAFE_METHODS:
        d.reason = f"{req.method} is not checked by CsrfViewMiddleware: the view decides"
        d.steps.append(d.reason)
        return
    d.assumptions.append("the URL resolves to a view that is not csrf_exempt (the URLconf is not read)")
    reason = _csrf(settings, req, d, host if host_ok else None)
    if reason is not None:
        d.status, d.reason = 403, reason
        d.steps.append(f"CsrfViewMiddleware rejects: {reason}")
        return
    d.reason = "CsrfViewMiddleware accepts the request: the view decides"
    d.steps.append(d.reason)


def _disallowed(d: Decision, host: str | None, who: str) -> None:
    """get_host()'s DisallowedHost, answered 400, with Django's message."""
    domain = _domain(host or "")
    d.status, d.setting = 400, "ALLOWED_HOSTS"
    d.reason = (f"Invalid HTTP_HOST header: {host!r}. You may need to add {domain!r} to ALLOWED_HOSTS."
                if domain else f"Invalid HTTP_HOST header: {host!r}. The domain name provided is "
                "not valid according to RFC 1034/1035.")
    d.steps.append(f"{who}: DisallowedHost, answered 400")


def _redirect(settings: DjangoSettings, req: AppRequest, d: Decision, host: str | None, host_ok: bool) -> bool:
    """SecurityMiddleware.process_request with SECURE_SSL_REDIRECT on a request Django sees as
    http: 301 to https (SECURE_SSL_HOST, else get_host(): a disallowed host is 400 there), unless
    a SECURE_REDIRECT_EXEMPT pattern matches the path without its leading slash. True: answered."""
    exempt = _setting(settings, "SECURE_REDIRECT_EXEMPT", d)
    path = req.path.split("?", 1)[0].lstrip("/")
    try:
        matched = next((p for p in exempt if re.search(p, path)), None)
    except (TypeError, re.error):
        raise Unknown("SECURE_REDIRECT_EXEMPT holds a pattern Python's re refuses: Django fails on it") from None
    if matched is not None:
        d.steps.append(f"SECURE_SSL_REDIRECT: {path!r} matches SECURE_REDIRECT_EXEMPT {matched!r}: no redirect")
        return False
    target = _setting(settings, "SECURE_SSL_HOST", d)
    if not target and not host_ok:
        _disallowed(d, host, "SecurityMiddleware redirects to https on get_host()")
        return True
    d.status, d.setting = 301, "SECURE_SSL_REDIRECT"
    d.reason = (f"SECURE_SSL_REDIRECT: Django sees http and answers 301 to https://{target or host}"
                f"{req.path if req.path.startswith('/') else '/' + req.path}")
    d.steps.append(d.reason)
    return True


def _csrf(settings: DjangoSettings, req: AppRequest, d: Decision, good_host: str | None) -> str | None:
    trusted = _setting(settings, "CSRF_TRUSTED_ORIGINS", d)
    origin = req.header("origin")
    if origin is not None:
        if not _origin_verified(origin, trusted, d.is_secure, good_host):
            d.setting = "CSRF_TRUSTED_ORIGINS"
            return REASON_BAD_ORIGIN % origin
        d.steps.append(f"Origin {origin} is verified" + (
            f" (https://{good_host} is the request's own origin)" if good_host else ""))
    elif d.is_secure:
        problem = _referer(settings, req, d, trusted, good_host)
        if problem is not None:
            d.setting = "CSRF_TRUSTED_ORIGINS"
            return problem
    return _token(settings, req, d)


def _origin_verified(origin: str, trusted: list, secure: bool, good_host: str | None) -> bool:
    if good_host is not None and origin == f"{'https' if secure else 'http'}://{good_host}":
        return True
    if origin in {o for o in trusted if "*" not in o}:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    for entry in trusted:
        if "*" in entry:
            allowed = urlsplit(entry)
            if allowed.scheme == parsed.scheme and _is_same_domain(parsed.netloc, allowed.netloc.lstrip("*")):
                return True
    return False


def _referer(settings, req: AppRequest, d: Decision, trusted: list, good_host: str | None) -> str | None:
    referer = req.header("referer")
    if referer is None:
        return REASON_NO_REFERER
    try:
        parsed = urlsplit(referer)
    except ValueError:
        return REASON_MALFORMED_REFERER
    if "" in (parsed.scheme, parsed.netloc):
        return REASON_MALFORMED_REFERER
    if parsed.scheme != "https":
        return REASON_INSECURE_REFERER
    if any(_is_same_domain(parsed.netloc, urlsplit(o).netloc.lstrip("*")) for o in trusted):
        return None
    cookie_domain = _setting(settings, "SESSION_COOKIE_DOMAIN" if _setting(settings, "CSRF_USE_SESSIONS", d)
                             else "CSRF_COOKIE_DOMAIN", d)
    if cookie_domain is not None:
        raise Unknown("a cookie domain is set: the Referer check then compares with it and the port, not followed")
    if good_host is None:
        return REASON_BAD_REFERER % parsed.geturl()
    if not _is_same_domain(parsed.netloc, good_host):
        return REASON_BAD_REFERER % parsed.geturl()
    d.steps.append(f"Referer {referer} matches the host {good_host}")
    return None


def _token(settings, req: AppRequest, d: Decision) -> str | None:
    if _setting(settings, "CSRF_USE_SESSIONS", d):
        raise Unknown("CSRF_USE_SESSIONS keeps the secret in the session, which is not known offline")
    cookie_name = _setting(settings, "CSRF_COOKIE_NAME", d)
    cookies = _cookies(req.header("cookie") or "")
    if req.cookie_kept is False or cookie_name not in cookies:
        return REASON_NO_CSRF_COOKIE
    secret = cookies[cookie_name]
    if len(secret) not in (32, 64) or not secret.isalnum() or not secret.isascii():
        return "CSRF cookie has incorrect length." if len(secret) not in (32, 64) else \
            "CSRF cookie has invalid characters."
    meta = str(_setting(settings, "CSRF_HEADER_NAME", d))
    if not meta.startswith("HTTP_"):
        raise Unknown(f"CSRF_HEADER_NAME {meta!r} does not name a request header (HTTP_...): where Django "
                      "finds that token is not followed")
    header = meta[5:].replace("_", "-").title()      # HttpHeaders.parse_header_name: 'X-Csrftoken'
    token = req.header(header)
    if token is None:
        # the form field csrfmiddlewaretoken is in the body, which `why` does not carry
        raise Unknown(f"the token would come from the POST body (csrfmiddlewaretoken) or the {header} header "
                      f"(CSRF_HEADER_NAME {meta}); the body is not known, and no {header} header was given")
    if len(token) not in (32, 64):
        return f"CSRF token from the '{header}' HTTP header has incorrect length."
    if not (token.isascii() and token.isalnum()):
        return f"CSRF token from the '{header}' HTTP header has invalid characters."
    if _unmask(token) != _unmask(secret):
        return f"CSRF token from the '{header}' HTTP header incorrect."
    d.steps.append(f"the CSRF cookie is present and the {header} header matches it")
    return None


_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _unmask(token: str) -> str:
    """A 64-character masked token's secret (django/middleware/csrf.py _unmask_cipher_token)."""
    if len(token) == 32:
        return token
    mask, body = token[:32], token[32:]
    return "".join(_CHARS[(_CHARS.index(x) - _CHARS.index(y)) % len(_CHARS)] for x, y in zip(body, mask))


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out[name.strip()] = value.strip()    # django.http.cookie.parse_cookie: the last one wins
    return out

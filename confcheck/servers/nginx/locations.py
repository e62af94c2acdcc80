"""Location search: ngx_http_core_find_location, step for step.

Exact (`=`) match first; otherwise the longest prefix, whose nested locations
are searched next; then, unless the prefix was `^~`, the regular expressions
of the level in order (a match searches its own nested locations). A prefix
location ending in `/` with proxy_pass & co. answers the same URI without the
slash with a 301 (auto_redirect).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from confcheck.servers.nginx.conf import Location


def describe_search(found: "Found") -> str:
    return "; ".join(f"{loc.describe()}: {what}" for loc, what in found.considered)


@dataclass
class Found:
    location: Location | None
    redirect: Location | None = None          # auto_redirect (301 to name)
    captures: tuple = ()
    named: dict[str, str] = field(default_factory=dict)
    whole: str = ""
    # (location, what happened) pairs; formatted only when a trace is shown
    considered: list[tuple[Location, str]] = field(default_factory=list)
    regex_errors: list[str] = field(default_factory=list)


OK, AGAIN, DONE, DECLINED = "ok", "again", "done", "declined"


def find_location(container, uri: str) -> Found:
    """The search's answer, found once per container and URI (a pure memo: the rules ask
    for a URI's location and then decide() for the same URI searches again; nobody
    changes a Found)."""
    memo = container._groups.get(" found")
    if memo is None:
        memo = container._groups[" found"] = {}
    found = memo.get(uri)
    if found is None:
        found = memo[uri] = Found(None)
        _find(container, uri, found)
    return found


def _static(container, uri: str, found: Found) -> str:
    best: Location | None = None
    exact: Location | None = None
    redirect: Location | None = None
    for loc in container.static:
        name = loc.name
        if loc.auto_redirect and uri + "/" == name and (redirect is None or loc.modifier == "="):
            # one tree node holds "= /x/" and "/x/": its exact location's configuration answers
            redirect = loc
        if loc.modifier == "=":
            if uri == name:
                exact = loc
            continue
        if uri.startswith(name):
            if best is None or len(name) > len(best.name):
                best = loc
    if exact is not None:
        found.location = exact
        found.considered.append((exact, "exact match"))
        return OK
    if redirect is not None and not any(l.name == uri for l in container.static if l.modifier != "="):
        found.redirect = redirect
        found.considered.append((redirect, "the URI lacks its trailing slash (auto redirect)"))
        return DONE
    if best is not None:
        found.location = best
        found.considered.append((best, "longest matching prefix"))
        return AGAIN
    return DECLINED


def _find(container, uri: str, found: Found) -> str:
    rc = _static(container, uri, found)
    noregex = False
    if rc == AGAIN:
        prefix = found.location
        noregex = prefix.noregex
        rc = _find(prefix, uri, found)
        if rc == DECLINED:
            rc = AGAIN     # the prefix location itself stays selected
    if rc in (OK, DONE):
        return rc
    if noregex:
        if container.regexes:
            found.considered.append((found.location, "^~: regex locations are not tried"))
        return rc
    for loc in container.regexes:
        if loc.regex is None:
            found.regex_errors.append(loc.regex_error or loc.name or "")
            continue
        match = loc.regex.search(uri)
        if match:
            found.location = loc
            found.captures = match.groups()
            found.named = {k: v for k, v in match.groupdict().items() if v is not None}
            found.whole = match.group(0)
            found.considered.append((loc, "first regex that matches"))
            _find(loc, uri, found)
            return OK
        found.considered.append((loc, "no match"))
    return rc

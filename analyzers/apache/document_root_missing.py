"""APA102: a DocumentRoot or Alias target that does not exist (Apache: 403, not 404)."""

from __future__ import annotations

import posixpath

from confcheck.registry import RuleDoc, rule

from ._common import describe, disk_model, finding, probe, served_places

DOC = RuleDoc(
    what="Finds `DocumentRoot` and `Alias` directories that do not exist on disk, and says what "
         "Apache answers there: 403 when the nearest existing parent is not granted, 404 when it "
         "is. Needs the disk.",
    why="httpd warns once at start-up (`AH00112: Warning: DocumentRoot [...] does not exist`) and "
        "then serves. The `<Directory>` section of a path that does not exist is never applied, so "
        "the authorization of the nearest existing parent decides: under Debian's `<Directory />` "
        "deny every request is a 403 `AH01630: client denied by server configuration` naming the "
        "missing path, even with `<Directory /that/path> Require all granted` in place "
        "(server-behavior row 38); with a grant on the existing parent it is a 404 (row 39). "
        "A deploy that has not created the release directory, or a typo, is the usual cause.",
    example="DocumentRoot /srv/shop/current/public   # /srv/shop/current is missing",
    fixed="DocumentRoot /srv/shop/releases/42/public",
    fix_safety="Display only: confcheck cannot know which directory was meant.",
    references=("https://httpd.apache.org/docs/2.4/mod/core.html#documentroot",),
)


def _first_missing(fs, path: str) -> tuple[str, str] | None:
    """(existing ancestor, first missing component), None when `path` exists or cannot be looked at."""
    from confcheck.fs.model import NotChecked
    current = "/"
    for part in [p for p in path.split("/") if p]:
        nxt = posixpath.join(current, part)
        try:
            if fs.lstat(nxt) is None:
                return current, nxt
        except NotChecked:
            return None
        current = nxt
    return None


def _maps_through(outcome, place) -> bool:
    """Whether deciding the probe mapped its URL to a file through this place's directive
    (the trace's translate step): a site that only redirects or proxies serves no file."""
    for step in outcome.trace:
        if step.step != "translate":
            continue
        if place.directive is not None and place.directive.key != "documentroot":
            if step.node is place.directive:
                return True
        elif step.detail.startswith("DocumentRoot "):
            return True
    return False


@rule(id="APA102", name="document-root-missing", severity="error", server="apache", needs_fs=True,
      summary="a DocumentRoot or Alias directory does not exist (403 under a deny-all parent, else 404)", doc=DOC)
def check(ctx):
    seen: set[tuple[int, str]] = set()
    for target in ctx.apache:
        model = disk_model(ctx, target)
        for place in served_places(target):
            if place.variable or place.kind not in ("docroot", "alias", "default"):
                continue
            missing = _first_missing(ctx.fs, place.directory)
            if missing is None or (id(place.anchor), place.directory) in seen:
                continue
            seen.add((id(place.anchor), place.directory))
            _parent, first = missing
            url = place.url_for(place.directory) or "/"
            outcome = probe(model, place.server, url)
            if outcome is not None and not _maps_through(outcome, place):
                continue    # answered before any file is looked for (Redirect, ProxyPass, a rewrite)
            status = outcome.status if outcome is not None else None
            if status == 403 and outcome.rule == "APA102":
                node = outcome.decided_by
                denial = outcome.reason.split(" (", 1)[1].split(":", 1)[0] if " (" in outcome.reason else "a deny"
                why = (f"its own <Directory> never applies and `{denial}` of a parent does ({describe(node)}), "
                       f"so every request is refused: GET {url} is answered 403 (AH01630)")
            elif status == 404:
                why = f"nothing under it can be served: GET {url} is answered 404"
            elif status is not None:
                why = f"GET {url} is answered {status} ({outcome.reason})"
            else:
                why = "requests are refused or not found, depending on the grant of its nearest existing parent"
            what = describe(place.directive) if place.directive is not None else f"the default DocumentRoot {place.directory}"
            yield finding("APA102", "document-root-missing", "error",
                          f"{what}: {place.directory} does not exist ({first} is missing): {why}",
                          place.anchor, fs_path=first)

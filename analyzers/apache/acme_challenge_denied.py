"""APA109: a dot-directory rule that also refuses /.well-known/acme-challenge/."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import all_rewrites, describe, finding, location_sections, served_places
from .dotfile_rule_leaves_git import _denies

ACME = "/.well-known/acme-challenge/confcheck-token"

DOC = RuleDoc(
    what="Finds sites where `GET /.well-known/acme-challenge/<token>` is refused by a rule meant "
         "for hidden directories: a `<DirectoryMatch>` or `<LocationMatch>` deny matching `/\\.`, or "
         "a `RewriteRule` with `[F]` and no RewriteCond whose pattern matches the challenge path. "
         "A `<Location>` grant for /.well-known/acme-challenge/ (which wins over directory "
         "sections) keeps it quiet. Reads the configuration.",
    why="`/.well-known/` starts with a dot. `<DirectoryMatch \"/\\.\">` with `Require all denied` "
        "refuses the challenge with 403 `AH01630` (server-behavior row 29), and an `[F]` rewrite "
        "answers 403 with no log line at all; the certificate authority cannot read the token, so "
        "issuing or renewing the certificate fails. (`<FilesMatch \"^\\.\">` does not have this "
        "problem: it sees only the last component, row 27.)",
    example='<DirectoryMatch "/\\.">\n    Require all denied\n</DirectoryMatch>',
    fixed='<DirectoryMatch "/\\.(?!well-known)">\n    Require all denied\n</DirectoryMatch>',
    fix_safety="Only challenge tokens should live under /.well-known/acme-challenge/: whatever "
               "is there becomes readable.",
    references=("https://httpd.apache.org/docs/2.4/mod/core.html#directorymatch",
                "https://letsencrypt.org/docs/challenge-types/#http-01-challenge"),
)


def _plain_http(server) -> bool:
    return server.node is None or any(port in ("80", "*") for _host, port in server.addresses)


def _refusal(ctx, target, place):
    conf, server = target.conf, place.server
    challenge_dir = place.directory.rstrip("/") + "/.well-known/acme-challenge/"
    locs = location_sections(conf, server, ACME)
    if locs:
        from ._common import _require_lines, _state_of
        last = [s for s in locs if _require_lines(s)]
        if last:
            state, node = _state_of(_require_lines(last[-1]))
            if state == "denied":
                return node
            return None            # a Location decides, and it lets the challenge in
    for srv in ([conf.main] if server is conf.main else [conf.main, server]):
        for sec in srv.dirs:
            if sec.kind == "directorymatch" and sec.regex is not None \
                    and sec.regex.search(challenge_dir) and not sec.regex.search(place.directory.rstrip("/") + "/") \
                    and _denies(sec):
                return sec.node
    for rw in all_rewrites(ctx):
        if "f" not in rw.flags or rw.conds:
            continue
        if rw.section is None:
            if rw.where != server.describe():      # server-scope rules are not inherited by vhosts
                continue
            subject = ACME
        elif rw.section.kind == "htaccess":
            if rw.section.pattern.rsplit("/", 1)[0] != place.directory.rstrip("/"):
                continue
            subject = ACME.lstrip("/")
        else:
            continue
        home = "" if rw.section is not None else "/"
        if rw.matches(subject) and not rw.matches(home):    # a whole-site refusal is APA115's
            return rw.node
    return None


@rule(id="APA109", name="acme-challenge-denied", severity="error", server="apache",
      summary="a dot-directory rule refuses /.well-known/acme-challenge/ (certificate renewal fails)", doc=DOC)
def check(ctx):
    seen: set[int] = set()
    for target in ctx.apache:
        for place in served_places(target):
            if place.kind not in ("docroot", "default") or not _plain_http(place.server):
                continue
            node = _refusal(ctx, target, place)
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            yield finding(
                "APA109", "acme-challenge-denied", "error",
                f"GET {ACME} is answered 403 by `{describe(node)}` under {place.directory}: Let's Encrypt's "
                "HTTP-01 challenge is refused, so certificates cannot be issued or renewed; exclude "
                "`.well-known` from the pattern (`/\\.(?!well-known)`)", node)

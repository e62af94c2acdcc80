"""APA109: a dot-directory rule that also refuses /.well-known/acme-challenge/."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import PROBE_FILE, all_rewrites, by_config, config_model, describe, finding, probe, same_directive, \
    section_of

ACME = ".well-known/acme-challenge/confcheck-token"

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


def _may_refuse(ctx, target, place) -> bool:
    """Cheap pre-filter: something that can refuse the challenge by its path applies to the
    server: a `<DirectoryMatch>` or `<Location*>` matching it, a forbidding rewrite, a .htaccess
    in the site."""
    from confcheck.servers.apache.sections import location_matches
    conf, server = target.conf, place.server
    challenge_dir = place.directory.rstrip("/") + "/.well-known/acme-challenge/"
    url = (place.url_for(place.directory) or "/") + ACME
    for srv in ([conf.main] if server is conf.main else [conf.main, server]):
        if any(s.kind == "directorymatch" and s.regex.search(challenge_dir) for s in srv.dirs):
            return True
        if any(location_matches(s, url) for s in srv.locs):
            return True
    cache = ctx.__dict__.setdefault("_apache_acme_forbidding", {})
    if id(target) not in cache:
        cache[id(target)] = {id(srv) for rw in all_rewrites(ctx, target) if rw.forbids for srv in rw.servers}
    if id(server) in cache[id(target)]:
        return True
    return ctx.fs is not None and any(h.place.server is server for h in ctx.survey(target).htaccess)


@rule(id="APA109", name="acme-challenge-denied", severity="error", server="apache", fixable=True,
      summary="a dot-directory rule refuses /.well-known/acme-challenge/ (certificate renewal fails)", doc=DOC)
def check(ctx):
    seen: set[int] = set()
    for target in ctx.apache:
        conf = target.conf
        model = None
        for place in target.served.places:
            if place.kind not in ("docroot", "default") or not _plain_http(place.server):
                continue
            if not _may_refuse(ctx, target, place):
                continue
            model = model or config_model(ctx, target)
            base = place.url_for(place.directory)
            outcome = probe(model, place.server, base + ACME)
            if not by_config(outcome):
                continue
            node = outcome.decided_by
            home = probe(model, place.server, base + PROBE_FILE)
            if by_config(home) and same_directive(home.decided_by, node):
                continue            # the whole site is refused: APA101/APA115's
            section = section_of(conf, node)
            anchor = section.node if section is not None and section.kind in ("directorymatch",
                                                                              "locationmatch") else node
            if id(anchor) in seen:
                continue
            seen.add(id(anchor))
            found = finding(
                "APA109", "acme-challenge-denied", "error",
                f"GET {base}{ACME} is answered 403 by `{describe(node)}` under {place.directory}: Let's Encrypt's "
                "HTTP-01 challenge is refused, so certificates cannot be issued or renewed; exclude "
                "`.well-known` from the pattern (`/\\.(?!well-known)`)", anchor)
            # imported with the first finding: nginx-only scans never load the Apache fixers
            from confcheck.fixers.apache_fixes import acme_exception
            found.fix = acme_exception(ctx, target, node)
            yield found

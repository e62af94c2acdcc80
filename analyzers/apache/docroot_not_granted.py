"""APA101: a DocumentRoot or Alias target that no `<Directory>` grants, under a deny-all `<Directory />`."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import PRIVATE_IPS, by_config, config_model, describe, finding, probe, probe_dir_url, section_of, served_places


def _inherited(conf, node, section, place) -> bool:
    """The deciding Require comes from above the place (a parent `<Directory>`, a
    `<DirectoryMatch>`, the server scope), not from a section or .htaccess written for it."""
    if section is None:
        # the server scope, or else a .htaccess the model read (deliberate)
        return any(n is node for srv in [conf.main, *conf.vhosts] for n in srv.scope)
    if section.kind == "directorymatch":
        return True
    if section.kind != "directory" or section.wildcard:
        return False
    return section.pattern.rstrip("/") != place.directory.rstrip("/")


_COMPAT = frozenset({"order", "allow", "deny", "satisfy", "authmerging"})


def _mixes(sections) -> bool:
    """A `<DirectoryMatch>` with Require, or mod_access_compat / AuthMerging anywhere: what can
    make an inherited section decide although the directory has its own Require."""
    for sec in sections:
        keys = {n.key for n in sec.directives()}
        if keys & _COMPAT or (sec.kind == "directorymatch" and "require" in keys):
            return True
    return False


def _granted_here(target, place, cache: dict) -> bool:
    """Cheap pre-filter: the place's own `<Directory>` holds a Require (so, with AuthMerging Off,
    no inherited Require can decide) and nothing can mix an inherited refusal back in."""
    conf, server = target.conf, place.server
    holders = [conf.main] if server is conf.main else [conf.main, server]
    for srv in holders:
        if id(srv) not in cache:
            cache[id(srv)] = _mixes(srv.dirs) or any(n.key in _COMPAT for n in srv.scope)
        if cache[id(srv)]:
            return False
    top = place.directory.rstrip("/") + "/"
    return any(sec.kind == "directory" and sec.pattern == top and any(n.key == "require" for n in sec.directives())
               for srv in holders for sec in srv.dirs)


DOC = RuleDoc(
    what="Finds `DocumentRoot`, `Alias` and `ScriptAlias` directories whose authorization, after "
         "httpd merges every `<Directory>` and `<Location>` that applies, is still the "
         "`Require all denied` of a parent such as Debian's `<Directory />`. Reads the "
         "configuration only.",
    why="Debian's apache2.conf denies `/` and grants only `/usr/share` and `/var/www`. A site "
        "moved to /srv/app or /home/alice/public_html, or an `Alias /static /opt/app/static`, "
        "inherits the deny: every request is answered 403 with `AH01630: client denied by server "
        "configuration` (server-behavior rows 40 and 41). The comment in apache2.conf says so, "
        "and it is the most common Apache 2.4 403 (real-world A2/A3).",
    example="<VirtualHost *:80>\n    DocumentRoot /srv/app/public\n</VirtualHost>",
    fixed="<VirtualHost *:80>\n    DocumentRoot /srv/app/public\n    <Directory /srv/app/public>\n"
          "        Require all granted\n    </Directory>\n</VirtualHost>",
    fix_safety="A grant publishes every file under the directory: keep secrets (.env, keys) out "
               "of it or deny them with `<Files>`.",
    references=("https://httpd.apache.org/docs/2.4/mod/core.html#directory",
                "https://httpd.apache.org/docs/2.4/upgrading.html#access"),
)


@rule(id="APA101", name="docroot-not-granted", severity="error", server="apache", fixable=True,
      summary="a DocumentRoot or Alias target has no <Directory> grant and inherits a deny-all (403)", doc=DOC)
def check(ctx):
    for target in ctx.apache:
        conf = target.conf
        model = config_model(ctx, target)
        mixes: dict = {}
        for place in served_places(target):
            if place.directive is None or place.variable:
                continue
            if _granted_here(target, place, mixes):
                continue            # its own <Directory> decides: the model is not asked
            url = probe_dir_url(place)
            outcome = probe(model, place.server, url) if url is not None else None
            if not by_config(outcome) or outcome.rule not in ("APA-require", "APA-access-compat"):
                continue
            node = outcome.decided_by
            section = section_of(conf, node)
            if not _inherited(conf, node, section, place):
                continue
            if any(not by_config(probe(model, place.server, url, client_ip=ip)) for ip in PRIVATE_IPS):
                continue            # an allow list (Require local, Require ip): deliberate
            where = section.where if section is not None else "the server scope"
            found = finding(
                "APA101", "docroot-not-granted", "error",
                f"{describe(place.directive)}: {place.directory} has no grant of its own, so "
                f"`{describe(node)}` of {where} ({node.file}:{node.line}) "
                f"applies and every request for {place.url_prefix} is answered 403 (AH01630) unless a deeper section "
                f"grants it; add "
                f"`<Directory {place.directory}> Require all granted </Directory>`",
                place.directive)
            # imported with the first finding: nginx-only scans never load the Apache fixers
            from confcheck.fixers.apache_fixes import docroot_grant
            found.fix = docroot_grant(ctx, target, place, node, section)
            yield found

"""APA103: 2.2-style Order/Allow/Deny and 2.4 Require in one section."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import ACCESS_COMPAT, describe, every_section, finding, htaccess_files, own_directives

DOC = RuleDoc(
    what="Finds sections (and .htaccess files) that use mod_access_compat's `Order`, `Allow`, "
         "`Deny` or `Satisfy` together with mod_authz_core's `Require`. Reads the configuration "
         "(and the .htaccess files the disk walk finds).",
    why="Both modules run, one after the other: mod_access_compat first, and with `Satisfy All` "
        "(the default) its refusal is final. `Order deny,allow` + `Deny from all` + `Require all "
        "granted` is a 403 logged as `AH01797` although the Require grants (server-behavior "
        "A35); `Order allow,deny` + `Allow from all` + `Require all denied` is a 403 `AH01630` "
        "(A36). The upgrade guide calls mixing them 'unexpected or inconclusive'. Half-converted "
        "2.2 configs are the usual source (real-world A1).",
    example="<Directory /var/www/app>\n    Order deny,allow\n    Deny from all\n    Require all granted\n</Directory>",
    fixed="<Directory /var/www/app>\n    Require all granted\n</Directory>",
    fix_safety="Converting changes who is let in only where the two sets disagreed; translate "
               "`Allow from 10.` to `Require ip 10` and `Deny from all` to `Require all denied`.",
    references=("https://httpd.apache.org/docs/2.4/upgrading.html#access",
                "https://httpd.apache.org/docs/2.4/mod/mod_access_compat.html"),
)


def _mixed(directives) -> tuple[object, object] | None:
    """(first Order/Allow/Deny/Satisfy, first Require) when both are there."""
    compat = next((n for n in directives if n.key in ACCESS_COMPAT), None)
    if compat is None:
        return None         # the common case: looked no further
    require = next((n for n in directives if n.key == "require"), None)
    return None if require is None else (compat, require)


@rule(id="APA103", name="access-compat-mixed", severity="error", server="apache", fixable=True,
      summary="Order/Allow/Deny and Require mixed in one section (403 from the module that did not mean it)",
      doc=DOC)
def check(ctx):
    seen: set[int] = set()
    for target in ctx.apache:
        for _server, section, _parents in every_section(target.conf):
            if id(section) in seen or section.kind.startswith("require") or section.kind in ("limit", "limitexcept"):
                continue
            seen.add(id(section))
            # Require inside a <Limit> of the same section still mixes with Order/Deny
            limits = [sub for sub in section.items if getattr(sub, "kind", "") in ("limit", "limitexcept")]
            pair = _mixed(own_directives(section) + [n for sub in limits for n in own_directives(sub)])
            if pair is not None:
                found = _finding(pair, section.where)
                if not limits:
                    # imported with the first finding: nginx-only scans never load the Apache fixers
                    from confcheck.fixers.apache_fixes import access_compat_fix
                    found.fix = access_compat_fix(ctx, target, own_directives(section), section.node)
                yield found
    for item in htaccess_files(ctx):
        if item.parsed is None:
            continue
        # a directive a Nonfatal= AllowOverride skips decides nothing: it mixes with nothing,
        # and converting it to Require would make it decide (a 200 turned 403)
        gone = _skipped(item)
        nodes = [n for n in item.parsed.nodes if n.children is None and id(n) not in gone]
        pair = _mixed(nodes)
        if pair is not None:
            found = _finding(pair, item.path)
            from confcheck.fixers.apache_fixes import access_compat_fix  # (as above)
            found.fix = access_compat_fix(ctx, item.target, nodes, None)
            yield found


def _skipped(item) -> set[int]:
    if item.override is None or item.target is None or item.settings is None:
        return set()
    from confcheck.servers.apache.htaccess import skipped_ids
    return skipped_ids(item.parsed.nodes, item.target.conf.modules, item.override,
                       item.settings.override_list)


def _finding(pair, where):
    compat, require = pair
    return finding(
        "APA103", "access-compat-mixed", "error",
        f"`{describe(compat)}` (mod_access_compat) and `{describe(require)}` (line {require.line}) "
        f"both decide access in {where}: mod_access_compat runs first and its refusal stands "
        "(403 AH01797 although Require grants, or 403 AH01630 the other way round); keep only the "
        "Require lines", compat)

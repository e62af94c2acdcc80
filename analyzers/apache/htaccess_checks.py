"""APA112 and APA113: .htaccess contents httpd refuses at request time (500)."""

from __future__ import annotations

from types import SimpleNamespace

from confcheck.registry import RuleDoc, rule

from ._common import _AnyModule, htaccess_files

ALL = frozenset({"Limit", "Options", "FileInfo", "AuthConfig", "Indexes"})

DOC_NOT_ALLOWED = RuleDoc(
    what="Finds .htaccess directives that the `AllowOverride` in force for their directory does "
         "not allow (`Require` or `Order` without `AuthConfig`/`Limit`, `Options` without "
         "`Options`, `RewriteRule` without `FileInfo`), and directives never allowed in a "
         ".htaccess (`DocumentRoot`, `<Directory>`, `Alias`). Reads the .htaccess files the disk "
         "walk finds; a .htaccess named alone is checked only for the never-allowed ones.",
    why="httpd reads the file on every request and stops at the first directive its override "
        "class forbids: **500** for every URL under the directory, logged at `[core:alert]` as "
        "`.htaccess: Require not allowed here` (server-behavior A3/A6/A8), without an AH code. "
        "Apps that ship a .htaccess (WordPress, Laravel, Nextcloud) assume `AllowOverride All`.",
    example="# apache2.conf: <Directory /var/www/> AllowOverride AuthConfig\n# /var/www/html/.htaccess:\nOptions -Indexes",
    fixed="<Directory /var/www/>\n    AllowOverride AuthConfig Options\n</Directory>",
    fix_safety="Each override class lets the files change more; `All` lets a compromised "
               "application rewrite its own access rules.",
    references=("https://httpd.apache.org/docs/2.4/mod/core.html#allowoverride",
                "https://httpd.apache.org/docs/2.4/howto/htaccess.html"),
)

DOC_INVALID = RuleDoc(
    what="Finds .htaccess files httpd cannot read: unknown or misspelled directives, directives "
         "of modules that are not loaded, sections left open or closed twice, an unclosed "
         "`<IfModule>` of a module that is not loaded, bad RewriteRule regexes, `Allow from` "
         "without addresses, invalid `Require ip` addresses. Only where AllowOverride lets "
         "httpd read the file (a lone .htaccess: always).",
    why="Every request under the directory is answered **500** and `[core:alert]` logs "
        "`.htaccess: Invalid command 'X', perhaps misspelled or defined by a module not included "
        "in the server configuration`, `<Files> was not closed.`, `Expected </IfModule> before "
        "end of configuration`, `RewriteRule: cannot compile regular expression` "
        "(server-behavior A9, A13-A18). An unclosed `<IfModule>` of a *loaded* module is "
        "accepted (A11).",
    example="<IfModule mod_rewrite.c>\n    RewriteEngine On\n    RewriteRule ^(.*$ index.php [L]",
    fixed="<IfModule mod_rewrite.c>\n    RewriteEngine On\n    RewriteRule ^(.*)$ index.php [L]\n</IfModule>",
    fix_safety="Display only: the intended rule is the author's.",
    references=("https://httpd.apache.org/docs/2.4/howto/htaccess.html",),
)


def _problems(ctx):
    """(Htaccess, message, node or span) for each file httpd would refuse; once per scan."""
    for item in htaccess_files(ctx):
        if item.parsed is None:
            continue
        if item.target is not None and not item.read_by_httpd:
            continue                     # AllowOverride None: never opened (APA111)
        own = [d for d in item.diags.items if d.severity == "error"] if item.target is not None else []
        if own:
            yield item, own[0].message, own[0].span
            continue
        modules = item.target.conf.modules if item.target is not None else _AnyModule()
        override = item.override if item.target is not None else ALL
        listed = item.settings.override_list if item.target is not None else frozenset()
        model = SimpleNamespace(conf=SimpleNamespace(modules=modules), fs=None)
        # imported with the first file: a scan without .htaccess files never loads the model
        from confcheck.servers.apache.htaccess import parse
        try:
            result = parse(item.path, item.parsed.source.data, model, override, listed)
        except Exception:  # noqa: BLE001 - the model's reader failing is not the user's problem
            continue
        if result.status is None and result.section is not None:
            result = _execute(item, result.section, modules)
        if result.status != 500 or (item.target is None and result.node is None):
            continue                     # a lone file's syntax errors are already scan errors
        message = result.message.split(": ", 1)[1] if ": " in result.message else result.message
        node = result.node
        span = _span_in(item.parsed, node)
        yield item, message, span


def _execute(item, section, modules):
    """The model's own reading of the directives (perdir.read_layer, as sections.apply does for
    a .htaccess): bad regexes, `Allow from` without hosts, invalid `Require ip`, `Options`
    beyond `AllowOverride Options=...`. A SimpleNamespace with httpd's 500, or status None."""
    from confcheck.servers.apache.perdir import OPT_ALL, OPT_MULTI, OPT_SYM_OWNER, DirectiveError, read_layer
    directory = item.path.rsplit("/", 1)[0] + "/"
    opts = item.settings.override_opts if item.settings is not None else OPT_ALL | OPT_SYM_OWNER | OPT_MULTI
    try:
        read_layer(section, directory, htaccess=True, override_opts=opts,
                   modules=modules if item.target is not None else None)
    except DirectiveError as exc:
        return SimpleNamespace(status=500, message=f"{item.path}: {exc.message}", node=exc.node)
    except Exception:  # noqa: BLE001 - the model's reader failing is not the user's problem
        pass
    return SimpleNamespace(status=None, message="", node=None)


def _span_in(parsed, node):
    """The model parsed its own copy: find the same directive in our parse (same offsets)."""
    if node is None:
        return None
    from confcheck.parsers.syntax import walk
    for mine in walk(parsed.nodes):
        if mine.span.start == node.span.start:
            return mine.span
    return None


def _finding(ctx, rule_id, name, item, message, span):
    from confcheck.findings import Finding
    where = item.path if item.target is None else item.path.rsplit("/", 1)[0] + "/"
    said = _answer(ctx, item)
    return Finding(rule=rule_id, name=name, severity="error",
                   message=(f"{item.path}: {message}: httpd cannot serve any request under {where}"
                            + (f"; {said}" if said else "")),
                   span=span, server="apache", fs_path=item.path if item.target is not None else None)


def _answer(ctx, item) -> str | None:
    """decide()'s answer to a request for the .htaccess's directory (a disk scan of a configuration only)."""
    if item.target is None or item.place is None or ctx.fs is None:
        return None
    from confcheck.analyzers.fs._answer import answered_in_place
    return answered_in_place(ctx, item.target, item.place, item.path.rsplit("/", 1)[0] or "/", True,
                             fs_path=item.path)


@rule(id="APA112", name="htaccess-not-allowed", severity="error", server="apache",
      summary="a .htaccess directive its AllowOverride class forbids (500 on every request)", doc=DOC_NOT_ALLOWED)
def check_not_allowed(ctx):
    for item, message, span in _problems(ctx):
        if message.endswith("not allowed here"):
            yield _finding(ctx, "APA112", "htaccess-not-allowed", item, message, span)


@rule(id="APA113", name="htaccess-invalid", severity="error", server="apache",
      summary="a .htaccess httpd cannot read: invalid command, unclosed section, bad regex (500)", doc=DOC_INVALID)
def check_invalid(ctx):
    for item, message, span in _problems(ctx):
        if not message.endswith("not allowed here"):
            yield _finding(ctx, "APA113", "htaccess-invalid", item, message, span)

"""APA111: a .htaccess file in a directory where `AllowOverride None` makes httpd ignore it."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import finding, htaccess_files

DOC = RuleDoc(
    what="Finds .htaccess files (the `AccessFileName`) inside served trees whose directory has "
         "`AllowOverride None` (the default since 2.3.9, and Debian's for `/` and `/var/www/`). "
         "Needs the disk.",
    why="With `AllowOverride None` httpd never opens the file: its `Require all granted` never "
        "grants, its `Deny from all` never protects (server-behavior A1/A4), and its rewrites "
        "never run, so an app's pretty URLs answer 404 and its front-controller setup silently "
        "does nothing (real-world A14). The file looks in force and is not.",
    example="<Directory /var/www/>\n    AllowOverride None\n</Directory>\n# /var/www/blog/.htaccess: WordPress rewrites",
    fixed="<Directory /var/www/blog>\n    AllowOverride All\n</Directory>",
    fix_safety="Enabling overrides lets the application's files change access rules; prefer "
               "copying the file's rules into the `<Directory>` section and keeping None.",
    references=("https://httpd.apache.org/docs/2.4/mod/core.html#allowoverride",),
)


@rule(id="APA111", name="htaccess-ignored", severity="warning", server="apache", needs_fs=True,
      summary="a .htaccess under AllowOverride None is silently ignored", doc=DOC)
def check(ctx):
    for item in htaccess_files(ctx):
        if item.target is None or item.read_by_httpd:
            continue
        node = item.settings.override_node
        anchor = node if node is not None else item.place.anchor
        where = f"`AllowOverride None` ({node.file}:{node.line})" if node is not None else \
            "the default `AllowOverride None`"
        yield finding(
            "APA111", "htaccess-ignored", "warning",
            f"{item.path} is never read: {where} is in force for its directory, so none of its rules "
            "apply (its grants, denials and rewrites are ignored); allow the overrides it needs or move "
            "its rules into the <Directory> section", anchor, fs_path=item.path)

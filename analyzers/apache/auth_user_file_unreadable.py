"""APA117: an AuthUserFile the worker cannot open (500 once credentials are sent)."""

from __future__ import annotations

import posixpath

from confcheck.fixers.config import permission_fix_for
from confcheck.registry import RuleDoc, rule
from confcheck.servers.apache.conf import iter_directives

from ._common import finding, htaccess_files

DOC = RuleDoc(
    what="Finds `AuthUserFile` password files (in the configuration and in .htaccess files "
         "Apache reads) that are missing or that the worker cannot read. Needs the disk.",
    why="mod_authn_file opens the file per request, as the worker, once the client sends "
        "credentials: failure is a **500** `AH01620: Could not open password file` (server-behavior "
        "row 45), for a missing file too (unlike nginx's 403). Before credentials are sent the "
        "client gets the 401 prompt, so the site looks fine until someone logs in.",
    example="AuthUserFile /etc/apache2/.htpasswd   # -rw------- root:root",
    fixed="chgrp www-data /etc/apache2/.htpasswd && chmod 640 /etc/apache2/.htpasswd",
    fix_safety="Give the worker's group read access rather than 'other': the file holds password hashes.",
    references=("https://httpd.apache.org/docs/2.4/mod/mod_authn_file.html",),
)


@rule(id="APA117", name="auth-user-file-unreadable", severity="error", server="apache", needs_fs=True, fixable=True,
      summary="an AuthUserFile is missing or unreadable by the worker (500 after login)", doc=DOC)
def check(ctx):
    from confcheck.fs.access import Checker
    from confcheck.servers.nginx.worker import IdentityProblem
    for target in ctx.apache:
        identity = ctx.identity(target)
        if isinstance(identity, IdentityProblem):
            continue
        checker = Checker(ctx.fs, identity)
        conf = target.conf
        nodes = []
        for server in [conf.main, *conf.vhosts]:
            nodes += [n for n in iter_directives([*server.perdir, *server.dirs, *server.locs]) if n.key == "authuserfile"]
        for item in htaccess_files(ctx):
            if item.target is target and item.read_by_httpd and item.parsed is not None:
                from confcheck.parsers.syntax import walk
                nodes += [n for n in walk(item.parsed.nodes) if n.key == "authuserfile"]
        seen: set[int] = set()
        for node in nodes:
            if id(node) in seen or not node.values:
                continue
            seen.add(id(node))
            path = node.values[0]
            if not path.startswith("/"):
                path = posixpath.normpath(posixpath.join(target.config.server_root, path))
            access = checker.check(path, "read")
            if access.not_checked is not None or access.ok or access.denial is None:
                continue
            problem = (f"the password file {path} does not exist" if access.denial.need == "missing"
                       else access.denial.detail)
            found = finding("APA117", "auth-user-file-unreadable", "error",
                          f"{problem}: the login prompt appears, but no credentials can be checked "
                          "(AH01620)", node, fs_path=access.denial.path)
            if access.denial.need != "missing":
                found.fix = permission_fix_for(ctx, target, [access], secret=True)
            yield found

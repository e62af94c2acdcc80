"""APA116: a .htaccess the worker cannot open where overrides are on (403 AH00529)."""

from __future__ import annotations

from confcheck.fixers.config import permission_fix_for
from confcheck.registry import RuleDoc, rule

from ._common import finding, htaccess_files

DOC = RuleDoc(
    what="Finds .htaccess files in served trees that Apache must read (AllowOverride is not "
         "None there) but its worker cannot: the file is not readable for the class that "
         "applies, or it is a directory. Needs the disk.",
    why="httpd refuses to serve a directory whose access rules it cannot check: every request "
        "under it is answered 403, logged at `[core:crit]` as `AH00529: .htaccess pcfg_openfile: "
        "unable to check htaccess file, ensure it is readable and that '...' is executable` "
        "(server-behavior A19, A22; with `AllowOverride None` the file is ignored, A20). Some "
        "hosting guides call it a 500; it is a 403.",
    example="-rw------- deploy:deploy /var/www/html/.htaccess   # AllowOverride All",
    fixed="chmod 644 /var/www/html/.htaccess",
    fix_safety="The file holds access rules, not secrets: world-readable is the norm.",
    references=("https://httpd.apache.org/docs/2.4/howto/htaccess.html",),
)


@rule(id="APA116", name="htaccess-unreadable", severity="error", server="apache", needs_fs=True, fixable=True,
      summary="a .htaccess the worker cannot read where AllowOverride is on (403 AH00529)", doc=DOC)
def check(ctx):
    from confcheck.analyzers.fs._answer import answered_in_place
    for item in htaccess_files(ctx):
        if item.target is None or not item.read_by_httpd:
            continue
        event = item.place and next((h.event for h in ctx.survey(item.target).htaccess if h.path == item.path), None)
        if event is None or event.blocked is not None:
            continue            # the directory itself is closed: FS101's finding
        directory = item.path.rsplit("/", 1)[0] + "/"
        if event.meta is not None and event.meta.kind == "dir":
            problem = f"{item.path} is a directory"
        elif event.denial is not None and event.denial.need in ("r", "label", "symlink"):
            problem = event.denial.detail
        else:
            continue
        node = item.settings.override_node
        said = answered_in_place(ctx, item.target, item.place, directory.rstrip("/") or "/", True, fs_path=item.path)
        found = finding(
            "APA116", "htaccess-unreadable", "error",
            f"{problem}: AllowOverride is on here, so httpd must read it and cannot serve any request under "
            f"{directory}" + (f"; {said}" if said else ""), node if node is not None else item.place.anchor,
            fs_path=item.path)
        if event.denial is not None and event.meta is not None and event.meta.kind != "dir":
            found.fix = permission_fix_for(ctx, item.target, [event.denial])
        yield found

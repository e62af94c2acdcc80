"""APA110: a DocumentRoot without any DirectoryIndex file where Indexes is off (403 AH01276)."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule

from ._common import disk_model, finding, probe, served_places

DOC = RuleDoc(
    what="Finds DocumentRoot directories (the home page `/`) in which none of the `DirectoryIndex` names "
         "in force exists while `Options` lacks `Indexes` (Debian's `<Directory />` sets only "
         "FollowSymLinks). Directories whose .htaccess takes over (`DirectoryIndex`, "
         "`FallbackResource`, rewrites) are left alone. Needs the disk.",
    why="For a URL ending in `/` mod_dir tries each DirectoryIndex name (Debian: index.html "
        "index.cgi index.pl index.php index.xhtml index.htm); when none exists and Indexes is off, "
        "mod_autoindex refuses: 403 `AH01276: Cannot serve directory ...: No matching "
        "DirectoryIndex (...) found, and server-generated directory index forbidden by Options "
        "directive` (server-behavior rows 16-17, real-world A7/A8). A build that has not produced "
        "index.html yet, or an app whose entry point is named differently, is the usual cause.",
    example="DocumentRoot /srv/app/public     # holds app.php only",
    fixed="DocumentRoot /srv/app/public\nDirectoryIndex app.php",
    fix_safety="`Options +Indexes` would publish a file listing instead: only for download areas.",
    references=("https://httpd.apache.org/docs/2.4/mod/mod_dir.html#directoryindex",
                "https://httpd.apache.org/docs/2.4/mod/core.html#options"),
)


@rule(id="APA110", name="directory-without-index", severity="error", server="apache", needs_fs=True,
      summary="a DocumentRoot has no DirectoryIndex file and Indexes is off (403 AH01276)", doc=DOC)
def check(ctx):
    for target in ctx.apache:
        conf = target.conf
        if "dir_module" not in conf.modules:
            continue
        model = disk_model(ctx, target)
        for place in served_places(target):
            if place.kind != "docroot":     # the home page; an Alias of assets is not browsed
                continue
            settings = place.settings
            if [n.lower() for n in settings.index_names] == ["disabled"]:
                continue
            outcome = probe(model, place.server, place.url_for(place.directory) or "/")
            if outcome is None or outcome.status != 403 or outcome.rule != "APA110":
                continue
            names = " ".join(settings.index_names)
            yield finding(
                "APA110", "directory-without-index", "error",
                f"GET {place.url_prefix} is answered 403 (AH01276): none of the DirectoryIndex files "
                f"({names}) exists in {place.directory} and Options has no Indexes; add the "
                "file or name the one that exists in DirectoryIndex", settings.index or place.anchor,
                fs_path=outcome.fs_path)

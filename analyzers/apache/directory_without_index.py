"""APA110: a DocumentRoot without any DirectoryIndex file where Indexes is off (403 AH01276)."""

from __future__ import annotations

import posixpath

from confcheck.registry import RuleDoc, rule
from confcheck.survey import apache_dir_sections

from ._common import finding, htaccess_files, served_places

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

_TAKES_OVER = frozenset({"directoryindex", "fallbackresource", "rewriterule"})


def _index_names(conf, place) -> tuple[list[str], object]:
    """The DirectoryIndex names in force for the place's directory, and the directive."""
    node = None
    for holder in ([conf.main] if place.server is conf.main else [conf.main, place.server]):
        for item in holder.perdir:
            if getattr(item, "key", None) == "directoryindex":
                node = item
    for sec in apache_dir_sections(conf, place.server, place.directory):
        for item in sec.directives():
            if item.key == "directoryindex":
                node = item
    if node is None:
        return ["index.html"], None
    return node.values, node


@rule(id="APA110", name="directory-without-index", severity="error", server="apache", needs_fs=True,
      summary="a DocumentRoot has no DirectoryIndex file and Indexes is off (403 AH01276)", doc=DOC)
def check(ctx):
    from confcheck.fs.model import NotChecked
    taken = {item.path.rsplit("/", 1)[0] for item in htaccess_files(ctx) if item.target is not None
             and item.override and item.parsed is not None
             and any(n.key in _TAKES_OVER for n in _all(item.parsed.nodes))}
    for target in ctx.apache:
        conf = target.conf
        if "dir_module" not in conf.modules:
            continue
        for place in served_places(target):
            if place.kind != "docroot" or place.autoindex:     # the home page; an Alias of assets is not browsed
                continue
            if place.directory.rstrip("/") in taken:
                continue
            names, node = _index_names(conf, place)
            if [n.lower() for n in names] == ["disabled"]:
                continue
            try:
                meta = ctx.fs.lstat(place.directory)
                if meta is None or meta.kind != "dir":
                    continue            # missing: APA102; a link: the walk judges it
                if any(ctx.fs.lstat(posixpath.join(place.directory, n)) is not None for n in names
                       if not n.startswith("/")) or any(n.startswith("/") for n in names):
                    continue
            except NotChecked:
                continue
            yield finding(
                "APA110", "directory-without-index", "error",
                f"GET {place.url_prefix} is answered 403 (AH01276): none of the DirectoryIndex files "
                f"({' '.join(names)}) exists in {place.directory} and Options has no Indexes; add the "
                "file or name the one that exists in DirectoryIndex", node or place.anchor,
                fs_path=place.directory)


def _all(nodes):
    from confcheck.parsers.syntax import walk
    return walk(nodes)

"""APA120: mod_evasive answers 403 under load, which looks like a permission denial (NGX114's Apache twin)."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule
from confcheck.servers.apache.evasive import limit
from confcheck.servers.outcome import under_load_403

from ._common import finding

DOC = RuleDoc(
    what="Finds a loaded mod_evasive (Debian's libapache2-mod-evasive) whose refusal status is "
         "403: DOSHTTPResponseCode unset or 403. Names the limits (DOSPageCount/DOSPageInterval, "
         "DOSSiteCount/DOSSiteInterval, DOSBlockingPeriod) with their lines.",
    why="A single request is never limited, but a client sending more than DOSPageCount requests "
        "for one page within DOSPageInterval seconds, or more than DOSSiteCount within "
        "DOSSiteInterval, is refused for DOSBlockingPeriod seconds, every request of it. With 403 "
        "the client and the access log cannot tell it from a `Require` or a file permission; the "
        "error log says `client denied by server configuration` (like httpd's own AH01630, but "
        "from `[evasive20:error]` and without the code). `confcheck explain` maps those lines to "
        "the limit; 429 (Too Many Requests) says what happened.",
    example="LoadModule evasive20_module /usr/lib/apache2/modules/mod_evasive20.so\nDOSPageCount 5\n"
            "DOSPageInterval 1",
    fixed="LoadModule evasive20_module /usr/lib/apache2/modules/mod_evasive20.so\nDOSPageCount 5\n"
          "DOSPageInterval 1\nDOSHTTPResponseCode 429",
    fix_safety="Clients and monitoring that treat 403 specially see 429 instead; the limit itself does not change.",
    references=("https://github.com/jzdziarski/mod_evasive/blob/master/README.md",),
)


@rule(id="APA120", name="evasive-status-403", severity="info", server="apache",
      summary="mod_evasive answers 403 under load, which looks like a permission denial", doc=DOC)
def check(ctx):
    for target in ctx.apache:
        found = limit(target.conf)
        if found is None or found.status != 403:
            continue
        node = found.status_node or found.directive
        what = ("`DOSHTTPResponseCode 403` makes mod_evasive's limits" if found.status_node is not None
                else "mod_evasive's limits (DOSHTTPResponseCode unset)")
        yield finding("APA120", "evasive-status-403", "info",
                      under_load_403(what, found.describe(), "`DOSHTTPResponseCode 429`"), node)

"""APA105: a `Require` line whose trailing words were meant as a comment."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule
from confcheck.servers.apache.conf import iter_directives

from ._common import describe, finding, htaccess_files

# providers that refuse a stray word (httpd -t: "ip address '#' appears to be invalid",
# "Argument for 'Require all' must be 'granted' or 'denied'")
STRICT = frozenset({"ip", "all", "local", "method", "forward-dns"})

DOC = RuleDoc(
    what="Finds `Require` lines with a `#` after the first word, such as "
         "`Require ip 10.0.0.1 # office`. Reads the configuration and .htaccess files.",
    why="Apache starts a comment only at the beginning of a line: the rest of the line is "
        "arguments. `Require ip 10.0.0.1 # office` asks for the address `#`, and httpd refuses to "
        "start (`ip address '#' appears to be invalid`); `Require all granted # ok` fails with "
        "`Argument for 'Require all' must be 'granted' or 'denied'`; in a .htaccess either is a "
        "500. For `Require user`/`group`/`host` the words are silently added as names.",
    example="Require ip 10.0.0.1 # office",
    fixed="# office\nRequire ip 10.0.0.1",
    fix_safety="Moving the words to their own comment line changes nothing else.",
    references=("https://httpd.apache.org/docs/2.4/configuring.html#syntax",),
)


@rule(id="APA105", name="require-trailing-comment", severity="error", server="apache", fixable=True,
      summary="a `# comment` after Require arguments is read as arguments (start-up failure or 500)", doc=DOC)
def check(ctx):
    nodes = []
    seen: set[int] = set()
    for target in ctx.apache:
        for server in [target.conf.main, *target.conf.vhosts]:
            nodes.extend(n for n in iter_directives([*server.perdir, *server.dirs, *server.locs]) if n.key == "require")
    for item in htaccess_files(ctx):
        if item.parsed is not None:
            from confcheck.parsers.syntax import walk
            nodes.extend(n for n in walk(item.parsed.nodes) if n.key == "require")
    for node in nodes:
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not any(a.value.startswith("#") for a in node.args):
            continue            # cheap first: no word starts a would-be comment
        values = node.values
        words = values[1:] if values[:1] == ["not"] else values
        at = next((i for i, v in enumerate(words) if v.startswith("#")), None)
        if at is None or at == 0:
            continue
        provider = words[0].lower()
        strict = provider in STRICT
        effect = ("httpd refuses to start (a .htaccess answers 500)" if strict
                  else f"they are added as {provider} names")
        found = finding(
            "APA105", "require-trailing-comment", "error" if strict else "warning",
            f"`{describe(node)}`: Apache comments start only at the beginning of a line, so "
            f"`{' '.join(words[at:])}` is read as arguments and {effect}; move the comment to its own line",
            node)
        # imported with the first finding: nginx-only scans never load the Apache fixers
        from confcheck.fixers.apache_fixes import require_comment
        found.fix = require_comment(ctx, None, node, at + (len(values) - len(words)), strict)
        yield found

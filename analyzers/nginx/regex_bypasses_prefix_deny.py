"""NGX104: a regex location answers URIs under a denied prefix location."""

from __future__ import annotations

from confcheck.findings import Finding
from confcheck.fixers.nginx_fixes import passing_clients, prefix_beats_regex
from confcheck.registry import RuleDoc, rule
from confcheck.servers.nginx.conf import iter_locations
from confcheck.servers.nginx.locations import find_location

from ._common import by_config, config_model, is_inside, probe
from ._shapes import shapes, sharing_on

EXTENSIONS = (".php", ".css", ".js", ".png", ".jpg", ".json", ".txt", ".html", ".xml", ".bak", ".sql", ".env")

DOC = RuleDoc(
    what="Finds prefix locations that refuse everything (`deny all`, `return 403/404`) whose "
         "URIs are nevertheless answered by a regex location elsewhere. Each denied prefix is "
         "probed with common file names (`<prefix>x.php`, `.css`, `.js`, `.png`, `.json`, `.bak`, "
         "`.sql`, `.env`...) through the model's location search.",
    why="nginx picks the longest matching prefix location, then tries the regex locations in "
        "order and lets the first one that matches win, unless the prefix location is `^~` (or "
        "`=`). So with `location /backup/ { deny all; }` and `location ~ \\.sql$ { ... }`, "
        "`GET /backup/db.sql` is served by the regex location and the deny never runs "
        "(server-behavior N18). A regex location nested *inside* the prefix inherits its deny "
        "and is safe (N19). This is a leak, not a 403.",
    example="location /private/ {\n    deny all;\n}\nlocation ~ \\.php$ {\n"
            "    fastcgi_pass unix:/run/php/php-fpm.sock;\n}",
    fixed="location ^~ /private/ {\n    deny all;\n}\nlocation ~ \\.php$ {\n"
          "    fastcgi_pass unix:/run/php/php-fpm.sock;\n}",
    fix_safety="Adding `^~` makes the prefix location final for its URIs: regex locations no "
               "longer see them. If some of them (PHP scripts under the prefix) must still run, "
               "nest that regex location inside the prefix location instead.",
    references=("https://nginx.org/en/docs/http/ngx_http_core_module.html#location",),
)


@rule(id="NGX104", name="regex-bypasses-prefix-deny", severity="warning", server="nginx", fixable=True,
      summary="a regex location serves URIs under a prefix location that denies them", doc=DOC)
def check(ctx):
    for target in ctx.nginx:
        model = config_model(ctx, target)
        table = shapes(model.http) if sharing_on(model) else None
        failures = model.failures if model.failures is not None else []
        done: dict = {}     # shape -> the server analysed, its plan and each finding's (clients let in, fix)
        for server in model.http.servers:
            key = table.key[id(server)] if table is not None else None
            if key is not None and key in done:
                yield from _look_alike(ctx, target, model, table, server, *done[key])
                continue
            before = len(failures)
            plan = _plan(model, server)
            made = []
            for loc, decided, leaks in plan:
                for found, uris in leaks:
                    passing = passing_clients(model, server, loc)
                    fix = prefix_beats_regex(ctx, target, model, server, loc, found, uris, passing)
                    head = _head(loc, found, uris)
                    made.append((passing, fix, head))
                    yield _finding(head, loc, decided, fix, loc.node, found.node)
            if key is not None and len(failures) == before:
                done[key] = (server, plan, made)


def _plan(model, server) -> list[tuple]:
    """[(denied prefix location, the directive that denies, [(regex location, URIs it takes)])]."""
    plan: list[tuple] = []
    regexes = [l for l in iter_locations(server) if l.modifier in ("~", "~*") and l.regex is not None]
    if not regexes:
        return plan         # nothing can answer in a prefix location's place
    for loc in iter_locations(server):
        if loc.modifier != "" or not loc.name or not loc.name.startswith("/"):
            continue
        outside = [l for l in regexes if not is_inside(l, loc)]
        if not outside:
            continue
        base = loc.name if loc.name.endswith("/") else loc.name + "/"
        denied = probe(model, server, base + "confcheck")
        if not by_config(denied, (403, 404, 444)) or not is_inside(
                find_location(server, base + "confcheck").location, loc):
            continue
        leaks: dict[int, tuple] = {}
        for ext in EXTENSIONS:
            uri = base + "x" + ext
            # only a regex location outside `loc` that matches can take the URI
            # (the full search below says whether one does)
            if not any(l.regex.search(uri) for l in outside):
                continue
            found = find_location(server, uri).location
            if found is None or is_inside(found, loc) or found.modifier not in ("~", "~*"):
                continue
            outcome = probe(model, server, uri)
            if outcome is None or by_config(outcome, (403, 404, 444)):
                continue
            leaks.setdefault(id(found), (found, []))[1].append(uri)
        if leaks:
            plan.append((loc, denied.decided_by, list(leaks.values())))
    return plan


def _look_alike(ctx, target, model, table, server, rep, plan, made):
    """The findings of `server`, a look-alike of `rep`: the same plan at the same places (the
    locations' names and the URIs are not renamed between look-alikes, their lines are), the
    same fixes moved to its text (made again where they cannot be moved)."""
    made = iter(made)
    locs = None
    for loc, decided, leaks in plan:
        # a directive outside the server (http level) is the same one for both
        decided = table.counterpart(rep, server, decided)
        loc_node = table.counterpart(rep, server, loc.node)
        for found, uris in leaks:
            passing, fix, head = next(made)
            if fix is not None:
                fix = table.moved_fix(fix, rep, server)
                if fix is None:
                    if locs is None:
                        locs = dict(zip(map(id, iter_locations(rep)), iter_locations(server)))
                    fix = prefix_beats_regex(ctx, target, model, server, locs[id(loc)], locs[id(found)],
                                             uris, passing)
            yield _finding(head, loc, decided, fix, loc_node, table.counterpart(rep, server, found.node))


def _head(loc, found, uris) -> str:
    """The start of the finding's message, up to the prefix location's line (the same for
    look-alikes: locations and URIs are not renamed)."""
    return f"{found.describe()} answers {', '.join(uris)}: the regex wins over {loc.describe()} (line "


def _finding(head: str, loc, decided, fix, loc_node, found_node) -> Finding:
    """NGX104's finding; `loc_node`, `decided` and `found_node`: the server's own (a look-alike's
    counterparts of its representative's)."""
    return Finding(
        "NGX104", "regex-bypasses-prefix-deny", "warning",
        f"{head}{loc_node.line}), whose `{decided.name} {' '.join(a.raw for a in decided.args)}` "
        f"never runs for them; make it `location ^~ {loc.name}` or nest the regex location inside it",
        found_node.span, "nginx", fix=fix)

"""Config fixes for the nginx rules (NGX1xx): the smallest edit that makes nginx
answer as the config meant, with a title that says what else changes.

Rules stay free of editing logic: a rule that found something calls one of
these with the nodes it already has and attaches the result as `fix=`.
Every function returns a `ConfigFix` or None (no edit that is clearly right).

| rule   | edit                                                            | applicability |
| NGX101 | `location ^~ /.well-known/acme-challenge/ {...}` before the     | safe          |
|        | dot-file regex (or `^~` on an existing acme prefix location)    |               |
| NGX102 | move the covering `deny` below the last `allow` it shadows      | safe (unsafe if rules in between change meaning) |
| NGX105 | the index file that exists, appended to `index`                 | safe (.html), unsafe (.php: other dirs run it) |
| NGX107 | trailing `/` on the alias                                       | safe          |
| NGX108 | trailing `/` on the location prefix                             | unsafe (`/prefix` alone leaves the location) |
| NGX109 | `root` without the repeated prefix                              | safe when the files are there, else unsafe |
| NGX110 | the refused methods added to `limit_except`                     | unsafe        |
| NGX111 | `none` / `blocked` / `*.domain` added to `valid_referers`       | unsafe        |
"""

from __future__ import annotations

import posixpath
import re

from confcheck.parsers.syntax import Node

from . import edits as E
from .config import UNSAFE, ConfigFix, config_fix

ACME_PREFIX = "/.well-known/acme-challenge/"


def _text(node: Node) -> str:
    return " ".join([node.name] + [a.raw for a in node.args])


# ---------------------------------------------------------------- NGX101


def acme_exception(ctx, target, server, holder) -> ConfigFix | None:
    """`holder`: the regex location whose deny/return refuses the ACME challenge.

    A `^~` prefix location wins over every regex location, so nginx never
    looks at the dot-file regex for those URIs. Only acme-challenge/ is opened
    (not all of /.well-known/ as a `(?!well-known)` lookahead would), and only
    for files that exist under the root.
    """
    from confcheck.servers.nginx.conf import Location, iter_locations

    loc = next((l for l in iter_locations(server) if l.node is holder), None)
    if loc is None or loc.modifier not in ("~", "~*"):
        return None
    siblings = [n for n in (loc.parent.children_nodes if loc.parent is not None else [])
                if n.children is not None and n.key == "location"]
    for node in siblings:
        values = node.values
        if len(values) == 1 and values[0].startswith(ACME_PREFIX.rstrip("/")) \
                and ACME_PREFIX.startswith(values[0].rstrip("/") + "/"):
            # `location /.well-known/acme-challenge/ {}` written without ^~: the regex wins
            edit = E.prepend_arg(node, "^~")
            return config_fix(ctx, target, [edit],
                              f"make `{_text(node)}` a `^~` location so that `{_text(holder)}` no longer "
                              "takes its URIs (no regex location applies under it any more)")
    lines = [f"location ^~ {ACME_PREFIX} {{", "\tdefault_type text/plain;", "}"]
    edit = E.insert_before(holder, lines)
    where = isinstance(loc.parent, Location) and f" in {loc.parent.describe()}" or ""
    return config_fix(ctx, target, [edit],
                      f"add `location ^~ {ACME_PREFIX}` before `{_text(holder)}`{where}: challenge "
                      f"tokens are served from the root; other files in {ACME_PREFIX} become readable "
                      "too, every other dot path stays refused")


# ---------------------------------------------------------------- NGX102


def allow_before_deny(ctx, target, rules: list[Node], deny: Node, dead: list[Node]) -> ConfigFix | None:
    """Move `deny` just below the last allow it shadows (first match wins)."""
    if not dead or any(n.source is not deny.source for n in dead):
        return None
    i = rules.index(deny)
    last = rules.index(dead[-1])
    between = rules[i + 1:last + 1]
    changed = [n for n in between if n not in dead and n.key == "allow"]
    edits = E.move_after(deny, dead[-1])
    allows = ", ".join(f"`{_text(n)}`" for n in dead)
    if changed:
        others = ", ".join(f"`{_text(n)}`" for n in changed)
        return config_fix(ctx, target, edits,
                          f"move `{_text(deny)}` below {allows}; {others} then also match before it "
                          "(check who they let in)", UNSAFE)
    return config_fix(ctx, target, edits,
                      f"move `{_text(deny)}` below {allows} so those clients are let in as the lines say; "
                      "everyone else is still refused")


# ---------------------------------------------------------------- NGX107 / NGX108 / NGX109


def alias_slash(ctx, target, alias: Node) -> ConfigFix | None:
    if not alias.args:
        return None
    edit = E.arg_suffix(alias.args[0], "/")
    return config_fix(ctx, target, [edit],
                      f"write `alias {alias.args[0].value}/;`: the separator the location's prefix "
                      "removed comes back; no other URI changes")


def location_slash(ctx, target, loc) -> ConfigFix | None:
    node = loc.node
    arg = next((a for a in node.args if a.value == loc.name), None)
    if arg is None:
        return None
    edit = E.arg_suffix(arg, "/")
    return config_fix(ctx, target, [edit],
                      f"write `location {'' if not loc.modifier else loc.modifier + ' '}{loc.name}/`: "
                      f"`{loc.name}../` no longer escapes the alias; `{loc.name}` without the slash (and "
                      f"`{loc.name}<anything>`) is then answered by another location", UNSAFE)


def root_parent(ctx, target, root: Node, new_root: str, files_there: bool | None) -> ConfigFix | None:
    if not root.args:
        return None
    edit = E.replace_arg(root.args[0], new_root)
    old = root.args[0].value.rstrip("/")
    if files_there:
        return config_fix(ctx, target, [edit],
                          f"write `root {new_root};`: the location's URIs then name the files in {old}/")
    return config_fix(ctx, target, [edit],
                      f"write `root {new_root};` (the location's URIs then name the files in {old}/; "
                      "confcheck could not check that they are there)", UNSAFE)


# ---------------------------------------------------------------- NGX105

INDEX_NAMES = ("index.html", "index.htm", "index.php", "default.html", "default.htm")
STATIC_INDEX = re.compile(r"\.(html?|xhtml|txt)$")
APP_KEYS = frozenset({"fastcgi_pass", "proxy_pass", "uwsgi_pass", "scgi_pass", "grpc_pass"})


def _index_candidate(fs, directory: str, server, url: str) -> str | None:
    """The first usual index file that exists in `directory` and that nginx
    would answer sensibly (a .php file only where a handler runs it)."""
    from confcheck.fs.model import FILE, LINK
    from confcheck.servers.nginx.locations import find_location

    found = {}
    try:
        for meta in fs.scandir(directory):
            if meta.kind in (FILE, LINK):
                found[posixpath.basename(meta.path)] = meta
    except Exception:  # noqa: BLE001 - cannot list it: no candidate
        return None
    for name in INDEX_NAMES:
        if name not in found:
            continue
        if STATIC_INDEX.search(name):
            return name
        loc = find_location(server, url + name).location
        handler = loc.handler() if loc is not None else None
        if handler is not None and handler.key in APP_KEYS:
            return name
    return None


def index_entry(ctx, target, server, scope, url: str, directory: str) -> ConfigFix | None:
    """Name the index file that exists in `index`, last (so it never wins over a
    file the list already names)."""
    if ctx.fs is None or directory is None:
        return None
    name = _index_candidate(ctx.fs, directory, server, url)
    if name is None:
        return None
    inherited = [v for n in scope.group("index") for v in n.values]
    if name in (inherited or ["index.html"]):
        return None      # already listed: the 403 has another cause (a link, the disk), not the list
    if name in inherited:
        return None
    # the level the list comes from, when it is this server or inside it
    own = []
    level = scope
    while level is not None and level.kind in ("location", "server"):
        if level.own("index"):
            own = level.own("index")
            break
        level = level.parent
    if own:
        edit = E.append_arg(own[-1], name)
        what = f"add {name} to `{_text(own[-1])}`"
    else:
        names = inherited or ["index.html"]
        line = "index " + " ".join(E.nginx_word(v) for v in names + [name]) + ";"
        block = scope.node
        anchor = next((n for n in reversed(scope.children_nodes)
                       if n.children is None and n.key in ("root", "alias") and n.source is block.source), None)
        edit = E.insert_after(anchor, line) if anchor is not None else E.insert_child(block, line)
        what = f"add `{line}` to {scope.describe()}"
    if STATIC_INDEX.search(name):
        return config_fix(ctx, target, [edit],
                          f"{what}: {url} then serves {posixpath.join(directory, name)}; other "
                          f"directories without the earlier index files serve their {name} too")
    return config_fix(ctx, target, [edit],
                      f"{what}: {url} then runs {posixpath.join(directory, name)}; so does every other "
                      f"directory URL whose directory holds {name}", UNSAFE)


# ---------------------------------------------------------------- NGX110 / NGX111


def limit_except_methods(ctx, target, loc, block, methods: list[str]) -> ConfigFix | None:
    node = block.node
    present = {v.upper() for v in node.values}
    missing = [m for m in methods if m not in present]
    if not missing:
        return None
    pos = node.args[-1].span.end if node.args else node.name_span.end
    edit = E.Edit(node.source, pos, pos, E.encode(" " + " ".join(missing)))
    return config_fix(ctx, target, [edit],
                      f"let {' and '.join(methods)} through `{_text(node)}` in {loc.describe()}: every "
                      "client may then send them (the application must check writes itself)", UNSAFE)


def referer_additions(ctx, target, node: Node, additions: list[str]) -> ConfigFix | None:
    """`additions`: 'none', 'blocked' and '*.domain' (after the bare domain it widens)."""
    if not node.args:
        return None
    first = [a for a in ("none", "blocked") if a in additions]
    edits = []
    if first:
        edits.append(E.Edit(node.source, node.args[0].span.start, node.args[0].span.start,
                            E.encode(" ".join(first) + " ")))
    for extra in additions:
        if not extra.startswith("*."):
            continue
        host = extra[2:]
        arg = next((a for a in node.args if a.value.split("/", 1)[0].lower() == host), None)
        if arg is None:
            continue
        edits.append(E.Edit(node.source, arg.span.end, arg.span.end, E.encode(" " + extra)))
    if not edits:
        return None
    said = ", ".join(f"`{a}`" for a in additions)
    return config_fix(ctx, target, edits,
                      f"add {said} to valid_referers: those visitors are served; anyone can then fetch "
                      "the files directly (hotlinking from other sites stays refused)", UNSAFE)

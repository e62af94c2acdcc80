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
| NGX103 | the outer allow/deny lines repeated after the location's own    | safe          |
|        | (replaced list); `allow all;` in a public location that         | safe (static), unsafe (proxied) |
|        | inherits a deny                                                 |               |
| NGX104 | `^~` on the denying prefix location (it refuses every client)   | safe (unsafe if the regex names the prefix) |
|        | or a copy of the regex location nested in it (an allow list     | safe / unsafe (other settings, regex order) |
|        | lets some clients in); `^~` when the regex has no handler       | unsafe        |
| NGX106 | the fallback's own index file added to `index` (NGX105's edit), | unsafe (.php) |
|        | else `$uri/` dropped from try_files when the fallback answers   | unsafe        |
| NGX112, NGX113, FS104, FS106 | advice only (which was meant is the operator's) | display-only |
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


# ---------------------------------------------------------------- NGX104


def _unescape(pattern: str) -> str:
    return re.sub(r"\\(.)", r"\1", pattern)


def _block_lines(node: Node) -> list[str] | None:
    """The block `node` as lines relative to its own indentation (None when it
    does not own its lines, or its lines are indented less than it is)."""
    if not E.owns_line(node):
        return None
    indent = E.indent_of(node)
    text = E.node_text(node)
    lines = text.replace("\r\n", "\n").split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        if line.strip() == "":
            out.append("")
            continue
        if not line.startswith(indent):
            return None
        out.append(line[len(indent):])
    return out


def _last_own_child(block: Node) -> Node | None:
    children = [c for c in block.children or () if c.source is block.source]
    return children[-1] if children else None


def passing_clients(model, server, loc) -> list[str]:
    """Client addresses for which a URI answered inside the prefix location
    `loc` is not refused by the configuration: the addresses its allow lines
    name first; the usual public and private clients only when none of those
    gets through (a refusal by `if`, geo or map instead of an allow list)."""
    import ipaddress

    from confcheck.analyzers.nginx._common import PRIVATE_IPS, PUBLIC_IP, by_config, probe

    uri = (loc.name if loc.name.endswith("/") else loc.name + "/") + "confcheck"
    named = []
    for node in loc.group("access"):
        if node.key == "allow" and node.args and node.args[0].value != "all":
            try:
                net = ipaddress.ip_network(node.args[0].value, strict=False)
            except ValueError:
                continue
            named.append(str(net.network_address))

    def passes(ip: str) -> bool:
        return not by_config(probe(model, server, uri, client_ip=ip), (403, 404, 444))

    passing = [ip for ip in dict.fromkeys(named) if passes(ip)]
    if passing:
        return passing
    return [ip for ip in (PUBLIC_IP, *PRIVATE_IPS) if ip not in named and passes(ip)]


def prefix_beats_regex(ctx, target, model, server, loc, found, uris: list[str],
                       passing: list[str]) -> ConfigFix | None:
    """NGX104: `found` (a regex location) answers `uris` under the prefix location
    `loc`, which refuses them; `passing` is passing_clients(model, server, loc).

    - `loc` refuses every client tried and has no nested prefix locations: make it
      `^~`, so no regex location of its level is tried under it (safe; unsafe when
      the regex names the prefix itself: it looks written to open those URIs);
    - some clients get through `loc` (an allow list): they still need the regex's
      handling, so a copy of the regex location is nested inside `loc`, where it
      inherits `loc`'s allow/deny (nginx tries a prefix location's nested regexes
      before the outer ones);
    - neither possible: `^~` as unsafe when the regex location has no handler of
      its own (its settings are lost for the clients let in), else no fix (PHP
      under the prefix would be sent to those clients as it is).
    """
    node = loc.node
    nested_static = [l for l in loc.static if l.modifier != "="]
    found_text = f"location {found.modifier} {found.name}"
    leaked = ", ".join(uris)
    name_arg = next((a for a in node.args if a.value == loc.name), None)
    if name_arg is None:
        return None
    caret = E.Edit(node.source, name_arg.span.start, name_arg.span.start, E.encode("^~ "))
    if not passing and not nested_static:
        named = len(loc.name.rstrip("/")) > 1 and loc.name.rstrip("/") in _unescape(found.name)
        title = (f"make `location {loc.name}` a `^~` location: regex locations no longer answer URIs "
                 f"starting with {loc.name} ({leaked} went to `{found_text}`), so the location refuses "
                 f"them as it says; no other URI changes")
        if named:
            return config_fix(ctx, target, [caret],
                              title + f"; `{found_text}` names {loc.name.rstrip('/')} itself and looks "
                              "written to open some of those URIs: it stops answering them", UNSAFE)
        return config_fix(ctx, target, [caret], title)
    if passing:
        lines = _block_lines(found.node)
        anchor = _last_own_child(node)
        own_access = [n for n in found.group("access") if any(n is c for c in found.children_nodes)]
        if lines is not None and anchor is not None and E.owns_line(node) and not own_access \
                and not found.static and not found.regexes:
            edit = E.insert_after(anchor, lines)
            only_access = all(c.key in ("allow", "deny") for c in loc.children_nodes)
            level = found.parent.regexes if found.parent is not None else []
            first = bool(level) and level[0] is found
            same_level = found.parent is loc.parent
            allows = [f"`{_text(n)}`" for n in loc.group("access") if n.key == "allow"]
            clients = ", ".join(allows) if allows else ", ".join(passing[:3])
            title = (f"nest a copy of `{found_text}` inside `location {loc.name}`: URIs starting with {loc.name} it "
                     f"matches ({leaked}) are handled as before for the clients the location lets in "
                     f"({clients}) and refused for the others; the copy has to be kept in step with "
                     "the original")
            if only_access and first and same_level:
                return config_fix(ctx, target, [edit], title)
            why = []
            if not only_access:
                why.append(f"the copy takes `location {loc.name}`'s other settings (root, headers...) "
                           "instead of the server's")
            if not first or not same_level:
                why.append(f"it is tried before the regex locations that came before `{found_text}`")
            return config_fix(ctx, target, [edit], title + "; " + "; ".join(why), UNSAFE)
    if found.handler() is not None:
        return None     # files it runs would be sent as they are to the clients let in
    return config_fix(ctx, target, [caret],
                      f"make `location {loc.name}` a `^~` location: regex locations no longer answer URIs "
                      f"starting with {loc.name} ({leaked} went to `{found_text}`); the clients it lets in "
                      f"({', '.join(passing[:3]) or 'under its nested locations'}) no longer get "
                      f"`{found_text}`'s settings there", UNSAFE)


# ---------------------------------------------------------------- NGX103


def _rule_line(node: Node) -> str:
    return _text(node) + ";"


def _in_file_of(node: Node, block: Node) -> Node | None:
    """`node`, or the include directive in `block`'s file that brought it in."""
    while node is not None and node.source is not block.source:
        node = node.via
    return node


def repeat_outer_rules(ctx, target, loc, inner: list[Node], outer: list[Node], opened: list[str]) -> ConfigFix | None:
    """NGX103 (replaced list): the outer rules again, after the location's own.

    The location's own lines are tried first, so every address they name keeps
    its answer; an address they do not name is decided by the outer list again,
    as it is everywhere else in the server (the restriction the location lost).
    """
    anchor = _in_file_of(inner[-1], loc.node)
    if anchor is None or not outer:
        return None
    lines = [_rule_line(n) for n in outer]
    edit = E.insert_after(anchor, lines)
    said = " ".join(f"`{l}`" for l in lines)
    where = f"line {outer[0].line}" if outer[0].source is loc.node.source else \
        f"{outer[0].source.display_path}:{outer[0].line}"
    examples = f" ({', '.join(opened[:3])}...)" if opened else ""
    return config_fix(ctx, target, [edit],
                      f"repeat the outer list ({said}, {where}) in {loc.describe()} after its own rules: "
                      "the addresses its own lines name keep their answer; every other address is decided "
                      f"by the outer list again, so those it refuses{examples} get 403 there, as in the rest "
                      "of the server")


def public_allow_all(ctx, target, loc) -> ConfigFix | None:
    """NGX103 (public location inheriting a deny): `allow all;` as its own list."""
    edit = E.insert_child(loc.node, "allow all;")
    handler = loc.handler()
    nested = [l for l in (*loc.static, *loc.regexes) if not l.own("allow") and not l.own("deny")]
    extra = f"; so do its nested locations ({', '.join(l.describe() for l in nested)})" if nested else ""
    if handler is None:
        return config_fix(ctx, target, [edit],
                          f"add `allow all;` to {loc.describe()}: every client may fetch the files it "
                          f"serves{extra}; the rest of the server keeps its allow/deny list")
    return config_fix(ctx, target, [edit],
                      f"add `allow all;` to {loc.describe()}: every client reaches `{_text(handler)}` at "
                      f"these URIs{extra} (check that the application expects that); the rest of the "
                      "server keeps its allow/deny list", UNSAFE)


# ---------------------------------------------------------------- NGX106


def try_files_directory(ctx, target, server, scope, url: str, directory: str, node: Node) -> ConfigFix | None:
    """NGX106: `try_files ... $uri/ FALLBACK` stops at a directory without index.

    - the fallback is this directory's own index file (`/index.php?$args` for
      `GET /`, and index.php is there): name it in `index` (NGX105's edit), so the
      directory URL runs what the fallback would have run;
    - else drop the directory test(s) from try_files, when the fallback answers
      (a named location, or a URI the model does not refuse): directory URLs go
      to the fallback - and directories that have an index file stop serving it
      (unsafe).
    """
    from confcheck.analyzers.nginx._common import probe

    values = node.values
    fallback = values[-1]
    if not fallback.startswith("@"):
        path = fallback.split("?", 1)[0]
        name = posixpath.basename(path)
        if ctx.fs is not None and directory is not None and path == url + name \
                and _index_candidate(ctx.fs, directory, server, url) == name:
            fix = index_entry(ctx, target, server, scope, url, directory)
            if fix is not None:
                return fix
    model = ctx.request_model(target)
    if fallback.startswith("@"):
        named = server.named.get(fallback)
        if named is None:
            return None
    else:
        outcome = probe(model, server, _fill(fallback.split("?", 1)[0]))
        if outcome is None or (outcome.status is not None and outcome.status >= 400):
            return None     # the fallback would not answer either (missing, refused, a loop)
    tests = [a for a in node.args[:-1] if a.value.endswith("/")]
    if not tests:
        return None
    edits = []
    for arg in tests:
        i = node.args.index(arg)
        start = node.args[i - 1].span.end if i > 0 else node.name_span.end
        edits.append(E.Edit(node.source, start, arg.span.end, b""))
    dropped = " ".join(f"`{a.raw}`" for a in tests)
    return config_fix(ctx, target, edits,
                      f"drop {dropped} from `{_text(node)}`: {url} (and every directory URL of "
                      f"{scope.describe()}) goes to {fallback} instead of 403; directories that have an "
                      f"index file no longer serve it (they go to {fallback} too)", UNSAFE)


def _fill(text: str) -> str:
    return re.sub(r"\$\{?\w+\}?", "x", text)


# ---------------------------------------------------------------- advice (display-only)
# No edit is clearly right for these: which was meant is the operator's call.
# The advice says what to do; `confcheck fix` lists it and changes nothing.


def _advice(title: str, commands: list[str] | None = None):
    from confcheck.findings import Fix

    from .config import DISPLAY
    return Fix(applicability=DISPLAY, title=title, commands=list(commands or []))


def server_denies_advice(server, node: Node):
    """NGX112: a `deny all` / `return 403` that decides every request of a server."""
    said = f"`{_text(node)};` (line {node.line})"
    if node.key == "return":
        return _advice(f"remove {said} if {server.describe()} is meant to serve its site (a "
                       "maintenance leftover?), or move it into the location or `if` it is meant for; "
                       "confcheck cannot tell which")
    return _advice(f"remove {said} if {server.describe()} is meant to be public, or put `allow ADDRESS;` "
                   "lines for the clients that may use it before it; confcheck cannot tell which")


def rewrite_loop_advice(node: Node):
    """NGX113: the directive that keeps sending the request back to the location search."""
    said = f"`{_text(node)}`"
    if node.key == "rewrite" and len(node.args) >= 2:
        return _advice(f"make {said} leave its own result alone (exclude the target from the pattern, "
                       "e.g. with a `(?!...)` lookahead) or end it with `break` so the new URI is served "
                       "in this location; confcheck cannot tell which URIs it is meant for")
    if node.key == "try_files" and node.args:
        return _advice(f"create the fallback {node.args[-1].value} that {said} names, or end the list "
                       "with `=404` (a missing file is then a plain 404)")
    if node.key == "error_page" and node.args:
        return _advice(f"point {said} at a page that exists and that the location serving it does not "
                       "refuse or redirect again")
    return _advice(f"change {said} so that the URI it produces is answered without another redirect")


def root_missing_advice(directive: str, directory: str, missing: str):
    """FS104: a root/alias directory that does not exist."""
    if directive == "default root":
        return _advice(f"set `root` to the directory that holds the site ({directory}, nginx's default, "
                       "does not exist)")
    return _advice(f"point `{directive}` at the directory that holds the site, or deploy it to "
                   f"{directory} ({missing} is missing); confcheck cannot tell which was meant")


def auth_file_missing_advice(path: str):
    """FS106: an auth_basic_user_file that does not exist."""
    return _advice(f"create the password file with `htpasswd -c {path} USERNAME` (the users and "
                   "passwords are yours to choose), readable by the worker but not by everyone, or point "
                   "`auth_basic_user_file` at the file that exists")

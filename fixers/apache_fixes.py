"""Config fixes for the Apache rules (APA1xx): the smallest edit that makes httpd
answer as the config meant, with a title that says what else changes.

Rules stay free of editing logic: a rule that found something calls one of
these with the nodes it already has and attaches the result as `fix=`.
Every function returns a `ConfigFix` (or a display-only `Fix`) or None.

| rule   | edit                                                              | applicability |
| APA101 | `<Directory "dir"> Require all granted </Directory>` right after   | safe          |
|        | the DocumentRoot/Alias, in its VirtualHost                         |               |
| APA103 | Order/Allow/Deny/Satisfy written as the Require lines that let     | safe (exact)  |
|        | exactly the same clients in (Satisfy All = `<RequireAll>`,         | unsafe when the 2.2 lines |
|        | Satisfy Any = one list); dropped when they let everyone through    | refuse everyone: the Require |
|        |                                                                    | lines decide then |
| APA104 | the same conversion (no Require in the section: exact)            | safe; display-only |
|        |                                                                    | `a2enmod access_compat` otherwise |
| APA105 | the `# words` moved to a comment line above the Require           | safe (unsafe for user/group/host: those words were names) |
| APA108 | `<DirectoryMatch "/\\.git(/|$)"> Require all denied`               | safe          |
| APA109 | `<Location "/.well-known/acme-challenge/"> Require all granted`    | safe (unsafe when a plain |
|        | after the deny; a `RewriteCond` before an `[F]` rule               | `<Location>` denies on purpose) |
| APA114 | `Options +SymLinksIfOwnerMatch` in the .htaccess (when AllowOverride | safe        |
|        | lets it) or the `<Directory>` that holds the RewriteRule            |               |
| APA118 | the Require lines wrapped in `<RequireAll>` (with `Require all      | safe (unsafe for a lone |
|        | granted` for a lone negative)                                      | negative)     |
"""

from __future__ import annotations

import re

from confcheck.findings import Fix
from confcheck.parsers.syntax import Node
from confcheck.servers.apache.conf import iter_directives

from . import edits as E
from .config import DISPLAY, SAFE, UNSAFE, ConfigFix, checked_fix
from .diff import patch_base
from .edits import Edit

ACME_PREFIX = "/.well-known/acme-challenge/"
ACCESS_COMPAT = frozenset({"order", "allow", "deny", "satisfy"})
# wrappers that do not open a scope of their own: a Require or Order inside one
# belongs to the section around it
_WRAPPERS = frozenset({"ifmodule", "ifdefine", "ifversion", "ifdirective", "ifsection", "ifile",
                       "limit", "limitexcept", "requireall", "requireany", "requirenone"})


def _text(node: Node) -> str:
    return " ".join([node.name] + [a.raw for a in node.args])


def quote(value: str) -> str:
    """`value` as one Apache argument in double quotes."""
    return '"' + value.replace('"', '\\"') + '"'


def _fix(ctx, target, edits: list[Edit], title: str, applicability: str = SAFE) -> ConfigFix | None:
    """Like fixers.config.config_fix, with a patch base that also covers edited
    files outside the configuration (a .htaccess under the served tree)."""
    edits = [e for e in edits if e is not None]
    if not edits:
        return None
    root = getattr(ctx.options, "root", None)
    paths = [e.source.realpath for e in edits]
    targets = [target] if target is not None else list(getattr(ctx, "apache", []))
    paths += [sf.realpath for t in targets for sf in t.config.files.values()]
    return checked_fix(edits, patch_base(paths, root), title, applicability)


def _replace(nodes: list[Node], lines: list[str]) -> list[Edit] | None:
    """Remove `nodes` (whole lines, one file) and write `lines` where the first one was."""
    nodes = sorted(nodes, key=lambda n: n.span.start)
    if not nodes or any(n.source is not nodes[0].source or not E.owns_line(n) for n in nodes):
        return None
    first = nodes[0]
    out = []
    if lines:
        source = first.source
        start, _, _ = E.line_bounds(source, first.span.start)
        _, text_end, full_end = E.line_bounds(source, first.span.end)
        body = E.render_lines(lines, E.indent_of(first), source.newline, E.unit_of(source))
        if full_end == text_end:           # last line without a final newline
            body = body[: -len(source.newline)]
            full_end = text_end
        out.append(Edit(source, start, full_end, E.encode(body)))
    else:
        out.append(E.remove(first))
    out += [E.remove(n) for n in nodes[1:]]
    return out


def _nested_access(block_children) -> bool:
    """An access directive or Require container inside a wrapper (IfModule, Limit,
    Require*) of this scope: the section's rules are not all plain lines."""
    for child in block_children or ():
        if child.children is None:
            continue
        key = child.key
        if key.startswith("require"):
            return True
        if key in _WRAPPERS:
            stack = list(child.children)
            while stack:
                node = stack.pop()
                if node.key in ACCESS_COMPAT or node.key == "require" or node.key.startswith("require"):
                    return True
                if node.children and node.key in _WRAPPERS:
                    stack.extend(node.children)
    return False


# ---------------------------------------------------------------- APA101


def docroot_grant(ctx, target, place, node, section) -> ConfigFix | None:
    """`<Directory "dir"> Require all granted </Directory>` after the DocumentRoot/Alias.

    Only when a parent `<Directory>`'s `Require all denied` decides (a Location,
    an Order/Deny or a deny on the directory itself is a choice, not an omission).
    Only the grant is written: Options and AllowOverride stay what the parent
    sections give (Debian's `<Directory />`: FollowSymLinks, None), so nothing
    but the authorization changes.
    """
    directive = place.directive
    if directive is None or node is None or section is None or node.key != "require":
        return None
    if section.kind != "directory" or section.wildcard:
        return None
    directory = place.directory.rstrip("/") or "/"
    parent = section.pattern.rstrip("/") or "/"
    if parent == directory or not (parent == "/" or directory.startswith(parent + "/")):
        return None
    if ctx.fs is not None:
        try:
            meta = ctx.fs.lstat(directory)
        except Exception:  # noqa: BLE001 - cannot tell: treat it as a directory
            meta = None
        if meta is not None and meta.kind not in ("dir", "link"):
            return None        # an Alias to a file: a <Directory> of its own would not match it
    if not E.owns_line(directive):
        return None
    lines = [f"<Directory {quote(directory)}>", "\tRequire all granted", "</Directory>"]
    edit = E.insert_after(directive, lines)
    return _fix(ctx, target, [edit],
                f"grant {directory} with a <Directory> of its own after `{_text(directive)}`: every file "
                f"under it is then served at {place.url_prefix} (nothing else changes; keep secrets such "
                "as .env out of it)")


# ---------------------------------------------------------------- APA103 / APA104

_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){0,3}\.?(/(\d{1,2}|\d{1,3}(\.\d{1,3}){3}))?$")
_IPV6 = re.compile(r"^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(/\d{1,3})?$")


def _who(words: list[str]) -> str | list | None:
    """`Allow from`/`Deny from` words: "all", a list of Require lines (ip, host), or
    None when a word has no Require equivalent here (env=)."""
    ips, hosts = [], []
    for word in words:
        low = word.lower()
        if low == "all":
            return "all"
        if low.startswith("env="):
            return None
        if _IPV4.match(word) or _IPV6.match(word):
            ips.append(word)
        else:
            hosts.append(word)
    out = []
    if ips:
        out.append("ip " + " ".join(ips))
    if hosts:
        out.append("host " + " ".join(hosts))
    return out


def _compat_expr(nodes: list[Node]):
    """mod_access_compat's decision as a Require expression:
    "granted" | "denied" | ("any", [...]) | ("all", [...]), leaves "Require ..." strings;
    None when it cannot be written exactly."""
    order = "deny,allow"
    allows: list[str] = []
    denies: list[str] = []
    allow_all = deny_all = False
    for node in nodes:
        if node.key == "order":
            order = "".join(node.values).lower().replace(" ", "")
            continue
        if node.key == "satisfy":
            continue
        values = node.values
        if len(values) < 2 or values[0].lower() != "from":
            return None
        who = _who(values[1:])
        if who is None:
            return None
        if who == "all":
            if node.key == "allow":
                allow_all = True
            else:
                deny_all = True
        else:
            (allows if node.key == "allow" else denies).extend(who)
    if order not in ("deny,allow", "allow,deny", "mutual-failure"):
        return None
    pos = ("any", [f"Require {w}" for w in allows])
    neg = [f"Require not {w}" for w in denies]
    if order == "deny,allow":             # allowed = Allow or not Deny
        if not deny_all and not denies:
            return "granted"
        if allow_all:
            return "granted"
        if deny_all:
            return pos if allows else "denied"
        if not allows:
            return ("all", ["Require all granted", *neg])
        return None                       # "Allow or not Deny" with both partial
    # allow,deny (and mutual-failure): allowed = Allow and not Deny
    if deny_all or (not allow_all and not allows):
        return "denied"
    if allow_all:
        return "granted" if not denies else ("all", ["Require all granted", *neg])
    if not denies:
        return pos
    return ("all", [pos, *neg])


def _render(expr, top: bool = True) -> list[str]:
    """Lines with '\\t' depth markers; at the top an "any" needs no container."""
    if isinstance(expr, str):
        return [{"granted": "Require all granted", "denied": "Require all denied"}.get(expr, expr)]
    kind, items = expr
    if len(items) == 1:
        return _render(items[0], top)
    if kind == "any" and top:
        return [line for item in items for line in _render(item, True)]
    name = "RequireAny" if kind == "any" else "RequireAll"
    inner = [line for item in items for line in _render(item, False)]
    return [f"<{name}>", *["\t" + line for line in inner], f"</{name}>"]


def _describe_lines(nodes) -> str:
    return ", ".join(f"`{_text(n)}`" for n in nodes)


def access_compat_fix(ctx, target, nodes: list[Node], block: Node | None, *, not_loaded: bool = False):
    """Order/Allow/Deny/Satisfy of one scope (`nodes`: its plain directives, `block`:
    the section's node, None for a .htaccess) written as Require."""
    compat = [n for n in nodes if n.key in ACCESS_COMPAT]
    requires = [n for n in nodes if n.key == "require"]
    if not compat:
        return None
    parent = block
    if any(n.parent is not parent for n in compat + requires):
        return _advice(not_loaded)
    if _nested_access(block.children if block is not None else nodes):
        return _advice(not_loaded)
    expr = _compat_expr(compat)
    if expr is None:
        return _advice(not_loaded)
    satisfy = next((n.values[0].lower() for n in reversed(compat) if n.key == "satisfy" and n.values), "all")
    old = _describe_lines(compat)
    unsafe = False
    starts = ", and httpd starts without mod_access_compat" if not_loaded else ""
    if not requires:
        # With no Require of its own the section inherits the enclosing sections'
        # Require lines, and mod_access_compat's check comes on top of them (both
        # must pass, real-server tested): a plain `Require` would replace them.
        if satisfy == "any":
            return _advice(not_loaded)    # Satisfy Any with an inherited Require: leave it to a person
        if expr == "granted":
            lines, remove = [], compat
            title = (f"remove {old}: they let every client through, so the Require lines of the enclosing "
                     f"sections decide, as they already do{starts}")
        elif expr == "denied":
            lines, remove = _render(expr), compat
            title = f"write {old} as `Require all denied`: every client is refused, as before{starts}"
        else:
            if block is None or any(n.key == "authmerging" for n in block.children or ()):
                return _advice(not_loaded)
            lines, remove = ["AuthMerging And", *_render(expr)], compat
            title = (f"write {old} as `{'`, `'.join(l.strip() for l in lines)}`: the same clients are let in "
                     "(AuthMerging And keeps the enclosing sections' Require lines in force, as mod_access_compat "
                     f"did){starts}")
    else:
        req = [n for n in requires]
        req_expr = ("any", [_text(n) for n in req])
        denied = all([v.lower() for v in n.values][:2] == ["all", "denied"] for n in req)
        granted = any([v.lower() for v in n.values][:2] == ["all", "granted"] for n in req)
        if satisfy == "any":
            if expr == "granted":
                lines, remove = ["Require all granted"], compat + requires
            elif expr == "denied":
                lines, remove = [], compat
            else:
                lines, remove = _render(expr), compat
            title = (f"write {old} as Require lines next to {_describe_lines(req)} (Satisfy Any: either "
                     "lets a client in, as before)")
        elif expr == "granted" or denied:
            lines, remove = [], compat
            title = (f"remove {old}: " + ("they let every client through, so " if expr == "granted" else
                                          "the Require lines refuse everyone anyway, so ")
                     + f"{_describe_lines(req)} alone decide{'s' if len(req) == 1 else ''} as before")
        elif expr == "denied":
            lines, remove = [], compat
            unsafe = True
            title = (f"remove {old}: mod_access_compat refuses every client there now; without them "
                     f"{_describe_lines(req)} decide{'s' if len(req) == 1 else ''} who is let in "
                     "(check that this is who should be)")
        elif granted:
            lines, remove = _render(expr), compat + requires
            title = (f"write {old} as `{'`, `'.join(l.strip() for l in _render(expr))}` and drop "
                     f"{_describe_lines(req)} (which granted everyone, so the 2.2 lines decided): the same "
                     "clients are let in")
        else:
            lines, remove = _render(("all", [expr, req_expr])), compat + requires
            title = (f"write {old} and {_describe_lines(req)} as one <RequireAll> (Satisfy All: a client "
                     "needs both, as before)")
    if expr != "granted":
        deeper = _deeper_requires(target, block)
        if deeper:
            # real Apache: a deeper section's own Require does not lift the 2.2 lines it
            # inherits (mod_access_compat checks on top); a translated Require it replaces
            unsafe = True
            title += (f"; but {', '.join(s.where for s in deeper)} below {'has' if len(deeper) == 1 else 'have'} "
                      "Require lines of its own, which mod_access_compat's check restricts today: after the "
                      "change they alone decide there (add `AuthMerging And` to keep the restriction)")
    edits = _replace(remove, lines)
    if edits is None:
        return _advice(not_loaded)
    return _fix(ctx, target, edits, title, UNSAFE if unsafe else SAFE)


def _deeper_requires(target, block: Node | None) -> list:
    """<Directory> sections below `block`'s directory with Require lines of their
    own and no AuthMerging (the 2.2 lines of `block` restrict them today)."""
    conf = getattr(target, "conf", None)
    if block is None or block.key != "directory" or conf is None:
        return []
    servers = [conf.main, *conf.vhosts]
    mine = next((sec for srv in servers for sec in srv.dirs if sec.node is block), None)
    if mine is None or mine.regex is not None or mine.wildcard:
        return []
    top = mine.pattern.rstrip("/") + "/"
    out = []
    for srv in servers:
        for sec in srv.dirs:
            if sec is mine or sec.kind != "directory" or sec.regex is not None or not sec.pattern.startswith(top):
                continue
            keys = {n.key for n in iter_directives(sec.items)}
            if "require" in keys and "authmerging" not in keys:
                out.append(sec)
    return out


def _advice(not_loaded: bool):
    if not not_loaded:
        return None
    return Fix(applicability=DISPLAY,
               title="enable mod_access_compat (`a2enmod access_compat`, then restart), or rewrite the "
                     "Order/Allow/Deny lines as Require by hand",
               commands=["a2enmod access_compat"])


# ---------------------------------------------------------------- APA105


def require_comment(ctx, target, node: Node, at: int, strict: bool):
    """Move the words from the `#` argument (index `at` of node.args) to a comment line above."""
    args = node.args
    if at <= 0 or at >= len(args) or not E.owns_line(node):
        return None
    source = node.source
    start = args[at - 1].span.end
    _, text_end, _ = E.line_bounds(source, node.span.end)
    comment = source.slice(args[at].span.start, text_end).rstrip(" \t")
    if "\n" in source.slice(node.span.start, text_end):
        return None                        # a continued line: leave it to a person
    edits = [Edit(source, start, text_end, b""), E.insert_before(node, comment)]
    words = " ".join(a.raw for a in args[at:])
    if strict:
        return _fix(ctx, target, edits,
                    f"move `{words}` to a comment line above the Require: httpd starts (a .htaccess no "
                    "longer answers 500) and the Require means what its other words say")
    return _fix(ctx, target, edits,
                f"move `{words}` to a comment line above the Require: those words stop being accepted as "
                "names (a user or group really called so is no longer let in)", UNSAFE)


# ---------------------------------------------------------------- APA108


def _scope_anchor(node: Node) -> Node:
    """The ancestor of `node` written at server or VirtualHost level."""
    while node.parent is not None and node.parent.key != "virtualhost":
        node = node.parent
    return node


def git_deny(ctx, target, section_node: Node) -> ConfigFix | None:
    """A `<DirectoryMatch>` after the `<Files>` rule's section, at the level of its
    VirtualHost (or of the whole server when the rule is written there)."""
    anchor = _scope_anchor(section_node)
    if not E.owns_line(anchor):
        return None
    pattern = r"/\.git(/|$)"
    lines = [f"<DirectoryMatch {quote(pattern)}>", "\tRequire all denied", "</DirectoryMatch>"]
    edit = E.insert_after(anchor, lines)
    where = "the sites of this virtual host" if anchor.parent is not None else "every site of this server"
    return _fix(ctx, target, [edit],
                f"refuse .git directories with `<DirectoryMatch \"{pattern}\">` after {anchor.name} "
                f"(line {anchor.line}): /.git/ and everything in it is answered 403 on {where}; "
                "other dot paths (/.well-known/, /.github/) are not touched")


# ---------------------------------------------------------------- APA109


def acme_exception(ctx, target, node: Node) -> ConfigFix | None:
    """`node`: the DirectoryMatch/LocationMatch/Location (or its Require) or the [F]
    RewriteRule that refuses the challenge."""
    if node.key == "rewriterule":
        if not E.owns_line(node):
            return None
        edit = E.insert_before(node, r"RewriteCond %{REQUEST_URI} !^/\.well-known/acme-challenge/")
        return _fix(ctx, target, [edit],
                    f"add a RewriteCond before `{_text(node)}` so that it skips {ACME_PREFIX}: challenge "
                    "tokens are served; every other URI it matched is still refused")
    section = node
    while section is not None and section.children is None:
        section = section.parent
    if section is None or section.key not in ("directorymatch", "locationmatch", "location"):
        return None
    anchor = _scope_anchor(section)
    if not E.owns_line(anchor):
        return None
    lines = [f"<Location {quote(ACME_PREFIX)}>", "\tRequire all granted", "</Location>"]
    edit = E.insert_after(anchor, lines)
    text = _text(section)
    title = (f"add `<Location \"{ACME_PREFIX}\"> Require all granted` after <{text}>: a <Location> is "
             f"merged after every directory section, so {ACME_PREFIX} is served (whatever is in it "
             "becomes public, without the site's other access rules); every other dot path stays refused")
    return _fix(ctx, target, [edit], title, SAFE if section.key != "location" else UNSAFE)


# ---------------------------------------------------------------- APA114


def _allows_symlink_owner(override_node) -> bool:
    """AllowOverride lets a .htaccess set `Options +SymLinksIfOwnerMatch`."""
    if override_node is None:
        return False
    for word in override_node.values:
        low = word.lower()
        if low == "all":
            return True
        if low == "options":
            return True
        if low.startswith("options="):
            return "symlinksifownermatch" in [w.strip() for w in low[8:].split(",")]
    return False


def _top(node: Node) -> Node:
    while node.parent is not None:
        node = node.parent
    return node


def symlinks_for_rewrite(ctx, target, rewrite, settings=None) -> ConfigFix | None:
    """`Options +SymLinksIfOwnerMatch` where the per-directory RewriteRule runs
    (`settings`: the per-directory settings of a .htaccess's directory, looked up
    when not given)."""
    section = rewrite.section
    if section.kind == "htaccess" and settings is None:
        settings = _htaccess_settings(ctx, section.pattern)
    line = "Options +SymLinksIfOwnerMatch"
    if section.kind == "htaccess":
        top_nodes = [n for n in section.directives() if n.parent is None and n.source is rewrite.node.source]
        options = [n for n in top_nodes if n.key == "options"]
        if settings is not None and _allows_symlink_owner(getattr(settings, "override_node", None)):
            if options and E.owns_line(options[-1]):
                edit = _options_edit(options[-1], line)
            else:
                anchor = _top(rewrite.node)
                if not E.owns_line(anchor):
                    return None
                edit = E.insert_before(anchor, line)
            return _fix(ctx, target, [edit],
                        f"add `{line}` to {section.pattern}: mod_rewrite runs there again; symlinks are "
                        "followed only where link and target have the same owner")
        if options or settings is None:
            return None
        return _directory_options(ctx, target, settings, section.pattern.rsplit("/", 1)[0] or "/", line)
    if section.kind != "directory" or section.node is None:
        return None
    options = [n for n in section.node.children or () if n.key == "options" and E.owns_line(n)]
    edit = _options_edit(options[-1], line) if options else E.insert_child(section.node, line)
    return _fix(ctx, target, [edit],
                f"add `{line}` to {section.where}: mod_rewrite runs there again; symlinks are followed "
                "only where link and target have the same owner")


def _htaccess_settings(ctx, path: str):
    try:
        from confcheck.analyzers.apache._common import htaccess_files
        return next((i.settings for i in htaccess_files(ctx) if i.path == path), None)
    except Exception:  # noqa: BLE001 - no settings: no fix rather than a guess
        return None


def _options_edit(options: Node, line: str) -> Edit:
    """`+SymLinksIfOwnerMatch` appended to an Options line made of +/- words (core.c
    refuses to mix them with plain names), else a line of its own after it."""
    if options.args and all(a.value[:1] in "+-" for a in options.args):
        pos = options.args[-1].span.end
        return Edit(options.source, pos, pos, b" +SymLinksIfOwnerMatch")
    return E.insert_after(options, line)


def _directory_options(ctx, target, settings, directory: str, line: str) -> ConfigFix | None:
    """The line in the config's `<Directory>` of `directory` (a new one after the
    most specific section that applies when there is none)."""
    plain = [s for s in getattr(settings, "sections", ()) if s.kind == "directory" and s.node is not None]
    exact = [s for s in plain if (s.pattern.rstrip("/") or "/") == directory]
    if exact:
        sec = exact[-1]
        options = [n for n in sec.node.children or () if n.key == "options" and E.owns_line(n)]
        edit = _options_edit(options[-1], line) if options else E.insert_child(sec.node, line)
    elif plain and E.owns_line(plain[-1].node):
        edit = E.insert_after(plain[-1].node, [f"<Directory {quote(directory)}>", "\t" + line, "</Directory>"])
    else:
        return None
    return _fix(ctx, target, [edit],
                f"add `{line}` for {directory} in the configuration (AllowOverride does not let its "
                ".htaccess set it): mod_rewrite runs there again; symlinks are followed only where link "
                "and target have the same owner")


# ---------------------------------------------------------------- APA118


def require_all_wrap(ctx, target, nodes: list[Node], block: Node | None) -> ConfigFix | None:
    """Wrap the Require lines of one scope in `<RequireAll>` (positives as one
    `<RequireAny>` when there are several; `Require all granted` when none)."""
    requires = [n for n in nodes if n.key == "require"]
    if any(n.parent is not block for n in requires) or _nested_access(block.children if block is not None else nodes):
        return None
    positives = [n for n in requires if n.values[:1] != ["not"]]
    negatives = [n for n in requires if n.values[:1] == ["not"]]
    if not negatives:
        return None
    pos = [_text(n) for n in positives] or ["Require all granted"]
    inner = pos if len(pos) == 1 else ["<RequireAny>", *["\t" + p for p in pos], "</RequireAny>"]
    lines = ["<RequireAll>", *["\t" + l for l in inner], *["\t" + _text(n) for n in negatives], "</RequireAll>"]
    edits = _replace(requires, lines)
    if edits is None:
        return None
    neg = _describe_lines(negatives)
    if positives:
        return _fix(ctx, target, edits,
                    f"wrap the Require lines in <RequireAll>: {_describe_lines(positives)} let clients in and "
                    f"{neg} then takes away as written; httpd starts (a .htaccess no longer answers 500)")
    return _fix(ctx, target, edits,
                f"wrap {neg} in <RequireAll> with `Require all granted`: every other client is let in "
                "(the section's Require replaces what it inherited); httpd starts", UNSAFE)


__all__ = ["docroot_grant", "access_compat_fix", "require_comment", "git_deny", "acme_exception",
           "symlinks_for_rewrite", "require_all_wrap", "quote"]

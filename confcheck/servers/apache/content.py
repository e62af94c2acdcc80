"""URI to file (mod_alias, mod_userdir, core DocumentRoot) and what the
handlers do with the file (mod_dir, mod_autoindex, the default handler).

* translate: `Redirect*` then `Alias`/`AliasMatch`/`ScriptAlias*` (a prefix
  match at a segment boundary; the vhost's before the main server's), then
  `UserDir`, then DocumentRoot + URI.
* a directory: without its slash a 301 (DirectorySlash On); with it the
  DirectoryIndex names are looked up as sub-requests (a denied or unreadable
  candidate's status is kept when none is found); then mod_autoindex:
  403 AH01276 without Indexes, 403 AH01275 when the directory cannot be read.
* a file: GET/POST served (an unreadable one is 403 AH00132), OPTIONS 200,
  other methods 405; a missing one 404 (AH00128); path info after a file 404.
"""

from __future__ import annotations

import posixpath
import re



def alias_match(prefix: str, uri: str) -> int | None:
    """mod_alias alias_matches: length of `uri` consumed, None when it does not match."""
    a = prefix
    u = uri
    ai = ui = 0
    while ai < len(a):
        if a[ai] == "/":
            if ui >= len(u) or u[ui] != "/":
                return None
            while ai < len(a) and a[ai] == "/":
                ai += 1
            while ui < len(u) and u[ui] == "/":
                ui += 1
        else:
            if ui >= len(u) or u[ui] != a[ai]:
                return None
            ai += 1
            ui += 1
    if a and a[-1] != "/" and ui < len(u) and u[ui] != "/":
        return None
    return ui


def translate(st, uri: str):
    """(kind, value, node): ("redirect", url, status) / ("file", path) / ("script", path)."""
    conf = st.model.conf
    servers = [st.server] + ([conf.main] if st.server is not conf.main else [])
    for srv in servers:
        for node in srv.scope:
            key = node.key
            if key in ("redirect", "redirectmatch", "redirectpermanent", "redirecttemp"):
                found = _redirect(node, uri)
                if found is not None:
                    return ("redirect",) + found + (node,)
    for srv in servers:
        for node in srv.scope:
            key = node.key
            values = node.values
            if key in ("alias", "scriptalias") and len(values) >= 2:
                n = alias_match(values[0], uri)
                if n is not None:
                    return ("script" if key == "scriptalias" else "file", values[1] + uri[n:], None, node)
            elif key in ("aliasmatch", "scriptaliasmatch") and len(values) >= 2:
                m = re.search(values[0], uri)
                if m is not None:
                    target = re.sub(r"\$(\d)", lambda g: m.group(int(g.group(1))) or "", values[1])
                    return ("script" if key == "scriptaliasmatch" else "file", target, None, node)
    userdir = _userdir(st, uri)
    if userdir is not None:
        return userdir
    root = st.document_root()
    return ("file", root.rstrip("/") + uri if uri.startswith("/") else root + "/" + uri, None, st.docroot_node)


def _redirect(node, uri: str):
    values = node.values
    key = node.key
    status = 302
    if key == "redirectpermanent":
        status = 301
    if key in ("redirect", "redirectmatch") and values and values[0].lower() in (
            "permanent", "temp", "seeother", "gone") or (values and values[0].isdigit()):
        word = values[0].lower()
        status = {"permanent": 301, "temp": 302, "seeother": 303, "gone": 410}.get(word) or int(word)
        values = values[1:]
    if not values:
        return None
    if key == "redirectmatch":
        m = re.search(values[0], uri)
        if m is None:
            return None
        target = re.sub(r"\$(\d)", lambda g: m.group(int(g.group(1))) or "", values[1]) if len(values) > 1 else ""
        return target, status
    n = alias_match(values[0], uri)
    if n is None:
        return None
    return ((values[1] + uri[n:]) if len(values) > 1 else ""), status


def _userdir(st, uri: str):
    node = st.model.conf.server_value(st.server, "userdir")
    if node is None or "userdir_module" not in st.model.conf.modules or not uri.startswith("/~"):
        return None
    specs = [n for srv in ([st.server, st.model.conf.main]) for n in srv.scope if n.key == "userdir"
             and n.values and n.values[0].lower() not in ("disabled", "enabled")]
    if not specs:
        return None
    words = specs[0].values
    name, _, rest = uri[2:].partition("/")
    if not name:
        return None
    nodes = [n for srv in ([st.server, st.model.conf.main]) for n in srv.scope if n.key == "userdir"]
    disabled_all = False
    enabled: set[str] = set()
    disabled: set[str] = set()
    for n in nodes:
        vals = n.values
        if vals and vals[0].lower() == "disabled":
            if len(vals) == 1:
                disabled_all = True
            disabled.update(vals[1:])
        elif vals and vals[0].lower() == "enabled":
            enabled.update(vals[1:])
    if name in disabled or (disabled_all and name not in enabled):
        return None
    for spec in words:
        if spec.lower() in ("disabled", "enabled"):
            continue
        if "*" in spec:
            path = spec.replace("*", name, 1)
        elif spec.startswith("/"):
            path = posixpath.join(spec, name)
        else:
            home = st.home_of(name)
            if home is None:
                return None
            path = posixpath.join(home, spec)
        return ("file", path + ("/" + rest if rest or uri.endswith("/") else ""), None, specs[0])
    return None


# -- handlers ---------------------------------------------------------------------

def handler_for(st, walk) -> tuple[str | None, object]:
    """A handler that is not the static file one: (description, node) or (None, None)."""
    conf = walk.conf
    if conf.handler is not None and conf.handler.args:
        value = conf.handler.args[0].value
        if value.lower() not in ("none", "default-handler"):
            return value, conf.handler
    name = walk.filename.rsplit("/", 1)[-1].lower()
    exts = name.split(".")[1:]
    for ext, handler, node in conf.add_handlers:
        if ext in exts:
            return handler, node
    return None, None

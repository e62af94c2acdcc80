"""mod_negotiation's MultiViews in its common case (modules/mappers/mod_negotiation.c,
handle_multi and read_types_multi, the type_checker hook).

A request for a name that does not exist, in a directory with Options
MultiViews: the directory is read (a directory the worker cannot read is 403,
AH00686); every entry `name.*` that is not a directory is a candidate, looked
up as a subrequest (its own <Files> and access checks); a candidate counts when
that lookup allows it, it is a regular file, and every extension after the
name is one mod_mime knows (a type, language, encoding or charset in
TypesConfig or Add*; MultiviewsMatch's default) with a type or a handler among
them. Candidates but none counting: 404 (AH00687). One counting variant and no
Accept* header that could refuse it: it is served in place of the name (a
fast redirect; the path info stays). Several variants, or Accept headers that
choose among them: the answer is unknown, naming the Options line (the
negotiation algorithm's quality arithmetic is not modelled).
"""

from __future__ import annotations

import posixpath

from confcheck.servers.outcome import Final

_KINDS = {"addtype": "type", "addhandler": "handler", "addlanguage": "language", "addencoding": "encoding",
          "addcharset": "charset"}
DEBIAN_TYPES = "/etc/mime.types"     # Debian's mods-available/mime.conf: TypesConfig /etc/mime.types


def types_config(conf):
    """(TypesConfig node or None, the file mod_mime reads). mod_mime reads the main server's
    only (mime_post_config), relative to ServerRoot; without one, Debian's mime.conf's file
    (a lone vhost is read without the mime.conf of the main it belongs to)."""
    node = conf.main.last("typesconfig")
    if node is None or not node.values:
        return None, DEBIAN_TYPES
    path = node.values[0]
    return node, path if path.startswith("/") else posixpath.normpath(posixpath.join(conf.server_root, path))


def extensions(st) -> dict[str, set[str]] | None:
    """Extension (lower case) -> what mod_mime makes of it; None when TypesConfig cannot be read."""
    model = st.model
    cache = model.mime
    key = id(st.server)
    if key in cache:
        return cache[key]
    conf = model.conf
    path = types_config(conf)[1]
    data = model.fs.read_bytes(path) if model.fs is not None else None
    if data is None:
        cache[key] = None
        return None
    out: dict[str, set[str]] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        words = line.split("#", 1)[0].split()
        for ext in words[1:]:
            out.setdefault(ext.lower(), set()).update(("type", "type=" + words[0].lower()))
    servers = [conf.main] + ([st.server] if st.server is not conf.main else [])
    for srv in servers:
        for n in srv.scope:
            kind = _KINDS.get(n.key)
            if kind is not None:
                for ext in n.values[1:]:
                    out.setdefault(ext.lower().lstrip("."), set()).update(
                        (kind,) + ((f"type={n.values[0].lower()}",) if kind == "type" else ()))
    cache[key] = out
    return out


def multiviews(st, walk, lookup, opts_node):
    """The variant to serve in place of a missing name: `lookup(filename, uri, keep)` is the
    caller's subrequest (a Final, or (walk, script)). None when MultiViews does not act."""
    parent, _, base = walk.filename.rstrip("/").rpartition("/")
    if not base:
        return None
    parent = parent or "/"
    access = st.model.checker.check(parent, "list")
    if access.not_checked is not None:
        raise Final(None, f"MultiViews would read {parent}: {access.not_checked.reason}", opts_node)
    if not access.ok:
        raise Final(403, f"AH00686: cannot read directory for multi: {parent} ({access.denial.detail})",
                    opts_node, access.denial.path, "FS103")
    entries = sorted(m.path.rsplit("/", 1)[-1] for m in st.model.fs.scandir(access.resolved or parent)
                     if m.kind != "dir" and m.path.rsplit("/", 1)[-1].startswith(base + "."))
    if not entries:
        return None
    known = extensions(st)
    if known is None:
        _unknown(st, opts_node, f"MultiViews without the TypesConfig file {types_config(st.model.conf)[1]} "
                                "(which extensions mod_mime knows decides the variants)"
                                + ("; config-only: the disk is not read" if st.model.fs is None else
                                   "; it is missing here, and Apache with mod_mime does not start without it"))
    handlers = {ext for ext, *_ in walk.conf.add_handlers}
    uri_dir = st.uri.rsplit("/", 1)[0]
    variants = []
    for name in entries:
        kinds = [known.get(ext.lower(), set()) | ({"handler"} if ext.lower() in handlers else set())
                 for ext in name[len(base) + 1:].split(".")]
        if not all(kinds) or not any(k & {"type", "handler"} for k in kinds):
            continue            # mod_mime leaves an extension unknown: not a variant
        found = lookup(parent.rstrip("/") + "/" + name, f"{uri_dir}/{name}", False)
        if isinstance(found, Final) or found[0].meta is None or found[0].meta.kind != "file":
            continue
        variants.append((name, kinds))
    if not variants:
        raise Final(404, f"AH00687: Negotiation: discovered file(s) matching request: {walk.filename} (None "
                         f"could be negotiated): {', '.join(entries)}", opts_node)
    if len(variants) > 1:
        _unknown(st, opts_node, f"MultiViews chooses among {', '.join(n for n, _ in variants)} "
                                "(mod_negotiation's quality arithmetic)")
    name, kinds = variants[0]
    refusing = _accept_headers(st.request, kinds)
    if refusing:
        _unknown(st, opts_node, f"MultiViews found {name}; the request's {refusing} header may refuse it (406)")
    accept = st.request.header("accept")
    types = [k[5:] for k in kinds[-1] if k.startswith("type=")] or [k[5:] for ks in kinds for k in ks
                                                                     if k.startswith("type=")]
    if accept is not None and types:
        verdict = accepts(accept, types[0])
        if verdict is None:
            _unknown(st, opts_node, f"MultiViews found {name}; Accept: {accept} is not read")
        if not verdict:
            from confcheck.servers.apache.coverage import in_force
            force = in_force(st).get("forcelanguagepriority")
            if force is not None and "fallback" in [v.lower() for v in force.values]:
                _unknown(st, force, f"MultiViews found {name}, which Accept: {accept} refuses; "
                                    "ForceLanguagePriority Fallback may serve it anyway")
            raise Final(406, f"AH00690: no acceptable variant: {walk.filename} ({name} is {types[0]}; Accept: "
                             f"{accept})", opts_node)
    st.step("content", f"MultiViews: {base} negotiated to {name}", opts_node)
    path_info = walk.path_info
    chosen = lookup(parent.rstrip("/") + "/" + name, f"{uri_dir}/{name}", True)
    if isinstance(chosen, Final):
        raise chosen
    chosen[0].path_info = path_info
    return chosen[0], chosen[1]


def _unknown(st, node, why: str):
    """What the model does not follow decides: the answer is null naming `node` (decide.py)."""
    st.unknown_directive = (node, why)
    raise Final(None, f"not modelled: {why}", node)


def accepts(header: str, mime: str) -> bool | None:
    """Whether an Accept header takes a variant of type `mime` (the most specific
    matching range decides; q=0 or no match refuses); None when it cannot be read."""
    best: tuple[int, float] | None = None
    for item in header.split(","):
        parts = [p.strip() for p in item.split(";")]
        rng = parts[0].lower()
        if not rng:
            continue
        if "/" not in rng:
            return None
        q = 1.0
        for param in parts[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    return None
        major, _, minor = rng.partition("/")
        kind, _, sub = mime.partition("/")
        rank = 3 if rng == mime else 2 if (major == kind and minor == "*") else 1 if rng == "*/*" else 0
        if rank and (best is None or rank > best[0]):
            best = (rank, q)
    return best is not None and best[1] > 0


def _accept_headers(request, kinds) -> str | None:
    """The Accept-* header that could make the lone variant unacceptable (406), if any
    (Accept itself is read by accepts())."""
    for header, kind in (("accept-language", "language"), ("accept-charset", "charset"),
                         ("accept-encoding", "encoding")):
        if request.header(header) is not None and any(kind in k for k in kinds):
            return header.title()
    return None


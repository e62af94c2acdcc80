"""The per-directory configuration and how httpd merges it, module by module.

httpd gives a section a module's config only when one of that module's
directives appears in it (config.c ap_set_config_vectors), and merges only
those (ap_merge_per_dir_configs): a `<Directory>` without any mod_rewrite
directive leaves the inherited rules alone. Each module merges its own way:

* core `Options`: an absolute list replaces, `+X`/`-X` adjust what is
  inherited (merge_core_dir_configs); `AllowOverride` replaces.
* mod_authz_core: a section with `Require` replaces the inherited ones unless
  `AuthMerging And|Or` (merge_authz_core_dir_config).
* mod_access_compat has no merger at all: a section with any of
  `Order`/`Allow`/`Deny`/`Satisfy` replaces all four (defaults: `Order
  deny,allow`, no lists, Satisfy unset).
* mod_dir, mod_auth_*, mod_rewrite (state, base; rules replace unless
  `RewriteOptions Inherit`), mod_setenvif (appends).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from confcheck.parsers.syntax import Node
from confcheck.servers.apache.conf import AUTHZ_KINDS, LIMIT_KINDS, Section
from confcheck.servers.apache.coverage import key_of

# Methods httpd knows by number (HEAD is M_GET); anything else counts as OTHER.
METHODS = ("GET", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PROPFIND",
           "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "VERSION-CONTROL", "CHECKOUT",
           "UNCHECKOUT", "CHECKIN", "UPDATE", "LABEL", "REPORT", "MKWORKSPACE", "MKACTIVITY",
           "BASELINE-CONTROL", "MERGE", "OTHER")
ALL_METHODS = frozenset(METHODS)


def method_key(method: str) -> str:
    method = method.upper()
    if method == "HEAD":
        return "GET"
    return method if method in ALL_METHODS else "OTHER"


# Options bits (include/http_core.h)
OPT_INDEXES, OPT_INCLUDES, OPT_SYM_LINKS, OPT_EXECCGI = 1, 2, 4, 8
OPT_INC_WITH_EXEC, OPT_SYM_OWNER, OPT_MULTI = 32, 64, 128
OPT_ALL = OPT_INDEXES | OPT_INCLUDES | OPT_INC_WITH_EXEC | OPT_SYM_LINKS | OPT_EXECCGI
OPTION_NAMES = {"indexes": OPT_INDEXES, "includes": OPT_INCLUDES | OPT_INC_WITH_EXEC,
                "includesnoexec": OPT_INCLUDES, "followsymlinks": OPT_SYM_LINKS,
                "symlinksifownermatch": OPT_SYM_OWNER, "execcgi": OPT_EXECCGI,
                "multiviews": OPT_MULTI, "all": OPT_ALL, "none": 0}
OVERRIDE_CLASSES = ("Limit", "Options", "FileInfo", "AuthConfig", "Indexes")
# AllowOverride Nonfatal=Override|Unknown|All: kept in the same set as the classes (core.c keeps
# them in the same bit field: a later All or None drops them, and they alone make httpd read .htaccess)
NONFATAL_OVERRIDE, NONFATAL_UNKNOWN = "Nonfatal=Override", "Nonfatal=Unknown"
_NONFATAL = {"override": {NONFATAL_OVERRIDE}, "unknown": {NONFATAL_UNKNOWN}, "all": {NONFATAL_OVERRIDE, NONFATAL_UNKNOWN}}


def options_text(opts: int) -> str:
    names = [n for n, b in (("Indexes", OPT_INDEXES), ("FollowSymLinks", OPT_SYM_LINKS),
                            ("SymLinksIfOwnerMatch", OPT_SYM_OWNER), ("ExecCGI", OPT_EXECCGI),
                            ("Includes", OPT_INCLUDES), ("MultiViews", OPT_MULTI)) if opts & b]
    return " ".join(names) or "None"


class DirectiveError(Exception):
    """A directive httpd refuses while reading it (the message is httpd's)."""

    def __init__(self, message: str, node: Node | None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


@dataclass
class AuthzNode:
    """One `Require` line or `<Require*>` container (mod_authz_core's authz_section_conf)."""

    op: str | None            # "and" / "or" for containers, None for a Require line
    negate: bool = False
    provider: str = ""
    args: list[str] = field(default_factory=list)
    node: Node | None = None
    limited: frozenset = ALL_METHODS
    children: list["AuthzNode"] = field(default_factory=list)
    merged: bool = False      # built by AuthMerging

    def text(self) -> str:
        if self.op is None:
            return " ".join(["Require"] + (["not"] if self.negate else []) + [self.provider] + self.args)
        if self.merged:
            return "AuthMerging " + ("And" if self.op == "and" else "Or")
        name = {("and", False): "All", ("and", True): "NotAll", ("or", False): "Any", ("or", True): "None"}
        return f"<Require{name[(self.op, self.negate)]}>"


@dataclass
class AllowDeny:
    kind: str          # all | ip | host | env | nenv
    value: object
    node: Node
    limited: frozenset


@dataclass
class RewriteRuleSpec:
    node: Node
    pattern: str
    regex: object
    negate: bool
    target: str
    flags: dict
    conds: list


@dataclass
class RewriteCondSpec:
    node: Node
    test: str
    pattern: str
    flags: dict


@dataclass
class DirConf:
    # core
    opts: int = OPT_SYM_LINKS
    opts_add: int = 0
    opts_remove: int = 0
    opts_node: Node | None = None
    override: frozenset | None = frozenset()      # AllowOverride classes (empty = None)
    override_opts: int = OPT_ALL | OPT_SYM_OWNER | OPT_MULTI
    override_node: Node | None = None
    override_list: frozenset = frozenset()         # AllowOverrideList names (lower-case)
    files: tuple = ()                               # <Files*> sections in force, outer first
    ifs: tuple = ()                                 # <If> chains in force
    accept_path_info: str | None = None
    handler: Node | None = None                     # SetHandler
    add_handlers: tuple = ()                        # (extension, handler, node)
    auth_type: Node | None = None
    auth_name: Node | None = None
    auth_user_file: Node | None = None
    auth_basic_provider: Node | None = None
    # mod_dir
    index: Node | None = None                       # DirectoryIndex (None: the default index.html)
    index_names: tuple = ("index.html",)
    slash: bool | None = None
    fallback: Node | None = None
    # mod_authz_core
    authz: AuthzNode | None = None
    authz_op: str = "unset"
    authz_forbidden_on_fail: bool | None = None
    # a walk merges its sections among themselves, then onto what it started from
    # (request.c's now_merged): (section, op) at the walk's start, and of the group so far
    authz_walk_base: tuple | None = None
    authz_walk_group: tuple | None = None
    # mod_access_compat (replaced as a whole)
    order: dict = field(default_factory=dict)       # method -> "deny,allow" | "allow,deny" | "mutual-failure"
    order_node: Node | None = None
    allows: tuple = ()
    denys: tuple = ()
    satisfy: dict = field(default_factory=dict)     # method -> (value, node)
    access_compat_set: bool = False
    # mod_rewrite (per-directory)
    rw_engine: bool | None = None
    rw_engine_node: Node | None = None
    rw_options: frozenset = frozenset()
    rw_base: Node | None = None
    rw_rules: tuple = ()
    rw_directory: str | None = None
    rw_section: Section | None = None     # the section the rules come from
    # mod_setenvif
    setenvif: tuple = ()
    # mod_alias in directory context (fixups), mod_authz_groupfile
    redirects: tuple = ()
    auth_group_file: Node | None = None
    # directives no module of the model reads, by coverage.key_of (the coverage table decides)
    others: dict = field(default_factory=dict)
    # what the trace shows
    applied: list = field(default_factory=list)

    def copy(self) -> "DirConf":
        return dataclasses.replace(self, applied=list(self.applied))

    def order_for(self, method: str) -> str:
        return self.order.get(method_key(method), "deny,allow")

    def satisfy_for(self, method: str):
        return self.satisfy.get(method_key(method))


class _Layer:
    """One section's own configuration, module by module (only what it sets)."""

    def __init__(self) -> None:
        self.present: set[str] = set()
        self.opts: int | None = None      # absolute Options (None: only +/-)
        self.opts_add = 0
        self.opts_remove = 0
        self.opts_node: Node | None = None
        self.values: dict[str, object] = {}
        self.authz: AuthzNode | None = None
        self.authz_op = "unset"
        self.order: dict = {}
        self.allows: list = []
        self.denys: list = []
        self.satisfy: dict = {}
        self.rw_rules: list = []
        self.rw_pending: list = []
        self.files: list = []
        self.ifs: list = []
        self.setenvif: list = []
        self.add_handlers: list = []
        self.redirects: list = []
        self.others: dict = {}


# directive (lower-case) -> module group for the "present" test
_GROUP = {
    "options": "core", "allowoverride": "core", "allowoverridelist": "core", "acceptpathinfo": "core",
    "sethandler": "core", "authtype": "core", "authname": "core", "addhandler": "mime",
    "directoryindex": "dir", "directoryslash": "dir", "fallbackresource": "dir",
    "require": "authz", "authmerging": "authz", "authzsendforbiddenonfailure": "authz",
    "order": "access", "allow": "access", "deny": "access", "satisfy": "access",
    "rewriteengine": "rewrite", "rewriteoptions": "rewrite", "rewritebase": "rewrite",
    "rewritecond": "rewrite", "rewriterule": "rewrite",
    "authuserfile": "authn_file", "authbasicprovider": "auth_basic",
    "redirect": "alias", "redirectmatch": "alias", "redirectpermanent": "alias", "redirecttemp": "alias",
    "authgroupfile": "authz_groupfile", "userdir": "userdir",
    "setenvif": "setenvif", "setenvifnocase": "setenvif", "browsermatch": "setenvif",
    "browsermatchnocase": "setenvif", "setenvifexpr": "setenvif",
}


def read_layer(section: Section, directory: str | None, *, htaccess: bool = False,
               override_opts: int = OPT_ALL | OPT_SYM_OWNER | OPT_MULTI,
               modules: set[str] | None = None) -> _Layer:
    """Execute a section's directives the way httpd does while reading it.

    Raises DirectiveError with httpd's message for what httpd refuses.
    """
    from confcheck.servers.apache import authz as authz_mod
    from confcheck.servers.apache import rewrite as rewrite_mod

    layer = _Layer()
    layer.values["directory"] = directory
    layer.values["modules"] = modules
    layer.values["section"] = section

    def walk(items, limited: frozenset, authz_parent: AuthzNode | None) -> None:
        for item in items:
            if isinstance(item, Section):
                kind = item.kind
                if kind in LIMIT_KINDS:
                    methods = {method_key(m) for m in item.pattern.split()}
                    inner = frozenset(methods) if kind == "limit" else ALL_METHODS - methods
                    inner = inner & limited
                    if not inner:
                        raise DirectiveError(f"<{item.node.name}> directive excludes all methods", item.node)
                    walk(item.items, inner, authz_parent)
                elif kind in AUTHZ_KINDS:
                    layer.present.add("authz")
                    authz_mod.add_container(layer, item, limited, authz_parent, walk)
                elif kind in ("files", "filesmatch"):
                    layer.present.add("core")
                    layer.files.append(item)
                elif kind in ("if", "elseif", "else"):
                    layer.present.add("core")
                    layer.ifs.append(item)
                elif kind in ("directory", "directorymatch", "location", "locationmatch"):
                    raise DirectiveError(f"<{item.node.name}> cannot occur within <Directory/Location/Files> "
                                         "section" if not htaccess else
                                         f"<{item.node.name} not allowed here", item.node)
                continue
            key = item.key
            group = _GROUP.get(key)
            if group is None:
                layer.others[key_of(item)] = item
                continue
            layer.present.add(group)
            if key == "options":
                _options(layer, item, htaccess, override_opts)
            elif key == "allowoverride":
                if htaccess:
                    raise DirectiveError("AllowOverride not allowed here", item)
                layer.values["override"], opts = _allow_override(item)
                layer.values["override_node"] = item
                if opts is not None:
                    layer.values["override_opts"] = opts
            elif key == "allowoverridelist":
                if htaccess:
                    raise DirectiveError("AllowOverrideList not allowed here", item)
                names = [v.lower() for v in item.values]
                layer.values["override_list"] = frozenset() if names == ["none"] else frozenset(names)
            elif key == "acceptpathinfo" and item.args:
                layer.values["accept_path_info"] = item.args[0].value.lower()
            elif key == "sethandler":
                layer.values["handler"] = item
            elif key == "addhandler" and len(item.args) >= 2:
                for ext in item.values[1:]:
                    layer.add_handlers.append((ext.lower().lstrip("."), item.values[0], item))
            elif key == "authtype":
                layer.values["auth_type"] = item
            elif key == "authname":
                layer.values["auth_name"] = item
            elif key == "authuserfile":
                layer.values["auth_user_file"] = item
            elif key == "authbasicprovider":
                layer.values["auth_basic_provider"] = item
            elif key == "directoryindex":
                # mod_dir add_index: a second DirectoryIndex in the same section adds to the
                # list; `disabled` alone empties it (in a series it is a name like any other)
                names = item.values
                if len(names) == 1 and names[0].lower() == "disabled":
                    layer.values["index_names"] = ()
                else:
                    layer.values["index_names"] = layer.values.get("index_names", ()) + tuple(names)
                layer.values["index"] = item
            elif key == "directoryslash" and item.args:
                layer.values["slash"] = item.args[0].value.lower() != "off"
            elif key == "fallbackresource":
                layer.values["fallback"] = item
            elif key == "require":
                authz_mod.add_require(layer, item, limited, authz_parent)
            elif key == "authmerging" and item.args:
                value = item.args[0].value.lower()
                if value not in ("off", "and", "or"):
                    raise DirectiveError("AuthMerging must be one of: Off | And | Or", item)
                layer.authz_op = value
            elif key == "authzsendforbiddenonfailure" and item.args:
                layer.values["authz_forbidden_on_fail"] = item.args[0].value.lower() == "on"
            elif key in ("order", "allow", "deny", "satisfy"):
                authz_mod.add_access_compat(layer, item, limited)
            elif key.startswith("rewrite"):
                rewrite_mod.add_directive(layer, item)
            elif group == "setenvif":
                layer.setenvif.append(item)
            elif group == "alias":
                layer.redirects.append(item)
            elif key == "authgroupfile":
                layer.values["auth_group_file"] = item

    for node in section.skipped:
        group = _GROUP.get(node.key) or ("core" if node.children is not None else None)
        if group is not None:
            layer.present.add(group)
    walk(section.items, ALL_METHODS, None)
    if layer.rw_pending:
        # RewriteCond without a RewriteRule after it: httpd ignores them (with a warning)
        layer.rw_pending = []
    return layer


def _options(layer: _Layer, node: Node, htaccess: bool, override_opts: int) -> None:
    first = True
    merge = False
    all_none = False
    opts = layer.opts
    for word in node.values:
        action = ""
        if word[:1] in ("+", "-"):   # not `in "+-"`: an empty word ("") is in every string
            action, word = word[0], word[1:]
            if not merge and not first and not all_none:
                raise DirectiveError("Either all Options must start with + or -, or no Option may.", node)
            merge = True
        elif first:
            opts = 0
        elif merge:
            raise DirectiveError("Either all Options must start with + or -, or no Option may.", node)
        lw = word.lower()
        if lw not in OPTION_NAMES:
            raise DirectiveError(f"Illegal option {word}", node)
        bit = OPTION_NAMES[lw]
        if lw in ("none", "all"):
            all_none = True
            if action:
                raise DirectiveError(f"Illegal option {word}" if False else
                                     "Either all Options must start with + or -, or no Option may.", node)
        if htaccess and bit and not (override_opts & bit):
            raise DirectiveError(f"Option {word} not allowed here", node)
        if action == "-":
            layer.opts_remove |= bit
            layer.opts_add &= ~bit
            if opts is not None:
                opts &= ~bit
        elif action == "+":
            layer.opts_add |= bit
            layer.opts_remove &= ~bit
            if opts is not None:
                opts |= bit
        else:
            opts = (opts or 0) | bit
        first = False
    layer.opts = opts
    layer.opts_node = node


def _allow_override(node: Node) -> tuple[frozenset, int | None]:
    classes: set[str] = set()
    opts: int | None = None
    for word in node.values:
        key, eq, value = word.partition("=")
        key = key.lower()
        if key == "options":
            opts = OPT_ALL
            if eq:
                opts = 0
                for name in value.split(","):
                    bit = OPTION_NAMES.get(name.strip().lower())
                    if bit is None:
                        raise DirectiveError(f"Illegal option {name}", node)
                    opts |= bit
        if key == "all":
            classes = set(OVERRIDE_CLASSES)
        elif key == "none":
            classes = set()
        elif key == "nonfatal":
            classes |= _NONFATAL.get(value.lower(), set())     # core.c ignores another value
        else:
            for cls in OVERRIDE_CLASSES:
                if cls.lower() == key:
                    classes.add(cls)
                    break
            else:
                raise DirectiveError(f"Illegal override option {word}", node)
    return frozenset(classes), opts


def merge(base: DirConf, layer: _Layer, label: str) -> DirConf:
    """ap_merge_per_dir_configs(base, layer): each module that the layer has."""
    conf = base.copy()
    conf.applied.append(label)
    if layer.others:
        conf.others = {**conf.others, **layer.others}
    v = layer.values
    if "core" in layer.present:
        if layer.opts is None:        # only +/-: merge onto what is inherited
            conf.opts_add = (conf.opts_add & ~layer.opts_remove) | layer.opts_add
            conf.opts_remove = (conf.opts_remove & ~layer.opts_add) | layer.opts_remove
            conf.opts = (conf.opts & ~conf.opts_remove) | conf.opts_add
        else:
            conf.opts, conf.opts_add, conf.opts_remove = layer.opts, layer.opts_add, layer.opts_remove
        if layer.opts_node is not None:
            conf.opts_node = layer.opts_node
        if "override" in v:
            conf.override = v["override"]
            conf.override_node = v["override_node"]
        if "override_opts" in v:
            conf.override_opts = v["override_opts"]
        elif "override" in v:
            conf.override_opts = OPT_ALL | OPT_SYM_OWNER | OPT_MULTI
        if "override_list" in v:
            conf.override_list = v["override_list"]
        for key in ("accept_path_info", "handler", "auth_type", "auth_name"):
            if key in v:
                setattr(conf, key, v[key])
        conf.files = conf.files + tuple(layer.files)
        conf.ifs = conf.ifs + tuple(layer.ifs)
    if "mime" in layer.present:
        conf.add_handlers = tuple(layer.add_handlers) + conf.add_handlers
    if "dir" in layer.present:
        if "index" in v:
            conf.index = v["index"]
            conf.index_names = v["index_names"]
        if "slash" in v:
            conf.slash = v["slash"]
        if "fallback" in v:
            conf.fallback = v["fallback"]
    if "authn_file" in layer.present and "auth_user_file" in v:
        conf.auth_user_file = v["auth_user_file"]
    if "auth_basic" in layer.present and "auth_basic_provider" in v:
        conf.auth_basic_provider = v["auth_basic_provider"]
    if "authz" in layer.present:
        _merge_authz(conf, layer)
    if "access" in layer.present:
        conf.order = dict(layer.order)
        conf.order_node = v.get("order_node")
        conf.allows = tuple(layer.allows)
        conf.denys = tuple(layer.denys)
        conf.satisfy = dict(layer.satisfy)
        conf.access_compat_set = True
    if "rewrite" in layer.present:
        if "rw_engine" in v:
            conf.rw_engine = v["rw_engine"]
            conf.rw_engine_node = v["rw_engine_node"]
        if "rw_options" in v:
            conf.rw_options = v["rw_options"]
        if "rw_base" in v:
            conf.rw_base = v["rw_base"]
        conf.rw_directory = v.get("directory")
        conf.rw_section = v.get("section")
        if "inherit" in conf.rw_options:
            conf.rw_rules = tuple(layer.rw_rules) + conf.rw_rules
        else:
            conf.rw_rules = tuple(layer.rw_rules)
    if "alias" in layer.present:
        conf.redirects = tuple(layer.redirects) + conf.redirects
    if "authz_groupfile" in layer.present and "auth_group_file" in v:
        conf.auth_group_file = v["auth_group_file"]
    if "setenvif" in layer.present:
        conf.setenvif = conf.setenvif + tuple(layer.setenvif)
    return conf


def _merge_authz(conf: DirConf, layer: _Layer) -> None:
    new = (layer.authz, layer.authz_op)
    if conf.authz_walk_base is None:        # outside a walk: onto what is in force
        conf.authz, conf.authz_op = _authz_pair((conf.authz, conf.authz_op), new)
    else:
        group = conf.authz_walk_group
        conf.authz_walk_group = new if group is None else _authz_pair(group, new)
        conf.authz, conf.authz_op = _authz_pair(conf.authz_walk_base, conf.authz_walk_group)
    if "authz_forbidden_on_fail" in layer.values:
        conf.authz_forbidden_on_fail = layer.values["authz_forbidden_on_fail"]


def _authz_pair(base: tuple, new: tuple) -> tuple:
    """merge_authz_core_dir_config on (section, op) pairs. Not associative, which
    is why the walks group their sections first (walk_start): `AuthMerging Or`
    alone in a section after a denying one of the same walk carries the denial
    into an Or with what the walk started from."""
    (base_section, _), (new_section, new_op) = base, new
    if new_op == "unset" and new_section is None and base_section is not None:
        return base                             # only AuthzSendForbiddenOnFailure set
    if new_op in ("off", "unset") or not (base_section or new_section):
        return new
    if base_section and new_section:
        return AuthzNode(new_op, children=[base_section, new_section], merged=True,
                         limited=base_section.limited | new_section.limited, node=new_section.node), new_op
    return base_section or new_section, new_op


def walk_start(conf: DirConf) -> DirConf:
    """A walk (directory with its .htaccess files and DirectoryMatch, files, location, if)
    begins: its sections are merged among themselves, then onto `conf` (request.c)."""
    conf = conf.copy()
    conf.authz_walk_base, conf.authz_walk_group = (conf.authz, conf.authz_op), None
    return conf


def walk_end(conf: DirConf) -> DirConf:
    conf = conf.copy()
    conf.authz_walk_base = conf.authz_walk_group = None
    return conf

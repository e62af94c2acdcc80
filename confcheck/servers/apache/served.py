"""What an Apache configuration puts on the web, statically: the directories
DocumentRoot, Alias/AliasMatch, ScriptAlias and UserDir map URLs to, and the
per-directory configuration in force at each of them.

The per-directory configuration is the request model's own merge
(sections.apply_directory_sections over the server's lookup_defaults, then
`<DirectoryMatch>`), minus what needs a request or the disk: no .htaccess,
no `<Files>`/`<Location>`/`<If>`. The disk survey (confcheck/survey.py) walks
these places; rules that need a per-request answer ask decide() instead.

A `<Directory>` section inside a served tree whose settings differ from the
tree's (Options, AllowOverride) becomes a *covering* place of its own: the
survey judges the entries below it with its settings, the way the nginx
survey does per location.
"""

from __future__ import annotations

import dataclasses
import posixpath
from dataclasses import dataclass, field

from confcheck.fs.model import NotChecked
from confcheck.servers.apache.perdir import OPT_INDEXES, OPT_SYM_LINKS, OPT_SYM_OWNER, DirConf, walk_end, walk_start

# Debian's build (`apache2 -V`: -D DOCUMENT_LOCATION); upstream compiles in
# /usr/local/apache2/htdocs.
APACHE_DEFAULT_DOCROOT = "/var/www/html"


class _Quiet:
    """The little of decide.State that sections.apply needs, for a merge without a request."""

    def __init__(self, model) -> None:
        self.model = model

    def step(self, *_args, **_kwargs) -> None:
        pass


@dataclass(eq=False)
class ApachePlace:
    """A directory requests reach through DocumentRoot, Alias or UserDir (nginx Place's shape)."""

    server: object                # confcheck.servers.apache.conf.Server
    directive: object             # DocumentRoot / Alias / AliasMatch / ScriptAlias / UserDir node (None: default)
    kind: str                     # docroot | alias | script | userdir | default
    directory: str                # the served tree (what messages name)
    url_prefix: str
    served: "ApacheServed" = field(repr=False, default=None)
    variable: bool = False        # AliasMatch with $n: only the fixed part is known
    covers: str = ""              # the directory whose settings these are ("" = `directory`)
    section: object = None        # covering place: the <Directory> section that changes the settings

    @property
    def top(self) -> str:
        return self.covers or self.directory

    @property
    def settings(self) -> DirConf:
        """The per-directory configuration in force for `top` (no .htaccess)."""
        return self.served.dir_conf(self.server, self.top)

    @property
    def access_file(self) -> str:
        return self.served.access_file(self.server)

    @property
    def static(self) -> bool:
        return self.kind != "script"          # CGI programs are run, not read

    @property
    def anchor(self):
        return self.directive if self.directive is not None else self.server.node

    @property
    def autoindex(self) -> bool:
        return bool(self.settings.opts & OPT_INDEXES)

    @property
    def autoindex_node(self):
        return self.settings.opts_node if self.autoindex else None

    @property
    def follows_links(self) -> bool:
        return bool(self.settings.opts & (OPT_SYM_LINKS | OPT_SYM_OWNER))

    @property
    def owner_match(self) -> bool:
        """SymLinksIfOwnerMatch in force (it wins over FollowSymLinks: the owner check is made)."""
        return bool(self.settings.opts & OPT_SYM_OWNER)

    @property
    def symlinks(self) -> "SymlinkSettingLike":
        """The nginx-style policy closest to the Options in force (what permission fixes read)."""
        if self.owner_match:
            return SymlinkSettingLike("if_not_owner", None, "Options SymLinksIfOwnerMatch")
        if self.follows_links:
            return SymlinkSettingLike("off", None, "Options FollowSymLinks")
        return SymlinkSettingLike("on", None, "Options without FollowSymLinks or SymLinksIfOwnerMatch")

    def url_for(self, directory: str) -> str | None:
        """The URL (ending in /) that reaches `directory` inside this place, None when outside."""
        top = self.directory.rstrip("/")
        directory = directory.rstrip("/")
        if self.variable or not (directory == top or directory.startswith(top + "/")):
            return None
        rest = directory[len(top):].lstrip("/")
        prefix = self.url_prefix if self.url_prefix.endswith("/") else self.url_prefix + "/"
        return prefix + (rest + "/" if rest else "")


@dataclass(frozen=True, slots=True)
class SymlinkSettingLike:
    mode: str
    from_: str | None
    setting: str = ""      # the Options that decide it, for messages


@dataclass(eq=False)
class ApacheServed:
    conf: object                  # confcheck.servers.apache.conf.ApacheConf
    places: list[ApachePlace] = field(default_factory=list)
    user: object = None           # `User` node (None: compiled default)
    group: object = None
    _model: object = field(default=None, repr=False)
    _dir_confs: dict = field(default_factory=dict, repr=False)
    _sections: dict = field(default_factory=dict, repr=False)
    _covering: list | None = field(default=None, repr=False)

    @property
    def servers(self) -> list:
        """The servers requests reach: the virtual hosts, or the main server when there are none."""
        return list(self.conf.vhosts) or [self.conf.main]

    # -- the model's merge, without a request ---------------------------------------
    @property
    def model(self):
        if self._model is None:
            from confcheck.servers.apache.decide import Model
            self._model = Model(self.conf, None, None)
        return self._model

    def access_file(self, server) -> str:
        node = self.conf.server_value(server, "accessfilename")
        return node.values[0] if node is not None and node.values else ".htaccess"

    def _dir_sections(self, server) -> tuple[list, list]:
        key = id(server)
        if key not in self._sections:
            conf = self.conf
            dirs = list(conf.main.dirs) + (list(server.dirs) if server is not conf.main else [])
            plain = sorted((s for s in dirs if s.kind == "directory"), key=lambda s: s.components)
            self._sections[key] = (plain, [s for s in dirs if s.kind == "directorymatch"])
        return self._sections[key]

    def dir_conf(self, server, directory: str) -> DirConf:
        """The merged per-directory configuration of `directory` as the directory walk builds it
        when every component exists (server defaults, `<Directory>` shortest first,
        `<DirectoryMatch>`, merged as one walk); .htaccess files are not read. The other
        walks (`<Files>`, `<Location>`, `<If>`) need a request: rules ask decide()."""
        from confcheck.servers.apache.sections import WalkStop, apply, apply_directory_sections
        directory = directory.rstrip("/") or "/"
        key = (id(server), directory)
        hit = self._dir_confs.get(key)
        if hit is not None:
            return hit
        st = _Quiet(self.model)
        plain, regexes = self._dir_sections(server)
        # one walk, as directory_walk: its sections merge among themselves, then onto the
        # server defaults (request.c), which the authz merge is not indifferent to
        conf = walk_start(self.model.base_conf(server))
        parts = [p for p in directory.split("/") if p]
        idx = 0
        try:
            for seg in range(len(parts) + 1):
                dirpath = "/" + "".join(p + "/" for p in parts[:seg])
                conf, idx = apply_directory_sections(st, conf, plain, idx, seg + 1, dirpath)
            name = directory if directory == "/" else directory + "/"
            for sec in regexes:
                if sec.regex.search(name):
                    conf = apply(st, conf, sec, None)
        except WalkStop:
            pass            # a section httpd refuses: startup_errors reports it
        conf = walk_end(conf)
        self._dir_confs[key] = conf
        return conf

    def covering(self) -> list[ApachePlace]:
        """The places, plus one covering place per `<Directory>` inside a served tree whose
        merged settings differ from its parent's (what the survey looks up per directory)."""
        if self._covering is not None:
            return self._covering
        out: list[ApachePlace] = []
        for place in self.places:
            out.append(place)
            if not place.static or place.variable:
                continue
            plain, _ = self._dir_sections(place.server)
            top = place.directory.rstrip("/")
            for sec in plain:
                if sec.wildcard or not sec.pattern.startswith("/"):
                    continue
                path = sec.pattern.rstrip("/")
                if not path.startswith(top + "/"):
                    continue
                mine = self.dir_conf(place.server, path)
                parent = self.dir_conf(place.server, posixpath.dirname(path))
                if (mine.opts, mine.override, mine.override_list) == (parent.opts, parent.override,
                                                                       parent.override_list):
                    continue
                out.append(dataclasses.replace(place, covers=path, section=sec))
        self._covering = out
        return out


# -- building --------------------------------------------------------------------------

def _default_docroot(server_root: str) -> str:
    """The compiled-in DocumentRoot: distribution builds use /var/www/html; a source
    build (ServerRoot /usr/local/apache2, the Docker image) uses PREFIX/htdocs."""
    if server_root.startswith("/usr/local/") or server_root.startswith("/opt/"):
        return posixpath.join(server_root, "htdocs")
    return APACHE_DEFAULT_DOCROOT


def _norm_dir(path: str) -> str:
    return posixpath.normpath(path) if path.startswith("/") else path


def apache_served(conf, server_root: str, fs=None) -> ApacheServed:
    """DocumentRoot, Alias targets and UserDir directories of every server."""
    served = ApacheServed(conf, user=conf.main.last("user"), group=conf.main.last("group"))
    seen: set[tuple[int, str, str]] = set()

    def add(server, node, kind, directory, url, variable=False):
        directory = _norm_dir(directory if directory.startswith("/")
                              else posixpath.join(server_root, directory))
        key = (id(server), directory, url)
        if key in seen:
            return
        seen.add(key)
        served.places.append(ApachePlace(server, node, kind, directory, url, served, variable))

    # the main server's scope is searched for every vhost: its Alias-like directives are
    # picked out once (2,000 vhosts otherwise re-read it 2,000 times)
    main_aliases = _aliases(conf.main)
    for server in served.servers:
        node = conf.server_value(server, "documentroot")
        if node is not None and node.values:
            add(server, node, "docroot", node.values[0], "/")
        else:
            add(server, None, "default", _default_docroot(server_root), "/")
        for items in ([main_aliases, _aliases(server)] if server is not conf.main else [main_aliases]):
            for item in items:
                values = item.values
                if item.key in ("alias", "scriptalias") and len(values) >= 2:
                    add(server, item, "alias" if item.key == "alias" else "script", values[1], values[0])
                elif item.key in ("aliasmatch", "scriptaliasmatch") and len(values) >= 2:
                    fixed = values[1].split("$", 1)[0]
                    fixed = fixed if fixed.endswith("/") or "$" not in values[1] else posixpath.dirname(fixed)
                    if fixed.startswith("/"):
                        add(server, item, "alias" if item.key == "aliasmatch" else "script",
                            fixed, values[0], variable="$" in values[1])
        if "userdir_module" in conf.modules and fs is not None:
            for node, directory, url in _userdirs(conf, server, fs):
                add(server, node, "userdir", directory, url)
    return served


_ALIAS_KEYS = frozenset({"alias", "scriptalias", "aliasmatch", "scriptaliasmatch"})


def _aliases(server) -> list:
    """The Alias/ScriptAlias/AliasMatch/ScriptAliasMatch directives of a server's scope, in order."""
    return [item for item in server.scope if item.key in _ALIAS_KEYS]


def _userdirs(conf, server, fs):
    """(UserDir node, directory, /~user/) for each user whose UserDir directory exists."""
    nodes = [n for holder in ([conf.main, server] if server is not conf.main else [conf.main])
             for n in holder.all("userdir")]
    enabled = [n for n in nodes if n.values and n.values[0].lower() not in ("disabled", "enabled")]
    if not enabled:
        return
    disabled_all = any([v.lower() for v in n.values] == ["disabled"] for n in nodes)
    allowed = {u for n in nodes if n.values[:1] and n.values[0].lower() == "enabled" for u in n.values[1:]}
    refused = {u for n in nodes if n.values[:1] and n.values[0].lower() == "disabled" for u in n.values[1:]}
    data = fs.read_bytes("/etc/passwd") or b""
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        fields = line.split(":")
        if len(fields) < 7 or not fields[5].startswith("/"):
            continue
        user, home = fields[0], fields[5]
        if user in refused or (disabled_all and user not in allowed):
            continue
        node = enabled[-1]
        pattern = node.values[0]
        if pattern.startswith("/"):
            directory = pattern.replace("*", user) if "*" in pattern else posixpath.join(pattern, user)
        else:
            directory = posixpath.join(home, pattern)
        try:
            if fs.lstat(directory) is None:
                continue
        except NotChecked:
            continue
        yield node, directory, f"/~{user}/"


def reads_access_files(conf: DirConf) -> bool:
    """httpd opens the access file where AllowOverride or AllowOverrideList allows something."""
    return bool(conf.override) or bool(conf.override_list)

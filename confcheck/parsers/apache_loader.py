"""Load a whole Apache configuration: the main file and everything it includes.

Include semantics follow httpd 2.4 (include_config in server/core.c,
ap_process_fnmatch_configs in server/config.c, ap_dir_nofnmatch /
ap_dir_fnmatch in server/util.c):
* a relative path is relative to ServerRoot (`ServerRoot` as read so far, else
  the given server_root, else the main file's directory: Debian compiles in
  /etc/apache2, where apache2.conf lives);
* without wildcards: a directory is read whole, recursively, every entry
  (hidden ones too) in strcmp order; a missing path is an error for `Include`
  (`Could not open configuration file X: No such file or directory`) and
  nothing for `IncludeOptional`;
* wildcards (`*?[`) may sit in any component; a leading `.` must be matched
  explicitly (APR_FNM_PERIOD); inner components match directories only;
  matches are read in strcmp order; no match is an error for `Include`
  (`No matches for the wildcard ...`), a missing directory too
  (`Could not open directory ...`);
* includes are executed while reading (EXEC_ON_READ): a `Define` in an
  included file is visible to the lines after the `Include`.

Paths are kept in the server's view (`/etc/apache2/...`); with `root` they are
read from `root + path` and SourceFile.path is that local path. A file
included from several places is read once and parsed once per include site
(nodes carry `via` = that include directive; their `parent` is the section
holding the Include). Include cycles are reported, not followed.

Debian: when the main file is `apache2.conf` with an `envvars` file next to
it, that shell file is evaluated (the few constructs it uses) to supply
APACHE_RUN_USER, APACHE_LOG_DIR, ... as apache2ctl would.
"""

from __future__ import annotations

import errno as _errno
import os
import posixpath
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from confcheck.gcpause import gc_paused
from confcheck.source import Diagnostics, RealPaths, SourceFile, named_in_root, resolve_in_root
from confcheck.parsers.syntax import IncludedFile, Node, ParsedFile, effective_children
from confcheck.parsers.apache_parser import ReadState, _test, module_names, parse_apache_state
from confcheck.parsers.apache_args import arg_rule
from confcheck.parsers.apache_validate import validate_apache

MAX_INCLUDE_DEPTH = 128       # AP_MAX_INCLUDE_DEPTH
MAX_DIR_DEPTH = 128           # AP_MAX_FNMATCH_DIR_DEPTH

# Compiled into Debian's apache2 (`apache2 -l`): always loaded.
STATIC_MODULES = (
    ("core_module", "core.c"), ("so_module", "mod_so.c"), ("watchdog_module", "mod_watchdog.c"),
    ("http_module", "http_core.c"), ("log_config_module", "mod_log_config.c"),
    ("logio_module", "mod_logio.c"), ("version_module", "mod_version.c"),
    ("unixd_module", "mod_unixd.c"),
)
STATIC_NAMES = frozenset(name for pair in STATIC_MODULES for name in pair)


@dataclass
class ApacheConfig:
    main: ParsedFile
    nodes: list[Node]                  # top-level nodes of the main file
    files: dict[str, SourceFile]       # every file read, keyed by local path
    parsed: list[ParsedFile]           # every instance (main first)
    server_root: str                   # ServerRoot at the end of reading (server view)
    defines: dict[str, str]            # Define/-D at the end of reading ('' = no value)
    envvars: dict[str, str]            # exported by Debian's envvars (empty elsewhere)
    root: str | None = None
    # <IfDefine> sections whose condition was false when httpd read them:
    # their contents exist in the tree but httpd never executed them
    inactive: set[Node] = field(default_factory=set)


def _has_magic(part: str) -> bool:
    """apr_fnmatch_test: `*`, `?`, or a `[...]` pair."""
    if "*" in part or "?" in part:
        return True
    i = part.find("[")
    return i >= 0 and part.find("]", i + 1) > 0


def _fnmatch_period(pattern: str, name: str) -> bool:
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return fnmatchcase(name, pattern)


class _Files:
    """Server paths -> local files under an optional root; each file read once."""

    def __init__(self, root: str | None, mount: tuple[str, str] | None = None) -> None:
        self.root = root.rstrip("/") if root else None
        # (deployed prefix, local dir), both ending in "/": a repository's httpd.conf
        # with `ServerRoot /usr/local/apache2` reads that prefix from beside itself
        self.mount = mount
        self.cache: dict[str, SourceFile | OSError] = {}
        self.root_dirs: dict[str, str] = {}   # server folder -> where it resolves in the root
        self.realpath = RealPaths()

    def local(self, path: str) -> str:
        if self.mount and (path + "/").startswith(self.mount[0]):
            # beside the main when the repository has it, else where httpd -f MAIN opens it
            beside = self.mount[1] + path[len(self.mount[0]):]
            return beside if os.path.lexists(beside) or not os.path.lexists(path) else path
        if self.root and path.startswith("/"):
            return resolve_in_root(self.root, path, self.root_dirs)     # the image's links stay in the image
        return path

    def read(self, path: str) -> SourceFile | OSError:
        local = self.local(path)
        shown = local
        if self.root and path.startswith("/") and not (self.mount and (path + "/").startswith(self.mount[0])):
            shown = named_in_root(self.root, path, self.root_dirs)
        cached = self.cache.get(shown)
        if cached is None:
            try:
                with open(local, "rb") as fh:
                    data = fh.read()
                cached = SourceFile(shown, data, self.realpath(local))
            except OSError as exc:
                cached = exc
            self.cache[shown] = cached
        return cached

    def files(self) -> dict[str, SourceFile]:
        return {k: v for k, v in self.cache.items() if isinstance(v, SourceFile)}


def _strerror(exc: OSError) -> str:
    return exc.strerror or str(exc)


class _Loader(ReadState):
    def __init__(self, fs: _Files, diags: Diagnostics, server_root: str,
                 defines: dict[str, str] | None, env: dict[str, str]) -> None:
        super().__init__(defines, env, {name for pair in STATIC_MODULES for name in pair})
        self.fs = fs
        self.diags = diags
        self.server_root = server_root
        self.parsed: list[ParsedFile] = []
        self.chain: list[str] = []   # realpaths of the files being read, outermost first

    def parse(self, source: SourceFile, via: Node | None, active: bool,
              parent: Node | None) -> ParsedFile:
        self.chain.append(source.realpath)
        try:
            parsed = parse_apache_state(source, self.diags, self, dialect="apache", via=via,
                                        active=active, parent=parent)
        finally:
            self.chain.pop()
        self.parsed.append(parsed)
        return parsed

    # -- Include / IncludeOptional --------------------------------------------

    def include(self, node: Node, active: bool, diags: Diagnostics) -> None:
        optional = node.key == "includeoptional"
        if len(node.args) != 1:
            if active:
                rule = arg_rule(node.name)
                diags.add(f"{rule.name} takes one argument, {rule.help}", node.span, code="include")
            return
        # httpd does not read includes inside a skipped section: we still read
        # them (the tree stays complete) but a missing file is not an error
        report = active
        path = self.server_relative(node.args[0].value)
        names = self.expand(path, optional, node, report)
        for name in names:
            source = self.fs.read(name)
            if isinstance(source, OSError):
                if report:
                    self.diags.add(f"Could not open configuration file {name}: "
                                   f"{_strerror(source)}", node.span, code="include")
                continue
            if source.realpath in self.chain or len(self.chain) >= MAX_INCLUDE_DEPTH:
                if not report:
                    continue       # httpd never reads an Include in a skipped section
                self.diags.add(f"Exceeded maximum include depth of {MAX_INCLUDE_DEPTH}, There "
                               f"appears to be a recursion. ({name} is already being read)",
                               node.span, code="include-cycle")
                continue
            parsed = self.parse(source, node, active, node.parent)
            node.included.append(IncludedFile(source, parsed.nodes))

    def server_relative(self, path: str) -> str:
        """ap_server_root_relative."""
        if path.startswith("/"):
            return path
        return posixpath.normpath(posixpath.join(self.server_root or "/", path))

    def expand(self, path: str, optional: bool, node: Node, report: bool) -> list[str]:
        out: list[str] = []
        error = self._expand(path, optional, out)
        if error and report:
            self.diags.add(error, node.span, code="include")
        return out

    def _expand(self, path: str, optional: bool, out: list[str]) -> str | None:
        prefix = "Include/IncludeOptional: "
        if not _has_magic(path):
            return self._nofnmatch(path, optional, out, 0, set())
        parts = path.split("/")
        dirs = ["/" if path.startswith("/") else ""]
        for i, part in enumerate(parts):
            if not part and i == 0:
                continue
            last = i == len(parts) - 1
            if not _has_magic(part):
                dirs = [posixpath.join(d, part) if d else part for d in dirs]
                continue
            nxt: list[str] = []
            for d in dirs:
                try:
                    entries = list(os.scandir(self.fs.local(d) or "."))
                except OSError as exc:
                    if exc.errno == _errno.ENOENT and optional:
                        continue
                    return f"{prefix}Could not open directory {d}: {_strerror(exc)}"
                names = sorted(e.name for e in entries
                               if _fnmatch_period(part, e.name)
                               and (last or _is_dir(e)))
                if not names and last and not optional:
                    return f"{prefix}No matches for the wildcard '{part}' in '{d}', failing"
                nxt.extend(posixpath.join(d, name) for name in names)
            dirs = nxt
        for match in dirs:
            error = self._nofnmatch(match, optional, out, 0, set())
            if error:
                return error
        return None

    def _nofnmatch(self, path: str, optional: bool, out: list[str], depth: int,
                   seen: set[str]) -> str | None:
        local = self.fs.local(path)
        if os.path.isdir(local):
            real = os.path.realpath(local)
            if depth + 1 > MAX_DIR_DEPTH or real in seen:
                return (f"Include/IncludeOptional: Directory '{path}' exceeds the maximum include "
                        f"directory nesting level of {MAX_DIR_DEPTH}. You have probably a "
                        "recursion somewhere.")
            try:
                names = sorted(os.listdir(local))
            except OSError as exc:
                return f"Include/IncludeOptional: Could not open directory {path}: {_strerror(exc)}"
            for name in names:
                error = self._nofnmatch(posixpath.join(path, name), optional, out, depth + 1,
                                        seen | {real})
                if error:
                    return error
            return None
        if optional and not os.path.exists(local):
            return None         # a dangling link too (a site removed but still enabled): httpd skips it

        out.append(path)
        return None


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


# -- Debian's envvars -------------------------------------------------------------

_ASSIGN = re.compile(r"^(export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_SHVAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(##?|%%?|:-|-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_TEST = re.compile(r'^if\s+\[\s+(.+?)\s+(!=|=)\s+(.+?)\s+\]\s*;?\s*(?:then)?\s*$')


def _sh_word(text: str, variables: dict[str, str]) -> str:
    """One shell word: quotes removed, $VAR / ${VAR} / ${VAR#p} / ${VAR:-d} expanded."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]

    def sub(m: re.Match) -> str:
        name = m.group(1) or m.group(4)
        value = variables.get(name, "")
        op, arg = m.group(2), m.group(3)
        if op in ("#", "##") and arg is not None and value.startswith(arg):
            return value[len(arg):]
        if op in ("%", "%%") and arg and value.endswith(arg):
            return value[:-len(arg)]
        if op in (":-", "-") and not value:
            return arg or ""
        return value
    return _SHVAR.sub(sub, text)


def read_envvars(data: str, confdir: str) -> dict[str, str]:
    """The exported variables of Debian's envvars, for APACHE_CONFDIR=confdir.

    Only what the real file uses: assignments, `export`, `unset`, and
    `if [ A != B ] ; then ... else ... fi` string tests. Anything else is
    ignored (it cannot change the variables Apache sees in that file).
    """
    variables = {"APACHE_CONFDIR": confdir}
    exported: set[str] = {"APACHE_CONFDIR"}
    taking: list[bool] = []   # one entry per open `if`: is this branch taken?
    for raw in data.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        test = _TEST.match(line)
        if test:
            left = _sh_word(test.group(1), variables)
            right = _sh_word(test.group(3), variables)
            taking.append((left != right) if test.group(2) == "!=" else (left == right))
            continue
        if line in ("else",) and taking:
            taking[-1] = not taking[-1]
            continue
        if line == "fi" and taking:
            taking.pop()
            continue
        if not all(taking):
            continue
        m = _ASSIGN.match(line)
        if m:
            variables[m.group(2)] = _sh_word(m.group(3), variables)
            if m.group(1):
                exported.add(m.group(2))
        elif line.startswith("export "):
            exported.update(line.split()[1:])
        elif line.startswith("unset "):
            for name in line.split()[1:]:
                variables.pop(name, None)
                exported.discard(name)
    return {k: v for k, v in variables.items() if k in exported}


# -- entry points ---------------------------------------------------------------------

def _server_view(path: str, root: str | None) -> str:
    if root:
        path_abs = os.path.abspath(path)
        if path_abs.startswith(root + "/"):
            return path_abs[len(root):]
    return path


def load_apache(main_path: str, diags: Diagnostics, *, root: str | None = None,
                server_root: str | None = None,
                defines: dict[str, str] | None = None,
                mount: tuple[str, str] | None = None, validate: bool = True,
                envvars_dir: str | None = None) -> ApacheConfig:
    """Read `main_path` (a local path) and every file it includes, as httpd would,
    and report what httpd would refuse in it (apache_validate; `validate=False`: only read).

    `root`: absolute paths in the configs are read from root + path.
    `server_root`: ServerRoot in the server's view until a `ServerRoot`
    directive says otherwise (default: the main file's directory).
    `defines`: as `-D NAME` (value '') or `Define NAME value`.
    `mount`: (server prefix, local dir): paths under the prefix are read from the
    local dir when it has them (a config repository checked out elsewhere).
    `envvars_dir`: a lone file's conf prefix (server view), where Debian keeps `envvars`.
    """
    root_abs = os.path.abspath(root).rstrip("/") if root else None
    fs = _Files(root_abs, mount)
    server_main = _server_view(main_path, root_abs)
    if server_root is None:
        server_root = posixpath.dirname(posixpath.abspath(server_main)) if server_main else "/"
    env: dict[str, str] = {}
    envvars_path = confdir = None
    if posixpath.basename(server_main) == "apache2.conf":
        envvars_path = os.path.join(os.path.dirname(main_path), "envvars")
        confdir = posixpath.dirname(posixpath.abspath(server_main))
    elif envvars_dir and envvars_dir.startswith("/"):
        # a lone vhost of Debian's layout: apache2ctl sources envvars before apache2.conf includes it
        confdir = envvars_dir.rstrip("/") or "/"
        envvars_path = fs.local(posixpath.join(confdir, "envvars"))
    if envvars_path is not None:
        try:
            with open(envvars_path, "rb") as fh:
                env = read_envvars(fh.read().decode("utf-8", "surrogateescape"), confdir)
        except OSError:
            env = {}
    loader = _Loader(fs, diags, server_root, defines, env)
    try:
        main_source = SourceFile.read(main_path)
    except OSError as exc:
        diags.add(f"Could not open configuration file {server_main}: {_strerror(exc)}",
                  file=main_path, code="include")
        empty = ParsedFile(SourceFile(main_path, b""), [])
        return ApacheConfig(empty, [], {}, [empty], server_root, dict(loader.defines), env,
                            root_abs)
    fs.cache[main_path] = main_source
    with gc_paused():
        main = loader.parse(main_source, None, True, None)
    parsed = [main] + [p for p in loader.parsed if p is not main]
    config = ApacheConfig(main, main.nodes, fs.files(), parsed, loader.server_root or server_root,
                          dict(loader.defines), env, root_abs, set(loader.inactive))
    if validate:
        modules = loaded_modules(config)
        # no LoadModule read: a lone vhost or snippet, whose modules are not known here
        known = len(modules) > len(STATIC_NAMES)
        validate_apache(config.nodes, diags, modules=modules if known else None, inactive=config.inactive)
    return config


def load_htaccess(path: str, diags: Diagnostics, *, root: str | None = None) -> ParsedFile:
    """Read one .htaccess (dialect "htaccess"). `path` is in the server's view when
    `root` is given (read from root + path), else a local path."""
    local = path
    if root and path.startswith("/"):
        root_abs = os.path.abspath(root).rstrip("/")
        if not path.startswith(root_abs + "/"):
            local = root_abs + path
    try:
        source = SourceFile.read(local)
    except OSError as exc:
        diags.add(f"{path} pcfg_openfile: unable to check htaccess file: {_strerror(exc)}",
                  file=local, code="htaccess-read")
        return ParsedFile(SourceFile(local, b""), [])
    with gc_paused():
        parsed = parse_apache_state(source, diags, ReadState(), dialect="htaccess")
    validate_apache(parsed.nodes, diags, modules=None, htaccess=True)
    return parsed


# -- modules ------------------------------------------------------------------------

def ifmodule_active(node: Node, modules: set[str]) -> bool:
    """Does `<IfModule [!]name>` apply, given loaded_modules()? (httpd: name is
    `mod_x.c` or `x_module`; a missing name is a syntax error, taken as False)."""
    result = _test(node, lambda name: name in modules)
    return bool(result)


def ifdefine_active(node: Node, defines: dict[str, str] | set[str]) -> bool:
    """Does `<IfDefine [!]NAME>` apply with these defines?"""
    result = _test(node, lambda name: name in defines)
    return bool(result)


def loaded_modules(config: ApacheConfig) -> set[str]:
    """Every name of every module loaded: static ones plus `LoadModule` lines,
    in read order, skipping sections httpd skipped (an `<IfModule>` is decided
    with the modules loaded before it, as httpd does while reading)."""
    modules = {name for pair in STATIC_MODULES for name in pair}
    inactive = config.inactive
    stack = [iter(effective_children(config.nodes))]
    while stack:
        for node in stack[-1]:
            key = node.key
            if node.children is not None:
                if node in inactive:
                    continue
                if key == "ifmodule" and not ifmodule_active(node, modules):
                    continue
                if key == "macro":
                    continue
                stack.append(iter(effective_children(node.children)))
                break
            if key == "loadmodule" and node.args:
                values = node.values
                modules.update(module_names(values[0], values[1] if len(values) > 1 else ""))
        else:
            stack.pop()
    return modules

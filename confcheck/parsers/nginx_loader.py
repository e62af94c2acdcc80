"""Load a whole nginx configuration: the main file and everything it includes.

Include semantics follow nginx (ngx_conf_include in src/core/ngx_conf_file.c):
* a relative path is joined to the *conf prefix*, the directory of the main
  config file (ngx_conf_full_name with conf_prefix=1), not to the including
  file's directory;
* a pattern with `*`, `?` or `[` is a glob(3): sorted, hidden files not
  matched by `*`, no match is silently nothing;
* a plain missing path is an error: `open() "..." failed (2: No such file or
  directory)`.

Paths are kept in the server's view (`/etc/nginx/...`); with `root` they are
read from `root + path`. A file included from several places is read once
(one SourceFile) and parsed once per include site (one instance each, whose
nodes carry `via` = that include directive). Cycles are reported, not followed.

Two sources of files share this logic: the disk (`load_nginx`) and the output
of `nginx -T` (`load_nginx_dump`).
"""

from __future__ import annotations

import errno as _errno
import glob as _glob
import os
import posixpath
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

from confcheck.gcpause import gc_paused
from confcheck.source import Diagnostic, Diagnostics, RealPaths, SourceFile, named_in_root, resolve_in_root
from confcheck.parsers.syntax import IncludedFile, Node, ParsedFile
from confcheck.parsers.nginx_parser import clone_nginx, parse_nginx_with_includes
from confcheck.parsers.nginx_alike import Alikes, mask_of

MAX_INCLUDE_DEPTH = 64  # far beyond real configs; keeps malicious trees bounded


@dataclass
class NginxConfig:
    main: ParsedFile
    nodes: list[Node]                 # top-level nodes of the main file
    files: dict[str, SourceFile]      # every file read, keyed by local path
    parsed: list[ParsedFile]          # every instance (main first), for comments/suppressions
    prefix: str                       # conf prefix in the server's view, ends with "/"
    root: str | None = None
    mount: tuple[str, str] | None = None   # (deployed prefix, local dir) it was read with

    def disk(self) -> "_DiskFiles":
        """Server paths to local files as this configuration was read (root, mount): for the
        files its directives name that nginx's modules read (ModSecurity's rules files)."""
        return _DiskFiles(self.root, self.mount)


def _has_magic(path: str) -> bool:
    return "*" in path or "?" in path or "[" in path


class _DiskFiles:
    """Server paths → local files under an optional root."""

    def __init__(self, root: str | None, mount: tuple[str, str] | None = None) -> None:
        self.root = root.rstrip("/") if root else None
        # (server prefix, local dir), both ending in "/": a config repository
        # whose nginx.conf says `include /etc/nginx/conf.d/*.conf` is read from
        # its own conf.d/, never from this machine's /etc/nginx (pre-commit).
        self.mount = mount
        self.cache: dict[str, SourceFile | OSError] = {}
        self.root_dirs: dict[str, str] = {}    # server folder -> where it resolves in the root
        self.realpaths = RealPaths()

    def local(self, path: str) -> str:
        if self.mount and path.startswith(self.mount[0]):
            # Beside the main when the repository has the file; else where
            # `nginx -c MAIN` opens it (the machine's /etc/nginx/mime.types).
            beside = self.mount[1] + path[len(self.mount[0]):]
            return beside if os.path.lexists(beside) or not os.path.lexists(path) else path
        if self.root and path.startswith("/"):
            return resolve_in_root(self.root, path, self.root_dirs)
        return path

    def shown(self, path: str) -> str:
        """The local path a file is named by: its folders resolved in the root, its own
        name kept (a `sites-enabled` link is shown as itself, read at its target)."""
        if self.root and path.startswith("/") and not (self.mount and path.startswith(self.mount[0])):
            return named_in_root(self.root, path, self.root_dirs)
        return self.local(path)

    def server(self, local: str) -> str:
        if self.mount and local.startswith(self.mount[1]):
            return self.mount[0] + local[len(self.mount[1]):]
        if self.root and local.startswith(self.root + "/"):
            return local[len(self.root):]
        return local

    def glob(self, pattern: str) -> list[str]:
        local = pattern
        if self.mount and pattern.startswith(self.mount[0]):
            # the repository's folder when it has one (even empty), else the machine's
            rest = pattern[len(self.mount[0]):]
            fixed = posixpath.dirname(re.split(r"[*?[]", rest, maxsplit=1)[0])
            if os.path.isdir(self.mount[1] + fixed) or not os.path.isdir(self.mount[0] + fixed):
                local = _glob.escape(self.mount[1]) + rest
        elif self.root and pattern.startswith("/"):
            # the folder before the first wildcard is resolved in the root; matches keep the pattern's name
            fixed = posixpath.dirname(re.split(r"[*?[]", pattern, maxsplit=1)[0]).rstrip("/")
            base = resolve_in_root(self.root, fixed).rstrip("/")
            return sorted(fixed + p[len(base):] for p in _glob.glob(_glob.escape(base) + pattern[len(fixed):]))
        return sorted(self.server(p) for p in _glob.glob(local))

    def read(self, path: str) -> SourceFile | OSError:
        local = self.shown(path)
        cached = self.cache.get(local)
        if cached is None:
            try:
                if self.mount and local.startswith(self.mount[1]):
                    cached = self._read_mounted(local)
                elif self.root and path.startswith("/"):
                    target = self.local(path)
                    with open(target, "rb") as fh:
                        cached = SourceFile(local, fh.read(), target)
                else:
                    cached = SourceFile.read(local, realpaths=self.realpaths)  # shown as the local path: what an editor or git apply opens
            except OSError as exc:
                cached = exc
            self.cache[local] = cached
        return cached

    def _read_mounted(self, local: str) -> SourceFile:
        """Debian's `sites-enabled/x -> /etc/nginx/sites-available/x` links point
        at the deployed prefix: inside a mounted repository they are followed
        into the repository."""
        target = local
        for _ in range(40):     # the kernel's own limit on links in a path
            if not os.path.islink(target):
                break
            link = os.readlink(target)
            if link.startswith(self.mount[0]):
                target = self.mount[1] + link[len(self.mount[0]):]
            else:
                target = os.path.join(os.path.dirname(target), link)
        with open(target, "rb") as fh:
            data = fh.read()
        return SourceFile(local, data, os.path.realpath(target))

    def files(self) -> dict[str, SourceFile]:
        return {k: v for k, v in self.cache.items() if isinstance(v, SourceFile)}


class _DumpFiles:
    """Files as sections of `nginx -T` output."""

    def __init__(self, sections: dict[str, SourceFile]) -> None:
        self.sections = sections

    def glob(self, pattern: str) -> list[str]:
        parts = pattern.split("/")
        found = []
        for path in self.sections:
            names = path.split("/")
            if len(names) == len(parts) and all(
                    fnmatchcase(n, p) and not (n.startswith(".") and not p.startswith("."))
                    for n, p in zip(names, parts)):
                found.append(path)
        return sorted(found)

    def read(self, path: str) -> SourceFile | OSError:
        found = self.sections.get(path) or self.sections.get(posixpath.normpath(path))
        if found is None:
            return FileNotFoundError(_errno.ENOENT, os.strerror(_errno.ENOENT), path)
        return found

    def files(self) -> dict[str, SourceFile]:
        return dict(self.sections)


class _Loader:
    def __init__(self, files, prefix: str, diags: Diagnostics) -> None:
        self.fs = files
        self.prefix = prefix
        self.diags = diags
        self.parsed: list[ParsedFile] = []
        # each file's first instance, its include nodes and the problems its
        # parse reported: a snippet included from 2,000 places is parsed once
        # and copied for the other 1,999 (each include site gets its own nodes)
        self.first: dict[SourceFile, tuple[ParsedFile, list[Node], list[Diagnostic]]] = {}
        # files that are another's text up to letters and digits are copied (generated site files)
        self.alikes = Alikes()

    def parse(self, source: SourceFile, via: Node | None, chain: tuple[str, ...]) -> ParsedFile:
        first = self.first.get(source)
        if first is None:
            mask = mask_of(source.data)
            copied = None if mask is None else self.alikes.copy(mask, source, via)
            if copied is not None:
                parsed, includes = copied
                self.first[source] = (parsed, includes, [])
            else:
                reported = len(self.diags.items)
                parsed, includes = parse_nginx_with_includes(source, self.diags, via=via)
                problems = self.diags.items[reported:]
                self.first[source] = (parsed, includes, problems)
                if mask is not None and not problems:
                    self.alikes.remember(mask, parsed, includes)
        else:
            parsed, includes = clone_nginx(first[0], first[1], via)
            for diag in first[2]:  # each instance reports its own parse errors, as nginx would
                self.diags.add(diag.message, diag.span, file=diag.file, severity=diag.severity,
                               code=diag.code)
        self.parsed.append(parsed)
        chain = chain + (source.realpath,)
        for inc in includes:
            self.include(inc, chain)
        return parsed

    def include(self, node: Node, chain: tuple[str, ...]) -> None:
        if node.children is not None or len(node.args) != 1:
            return  # malformed: the validator reports it
        # nginx hands the path to open()/glob() as a C string: a NUL ends it
        path = node.args[0].value.split("\0", 1)[0]
        if not path.startswith("/"):
            path = self.prefix + path
        if _has_magic(path):
            names = self.fs.glob(path)
        else:
            names = [path]
        for name in names:
            source = self.fs.read(name)
            if isinstance(source, OSError):
                code = source.errno if source.errno is not None else 0
                reason = source.strerror or str(source)
                self.diags.add(f'open() "{name}" failed ({code}: {reason})', node.span,
                               code="include")
                continue
            if source.realpath in chain:
                self.diags.add(f'include cycle: "{name}" is already being read', node.span,
                               code="include")
                continue
            if len(chain) >= MAX_INCLUDE_DEPTH:
                self.diags.add(f'includes nested too deeply at "{name}"', node.span, code="include")
                continue
            parsed = self.parse(source, node, chain)
            node.included.append(IncludedFile(source, parsed.nodes))


def _server_view(main_path: str, root: str | None) -> str:
    if root:
        root_abs = os.path.abspath(root).rstrip("/")
        main_abs = os.path.abspath(main_path)
        if main_abs.startswith(root_abs + "/"):
            return main_abs[len(root_abs):]
    # nginx makes `-c` absolute before it opens it (ngx_conf_full_name): the
    # conf prefix and its messages are full paths (joined here to the working
    # directory confcheck opens it from)
    return os.path.abspath(main_path)


def _lone_prefix(path: str, fs: _DiskFiles) -> str | None:
    """The conf prefix of a vhost or snippet read alone (not an nginx.conf).

    nginx resolves a relative include against the main's directory, so
    `include fastcgi.conf;` in snippets/fastcgi-php.conf means the fastcgi.conf
    beside nginx.conf: the nearest folder above the file that holds an
    nginx.conf is that directory, else the top of the mounted repository."""
    if os.path.basename(path) == "nginx.conf":
        return None
    local = os.path.dirname(os.path.abspath(path))
    for _ in range(3):
        parent = os.path.dirname(local)
        if parent == local:
            break
        local = parent
        if os.path.isfile(os.path.join(local, "nginx.conf")):
            return fs.server(local + "/")
    if fs.mount and os.path.abspath(path).startswith(fs.mount[1]):
        return fs.mount[0]
    # a snippet kept elsewhere (Magento's nginx.conf.sample in its web root) is included
    # by a site of the machine's nginx: its relative includes are relative to that
    # nginx's conf prefix, Debian's /etc/nginx/, when the image has that nginx
    if fs.root and os.path.isfile(fs.local(DEBIAN_PREFIX + "nginx.conf")):
        return DEBIAN_PREFIX
    return None


DEBIAN_PREFIX = "/etc/nginx/"


def load_nginx(main_path: str, diags: Diagnostics, *, root: str | None = None,
               prefix: str | None = None, mount: tuple[str, str] | None = None) -> NginxConfig:
    """Read `main_path` (a local path) and every file it includes.

    `root`: absolute paths written in the configs are read from root + path.
    `prefix`: nginx's conf prefix in the server's view (default: the main
    file's directory, as nginx computes it from `-c`).
    `mount`: (server prefix, local dir): absolute paths under the prefix are
    read from the local dir (a config repository checked out elsewhere).
    """
    root_abs = os.path.abspath(root) if root else None
    fs = _DiskFiles(root_abs, mount)
    server_main = _server_view(main_path, root_abs)
    if prefix is None:
        prefix = _lone_prefix(main_path, fs) or posixpath.dirname(server_main)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    try:
        main_source = SourceFile.read(main_path)
    except OSError as exc:
        diags.add(f'open() "{server_main}" failed ({exc.errno}: {exc.strerror})',
                  file=main_path, code="include")
        empty = ParsedFile(SourceFile(main_path, b""), [])
        return NginxConfig(empty, [], {}, [empty], prefix, root_abs)
    fs.cache[main_path] = main_source
    loader = _Loader(fs, prefix, diags)
    with gc_paused():
        main = loader.parse(main_source, None, ())
        loader.first.clear()
    return NginxConfig(main, main.nodes, fs.files(), loader.parsed, prefix, root_abs, mount)


_DUMP_HEADER = re.compile(rb"^# configuration file (.+):\r?\n", re.M)


def split_nginx_dump(data: bytes) -> list[tuple[str, bytes]]:
    """(path, bytes) per `# configuration file PATH:` section of `nginx -T`.

    nginx writes the header, the file's bytes, then one newline; that newline
    is removed so each section is the file exactly. Text before the first
    header (`nginx: the configuration file ... syntax is ok`) is skipped.
    """
    heads = list(_DUMP_HEADER.finditer(data))
    out = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(data)
        body = data[head.end():end]
        if body.endswith(b"\n"):
            body = body[:-1]
        out.append((head.group(1).decode("utf-8", "surrogateescape"), body))
    return out


def load_nginx_dump(data: bytes, name: str, diags: Diagnostics) -> NginxConfig:
    """Load the output of `nginx -T` (`name` is where it came from, for messages)."""
    sections: dict[str, SourceFile] = {}
    for path, body in split_nginx_dump(data):
        if path not in sections:  # nginx dumps each file once; keep the first
            sections[path] = SourceFile(path, body, realpath=path, display_path=path)
    if not sections:
        diags.add('no "# configuration file PATH:" section found (is this nginx -T output?)',
                  file=name, code="include")
        empty = ParsedFile(SourceFile(name, b""), [])
        return NginxConfig(empty, [], {}, [empty], "/")
    main_source = next(iter(sections.values()))
    prefix = posixpath.dirname(main_source.path) + "/"
    loader = _Loader(_DumpFiles(sections), prefix, diags)
    with gc_paused():
        main = loader.parse(main_source, None, ())
        loader.first.clear()
    return NginxConfig(main, main.nodes, dict(sections), loader.parsed, prefix)

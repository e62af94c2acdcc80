"""The command line -> the configs to read, the served trees, and why.

* A file the user names is config (`.htaccess`, an nginx or Apache main, a
  lone vhost or snippet, an `nginx -T` dump; `-` is a dump on stdin).
* A directory the user names is searched (confcheck.inputs.search). The
  configs in it are read; a directory with none is a served tree that limits
  the disk walk, but only when configs come from elsewhere on the command
  line or from the standard locations, and the output says so. With --no-fs
  every PATH must hold config. A directory holding nothing but `.htaccess`
  files is a served tree when a main configuration is named beside it (the
  main reads them as it serves the tree), else its `.htaccess` files are read.
* The machine's standard locations (/etc/nginx/nginx.conf, ...) are read only
  when nothing named is config.
* --context (pre-commit): each named file is read inside the mains under the
  working directory that include it (confcheck.inputs.read decides, after
  reading them), else alone.
"""

from __future__ import annotations

import os

from confcheck.inputs.deploy import apache_mount, conf_dir_of, in_repository, nginx_mount
from confcheck.inputs.kinds import kind_of
from confcheck.inputs.model import Config, InputError, InputRequest, Inputs
from confcheck.inputs.paths import CONFIG_DIR_NAMES, local_path, real_path, server_path
from confcheck.inputs.search import candidates

STANDARD_NGINX = ("/etc/nginx/nginx.conf", "/usr/local/nginx/conf/nginx.conf", "/usr/local/etc/nginx/nginx.conf")
STANDARD_APACHE = ("/etc/apache2/apache2.conf", "/etc/httpd/conf/httpd.conf")
# php-fpm: Debian's one per PHP version, RHEL's (which includes /etc/php-fpm.d/*.conf), a source build's
STANDARD_FPM = ("/etc/php/*/fpm/php-fpm.conf", "/etc/php-fpm.conf", "/usr/local/etc/php-fpm.conf")


def _read_head(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(65536)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def _config(path: str, server: str | None, *, named: bool) -> Config:
    """The file at `path` as a Config; a found file that is neither server's is one of
    role "foreign": a main may still include it (an all-comment module .conf), else
    confcheck.inputs.read lists it as not read. A file the user named that holds no
    directive at all is bad input: checking it would look like a clean pass of a config."""
    head = _read_head(path)
    if named and _no_directive(head) and os.path.getsize(path) == len(head):
        raise InputError(f"{path}:1:1: no directive in it ({'empty' if not head.strip() else 'only comments'}): "
                         "nothing to check (nginx and Apache refuse to start with it as their main config)")
    kind = kind_of(os.path.basename(path), head, server, named=named)
    if kind is None:
        return Config(server or "", "foreign", path, found=True)
    return Config(kind.server, kind.role, path, found=not named)


def _found(path: str, server: str | None) -> Config:
    """A file a directory search found. One confcheck may not read (run as a user the file
    refuses) is kept as "unreadable": confcheck.inputs.read reports it, and the rest is read."""
    try:
        return _config(path, server, named=False)
    except InputError:
        return Config(server or "", "unreadable", path, found=True)


def _no_directive(data: bytes) -> bool:
    """Every line is blank or a comment (a UTF-8 BOM aside): nginx and Apache read nothing from it."""
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    return all(not line.strip() or line.lstrip().startswith(b"#") for line in text.splitlines())


def resolve(request: InputRequest, stdin=None) -> Inputs:
    root = os.path.abspath(request.root) if request.root else None
    out = Inputs(root=root)
    configs: list[Config] = []
    empty: list[str] = []                                  # named directories without config
    htaccess_only: list[tuple[str, list[Config]]] = []     # named directories with only .htaccess
    for path in list(request.configs) + list(request.paths):
        is_config_option = path in request.configs
        if path == "-":
            data = stdin.buffer.read() if stdin is not None else b""
            configs.append(Config("nginx", "dump", "<stdin>", data=data))
            continue
        local = local_path(path, root)
        if os.path.isdir(local):
            everything = [_found(p, request.server) for p in candidates(local, deployed=root is not None)]
            found = [c for c in everything if c.role != "foreign"]
            if found and all(c.role == "htaccess" for c in found) and not is_config_option:
                htaccess_only.append((path, found))
            elif found:
                configs += everything
            elif request.no_fs or is_config_option:
                raise InputError(f"{path}: no nginx or Apache configuration in it"
                                 + (" (with --no-fs every PATH is config)" if request.no_fs else ""))
            else:
                empty.append(os.path.abspath(path))
        elif os.path.lexists(local):
            if not root:
                local = in_repository(local)
            if not os.path.isfile(local):
                raise InputError(f"{path}: not a readable config file")
            if request.context and not is_config_option:
                found_config = _config(local, request.server, named=False)
            else:
                found_config = _config(local, request.server, named=True)
            configs.append(found_config)
        else:
            raise InputError(f"{path}: no such file or directory"
                             + (f" (looked at {local} under --root)" if root else ""))
    apache_main = any(c.server == "apache" and c.role == "main" for c in configs)
    for path, found in htaccess_only:
        if apache_main and not request.no_fs:
            out.trees.append(os.path.abspath(path))
            out.tree_notes[os.path.abspath(path)] = ("only .htaccess files in it: a served tree, its access "
                                                     "files read as the configuration serves them")
        else:
            configs += found
    web = [c for c in configs if c.server != "php-fpm"]
    if configs and not web and not request.context:
        # php-fpm alone answers no request: the server in front comes from the standard locations
        configs += _standard(request, root, [])
        out.standard = True
        out.standard_reason = "only php-fpm configuration was named"
    elif configs:        # (--context may name only files that are neither server's: nothing to read)
        for tree in empty:
            out.trees.append(tree)
            out.tree_notes[tree] = "no configuration in it: a served tree (limits the disk walk)"
        out.standard_reason = "configuration was named on the command line"
    else:
        configs = _standard(request, root, empty) + _standard_fpm(root)
        out.standard = True
        for tree in empty:
            out.trees.append(tree)
            out.tree_notes[tree] = "no configuration in it: a served tree of the standard configuration"
        out.standard_reason = ("no PATH or --config names a configuration" if not empty else
                               "the PATHs named hold no configuration")
    out.configs = _unique(configs, root)
    for config in out.configs:
        _place(config, out.configs, root)
    return out


def _standard(request: InputRequest, root: str | None, empty: list[str]) -> list[Config]:
    for server, names in (("nginx", STANDARD_NGINX), ("apache", STANDARD_APACHE)):
        if request.server not in (None, server):
            continue
        for candidate in names:
            if os.path.isfile(local_path(candidate, root)):
                return [Config(server, "main", local_path(candidate, root))]
    where = f" under {root}" if root else ""
    named = "; " + ", ".join(empty) + " hold no configuration" if empty else ""
    raise InputError("no server configuration found: looked for "
                     + ", ".join(STANDARD_NGINX + STANDARD_APACHE) + where + named
                     + "; name a config file or directory")


def _standard_fpm(root: str | None) -> list[Config]:
    """The php-fpm configurations installed at the standard places (every PHP version on Debian)."""
    import glob
    out = []
    for pattern in STANDARD_FPM:
        for path in sorted(glob.glob(local_path(pattern, root))):
            if os.path.isfile(path):
                out.append(Config("php-fpm", "main", path))
    return out


def _unique(configs: list[Config], root: str | None) -> list[Config]:
    seen: set[tuple[str, str]] = set()
    out = []
    for config in configs:
        key = (real_path(config.path, root) if config.role != "dump" else config.path + str(id(config)),
               config.role)
        if key not in seen:
            seen.add(key)
            out.append(config)
    return out


def _place(config: Config, configs: list[Config], root: str | None) -> None:
    """The conf prefix (ServerRoot) and the deployed place a config is read with."""
    if config.role in ("dump", "htaccess", "foreign", "unreadable") or config.server == "php-fpm":
        return
    if config.role == "main":
        if config.server == "nginx" and not root:
            config.mount = nginx_mount(os.path.dirname(os.path.abspath(config.path)), _text(config.path))
        elif not root:
            config.mount = apache_mount(config.path, _text(config.path))
        return
    # a file below a main's folder is read with that main's conf prefix (ServerRoot):
    # h5bp's conf.d/templates/x.conf says `include h5bp/basic.conf;` meaning the main's h5bp/
    main = _nearest_main(config, configs)
    conf_dir = os.path.dirname(os.path.abspath(main.path)) if main is not None else conf_dir_of(config.path)
    if config.server == "apache":
        if main is not None and main.mount is not None:
            config.mount, config.prefix = main.mount, main.mount[0].rstrip("/") or "/"
        elif main is not None or os.path.basename(os.path.dirname(os.path.abspath(config.path))) in CONFIG_DIR_NAMES:
            config.prefix = server_path(conf_dir, root)
        return
    if main is not None:
        config.mount = main.mount
    elif not root and conf_dir != os.path.dirname(os.path.abspath(config.path)):
        config.mount = nginx_mount(conf_dir, _text(config.path))
    elif conf_dir == os.path.dirname(os.path.abspath(config.path)):
        return
    config.prefix = config.mount[0] if config.mount else server_path(conf_dir, root) + "/"


def _nearest_main(config: Config, configs: list[Config]) -> Config | None:
    """The main of the same server whose folder holds `config` most closely."""
    here = os.path.abspath(config.path)
    best = None
    for main in configs:
        if main.role != "main" or main.server != config.server:
            continue
        folder = os.path.dirname(os.path.abspath(main.path))
        if here.startswith(folder.rstrip("/") + "/") and (
                best is None or len(folder) > len(os.path.dirname(os.path.abspath(best.path)))):
            best = main
    return best


def _text(path: str) -> str:
    return _read_head(path).decode("utf-8", "surrogateescape")


def context_mains(base: str, server: str | None) -> list[Config]:
    """The main configs under `base` (pre-commit's repository), placed like named ones."""
    mains = [c for c in (_config(p, server, named=False) for p in candidates(base))
             if c.role == "main"]
    for main in mains:
        _place(main, mains, None)
    return mains

"""FS110: a file the server opens at start is missing on this machine (it refuses to start)."""

from __future__ import annotations

import posixpath

from confcheck.findings import Finding
from confcheck.registry import RuleDoc, rule

DOC = RuleDoc(
    what="Finds log files whose directory does not exist (`error_log`, `access_log`, `pid`; "
         "the folders nginx makes at start, `proxy_cache_path` and the other `*_cache_path` and "
         "`*_temp_path`, whose parent does not exist; "
         "`ErrorLog`, `CustomLog`, `TransferLog`) and TLS files that do not exist "
         "(`ssl_certificate`, `ssl_certificate_key`, `ssl_trusted_certificate`, "
         "`ssl_client_certificate`, `ssl_dhparam`, `ssl_password_file`; mod_ssl's "
         "`SSLCertificateFile`, `SSLCertificateKeyFile`, `SSLCACertificateFile`, ...) and mod_mime's "
         "`TypesConfig` file, on the "
         "machine the configuration is read on (`--root`: in the image).",
    why="The server opens these while reading its configuration: `nginx -t` and `apache2 -t` "
        "refuse the configuration (`open() \"/var/log/shop/error.log\" failed (2: No such file "
        "or directory)`, `AH02291: Cannot access directory`, `AH00526: SSLCertificateFile: file "
        "... does not exist or is empty`), so a reload keeps the old configuration and a "
        "restart leaves the site down. The configuration's text is fine: the machine lacks the "
        "file, which is why this is a finding of a filesystem scan and not an input error, and "
        "why config-only scans (`--no-fs`, pre-commit) do not look.",
    example="error_log /var/log/shop/error.log;   # /var/log/shop was never created",
    fixed="mkdir /var/log/shop   # or point the directive at an existing directory",
    fix_safety="Display only: whether the path or the machine is wrong is the operator's call.",
    references=("https://nginx.org/en/docs/ngx_core_module.html#error_log",
                "https://httpd.apache.org/docs/2.4/mod/core.html#errorlog"),
)

def _root_identity():
    """The master opens these as root, before dropping privileges: only existence matters."""
    from confcheck.fs.model import Identity
    return Identity("root", 0, 0, source="the master process")


def _missing(fs, want: str, path: str) -> str | None:
    """The path at fault when `path` lacks what `want` needs, else None (present, or not checkable)."""
    from confcheck.fs.access import check
    target = (posixpath.dirname(path) or "/") if want == "dir" else path
    access = check(fs, _root_identity(), target, "search" if want in ("dir", "isdir") else "read")
    if access.not_checked is not None:
        return None
    if access.denial is not None and access.denial.need == "missing":
        return access.denial.path
    if want == "nonempty" and access.meta is not None and access.meta.kind == "file" and access.meta.size == 0:
        return path
    return None


@rule(id="FS110", name="start-file-missing", severity="error", server="any", needs_fs=True,
      summary="a log directory or TLS file the server opens at start is missing (it refuses to start)", doc=DOC)
def check(ctx):
    from confcheck.servers.apache.startfiles import start_files as apache_files
    from confcheck.servers.nginx.startfiles import start_files as nginx_files
    for target in ctx.targets():
        if target.server == "apache":
            files, name = apache_files(target.conf, target.config.server_root), "Apache"
        else:
            files, name = nginx_files(target.config.nodes, target.model.prefix, target.model.conf_prefix), "nginx"
        # a snippet included by several servers is one directive to fix: reported once
        done: set[tuple] = set()
        for item in files:
            key = (item.node.span.file, item.node.span.start, item.path)
            if key in done:
                continue
            done.add(key)
            if not item.path.startswith("/"):
                continue    # a relative prefix: where it lands is unknown, so say nothing
            fault = _missing(ctx.fs, item.want, item.path)
            if fault is None:
                continue
            yield Finding(rule="FS110", name="start-file-missing", severity="error",
                          message=f"{item.message}: {name} will not start on this machine ({fault} is missing)",
                          span=item.node.span, server=target.server, fs_path=fault)

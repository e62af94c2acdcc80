"""Apache reader speed (run by hand, not in CI).

    python benchmarks/bench_apache_read.py [--vhosts 2000] [--files 2000]

Generates a Debian-like apache2.conf + envvars that pulls in N <VirtualHost>
blocks spread over F files via `IncludeOptional sites-enabled/*.conf` under
/var/tmp, then times (best of 3) load_apache over the whole tree, and
load_apache + loaded_modules + a walk over every node, and the whole
config-only scan (`run_scan` with no_fs: read, request model, every rule).
The tree is removed afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import best_of  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VHOST = """\
<VirtualHost *:80>
    ServerName site{i}.example.com
    ServerAlias www.site{i}.example.com
    DocumentRoot /var/www/site{i}
    ErrorLog ${{APACHE_LOG_DIR}}/site{i}-error.log
    CustomLog ${{APACHE_LOG_DIR}}/site{i}-access.log combined
    # static files
    <Directory /var/www/site{i}>
        Options -Indexes +FollowSymLinks
        AllowOverride All
        Require all granted
    </Directory>
    <FilesMatch "^\\.(htaccess|htpasswd|git)">
        Require all denied
    </FilesMatch>
    <Location /admin>
        AuthType Basic
        AuthName "Admin area"
        AuthUserFile /etc/apache2/htpasswd
        Require valid-user
        Require ip 10.0.0.0/8
    </Location>
    <IfModule mod_rewrite.c>
        RewriteEngine On
        RewriteCond %{{HTTPS}} !=on
        RewriteRule ^/?(.*) https://%{{SERVER_NAME}}/$1 [R=301,L]
    </IfModule>
    Header always set X-Frame-Options "SAMEORIGIN" "expr=%{{CONTENT_TYPE}} =~ m#text/html#i"
</VirtualHost>
"""


def generate(base: Path, vhosts: int, files: int) -> Path:
    (base / "sites-enabled").mkdir(parents=True)
    (base / "envvars").write_text("export APACHE_RUN_USER=www-data\nexport APACHE_LOG_DIR=/var/log/apache2\n")
    (base / "apache2.conf").write_text(
        "DefaultRuntimeDir /run/apache2\nUser ${APACHE_RUN_USER}\n"
        # the modules Debian enables by default: the vhosts use their directives
        "LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n"
        "LoadModule authz_host_module /usr/lib/apache2/modules/mod_authz_host.so\n"
        "LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so\n"
        "LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so\n"
        "LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so\n"
        "LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so\n"
        "LoadModule access_compat_module /usr/lib/apache2/modules/mod_access_compat.so\n"
        "LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so\n"
        "LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so\n"
        "LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so\n"
        "LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so\n"
        "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so\n"
        "LoadModule autoindex_module /usr/lib/apache2/modules/mod_autoindex.so\n"
        "LoadModule setenvif_module /usr/lib/apache2/modules/mod_setenvif.so\n"
        "LoadModule env_module /usr/lib/apache2/modules/mod_env.so\n"
        "LoadModule filter_module /usr/lib/apache2/modules/mod_filter.so\n"
        "LoadModule deflate_module /usr/lib/apache2/modules/mod_deflate.so\n"
        "LoadModule reqtimeout_module /usr/lib/apache2/modules/mod_reqtimeout.so\n"
        "LoadModule status_module /usr/lib/apache2/modules/mod_status.so\n"
        "LoadModule negotiation_module /usr/lib/apache2/modules/mod_negotiation.so\n"
        "<Directory />\n    Options FollowSymLinks\n    AllowOverride None\n    Require all denied\n</Directory>\n"
        "IncludeOptional sites-enabled/*.conf\n")
    per_file = max(1, vhosts // files)
    for f in range(files):
        text = "".join(VHOST.format(i=f * per_file + k) for k in range(per_file))
        (base / "sites-enabled" / f"site{f:04d}.conf").write_text(text)
    return base / "apache2.conf"


def main() -> None:
    # Measure the way the command runs: `confcheck` disables the cyclic GC for
    # the whole process (cli.run), so no timed call pays for collecting the
    # previous run's tree.
    import gc
    gc.disable()
    ap = argparse.ArgumentParser()
    ap.add_argument("--vhosts", type=int, default=2000)
    ap.add_argument("--files", type=int, default=2000)
    opts = ap.parse_args()

    from confcheck.gcpause import gc_paused
    from confcheck.source import Diagnostics
    from confcheck.parsers.apache_loader import load_apache, loaded_modules
    from confcheck.parsers.syntax import walk

    base = Path(tempfile.mkdtemp(prefix="confcheck-bench-apache-", dir="/var/tmp"))
    try:
        main_conf = generate(base, opts.vhosts, opts.files)
        size = sum(p.stat().st_size for p in base.rglob("*") if p.is_file())
        print(f"tree: {opts.vhosts} <VirtualHost> in {opts.files} files, {size / 1e6:.2f} MB")

        def read():
            diags = Diagnostics()
            config = load_apache(str(main_conf), diags)
            assert not diags.items, diags.items[:3]
            return config

        def read_and_scan():
            # as the engine runs it: one GC pause around reading and scanning
            with gc_paused():
                config = read()
                modules = loaded_modules(config)
                count = sum(1 for _ in walk(config.nodes))
            return config, modules, count

        def scan():
            # the whole config-only scan as `confcheck scan --no-fs` runs it: read, build the
            # model, every rule (the APA rules probe the request model per virtual host)
            from confcheck.engine import ScanOptions, run_scan
            result = run_scan(ScanOptions(paths=[str(main_conf)], server="apache", no_fs=True))
            assert not result.errors, result.errors[:3]
            return result

        config, modules, count = read_and_scan()
        assert "mod_rewrite.c" in modules
        print(f"confcheck: {len(config.parsed)} instances, {count} nodes")
        print(f"load_apache:                              {best_of(read):.3f} s")
        print(f"load_apache + loaded_modules + full walk: {best_of(read_and_scan):.3f} s")
        findings = scan().findings
        print(f"confcheck scan --no-fs (read + every rule): {best_of(scan):.3f} s ({len(findings)} findings)")
    finally:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()

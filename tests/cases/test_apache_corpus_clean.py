"""The healthy Apache corpus stays clean: Debian's stock tree (with packaged app configs
enabled), h5bp's server configs with its .htaccess, and httpd's upstream httpd.conf.

Each is scanned through a `--root` that mirrors where it is installed, config-only
and (except the app configs, whose packages are not installed here) with a disk that
holds what the configs serve. No finding of error severity may appear; warnings
need a reason written in JUSTIFIED_WARNINGS.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from cc_helpers import need_root
from corpus_clean import GROUP, PASSWD, assert_healthy, write

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "parsers"))
from apache_helpers import CORPUS, make_root  # noqa: E402

from confcheck.engine import ScanOptions, run_scan  # noqa: E402

# (rule, file suffix) -> why the warning is right on a healthy config
JUSTIFIED_WARNINGS: dict[tuple[str, str], str] = {}

def _accounts(root: Path) -> None:
    write(root / "etc/passwd", PASSWD)
    write(root / "etc/group", GROUP)


def _debian(base: Path, apps: bool = False) -> tuple[Path, str]:
    root = make_root(base, CORPUS / "debian", "etc/apache2")
    _accounts(root)
    (root / "var/log/apache2").mkdir(parents=True)     # the package's log directory (FS110)
    shutil.copyfile("/etc/mime.types", root / "etc/mime.types")    # media-types, which apache2 depends on (FS110)
    write(root / "var/www/html/index.html", "<h1>It works!</h1>\n")
    (root / "usr/share/apache2/icons").mkdir(parents=True)
    if apps:
        # Debian's packaged app configs, enabled the way their packages do (conf-enabled)
        for conf in sorted((CORPUS / "debian-apps").glob("*.conf")):
            shutil.copyfile(conf, root / "etc/apache2/conf-enabled" / conf.name)   # a link to this machine's
            # file would not be followed out of the image
        # and the modules their packages enable (nagios4's digest auth and group file):
        # without them httpd refuses the config ("Invalid command 'AuthDigestDomain'")
        for mod in ("auth_digest", "authz_groupfile"):
            os.symlink(f"../mods-available/{mod}.load", root / "etc/apache2/mods-enabled" / f"{mod}.load")
    return root, "/etc/apache2/apache2.conf"


def _h5bp(base: Path) -> tuple[Path, str]:
    """h5bp's httpd.conf with its no-ssl template enabled the way its README says; the
    stock vhosts/000-no-ssl-default.conf stays the deny-all catch-all it is meant to be."""
    root = make_root(base, CORPUS / "h5bp", "usr/local/apache2")
    os.symlink("templates/no-ssl.example.com.conf", root / "usr/local/apache2/vhosts/no-ssl.example.com.conf")
    _accounts(root)
    (root / "usr/local/apache2/htdocs").mkdir(parents=True)
    (root / "usr/local/apache2/logs").mkdir(parents=True)
    # the Apache install h5bp's httpd.conf replaces the stock one of (`TypesConfig conf/mime.types`)
    (root / "usr/local/apache2/conf").mkdir(parents=True)
    shutil.copyfile("/etc/mime.types", root / "usr/local/apache2/conf/mime.types")
    write(root / "var/www/example.com/public/index.html", "<h1>h5bp</h1>\n")
    write(root / "var/www/example.com/public/404.html", "<h1>not found</h1>\n")
    return root, "/usr/local/apache2/httpd.conf"


def _h5bp_htaccess(base: Path) -> tuple[Path, str]:
    """h5bp's dist/.htaccess where it is meant to go: a shared host (Debian) whose site
    allows overrides, with mod_rewrite and mod_headers enabled."""
    root, main = _debian(base)
    mods = root / "etc/apache2/mods-enabled"
    for mod in ("rewrite", "headers", "expires"):
        write(mods / f"{mod}.load", f"LoadModule {mod}_module /usr/lib/apache2/modules/mod_{mod}.so\n")
    write(root / "etc/apache2/sites-enabled/site.conf",
           "<VirtualHost *:80>\n    ServerName site.example\n    DocumentRoot /var/www/site\n"
           "    <Directory /var/www/site>\n        AllowOverride All\n    </Directory>\n</VirtualHost>\n")
    write(root / "var/www/site/index.html", "<h1>site</h1>\n")
    write(root / "var/www/site/404.html", "<h1>not found</h1>\n")
    shutil.copyfile(CORPUS / "h5bp/dist/.htaccess", root / "var/www/site/.htaccess")
    os.chmod(root / "var/www/site/.htaccess", 0o644)
    return root, main


def _upstream(base: Path) -> tuple[Path, str]:
    """httpd.conf.in with the placeholders `make install` fills in (no LoadModule lines:
    the modules of a default build are listed instead)."""
    conf = (CORPUS / "httpd-upstream/docs/conf/httpd.conf.in").read_text()
    modules = ["mpm_event", "authz_core", "authz_host", "authn_core", "authn_file", "auth_basic",
               "access_compat", "mime", "log_config", "env", "headers", "setenvif", "unixd",
               "status", "autoindex", "dir", "alias", "filter", "reqtimeout", "version"]
    loads = "\n".join(f"LoadModule {m}_module modules/mod_{m}.so" for m in modules)
    conf = (conf.replace("@@ServerRoot@@", "/usr/local/apache2").replace("@@Port@@", "80")
            .replace("@exp_htdocsdir@", "/usr/local/apache2/htdocs")
            .replace("@exp_cgidir@", "/usr/local/apache2/cgi-bin")
            .replace("@rel_logfiledir@", "logs")
            .replace("@rel_sysconfdir@", "conf")
            .replace("@@LoadModule@@", loads))
    root = base
    write(root / "usr/local/apache2/conf/httpd.conf", conf)
    shutil.copyfile("/etc/mime.types", root / "usr/local/apache2/conf/mime.types")   # `make install` puts one there
    write(root / "etc/passwd", PASSWD + "daemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n")
    write(root / "etc/group", GROUP + "daemon:x:1:\n")
    write(root / "usr/local/apache2/htdocs/index.html", "<html><body><h1>It works!</h1></body></html>\n")
    (root / "usr/local/apache2/cgi-bin").mkdir(parents=True)
    (root / "usr/local/apache2/icons").mkdir(parents=True)
    (root / "usr/local/apache2/logs").mkdir(parents=True)
    return root, "/usr/local/apache2/conf/httpd.conf"


CORPORA = [("debian", _debian), ("debian-apps", lambda b: _debian(b, apps=True)), ("h5bp", _h5bp),
           ("h5bp-htaccess", _h5bp_htaccess),
           ("httpd-upstream", _upstream)]


@pytest.mark.parametrize("name,builder", CORPORA, ids=[c[0] for c in CORPORA])
@pytest.mark.parametrize("no_fs", [True, False], ids=["config-only", "with-disk"])
def test_healthy_apache_corpus_has_no_errors(name, builder, no_fs, tree_dir):
    need_root()
    if name == "debian-apps" and not no_fs:
        pytest.skip("the apps' packages (cacti, munin, phpmyadmin...) are not installed on this disk")
    root, main = builder(Path(tree_dir))
    result = run_scan(ScanOptions(paths=[main], root=str(root), no_fs=no_fs))
    assert_healthy(result, JUSTIFIED_WARNINGS)


def test_h5bp_htaccess_is_really_read(tree_dir):
    """The disk walk finds h5bp's .htaccess and the rules parse it (the test above is not vacuous)."""
    need_root()
    root, main = _h5bp_htaccess(Path(tree_dir))
    from confcheck.engine import ScanContext, apache_targets, open_fs, read_options
    options = ScanOptions(paths=[main], root=str(root))
    apache, _lone = apache_targets(read_options(options), options)
    ctx = ScanContext(options, [], open_fs(options), [])
    ctx.apache = apache
    found = [h.path for h in ctx.survey(apache[0]).htaccess]
    assert found == ["/var/www/site/.htaccess"]
    from confcheck.analyzers.apache._common import htaccess_files
    [item] = htaccess_files(ctx)
    assert item.parsed is not None and len(item.parsed.nodes) > 10 and item.override

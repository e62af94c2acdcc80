"""The healthy corpus stays clean: Debian's default site and h5bp's server configs.

Both are scanned through a `--root` that mirrors their /etc/nginx (as Debian
installs it, sites-enabled/default a symlink), once config-only and once with
a disk that holds what the configs serve (Debian's index.nginx-debian.html,
h5bp's /var/www/example.com/public/index.html and 404.html). h5bp's two
server templates are enabled too, since the stock conf.d holds only its
catch-all `return 444` server.

No finding of error severity may appear. Warnings would each need a reason
written here; today there are none: every nginx rule stays quiet on both
(the catch-all `server_name _; return 444;` is deliberately not NGX112, the
`(?!well-known/)` dot-file rule is not NGX101, h5bp's
`location ~* (?:#.*#|\\.(?:bak|conf|...)|~)$ { deny all; }` is a regex and so
not a prefix that NGX104 could see bypassed).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from cc_helpers import need_root
from corpus_clean import GROUP, PASSWD, assert_healthy, write

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "parsers"))
from nginx_helpers import CORPUS, make_root  # noqa: E402

from confcheck.engine import ScanOptions, run_scan  # noqa: E402

# Warnings allowed, each with the reason it is justified: (rule, file suffix) -> reason.
JUSTIFIED_WARNINGS: dict[tuple[str, str], str] = {}

def _debian_root(base: Path) -> Path:
    root = make_root(base, CORPUS / "debian")
    write(root / "etc/passwd", PASSWD)
    write(root / "etc/group", GROUP)
    write(root / "var/www/html/index.nginx-debian.html", "<h1>Welcome to nginx!</h1>\n")
    for made in ("var/log/nginx", "run"):      # what the package and the system provide (FS110)
        (root / made).mkdir(parents=True)
    return root


def _h5bp_root(base: Path) -> Path:
    root = make_root(base, CORPUS / "h5bp")
    for name in ("example.com.conf", "no-ssl.example.com.conf"):
        # the templates, enabled the way h5bp's README says (a link in conf.d)
        link = root / "etc/nginx/conf.d" / name
        os.symlink(f"templates/{name}", link)
    write(root / "etc/passwd", PASSWD)
    write(root / "etc/group", GROUP)
    write(root / "var/www/example.com/public/index.html", "<h1>example</h1>\n")
    write(root / "var/www/example.com/public/404.html", "<h1>not found</h1>\n")
    for made in ("var/log/nginx", "var/run"):  # what the package and the system provide (FS110)
        (root / made).mkdir(parents=True)
    for name in ("default.crt", "default.key"):    # h5bp's README: the operator puts them there
        write(root / "etc/nginx/certs" / name, "PEM\n")
    return root


@pytest.mark.parametrize("name,builder", [("debian", _debian_root), ("h5bp", _h5bp_root)])
@pytest.mark.parametrize("no_fs", [True, False], ids=["config-only", "with-disk"])
def test_healthy_corpus_has_no_errors(name, builder, no_fs, tree_dir):
    need_root()
    root = builder(Path(tree_dir))
    result = run_scan(ScanOptions(paths=["/etc/nginx/nginx.conf"], root=str(root), no_fs=no_fs))
    assert_healthy(result, JUSTIFIED_WARNINGS)


def test_h5bp_templates_are_really_scanned(tree_dir):
    """The enabled templates are part of the scan (the test above is not vacuous)."""
    need_root()
    root = _h5bp_root(Path(tree_dir))
    from confcheck.engine import nginx_targets, read_options
    options = ScanOptions(paths=["/etc/nginx/nginx.conf"], root=str(root))
    targets = nginx_targets(read_options(options))
    from confcheck.servers.nginx.conf import build_http
    names = [n for s in build_http(targets[0].config.nodes).servers for n, _ in s.names]
    assert "example.com" in names and "www.example.com" in names

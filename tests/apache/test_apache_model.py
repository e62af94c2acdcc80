"""The Apache request model on real trees (a fresh 0755 dir under /var/tmp, real
modes and owners; the worker is www-data). Each test writes a small httpd.conf
with the Debian-like base (`<Directory />` denied, `/var/www` granted,
`<FilesMatch "^\\.ht">` denied) and asks `why`."""

from __future__ import annotations

import base64
import os

import pytest

from confcheck.servers.apache.request import Request, UriStatus, normalize
from confcheck.why import WhyOptions, explain, prepare

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="building trees with other owners needs root")

MODULES = ["mpm_event", "authz_core", "authz_host", "authz_user", "authn_core", "authn_file", "auth_basic",
           "access_compat", "alias", "dir", "autoindex", "mime", "rewrite", "env", "setenvif", "negotiation",
           "headers", "proxy", "proxy_http"]  # Header, ProxyPass (tests here and in coverage): httpd refuses them unloaded


def _conf(base: str, vhost: str, extra: str = "") -> str:
    loads = "\n".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so" for m in MODULES)
    return f"""{loads}
User www-data
Group www-data
Listen 127.0.0.1:8080
ServerName main.test
DirectoryIndex index.html
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
<Directory /var/www/>
    Options Indexes FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>
<FilesMatch "^\\.ht">
    Require all denied
</FilesMatch>
{extra}
<VirtualHost 127.0.0.1:8080>
    ServerName default.test
    DocumentRoot {base}/default
</VirtualHost>
<VirtualHost 127.0.0.1:8080>
    ServerName site.test
    ServerAlias *.site.test
{vhost.replace('@B@', base)}
</VirtualHost>
"""


def _build(base: str, files: dict) -> None:
    for rel, spec in files.items():
        path = os.path.join(base, rel)
        if isinstance(spec, tuple) and spec[0] == "link":
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.symlink(spec[1].replace("@B@", base), path)
            continue
        mode = None
        if isinstance(spec, tuple):
            spec, mode = spec
        if rel.endswith("/"):
            os.makedirs(path, exist_ok=True)
            os.chmod(path, mode or 0o755)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(spec)
        os.chmod(path, mode or 0o644)


def why(tree_dir, vhost, files, path, *, method="GET", host="site.test", headers=None, extra=""):
    _build(tree_dir, files)
    conf = os.path.join(tree_dir, "httpd.conf")
    with open(conf, "w") as fh:
        fh.write(_conf(tree_dir, vhost, extra))
    prepared = prepare(WhyOptions(configs=[conf], server="apache"))
    assert [str(e) for e in prepared.errors] == []
    h = {"Host": host, **(headers or {})}
    return explain(prepared, Request.parse(f"http://127.0.0.1:8080{path}", method, h, "127.0.0.1"))


SITE = """    DocumentRoot @B@/www
    <Directory @B@/www>
        Require all granted
        AllowOverride All
    </Directory>"""


def test_served_file_and_unreadable_file(tree_dir):
    files = {"www/a.html": "a", "www/secret.html": ("s", 0o600)}
    assert why(tree_dir, SITE, files, "/a.html").status == 200
    out = why(tree_dir, SITE, {}, "/secret.html")
    assert out.status == 403 and out.fs_path == f"{tree_dir}/www/secret.html" and "AH00132" in out.reason
    assert out.to_json()["server"] == "apache"


def test_parent_not_searchable_is_ah00035(tree_dir):
    out = why(tree_dir, SITE.replace("AllowOverride All", "AllowOverride None"),
              {"www/d/": ("", 0o700), "www/d/a.html": "a"}, "/d/missing.html")
    assert out.status == 403 and out.fs_path == f"{tree_dir}/www/d" and "AH00035" in out.reason


def test_missing_documentroot_is_403_under_directory_root(tree_dir):
    vhost = "    DocumentRoot @B@/nope\n    <Directory @B@/nope>\n        Require all granted\n    </Directory>"
    out = why(tree_dir, vhost, {"x/": ""}, "/")
    assert out.status == 403 and out.fs_path == f"{tree_dir}/nope"


def test_dangling_symlink_is_403_ah00037(tree_dir):
    out = why(tree_dir, SITE, {"www/l.html": ("link", "@B@/www/gone.html")}, "/l.html")
    assert out.status == 403 and "AH00037" in out.reason and out.fs_path == f"{tree_dir}/www/l.html"


def test_htaccess_class_not_allowed_is_500(tree_dir):
    vhost = SITE.replace("AllowOverride All", "AllowOverride AuthConfig")
    out = why(tree_dir, vhost, {"www/a.html": "a", "www/.htaccess": "Deny from all\n"}, "/a.html")
    assert out.status == 500 and out.reason.endswith("deny not allowed here")


def test_htaccess_ignored_with_allowoverride_none(tree_dir):
    vhost = SITE.replace("AllowOverride All", "AllowOverride None")
    files = {"www/a.html": "a", "www/.htaccess": ("ThisIsNotADirective\n", 0o600)}
    assert why(tree_dir, vhost, files, "/a.html").status == 200


def test_unreadable_htaccess_is_ah00529(tree_dir):
    out = why(tree_dir, SITE, {"www/a.html": "a", "www/.htaccess": ("Require all granted\n", 0o600)}, "/a.html")
    assert out.status == 403 and "AH00529" in out.reason and out.fs_path == f"{tree_dir}/www/.htaccess"


def test_unclosed_ifmodule_of_loaded_module_is_accepted(tree_dir):
    files = {"www/a.html": "a", "www/.htaccess": "<IfModule mod_rewrite.c>\nRequire all denied\n"}
    out = why(tree_dir, SITE, files, "/a.html")
    assert out.status == 403 and out.decided_by.name == "Require"


def test_order_deny_allow_last_match_wins(tree_dir):
    vhost = SITE + "\n    <Directory @B@/www/p>\n        Order deny,allow\n        Deny from all\n" \
                   "        Allow from 127.0.0.1\n    </Directory>"
    assert why(tree_dir, vhost, {"www/p/a.html": "a"}, "/p/a.html").status == 200


def test_order_deny_allow_with_require_granted_is_ah01797(tree_dir):
    vhost = SITE + "\n    <Directory @B@/www/p>\n        Order deny,allow\n        Deny from all\n" \
                   "        Require all granted\n    </Directory>"
    out = why(tree_dir, vhost, {"www/p/a.html": "a"}, "/p/a.html")
    assert out.status == 403 and "AH01797" in out.reason and out.decided_by.name == "Deny"


def test_limit_next_to_grant_does_nothing_but_alone_denies(tree_dir):
    vhost = SITE + """
    <Directory @B@/www/same>
        Require all granted
        <Limit POST>
            Require all denied
        </Limit>
    </Directory>
    <Directory @B@/www/alone>
        <LimitExcept GET>
            Require all denied
        </LimitExcept>
    </Directory>"""
    files = {"www/same/a.html": "a", "www/alone/a.html": "a"}
    assert why(tree_dir, vhost, files, "/same/a.html", method="POST").status == 200
    assert why(tree_dir, vhost, {}, "/alone/a.html", method="POST").status == 403
    assert why(tree_dir, vhost, {}, "/alone/a.html", method="HEAD").status == 200
    assert why(tree_dir, vhost, {}, "/alone/a.html", method="OPTIONS").status == 403


def test_authmerging_or_combines_with_parent(tree_dir):
    vhost = SITE.replace("Require all granted", "Require ip 127.0.0.1") + """
    <Directory @B@/www/sub>
        AuthMerging Or
        Require ip 10.0.0.1
    </Directory>
    <Directory @B@/www/off>
        Require ip 10.0.0.1
    </Directory>"""
    files = {"www/sub/a.html": "a", "www/off/a.html": "a"}
    assert why(tree_dir, vhost, files, "/sub/a.html").status == 200
    assert why(tree_dir, vhost, {}, "/off/a.html").status == 403


def test_basic_auth_needs_credentials(tree_dir):
    vhost = SITE + """
    <Directory @B@/www/m>
        AuthType Basic
        AuthName m
        AuthUserFile @B@/htpasswd
        Require valid-user
    </Directory>"""
    files = {"www/m/a.html": "a", "htpasswd": ("alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", 0o600)}
    out = why(tree_dir, vhost, files, "/m/a.html")
    assert out.status == 401 and out.decided_by.name == "Require"
    token = base64.b64encode(b"alice:password").decode()
    out = why(tree_dir, vhost, {}, "/m/a.html", headers={"Authorization": f"Basic {token}"})
    assert out.status == 500 and out.fs_path == f"{tree_dir}/htpasswd" and out.rule == "FS105"


def test_rewrite_forbidden_and_perdir_without_symlinks(tree_dir):
    files = {"www/f/x.html": "x", "www/f/.htaccess": "RewriteEngine On\nRewriteRule ^x\\.html$ - [F]\n",
             "www/n/a.html": "a", "www/n/b.html": "b",
             "www/n/.htaccess": "Options -FollowSymLinks\nRewriteEngine On\nRewriteRule ^a\\.html$ b.html\n"}
    out = why(tree_dir, SITE, files, "/f/x.html")
    assert out.status == 403 and out.decided_by.name == "RewriteRule"
    out = why(tree_dir, SITE, {}, "/n/a.html")
    assert out.status == 403 and "AH00670" in out.reason


def test_wordpress_front_controller(tree_dir):
    ht = ("<IfModule mod_rewrite.c>\nRewriteEngine On\nRewriteBase /\nRewriteRule ^index\\.php$ - [L]\n"
          "RewriteCond %{REQUEST_FILENAME} !-f\nRewriteCond %{REQUEST_FILENAME} !-d\n"
          "RewriteRule . /index.php [L]\n</IfModule>\n")
    files = {"www/index.php": "<?php", "www/.htaccess": ht, "www/wp-admin/x.php": "x"}
    out = why(tree_dir, SITE, files, "/hello-world/", method="POST")
    assert out.status == 200 and "index.php" in out.reason
    assert why(tree_dir, SITE, {}, "/wp-admin/x.php", method="POST").status == 200


def test_directory_slash_index_and_listing(tree_dir):
    files = {"www/d/index.html": "i", "www/e/": ""}
    vhost = SITE.replace("Require all granted", "Require all granted\n        Options -Indexes")
    out = why(tree_dir, vhost, files, "/d")
    assert out.status == 301 and out.location.endswith("/d/")
    assert why(tree_dir, vhost, {}, "/d/").status == 200
    out = why(tree_dir, vhost, {}, "/e/")
    assert out.status == 403 and "AH01276" in out.reason and out.fs_path == f"{tree_dir}/www/e"


def test_files_match_only_the_last_component(tree_dir):
    vhost = SITE + '\n    <FilesMatch "^\\.">\n        Require all denied\n    </FilesMatch>'
    files = {"www/.well-known/acme-challenge/t": "t", "www/.env": "e", "www/.git/config": "c"}
    assert why(tree_dir, vhost, files, "/.well-known/acme-challenge/t").status == 200
    assert why(tree_dir, vhost, {}, "/.git/config").status == 200
    assert why(tree_dir, vhost, {}, "/.env").status == 403


def test_location_overrides_directory(tree_dir):
    vhost = SITE + "\n    <Location /x>\n        Require all denied\n    </Location>"
    out = why(tree_dir, vhost, {"www/x/a.html": "a"}, "/x/a.html")
    assert out.status == 403 and out.decided_by.name == "Require"


def test_if_expression_known_and_unknown(tree_dir):
    vhost = SITE + """
    <If "%{REQUEST_METHOD} == 'POST'">
        Require all denied
    </If>
    <If "%{TIME_HOUR} -lt 12">
        Header set X-Morning 1
    </If>"""
    files = {"www/a.html": "a"}
    out = why(tree_dir, vhost, files, "/a.html", method="POST")
    assert out.status == 403
    out = why(tree_dir, vhost, {}, "/a.html")
    assert out.status == 200
    assert any("cannot be evaluated" in a for a in out.assumptions)


def test_vhost_selection(tree_dir):
    files = {"www/a.html": "site", "default/a.html": "default"}
    extra = "<Directory {b}/default>\n    Require all granted\n</Directory>".format(b=tree_dir)
    assert "site.test" in why(tree_dir, SITE, files, "/a.html", host="www.site.test", extra=extra).trace[0].detail
    out = why(tree_dir, SITE, {}, "/a.html", host="other.test", extra=extra)
    assert "default.test" in out.trace[0].detail and out.status == 200


def test_negative_require_in_any_refuses_to_start(tree_dir):
    conf = os.path.join(tree_dir, "httpd.conf")
    with open(conf, "w") as fh:
        fh.write(_conf(tree_dir, SITE.replace("Require all granted", "Require not ip 10.0.0.1")))
    prepared = prepare(WhyOptions(configs=[conf], server="apache"))
    assert any("negative Require directive has no effect" in str(e) for e in prepared.errors)


def test_uri_normalisation():
    assert normalize("/a/./b//c/../d") == "/a/b/d"
    assert normalize("/%7euser/x") == "/~user/x"
    with pytest.raises(UriStatus) as exc:
        normalize("/a%2fb")
    assert exc.value.status == 404
    with pytest.raises(UriStatus) as exc:
        normalize("/../x")
    assert exc.value.status == 400


def test_static_merge_gives_the_directory_walks_authz(tree_dir):
    """scan's static merge (served.dir_conf) merges the directory walk's sections as one walk, as
    the request model does: `AuthMerging Or`/`And` alone in a `<DirectoryMatch>` after a
    `<Directory>` Require (with an AuthzSendForbiddenOnFailure-only section, which keeps the
    operator) combine with nothing above the walk (real Apache: the s-git-authmerging-or-grouped
    scenario's /pub/a.html is 403)."""
    from confcheck.servers.apache import authz
    from confcheck.servers.apache.served import apache_served
    vhost = SITE + """
    <Directory @B@/www/pub>
        Require all denied
    </Directory>
    <DirectoryMatch "/pub/">
        AuthMerging Or
    </DirectoryMatch>
    <Directory @B@/www/and>
        Require all granted
    </Directory>
    <DirectoryMatch "/and/">
        AuthMerging And
    </DirectoryMatch>
    <DirectoryMatch "/and/">
        AuthzSendForbiddenOnFailure On
    </DirectoryMatch>"""
    files = {"www/pub/a.html": "a", "www/and/a.html": "a"}
    answers = {name: why(tree_dir, vhost, files, f"/{name}/a.html").status for name in ("pub", "and")}
    assert answers == {"pub": 403, "and": 200}
    prepared = prepare(WhyOptions(configs=[os.path.join(tree_dir, "httpd.conf")], server="apache"))
    conf = prepared.model.conf
    served = apache_served(conf, prepared.reading.loaded[0].tree.server_root)
    site = next(s for s in conf.vhosts if any(name == "site.test" for name, _ in s.names))
    ctx = authz.Context("GET", "127.0.0.1", {}, None, None, lambda *_: None)
    for name, status in answers.items():
        merged = served.dir_conf(site, f"{tree_dir}/www/{name}")
        assert merged.authz_walk_base is None           # the walk is closed
        assert (authz.evaluate(merged.authz, ctx) == authz.GRANTED) == (status == 200), name

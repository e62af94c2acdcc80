"""Config repositories in every common shape read the same whether named by directory,
by `.`, file by file or through the pre-commit hook; `scan`, `why` and `fix` read the
same files for the same command line; and nothing of this machine's own /etc/nginx or
/etc/apache2 (installed here) is read in their place.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import yaml

from cc_helpers import REPO


class Ran:
    """One command run in this process (the suite runs these by the hundred)."""

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = code, stdout, stderr


def run_cli(*args: str, cwd: str) -> Ran:
    import contextlib
    import io

    from confcheck.cli import main
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(here)
    return Ran(code, out.getvalue(), err.getvalue())

NGINX_MAIN = """user www-data;
events {}
http {
    include /etc/nginx/mime.types;
    include /etc/nginx/conf.d/*.conf;
    include /etc/nginx/sites-enabled/*;
}
"""
MIME = "types {\n    text/html html;\n}\n"
UPGRADE = "map $http_upgrade $connection_upgrade {\n    default upgrade;\n    \"\" close;\n}\n"
SHOP = """server {
    listen 80;
    server_name shop.example.com;
    root /var/www/shop;
    include snippets/admin.conf;
    location /uploads/ {
        deny all;
    }
    location ~ \\.php$ {
        fastcgi_pass unix:/run/php/php-fpm.sock;
    }
}
"""
ADMIN = "location /admin/ {\n    deny all;\n    allow 10.0.0.0/8;\n}\n"
LONE = """server {
    listen 8080;
    server_name extra.example.com;
    root /var/www/extra;
    location /private/ {
        deny all;
        allow 192.168.0.0/16;
    }
}
"""
APACHE_MAIN = ("LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n"
               "ServerName www.example.com\nIncludeOptional sites-enabled/*.conf\n")
APACHE_SITE = ("<VirtualHost *:80>\n    DocumentRoot /var/www/html\n    <FilesMatch \"^\\.\">\n"
               "        Require all denied\n    </FilesMatch>\n</VirtualHost>\n")
POOL = "[www]\nuser = www-data\nlisten = /run/php/php-fpm.sock\npm = ondemand\npm.max_children = 5\n"
HTACCESS = "Options -Indexes\nRequire all granted # the site is public\n"


def _nginx(base: str, *, link: str = "../sites-available/shop") -> None:
    _write(f"{base}/nginx/nginx.conf", NGINX_MAIN)
    _write(f"{base}/nginx/mime.types", MIME)
    _write(f"{base}/nginx/conf.d/upgrade.conf", UPGRADE)
    _write(f"{base}/nginx/sites-available/shop", SHOP)
    _write(f"{base}/nginx/snippets/admin.conf", ADMIN)
    os.makedirs(f"{base}/nginx/sites-enabled")
    os.symlink(link, f"{base}/nginx/sites-enabled/shop")


def _apache(base: str) -> None:
    _write(f"{base}/apache2/apache2.conf", APACHE_MAIN)
    _write(f"{base}/apache2/sites-available/000-default.conf", APACHE_SITE)
    os.makedirs(f"{base}/apache2/sites-enabled")
    os.symlink("../sites-available/000-default.conf", f"{base}/apache2/sites-enabled/000-default.conf")


def _htaccess(base: str) -> None:
    _write(f"{base}/site/.htaccess", HTACCESS)


def _lone(base: str) -> None:
    _nginx(base)
    _write(f"{base}/vhosts/extra.conf", LONE)          # a vhost no main includes: read alone


def _absolute_links(base: str) -> None:
    _nginx(base, link="/etc/nginx/sites-available/shop")   # as `ln -s /etc/nginx/...` makes it


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


SHAPES = {
    "nginx-only": (_nginx,),
    "apache-only": (_apache,),
    "mixed": (_nginx, _apache, _htaccess),
    "htaccess-only": (_htaccess,),
    "main-and-lone-vhost": (_lone,),
    "absolute-sites-enabled-links": (_absolute_links,),
}
# What each shape must find (a vacuous comparison of empty results proves nothing).
EXPECTED_RULES = {
    "nginx-only": {"NGX102", "NGX104"},
    "apache-only": {"APA108"},
    "mixed": {"NGX102", "NGX104", "APA108", "APA105"},
    "htaccess-only": {"APA105"},
    "main-and-lone-vhost": {"NGX102", "NGX104"},
    "absolute-sites-enabled-links": {"NGX102", "NGX104"},
}


def _build(tmp_path, shape: str) -> str:
    repo = str(tmp_path / "repo")
    os.makedirs(repo)
    for part in SHAPES[shape]:
        part(repo)
    _write(f"{repo}/README.md", "configs\n")
    _write(f"{repo}/.git/config", "[core]\n")          # never searched
    return repo


def _scan(*args: str, cwd: str) -> dict:
    proc = run_cli("scan", "--no-fs", "--no-progress", "--format", "json", *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr + proc.stdout
    return json.loads(proc.stdout)


def _findings(doc: dict, cwd: str) -> list[tuple]:
    return sorted((f["rule"], os.path.realpath(os.path.join(cwd, f["file"])) if f["file"] else None, f["line"],
                   f["column"]) for f in doc["findings"])


def _read(doc: dict, cwd: str) -> list[str]:
    """The files read, as opened (a link in sites-enabled stays the link)."""
    return sorted(os.path.normpath(os.path.join(cwd, f)) for c in doc["inputs"]["configs"] for f in c["files"])


def _hook_files(repo: str) -> list[str]:
    """What `pre-commit run --all-files` passes: every file the hook's pattern matches."""
    with open(os.path.join(REPO, ".pre-commit-hooks.yaml"), encoding="utf-8") as fh:
        [hook] = yaml.safe_load(fh)
    pattern = re.compile(hook["files"])
    out = []
    for directory, dirs, files in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(directory, name), repo)
            if pattern.search(rel):
                out.append(rel)
    return out


def _hook_args() -> list[str]:
    with open(os.path.join(REPO, ".pre-commit-hooks.yaml"), encoding="utf-8") as fh:
        [hook] = yaml.safe_load(fh)
    entry = hook["entry"].split()
    assert entry[:2] == ["confcheck", "scan"]
    return entry[2:]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_way_of_naming_a_repository_reads_and_finds_the_same(tmp_path, shape):
    repo = _build(tmp_path, shape)
    by_dir = _scan("repo", cwd=str(tmp_path))
    assert {f["rule"] for f in by_dir["findings"]} >= EXPECTED_RULES[shape], by_dir["findings"]
    assert by_dir["errors"] == []
    read = _read(by_dir, str(tmp_path))
    # nothing of the machine's own configuration, and the standard locations untouched
    assert all(path.startswith(repo + "/") for path in read), read
    assert by_dir["inputs"]["standard_locations"]["used"] is False
    by_dot = _scan(".", cwd=repo)
    files = sorted({os.path.relpath(path, repo) for path in read})
    by_file = _scan(*files, cwd=repo)
    proc = run_cli("scan", *_hook_args(), "--format", "json", *_hook_files(repo), cwd=repo)
    assert proc.returncode in (0, 1), proc.stderr
    by_hook = json.loads(proc.stdout)
    for doc, cwd in ((by_dot, repo), (by_file, repo), (by_hook, repo)):
        assert _findings(doc, cwd) == _findings(by_dir, str(tmp_path))
        assert _read(doc, cwd) == read
        assert doc["errors"] == []


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_with_the_disk_read_nothing_of_this_machine_is_read_either(tmp_path, shape):
    if not (os.path.isdir("/etc/nginx") and os.path.isdir("/etc/apache2")):
        pytest.skip("the point is a machine with its own /etc/nginx and /etc/apache2")
    repo = _build(tmp_path, shape)
    proc = run_cli("scan", "--no-progress", "--format", "json", "repo", cwd=str(tmp_path))
    doc = json.loads(proc.stdout)
    read = _read(doc, str(tmp_path))
    assert read and all(path.startswith(repo + "/") for path in read), read
    assert doc["inputs"]["standard_locations"]["used"] is False
    text = run_cli("scan", "--no-progress", "repo", cwd=str(tmp_path)).stdout
    first = text.splitlines()[0]
    assert first.startswith("read ") and "/etc/" not in first.split("(")[0], first


def _why(*args: str, cwd: str):
    return run_cli("why", "http://shop.example.com/admin/x", "--no-fs", "--format", "json", *args, cwd=cwd)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_scan_why_and_fix_read_the_same_files_for_the_same_command_line(tmp_path, shape):
    repo = _build(tmp_path, shape)
    scan = _scan("repo", cwd=str(tmp_path))
    fix = run_cli("fix", "--no-fs", "--format", "json", "repo", cwd=str(tmp_path))
    assert fix.returncode in (0, 1), fix.stderr
    assert _read(json.loads(fix.stdout), str(tmp_path)) == _read(scan, str(tmp_path))
    why = _why("repo", cwd=str(tmp_path))
    configs = scan["inputs"]["configs"]
    servers = [c for c in configs if c["kind"] != "htaccess"]
    if len(configs) == 1 and servers:
        assert why.returncode == 0, why.stderr
        assert _read(json.loads(why.stdout), str(tmp_path)) == _read(scan, str(tmp_path))
    else:
        # several configurations (or a .htaccess alone): why answers for one, and says
        # which it found, the same ones scan read
        assert why.returncode == 2
        message = why.stderr
        for config in configs:
            assert os.path.relpath(os.path.join(str(tmp_path), config["path"]), str(tmp_path)) in message \
                or config["kind"] == "htaccess", message
    if shape == "mixed":
        # --server picks one server's configuration, for both commands alike
        scan = _scan("--server", "nginx", "repo", cwd=str(tmp_path))
        why = _why("--server", "nginx", "repo", cwd=str(tmp_path))
        assert why.returncode == 0, why.stderr
        assert _read(json.loads(why.stdout), str(tmp_path)) == _read(scan, str(tmp_path))


def test_text_output_starts_with_what_was_read_and_names_files_as_given(tmp_path):
    _build(tmp_path, "mixed")
    proc = run_cli("scan", "--no-fs", "--no-progress", "repo", cwd=str(tmp_path))
    lines = proc.stdout.splitlines()
    assert lines[0] == ("read nginx: repo/nginx/nginx.conf + 4 included files (/etc/nginx/ read from repo/nginx/); "
                        "apache: repo/apache2/apache2.conf + 1 included file, repo/site/.htaccess (alone)")
    assert "repo/nginx/snippets/admin.conf:2:5: NGX102" in proc.stdout
    assert str(tmp_path) not in proc.stdout
    # SARIF and JSON stay documents: no line before them
    sarif = run_cli("scan", "--no-fs", "--format", "sarif", "repo", cwd=str(tmp_path))
    assert json.loads(sarif.stdout)["runs"][0]["results"]


def test_a_directory_without_config_is_a_served_tree_only_beside_a_config(tree_dir):
    from cc_helpers import make_site
    make_site(tree_dir)
    doc = json.loads(run_cli("scan", "--root", tree_dir, "--format", "json", "/srv/site", cwd=tree_dir).stdout)
    assert doc["inputs"]["standard_locations"]["used"] is True
    assert [t["path"] for t in doc["inputs"]["served_trees"]] == ["/srv/site"]
    assert doc["inputs"]["configs"][0]["path"] == f"{tree_dir}/etc/nginx/nginx.conf"
    doc = json.loads(run_cli("scan", "--root", tree_dir, "--format", "json", "/etc/nginx", "/srv/site",
                             cwd=tree_dir).stdout)
    assert doc["inputs"]["standard_locations"]["used"] is False
    assert [t["path"] for t in doc["inputs"]["served_trees"]] == ["/srv/site"]
    # config-only: every PATH must hold config
    proc = run_cli("scan", "--root", tree_dir, "--no-fs", "/etc/nginx", "/srv/site", cwd=tree_dir)
    assert proc.returncode == 2 and "/srv/site: no nginx or Apache configuration in it" in proc.stderr


def test_files_a_search_finds_that_are_not_config_or_not_enabled_are_listed_not_read(tmp_path):
    repo = _build(tmp_path, "nginx-only")
    _write(f"{repo}/php/pool.d/www.conf", POOL)
    _write(f"{repo}/supervisor/conf.d/worker.conf", "[program:worker]\ncommand=/usr/bin/worker\n")
    _write(f"{repo}/nginx/sites-available/old", LONE.replace("allow 192", "allow 172"))   # not enabled
    doc = _scan("repo", cwd=str(tmp_path))
    assert doc["errors"] == []
    assert {(s["path"], s["reason"].split(":")[0]) for s in doc["inputs"]["not_read"]} == {
        ("repo/supervisor/conf.d/worker.conf", "neither an nginx nor an Apache configuration"),
        ("repo/nginx/sites-available/old", "not enabled")}
    # the pool file is php-fpm's: read alone (its php-fpm.conf is not in the repository)
    [fpm] = [c for c in doc["inputs"]["configs"] if c["server"] == "php-fpm"]
    assert (fpm["kind"], fpm["path"], [p["name"] for p in fpm["pools"]]) == ("pool", "repo/php/pool.d/www.conf", ["www"])
    assert not any(f["file"].endswith("sites-available/old") for f in doc["findings"])


def test_the_hook_given_only_a_pool_file_reads_it_and_nothing_else(tmp_path):
    repo = _build(tmp_path, "nginx-only")
    _write(f"{repo}/php/pool.d/www.conf", "[www]\nuser = www-data\nlisten = /run/php/php-fpm.sock\n")
    proc = run_cli("scan", *_hook_args(), "--format", "json", "php/pool.d/www.conf", cwd=repo)
    doc = json.loads(proc.stdout)
    inputs = doc["inputs"]
    assert [c["path"] for c in inputs["configs"]] == ["php/pool.d/www.conf"]
    assert inputs["standard_locations"]["used"] is False and inputs["not_read"] == []
    # php-fpm refuses a pool without pm: exit 2, in php-fpm's words, at the pool's line
    assert proc.returncode == 2
    assert [(e["line"], e["message"]) for e in doc["errors"]] == [
        (1, "[pool www] the process manager is missing (static, dynamic or ondemand)")]


def test_the_search_looks_at_the_files_the_hook_passes():
    from confcheck.inputs.paths import is_candidate
    with open(os.path.join(REPO, ".pre-commit-hooks.yaml"), encoding="utf-8") as fh:
        [hook] = yaml.safe_load(fh)
    pattern = re.compile(hook["files"])
    for path in ("nginx/nginx.conf", "nginx/sites-available/shop", "nginx/sites-enabled/shop",
                 "nginx/snippets/admin.conf", "nginx/conf.d/upgrade.conf", "apache2/apache2.conf",
                 "apache2/mods-enabled/rewrite.load", "site/.htaccess", "httpd.conf", "vhosts.d/a",
                 "README.md", "site/index.html", "nginx/mime.types", "nginx/fastcgi_params"):
        folder, name = os.path.split(path)
        assert is_candidate(os.path.basename(folder), name) == bool(pattern.search(path)), path

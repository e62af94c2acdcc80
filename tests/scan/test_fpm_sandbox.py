"""php-fpm's own unit (Debian's php8.2-fpm.service, RHEL's php-fpm.service): the pool
reads its scripts through that unit's namespace, the web server connects to the socket
through its own, and every answer the sandboxes cause names the unit line. The real
servers agree in tests/realserver/test_fpm_sandbox_matches_server.py."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from cc_helpers import need_root, run_cli, write_image

from confcheck.servers.nginx.request import Request
from confcheck.why import WhyOptions, explain, prepare

NGINX = """user www-data;
events {}
http {
    server {
        listen 80;
        root %(root)s;
        location ~ \\.php$ {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
            fastcgi_pass unix:%(sock)s;
        }
    }
}
"""
FPM = """[global]
pid = /run/php/php8.2-fpm.pid
error_log = /var/log/php8.2-fpm.log
[www]
user = www-data
group = www-data
listen = %(sock)s
listen.owner = www-data
listen.group = www-data
pm = static
pm.max_children = 1
"""
FPM_CONF = "/etc/php/8.2/fpm/php-fpm.conf"
DEBIAN_UNIT = ("[Service]\nType=notify\n"
               "ExecStart=/usr/sbin/php-fpm8.2 --nodaemonize --fpm-config /etc/php/8.2/fpm/php-fpm.conf\n")
FPM_DROPIN = "etc/systemd/system/php8.2-fpm.service.d/harden.conf"
NGINX_DROPIN = "etc/systemd/system/nginx.service.d/harden.conf"


def image(tmp_dirs, *, root="/home/alice/site", sock="/run/php/php8.2-fpm.sock", fpm_dropin=None,
          nginx_dropin=None, unit=DEBIAN_UNIT, unit_name="php8.2-fpm.service", fpm_conf=FPM_CONF):
    need_root()
    files = {"etc/nginx/nginx.conf": NGINX % {"root": root, "sock": sock},
             "etc/nginx/fastcgi_params": "fastcgi_param REQUEST_METHOD $request_method;\n",
             fpm_conf.lstrip("/"): FPM % {"sock": sock},
             root.lstrip("/") + "/index.php": "<?php echo 'hi';\n",
             root.lstrip("/") + "/page.html": "page\n",
             os.path.dirname(sock).lstrip("/") + "/.keep": "",
             "usr/lib/systemd/system/nginx.service": "[Service]\nExecStart=/usr/sbin/nginx\n",
             "usr/lib/systemd/system/" + unit_name: unit}
    if fpm_dropin is not None:
        files[FPM_DROPIN.replace("php8.2-fpm.service", unit_name)] = fpm_dropin
    if nginx_dropin is not None:
        files[NGINX_DROPIN] = nginx_dropin
    base = write_image(files, prefix="cc-fpmunit-")
    tmp_dirs.append(base)
    return base


@pytest.fixture
def tmp_dirs():
    made = []
    yield made
    for base in made:
        shutil.rmtree(base)


def ask(base, path, fpm_conf=FPM_CONF):
    prepared = prepare(WhyOptions(configs=["/etc/nginx/nginx.conf", fpm_conf], root=base))
    assert [str(e) for e in prepared.errors] == []
    return explain(prepared, Request.parse(f"http://x{path}", "GET", {"Host": "x"}, "127.0.0.1"))


def test_without_a_sandbox_the_script_runs(tmp_dirs):
    base = image(tmp_dirs)
    outcome = ask(base, "/index.php")
    assert outcome.status is None and "answered by the PHP script" in outcome.reason
    assert "sandbox" not in outcome.reason


def test_protect_home_on_php_fpm_hides_the_script_but_not_the_static_files(tmp_dirs):
    base = image(tmp_dirs, fpm_dropin="[Service]\nProtectHome=yes\n")
    outcome = ask(base, "/index.php")
    assert outcome.status == 404, outcome.reason
    assert outcome.fs_path == "/home"
    assert f"{base}/{FPM_DROPIN}:2:1" in outcome.reason and "php8.2-fpm.service's sandbox" in outcome.reason
    static = ask(base, "/page.html")        # nginx reads it: its own unit has no sandbox
    assert static.status == 200, static.reason


def test_protect_home_read_only_changes_no_read(tmp_dirs):
    base = image(tmp_dirs, fpm_dropin="[Service]\nProtectHome=read-only\n")
    assert ask(base, "/index.php").status is None


def test_nginx_sandbox_no_longer_decides_the_pool_reads(tmp_dirs):
    """ProtectHome=yes on nginx alone: nginx cannot serve the static file, and php-fpm
    (outside that namespace) still runs the script."""
    base = image(tmp_dirs, nginx_dropin="[Service]\nProtectHome=yes\n")
    assert ask(base, "/page.html").status == 403
    assert ask(base, "/index.php").status is None


@pytest.mark.parametrize("side", ["php-fpm", "nginx"])
def test_a_socket_in_a_private_tmp_is_unreachable(tmp_dirs, side):
    dropin = "[Service]\nPrivateTmp=yes\n"
    base = image(tmp_dirs, root="/srv/www", sock="/tmp/php/fpm.sock",
                 **({"fpm_dropin": dropin} if side == "php-fpm" else {"nginx_dropin": dropin}))
    outcome = ask(base, "/index.php")
    assert outcome.status == 502, outcome.reason
    line = FPM_DROPIN if side == "php-fpm" else NGINX_DROPIN
    assert f"{base}/{line}:2:1" in outcome.reason and "(2: No such file or directory)" in outcome.reason
    assert outcome.rule == "FS109" and outcome.fs_path == "/tmp/php/fpm.sock"


def test_units_joining_namespaces_share_their_private_tmp_unknown(tmp_dirs):
    base = image(tmp_dirs, root="/srv/www", sock="/tmp/php/fpm.sock",
                 fpm_dropin="[Unit]\nJoinsNamespaceOf=nginx.service\n[Service]\nPrivateTmp=yes\n",
                 nginx_dropin="[Service]\nPrivateTmp=yes\n")
    outcome = ask(base, "/index.php")
    assert outcome.status is None and "JoinsNamespaceOf=nginx.service" in outcome.reason, outcome.reason


def test_private_tmp_leaves_a_socket_elsewhere_alone(tmp_dirs):
    base = image(tmp_dirs, root="/srv/www", fpm_dropin="[Service]\nPrivateTmp=yes\n",
                 nginx_dropin="[Service]\nPrivateTmp=yes\n")
    assert ask(base, "/index.php").status is None


def test_protect_system_strict_without_the_socket_folder_writable_stops_php_fpm(tmp_dirs):
    base = image(tmp_dirs, root="/srv/www", fpm_dropin="[Service]\nProtectSystem=strict\n")
    outcome = ask(base, "/index.php")
    assert outcome.status == 502 and "EROFS" in outcome.reason, outcome.reason
    assert f"{base}/{FPM_DROPIN}:2:1" in outcome.reason
    fixed = image(tmp_dirs, root="/srv/www",
                  fpm_dropin="[Service]\nProtectSystem=strict\nReadWritePaths=/run/php\n")
    assert ask(fixed, "/index.php").status is None      # reads are unchanged by read-only mounts


def test_the_unit_applies_to_the_config_its_exec_start_names(tmp_dirs):
    """RHEL's php-fpm.service (default /etc/php-fpm.conf) and a unit naming another config
    with --fpm-config=FILE: only the configuration the unit loads gets its sandbox."""
    rhel = image(tmp_dirs, unit="[Service]\nExecStart=/usr/sbin/php-fpm --nodaemonize\nPrivateTmp=true\n",
                 unit_name="php-fpm.service", fpm_conf="/etc/php-fpm.conf", root="/srv/www", sock="/tmp/x/f.sock")
    outcome = ask(rhel, "/index.php", "/etc/php-fpm.conf")
    assert outcome.status == 502 and f"{rhel}/usr/lib/systemd/system/php-fpm.service:3:1" in outcome.reason
    named = image(tmp_dirs, fpm_dropin="[Service]\nProtectHome=yes\n",
                  unit="[Service]\nExecStart=/usr/sbin/php-fpm8.2 -F --fpm-config=/etc/php/custom.conf\n")
    assert ask(named, "/index.php").status is None         # the unit starts /etc/php/custom.conf, not this one
    os.rename(os.path.join(named, FPM_CONF.lstrip("/")), os.path.join(named, "etc/php/custom.conf"))
    assert ask(named, "/index.php", "/etc/php/custom.conf").status == 404


def test_scan_names_php_fpm_unit_files_and_reports_the_hidden_script(tmp_dirs):
    base = image(tmp_dirs, fpm_dropin="[Service]\nProtectHome=yes\n")
    doc = json.loads(run_cli("scan", "--root", base, "/etc/nginx/nginx.conf", FPM_CONF, "--format", "json").stdout)
    [fpm] = [c for c in doc["inputs"]["configs"] if c["server"] == "php-fpm"]
    assert fpm["unit"] == {"name": "php8.2-fpm.service",
                           "files": ["/usr/lib/systemd/system/php8.2-fpm.service", "/" + FPM_DROPIN]}
    # the sandbox's finding with its drop-in, never PHP102's chmod (no mode change helps)
    assert not [f for f in doc["findings"] if f["rule"].startswith("PHP")], doc["findings"]
    [hidden] = [f for f in doc["findings"] if f["rule"] == "FS109"]
    assert FPM_DROPIN + ":2:1" in hidden["message"] and hidden["fs_path"] == "/home"
    assert "+++ b/etc/systemd/system/php8.2-fpm.service.d/zz-confcheck.conf" in hidden["fix"]["diff"]
    assert "BindReadOnlyPaths=/home/alice/site" in hidden["fix"]["diff"]


def test_scan_offers_read_write_paths_for_a_read_only_socket_folder(tmp_dirs):
    base = image(tmp_dirs, root="/srv/www", fpm_dropin="[Service]\nProtectSystem=strict\n")
    doc = json.loads(run_cli("scan", "--root", base, "/etc/nginx/nginx.conf", FPM_CONF, "--format", "json").stdout)
    [hidden] = [f for f in doc["findings"] if f["rule"] == "FS109"]
    assert hidden["fs_path"] == "/run/php/php8.2-fpm.sock" and "EROFS" in hidden["message"]
    assert "ReadWritePaths=/run/php" in hidden["fix"]["diff"]


# -- AppArmor: Debian's php-fpm profile (package apparmor-profiles), as the pools run under it ------

WWW_CHILD = """profile www flags=(attach_disconnected) {
  include <abstractions/php-worker>
  /srv/www/** r,
  deny /srv/www/secret/** r,
}
"""


def apparmor_image(tmp_dirs, *, enforce=True, hat=None, child=WWW_CHILD):
    """The image with the host's /etc/apparmor.d (Debian's php-fpm profile, its abstractions and
    tunables), the profile put in enforce mode as an admin would (its `complain` flag removed)."""
    if not os.path.exists("/etc/apparmor.d/php-fpm"):
        if os.environ.get("CI"):
            pytest.fail("Debian's apparmor-profiles (php-fpm's profile) is this test's subject and CI must have it")
        pytest.skip("apparmor-profiles is not installed")
    base = image(tmp_dirs, root="/srv/www")
    shutil.copytree("/etc/apparmor.d", os.path.join(base, "etc/apparmor.d"), symlinks=True, dirs_exist_ok=True)
    profile = os.path.join(base, "etc/apparmor.d/php-fpm")
    with open(profile) as fh:
        text = fh.read()
    assert "flags=(complain,attach_disconnected)" in text      # what Debian ships
    if enforce:
        text = text.replace("flags=(complain,attach_disconnected)", "flags=(attach_disconnected)")
    with open(profile, "w") as fh:
        fh.write(text)
    if child is not None:
        os.makedirs(os.path.join(base, "etc/apparmor.d/php-fpm.d"), exist_ok=True)
        with open(os.path.join(base, "etc/apparmor.d/php-fpm.d/www"), "w") as fh:
            fh.write(child)
    for rel, text in (("srv/www/secret/s.php", "<?php\n"),):
        os.makedirs(os.path.dirname(os.path.join(base, rel)), exist_ok=True)
        with open(os.path.join(base, rel), "w") as fh:
            fh.write(text)
    os.chmod(os.path.join(base, "srv/www/secret"), 0o755)
    if hat is not None:
        conf = os.path.join(base, FPM_CONF.lstrip("/"))
        with open(conf, "a") as fh:
            fh.write(f"apparmor_hat = {hat}\n")
    return base, profile


def test_debian_php_fpm_profile_ships_in_complain_mode_and_changes_nothing(tmp_dirs):
    base, _ = apparmor_image(tmp_dirs, enforce=False)
    assert ask(base, "/index.php").status is None


def test_enforced_php_fpm_profile_refuses_the_pool_a_script_it_has_no_rule_for(tmp_dirs):
    """Debian's profile grants php's own files, not the sites: a pool without apparmor_hat runs
    under it, and php-fpm's open() of the script fails (EACCES: 403 'Access denied.')."""
    base, _ = apparmor_image(tmp_dirs)
    outcome = ask(base, "/index.php")
    assert outcome.status == 403 and outcome.rule == "FS111", outcome.reason
    # the profile as the host names it (server paths: the --root prefix is not part of them)
    assert "no rule of AppArmor profile php-fpm (/etc/apparmor.d/php-fpm:7:1" in outcome.reason
    assert outcome.fs_path == "/srv/www/index.php"
    static = ask(base, "/page.html")       # nginx's own reads: no nginx profile in Debian's packages
    assert static.status == 200


def test_a_pool_apparmor_hat_runs_under_the_child_profile(tmp_dirs):
    base, _ = apparmor_image(tmp_dirs, hat="www")
    assert ask(base, "/index.php").status is None          # /srv/www/** r in php-fpm//www
    outcome = ask(base, "/secret/s.php")
    assert outcome.status == 403 and outcome.rule == "FS111", outcome.reason
    assert "`deny /srv/www/secret/** r` at /etc/apparmor.d/php-fpm.d/www:4:3 denies r" in outcome.reason
    assert "php-fpm//www" in outcome.reason


def test_an_apparmor_hat_without_its_child_profile_is_unknown(tmp_dirs):
    base, _ = apparmor_image(tmp_dirs, hat="shop")
    outcome = ask(base, "/index.php")
    assert outcome.status is None and "has no child profile shop" in outcome.reason


def test_scan_reports_the_profile_refusal_with_the_profile_rule_fix(tmp_dirs):
    base, _ = apparmor_image(tmp_dirs)
    doc = json.loads(run_cli("scan", "--root", base, "/etc/nginx/nginx.conf", FPM_CONF, "--format", "json").stdout)
    assert not [f for f in doc["findings"] if f["rule"].startswith("PHP")], doc["findings"]
    found = [f for f in doc["findings"] if f["rule"] == "FS111"]
    assert found and all("AppArmor profile php-fpm" in f["message"] for f in found)
    assert "/srv/www/** r," in found[0]["fix"]["title"] and "local/php-fpm" in found[0]["fix"]["title"]


# -- PHP105 through php-fpm's unit: a folder the pool writes into, read-only in its namespace ------

def upload_image(tmp_dirs, fpm_dropin):
    """/srv/uploads (mode 1777: anyone may write on the plain disk) as the pool's upload_tmp_dir."""
    base = image(tmp_dirs, root="/srv/www", fpm_dropin=fpm_dropin)
    with open(os.path.join(base, FPM_CONF.lstrip("/")), "a") as fh:
        fh.write("php_admin_value[upload_tmp_dir] = /srv/uploads\n")
    os.makedirs(os.path.join(base, "srv/uploads"))
    os.chmod(os.path.join(base, "srv/uploads"), 0o1777)
    return base


def php105(base):
    doc = json.loads(run_cli("scan", "--root", base, "/etc/nginx/nginx.conf", FPM_CONF, "--format", "json").stdout)
    return [f for f in doc["findings"] if f["rule"] == "PHP105"]


@pytest.mark.parametrize("dropin, found", [
    (None, False),                                                                # the plain disk: writable
    ("[Service]\nProtectSystem=strict\nReadWritePaths=/run/php\n", True),          # / read-only, /srv too
    ("[Service]\nProtectSystem=strict\nReadWritePaths=/run/php /srv/uploads\n", False),
    ("[Service]\nProtectSystem=full\n", False),                                    # /usr, /boot, /etc only
])
def test_scan_judges_upload_folders_through_php_fpm_unit(tmp_dirs, dropin, found):
    got = php105(upload_image(tmp_dirs, dropin))
    assert bool(got) is found, got
    if found:
        [finding] = got
        assert finding["fs_path"] == "/srv/uploads" and "read-only" in finding["message"]
        assert FPM_DROPIN + ":2:1" in finding["message"]        # the unit line: ProtectSystem=strict
        diff = finding["fix"]["diff"]
        assert "+++ b/etc/systemd/system/php8.2-fpm.service.d/zz-confcheck.conf" in diff
        assert "+ReadWritePaths=/srv/uploads" in diff
        assert "chmod" not in json.dumps(finding["fix"]) and "setfacl" not in json.dumps(finding["fix"])


def test_address_families_without_unix_make_the_socket_answer_unknown(tmp_dirs):
    """RestrictAddressFamilies=AF_INET AF_INET6 (a hardening line copied without AF_UNIX): nginx
    cannot create the socket to php-fpm. Not measured here (no seccomp in the harness): the
    answer is null and names the line, never the 200 the pool would give."""
    base = image(tmp_dirs, root="/srv/www",
                 nginx_dropin="[Service]\nRestrictAddressFamilies=AF_INET AF_INET6\n")
    outcome = ask(base, "/index.php")
    assert outcome.status is None and "leaves AF_UNIX out" in outcome.reason, outcome.reason
    assert f"{base}/{NGINX_DROPIN}:2:1" in outcome.reason
    assert ask(base, "/page.html").status == 200      # static files need no socket
    base = image(tmp_dirs, root="/srv/www",
                 nginx_dropin="[Service]\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n")
    outcome = ask(base, "/index.php")
    assert outcome.status is None and "answered by the PHP script" in outcome.reason


def test_a_master_started_as_a_user_makes_the_pool_answer_unknown(tmp_dirs):
    """User= in php-fpm's unit: the master is not root, so the pool's `user` and
    listen.owner/listen.group are ignored (php-fpm says so at start) and scripts run as the
    unit's user: not followed, the answer names the line."""
    base = image(tmp_dirs, root="/srv/www", unit=DEBIAN_UNIT + "User=www-data\n")
    outcome = ask(base, "/index.php")
    assert outcome.status is None and "User=www-data at " in outcome.reason, outcome.reason
    base = image(tmp_dirs, root="/srv/www", unit=DEBIAN_UNIT + "User=www-data\nUser=\n")
    assert "answered by the PHP script" in ask(base, "/index.php").reason

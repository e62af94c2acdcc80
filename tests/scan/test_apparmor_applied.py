"""The worker's AppArmor profile decides reads in scan and why (FS111).

This kernel does not enforce AppArmor, so the servers cannot run confined here:
the profiles are read from a --root image (where an enforce-mode profile that is
not disabled is assumed loaded, and the answer says so), and the profile reader
itself is checked against apparmor_parser's preprocessing in
tests/parsers/test_apparmor.py. On the live host the kernel's own list of loaded
profiles decides (test_live_host_without_apparmor_is_unchanged).
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from cc_helpers import need_root, run_cli, write_image

CONF = ("user www-data;\nevents {}\nhttp {\n    server {\n        listen 80;\n        root /srv/site;\n"
        "        location /files/ { autoindex on; }\n    }\n}\n")

PROFILE = """#include <tunables/global>
/usr/sbin/nginx {
  /var/www/** r,
  /srv/site/ r,
  /srv/site/index.html r,
  /srv/site/files/ r,
%s
  include if exists <local/usr.sbin.nginx>
}
"""


def build(files: dict[str, str]) -> str:
    common = {"etc/nginx/nginx.conf": CONF, "srv/site/index.html": "hi\n", "srv/site/secret.html": "s\n",
              "srv/site/files/a.txt": "a\n", "etc/apparmor.d/tunables/global": ""}
    return write_image({**common, **files}, prefix="cc-apparmor-")


@pytest.fixture
def image():
    need_root()
    made = []

    def make(extra_rules: str = "", **files):
        base = build({"etc/apparmor.d/usr.sbin.nginx": PROFILE % extra_rules,
                      **{k.replace("__", "/").replace("_dot_", "."): v for k, v in files.items()}})
        made.append(base)
        return base

    yield make
    for base in made:
        shutil.rmtree(base)


def why(root: str, url: str) -> dict:
    done = run_cli("why", "--root", root, "--config", "/etc/nginx/nginx.conf", url, "--format", "json")
    return json.loads(done.stdout)


def test_a_file_no_rule_grants_is_403_naming_the_profile(image):
    root = image()
    allowed = why(root, "http://x/index.html")
    assert allowed["status"] == 200, allowed
    refused = why(root, "http://x/secret.html")
    assert refused["status"] == 403 and refused["rule"] == "FS111", refused
    text = json.dumps(refused)
    assert "/etc/apparmor.d/usr.sbin.nginx:2:1" in text and "enforce mode assumed" in text


def test_a_deny_rule_wins_and_is_named(image):
    root = image("  deny /srv/site/index.html r,")
    refused = why(root, "http://x/index.html")
    assert refused["status"] == 403 and refused["rule"] == "FS111", refused
    assert "deny /srv/site/index.html r" in json.dumps(refused)


def test_listing_needs_r_on_the_directory_with_its_slash(image):
    root = image()
    assert why(root, "http://x/files/")["status"] == 200
    root = image("  deny /srv/site/files/ r,")
    listed = why(root, "http://x/files/")
    assert listed["status"] == 403 and listed["rule"] == "FS111", listed


def test_complain_mode_and_disabled_profiles_are_not_applied(image):
    root = image()
    with open(os.path.join(root, "etc/apparmor.d/usr.sbin.nginx")) as fh:
        text = fh.read()
    with open(os.path.join(root, "etc/apparmor.d/usr.sbin.nginx"), "w") as fh:
        fh.write(text.replace("/usr/sbin/nginx {", "/usr/sbin/nginx flags=(complain) {"))
    assert why(root, "http://x/secret.html")["status"] == 200
    root = image()
    os.makedirs(os.path.join(root, "etc/apparmor.d/disable"))
    os.symlink("/etc/apparmor.d/usr.sbin.nginx", os.path.join(root, "etc/apparmor.d/disable/usr.sbin.nginx"))
    assert why(root, "http://x/secret.html")["status"] == 200


def test_a_rule_the_reader_does_not_know_makes_the_answer_unknown(image):
    root = image("  dbus (send) bus=system {\n  }")
    answer = why(root, "http://x/index.html")
    assert answer["status"] is None, answer
    assert "usr.sbin.nginx" in json.dumps(answer)


def test_scan_reports_fs111_with_a_display_only_profile_rule(image):
    root = image()
    doc = json.loads(run_cli("scan", "--root", root, "/etc/nginx/nginx.conf", "--format", "json").stdout)
    found = [f for f in doc["findings"] if f["rule"] == "FS111"]
    assert found, doc["findings"]
    assert set(found[0]["fs_paths"]) == {"/srv/site/secret.html", "/srv/site/files/a.txt"}
    fix = found[0]["fix"]
    assert fix["applicability"] == "display-only"
    assert "add `/srv/site/** r,` to /etc/apparmor.d/local/usr.sbin.nginx " in fix["title"]
    assert "apparmor_parser -r /etc/apparmor.d/usr.sbin.nginx`" in fix["title"]
    # the mode bits are fine: no chmod rule fires for a file only AppArmor refuses
    assert not [f for f in doc["findings"] if f["rule"] in ("FS101", "FS102", "FS103")]


def test_live_host_without_apparmor_is_unchanged():
    """This kernel enforces no AppArmor (no /sys/module/apparmor): the machine's own
    profiles (php-fpm's, Debian's extra ones) change no answer."""
    from confcheck.fs.apparmor import for_server
    from confcheck.fs.live import LiveFs
    loaded = LiveFs().apparmor_profiles()
    try:
        with open("/sys/module/apparmor/parameters/enabled", "rb") as fh:
            enabled = fh.read().strip() == b"Y"
    except OSError:
        enabled = False
    if not enabled:
        assert loaded == {}
        assert for_server(LiveFs(), "nginx") is None and for_server(LiveFs(), "php-fpm") is None
    elif loaded is not None:      # the kernel's list decides: a complain-mode php-fpm is not applied
        confined = for_server(LiveFs(), "php-fpm")
        assert confined is None or loaded.get(confined.profile.name) == "enforce"


APACHE = ("ServerRoot /etc/apache2\nUser www-data\nGroup www-data\nListen 80\n"
          "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"
          "LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n"
          "ErrorLog /dev/null\nDocumentRoot /srv/site\n<Directory /srv/site>\n    Require all granted\n"
          "</Directory>\n")


def test_apache_worker_under_its_profile(image):
    root = build({"etc/apache2/apache2.conf": APACHE,
                  "etc/apparmor.d/usr.sbin.apache2": "/usr/sbin/apache2 {\n  /srv/site/index.html r,\n}\n"})
    try:
        def status(url):
            done = run_cli("why", "--root", root, "--config", "/etc/apache2/apache2.conf", url, "--format", "json")
            return json.loads(done.stdout)
        assert status("http://x/index.html")["status"] == 200
        refused = status("http://x/secret.html")
        assert refused["status"] == 403 and refused["rule"] == "FS111", refused
    finally:
        shutil.rmtree(root)


@pytest.mark.skipif(not os.path.exists("/usr/share/apparmor/extra-profiles/usr.sbin.httpd2-prefork"),
                    reason="apparmor-profiles is not installed")
def test_a_profile_with_hats_is_unknown_not_guessed():
    """SUSE's Apache profile (apparmor-profiles) changes into a hat per request through
    mod_apparmor: confcheck does not model hats, so it answers nothing through it."""
    need_root()
    root = build({"etc/apache2/apache2.conf": APACHE})
    try:
        shutil.rmtree(os.path.join(root, "etc/apparmor.d"))
        shutil.copytree("/etc/apparmor.d", os.path.join(root, "etc/apparmor.d"), symlinks=True,
                        ignore=shutil.ignore_patterns("disable", "force-complain"))
        shutil.copy("/usr/share/apparmor/extra-profiles/usr.sbin.httpd2-prefork",
                    os.path.join(root, "etc/apparmor.d/usr.sbin.httpd2-prefork"))
        os.makedirs(os.path.join(root, "usr/sbin"))
        os.symlink("apache2", os.path.join(root, "usr/sbin/httpd2-prefork"))
        done = run_cli("why", "--root", root, "--config", "/etc/apache2/apache2.conf", "http://x/index.html",
                       "--format", "json")
        answer = json.loads(done.stdout)
        assert answer["status"] is None and "hats" in json.dumps(answer), answer
    finally:
        shutil.rmtree(root)

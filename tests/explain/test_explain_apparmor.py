"""explain maps the kernel's AppArmor audit lines to the profile rule that decides
(read from the image under --root: the profile, its includes and tunables)."""

from __future__ import annotations

from confcheck.explain import Machine, explain_events
from confcheck.logparse import parse_line
from confcheck.why import WhyOptions

PROFILE = """\
@{WWW}=/var/www /srv/www
profile nginx /usr/sbin/nginx {
  @{WWW}/** r,
  deny @{WWW}/**/.git/** rw,
  owner /home/*/public_html/** r,
  ^site {
    /srv/site/** r,
  }
}
"""
COMPLAIN = "profile php-fpm /usr/sbin/php-fpm* flags=(complain) {\n  /var/lib/php/** rw,\n}\n"


def _line(verdict, profile, name, fsuid=33, ouid=0):
    return (f'Dec  6 10:00:00 host kernel: audit: type=1400 audit(1765000000.123:42): apparmor="{verdict}" '
            f'operation="open" profile="{profile}" name="{name}" pid=812 comm="nginx" requested_mask="r" '
            f'denied_mask="r" fsuid={fsuid} ouid={ouid}')


def _explain(root, *lines):
    report = explain_events([parse_line(line) for line in lines], Machine(WhyOptions(root=str(root))))
    assert report.unknown == 0
    return report.causes


def _image(tmp_path):
    d = tmp_path / "etc/apparmor.d"
    d.mkdir(parents=True)
    (d / "usr.sbin.nginx").write_text(PROFILE)
    (d / "php-fpm").write_text(COMPLAIN)
    return tmp_path, str(d / "usr.sbin.nginx")


def test_deny_rule_and_missing_grant_are_named(tmp_path):
    root, profile = _image(tmp_path)
    [deny] = _explain(root, _line("DENIED", "nginx", "/srv/www/app/.git/config"))
    assert deny.kind == "apparmor-denied" and deny.fs_path == "/srv/www/app/.git/config"
    assert f"at {profile}:4:3 denies r" in deny.explanation
    [none] = _explain(root, _line("DENIED", "nginx", "/opt/site/index.html"))
    assert f"no rule of profile nginx ({profile}:2:1) grants r on /opt/site/index.html" in none.explanation


def test_owner_rules_hats_and_complain_mode(tmp_path):
    root, profile = _image(tmp_path)
    [other] = _explain(root, _line("DENIED", "nginx", "/home/al/public_html/a.html", fsuid=33, ouid=1000))
    assert "no rule of profile nginx" in other.explanation          # owner rules need the worker to own it
    [owned] = _explain(root, _line("DENIED", "nginx", "/home/al/public_html/a.html", fsuid=33, ouid=33))
    assert f"at {profile}:5:3" in owned.explanation and "older than the file" in owned.explanation
    [hat] = _explain(root, _line("DENIED", "nginx//site", "/srv/www/x"))
    assert "no rule of profile nginx//site" in hat.explanation
    [complain] = _explain(root, _line("ALLOWED", "php-fpm", "/etc/shadow"))
    assert complain.kind == "apparmor-complain" and complain.status is None
    assert complain.explanation.startswith("complain mode: reported, not applied")


def test_unknown_profile_text_makes_the_answer_unknown(tmp_path):
    root, _ = _image(tmp_path)
    (root / "etc/apparmor.d/usr.sbin.nginx").write_text(PROFILE.replace("  ^site {", "  if ${x} {\n  }\n  ^site {"))
    [cause] = _explain(root, _line("DENIED", "nginx", "/opt/x"))
    assert "the answer is unknown" in cause.explanation


FPM_ENFORCED = """\
profile php-fpm /usr/sbin/php-fpm* flags=(attach_disconnected) {
  /var/lib/php/** rw,
  change_profile -> php-fpm//*,
  include if exists <php-fpm.d>
}
"""
FPM_POOL = """\
profile www flags=(attach_disconnected) {
  /srv/www/** r,
  deny /srv/www/**/.env r,
}
"""


def test_php_fpm_pool_profiles_are_named(tmp_path):
    """php-fpm's workers log under the master's profile, or under PROFILE//HAT when the pool
    sets apparmor_hat (a child profile of php-fpm.d/, as Debian's profile includes it)."""
    root, _ = _image(tmp_path)
    d = root / "etc/apparmor.d"
    (d / "php-fpm").write_text(FPM_ENFORCED)
    (d / "php-fpm.d").mkdir()
    (d / "php-fpm.d/www").write_text(FPM_POOL)
    [master] = _explain(root, _line("DENIED", "php-fpm", "/srv/www/index.php"))
    assert f"no rule of profile php-fpm ({d}/php-fpm:1:1) grants r on /srv/www/index.php" in master.explanation
    [deny] = _explain(root, _line("DENIED", "php-fpm//www", "/srv/www/app/.env"))
    assert f"at {d}/php-fpm.d/www:3:3 denies r" in deny.explanation
    [stale] = _explain(root, _line("DENIED", "php-fpm//www", "/srv/www/index.php"))
    assert f"php-fpm//www as it is on disk grants r" in stale.explanation and "www:2:3" in stale.explanation
    [gone] = _explain(root, _line("DENIED", "php-fpm//shop", "/srv/www/index.php"))
    assert "no profile of that name" in gone.explanation

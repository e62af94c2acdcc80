"""The AppArmor reader against AppArmor's own tools (this kernel does not enforce
AppArmor: /sys/module/apparmor is absent, so no server runs confined here):

- includes, abstractions, tunables and hats: the file rules confcheck reads from
  each profile Debian ships (packages apparmor, apparmor-profiles) equal those
  in `apparmor_parser -p`'s preprocessed text of the same profile;
- globbing: the matcher of apparmor-utils (python3-apparmor's apparmor.aare)
  decides every generated (pattern, path) pair the way confcheck's regex does.
"""

from __future__ import annotations

import collections
import json
import os
import random
import shutil
import subprocess

import pytest

from confcheck.fs.live import LiveFs
from confcheck.parsers.apparmor import _Reader, glob_regex, load_profiles
from confcheck.source import SourceFile

PARSER = shutil.which("apparmor_parser") or ("/usr/sbin/apparmor_parser"
                                            if os.path.exists("/usr/sbin/apparmor_parser") else None)
SYSTEM_PY = "/usr/bin/python3"


def _need(what: str, ok: bool):
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is this test's oracle and CI must run it")
        pytest.skip(f"{what} is not installed")


def _rules(profiles) -> collections.Counter:
    out: collections.Counter = collections.Counter()

    def walk(profile, prefix):
        for r in profile.rules:
            out[(prefix + profile.name, r.pattern, r.perms, r.deny, r.owner)] += 1
        for hat in [*profile.hats.values(), *profile.children.values()]:
            walk(hat, prefix + profile.name + "//")
    for p in profiles:
        walk(p, "")
    return out


def _both_ways(fs, path: str, check: bool = True):
    """The profiles confcheck reads from `path`, its problems, and the profiles read back from
    `apparmor_parser -p` (includes expanded by the oracle itself)."""
    mine, problems = load_profiles(fs, [path])
    pre = subprocess.run([PARSER, "-p", path], capture_output=True, text=True, check=check).stdout
    reader = _Reader(fs, None)
    reader._statements(SourceFile("-p", pre.encode()))
    return mine, problems, reader.profiles


def _shipped():
    if not os.path.isdir("/etc/apparmor.d"):
        return []
    return sorted(os.path.join("/etc/apparmor.d", n) for n in os.listdir("/etc/apparmor.d")
                  if os.path.isfile(os.path.join("/etc/apparmor.d", n)))


def test_debian_profiles_read_like_apparmor_parser():
    _need("apparmor_parser (Debian packages apparmor, apparmor-profiles)", PARSER is not None)
    profiles = _shipped()
    assert len(profiles) >= 10, "apparmor-profiles is not installed"
    fs = LiveFs(None)
    wrong = []
    for path in profiles:
        mine, problems, theirs = _both_ways(fs, path, check=False)
        if _rules(mine) != _rules(theirs) or problems:
            wrong.append(f"{path}: {sum(_rules(mine).values())} rules vs {sum(_rules(theirs).values())}"
                         f" in apparmor_parser -p; {problems[:2]}")
    assert not wrong, "\n".join(wrong)


HAT_PROFILE = """\
#include <tunables/global>
profile nginx /usr/sbin/nginx flags=(attach_disconnected) {
  #include <abstractions/base>
  /var/www/{html,shop}/** r,
  deny /var/www/**/.git/** rw,
  owner @{HOME}/public_html/** r,
  ^site {
    /srv/site/** r,
  }
}
"""


def test_own_profile_with_hat_reads_like_apparmor_parser(tmp_path):
    _need("apparmor_parser", PARSER is not None)
    path = tmp_path / "usr.sbin.nginx"
    path.write_text(HAT_PROFILE)
    fs = LiveFs(None)
    mine, problems, theirs = _both_ways(fs, str(path))
    assert problems == [] and _rules(mine) == _rules(theirs)
    nginx = mine[0]
    assert nginx.decide("/var/www/shop/a.html", "r", False)[0] is True
    allowed, rule = nginx.decide("/var/www/shop/.git/config", "r", False)
    assert allowed is False and rule.deny and rule.span.line == 5
    assert nginx.decide("/home/alice/public_html/i.html", "r", True)[0] is True
    assert nginx.decide("/home/alice/public_html/i.html", "r", False)[0] is False     # owner only
    assert nginx.decide("/srv/site/a", "r", False) == (False, nginx)
    assert nginx.hats["site"].decide("/srv/site/a", "r", False)[0] is True
    assert not nginx.complain


def _patterns(rng: random.Random) -> list[str]:
    parts = ["a", "b", "*", "**", "?", "{a,b}", "{,x}", "[ab]", "[^a]", "x*y", "{a,**}"]
    out = []
    for _ in range(120):
        out.append("/" + "/".join(rng.choice(parts) for _ in range(rng.randint(1, 3))) + rng.choice(["", "/"]))
    return out


def _paths(rng: random.Random) -> list[str]:
    names = ["a", "b", "x", "xy", "xay", "ab", ""]
    return ["/" + "/".join(rng.choice(names) for _ in range(rng.randint(1, 4))) for _ in range(60)]


def test_globbing_matches_apparmor_utils():
    ok = os.path.exists(SYSTEM_PY) and subprocess.run(
        [SYSTEM_PY, "-c", "import apparmor.aare"], capture_output=True).returncode == 0
    _need("python3-apparmor (apparmor-utils)", ok)
    rng = random.Random(7)
    patterns, paths = _patterns(rng), _paths(rng)
    oracle = subprocess.run([SYSTEM_PY, "-c", (
        "import json,sys\nfrom apparmor.aare import AARE\n"
        "pats,paths=json.load(sys.stdin)\n"
        "print(json.dumps([[AARE(p,False).match(q) for q in paths] for p in pats]))")],
        input=json.dumps([patterns, paths]), capture_output=True, text=True, check=True)
    want = json.loads(oracle.stdout)
    import re
    wrong = []
    for p, row in zip(patterns, want):
        rx = re.compile(glob_regex(p))
        for q, expected in zip(paths, row):
            if bool(rx.fullmatch(q)) != expected:
                wrong.append(f"{p!r} on {q!r}: apparmor says {expected}")
    assert not wrong, "\n".join(wrong[:20])


def test_php_fpm_child_profiles_read_like_apparmor_parser(tmp_path):
    """Debian's php-fpm profile includes php-fpm.d/, where each pool's child profile lives
    (the pool's apparmor_hat changes into php-fpm//NAME): every child is read with its own
    includes, as apparmor_parser -p expands them, and decides apart from its parent."""
    _need("apparmor_parser and Debian's php-fpm profile (apparmor-profiles)",
          PARSER is not None and os.path.exists("/etc/apparmor.d/php-fpm"))
    (tmp_path / "php-fpm.d").mkdir()
    (tmp_path / "php-fpm.d" / "www").write_text(
        "profile www flags=(attach_disconnected) {\n  include <abstractions/php-worker>\n  /srv/www/** r,\n"
        "  deny /srv/www/secret/** r,\n}\n")
    text = open("/etc/apparmor.d/php-fpm").read()
    assert "include if exists <php-fpm.d>" in text
    path = tmp_path / "php-fpm"
    path.write_text(text.replace("include if exists <php-fpm.d>", f'include if exists "{tmp_path}/php-fpm.d"'))
    fs = LiveFs(None)
    mine, problems, theirs = _both_ways(fs, str(path))
    assert problems == [] and _rules(mine) == _rules(theirs)
    [fpm] = mine
    assert fpm.complain and not fpm.unknown and list(fpm.children) == ["www"]
    www = fpm.children["www"]
    assert www.decide("/srv/www/index.php", "r", False)[0] is True
    assert www.decide("/etc/php/8.2/fpm/php.ini", "r", False)[0] is True      # abstractions/php, again
    assert www.decide("/srv/www/secret/a.php", "r", False)[0] is False
    assert fpm.decide("/srv/www/index.php", "r", False) == (False, fpm)      # the master's own rules

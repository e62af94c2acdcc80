"""`confcheck fix` against real Apache: apply the patch, run the permission
script as root, run the server again, compare every request.

A session of its own (fresh trees, so the shared `apache_run` trees stay as
they were for the other tests): real Apache answers every scenario once
(the scenarios/apache/ files plus EXTRA below), then confcheck scans the very
httpd.conf it ran, the fix command's library applies the config patch
(`apply_patch`: hash check, backup, atomic write, re-scan) with unsafe fixes
included, the guarded script runs with sh as root, and the same server (same
config file, same port) answers every request again.

EXTRA holds what the scenario files do not: a `<FilesMatch "^\\.">` that leaves
/.git/ served next to a .github directory and an ACME token (APA108; run in a
session of its own, `git`, so its one intended change is checked alone), and
two configs that stop httpd from starting (APA105, APA118). The harness drops those two from the first run (`apache2 -t` refuses
them, checked here); they are written back into the config before the scan,
so the fix must make `apache2 -t` accept the whole config and their requests
get the intended answers (before: None, the server would not start).

Every request whose answer changed must be listed in CHANGED with its exact
before/after status (each is a 403/500 a fix was meant to remove, or a side
effect the fix's title states), and every other request of every scenario
must get the same status and body.
"""

from __future__ import annotations

import os

import pytest
from realserver_harness.accounts import Accounts
from realserver_harness.fixes import apply_fixes, run_patched, unexpected_changes
from realserver_harness.scenarios import load_file, load_scenarios
from realserver_harness.session import RealServerSession

from confcheck.engine import ScanOptions, run_scan
from confcheck.fixcmd import collect

pytestmark = pytest.mark.realserver

EXTRA = r"""
scenarios:
  - name: fx-filesmatch-dot-leaves-git
    ref: "28"
    title: FilesMatch "^\." refuses /.env but serves /.git/config (APA108)
    tree:
      - {path: www/index.html}
      - {path: www/.env}
      - {path: www/.git/config, content: "[core]\n"}
      - {path: www/.github/x.yml, content: "gh\n"}
      - {path: www/.well-known/acme-challenge/tok, content: "acme\n"}
    apache: |
      DocumentRoot @ROOT@/www
      <Directory @ROOT@/www>
          Require all granted
      </Directory>
      <FilesMatch "^\.">
          Require all denied
      </FilesMatch>
    requests:
      - path: /.git/config
        apache: {status: 200, body: "[core]\n"}
      - path: /.env
        apache: {status: 403, decided_by: Require all denied}
      - path: /.github/x.yml
        apache: {status: 200, body: "gh\n"}
      - path: /.well-known/acme-challenge/tok
        apache: {status: 200, body: "acme\n"}
      - path: /index.html
        apache: 200

  - name: fx-require-trailing-comment
    ref: own
    title: Require ip 127.0.0.1 # comment -> httpd refuses to start (APA105)
    tree:
      - {path: www/index.html, content: "home\n"}
    apache: |
      DocumentRoot @ROOT@/www
      <Directory @ROOT@/www>
          Require ip 127.0.0.1 # only from here
      </Directory>
    requests:
      - path: /
        apache: {status: 200, body: "home\n"}

  - name: fx-negative-require-in-any
    ref: A40
    title: Require all granted + Require not ip -> httpd refuses to start (APA118)
    tree:
      - {path: www/a.html, content: "a\n"}
    apache: |
      DocumentRoot @ROOT@/www
      <Directory @ROOT@/www>
          Require all granted
          Require not ip 192.0.2.10
      </Directory>
    requests:
      - path: /a.html
        apache: {status: 200, body: "a\n"}
"""

# scenarios of EXTRA that `apache2 -t` must refuse before the fix (message substring)
REFUSED = {
    "fx-require-trailing-comment": "ip address '#' appears to be invalid",
    "fx-negative-require-in-any": "negative Require directive has no effect",
}

# (scenario, request index): (status before, status after the fix)
# Reviewed by hand: each is a refusal (403/500) a fix removes, a server that did
# not start (None) and now answers, a leak closed, or a side effect the fix's
# title states.
CHANGED: dict[tuple[str, int], tuple[int | None, int]] = {
    # APA101: a <Directory> grant after the DocumentRoot/Alias
    ("a40-docroot-without-grant", 0): (403, 200),      # GET /a.html
    ("a40-docroot-without-grant", 1): (403, 200),      # GET /
    ("a40-docroot-without-grant", 2): (403, 404),      # GET /missing.html - granted, so a plain 404
    ("a40-docroot-without-grant", 3): (403, 200),      # POST /a.html (a static file answers POST)
    ("a40-grant-only-on-subdir", 1): (403, 200),       # GET /a.html
    ("a40-grant-only-on-subdir", 2): (403, 200),       # GET /pubx/a.html
    ("a41-alias-without-grant", 0): (403, 200),        # GET /files/a.txt
    ("a41-alias-without-grant", 3): (403, 404),        # GET /files/missing.txt
    ("a-scriptalias-no-cgi", 2): (403, 200),           # GET /cgi2/hello.sh (no CGI module: sent as a file)
    ("a-app-debian-default-site", 3): (403, 200),      # GET /srvsite/ (the grant Debian's comment asks for)
    # APA103: Order/Deny refused everyone next to `Require all granted` (unsafe fix: Require decides)
    ("a35-38-mixed-22-24-one-section", 0): (403, 200),  # GET /m1/a.html
    ("a35-38-mixed-22-24-one-section", 2): (403, 200),  # GET /m3/a.html
    # APA114: Options +SymLinksIfOwnerMatch in the .htaccess: mod_rewrite runs again
    ("a26-31-htaccess-rewrite", 2): (403, 200),        # GET /nosym/a.html (rewritten to b.html)
    ("a26-31-htaccess-rewrite", 3): (403, 200),        # GET /nosym/b.html
    # APA116 / APA117: the .htaccess and the password file become readable
    ("a19-22-htaccess-unreadable", 0): (403, 200),     # GET /all/a.html
    ("a19-22-htaccess-unreadable", 1): (403, 404),     # GET /all/missing.html
    ("a19-22-htaccess-unreadable", 3): (403, 200),     # GET /d700/a.html (FS101: o+x on the 0700 dir)
    ("a19-22-htaccess-unreadable", 4): (403, 200),     # GET /d700n/a.html (FS101)
    ("a45-auth-file-unreadable-missing", 1): (500, 200),   # GET /a/a.html with credentials
    # APA108: <DirectoryMatch "/\.git(/|$)"> Require all denied
    # APA108: <DirectoryMatch "/\.git(/|$)"> Require all denied in the vhost of the FilesMatch
    ("a27-28-filesmatch-dotfiles", 1): (200, 403),     # GET /.git/config - the leak is closed
    ("s-git-authmerging-or-grouped", 0): (200, 403),   # GET /.git/config - served through AuthMerging Or; closed
    # APA105 / APA118: httpd starts again
    ("fx-require-trailing-comment", 0): (None, 200),   # GET /
    ("fx-negative-require-in-any", 0): (None, 200),    # GET /a.html
    # FS101/FS102/FS103 on Apache: the permission script
    ("a-directoryindex-variants", 5): (403, 200),      # GET /unr/ (index.html 0600: o+r)
    ("a-userdir", 3): (403, 200),                      # GET /~ud/priv/a.html (0700 dir: o+x)
    ("a-userdir", 6): (403, 200),                      # GET /~ud2/ (0700 home: o+x)
    ("a28-30-rewrite-to-denied-targets", 1): (403, 200),   # GET /to-secret (rewritten to a 0600 file)
    ("a35-36-dangling-and-unreadable-target", 1): (403, 200),  # GET /link.html (link to a 0600 file)
    ("a43-44-indexes", 0): (403, 200),                 # GET /ix/ (index.html 0600)
    ("a43-44-indexes", 5): (403, 200),                 # GET /d711/ (listing of a 0711 dir: o+r)
    ("negotiation-multiviews", 9): (403, 200),         # GET /mv/sec (MultiViews' sec.html 0600: o+r)
    ("r01-file-0600-root", 0): (403, 200),             # GET /a.html
    ("r03-file-0044-owner-www-data", 0): (403, 200),   # GET /a.html
    ("r04-file-0604-group-www-data", 0): (403, 200),   # GET /a.html
    ("r05-dir-0700-get-file", 0): (403, 200),          # GET /d700/a.html
    ("r06-dir-0700-get-dir", 0): (403, 200),           # GET /d700/
    ("r07-dir-0744-get-file", 0): (403, 200),          # GET /d744/a.html
    ("r09-dir-0711-autoindex", 0): (403, 200),         # GET /d711/
    ("r11-13-docroot-under-0700", 0): (403, 200),      # GET /a.html
    ("r11-13-docroot-under-0700", 1): (403, 200),      # GET /
    ("r11-13-docroot-under-0700", 2): (403, 404),      # GET /missing.html - the directory opens: a plain 404
    ("r14-docroot-under-home-0750", 0): (403, 200),    # GET /a.html
    ("r18-index-0600-root", 0): (403, 200),            # GET /
    ("gen-2602-325-allowoverride-nonfatal", 4): (403, 200),   # GET /alone/x.html (its .htaccess 0000: o+r)
    # GET /compat/z.html stays 200: httpd skips the .htaccess's Deny (AllowOverride Nonfatal=All AuthConfig),
    # so APA103 sees no mix there and writes no Require for it
}

# the `git` session: EXTRA's APA108 scenario alone
CHANGED_GIT: dict[tuple[str, int], tuple[int | None, int]] = {
    ("fx-filesmatch-dot-leaves-git", 0): (200, 403),   # GET /.git/config - the leak is closed
    # /.env stays 403, /.github/x.yml and the ACME token stay 200: the pattern names .git only
}
GIT_SCENARIO = "fx-filesmatch-dot-leaves-git"


@pytest.fixture(scope="module", params=["shared", "git"])
def fixed_run(request, tmp_path_factory):
    from conftest import require_realserver
    require_realserver("apache")
    extra_file = tmp_path_factory.mktemp("extra") / "extra.yaml"
    extra_file.write_text(EXTRA, encoding="utf-8")
    extra = load_file(extra_file)
    if request.param == "git":
        scenarios = [s for s in extra if s.name == GIT_SCENARIO]
    else:
        scenarios = load_scenarios(kind="apache") + [s for s in extra if s.name != GIT_SCENARIO]
    session = RealServerSession("apache", scenarios)
    # accounts of their own (see test_nginx_fixes_real.py)
    session.accounts = Accounts(tag=f"cct{os.getppid()}{request.param[0]}")
    request.addfinalizer(session.close)
    session.setup()
    before = session.run()
    runner = session.runner
    # the configs that stop httpd were dropped by -t: check why, then put them back
    for bound in session.bound:
        if bound.name in REFUSED:
            assert bound.error and REFUSED[bound.name] in bound.error, bound.error
            bound.error = None
    text, line_map = runner.render_config([b for b in session.bound if b.error is None], runner.port)
    runner.conf_path.write_text(text, encoding="utf-8")
    if request.param == "shared":
        assert runner.test_config() is not None      # the whole server is down before the fix

    options = ScanOptions(paths=[str(before.conf_path)])
    result = run_scan(options)
    assert [str(e) for e in result.errors] == []
    # UserDir reaches every account's home: leave other sessions' trees alone
    base = str(session.base) + "/"
    findings = [f for f in result.findings if f.fs_path is None or f.fs_path.startswith(base)]
    fixset = collect(findings, unsafe=True)
    assert fixset.patch
    apply_fixes(session, fixset, options)
    return request.param, before, run_patched(session, line_map), fixset


def test_fixes_turn_refusals_into_answers_and_change_nothing_else(fixed_run):
    which, before, after, _fixset = fixed_run
    expected = CHANGED if which == "shared" else CHANGED_GIT
    lines = unexpected_changes(before, after, expected)
    assert not lines, "\n".join(lines)


def test_every_apache_config_fix_was_applied(fixed_run):
    """The rules whose config fixes the real server just confirmed."""
    which, _before, _after, fixset = fixed_run
    rules = {item.finding.rule for item in fixset.config_items}
    perms = {item.finding.rule for item in fixset.permission_items}
    if which == "git":
        assert rules == {"APA108"} and not perms, (rules, perms)
        return
    assert {"APA101", "APA103", "APA105", "APA108", "APA114", "APA118"} <= rules, rules
    assert {"APA116", "APA117"} <= perms, perms

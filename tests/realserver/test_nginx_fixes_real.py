"""`confcheck fix` against real nginx: apply the patch, run the permission
script as root, run the server again, compare every request.

A session of its own (fresh trees, so the shared `nginx_run` trees stay as
they were for the other tests): real nginx answers every scenario once, then
confcheck scans the very nginx.conf it ran, the fix command's library applies
the config patch (`apply_patch`: hash check, backup, atomic write, re-scan)
with unsafe fixes included, the guarded script runs with sh as root, and the
same server (same config file, same port) answers every request again.

Every request whose answer changed must be listed in CHANGED with its exact
before/after status (each is a 403/404/500 a fix was meant to remove, a leak
it closes - a 200 that becomes the 403 the config asked for - or a side effect
its title states), and every other request of every scenario must get the same
status and body.
"""

from __future__ import annotations

import os

import pytest
from realserver_harness.accounts import Accounts
from realserver_harness.fixes import apply_fixes, run_patched, unexpected_changes
from realserver_harness.scenarios import load_scenarios
from realserver_harness.session import RealServerSession

from confcheck.engine import ScanOptions, run_scan
from confcheck.fixcmd import collect

pytestmark = pytest.mark.realserver

# (scenario, request index): (status before, status after the fix)
# Reviewed by hand: each is a refusal (403/500), a wrong 404, a hidden file or a
# leak that a fix removes, or a side effect the fix's title states.
CHANGED: dict[tuple[str, int], tuple[int, int]] = {
    # the fix gives www-data x on alt/ and www/d2/: under disable_symlinks the try_files $1/ / $uri/ test
    # (openat(dir, ".")) now finds the directory, so the fallback no longer answers: the index module's 403
    # (no index file, autoindex off), and -d is true on /t/d2/ (its `return 403`)
    ("gen-20261206-82", 0): (200, 403),
    ("gen-20261206-82", 1): (200, 403),
    ("gen-20261206-82", 4): (418, 403),
    ("app-api-proxy", 5): (403, 502),
    ("ar-known", 10): (403, 200),   # GET /secret/a.html - the auth_request location's file made readable   # OPTIONS /api/users (NGX110: handed to the backend now)
    ("cors-limit-except", 0): (403, 405),   # OPTIONS /api/a.json - limit_except lets the preflight through (NGX110's CORS check); a static location has no OPTIONS handler: 405, the backend's to answer
    ("cr-caret-location-inherits-server-deny", 0): (403, 200),   # GET /.well-known/acme-challenge/x - `allow all;` in the public location (NGX103)
    ("cr-covering-cidr-deny-shadows-allow", 0): (403, 200),   # GET /a.html
    ("cr-dotfile-return-404-hits-acme", 0): (404, 200),   # GET /.well-known/acme-challenge/x
    ("cr-inner-deny-replaces-outer-list", 0): (200, 403),   # GET /api/a.html from 127.0.0.1 - the outer allow 10/8 + deny all holds again (NGX103)
    ("cr-limit-except-proxied-api", 0): (403, 502),   # OPTIONS /api/items
    ("cr-return-403-prefix-bypassed-by-regex", 0): (200, 403),   # GET /backup/x.sql - the leak is closed: `^~ /backup` (NGX104)
    ("cr-stripped-referer-needs-blocked", 0): (403, 200),   # GET /strict/a.png
    ("cr-stripped-referer-needs-blocked", 1): (403, 200),   # GET /strict/a.png
    ("cr-try-files-dir-before-uri-fallback", 0): (403, 200),   # GET / - the fallback answers once `$uri/` is dropped (NGX106, unsafe)
    ("cr-try-files-dir-before-uri-fallback", 1): (403, 200),   # GET /sub/ - the same
    ("gen-1-109", 0): (403, 404),   # GET /d1/sub/ - www/d1 searchable again: the missing sub/ is a plain 404
    ("n01-valid-referers", 1): (403, 200),   # GET /img/a.png
    ("n10-try-files-file-in-0700-dir", 0): (404, 200),   # GET /d700/a.html
    ("fs101-debian-default-site-www-0700", 0): (404, 200),   # GET / - the index page once /var/www opens
    ("fs101-debian-default-site-www-0700", 1): (404, 200),   # GET /a.html
    ("n11-try-files-file-0600", 0): (403, 200),   # GET /a.html
    ("n12-try-files-fallback-file-in-0700-dir", 0): (200, 200),   # GET /d700/a.html - the real file instead of the fallback
    ("n13-alias-without-slash", 0): (200, 200),   # GET /img/a.png - a.png instead of the sibling imagesa.png (NGX107)
    ("n14-alias-off-by-slash", 1): (200, 404),   # GET /assets../secret.txt - the leak is closed (NGX108)
    ("n14-alias-off-by-slash", 2): (301, 404),   # GET /assets - NGX108's stated side effect (unsafe fix)
    ("n15-root-repeats-prefix", 0): (404, 200),   # GET /static/app.css
    ("n18-prefix-deny-bypassed-by-regex", 0): (200, 403),   # GET /static/a.css - the leak is closed: `^~ /static/` (NGX104)
    ("n20-server-deny-location-allow", 3): (200, 403),   # GET /other/a.html from 127.0.0.1 - only 10/8 gets in once `deny all;` is repeated (NGX103)
    ("own-acl-mask-removes-grant", 0): (403, 200),   # GET /mdir/a.html
    ("own-acl-mask-removes-grant", 1): (403, 200),   # GET /m.html
    ("own-acl-named-user-denied", 0): (403, 200),   # GET /a.html
    ("own-acl-named-user-denied", 1): (403, 200),   # GET /ndir/b.html
    ("own-acme-prefix-without-caret", 0): (403, 200),   # GET /.well-known/acme-challenge/x
    ("own-alias-to-0700-dir", 0): (403, 200),   # GET /static/a.css
    ("own-autoindex-0711", 1): (403, 200),   # GET /pub/
    ("own-dir-owner-class-www-data", 0): (403, 200),   # GET /d077/a.html
    ("own-docroot-itself-0700", 0): (403, 200),   # GET /
    ("own-docroot-itself-0700", 1): (403, 200),   # GET /index.html
    ("own-home-0750-user-group", 0): (403, 200),   # GET /
    ("own-home-0750-user-group", 1): (403, 200),   # GET /index.html
    ("own-supplementary-group-read", 1): (403, 200),   # GET /b.html
    ("own-symlink-into-0700-dir", 0): (403, 200),   # GET /link.html
    ("own-valid-referers-server-names-regex", 0): (403, 200),   # GET /img/a.png
    ("own-valid-referers-server-names-regex", 5): (403, 200),   # GET /img/a.png
    ("r01-file-0600-root", 0): (403, 200),   # GET /a.html
    ("r03-file-0044-owner-www-data", 0): (403, 200),   # GET /a.html
    ("r04-file-0604-group-www-data", 0): (403, 200),   # GET /a.html
    ("r05-dir-0700-get-file", 0): (403, 200),   # GET /d700/a.html
    ("r06-dir-0700-get-dir", 0): (403, 200),   # GET /d700/
    ("r07-dir-0744-get-file", 0): (403, 200),   # GET /d744/a.html
    ("r09-dir-0711-autoindex", 0): (403, 200),   # GET /d711/
    ("r11-13-docroot-under-0700", 0): (403, 200),   # GET /a.html
    ("r11-13-docroot-under-0700", 1): (403, 200),   # GET /
    ("r11-13-docroot-under-0700", 2): (403, 404),   # GET /missing.html - the directory opens: a missing file is a plain 404
    ("r14-docroot-under-home-0750", 0): (403, 200),   # GET /a.html
    ("r18-index-0600-root", 0): (403, 200),   # GET /
    ("r22-first-match-wins", 0): (403, 200),   # GET /denyfirst/a.html
    ("r27-dotfile-rule", 0): (403, 200),   # GET /.well-known/acme-challenge/x
    ("r36-symlink-to-0600-target", 0): (403, 200),   # GET /link.html
    ("r45-auth-file-0600-root", 1): (500, 200),   # GET /a.html
    ("ch-flv-mp4", 3): (403, 200),   # GET /v/s.flv - the 0600 file made readable
    ("gz-static", 9): (200, 200),   # GET /gz/b.txt - b.txt.gz made readable: gzip_static serves it (body)
    ("gz-static", 10): (403, 200),   # GET /gz/u.txt - u.txt.gz made readable: gzip_static serves it
}


@pytest.fixture(scope="module")
def fixed_run(request):
    from conftest import require_realserver
    require_realserver("nginx")
    session = RealServerSession("nginx", load_scenarios(kind="nginx"))
    # accounts of their own: the shared nginx_run session of this process holds
    # cct<pid>-*; the parent's pid keeps the names purgeable (alive during the run)
    session.accounts = Accounts(tag=f"cct{os.getppid()}")
    request.addfinalizer(session.close)
    session.setup()
    before = session.run()
    options = ScanOptions(paths=[str(before.conf_path)])
    result = run_scan(options)
    assert [str(e) for e in result.errors] == []
    fixset = collect(result.findings, unsafe=True)
    assert fixset.patch and fixset.plan is not None
    apply_fixes(session, fixset, options)
    return before, run_patched(session), result, fixset


def test_fixes_turn_refusals_into_answers_and_change_nothing_else(fixed_run):
    before, after, result, fixset = fixed_run
    lines = unexpected_changes(before, after, CHANGED)
    assert not lines, "\n".join(lines)
    assert len(CHANGED) >= 40

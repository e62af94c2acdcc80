"""Every error-log line format of server-behavior.md section 3 is recognised."""

from __future__ import annotations

import pytest

from confcheck.logparse import parse_line

NGX = '2026/11/21 09:00:00 [{level}] 7#7: *1 {msg}, client: 10.0.0.5, server: site.test, request: "GET /a HTTP/1.1", host: "site.test"'
APA = "[Sat Nov 21 09:00:00.123456 2026] [{module}:{level}] [pid 12:tid 34] {err}[client 10.0.0.5:5555] {msg}"

NGINX_LINES = [
    ("error", "access forbidden by rule", "access-rule", 403, None),
    ("error", 'open() "/srv/a.html" failed (13: Permission denied)', "open-eacces", 403, "/srv/a.html"),
    ("error", '"/srv/d/index.html" is forbidden (13: Permission denied)', "index-forbidden", 403, "/srv/d/index.html"),
    ("error", 'directory index of "/srv/d/" is forbidden', "no-index", 403, "/srv/d/"),
    ("error", 'opendir() "/srv/d" failed (13: Permission denied)', "opendir-eacces", 403, "/srv/d"),
    ("error", 'openat() "/srv/l" failed (40: Too many levels of symbolic links)', "symlink-refused", 403, "/srv/l"),
    ("error", 'openat() "/srv/l/a.html" failed (20: Not a directory)', "symlink-notdir", 404, "/srv/l/a.html"),
    ("crit", 'stat() "/srv/d/a.html" failed (13: Permission denied)', "stat-eacces", None, "/srv/d/a.html"),
    ("crit", 'open() "/etc/nginx/htpasswd" failed (13: Permission denied)', "auth-file-unreadable", 500,
     "/etc/nginx/htpasswd"),
    ("error", '"/srv/x/index.html" is not found (2: No such file or directory)', "not-found", 404, "/srv/x/index.html"),
    ("info", "no user/password was provided for basic authentication", "no-credentials", 401, None),
    ("error", 'user "alice": password mismatch', "bad-credentials", 401, None),
    ("error", 'rewrite or internal redirection cycle while processing "/x"', "rewrite-cycle", 500, "/x"),
]

APACHE_LINES = [
    ("authz_core", "error", "", "AH01630: client denied by server configuration: /srv/a", "access-rule", 403, "/srv/a"),
    ("access_compat", "error", "", "AH01797: client denied by server configuration: /srv/a", "access-compat", 403,
     "/srv/a"),
    ("core", "error", "(13)Permission denied: ",
     "AH00035: access to /a.html denied (filesystem path '/home/u/site') because search permissions are missing "
     "on a component of the path", "search-denied", 403, "/home/u/site"),
    ("core", "error", "(13)Permission denied: ", "AH00132: file permissions deny server access: /srv/a.html",
     "open-eacces", 403, "/srv/a.html"),
    ("autoindex", "error", "", "AH01276: Cannot serve directory /srv/d/: No matching DirectoryIndex (index.html) "
     "found, and server-generated directory index forbidden by Options directive", "no-index", 403, "/srv/d/"),
    ("autoindex", "error", "(13)Permission denied: ", "AH01275: Can't open directory for index: /srv/d/",
     "opendir-eacces", 403, "/srv/d/"),
    ("core", "error", "", "AH00037: Symbolic link not allowed or link target not accessible: /srv/l",
     "symlink-refused", 403, "/srv/l"),
    ("core", "crit", "(13)Permission denied: ", "AH00529: /srv/d/.htaccess pcfg_openfile: unable to check htaccess "
     "file, ensure it is readable and that '/srv/d/' is executable", "htaccess-unreadable", 403, "/srv/d/.htaccess"),
    ("rewrite", "error", "", "AH00670: Options FollowSymLinks and SymLinksIfOwnerMatch are both off, so the "
     "RewriteRule directive is also forbidden due to its similar ability to circumvent directory restrictions : "
     "/srv/d/x", "rewrite-no-symlinks", 403, None),
    ("authn_file", "error", "(13)Permission denied: ", "AH01620: Could not open password file: /etc/apache2/pw",
     "auth-file-unreadable", 500, "/etc/apache2/pw"),
    ("core", "alert", "", "/srv/d/.htaccess: deny not allowed here", "htaccess-invalid", 500, "/srv/d/.htaccess"),
    ("core", "alert", "", "/srv/d/.htaccess: Invalid command 'ThisIsNotADirective', perhaps misspelled or defined by "
     "a module not included in the server configuration", "htaccess-invalid", 500, "/srv/d/.htaccess"),
    ("core", "info", "", "AH00128: File does not exist: /srv/missing", "not-found", 404, "/srv/missing"),
    ("core", "info", "", "AH00130: File does not exist: /srv/a.html/", "not-found", 404, "/srv/a.html/"),
    # mod_authz_groupfile / mod_authz_owner / mod_authz_dbm (authz_providers.yaml met them on real Apache)
    ("authz_groupfile", "error", "(13)Permission denied: ", "AH01665: Could not open group file: /srv/groups",
     "group-file-unreadable", 401, "/srv/groups"),
    ("authz_owner", "error", "", "AH01637: Authorization of user alice to access /own/a.html failed, reason: file "
     "owner daemon does not match.", "user-not-authorized", 401, None),
    ("authz_dbm", "error", "(120002)APR does not understand this error code: ", "AH01799: could not open dbm (type "
     "default) group access file: /srv/g.dbm", "group-file-unreadable", 500, "/srv/g.dbm"),
    # php-fpm closing a connection listen.allowed_clients refuses: which of these proxy_fcgi logs
    # depends on when the close lands (real Apache logged each in the ap-php-tcp scenario)
    ("proxy_fcgi", "error", "(32)Broken pipe: ", "AH01074: Failed writing Environment to :", "upstream-reset", 503,
     None),
    ("proxy_fcgi", "error", "(104)Connection reset by peer: ", "AH01075: Error dispatching request to :",
     "upstream-reset", 503, None),
    # mod_evasive: the same words as AH01630 without the code; its status is the configuration's
    ("evasive20", "error", "", "client denied by server configuration: /srv/a.html", "evasive-refused", None,
     "/srv/a.html"),
]


@pytest.mark.parametrize("level,msg,kind,status,path", NGINX_LINES)
def test_nginx_lines(level, msg, kind, status, path):
    event = parse_line(NGX.format(level=level, msg=msg))
    assert (event.server, event.kind, event.status, event.path) == ("nginx", kind, status, path)
    assert (event.client, event.request, event.host, event.vhost) == ("10.0.0.5", "GET /a HTTP/1.1",
                                                                      "site.test", "site.test")
    assert event.time is not None and event.time.year == 2026


@pytest.mark.parametrize("module,level,err,msg,kind,status,path", APACHE_LINES)
def test_apache_lines(module, level, err, msg, kind, status, path):
    event = parse_line(APA.format(module=module, level=level, err=err, msg=msg))
    assert (event.server, event.kind, event.status, event.path) == ("apache", kind, status, path)
    assert event.client == "10.0.0.5"
    assert event.time is not None and (event.time.month, event.time.day) == (11, 21)


def test_apache_without_ah_codes_and_unknown_lines():
    event = parse_line("[Sat Nov 21 09:00:00.1 2026] [core:alert] [pid 1] [client 1.2.3.4:5] "
                       "/srv/.htaccess: <Files> was not closed.")
    assert event.kind == "htaccess-invalid" and event.status == 500
    for text in ("hello world", "2026/11/21 09:00:00 [notice] 1#1: start worker process 9",
                 "[Sat Nov 21 09:00:00.1 2026] [mpm_event:notice] [pid 1:tid 2] AH00489: Apache configured"):
        assert parse_line(text).kind == "unknown"


def test_mod_evasive_syslog_line():
    event = parse_line("Dec  6 22:57:19 web1 mod_evasive[29585]: Blacklisting address 203.0.113.7: possible DoS "
                       "attack.")
    assert (event.server, event.kind, event.client) == ("apache", "evasive-blacklist", "203.0.113.7")

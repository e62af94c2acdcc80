"""Hypothesis strategies for random Apache scenarios (differential testing).

Like gen_nginx (whose tree, accounts and request pools this reuses): a raw
scenario in the scenario-file format whose ``apache:`` text is a random
<VirtualHost> body drawn from what the Apache model covers: DocumentRoot,
ServerAlias (vhost selection by Host), <Directory>/<DirectoryMatch>/<Files>/
<FilesMatch>/<Location>/<LocationMatch> (nested <Files> in directories too),
Require and <RequireAll>/<RequireAny>/<RequireNone>, AuthMerging, Basic auth,
Order/Allow/Deny/Satisfy, <Limit>/<LimitExcept>, Options (+/- forms),
DirectoryIndex, Alias/AliasMatch/Redirect, mod_rewrite in server and per-dir
context with flags and conditions, ErrorDocument, AllowOverride classes and
AllowOverrideList with random .htaccess files. Requests expect status 0
until the real server answers (differential.py).

Every choice list starts with its plainest value, so that hypothesis shrinks
towards a plain tree, a short config and a plain GET.
"""

from __future__ import annotations

import base64
import hashlib

from hypothesis import strategies as st

from . import gen_nginx
from .gen_nginx import ACCOUNTS, _attrs, _pick

# Apache reads no {PLAIN}: "u" gets a {SHA} entry for "p" (v:password as for nginx)
HTPASSWD = ("u:{SHA}" + base64.b64encode(hashlib.sha1(b"p").digest()).decode() + "\n"
            "v:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")

R = "@ROOT@"
DOCROOTS = [f"{R}/www", f"{R}/www", f"{R}/alt", f"{R}/www/d1", f"{R}/nowhere"]
DOCROOTS += [f"{R}/www/", f'"{R}/www"']          # as admins write them: a trailing slash, quotes

# where sections apply: (kind, argument)
DIR_ARGS = [f"{R}/www", f"{R}/www/d1", f"{R}/www/d1/sub", f"{R}/www/d2", f"{R}/alt", f"{R}/www/err",
            f"{R}/www/*", f"{R}/www/d?", f"{R}/", f"{R}/www/ln-dir", f"{R}/alt/sub"]
DIR_ARGS += [f"{R}/www/", f"{R}/www/d1/", f'"{R}/www/d2"', f"{R}/www/*/", f'"{R}/alt/"']
DIRMATCH_ARGS = [f'"^{R}/www/d[0-9]"', f'"{R}/www/d1/sub$"', '"/alt"', f'"^{R}/www/.*/sub"', '"/(d1|d2)/?$"']
FILES_ARGS = ["a.html", "x.html", "index.html", "*.txt", "*.html", "q.html", ".htaccess", "ln-file", "?.html"]
FILES_ARGS += ['"*.html"', '"a.html"', "index.php", '"*.bak"']
FILESMATCH_ARGS = [r'"\.txt$"', r'"^(a|b)\.html$"', r'"^index"', r'"^\.ht"', r'"(?i)\.HTML$"', r'"^x"']
FILESMATCH_ARGS += [r'"\.(?:html|txt)$"', r'"\.php$"', r'"^(?<base>[a-z])\.html$"', r"\.(bak|old)$"]
LOCATION_ARGS = ["/", "/d1", "/d1/", "/d2", "/a.html", "/al", "/d1/sub", "/err", "/ln-dir", "/D1", "/p.html"]
LOCMATCH_ARGS = [r'"^/d[12]/"', r'"\.txt$"', r'"^/al"', r'"/sub/"', r'"(?i)^/D1"', r'"^/$"', r'"\.html$"']
# the "~" forms of <Directory>/<Files>/<Location> (regex sections, merged with the *Match ones)
DIR_TILDE_ARGS = [f'~ "^{R}/www/d[0-9]"', '~ "/sub$"', f'~ "^{R}/(www|alt)$"', '~ "/d1/?"']
FILES_TILDE_ARGS = [r'~ "\.(txt|html)$"', r'~ "^[ab]\."', r'~ "^index"', r'~ "(?i)\.HTML$"']
LOCATION_TILDE_ARGS = [r'~ "^/d1/.*\.html$"', r'~ "^/(al|am)/"', r'~ "/$"', r'~ "(?i)/SUB/"']
# <If>/<ElseIf>/<Else> chains (mod_authz_core's expression sections)
IF_EXPRS = ['"%{REQUEST_URI} =~ m#^/d1/#"', "\"%{QUERY_STRING} =~ /x=1/\"", '"%{HTTP:X-Test} == \'1\'"',
            '"%{REQUEST_METHOD} in { \'POST\', \'PUT\' }"', '"-f %{REQUEST_FILENAME}"', '"-n %{HTTP:X-Test}"',
            '"-R \'10.0.0.0/8\'"', '"%{HTTP_HOST} =~ /^alias-/"', '"!(%{REQUEST_URI} =~ /\\.html$/)"']
IF_INNER = ["Require all denied", "Require all granted", "Require ip 10.0.0.1", "Options -Indexes",
            "DirectoryIndex a.html", "Require valid-user", "ErrorDocument 403 /err/403.html"]

REQUIRES = ["Require all granted", "Require all denied", "Require all granted", "Require ip 127.0.0.1", "Require ip 10.0.0.0/8",
            "Require local", "Require valid-user", "Require user u", "Require user v", "Require method GET",
            "Require method POST PUT", "Require ip 127.0.0.0/8", "Require expr %{REQUEST_METHOD} == 'GET'",
            "Require expr %{HTTP:X-Test} == '1'", "Require env nothing", "Require env tested", "Require env local",
            "Require env ind1", "Require env nohdr"]
# what admins write beside those: CIDRs, netmasks, partial addresses, lists, ::1, host names
# (the double reverse lookup of 127.0.0.1), forward-dns
REQUIRES += ["Require ip 127.0.0.1/32", "Require ip 127", "Require ip 127.0.0.1 ::1", "Require ip 192.168.0.0/16 10.0.0.0/8",
             "Require ip 127.0.0.0/255.0.0.0", "Require host localhost", "Require forward-dns localhost",
             "Require ip 127.0.0.2", "Require ip 10.0.0.0/8 127.0.0.1/32", "Require host example.com"]
REQUIRES += ["Require user u v", "Require group admins", "Require ip 127.0.0.1 10.0.0.0/8"]
# httpd refuses these outside <RequireAll> ("negative Require directive has no effect")
NEGATIVE = ["Require not ip 10.0.0.1", "Require not ip 127.0.0.1", "Require not method POST",
            "Require not user v", "Require not env nothing"]
NEGATIVE += ["Require not ip 127.0.0.0/8", "Require not host example.com", "Require not ip 10.0.0.0/8",
             "Require not method GET"]
CONTAINERS = ["RequireAll", "RequireAny", "RequireNone"]
AUTH = [f'AuthType Basic\nAuthName "gen"\nAuthUserFile {R}/auth/htpasswd',
        f'AuthType Basic\nAuthName "gen"\nAuthUserFile {R}/auth/missing', "AuthType None",
        f'AuthType Basic\nAuthName "gen"\nAuthUserFile {R}/auth/htpasswd\nRequire valid-user']
# no AuthName (httpd: 500 AH01615), groups, the provider named
AUTH += [f"AuthType Basic\nAuthUserFile {R}/auth/htpasswd\nRequire valid-user",
         f'AuthType Basic\nAuthName "g"\nAuthUserFile {R}/auth/htpasswd\nAuthGroupFile {R}/auth/groups\nRequire group admins',
         f'AuthType Basic\nAuthName "p"\nAuthBasicProvider file\nAuthUserFile {R}/auth/htpasswd\nRequire user u v',
         f'AuthType basic\nAuthName "c"\nAuthUserFile {R}/auth/htpasswd\nRequire user v']
COMPAT = ["Order allow,deny", "Order deny,allow", "Allow from all", "Deny from all", "Allow from 127.0.0.1",
          "Deny from 127.0.0.1", "Allow from 10.0.0.0/8", "Deny from 10.0.0.1", "Satisfy Any", "Satisfy All",
          "Order allow,deny\nAllow from all", "Order deny,allow\nDeny from all\nAllow from 127.0.0.1",
          "Allow from env=nothing", "Order Deny,Allow\nDeny from all", "Allow from env=tested",
          "Order Deny,Allow\nDeny from env=ind1", "Deny from env=!local"]
# mod_access_compat as old configs and .htaccess files carry it
COMPAT += ["Allow from 127", "Deny from 127.0.0.0/255.0.0.0", "Allow from localhost", "Allow from ::1",
           "Order Allow,Deny\nAllow from all\nDeny from 10.0.0.0/8", "Order deny,allow\nAllow from 127.0.0.1",
           "Order deny,allow\nDeny from all\nAllow from 127.0.0.1\nSatisfy Any", "Allow from 127.0.0.1 10.0.0.1",
           "Order Deny,Allow\nDeny from all\nAllow from localhost", "Deny from 127", "Order allow,deny\nDeny from all",
           "Order Allow,Deny\nAllow from 127.0.0.0/8"]
OPTIONS = ["Options -Indexes", "Options +Indexes", "Options Indexes FollowSymLinks", "Options -FollowSymLinks",
           "Options SymLinksIfOwnerMatch", "Options None", "Options +SymLinksIfOwnerMatch -FollowSymLinks",
           "Options All", "Options +Indexes -FollowSymLinks", "Options FollowSymLinks", "Options -MultiViews",
           "Options Indexes", "Options +MultiViews", "Options MultiViews Indexes"]
OPTIONS += ["Options -FollowSymLinks +SymLinksIfOwnerMatch", "Options +FollowSymLinks -Indexes",
            "Options -Indexes -FollowSymLinks", "Options Indexes SymLinksIfOwnerMatch", "Options -ExecCGI",
            "Options +Includes", "Options -Indexes -MultiViews +FollowSymLinks"]
DIRINDEX = ["DirectoryIndex index.html", "DirectoryIndex a.html", "DirectoryIndex missing.html index.html",
            "DirectoryIndex disabled", "DirectoryIndex /a.html", "DirectoryIndex missing.html",
            "DirectoryIndex x.html index.html", "DirectoryIndex /d1/x.html"]
DIRINDEX += ["DirectoryIndex index.php index.html", "DirectoryIndex index.html index.htm default.htm",
             "DirectoryIndex disabled\nDirectoryIndex a.html", "DirectoryIndex sub/index.html",
             "DirectoryIndex /missing.html /a.html", "DirectoryIndex y.html x.html z.html"]
ERRDOCS = ["ErrorDocument 403 /err/403.html", "ErrorDocument 404 /err/404.html", 'ErrorDocument 403 "denied"',
           "ErrorDocument 404 http://example.com/nf", "ErrorDocument 401 /err/403.html",
           "ErrorDocument 403 /missing.html", "ErrorDocument 404 /d1/", "ErrorDocument 500 /err/50x.html",
           "ErrorDocument 403 /d1/x.html", "ErrorDocument 404 default"]
ERRDOCS += ["ErrorDocument 403 /err/404.html", "ErrorDocument 404 /d1/x.html", 'ErrorDocument 401 "auth"',
            "ErrorDocument 403 /err/", "ErrorDocument 404 /al/p.html", 'ErrorDocument 500 "oops"',
            "ErrorDocument 403 /err/403.html?x=1", "ErrorDocument 405 /err/403.html", "ErrorDocument 404 /index.html"]
# quoted: a path stays a path, a text with a space is a message
ERRDOCS += ['ErrorDocument 404 "/err/404.html"', 'ErrorDocument 403 "Access denied here"', "ErrorDocument 401 default"]
OVERRIDES = ["AllowOverride None", "AllowOverride All", "AllowOverride AuthConfig", "AllowOverride Limit",
             "AllowOverride FileInfo", "AllowOverride Indexes", "AllowOverride Options",
             "AllowOverride AuthConfig Limit", "AllowOverride Options=Indexes", "AllowOverride FileInfo Limit",
             "AllowOverride None\nAllowOverrideList Require Deny", "AllowOverride None\nAllowOverrideList Redirect",
             "AllowOverride Limit\nAllowOverrideList DirectoryIndex", "AllowOverride Options=FollowSymLinks,Indexes",
             "AllowOverride AuthConfig Options=MultiViews", "AllowOverride Nonfatal=All AuthConfig",
             "AllowOverride Nonfatal=Override Limit"]
OVERRIDES += ["AllowOverride AuthConfig FileInfo Indexes Limit Options", "AllowOverride Options=Indexes,MultiViews FileInfo",
              "AllowOverride None\nAllowOverrideList RewriteEngine RewriteRule RewriteCond RewriteBase",
              "AllowOverride None\nAllowOverrideList Require Order Allow Deny Satisfy", "AllowOverride FileInfo AuthConfig",
              "AllowOverride Options=All,MultiViews", "AllowOverride Indexes Options=SymLinksIfOwnerMatch",
              "AllowOverride All\nAllowOverrideList None", "AllowOverride Nonfatal=Unknown All",
              "AllowOverride Limit Options=Indexes\nAllowOverrideList ErrorDocument Header"]
LIMITS = ["Limit GET", "Limit POST PUT", "LimitExcept GET", "LimitExcept GET POST", "Limit OPTIONS",
          "LimitExcept HEAD", "Limit DELETE PATCH"]
LIMITS += ["Limit GET POST", "LimitExcept GET POST HEAD OPTIONS", "Limit PROPFIND", "LimitExcept OPTIONS", "Limit HEAD"]
LIMIT_INNER = ["Require all denied", "Require all granted", "Require ip 10.0.0.1", "Require valid-user",
               "Deny from all", "Require ip 127.0.0.1"]
LIMIT_INNER += ["Order deny,allow\nDeny from all", "Require method GET", "Satisfy Any", "Allow from 127.0.0.1",
                "Require user u", "Order deny,allow\nDeny from all\nAllow from 127.0.0.1"]
# per-directory rewrite: the pattern sees the path below the section's directory
PERDIR_RULES = [r"RewriteRule ^x\.html$ a.html", r"RewriteRule ^(.*)\.html$ $1.txt", r"RewriteRule ^ - ",
                r"RewriteRule ^sub/(.*)$ /d2/$1", r"RewriteRule ^a\.html$ /b.txt", r"RewriteRule ^$ x.html",
                r"RewriteRule (.*) /d1/x.html", r"RewriteRule ^z\.html$ http://example.com/z",
                r"RewriteRule ^missing /err/404.html", r"RewriteRule ^(.*)\.txt$ $1.html", r"RewriteRule ^old\.html$ x.html"]
# what .htaccess rewrites add: front controllers, a relative substitution RewriteBase completes,
# the directory's own path, a redirect to a directory
HTACCESS_RULES = [r"RewriteRule ^(.*)$ index.html", r"RewriteRule . /index.html", r"RewriteRule ^ index.html",
                  r"RewriteRule ^(.+)/$ $1", r"RewriteRule ^sub/?$ sub/y.html", r"RewriteRule ^x$ x.html",
                  r"RewriteRule ^(.*)$ d1/$1", r"RewriteRule ^d1/(.*)$ /d2/$1", r"RewriteRule \.txt$ -",
                  r"RewriteRule ^(.*)\.html$ /al/$1.html"]
SERVER_RULES = [r"RewriteRule ^/d1/(.*)$ /d2/$1", r"RewriteRule ^/a\.html$ /b.txt", r"RewriteRule ^(.*)\.html$ $1.txt",
                r"RewriteRule ^/p\.html$ /alt/p.html", r"RewriteRule ^/ln-(.*)$ /d1/x.html", r"RewriteRule ^/sec - ",
                r"RewriteRule ^/missing /err/404.html", rf"RewriteRule ^/al2/(.*)$ {R}/alt/$1",
                r"RewriteRule ^/d2/ - "]
# extensionless URLs, trailing-slash and index.html canonicalisation
PERDIR_RULES += [r"RewriteRule ^([^.]+)$ $1.html", r"RewriteRule ^([^/]+)/?$ $1.html", r"RewriteRule ^index\.html$ /",
                 r"RewriteRule ^(.*)/$ $1"]
SERVER_RULES += [r"RewriteRule ^/([^.]+)$ /$1.html", r"RewriteRule ^/(.*)/$ /$1", r"RewriteRule ^/index\.html$ /",
                 r"RewriteRule ^/d1$ /d1/", r"RewriteRule ^/(d1|d2)/(.*)$ /$2"]
RULE_FLAGS = ["", "[L]", "[R]", "[R=301,L]", "[F]", "[G]", "[PT]", "[NC,L]", "[END]", "[QSA,L]", "[R=404]",
              "[F,L]", "[L,NS]", "[R=303]", "[E=LOOP:1,L]", "[E=tested:1]", "[C]", "[S=1]", "[DPI,L]",
              "[QSD,R=302,L]", "[R=410]"]
RULE_FLAGS += ["[L,R=301,NE]", "[NC,L,QSA]", "[R=301,L,QSA]", "[L,NC]", "[PT,L]", "[END,NC]", "[F,NC]", "[L,E=X:1]"]
CONDS = ["", "RewriteCond %{REQUEST_FILENAME} !-f", "RewriteCond %{REQUEST_FILENAME} -f",
         "RewriteCond %{REQUEST_METHOD} =POST", "RewriteCond %{QUERY_STRING} x=1",
         "RewriteCond %{REQUEST_FILENAME} !-d", "RewriteCond %{HTTP:X-Test} =1",
         "RewriteCond %{REQUEST_URI} ^/d1 [NC]", "RewriteCond %{ENV:REDIRECT_STATUS} ^$",
         "RewriteCond %{ENV:REDIRECT_STATUS} =200", "RewriteCond %{ENV:tested} =1",
         "RewriteCond %{ENV:REDIRECT_LOOP} !=1", "RewriteCond %{ENV:REDIRECT_STATUS} =404",
         "RewriteCond %{DOCUMENT_ROOT}%{REQUEST_URI} !-f", "RewriteCond %{REQUEST_FILENAME} -s",
         "RewriteCond %{QUERY_STRING} x=1 [OR]\nRewriteCond %{HTTP:X-Test} =1", "RewriteCond %{REQUEST_URI} !^/err/"]
# extensionless URLs, the wrong variable admins test with -f, symlinks, the original request line
CONDS += ["RewriteCond %{REQUEST_FILENAME}.html -f", "RewriteCond %{REQUEST_URI} !-f", "RewriteCond %{SCRIPT_FILENAME} !-f",
          "RewriteCond %{REQUEST_FILENAME} -l", r"RewriteCond %{THE_REQUEST} \s/+index\.html [NC]",
          r"RewriteCond %{HTTP_HOST} ^alias- [NC]", "RewriteCond %{REQUEST_METHOD} !^(GET|HEAD)$",
          "RewriteCond %{REQUEST_FILENAME} !-f\nRewriteCond %{REQUEST_FILENAME} !-d", "RewriteCond %{HTTPS} !=on"]
# mod_setenvif, feeding Require env / Allow from env= / RewriteCond %{ENV:...}
SETENVS = ["SetEnvIf X-Test ^1$ tested", "SetEnvIfNoCase X-Test ^(1)$ Tested=$1", "SetEnvIf Request_URI ^/d1 ind1",
           r"SetEnvIf Remote_Addr ^127\. local", "SetEnvIfExpr \"%{REQUEST_METHOD} == 'POST'\" tested",
           "SetEnvIf X-Missing ^$ nohdr", "SetEnvIf Request_Method GET !tested", r"SetEnvIf Remote_Host ^127\. local",
           "BrowserMatch ^Mozilla tested", "SetEnvIfNoCase ^X-T.st$ ^0$ ind1"]
# handlers, path info, rewrite inheritance, mod_dir switches
MISC = ["SetHandler None", "SetHandler default-handler", "RemoveHandler .php", "AddHandler cgi-script .txt", "AcceptPathInfo On", "AcceptPathInfo Off",
        "RewriteOptions Inherit", "RewriteOptions InheritDown", "FallbackResource disabled", "DirectorySlash Off",
        "ForceType text/plain", "AddType text/html .php", "SetHandler server-status"]
ALIASES = [f"Alias /al/ {R}/alt/", f"Alias /al {R}/alt", f"AliasMatch ^/am/(.*)$ {R}/alt/$1",
           f"Alias /d1/sub {R}/alt/sub", f"Alias /al/ {R}/nowhere/", f"AliasMatch (?i)^/AM/(.*)$ {R}/www/d1/$1",
           "Redirect /d2/z.html /a.html", "Redirect 410 /d1/x.html", "RedirectMatch ^/p(.*)$ http://example.com/p$1",
           f"Alias /ln {R}/www/d1"]
ALIASES += ["Redirect permanent /old.html /a.html", "Redirect gone /d2/z.html", "RedirectPermanent /d1/sub /d2",
            "Redirect seeother /b.html /a.html", f'Alias "/al/" "{R}/alt/"', f"Alias /al/ {R}/alt",
            f"AliasMatch ^/al/(.*)\\.html$ {R}/alt/$1.html", "RedirectMatch 301 ^/d2/(.*)\\.txt$ /d2/$1.html",
            "Redirect /d1 /d2"]

# Blocks real sites carry (front controllers, https and trailing-slash redirects,
# dotfile and backup guards, FallbackResource, <If>), drawn whole into the vhost.
VHOST_IDIOMS = [
    f"<Directory {R}/www>\n    FallbackResource /index.html\n</Directory>",
    '<FilesMatch "\\.(bak|txt|sql)$">\n    Require all denied\n</FilesMatch>',
    'RedirectMatch 404 /\\.(?!well-known)',
    f"<Directory {R}/www/d1>\n    Options -Indexes +FollowSymLinks\n    AllowOverride All\n</Directory>",
    '<If "%{REQUEST_URI} =~ m#^/d2/#">\n    Require all denied\n</If>',
    "<Location /d1>\n    Require all denied\n</Location>\n<Location /d1/sub>\n    Require all granted\n</Location>",
    f'AliasMatch "^/im/(.*)\\.html$" "{R}/alt/$1.html"',
    "RewriteEngine On\nRewriteCond %{HTTPS} off\nRewriteRule ^/d2/(.*)$ https://%{HTTP_HOST}/d2/$1 [R=301,L]",
    "ErrorDocument 404 /index.html",
    f"<Directory {R}/www/d2>\n    <RequireAll>\n        Require all granted\n        Require not ip 127.0.0.1\n"
    "    </RequireAll>\n</Directory>",
    f"<Directory {R}/www/d1>\n    AuthMerging And\n    Require method GET POST\n</Directory>",
    f"<Directory {R}/www>\n    DirectorySlash Off\n</Directory>",
    f"<Directory {R}/www>\n    <Limit POST PUT DELETE>\n        Require all denied\n    </Limit>\n</Directory>",
    f"<Directory {R}/www/d1>\n    Require method GET POST\n    FallbackResource /d1/index.html\n</Directory>",
    "TraceEnable Off",
]
# more of what admins put in a vhost: rewrites wrapped in <IfModule> (in server context
# %{REQUEST_FILENAME} is still the URL path), .git/dotfile guards, an Alias with and
# without its <Directory> grant, compat access in a <Location>, Satisfy Any with auth,
# a <Files> granting below a denied <Directory>, <Location> after <LocationMatch>
VHOST_IDIOMS += [
    "<IfModule mod_rewrite.c>\n    RewriteEngine On\n    RewriteCond %{REQUEST_FILENAME} !-f\n"
    "    RewriteCond %{REQUEST_FILENAME} !-d\n    RewriteRule ^ /index.html [L]\n</IfModule>",
    '<DirectoryMatch "/\\.(git|svn)">\n    Require all denied\n</DirectoryMatch>',
    '<LocationMatch "^/(d1|d2)/.*\\.txt$">\n    Require all denied\n</LocationMatch>',
    '<Files ~ "^\\.">\n    Order allow,deny\n    Deny from all\n</Files>',
    f"Alias /al/ {R}/alt/\n<Directory {R}/alt>\n    Options -Indexes\n    AllowOverride All\n    Require all granted\n"
    "</Directory>",
    f"Alias /al {R}/alt/",
    "<Location /d1>\n    Order deny,allow\n    Deny from all\n    Allow from 127.0.0.1\n</Location>",
    f"<Directory {R}/www>\n    AllowOverride All\n    Options -Indexes +SymLinksIfOwnerMatch\n    Require all granted\n"
    "</Directory>",
    f"<Directory {R}/www/d1>\n    AllowOverride None\n    AllowOverrideList RewriteEngine RewriteRule RewriteCond\n"
    "</Directory>",
    f'<Directory {R}/www/d2>\n    AuthType Basic\n    AuthName "r"\n    AuthUserFile {R}/auth/htpasswd\n'
    "    Require valid-user\n    Order deny,allow\n    Deny from all\n    Allow from 127.0.0.1\n    Satisfy Any\n"
    "</Directory>",
    f"<Directory {R}/www>\n    <IfModule mod_authz_core.c>\n        Require all granted\n    </IfModule>\n"
    "    <IfModule !mod_authz_core.c>\n        Order allow,deny\n        Allow from all\n    </IfModule>\n</Directory>",
    '<FilesMatch "\\.(htaccess|htpasswd|ini|log|sh|bak)$">\n    Require all denied\n</FilesMatch>',
    f'<Directory {R}/www/d1/sub>\n    Require all denied\n</Directory>\n<Files "y.html">\n    Require all granted\n'
    "</Files>",
    "<Location />\n    Require all denied\n</Location>\n<Location /d1/>\n    Require all granted\n</Location>",
    '<LocationMatch "^/d1/">\n    Require all denied\n</LocationMatch>\n<Location /d1/sub>\n    Require all granted\n'
    "</Location>",
    f"AliasMatch ^/al/(.*)$ {R}/alt/$1\n<Directory {R}/alt>\n    Require all granted\n</Directory>",
    f"<Directory {R}/www/d1>\n    Options -FollowSymLinks -SymLinksIfOwnerMatch\n    AllowOverride Options=Indexes\n"
    "</Directory>",
    f"<Directory {R}/www>\n    <LimitExcept GET POST HEAD>\n        Require all denied\n    </LimitExcept>\n</Directory>",
    f'<Directory {R}/www/d2>\n    <RequireAny>\n        Require ip 10.0.0.0/8\n        <RequireAll>\n'
    "            Require valid-user\n            Require method GET\n        </RequireAll>\n    </RequireAny>\n"
    f'    AuthType Basic\n    AuthName "ra"\n    AuthUserFile {R}/auth/htpasswd\n</Directory>',
    f"<Directory {R}/www/d1>\n    Options +Indexes\n    DirectoryIndex disabled\n</Directory>",
    '<FilesMatch "\\.php$">\n    SetHandler none\n</FilesMatch>',
]
HTACCESS_IDIOMS = [
    "RewriteEngine On\nRewriteBase /\nRewriteRule ^index\\.html$ - [L]\nRewriteCond %{REQUEST_FILENAME} !-f\n"
    "RewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule . /index.html [L]",
    "RewriteEngine On\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteRule ^(.*)$ index.html [END]",
    "RewriteEngine On\nRewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule ^(.*)/$ /$1 [R=301,L]",
    "FallbackResource /a.html",
    "AuthMerging Or\nRequire ip 10.0.0.0/8",
    "<FilesMatch \"^(b|x)\\.\">\n    Require all denied\n</FilesMatch>",
    "Options -Indexes\nDirectoryIndex missing.html",
    "RewriteEngine On\nRewriteRule ^x\\.html$ /a.html [R,L]",
    "Require all denied\n<Files x.html>\n    Require all granted\n</Files>",
    "RewriteEngine On\nRewriteRule ^(.*)\\.txt$ $1.html [C]\nRewriteRule ^z\\.html$ - [F]\nRewriteRule ^old\\.html$ x.html",
    "Options -Indexes\nDirectoryIndex disabled",
]
# .htaccess files as CMSs, h5bp and upload guards ship them, <IfModule> wrapped or not
HTACCESS_IDIOMS += [
    "# BEGIN WordPress\n<IfModule mod_rewrite.c>\nRewriteEngine On\nRewriteBase /\nRewriteRule ^index\\.html$ - [L]\n"
    "RewriteCond %{REQUEST_FILENAME} !-f\nRewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule . /index.html [L]\n"
    "</IfModule>\n# END WordPress",
    "<IfModule mod_autoindex.c>\n    Options -Indexes\n</IfModule>",
    "<IfModule mod_rewrite.c>\n    RewriteEngine On\n    RewriteCond %{REQUEST_URI} \"!(^|/)\\.well-known/([^./]+./?)+$\" [NC]\n"
    "    RewriteCond %{SCRIPT_FILENAME} -d [OR]\n    RewriteCond %{SCRIPT_FILENAME} -f\n"
    "    RewriteRule \"(^|/)\\.\" - [F]\n</IfModule>",
    "<FilesMatch \"(^#.*#|\\.(bak|conf|dist|in[ci]|log|orig|sh|sql|sw[op])|~)$\">\n    Require all denied\n</FilesMatch>",
    "<IfModule mod_rewrite.c>\n    <IfModule mod_negotiation.c>\n        Options -MultiViews -Indexes\n    </IfModule>\n"
    "    RewriteEngine On\n    RewriteCond %{REQUEST_FILENAME} !-d\n    RewriteCond %{REQUEST_URI} (.+)/$\n"
    "    RewriteRule ^ %1 [L,R=301]\n    RewriteCond %{REQUEST_FILENAME} !-d\n    RewriteCond %{REQUEST_FILENAME} !-f\n"
    "    RewriteRule ^ index.html [L]\n</IfModule>",
    "Order allow,deny\nDeny from all",
    "<Files \"*.txt\">\n    Order allow,deny\n    Deny from all\n</Files>",
    "Options -Indexes\nErrorDocument 403 /err/403.html",
    f'AuthType Basic\nAuthName "ht"\nAuthUserFile {R}/auth/htpasswd\nRequire valid-user\nOrder deny,allow\n'
    "Deny from all\nAllow from 127.0.0.1\nSatisfy Any",
    "<Limit GET POST>\nOrder deny,allow\nDeny from all\nAllow from 127.0.0.1\n</Limit>",
    "<LimitExcept GET POST>\nRequire all denied\n</LimitExcept>",
    "RewriteEngine On\nRewriteCond %{HTTPS} !=on\nRewriteRule ^(.*)$ https://%{HTTP_HOST}/$1 [R=301,L]",
    "RewriteEngine On\nRewriteBase /d1/\nRewriteRule ^old\\.html$ x.html [R=301,L]",
    "RewriteEngine On\nRewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]",
    "<IfModule mod_headers.c>\nHeader set X-Frame-Options DENY\n</IfModule>",
    "php_value upload_max_filesize 64M",
    "<IfModule mod_php7.c>\nphp_value upload_max_filesize 64M\n</IfModule>",
    "<IfModule mod_expires.c>\nExpiresActive On\n</IfModule>",
    "DirectoryIndex index.php index.html",
    "<IfModule mod_authz_core.c>\nRequire all denied\n</IfModule>\n<IfModule !mod_authz_core.c>\nOrder allow,deny\n"
    "Deny from all\n</IfModule>",
    "<FilesMatch \"\\.(html|txt)$\">\n<IfModule mod_authz_core.c>\nRequire all granted\n</IfModule>\n</FilesMatch>",
]

# .htaccess files the tree may hold, and what they may say
HTACCESS_DIRS = ["www/", "www/d1/", "www/d1/sub/", "alt/", "www/d2/"]
HTACCESS_LINES = ["Require all denied", "Require all granted", "Deny from all", "Order deny,allow\nDeny from all",
                  "Options -Indexes", "Options +Indexes", "DirectoryIndex a.html", "DirectoryIndex x.html",
                  "RewriteEngine On\nRewriteRule ^x\\.html$ a.html [L]", "RewriteEngine On\nRewriteRule ^ - [F]",
                  "ErrorDocument 404 /err/404.html", "ErrorDocument 403 \"ht\"",
                  f'AuthType Basic\nAuthName "ht"\nAuthUserFile {R}/auth/htpasswd\nRequire valid-user',
                  "Redirect /d1/x.html /a.html", "Satisfy Any", "<Files x.html>\nRequire all denied\n</Files>",
                  "Bogus directive", "AllowOverride All", "Require ip 10.0.0.0/8", "Options +FollowSymLinks",
                  "<RequireAny>\nRequire ip 10.0.0.1\nRequire method GET\n</RequireAny>", "AuthMerging Or",
                  "<Limit POST>\nRequire all denied\n</Limit>", "Options -FollowSymLinks -SymLinksIfOwnerMatch"]
# one line each of the override classes, and what .htaccess may never say
HTACCESS_LINES += ["Header set X-Gen 1", "AddType text/plain .html", "php_flag engine off", "ExpiresActive On",
                   "IndexIgnore *", "Options All", "Options +ExecCGI", "Options -Indexes +FollowSymLinks",
                   "Options -MultiViews", "SetEnvIf X-Test 1 tested", "AddDefaultCharset UTF-8", "FileETag None",
                   "ServerSignature Off", "RewriteBase /d1/", "DirectoryIndex disabled", "Order allow,deny\nAllow from all",
                   "Allow from 127.0.0.1", "<Directory /tmp>\nRequire all denied\n</Directory>",
                   "ErrorDocument 403 /err/403.html", "ErrorDocument 404 /missing.html", "Redirect 301 /old.html /a.html",
                   "RedirectMatch 403 ^/d1/x", "FallbackResource /index.html", "DirectoryIndex index.html a.html",
                   "<Files a.html>\nRequire valid-user\n</Files>", "Require ip 127.0.0.1/32", "Satisfy All",
                   "AuthType Basic\nAuthName \"ht\"\nAuthUserFile auth/htpasswd\nRequire valid-user",
                   "<RequireAll>\nRequire all granted\nRequire not ip 127.0.0.1\n</RequireAll>", "Options +Indexes -FollowSymLinks",
                   "<IfModule mod_rewrite.c>\nRewriteEngine On\n</IfModule>", "RewriteEngine Off", "Options None",
                   "AllowOverrideList Require", "Require method GET HEAD", "Order deny,allow\nAllow from all"]
HTACCESS_LINES += ['<FilesMatch "\\.php$">\nSetHandler none\n</FilesMatch>', "RewriteOptions Inherit", "AcceptPathInfo On",
                   "DirectorySlash Off", "FallbackResource disabled", "Options -Indexes\nIndexIgnore *",
                   f'AuthType Basic\nAuthName "g"\nAuthUserFile {R}/auth/htpasswd\nAuthGroupFile {R}/auth/groups\nRequire group admins',
                   "SetHandler None", "<Files index.php>\nRequire all denied\n</Files>"]
REWRITE_BASES = ["", "RewriteBase /", "RewriteBase /d1/", "RewriteBase /d1", "RewriteBase /al/", "RewriteBase /nowhere/"]

PATHS = gen_nginx.PATHS + ["/al/p.html", "/al/", "/al", "/am/p.html", "/AM/x.html", "/al/sub/q.html", "/.htaccess",
                           "/d1/.htaccess", "/al2/p.html", "/sec/x", "/ln/x.html", "/d1/sub/x.html", "/al/../a.html",
                           "/%61.html", "/d1/sub/q.html", "/d1/%2f/x.html", "/d2/z.html", "/D1/x.html",
                           "/a", "/d1/x", "/err/404", "/d2/z", "/b", "/al/p",    # MultiViews
                           "/im/p.html", "/d1/sub/nothing", "/d2/nothing/", "/b.txt.bak", "/d2/z.txt", "/d1/old.html",
                           "/d2/old.html", "/d1/x.txt"]
# dot segments and encodings as scanners and broken clients send them
PATHS += ["/../a.html", "/./a.html", "/d1/sub/%2e%2e/x.html", "/%2561.html", "/d1/./sub/../x.html", "/ln-dir/../a.html",
          "/a.html%00", "/d1/x.html%3fx=1", "/d1%2F", "/a.html.", "/d1/x.html%20", "/D1/", "/.git/config",
          "/d1//", "/%2fa.html", "/al/%2e%2e/a.html", "/al/..%2fwww/a.html", "/d1/index", "/d2/z.html.bak",
          "/d1/.htaccess%20", "/old.html", "/d1/sub/.htaccess", "/www/a.html", "/alt/.htaccess", "/al/sub/",
          "/d1/x.html/extra", "/d1/sub/y.html?x=1", "/%2e/a.html", "/d1/%2e/x.html", "/al/.htaccess"]
# methods httpd knows beside the shared pool, and one it does not
METHODS = ["MKCOL", "COPY", "FOO", "get", "LOCK"]
# symlinks of Apache's own: owner mismatches for SymLinksIfOwnerMatch, links out of the DocumentRoot
FILES = [("www/index.php", None), ("www/b.txt.bak", None), ("www/d1/old.html", None), ("www/.git/config", None),
         ("auth/groups", "admins: u\nothers: v\n"), ("www/d1/x", None)]
LINKS = [("www/d1/ln-x", "x.html"), ("alt/ln-back", "../www/a.html"), ("www/d1/sub/ln-up", ".."),
         ("www/ln-alt", "@ROOT@/alt")]
ACCEPTS = [None] * 6 + ["text/html", "image/png", "*/*", "text/*;q=0.5"]
HOSTS = [None] * 12 + ["alias-@NAME@", "other.example", "@NAME@:80", "@NAME@.", "x.@NAME@", "ALIAS-@NAME@",
                       "x.alias-@NAME@", "blias-@NAME@", "alias-@NAME@.:80"]    # mostly the scenario's own vhost
SERVER_ALIASES = ["ServerAlias alias-@NAME@", "ServerAlias *.@NAME@", "ServerAlias alias-@NAME@ *.alias-@NAME@",
                  "ServerAlias ?lias-@NAME@", "ServerAlias ALIAS-@NAME@"]


@st.composite
def _require_block(draw, depth: int = 0, parent: str = "RequireAny") -> list[str]:
    """Require lines, maybe inside a container (nested at most twice). The
    section itself is an implied <RequireAny>: negative Requires and
    <RequireNone> only go in a <RequireAll> (httpd refuses them elsewhere)."""
    negative_ok = parent == "RequireAll"
    if depth < 2 and draw(st.integers(0, 3)) == 3:
        name = draw(_pick(CONTAINERS if negative_ok else CONTAINERS[:2]))
        inner = draw(st.lists(_require_block(depth + 1, name), min_size=1, max_size=3))
        if name == "RequireAll":    # httpd refuses (at start, lineless) one of negatives only
            inner = [[draw(_pick(REQUIRES))], *inner]
        return [f"<{name}>", *["    " + l for block in inner for l in block], f"</{name}>"]
    return [draw(_pick(REQUIRES + NEGATIVE if negative_ok else REQUIRES))]


def _rewrite(draw, rules) -> list[str]:
    out = ["RewriteEngine On"]
    for _ in range(draw(st.integers(1, 2))):
        cond = draw(_pick(CONDS))
        if cond:
            out += cond.split("\n")
        out.append(f"{draw(_pick(rules))} {draw(_pick(RULE_FLAGS))}".rstrip())
    return out


@st.composite
def section_body(draw, *, kind: str, depth: int = 0) -> list[str]:
    """Directives of a per-directory section (kind: Directory, Files, Location...)."""
    lines: list[str] = []
    kinds = ["require", "require", "auth", "compat", "options", "dirindex", "errdoc", "limit", "merging",
             "rewrite", "setenv", "misc"]
    if kind != "If":
        kinds += ["if"]
    if kind == "Directory":
        kinds += ["override"]
    if kind in ("Directory", "DirectoryMatch", "htaccess") and depth == 0:
        kinds += ["files"]
    for _ in range(draw(st.integers(0, 4))):
        k = draw(_pick(kinds))
        if k == "require":
            lines += draw(_require_block())
        elif k == "auth":
            lines += draw(_pick(AUTH)).split("\n")
        elif k == "compat":
            lines += draw(_pick(COMPAT)).split("\n")
        elif k == "options":
            lines.append(draw(_pick(OPTIONS)))
        elif k == "dirindex":
            lines += draw(_pick(DIRINDEX)).split("\n")
        elif k == "errdoc":
            lines.append(draw(_pick(ERRDOCS)))
        elif k == "limit":
            head = draw(_pick(LIMITS))
            inner = draw(st.lists(_pick(LIMIT_INNER), min_size=1, max_size=2))
            lines += [f"<{head}>", *["    " + l for i in inner for l in i.split("\n")], f"</{head.split()[0]}>"]
        elif k == "merging":
            lines.append(draw(_pick(["AuthMerging Off", "AuthMerging And", "AuthMerging Or"])))
        elif k == "rewrite":
            lines += _rewrite(draw, PERDIR_RULES)
        elif k == "setenv":
            lines.append(draw(_pick(SETENVS)))
        elif k == "misc":
            lines += draw(_pick(MISC)).split("\n")
        elif k == "override":
            lines += draw(_pick(OVERRIDES)).split("\n")
        elif k == "files":
            lines += draw(section(kinds=["Files", "FilesMatch", "Files~"], depth=depth + 1))
        elif k == "if":
            lines += draw(if_chain())
    return lines


@st.composite
def if_chain(draw) -> list[str]:
    """<If> with maybe <ElseIf> and <Else> after it, each with one or two lines."""
    out = []
    for i in range(draw(st.integers(1, 3))):
        head = "If" if i == 0 else draw(_pick(["ElseIf", "Else"]))
        inner = draw(st.lists(_pick(IF_INNER), min_size=1, max_size=2, unique=True))
        out += [f"<{head} {draw(_pick(IF_EXPRS))}>" if head != "Else" else "<Else>",
                *["    " + l for l in inner], f"</{head}>"]
        if head == "Else":
            break
    return out


@st.composite
def section(draw, kinds=("Directory", "Directory", "DirectoryMatch", "Files", "FilesMatch", "Location",
                         "LocationMatch", "Directory~", "Files~", "Location~"), depth: int = 0) -> list[str]:
    kind = draw(_pick(list(kinds)))
    arg = draw(_pick({"Directory": DIR_ARGS, "DirectoryMatch": DIRMATCH_ARGS, "Files": FILES_ARGS,
                      "FilesMatch": FILESMATCH_ARGS, "Location": LOCATION_ARGS,
                      "LocationMatch": LOCMATCH_ARGS, "Directory~": DIR_TILDE_ARGS, "Files~": FILES_TILDE_ARGS,
                      "Location~": LOCATION_TILDE_ARGS}[kind]))
    name = kind.rstrip("~")
    inner = draw(section_body(kind=name + ("Match" if kind.endswith("~") and name != "Files" else ""),
                              depth=depth))
    return [f"<{name} {arg}>", *["    " + l for l in inner], f"</{name}>"]


@st.composite
def vhost_body(draw) -> str:
    docroot = draw(_pick(DOCROOTS))
    lines = [f"DocumentRoot {docroot}"]
    if draw(st.integers(0, 4)) == 4:
        lines.append(draw(_pick(SERVER_ALIASES)))
    # most sites grant their document root (else <Directory /> denies everything)
    if draw(st.integers(0, 9)) != 0:
        grant = [draw(_pick(["Require all granted", "Require all granted", "Order allow,deny\nAllow from all"]))]
        if draw(st.integers(0, 2)) == 2:
            grant += draw(_pick(OVERRIDES)).split("\n")
        grant += draw(section_body(kind="Directory"))
        lines += [f"<Directory {docroot}>", *["    " + l for g in grant for l in g.split("\n")], "</Directory>"]
    for _ in range(draw(st.integers(0, 3))):
        k = draw(_pick(["alias", "rewrite", "errdoc", "dirindex", "options", "setenv", "if"]))
        if k == "if":
            lines += [l for l in draw(if_chain()) if "Options" not in l and "DirectoryIndex" not in l]
        if k == "alias":
            lines.append(draw(_pick(ALIASES)))
        elif k == "rewrite":
            lines += _rewrite(draw, SERVER_RULES)
        elif k == "errdoc":
            lines.append(draw(_pick(ERRDOCS)))
        elif k == "dirindex":
            lines += draw(_pick(DIRINDEX)).split("\n")
        elif k == "options":
            lines.append(draw(_pick(OPTIONS)))
        elif k == "setenv":
            lines.append(draw(_pick(SETENVS)))
    if any(l.startswith(("Alias", "RewriteRule ^/al2")) for l in lines) and draw(st.booleans()):
        lines += [f"<Directory {R}/alt>", "    Require all granted", "</Directory>"]
    for sec in draw(st.lists(section(), max_size=4)):
        lines += sec
    for idiom in draw(st.lists(_pick(VHOST_IDIOMS), max_size=2, unique=True)):
        lines += idiom.split("\n")
    if draw(st.integers(0, 9)) == 9:
        lines = [_lower_name(l) for l in lines]
    return "\n".join(lines) + "\n"


def _lower_name(line: str) -> str:
    """`require all granted`, `<directory ...>`: the name in lower case, the arguments as written."""
    body = line.lstrip()
    name, sep, rest = body.partition(" ")
    return line[:len(line) - len(body)] + name.lower() + sep + rest


@st.composite
def htaccess_part(draw) -> str:
    """One piece of an .htaccess: a known line or idiom, a random rewrite block
    (maybe RewriteBase, maybe in <IfModule>), or what a <Directory> may say."""
    k = draw(st.integers(0, 5))
    if k <= 2:
        return draw(_pick(HTACCESS_LINES + HTACCESS_IDIOMS))
    if k == 3:
        lines = _rewrite(draw, PERDIR_RULES + HTACCESS_RULES)
        base = draw(_pick(REWRITE_BASES))
        if base:
            lines.insert(1, base)
        if draw(st.booleans()):
            lines = ["<IfModule mod_rewrite.c>", *lines, "</IfModule>"]
        return "\n".join(lines)
    return "\n".join(draw(section_body(kind="htaccess"))) or draw(_pick(HTACCESS_LINES))


@st.composite
def tree(draw) -> list[dict]:
    """gen_nginx's tree with Apache's password file, and .htaccess files."""
    out = []
    for entry in draw(gen_nginx.tree()):
        if entry["path"] == "auth/htpasswd":
            entry = {**entry, "content": HTPASSWD}
        out.append(entry)
    for path, content in FILES:
        if draw(st.integers(0, 2)) == 2:
            entry = {"path": path, **({"content": content} if content else {})}
            entry.update(_attrs(draw, gen_nginx.FILE_MODES))
            out.append(entry)
    for path, target in LINKS:
        if draw(st.integers(0, 2)) == 2:
            entry = {"path": path, "target": target}
            owner = draw(_pick(gen_nginx.OWNERS))
            if owner != "root":
                entry["owner"] = owner
            out.append(entry)
    dirs = {e["path"] for e in out}
    for d in HTACCESS_DIRS:
        if d in dirs and draw(st.integers(0, 3)) == 3:
            content = draw(st.lists(htaccess_part(), min_size=1, max_size=3))
            entry = {"path": d + ".htaccess", "content": "\n".join(content) + "\n"}
            entry.update(_attrs(draw, gen_nginx.FILE_MODES))
            out.append(entry)
    return out


@st.composite
def request(draw) -> dict:
    req = gen_nginx.draw_request(draw, PATHS)
    if draw(st.integers(0, 15)) == 15:
        req["method"] = draw(_pick(METHODS))
    host = draw(_pick(HOSTS))
    if host:
        req["host"] = host
    accept = draw(_pick(ACCEPTS))
    if accept:
        req["headers"] = {**req.get("headers", {}), "Accept": accept}
    req["apache"] = {"status": 0}       # filled in from the real server
    return req


@st.composite
def scenario(draw) -> dict:
    """A raw scenario without a name (the caller numbers them)."""
    return {"accounts": ACCOUNTS, "tree": draw(tree()), "apache": draw(vhost_body()),
            "requests": draw(st.lists(request(), min_size=1, max_size=8))}

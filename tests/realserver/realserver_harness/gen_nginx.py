"""Hypothesis strategies for random nginx scenarios (differential testing).

A generated scenario is a raw scenario mapping in the scenario-file format
(scenarios.py): a random tree under @ROOT@ (modes, owners and groups in all
three classes, a supplementary group of www-data, ACLs with masks, symlinks
and links to links), a random server body drawn from the directives the
request model covers, and random requests. Its requests carry no
expectation yet (status 0): the real server supplies it (differential.py).

Every choice list starts with its plainest value, so that hypothesis shrinks
towards a plain tree, a short config and a plain GET.
"""

from __future__ import annotations

from hypothesis import strategies as st

# Test accounts every generated scenario declares (the harness creates them
# once per run): www-data is a member of "gw", not of "gx"; "gu" is a user.
ACCOUNTS = {"groups": [{"name": "gw", "members": ["www-data"]}, {"name": "gx"}],
            "users": [{"name": "gu"}]}
OWNERS = ["root", "www-data", "@gu"]
GROUPS = ["root", "www-data", "@gw", "@gx"]
FILE_MODES = ["0644", "0640", "0604", "0600", "0000", "0400", "0440", "0204"]
DIR_MODES = ["0755", "0751", "0711", "0750", "0710", "0705", "0700", "0754", "0701", "0644"]
ACLS = [[], ["u:www-data:r"], ["u:www-data:rx"], ["g:@gx:rx"], ["g:@gw:---"], ["u:www-data:---"],
        ["u:@gu:rx"], ["u:www-data:x"]]
MASKS = [None, "g-rwx", "g-x", "g-r"]

# user "u" password "p" (and a second user with a salted SHA), as nginx reads them
HTPASSWD = "u:{PLAIN}p\nv:{SHA}" + "W6ph5Mm5Pz8GgiULbPgzG37mj9g=" + "\n"   # v:password

# (path, kind, extra) of every entry the tree may have; the docroot is www/
FILES = ["www/index.html", "www/a.html", "www/b.txt", "www/d1/index.html", "www/d1/x.html", "www/d2/index.html",
         "www/d1/sub/index.html", "www/b.html",
         "www/d1/sub/y.html", "www/d2/z.html", "www/err/403.html", "www/err/404.html", "www/err/50x.html",
         "alt/p.html", "alt/index.html", "alt/sub/q.html", "auth/htpasswd", "www/.hidden", "alt/a.html",
         "www/sp ace.html"]
DIRS = ["www/", "www/d1/", "www/d1/sub/", "www/d2/", "www/err/", "alt/", "alt/sub/", "auth/"]
LINKS = [("www/ln-file", "a.html"), ("www/ln-dir", "d1"), ("www/ln-ln", "ln-file"),
         ("www/ln-dangling", "nothing.html"), ("www/ln-out", "../alt"), ("www/d2/ln-abs", "@ROOT@/www/d1/x.html"),
         ("www/ln-lndir", "ln-dir")]

# Conditional and range requests (browsers revalidating, players seeking): these files get a
# fixed mtime, so a request can name their Last-Modified and ETag ("mtime-size" in hex: the
# default content is the path and a newline).
MTIME = 1700000000                       # Tue, 14 Nov 2023 22:13:20 GMT
MTIME_FILES = {"www/a.html", "www/d1/x.html", "www/index.html", "www/a.html.gz"}
LM = "Tue, 14 Nov 2023 22:13:20 GMT"
CONDITIONAL = [None, None, None, {"If-Modified-Since": LM}, {"If-Modified-Since": "Tue, 14 Nov 2023 22:13:21 GMT"},
               {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, {"If-None-Match": '"6553f100-b"'},
               {"If-None-Match": 'W/"6553f100-e", "x"'}, {"If-None-Match": "*"}, {"If-Match": '"6553f100-b"'},
               {"If-Match": '"nope"'}, {"If-Match": "*"}, {"If-Unmodified-Since": LM},
               {"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, {"If-Modified-Since": "yesterday"},
               {"If-None-Match": '"6553f100-f"', "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
               {"Range": "bytes=0-3"}, {"Range": "bytes=-4"}, {"Range": "bytes=5-"}, {"Range": "bytes=100-200"},
               {"Range": "bytes=0-1,3-4"}, {"Range": "bytes=x"}, {"Range": "items=0-1"}, {"Range": "bytes=0-0,-1"},
               {"Range": "bytes=0-3", "If-Range": '"6553f100-b"'}, {"Range": "bytes=0-3", "If-Range": LM},
               {"Range": "bytes=0-3", "If-Range": '"old"'}, {"Range": "bytes=0-99999", "If-None-Match": "*"}]
CONDITIONAL_CONF = ["if_modified_since off;", "if_modified_since before;", "etag off;", "max_ranges 0;",
                    "max_ranges 1;", "gzip on;", "gzip on;\ngzip_min_length 1;", "ssi on;", "charset utf-8;"]

PATHS = ["/", "/a.html", "/index.html", "/b.txt", "/d1/", "/d1", "/d1/x.html", "/d1/index.html",
         "/d1/sub/y.html", "/d1/sub/", "/d2/", "/d2/z.html", "/d2", "/err/403.html", "/err/", "/missing.html",
         "/p.html", "/alt/p.html", "/ln-file", "/ln-dir/", "/ln-dir/x.html", "/ln-ln", "/ln-dangling",
         "/ln-out/p.html", "/d2/ln-abs", "/ln-lndir/x.html", "/A.HTML", "/d1/X.html", "/nothing/",
         "/%64%31/x.html", "/d1/../a.html", "/d1/./x.html", "//a.html", "/d1//sub/y.html", "/a%2ehtml",
         "/d1/sub/../../b.txt", "/d1/x.html/", "/index.html/", "/auth/htpasswd", "/sub/q.html", "/q.html",
         "/d2/z.html?x=1", "/a.html?arg=1&x=2", "/err/404.html", "/err/50x.html", "/d1/sub", "/ln-ln/",
         "/alt/sub/q.html", "/b.html", "/d1/index.html?x=1", "/%2e%2e/a.html", "/d1/%2e%2e/b.txt",
         "/favicon.ico", "/.hidden", "/.well-known/a.html", "/al/p.html", "/d1/x.html?x=1", "/d2/z.html/",
         # alias traps (off-by-slash, a missing slash, try_files under an alias) and odd encodings
         "/al../www/a.html", "/al", "/al/", "/al/sub/", "/al/sub", "/al/index.html", "/al/a.html", "/alp.html",
         "/sp%20ace.html", "/d1%2Fx.html", "/a.html;x", "/d1/.", "/d1/..", "/%2E%2E/a.html", "/al/nothing"]
# nginx only (gen_apache shares the pools above): double encodings, '#', an encoded '?', PHP
# front controllers and proxied prefixes, WebDAV methods nothing enables, crawler and client
# User-Agents, a header with an underscore (ignored by default), cookies
NGINX_PATHS = ["/%2561.html", "/a.html%3Fx=1", "/./a.html", "/d1/sub/./../x.html", "/a.html#x", "/d1/x.html%20",
               "/index.php", "/d1/x.php", "/d1/index.php", "/api/x", "/api/", "/app/x?y=1", "/d1/x.php/extra",
               "/a.html?", "/?x=1", "/d1?x=1", "/old/a.html", "/A.html"]
NGINX_METHODS = ["MKCOL", "COPY", "LOCK", "CONNECT"]
NGINX_HEADERS = [None, None, {"User-Agent": "Googlebot/2.1"}, {"User-Agent": "curl/8.0"}, {"X_Test": "1"},
                 {"Cookie": "a=1"}, {"Cookie": "b=2; a=1"}]
# headers nginx refuses before any location (400, 501): rare, or they would hide the rest
REFUSED_HEADERS = [{"Content-Length": "abc"}, {"Transfer-Encoding": "gzip"}]
# request bodies (http.client sends their Content-Length) against client_max_body_size
BODIES = ["x", "x" * 2000]
BODY_SIZES = ["client_max_body_size 1k;", "client_max_body_size 0;", "client_max_body_size 10;",
              "client_max_body_size 1m;"]

METHODS = ["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "PROPFIND"]
AUTHS = [None, ["u", "p"], ["u", "wrong"], ["v", "password"], ["nobody", "p"]]
HEADERS = [{}, {"X-Test": "1"}, {"X-Test": "0"}, {"Referer": "http://example.com/"}]

ROOTS = ["root @ROOT@/www;", "root @ROOT@/alt;", "root @ROOT@/nowhere;", "root @ROOT@/www/d1;"]
ALIASES = ["alias @ROOT@/alt/;", "alias @ROOT@/www/;", "alias @ROOT@/alt;", "alias @ROOT@/www/d1/;",
           "alias @ROOT@/nowhere/;"]
CAPTURE_ALIASES = ["alias @ROOT@/alt/$1;", "alias @ROOT@/www/$1;", "alias @ROOT@/www/d1/$1;"]
ACCESS = ["allow 127.0.0.1;", "deny 127.0.0.1;", "deny all;", "allow all;", "allow 10.0.0.0/8;",
          "deny 10.0.0.1;", "allow 127.0.0.0/8;", "allow ::1;", "deny 127.0.0.1/32;", "allow 127.0.0.2;",
          "allow 127.0.0.1/24;", "deny 0.0.0.0/0;"]
AUTH = ['auth_basic "gen";\nauth_basic_user_file @ROOT@/auth/htpasswd;', "auth_basic off;",
        'auth_basic "gen";\nauth_basic_user_file @ROOT@/auth/missing;', 'auth_basic "gen";']
TRY_FILES = ["try_files $uri =404;", "try_files $uri $uri/ =404;", "try_files $uri $uri/ /index.html;",
             "try_files $uri @fb;", "try_files $uri /err/404.html;", "try_files $uri/ =403;",
             "try_files $uri $uri.html =410;", "try_files /a.html =404;", "try_files $uri $uri/ @err;",
             "try_files /missing.html /d1/x.html;", "try_files $uri /nothing.html;",
             "try_files $uri $uri/index.html =404;", "try_files $uri/ $uri =404;", "try_files $uri @err;",
             "try_files /err/404.html =500;", "try_files $uri =403;", "try_files $uri $uri/ /d1/?$args;",
             "try_files $1 $1/ =404;", "try_files /$1 =405;", "try_files /a.html $uri/ =404;",
             "try_files $uri /al/index.html?$args;", 'try_files "" / =405;']
REWRITE_FLAGS = ["", " last", " break", " redirect", " permanent"]
REWRITES = [r"rewrite ^/d1/(.*)$ /d2/$1{flag};", r"rewrite ^/a\.html$ /b.txt{flag};",
            r"rewrite ^(.*)\.html$ $1.txt{flag};", r"rewrite ^/p\.html$ /alt/p.html{flag};",
            r"rewrite ^/d2/(.*)$ /d1/$1{flag};", r"rewrite ^/ln-(.*)$ /d1/x.html{flag};",
            r"rewrite ^/missing /err/404.html{flag};", r"rewrite ^ /a.html?y=1{flag};",
            r"rewrite ^(.*)$ $1{flag};", r"rewrite ^/(.*)$ /d1/$1{flag};", r"rewrite ^/d1$ /d1/{flag};",
            r"rewrite ^/old/(.*)$ /$1{flag};", r"rewrite ^/(.*)\.php$ /$1.html{flag};"]
RETURNS = ["return 403;", "return 404;", 'return 200 "ok";', "return 301 /a.html;",
           "return 302 http://example.com/;", "return 418;", "return 444;", "return 500;", "return 401;",
           "return 204;", "return 405;", 'return 404 "nf";', "return 307 /d1/x.html;", "return 200;",
           'return 403 "no";', "return 302 $scheme://$host/a.html;"]
IFS = ["if ($request_method = POST) {{ {inner} }}", "if ($uri ~ \\.txt$) {{ {inner} }}",
       "if ($arg_x) {{ {inner} }}", "if (-f $request_filename) {{ {inner} }}",
       "if ($http_x_test = 1) {{ {inner} }}", "if (!-e $request_filename) {{ {inner} }}",
       "if ($request_uri ~* /D1/) {{ {inner} }}", "if ($request_method !~ ^(GET|HEAD)$) {{ {inner} }}",
       "if ($http_user_agent ~* (bot|curl)) {{ {inner} }}", "if (-d $request_filename) {{ {inner} }}",
       "if ($args ~ x=1) {{ {inner} }}", "if ($host != $server_name) {{ {inner} }}",
       "if ($scheme = http) {{ {inner} }}", "if ($remote_addr = 127.0.0.1) {{ {inner} }}",
       "if ($http_referer !~ ^$) {{ {inner} }}", "if ($query_string) {{ {inner} }}",
       "if ($http_x_test ~ ^(1|yes)$) {{ {inner} }}", "if ($request_filename ~ \\.txt$) {{ {inner} }}",
       "if ($cookie_a = 1) {{ {inner} }}", "if (!-d $request_filename) {{ {inner} }}"]
IF_INNER = ["return 403;", "return 404;", 'return 200 "if";', "rewrite ^ /a.html last;",
            "rewrite ^ /d1/x.html break;", "root @ROOT@/alt;", "set $x 1;", "return 301 /d1/;",
            "error_page 404 /err/404.html;", "root @ROOT@/www/d1;", "rewrite ^/(.*)$ /d1/$1 break;",
            "error_page 403 = @fb;", "break;", "return 302 /a.html;"]
IF_INNER_SERVER = [i for i in IF_INNER if not i.startswith(("root ", "error_page "))]
ERROR_PAGES = ["error_page 403 /err/403.html;", "error_page 404 /err/404.html;", "error_page 404 =200 /a.html;",
               "error_page 403 404 @err;", "error_page 403 =404 /err/404.html;", "error_page 500 502 /err/50x.html;",
               "error_page 404 http://example.com/nf;", "error_page 401 403 /missing.html;",
               "error_page 404 = /d1/x.html;", "error_page 405 =200 /a.html;", "error_page 403 = @fb;",
               "error_page 410 /err/404.html;", "error_page 404 /d1/;", "error_page 403 =301 http://example.com/;",
               "error_page 404 =302 /d1/;", "error_page 403 404 =200 @fb;", "error_page 405 = @err;",
               "error_page 401 /err/403.html;", "error_page 500 =503 /err/50x.html;", "error_page 404 =301 /a.html;",
               "error_page 403 405 /err/403.html;", "error_page 418 /a.html;", "error_page 301 302 /a.html;",
               "error_page 405 /err/403.html;", "error_page 404 /err/404.html?from=$uri;",
               "error_page 401 =200 /a.html;", "error_page 500 = @fb;", "error_page 400 =200 /a.html;",
               "error_page 413 /err/404.html;", "error_page 405 501 =202 /a.html;", "error_page 400 /err/50x.html;",
               "error_page 413 = @fb;"]
INDEXES = ["index index.html;", "index a.html index.html;", "index missing.html;", "index /a.html;",
           "index missing.html x.html;", "index d1/index.html;", "index index.php index.html;",
           "index index.htm index.html;"]
AUTOINDEX = ["autoindex on;", "autoindex off;"]
SYMLINKS = ["disable_symlinks on;", "disable_symlinks if_not_owner;", "disable_symlinks off;",
            "disable_symlinks on from=@ROOT@/www;", "disable_symlinks if_not_owner from=$document_root;"]
LIMIT_EXCEPT = ["limit_except GET {{ {inner} }}", "limit_except GET POST {{ {inner} }}",
                "limit_except PUT {{ {inner} }}", "limit_except HEAD {{ {inner} }}"]
LIMIT_INNER = ["deny all;", "allow 10.0.0.1;\ndeny all;", "allow 127.0.0.1;\ndeny all;", "allow all;",
               'auth_basic "le";\nauth_basic_user_file @ROOT@/auth/htpasswd;', "deny 127.0.0.1;",
               "auth_basic off;", "deny all;\nallow 127.0.0.1;"]

# Modules beside the static one (content_modules.py, secure_link.py, random_index):
# their own files, directives and requests, drawn for nginx alone (gen_apache shares
# the pools above).
MODULE_FILES = ["www/a.html.gz", "www/b.txt.gz", "www/c.txt.gz", "www/d1/x.html.gz", "www/v/a.flv", "www/v/a.mp4",
                "www/rnd/a.html", "www/rnd/b.html", "www/index.php", "www/d1/x.php"]
GZIP = ["gzip_static on;", "gzip_static always;", "gzip_static off;"]
HANDLERS = ["flv;", "mp4;", "stub_status;", "empty_gif;"]
# upstreams that never answer (nothing listens): nginx answers 502 once the request reaches them
UPSTREAMS = ["fastcgi_pass 127.0.0.1:9;", "proxy_pass http://127.0.0.1:9;", "uwsgi_pass 127.0.0.1:9;",
             "fastcgi_pass unix:@ROOT@/nosock;", "proxy_pass http://127.0.0.1:9/;", "proxy_pass http://127.0.0.1:9/x/;"]
SECURE_LINKS = ['secure_link $arg_md5,$arg_e;\nsecure_link_md5 "$secure_link_expires$uri k";\n'
                'if ($secure_link = "") {{ return 403; }}\nif ($secure_link = "0") {{ return 410; }}',
                'secure_link $arg_md5;\nsecure_link_md5 "$uri k";\nif ($secure_link != "1") {{ return 403; }}',
                'secure_link_secret k;\nif ($secure_link = "") {{ return 403; }}\nrewrite ^ /$secure_link break;']
MODULE_PATHS = ["/a.html", "/b.txt", "/c.txt", "/d1/x.html", "/a.html.gz", "/v/a.flv", "/v/a.mp4", "/v/a.mp4?start=1",
                "/v/a.flv?start=3", "/v/a.mp4?start=x", "/rnd/", "/v/", "/rnd/b.html", "/v",
                "/a.html?md5=u1rzO-bFmjiDmDy9nb0F9w&e=4102444800", "/a.html?md5=3Cn2OGTF00JI2VFvp3AZ-g&e=1000000000",
                "/a.html?md5=u1rzO-bFmjiDmDy9nb0F9w&e=4102444801", "/d1/x.html?md5=g30xJyGXQkPspQzulvi8Ag&e=4102444800",
                "/d1/?md5=PRNijWGSto860qu094QtPA&e=4102444800", "/p/ecd2967b0ffce086048f3d5d8a97c21d/a.html",
                "/d1/dfa24da473c2b59afe9dc458605525c1/x.html", "/p/ecd2967b0ffce086048f3d5d8a97c21e/a.html"]
ENCODINGS = [None, {"Accept-Encoding": "gzip"}, {"Accept-Encoding": "gzip;q=0"},
             {"Accept-Encoding": "deflate, gzip"}, {"Accept-Encoding": "gzip", "Via": "1.1 p"}]

PREFIXES = ["/", "/d1/", "/d1", "/d2/", "/d1/sub/", "/a", "/err/", "/ln-dir/", "/alt/", "/p.html", "/d1/sub",
            "/err", "/b.txt", "/index.html", "/ln", "/v/", "/rnd/", "/p/", "/al", "/al/"]
REGEXES = [r"\.html$", r"^/d1/(.+)$", r"^/d(\d)/", r"/SUB/", r"\.txt$", r"^/(?<name>d2)/(.*)$",
           r"^/alt/(.*)$", r"^/(.*)\.html$", r"/$", r"^/d1/sub/(?<f>.+)$", r"\.(txt|html)$", r"^/ln",
           r"^/err/(\d+)\.html$", r"\.(flv|mp4)$"]
NESTED = {"/": ["/d1/", "/d2/", "/a"], "/d1/": ["/d1/sub/", "/d1/x"], "/d1": ["/d1/", "/d1/sub/"],
          "/d2/": ["/d2/z"], "/d1/sub/": ["/d1/sub/y"], "/a": ["/a.html"], "/err/": ["/err/4"],
          "/ln-dir/": ["/ln-dir/x"], "/alt/": ["/alt/p"], "/p.html": [], "/d1/sub": ["/d1/sub/"],
          "/err": ["/err/", "/err/4"], "/b.txt": [], "/index.html": [], "/ln": ["/ln-dir/", "/ln-file"],
          "/v/": [], "/rnd/": [], "/p/": [], "/al": ["/al/", "/al/sub"], "/al/": ["/al/sub/"]}


def _pick(options):
    return st.sampled_from(options)


@st.composite
def tree(draw) -> list[dict]:
    """Entries of the scenario tree; plain by default, odd where hypothesis draws it."""
    out = []
    for path in DIRS:
        if not _present(draw):
            continue
        entry = {"path": path}
        entry.update(_attrs(draw, DIR_MODES))
        out.append(entry)
    for path in FILES:
        if not _present(draw):
            continue
        entry = {"path": path}
        if path in MTIME_FILES:
            entry["mtime"] = MTIME
        if path == "auth/htpasswd":
            entry["content"] = HTPASSWD
        entry.update(_attrs(draw, FILE_MODES))
        out.append(entry)
    for path, target in LINKS:
        if draw(st.booleans()):
            entry = {"path": path, "target": target}
            owner = draw(_pick(OWNERS))
            if owner != "root":
                entry["owner"] = owner
            out.append(entry)
    return out


@st.composite
def module_files(draw) -> list[dict]:
    """The files the modules beside the static one serve (.gz siblings, media, a random_index directory)."""
    out = []
    for path in MODULE_FILES:
        if _present(draw):
            out.append({"path": path, **({"mtime": MTIME} if path in MTIME_FILES else {}), **_attrs(draw, FILE_MODES)})
    return out


def _present(draw) -> bool:
    """Most entries exist; hypothesis shrinks towards leaving one out."""
    return draw(st.integers(0, 4)) != 0


def _attrs(draw, modes) -> dict:
    """mode/owner/group/acl of one entry; the plain values are left out."""
    out = {}
    odd = draw(st.integers(0, 3)) == 3           # most entries stay plain
    if not odd:
        return out
    mode = draw(_pick(modes))
    if mode != modes[0]:
        out["mode"] = mode
    owner, group = draw(_pick(OWNERS)), draw(_pick(GROUPS))
    if owner != "root":
        out["owner"] = owner
    if group != "root":
        out["group"] = group
    acl = draw(_pick(ACLS))
    if acl:
        out["acl"] = list(acl)
        mask = draw(_pick(MASKS))
        if mask:
            out["chmod_after_acl"] = mask
    return out


def _rewrite(draw) -> str:
    return draw(_pick(REWRITES)).format(flag=draw(_pick(REWRITE_FLAGS)))


@st.composite
def body(draw, *, level: str, regex: bool = False, depth: int = 0, prefix: str | None = None,
         nest: bool = True) -> list[str]:
    """Directives of a server (level "server") or a location body."""
    lines: list[str] = []
    in_location = level == "location"
    n = draw(st.integers(0, 4 if in_location else 3))
    kinds = ["root", "access", "auth", "satisfy", "try_files", "rewrite", "return", "if", "error_page",
             "index", "autoindex", "symlinks", "recursive", "gzip_static", "secure_link", "conditional", "body_size"]
    if in_location:
        kinds += ["alias", "limit_except", "internal", "location", "random_index", "handler", "upstream"]
    else:
        kinds += ["merge_slashes"]
    have_docroot = False
    for _ in range(n):
        kind = draw(_pick(kinds))
        if kind == "root" and not have_docroot:
            lines.append(draw(_pick(ROOTS)))
            have_docroot = True
        elif kind == "alias" and not have_docroot:
            lines.append(draw(_pick(CAPTURE_ALIASES if regex else ALIASES)))
            have_docroot = True
        elif kind == "access":
            lines += draw(st.lists(_pick(ACCESS), min_size=1, max_size=3))
        elif kind == "auth":
            lines.append(draw(_pick(AUTH)))
        elif kind == "satisfy":
            lines.append(draw(_pick(["satisfy any;", "satisfy all;"])))
        elif kind == "try_files":
            lines.append(draw(_pick(TRY_FILES)))
        elif kind == "rewrite":
            lines.append(_rewrite(draw))
        elif kind == "return":
            lines.append(draw(_pick(RETURNS)))
        elif kind == "if":
            inner = draw(_pick(IF_INNER if in_location else IF_INNER_SERVER))
            lines.append(draw(_pick(IFS)).format(inner=inner))
        elif kind == "error_page":
            lines.append(draw(_pick(ERROR_PAGES)))
        elif kind == "index":
            lines.append(draw(_pick(INDEXES)))
        elif kind == "autoindex":
            lines.append(draw(_pick(AUTOINDEX)))
        elif kind == "symlinks":
            lines.append(draw(_pick(SYMLINKS)))
        elif kind == "recursive":
            lines.append("recursive_error_pages on;")
        elif kind == "gzip_static":
            lines.append(draw(_pick(GZIP)))
        elif kind == "secure_link":
            # secure_link_secret is a location's only
            lines.append(draw(_pick(SECURE_LINKS if in_location else SECURE_LINKS[:2])).format())
        elif kind == "body_size":
            lines.append(draw(_pick(BODY_SIZES)))
        elif kind == "conditional":
            lines.append(draw(_pick(CONDITIONAL_CONF)))
        elif kind == "merge_slashes":
            lines.append("merge_slashes off;")
        elif kind == "random_index":
            lines.append("random_index on;")
        elif kind == "handler":
            lines.append(draw(_pick(HANDLERS)))
        elif kind == "upstream":
            # a URI part is refused in a regex location
            lines.append(draw(_pick(UPSTREAMS[:4] if regex else UPSTREAMS)))
        elif kind == "limit_except":
            inner = "\n".join(_dedupe(draw(st.lists(_pick(LIMIT_INNER), min_size=1, max_size=2))))
            lines.append(draw(_pick(LIMIT_EXCEPT)).format(inner=inner))
        elif kind == "internal":
            lines.append("internal;")
        elif kind == "location" and depth < 2 and nest:
            lines.append("\n".join(draw(location(depth=depth + 1, parent=prefix, parent_regex=regex))))
    return _dedupe(lines)


ONCE = {"root", "alias", "satisfy", "internal", "try_files", "index", "autoindex", "disable_symlinks",
        "limit_except", "recursive_error_pages", "auth_basic", "auth_basic_user_file", "gzip_static",
        "secure_link", "secure_link_md5", "secure_link_secret", "random_index", "flv", "mp4", "stub_status",
        "empty_gif", "merge_slashes", "if_modified_since", "etag", "max_ranges", "gzip", "gzip_min_length", "ssi",
        "charset", "fastcgi_pass", "proxy_pass", "uwsgi_pass", "client_max_body_size"}


def _location_key(line: str) -> str:
    """Locations nginx calls duplicates: ^~ /x and /x are the same prefix."""
    return line.split("{")[0].replace("^~ ", "").strip()


def _dedupe(lines: list[str]) -> list[str]:
    """nginx refuses a second root/alias/satisfy/... or a second equal location
    in one block: keep the first entry that sets it."""
    seen: set[str] = set()
    out = []
    for line in lines:
        heads = {part.strip().split(" ")[0].rstrip(";") for part in line.split("\n")} & ONCE
        if line.startswith("location "):
            heads = {_location_key(line)}
        if heads & seen:
            continue
        seen |= heads
        out.append(line)
    return out


@st.composite
def location(draw, depth: int = 0, parent: str | None = None, parent_regex: bool = False) -> list[str]:
    if parent is not None and not parent_regex:
        choices = NESTED.get(parent, [])
        kind = draw(_pick(["prefix", "regex", "noregex", "exact"] if choices else ["regex"]))
    elif parent_regex:
        kind = "regex"
    else:
        kind = draw(_pick(["prefix", "regex", "prefix", "exact", "noregex"]))
    if kind == "regex":
        name = f"{draw(_pick(['~', '~*']))} {draw(_pick(REGEXES))}"
        regex = True
        prefix = None
    elif parent is not None:
        prefix = draw(_pick(NESTED[parent]))
        name, regex = {"prefix": "", "exact": "= ", "noregex": "^~ "}[kind] + prefix, False
    else:
        prefix = draw(_pick(PREFIXES))
        mod = {"prefix": "", "exact": "= ", "noregex": "^~ "}[kind]
        name, regex = mod + prefix, False
    # nginx allows no nested location in an exact one
    inner = draw(body(level="location", regex=regex, depth=depth, prefix=prefix, nest=kind != "exact"))
    return [f"location {name} {{", *["    " + l for line in inner for l in line.split("\n")], "}"]


# Blocks real sites carry (dotfile guards, favicon, asset caching, front controllers,
# regex aliases with named captures, trailing-slash rewrites), drawn whole beside the
# random locations so their mixes with those come up.
IDIOMS = ["location ~ /\\. {\n    deny all;\n}",
          "location ~ /\\.(?!well-known) {\n    return 404;\n}",
          "location = /favicon.ico {\n    log_not_found off;\n    access_log off;\n}",
          "location ~* \\.(?:css|js|txt)$ {\n    expires 30d;\n    add_header Cache-Control \"public\";\n}",
          "location / {\n    try_files $uri $uri/ /index.html?$args;\n}",
          "location ~ ^/(?<sect>d1|d2)/(?<rest>.*)$ {\n    alias @ROOT@/www/$sect/$rest;\n}",
          "location ~ ^/al/(.+\\.html)$ {\n    alias @ROOT@/alt/$1;\n    error_page 404 = @fb;\n}",
          "rewrite ^/(.*)/$ /$1 permanent;",
          "location ^~ /err/ {\n    internal;\n}",
          "location = / {\n    index a.html;\n}",
          "location /d1/ {\n    autoindex on;\n    index missing.html;\n    location ~ \\.html$ {\n        "
          "if ($arg_x) {\n            return 403;\n        }\n    }\n}",
          "location ~ \\.html$ {\n    try_files $uri =404;\n    error_page 404 /err/404.html;\n}",
          "set $base @ROOT@/www;\nlocation /alt/ {\n    root $base/..;\n}",
          "location /d2/ {\n    satisfy any;\n    allow 10.0.0.0/8;\n    deny all;\n    auth_basic \"r\";\n"
          "    auth_basic_user_file @ROOT@/auth/htpasswd;\n}",
          "location ~ ^/d1/(?<f>[^/]+)$ {\n    if (!-f $request_filename) {\n        return 410;\n    }\n}",
          "location /al {\n    alias @ROOT@/alt/;\n}",
          "location /al/ {\n    alias @ROOT@/alt/;\n    try_files $uri $uri/ =404;\n}",
          "location ~ ^/al/(.*)$ {\n    alias @ROOT@/alt/$1;\n    try_files $uri $uri/ =404;\n}",
          "location ~ ^/al/(.*)$ {\n    alias @ROOT@/alt/;\n    try_files $1 $1/ @fb;\n}",
          "error_page 404 /err/404.html;\nlocation = /err/404.html {\n    internal;\n}",
          # PHP front controllers and proxied prefixes, as sites write them
          "location ~ \\.php$ {\n    try_files $uri =404;\n    fastcgi_pass 127.0.0.1:9;\n}",
          "location ~ [^/]\\.php(/|$) {\n    fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\n"
          "    if (!-f $document_root$fastcgi_script_name) {\n        return 404;\n    }\n    fastcgi_pass 127.0.0.1:9;\n}",
          "location / {\n    try_files $uri $uri/ /index.php?$args;\n}",
          "index index.php index.html;\nlocation ~ \\.php$ {\n    fastcgi_pass 127.0.0.1:9;\n}",
          "location /api/ {\n    proxy_pass http://127.0.0.1:9/;\n}",
          "location ^~ /app {\n    limit_except GET {\n        deny all;\n    }\n    proxy_pass http://127.0.0.1:9;\n}",
          "location ~ /\\.ht {\n    deny all;\n}",
          "location ~* \\.(?:jpg|png|css|js|ico)$ {\n    try_files $uri =404;\n    expires max;\n}",
          "if ($request_method !~ ^(GET|HEAD|POST)$) {\n    return 405;\n}",
          "location /old/ {\n    rewrite ^/old/(.*)$ /$1 permanent;\n}"]

NAMED_BODIES = ['return 200 "named";', "return 418;", "root @ROOT@/www;\ntry_files /err/404.html =404;",
                "rewrite ^ /a.html last;", "root @ROOT@/alt;", "return 403;", "try_files $uri =405;",
                "deny all;", "return 302 /d1/;", "limit_except GET { deny all; }\nroot @ROOT@/www;",
                "error_page 404 /err/404.html;\ntry_files $uri =404;", "internal;\nreturn 200 \"n\";",
                "rewrite ^ /d1/ last;", "index a.html;\ntry_files $uri/ =404;"]


@st.composite
def server_body(draw) -> str:
    lines = [draw(_pick(ROOTS[:1] + ROOTS))]
    lines += [l for l in draw(body(level="server")) if not l.startswith("root ")]
    seen_names: set[str] = set()
    for loc in draw(st.lists(location(), max_size=4)):
        head = _location_key(loc[0])
        if head in seen_names:        # nginx refuses a duplicate location
            continue
        seen_names.add(head)
        lines += loc
    for idiom in draw(st.lists(_pick(IDIOMS), max_size=2, unique=True)):
        head = _location_key(idiom) if idiom.startswith("location ") else idiom
        heads = {_location_key(l) for l in idiom.split("\n") if l.startswith("location ")}
        if head in seen_names or heads & seen_names:
            continue
        seen_names |= heads | {head}
        lines += idiom.split("\n")
    for named in ("@fb", "@err"):
        if draw(st.booleans()) or any(named in l for l in lines):
            lines += [f"location {named} {{", *["    " + l for l in draw(_pick(NAMED_BODIES)).split("\n")], "}"]
    text = "\n".join(lines) + "\n"
    if "secure_link_secret" in text and "secure_link $" in text:
        # nginx refuses secure_link_secret where secure_link/_md5 are in force (inherited too):
        # its if/rewrite stay, on the other form's $secure_link
        text = text.replace("secure_link_secret k;\n", "")
    return text


# Several server blocks on one address of the scenario's own (raw_servers): which one
# answers a Host (exact, leading/trailing wildcards, ".name", regexes in file order,
# names that differ in case only, "" and "_", default_server or the first block).
SERVER_NAMES = ["a.test", "b.test www.b.test", "*.w.test", "www.*", ".d.test", r"~^(?<sub>[a-z]+)\.r\.test$",
                r"~^api\.", "_", '""', "A.Test", r"~^API\.", "*.b.test", "x.w.test", r"~\.test$", "www.w.*",
                r'"~^(?<n>[a-z]{2,3})\.d\.test$"', "a.test b.test"]
LISTENS = ["listen @LISTEN@;", "listen @LISTEN@ default_server;", "listen @LISTEN@ default;"]
SERVER_HOSTS = [None, "a.test", "A.TEST", "a.test.", "a.test:8080", "www.b.test", "b.test", "x.b.test",
                "x.w.test", "w.test", "y.x.w.test", "www.w.test", "www.other.test", "d.test", "x.d.test",
                "ab.d.test", "www.r.test", "alt.r.test", "api.r.test", "api.x", "nomatch.test", "_",
                "127.0.0.1", "www.w.test.", "a..test", "ALT.R.TEST"]
FORWARDED = [None, None, "10.1.2.3", "127.0.0.1, 10.0.0.5", "10.0.0.5, 127.0.0.1", "bogus"]
ARGS = ["ip=10.0.0.1", "ip=127.0.0.1", "x=1", "x=", "x=1&ip=10.9.9.9", "ip=nonsense"]
# bodies that tell the servers apart (beside random server bodies)
SMALL_BODIES = ['return 200 "{i}";', "return 40{i};", "root @ROOT@/$sub;", 'return 302 http://$host/{i};',
                "root @ROOT@/www;\nlocation / {{ try_files $uri =40{i}; }}", "root @ROOT@/alt;",
                "return 444;", 'root @ROOT@/www;\nif ($host = a.test) {{ return 40{i}; }}']


# http-level map/geo blocks of a multi-server scenario and the server-level lines that read
# them; @ID@ makes each variable the scenario's own (they are global to the http block).
HTTP_VARS = [
    ("map $uri $blk_@ID@ {\n    default 0;\n    /a.html 1;\n    ~^/d1/ 3;\n    ~*\\.TXT$ 4;\n}",
     ["if ($blk_@ID@ = 1) { return 403; }", "if ($blk_@ID@ = 2) { return 404; }", "if ($blk_@ID@) { return 410; }",
      "if ($blk_@ID@ = 3) { return 401; }", "if ($blk_@ID@ = 4) { return 418; }"]),
    ('map $http_x_test $xt_@ID@ {\n    default "";\n    1 yes;\n    ~^0$ zero;\n}',
     ["if ($xt_@ID@ = yes) { return 403; }", "if ($xt_@ID@) { return 404; }", "if ($xt_@ID@ = zero) { return 410; }"]),
    ("map $host $site_@ID@ {\n    hostnames;\n    default other;\n    a.test a;\n    *.w.test w;\n    *.x.w.test xw;\n"
     "    .d.test d;\n    www.* www;\n    ~^api\\. api;\n}",
     ["if ($site_@ID@ = w) { return 403; }", "if ($site_@ID@ = xw) { return 404; }", "if ($site_@ID@ = d) { return 410; }",
      "if ($site_@ID@ = other) { return 401; }", "if ($site_@ID@ = www) { return 418; }",
      "if ($site_@ID@ = api) { return 405; }"]),
    ("map $http_host $hh_@ID@ {\n    default 0;\n    a.test 1;\n    A.TEST:8080 2;\n}",
     ["if ($hh_@ID@ = 1) { return 403; }", "if ($hh_@ID@ = 2) { return 404; }"]),
    ("map $uri $file_@ID@ {\n    default /a.html;\n    ~^/d(?<num_@ID@>\\d)/(.*)$ /d$num_@ID@/$2;\n    /B.TXT /b.txt;\n"
     '    /missing.html "";\n}',
     ["location / {\n    try_files $file_@ID@ =404;\n}", "location / {\n    try_files $file_@ID@ =410;\n}",
      "location /d1/ {\n    rewrite ^ $file_@ID@ break;\n}"]),
    ("map $request_method $m_@ID@ {\n    default 0;\n    POST 1;\n    put 1;\n    ~^DEL 2;\n}",
     ["if ($m_@ID@ = 1) { return 403; }", "if ($m_@ID@ = 2) { return 404; }", "if ($m_@ID@) { return 410; }"]),
    ('map $arg_x $ax_@ID@ {\n    default 0;\n    "" empty;\n    1 one;\n}',
     ["if ($ax_@ID@ = empty) { return 403; }", "if ($ax_@ID@ = one) { return 404; }"]),
    ("map $uri $c1_@ID@ {\n    default a;\n    ~^/d1 b;\n}\nmap $c1_@ID@ $c2_@ID@ {\n    default 0;\n    b 1;\n}",
     ["if ($c2_@ID@) { return 403; }"]),
    ("geo $g1_@ID@ {\n    default 0;\n    127.0.0.0/8 1;\n    127.0.0.1/32 2;\n}",
     ["if ($g1_@ID@ = 2) { return 403; }", "if ($g1_@ID@ = 1) { return 404; }", "if ($g1_@ID@ = 0) { return 410; }"]),
    ("geo $g2_@ID@ {\n    ranges;\n    default 0;\n    127.0.0.1-127.0.0.5 1;\n    10.0.0.0-10.255.255.255 2;\n}",
     ["if ($g2_@ID@ = 1) { return 403; }", "if ($g2_@ID@ = 0) { return 404; }"]),
    ("geo $g3_@ID@ {\n    proxy 127.0.0.1;\n    default 0;\n    10.0.0.0/8 1;\n    127.0.0.1 2;\n}",
     ["if ($g3_@ID@ = 1) { return 403; }", "if ($g3_@ID@ = 2) { return 404; }"]),
    ("geo $arg_ip $g4_@ID@ {\n    default 0;\n    10.0.0.0/8 1;\n}", ["if ($g4_@ID@) { return 403; }"]),
    ("geo $g5_@ID@ {\n    default 0;\n    127.0.0.0/8 1;\n    127.0.0.0/16 2;\n    delete 127.0.0.0/16;\n}",
     ["if ($g5_@ID@ = 2) { return 403; }", "if ($g5_@ID@ = 1) { return 404; }"]),
]


@st.composite
def servers(draw) -> str:
    """Two to four whole server blocks on @LISTEN@ with random names and listens,
    after the http-level map/geo blocks some of them read."""
    pieces = draw(st.lists(_pick(HTTP_VARS), max_size=2, unique_by=lambda p: p[0]))
    uses = [use for _, lines in pieces for use in lines]
    n = draw(st.integers(2, 4))
    default = draw(st.integers(-1, n - 1))            # at most one default_server per address
    blocks = []
    for i in range(n):
        listen = draw(_pick(LISTENS[1:])) if i == default else LISTENS[0]
        names = draw(st.lists(_pick(SERVER_NAMES), min_size=0, max_size=2, unique=True))
        if draw(st.booleans()):
            body_lines = draw(_pick(SMALL_BODIES)).format(i=i).split("\n")
        else:
            body_lines = draw(server_body()).rstrip("\n").split("\n")
        if any("$sub" in l for l in body_lines) and not any("<sub>" in name for name in names):
            names.append(SERVER_NAMES[5])          # nginx refuses an unknown $sub
        if uses:
            read = draw(st.lists(_pick(uses), max_size=2, unique=True))
            if any(l.startswith("location /") for l in body_lines):   # no duplicate location
                read = [l for l in read if not l.startswith("location /")]
            read = [l for i, l in enumerate(read) if not (i and l.startswith("location /"))]
            body_lines = [l for use in read for l in use.split("\n")] + body_lines
        lines = [listen] + ([f"server_name {' '.join(names)};"] if names else []) + body_lines
        blocks.append("\n".join(["server {", *["    " + l for l in lines], "}"]))
    return "\n".join([p for p, _ in pieces] + blocks) + "\n"


def draw_request(draw, paths: list) -> dict:
    """A request entry drawn from `paths` and the shared method, credential and
    header pools (gen_apache draws its own extras after these, in this order)."""
    req: dict = {"path": draw(_pick(paths))}
    method = draw(_pick(METHODS))
    if method != "GET":
        req["method"] = method
    auth = draw(_pick(AUTHS))
    if auth:
        req["auth"] = auth
    headers = draw(_pick(HEADERS))
    if headers:
        req["headers"] = dict(headers)
    return req


@st.composite
def request(draw) -> dict:
    # the nginx-only pools are drawn less often than the shared ones, and what refuses a request
    # before any location (odd methods, refused headers) rarely, so most requests go all the way
    req = draw_request(draw, NGINX_PATHS if draw(st.integers(0, 3)) == 3 else PATHS + MODULE_PATHS)
    if draw(st.integers(0, 2)) == 0:
        req.pop("method", None)              # more plain GETs: most other methods end in a 405
    if draw(st.integers(0, 9)) == 9:
        req["method"] = draw(_pick(NGINX_METHODS))
    extra = draw(_pick(NGINX_HEADERS))
    if extra:
        req["headers"] = {**req.get("headers", {}), **extra}
    if draw(st.integers(0, 29)) == 29:
        req["headers"] = {**req.get("headers", {}), **draw(_pick(REFUSED_HEADERS))}
    if draw(st.integers(0, 4)) == 4 and "Content-Length" not in req.get("headers", {}):
        req["body"] = draw(_pick(BODIES))
    encoding = draw(_pick(ENCODINGS))
    if encoding:
        req["headers"] = {**req.get("headers", {}), **encoding}
    conditional = draw(_pick(CONDITIONAL)) if draw(st.integers(0, 2)) == 2 else None
    if conditional:
        req["headers"] = {**req.get("headers", {}), **conditional}
    req["nginx"] = {"status": 0}       # filled in from the real server
    return req


@st.composite
def server_request(draw) -> dict:
    """A request to one of several server blocks: the Host picks the block."""
    req = draw(request())
    host = draw(_pick(SERVER_HOSTS))
    if host:
        req = {"host": host, **req}
    forwarded = draw(_pick(FORWARDED))
    if forwarded:
        req["headers"] = {**req.get("headers", {}), "X-Forwarded-For": forwarded}
    if draw(st.integers(0, 4)) == 4:
        path, _, args = req["path"].partition("?")
        req["path"] = f"{path}?{draw(_pick(ARGS))}"
    return req


@st.composite
def scenario(draw) -> dict:
    """A raw scenario without a name (the caller numbers them); one in six is
    several server blocks chosen by Host."""
    tree_entries = draw(tree()) + draw(module_files())
    if draw(st.integers(0, 5)) == 5:
        return {"accounts": ACCOUNTS, "tree": tree_entries, "raw_servers": True, "nginx": draw(servers()),
                "requests": draw(st.lists(server_request(), min_size=1, max_size=8))}
    return {"accounts": ACCOUNTS, "tree": tree_entries, "nginx": draw(server_body()),
            "requests": draw(st.lists(request(), min_size=1, max_size=8))}

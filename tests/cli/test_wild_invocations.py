"""Ordinary invocations an admin types that no other test covers (session 24, s24-wild):
each once ended in a traceback, a wrong exit code, a silent skip or a wrong "clean"."""

from __future__ import annotations

import json
import os
import subprocess

from cc_helpers import run_cli


def _write(path: str, data: bytes) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _nginx_t(conf: str, tmp: str) -> subprocess.CompletedProcess:
    """The real `nginx -t` on `conf` (its own error log and pid file, nothing of the machine's)."""
    return subprocess.run(["/usr/sbin/nginx", "-t", "-c", conf, "-g",
                           f"pid {tmp}/nginx.pid; error_log {tmp}/error.log;"],
                          capture_output=True, timeout=60)


def test_a_named_config_with_no_directive_is_bad_input_not_a_clean_pass(tree_dir):
    empty = _write(os.path.join(tree_dir, "site.conf"), b"")
    comments = _write(os.path.join(tree_dir, "old.conf"), b"\xef\xbb\xbf# server { listen 80; }\r\n\n  # gone\n")
    assert _nginx_t(empty, tree_dir).returncode != 0          # nginx: no "events" section
    for args in (("scan", "--config", empty), ("scan", empty), ("scan", "--no-fs", "--server", "apache", comments),
                 ("fix", "--diff", "--config", empty), ("why", "--config", comments, "http://x/")):
        proc = run_cli(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert b":1:1: no directive in it" in proc.stderr and b"Traceback" not in proc.stderr, proc.stderr
    # found by a directory search, an empty file is just one file of the folder
    _write(os.path.join(tree_dir, "conf.d", "empty.conf"), b"")
    _write(os.path.join(tree_dir, "conf.d", "up.conf"), b"upstream app { server 127.0.0.1:9000; }\n")
    proc = run_cli("scan", "--no-fs", os.path.join(tree_dir, "conf.d"))
    assert proc.returncode == 0, proc.stderr


def test_a_named_main_without_events_is_refused_as_nginx_refuses_it(tree_dir):
    conf = _write(os.path.join(tree_dir, "site-main.conf"),
                  b"http {\n    server {\n        listen 8080;\n        root /var/www/html;\n    }\n}\n")
    real = _nginx_t(conf, tree_dir)
    assert real.returncode != 0 and b'no "events" section' in real.stderr
    proc = run_cli("scan", "--no-fs", "--config", conf)
    assert proc.returncode == 2, proc.stdout
    assert b'site-main.conf:1:1: no "events" section in configuration' in proc.stdout, proc.stdout


def test_a_main_with_no_server_block_says_nothing_answers(tree_dir):
    conf = _write(os.path.join(tree_dir, "nginx.conf"), b"events {}\nhttp {\n    access_log off;\n}\n")
    assert _nginx_t(conf, tree_dir).returncode == 0            # nginx starts, and listens nowhere
    proc = run_cli("scan", "--no-fs", "--config", conf)
    assert proc.returncode == 0, proc.stderr
    assert b"nginx.conf (no server block: nothing answers requests)" in proc.stdout.splitlines()[0], proc.stdout
    doc = json.loads(run_cli("scan", "--no-fs", "--config", conf, "--format", "json").stdout)
    assert doc["inputs"]["configs"][0]["servers"] == 0


def _real_nginx(tmp: str, http_body: str, urls: list[str], headers: list[str | None] | None = None) -> list[str]:
    """Start the real nginx on `http_body` inside a fresh network namespace (only loopback)
    and fetch each URL with curl (with its X-H header, if any): "STATUS LOCATION", or
    "refused" when nothing accepts the connection."""
    conf = _write(os.path.join(tmp, "real.conf"), (
        f"pid {tmp}/real.pid;\nerror_log {tmp}/real.err;\nevents {{}}\n"
        f"http {{\n    access_log off;\n{http_body}}}\n").encode())
    fetch = []
    for url, header in zip(urls, headers or [None] * len(urls)):
        extra = f" -H 'X-H: {header}'" if header else ""
        fetch.append(f"curl -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}\\n'{extra} '{url}' || true")
    script = f"ip link set lo up && /usr/sbin/nginx -c {conf} && sleep 0.3; " + "; ".join(fetch) \
        + f"; kill $(cat {tmp}/real.pid)"
    out = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, timeout=60)
    return ["refused" if line.startswith("000") else line.strip() for line in out.stdout.decode().splitlines()]


LISTENS = """    server { listen 8080 default_server; listen [::]:8080 default_server; server_name a.test; return 200 a; }
    server { listen [::1]:8080; server_name b.test; return 204; }
    server { listen 127.0.0.1:8081; return 403; }
"""


def test_why_to_an_ip_literal_goes_where_the_connection_goes(tree_dir):
    urls = ["http://[::1]:8080/", "http://127.0.0.5:8080/", "http://[0:0:0:0:0:0:0:1]:8080/",
            "http://127.0.0.1:8081/", "http://127.0.0.2:8081/", "http://[::1]:8081/"]
    real = [line.split()[0] for line in _real_nginx(tree_dir, LISTENS, urls)]
    assert real == ["204", "200", "204", "403", "refused", "refused"], real
    conf = _write(os.path.join(tree_dir, "nginx.conf"), f"events {{}}\nhttp {{\n{LISTENS}}}\n".encode())
    for url, status in zip(urls, real):
        proc = run_cli("why", "--no-fs", "--config", conf, url, "--format", "json")
        if status == "refused":
            assert proc.returncode == 2 and b"nothing listens on " in proc.stderr, (url, proc.stdout, proc.stderr)
        else:
            assert json.loads(proc.stdout)["status"] == int(status), (url, proc.stdout)


def test_a_raw_control_character_in_a_why_url_is_a_malformed_url(tree_dir):
    conf = _write(os.path.join(tree_dir, "nginx.conf"), f"events {{}}\nhttp {{\n{LISTENS}}}\n".encode())
    # curl refuses each of these URLs (exit 3); nginx answers the raw bytes 400 (a LF ends the request line)
    for url in ("http://a.test:8080/priv\nate", "http://a.test:8080/a\tb", "http://a.test:8080/a\x01b",
                "http://a.test:8080/a\x7f", "http://a.te\rst:8080/"):
        assert subprocess.run(["curl", "-s", url], capture_output=True).returncode == 3
        proc = run_cli("why", "--no-fs", "--config", conf, url)
        assert proc.returncode == 2, (url, proc.stdout)
        assert b"a raw control character (U+00" in proc.stderr and b"percent-encode it" in proc.stderr, proc.stderr
    encoded = run_cli("why", "--no-fs", "--config", conf, "http://a.test:8080/a%0Ab", "--format", "json")
    assert json.loads(encoded.stdout)["status"] == 200


def _apache_conf(base: str, types_line: str) -> str:
    return _write(os.path.join(base, "conf", "httpd.conf"), f"""ServerRoot {base}
PidFile {base}/run/httpd.pid
ErrorLog {base}/logs/error.log
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule negotiation_module /usr/lib/apache2/modules/mod_negotiation.so
User www-data
Group www-data
ServerName site.test
Listen 127.0.0.1:8089
{types_line}
DocumentRoot {base}/www
<Directory {base}/www>
    Options MultiViews
    Require all granted
</Directory>
""".encode())


def _real_apache(base: str, conf: str, url: str) -> str:
    script = (f"ip link set lo up && /usr/sbin/apache2 -f {conf} -k start && sleep 0.5; "
              f"curl -s -o /dev/null -w '%{{http_code}}\\n' '{url}' || true; "
              f"test -f {base}/run/httpd.pid && kill $(cat {base}/run/httpd.pid)")
    out = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, timeout=60)
    return "refused" if out.stdout.strip() == b"000" else out.stdout.decode().strip()


def test_multiviews_reads_the_types_config_relative_to_server_root(tree_dir):
    for folder in ("run", "logs", "www"):
        os.makedirs(os.path.join(tree_dir, folder), mode=0o755)
    _write(os.path.join(tree_dir, "www", "readme.txt"), b"hello\n")
    conf = _apache_conf(tree_dir, "TypesConfig conf/mime.types")
    url = "http://127.0.0.1:8089/readme"

    # the file is missing: Apache does not start (AH01597), and scan says so at the TypesConfig line
    assert _real_apache(tree_dir, conf, url) == "refused"
    assert b"AH01597" in open(os.path.join(tree_dir, "logs", "error.log"), "rb").read()
    doc = json.loads(run_cli("scan", "--config", conf, "--format", "json").stdout)
    missing = [f for f in doc["findings"] if f["rule"] == "FS110" and "AH01597" in f["message"]]
    assert [(f["line"], f["fs_path"]) for f in missing] == [(12, f"{tree_dir}/conf/mime.types")], doc["findings"]

    # with it, MultiViews negotiates readme to readme.txt as Apache does: a status, not null
    _write(os.path.join(tree_dir, "conf", "mime.types"), b"text/plain\t\t\t\ttxt\n")
    real = _real_apache(tree_dir, conf, url)
    assert real == "200", real
    answer = json.loads(run_cli("why", "--config", conf, url, "--format", "json").stdout)
    assert answer["status"] == 200, answer
    gone = json.loads(run_cli("why", "--config", conf, "http://127.0.0.1:8089/nothing", "--format", "json").stdout)
    assert gone["status"] == 404, gone


MAPS = """    map $uri $m {
        default d;
        /Exact e;
        ~^/re/(?<tail>[a-z]+)$ r-$tail;
        ~*^/CI/(\\d+) ci-$1;
        ~^/both both-re;
        /both/x both-exact;
        include MAPDIR/keys.map;
    }
    map $http_x_h $h {
        hostnames;
        default d;
        .example.com wild;
        ~^www\\.(.+)$ re-$1;
    }
    server {
        listen 8080;
        location / {
            if ($m = e) { return 201; }
            if ($m = r-abc) { return 202; }
            if ($m = ci-34) { return 203; }
            if ($m = both-exact) { return 204; }
            if ($m = both-re) { return 205; }
            if ($m = i) { return 206; }
            if ($m = ir-x) { return 207; }
            if ($h = wild) { return 208; }
            if ($h = re-foo.org) { return 209; }
            return 200;
        }
        location ~ ^/cap/(.*)$ {
            if ($m = d) { return 301 /x/$1; }
            return 302 /y/$1;
        }
    }
"""


def test_map_keys_match_as_nginx_matches_them(tree_dir):
    """Exact keys ignore case, regexes run in order after them, a regex's captures fill
    the value ($1, named) and stay in the request, hostnames drops a trailing dot, and an
    include's entries count."""
    _write(os.path.join(tree_dir, "keys.map"), b"/inc i;\n~^/incre/(.+) ir-$1;\n~^/cap/q(.*) c;\n")
    http = MAPS.replace("MAPDIR", tree_dir)
    requests = [("/exact", None), ("/EXACT", None), ("/re/abc", None), ("/re/ABC", None), ("/CI/34x", None),
                ("/both/x", None), ("/both/y", None), ("/inc", None), ("/incre/x", None), ("/nothing", None),
                ("/", "a.example.com"), ("/", "www.foo.org"), ("/", "WWW.Foo.org"), ("/", "x.example.com."),
                ("/cap/zz", None), ("/cap/qrs", None)]
    urls = [f"http://127.0.0.1:8080{path}" for path, _ in requests]
    real = [line.split() for line in _real_nginx(tree_dir, http, urls, [host for _, host in requests])]
    assert [r[0] for r in real[:4]] == ["201", "201", "202", "200"] and real[-2:] == [
        ["301", "http://127.0.0.1:8080/x/zz"], ["302", "http://127.0.0.1:8080/y/rs"]], real
    conf = _write(os.path.join(tree_dir, "nginx.conf"), f"events {{}}\nhttp {{\n{http}}}\n".encode())
    for url, (path, host), (status, *location) in zip(urls, requests, real):
        extra = ("--header", f"X-H: {host}") if host else ()
        doc = json.loads(run_cli("why", "--no-fs", "--config", conf, url, *extra, "--format", "json").stdout)
        assert doc["status"] == int(status), (path, host, status, doc["reason"])
        if location:        # a local target: nginx adds the scheme and host
            assert doc["location"] == location[0].replace("http://127.0.0.1:8080", ""), (path, doc)


def test_a_map_regex_the_model_cannot_compile_makes_the_answer_unknown(tree_dir):
    conf = _write(os.path.join(tree_dir, "nginx.conf"), b"events {}\nhttp {\n    map $uri $m { default d; ~^/q\\Qa.b\\E q; }\n"
                  b"    server { listen 8080; location / { if ($m = q) { return 401; } return 200; } }\n}\n")
    assert _nginx_t(conf, tree_dir).returncode == 0          # PCRE2 knows \Q...\E; Python's re does not
    doc = json.loads(run_cli("why", "--no-fs", "--config", conf, "http://s:8080/qa.b", "--format", "json").stdout)
    assert doc["status"] is None and "the map at" in doc["reason"], doc


def test_links_in_a_root_image_are_followed_inside_the_image(tree_dir):
    """Debian's `sites-enabled/default -> /etc/nginx/sites-available/default` and an image
    whose /etc/nginx is a link to /opt/nginx: under --root both resolve in the image (as
    the server inside it sees them), never to this machine's /etc/nginx."""
    image = os.path.join(tree_dir, "image")
    conf_dir = os.path.join(image, "opt", "nginx")
    _write(os.path.join(conf_dir, "nginx.conf"),
           b"user www-data;\nevents {}\nhttp {\n    include /etc/nginx/sites-enabled/*;\n}\n")
    _write(os.path.join(conf_dir, "sites-available", "default"),
           b"server {\n    listen 80 default_server;\n    location / { return 418; }\n}\n")
    os.makedirs(os.path.join(conf_dir, "sites-enabled"))
    os.symlink("/etc/nginx/sites-available/default", os.path.join(conf_dir, "sites-enabled", "default"))
    os.makedirs(os.path.join(image, "etc"))
    os.symlink("/opt/nginx", os.path.join(image, "etc", "nginx"))
    for args in ((), ("/etc/nginx/",), ("--config", "/etc/nginx/nginx.conf")):
        for root in (image, image + "/"):
            proc = run_cli("why", "http://localhost/", "--no-fs", "--root", root, *args, "--format", "json")
            assert proc.returncode == 0, (args, proc.stderr)
            doc = json.loads(proc.stdout)
            assert doc["status"] == 418 and doc["decided_by"]["file"].endswith("/sites-enabled/default"), doc


def test_a_control_character_in_a_batch_url_is_that_line_s_error(tree_dir):
    conf = _write(os.path.join(tree_dir, "nginx.conf"), f"events {{}}\nhttp {{\n{LISTENS}}}\n".encode())
    batch = _write(os.path.join(tree_dir, "batch.jsonl"),
                   b'{"url": "http://a.test:8080/a\\nb"}\n{"url": "http://a.test:8080/a%0Ab"}\n')
    proc = run_cli("why", "--batch", batch, "--no-fs", "--config", conf, "--format", "json")
    assert proc.returncode == 2, proc.stderr
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "line 1: malformed URL" in docs[0]["error"] and "U+000A" in docs[0]["error"], docs[0]
    assert docs[1]["status"] == 200


def test_a_utf8_bom_is_refused_as_the_servers_refuse_it(tree_dir):
    """Neither nginx 1.22 nor httpd 2.4.57 skips a byte order mark: it starts the first
    directive's name (a config saved by a Windows editor)."""
    nginx = _write(os.path.join(tree_dir, "nginx.conf"), b"\xef\xbb\xbfevents {}\nhttp {\n}\n")
    real = _nginx_t(nginx, tree_dir)
    assert real.returncode != 0 and 'unknown directive "\ufeffevents"'.encode() in real.stderr, real.stderr
    proc = run_cli("scan", "--no-fs", "--config", nginx)
    assert proc.returncode == 2 and 'nginx.conf:1:1: unknown directive "\\ufeffevents"'.encode() in proc.stdout, \
        proc.stdout
    apache = _write(os.path.join(tree_dir, "apache", "httpd.conf"),
                    f"ServerRoot {tree_dir}/apache\nServerName x.test\nListen 127.0.0.1:8089\n"
                    "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n".encode())
    vhost = _write(os.path.join(tree_dir, "apache", "site.conf"), b"\xef\xbb\xbfServerAlias y.test\n")
    with open(apache, "ab") as fh:
        fh.write(f"Include {vhost}\n".encode())
    real = subprocess.run(["/usr/sbin/apache2", "-t", "-f", apache], capture_output=True, timeout=60)
    assert real.returncode != 0 and b"Invalid command '\\xef\\xbb\\xbfServerAlias'" in real.stderr, real.stderr
    proc = run_cli("scan", "--no-fs", "--config", apache)
    assert proc.returncode == 2 and b"site.conf:1:1: Invalid command '\\ufeffServerAlias'" in proc.stdout, proc.stdout


ERROR_LINE = (b'2026/12/07 00:00:00 [error] 7#7: *1 access forbidden by rule, client: 127.0.0.1, server: site.test, '
              b'request: "GET /private/x HTTP/1.1", host: "site.test:8080"\n')


def test_explain_reads_the_logs_logrotate_compressed(tree_dir):
    import bz2
    import gzip
    import lzma
    from cc_helpers import write_why_conf
    conf = write_why_conf(tree_dir)
    plain = run_cli("explain", "--log", _write(os.path.join(tree_dir, "error.log.1"), ERROR_LINE),
                    "--config", conf, "--format", "json")
    assert plain.returncode == 1 and json.loads(plain.stdout)["recognized"] == 1, plain.stdout
    for name, module in (("error.log.2.gz", gzip), ("error.log.3.bz2", bz2), ("error.log.4.xz", lzma)):
        log = _write(os.path.join(tree_dir, name), module.compress(ERROR_LINE))
        proc = run_cli("explain", "--log", log, "--config", conf, "--format", "json")
        assert proc.returncode == 1, (name, proc.stderr)
        assert json.loads(proc.stdout)["causes"] == json.loads(plain.stdout)["causes"], name
    cut = _write(os.path.join(tree_dir, "cut.gz"), gzip.compress(ERROR_LINE * 50)[:40])
    proc = run_cli("explain", "--log", cut, "--config", conf)
    assert proc.returncode == 2 and b"cannot read it as gzip data" in proc.stderr, proc.stderr


def test_explain_given_an_access_log_says_it_reads_the_error_log(tree_dir):
    from cc_helpers import write_why_conf
    log = _write(os.path.join(tree_dir, "access.log"),
                 b'127.0.0.1 - - [07/Dec/2026:00:00:00 +0000] "GET /private/x HTTP/1.1" 403 153 "-" "curl/7.88.1"\n')
    for args in (("--log", log), ()):
        proc = run_cli("explain", *args, "--config", write_why_conf(tree_dir),
                       stdin=None if args else open(log, "rb").read())
        assert proc.returncode == 2 and b"access-log lines" in proc.stderr, proc.stderr


def test_fix_apply_on_an_apache_file_says_how_to_reload_apache(tree_dir):
    site = _write(os.path.join(tree_dir, "site.conf"),
                  b"<VirtualHost *:80>\n    DocumentRoot /var/www/html\n    <Directory /var/www/html>\n"
                  b"        Require all granted # everyone\n    </Directory>\n</VirtualHost>\n")
    os.chmod(site, 0o444)       # read-only: the owner (root here) still may write it, as `--apply --yes` asks
    proc = run_cli("fix", "--no-fs", site, "--apply", "--yes", "--backup-dir", os.path.join(tree_dir, "backups"))
    assert proc.returncode == 0, proc.stderr
    assert b"apache2ctl configtest && systemctl reload apache2" in proc.stdout and b"nginx -t" not in proc.stdout
    assert b"        # everyone\n        Require all granted\n" in open(site, "rb").read()


def test_explain_an_nginx_line_with_an_apache_config_named(tree_dir):
    site = _write(os.path.join(tree_dir, "site.conf"),
                  b"<VirtualHost *:80>\n    DocumentRoot /var/www/html\n</VirtualHost>\n")
    proc = run_cli("explain", ERROR_LINE.decode().strip(), "--config", site, "--format", "json")
    assert proc.returncode == 1, proc.stderr            # was exit 3: the Apache model has no nginx servers
    assert json.loads(proc.stdout)["causes"][0]["kind"] == "access-rule"


def test_include_optional_skips_a_dangling_link_as_httpd_does(tree_dir):
    """A site removed from sites-available but still linked in sites-enabled: Debian's
    `IncludeOptional sites-enabled/*.conf` skips it (apache2 -t: Syntax OK); nginx's
    `include` refuses it, and so does confcheck for nginx."""
    enabled = os.path.join(tree_dir, "sites-enabled")
    os.makedirs(enabled)
    os.symlink(os.path.join(tree_dir, "sites-available", "gone.conf"), os.path.join(enabled, "gone.conf"))
    apache = _write(os.path.join(tree_dir, "apache2.conf"), (
        f"ServerRoot {tree_dir}\nLoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"
        f"ServerName x.test\nListen 127.0.0.1:8089\nErrorLog {tree_dir}/error.log\n"
        f"IncludeOptional {enabled}/*.conf\n").encode())
    real = subprocess.run(["/usr/sbin/apache2", "-t", "-f", apache], capture_output=True, timeout=60)
    assert real.returncode == 0, real.stderr
    proc = run_cli("scan", "--no-fs", "--config", apache)
    assert proc.returncode == 0, proc.stdout
    nginx = _write(os.path.join(tree_dir, "nginx.conf"), f"events {{}}\nhttp {{ include {enabled}/*.conf; }}\n".encode())
    assert _nginx_t(nginx, tree_dir).returncode != 0
    proc = run_cli("scan", "--no-fs", "--config", nginx)
    assert proc.returncode == 2 and b"gone.conf\" failed (2: No such file or directory)" in proc.stdout, proc.stdout


def test_a_relative_server_root_is_relative_to_the_working_directory(tree_dir):
    """httpd.conf.in as shipped (`ServerRoot "@@ServerRoot@@"`, DocumentRoot under it): the
    scan with the disk ended in an internal error (a relative path reached the disk check).
    httpd merges a relative ServerRoot with its working directory (`apache2 -t -d DIR` run
    from elsewhere: "ServerRoot must be a valid directory"), / for the service."""
    conf_dir = os.path.join(tree_dir, "conf")
    for cwd, ok in ((conf_dir, 0), ("/", 1)):
        os.makedirs(os.path.join(conf_dir, "inst", "htdocs"), exist_ok=True)
        _write(os.path.join(conf_dir, "t.conf"), b'ServerRoot "inst"\nLoadModule mpm_event_module '
               b'/usr/lib/apache2/modules/mod_mpm_event.so\nServerName x.test\nErrorLog /dev/null\n')
        real = subprocess.run(["/usr/sbin/apache2", "-t", "-d", conf_dir, "-f", os.path.join(conf_dir, "t.conf")],
                              capture_output=True, timeout=60, cwd=cwd)
        assert real.returncode == ok, (cwd, real.stderr)
    conf = _write(os.path.join(tree_dir, "conf", "httpd.conf"),
                  b'ServerRoot "inst"\nDocumentRoot "htdocs"\n<Directory "htdocs">\n    Require all granted\n'
                  b'</Directory>\n')
    proc = run_cli("scan", "--config", conf, "--format", "json")
    assert proc.returncode in (0, 1) and b"internal error" not in proc.stderr, proc.stderr
    doc = json.loads(run_cli("why", "--config", conf, "http://localhost/none.html", "--format", "json").stdout)
    assert doc["status"] == 404 and doc["reason"].endswith(" /inst/htdocs/none.html"), doc


def _raw_statuses(tmp: str, header_lines: list[bytes]) -> list[int]:
    """The real nginx's status for `GET /` with each raw header line (Host: x.test added
    when the line is not a Host), sent byte for byte over a socket: curl cannot send them all."""
    import socket
    import time
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conf = _write(os.path.join(tmp, "raw.conf"), (
        f"pid {tmp}/raw.pid;\nerror_log {tmp}/raw.err;\nevents {{}}\nhttp {{\n    access_log off;\n"
        f"    server {{ listen 127.0.0.1:{port}; location / {{ return 204; }} }}\n}}\n").encode())
    subprocess.run(["/usr/sbin/nginx", "-c", conf], check=True, timeout=30)
    try:
        for _ in range(50):
            if os.path.exists(f"{tmp}/raw.pid"):
                break
            time.sleep(0.05)
        statuses = []
        for line in header_lines:
            host = b"" if line.lower().startswith(b"host:") else b"Host: x.test\r\n"
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(b"GET / HTTP/1.1\r\n" + line + b"\r\n" + host + b"Connection: close\r\n\r\n")
                statuses.append(int(conn.recv(64).split(b" ")[1]))
        return statuses
    finally:
        with open(f"{tmp}/raw.pid") as fh:
            os.kill(int(fh.read()), 15)


def test_control_characters_in_typed_headers_as_nginx_takes_them(tree_dir):
    """A control character in a Host value is a 400 (ngx_http_validate_host), in another
    header's value it is sent and taken; a NUL, CR or LF, or any control in a name, is no
    header line a client sends: why refuses it (exit 2) instead of guessing."""
    answered = {b"Host: a\x01b.test": "a\x01b.test", b"Host: a\tb.test": "a\tb.test",
                b"Host: a b.test": "a b.test", b"Host: ab.test\t": "ab.test\t", b"Host: a\x7fb.test": "a\x7fb.test",
                b"Host:  ab.test ": " ab.test ", b"X-Note: a\x01b": "a\x01b", b"X-Note: a\tb\x7f": "a\tb\x7f"}
    real = _raw_statuses(tree_dir, list(answered))
    assert real == [400, 400, 400, 400, 400, 204, 204, 204], real
    conf = _write(os.path.join(tree_dir, "nginx.conf"),
                  b"events {}\nhttp {\n    server { listen 80; location / { return 204; } }\n}\n")
    batch = _write(os.path.join(tree_dir, "batch.jsonl"), "".join(
        json.dumps({"url": "http://x.test/", "headers": {line.split(b":")[0].decode(): value}}) + "\n"
        for line, value in answered.items()).encode())
    proc = run_cli("why", "--no-fs", "--config", conf, "--batch", batch)
    assert [json.loads(line)["status"] for line in proc.stdout.splitlines()] == real, proc.stdout
    for name, value in (("X-Note", "a\rb"), ("Host", "a\nb"), ("X\x01N", "v")):
        proc = run_cli("why", "--no-fs", "--config", conf, "http://x.test/", "-H", f"{name}: {value}")
        assert proc.returncode == 2 and b"a raw control character (U+00" in proc.stderr, (name, proc.stderr)
    _write(batch, json.dumps({"url": "http://x.test/", "headers": {"X-Note": "a\x00b"}}).encode() + b"\n")
    line = json.loads(run_cli("why", "--no-fs", "--config", conf, "--batch", batch).stdout)
    assert line["request"] is None and "(U+0000) in its value" in line["error"], line

"""Ordinary invocations an admin types that no other test covers (session 25, s25-wild):
each once ended in a wrong finding, a wrong exit code or a wrong "clean"."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from cc_helpers import run_cli


def _write(path: str, data: bytes) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _apache_t(tree: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The real `apache2 -t` on tree/apache2.conf, with the variables apache2ctl takes from envvars."""
    return subprocess.run(["/usr/sbin/apache2", "-t", "-d", tree, "-f", os.path.join(tree, "apache2.conf")],
                          capture_output=True, timeout=60, env={"PATH": os.environ.get("PATH", ""), **env})


def test_a_lone_debian_vhost_reads_envvars_beside_its_folder(tree_dir):
    """`scan /etc/apache2/sites-available/000-default.conf` said Apache would not start
    (`/etc/apache2/${APACHE_LOG_DIR}/` missing): apache2ctl sources envvars first."""
    logs = os.path.join(tree_dir, "logs")
    _write(os.path.join(tree_dir, "envvars"),
           f"unset HOME\nexport APACHE_RUN_USER=www-data\nexport APACHE_LOG_DIR={logs}$SUFFIX\n".encode())
    site = _write(os.path.join(tree_dir, "sites-available", "site.conf"),
                  b"<VirtualHost *:80>\n\tDocumentRoot /var/www/html\n"
                  b"\tErrorLog ${APACHE_LOG_DIR}/error.log\n\tCustomLog ${APACHE_LOG_DIR}/access.log combined\n"
                  b"</VirtualHost>\n")
    # the main it belongs to: what the real server says with and without the log folder
    _write(os.path.join(tree_dir, "apache2.conf"),
           f"LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"
           f"PidFile {tree_dir}/apache2.pid\nErrorLog {tree_dir}/main-error.log\nListen 127.0.0.1:8\n"
           f"LogFormat \"%h\" combined\nInclude sites-available/site.conf\n".encode())
    env = {"APACHE_LOG_DIR": logs}
    missing = _apache_t(tree_dir, env)
    assert missing.returncode != 0 and f"Cannot access directory '{logs}/'".encode() in missing.stderr, missing.stderr
    proc = run_cli("scan", site, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    found = [(f["rule"], f["fs_path"]) for f in json.loads(proc.stdout)["findings"]]
    assert found == [("FS110", logs), ("FS110", logs)], found
    os.mkdir(logs)
    assert _apache_t(tree_dir, env).returncode == 0
    proc = run_cli("scan", site)
    assert proc.returncode == 0 and b"0 findings" in proc.stdout, proc.stdout


def test_a_lone_vhost_without_its_environment_leaves_undefined_paths_unjudged(tree_dir):
    """A vhost copied out of its tree names `${APACHE_LOG_DIR}`, which its main's environment
    supplies: confcheck cannot know where that is, so it does not say Apache will not start."""
    site = _write(os.path.join(tree_dir, "site.conf"),
                  b"<VirtualHost *:80>\n\tDocumentRoot /var/www/html\n"
                  b"\tErrorLog ${APACHE_LOG_DIR}/error.log\n\tCustomLog /nonexistent-s25/access.log combined\n"
                  b"</VirtualHost>\n")
    proc = run_cli("scan", site, "--format", "json")
    found = [(f["rule"], f["fs_path"]) for f in json.loads(proc.stdout)["findings"]]
    assert found == [("FS110", "/nonexistent-s25")], found      # the known path is still judged
    assert proc.returncode == 1


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _real_answer(port: int, host: str, path: str, tls: bool) -> tuple[int, str | None]:
    import http.client
    import ssl
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Location")
    finally:
        conn.close()


def _tls_site(tree_dir: str) -> tuple[str, str, str]:
    """A self-signed certificate, its key, and a served folder with an index.html."""
    cert, key = os.path.join(tree_dir, "c.pem"), os.path.join(tree_dir, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=a.test"], check=True, capture_output=True, timeout=60)
    www = os.path.join(tree_dir, "www")
    _write(os.path.join(www, "index.html"), b"hi\n")
    os.chmod(www, 0o755)
    os.chmod(os.path.join(www, "index.html"), 0o644)
    return cert, key, www


def test_plain_http_on_a_tls_port_is_nginx_s_400_or_its_error_page_497(tree_dir):
    """`why http://site:443/` answered as if TLS did not matter (200); nginx answers 497, sent
    as 400 unless the server's error_page 497 handles it (a redirect to https is common)."""
    cert, key, www = _tls_site(tree_dir)
    tls, plain, legacy = _free_port(), _free_port(), _free_port()
    certs = f"ssl_certificate {cert}; ssl_certificate_key {key};"
    conf = _write(os.path.join(tree_dir, "nginx.conf"), f"""events {{}}
http {{
  access_log off;
  server {{ listen 127.0.0.1:{tls} ssl; server_name a.test; {certs} root {www}; }}
  server {{ listen 127.0.0.1:{tls} ssl; server_name b.test; {certs} root {www};
           error_page 497 https://$host:{tls}$request_uri; }}
  server {{ listen 127.0.0.1:{tls} ssl; server_name c.test; {certs} root {www}; error_page 497 =301 https://$host$request_uri;
           location /x {{ error_page 497 =200 /index.html; }} }}
  server {{ listen 127.0.0.1:{tls} ssl; server_name d.test; {certs} root {www}; error_page 497 /index.html; }}
  server {{ listen 127.0.0.1:{tls} ssl; server_name e.test; {certs} root {www}; error_page 497 =200 /index.html; }}
  server {{ listen 127.0.0.1:{plain}; server_name a.test; root {www}; }}
  server {{ listen 127.0.0.1:{legacy}; server_name f.test; ssl on; {certs} root {www}; }}
}}
""".encode())
    pid = os.path.join(tree_dir, "nginx.pid")
    subprocess.run(["/usr/sbin/nginx", "-c", conf, "-g", f"pid {pid}; error_log {tree_dir}/error.log;"],
                   check=True, capture_output=True, timeout=60)
    try:
        asked = [(port, host, path, tls_) for host in ("a.test", "b.test", "c.test", "d.test", "e.test") for path in ("/", "/x")
                 for port, tls_ in ((tls, False), (tls, True))]
        asked += [(legacy, "f.test", "/", False), (legacy, "f.test", "/", True), (plain, "a.test", "/", False)]
        real = [_real_answer(port, host, path, tls_) for port, host, path, tls_ in asked]
    finally:
        with open(pid) as fh:
            os.kill(int(fh.read()), 15)
    assert real[0] == (400, None) and real[4][0] == 302 and real[8] == (301, "https://c.test/")
    for (port, host, path, tls_), (status, location) in zip(asked, real):
        url = f"{'https' if tls_ else 'http'}://{host}:{port}{path}"
        doc = json.loads(run_cli("why", url, conf, "--format", "json").stdout)
        assert (doc["status"], doc.get("location")) == (status, location), (url, doc["reason"])
        if not tls_ and status == 400:
            assert doc["decided_by"]["directive"] in ("listen", "ssl"), doc["decided_by"]
    # https to a port without TLS: no HTTP answer at all (the client's handshake fails)
    proc = run_cli("why", f"https://a.test:{plain}/", conf)
    assert proc.returncode == 2 and f"port {plain} does not speak TLS".encode() in proc.stderr, proc.stderr


def _apache_main(tree: str, www: str, modules: tuple[str, ...], ports: tuple[int, ...]) -> str:
    """The head of a standalone apache2.conf: the modules named (and the MPM and authz_core),
    its own pid file and error log, 127.0.0.1 listens, `/` denied and `www` granted."""
    lib = "/usr/lib/apache2/modules"
    loads = "".join(f"LoadModule {name}_module {lib}/mod_{name}.so\n"
                    for name in ("mpm_event", "authz_core") + modules)
    listens = "".join(f"Listen 127.0.0.1:{port}\n" for port in ports)
    return (f"ServerRoot {tree}\nServerName localhost\n{loads}PidFile {tree}/apache.pid\n"
            f"ErrorLog {tree}/error.log\n{listens}User www-data\nGroup www-data\n"
            f"<Directory />\n  Require all denied\n</Directory>\n<Directory {www}>\n  Require all granted\n"
            f"</Directory>\n")


def test_plain_http_on_an_apache_tls_port_is_the_base_server_s_400(tree_dir):
    """mod_ssl feeds the core `GET /` without headers for plain HTTP on a TLS port: the
    address's first <VirtualHost> answers 400, or its ErrorDocument 400 (not the Host's)."""
    cert, key, www = _tls_site(tree_dir)
    one, two, plain = _free_port(), _free_port(), _free_port()
    tls = f"SSLEngine on\nSSLCertificateFile {cert}\nSSLCertificateKeyFile {key}\nDocumentRoot {www}\n"
    conf = _write(os.path.join(tree_dir, "apache2.conf"), (_apache_main(
        tree_dir, www, ("socache_shmcb", "ssl", "dir"), (one, two, plain)) + f"""<VirtualHost 127.0.0.1:{one}>
ServerName a.test
{tls}</VirtualHost>
<VirtualHost 127.0.0.1:{one}>
ServerName b.test
{tls}ErrorDocument 400 https://b.test:{one}/
</VirtualHost>
<VirtualHost 127.0.0.1:{two}>
ServerName c.test
{tls}ErrorDocument 400 https://c.test:{two}/
</VirtualHost>
<VirtualHost 127.0.0.1:{plain}>
ServerName a.test
DocumentRoot {www}
</VirtualHost>
""").encode())
    subprocess.run(["/usr/sbin/apache2", "-d", tree_dir, "-f", conf, "-k", "start"], check=True,
                   capture_output=True, timeout=60)
    try:
        asked = [(one, "a.test", "/x", False), (one, "b.test", "/", False), (two, "c.test", "/y", False),
                 (one, "b.test", "/", True), (plain, "a.test", "/", False)]
        real = []
        for port, host, path, tls_ in asked:
            for _ in range(50):           # apache2 -k start returns before its children listen
                try:
                    real.append(_real_answer(port, host, path, tls_))
                    break
                except OSError:
                    import time
                    time.sleep(0.1)
    finally:
        subprocess.run(["/usr/sbin/apache2", "-d", tree_dir, "-f", conf, "-k", "stop"], capture_output=True,
                       timeout=60)
    assert real == [(400, None), (400, None), (302, f"https://c.test:{two}/"), (200, None), (200, None)], real
    for (port, host, path, tls_), (status, location) in zip(asked, real):
        url = f"{'https' if tls_ else 'http'}://{host}:{port}{path}"
        doc = json.loads(run_cli("why", url, conf, "--format", "json").stdout)
        assert (doc["status"], doc.get("location")) == (status, location), (url, doc["reason"])
    proc = run_cli("why", f"https://a.test:{plain}/", conf)
    assert proc.returncode == 2 and f"port {plain} does not speak TLS".encode() in proc.stderr, proc.stderr


def _run_apache(tree: str, conf: str, port: int, paths: list[str]) -> list[int]:
    """Start the real Apache on `conf`, GET each path, stop it: the statuses."""
    import http.client
    import time
    subprocess.run(["/usr/sbin/apache2", "-d", tree, "-f", conf, "-k", "start"], check=True,
                   capture_output=True, timeout=60)
    statuses = []
    try:
        for path in paths:
            for _ in range(50):          # apache2 -k start returns before its children listen
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    conn.request("GET", path, headers={"Host": "h.test"})
                    statuses.append(conn.getresponse().status)
                    conn.close()
                    break
                except OSError:
                    time.sleep(0.1)
    finally:
        subprocess.run(["/usr/sbin/apache2", "-d", tree, "-f", conf, "-k", "stop"], capture_output=True, timeout=60)
        time.sleep(0.5)                  # the error log is complete once the server is gone
    return statuses


def test_explain_a_directory_nothing_serves_says_why_and_reads_the_writer_s_config(tree_dir):
    """AH00129 (`Attempt to serve directory`) was explained as a method only GET listings
    answer, for a plain GET on a server without mod_autoindex; with no --config, an Apache
    line was replayed on nginx's configuration when the machine (here an image) has both."""
    www = os.path.join(tree_dir, "www")
    _write(os.path.join(www, "empty", "README"), b"no index here\n")
    for path in (www, os.path.join(www, "empty")):
        os.chmod(path, 0o755)
    port = _free_port()
    conf = _write(os.path.join(tree_dir, "apache2.conf"), (_apache_main(tree_dir, www, ("dir",), (port,))
                  + f"""LogLevel info
<VirtualHost 127.0.0.1:{port}>
  ServerName h.test
  DocumentRoot {www}
</VirtualHost>
""").encode())
    assert _run_apache(tree_dir, conf, port, ["/empty/"]) == [404]
    # why: the core's 404, not mod_autoindex's 403 (AH01276) of a server that does not load it
    doc = json.loads(run_cli("why", f"http://h.test:{port}/empty/", conf, "--format", "json").stdout)
    assert doc["status"] == 404 and doc["reason"].startswith("AH00129"), doc["reason"]
    with open(os.path.join(tree_dir, "error.log")) as fh:
        line = next(l.strip() for l in fh if "AH00129" in l)
    doc = json.loads(run_cli("explain", line, "--config", conf, "--format", "json").stdout)
    (cause,) = doc["causes"]
    assert cause["status"] == 404 and "mod_autoindex is not loaded" in cause["explanation"], cause
    # an image with both servers' standard configurations: the Apache line reads Apache's
    image = os.path.join(tree_dir, "image")
    _write(os.path.join(image, "etc", "nginx", "nginx.conf"),
           b"events {}\nhttp {\n    server {\n        listen 80;\n        root /srv;\n    }\n}\n")
    _write(os.path.join(image, "etc", "apache2", "apache2.conf"),
           b"LoadModule autoindex_module /usr/lib/apache2/modules/mod_autoindex.so\n"
           b"<VirtualHost *:80>\n    DocumentRoot /srv\n</VirtualHost>\n")
    proc = run_cli("explain", line, "--root", image)
    assert proc.stdout.startswith(b"read apache: /etc/apache2/apache2.conf"), proc.stdout
    assert b"mod_autoindex answers only GET" in proc.stdout, proc.stdout


def test_explain_given_a_file_as_a_log_line_says_which_option_reads_it(tree_dir):
    """`confcheck explain /var/log/nginx/error.log` read the path as a log line (0 recognised,
    exit 0), and `explain --log error.log nginx.conf` explained with this machine's config."""
    log = _write(os.path.join(tree_dir, "error.log"),
                 b'2026/12/07 11:44:58 [error] 8120#8120: *4 access forbidden by rule, client: 127.0.0.1, '
                 b'server: c.test, request: "GET /d HTTP/1.1", host: "c.test"\n')
    conf = _write(os.path.join(tree_dir, "nginx.conf"), b"events {}\nhttp {\n    server { listen 80; }\n}\n")
    for args in ((log,), ("--log", log, conf)):
        proc = run_cli("explain", *args)
        name = args[-1]
        assert proc.returncode == 2, proc.stdout
        assert f"{name} is a file, not an error-log line: `--log {name}`".encode() in proc.stderr, proc.stderr


def test_a_suppression_after_a_directive_is_reported_not_silently_ignored(tree_dir):
    """`deny all;  # confcheck: ignore NGX102 -- ...` looked like a suppression and did nothing,
    with nothing said about it (CC001 and CC002 only looked at comments on their own line)."""
    conf = _write(os.path.join(tree_dir, "nginx.conf"), b"""events {}
http {
    server {
        listen 8080;
        location /b {
            deny all;  # confcheck: ignore NGX102 -- the office only
            allow 10.0.0.1;
        }
        location /c {
            # confcheck: ignore NGX102 -- the office only
            deny all;
            allow 10.0.0.2;
        }
    }
}
""")
    doc = json.loads(run_cli("scan", "--no-fs", conf, "--format", "json").stdout)
    found = sorted((f["rule"], f["line"], f["column"]) for f in doc["findings"])
    assert found == [("CC002", 6, 24), ("NGX102", 6, 13)], found


def test_credentials_in_a_why_url_are_sent_as_curl_sends_them(tree_dir):
    """`why http://alice:secret@site/admin/` chose the server by the Host `alice:secret@site`
    (the default server) and sent no credentials; curl sends Host `site` and Basic credentials."""
    import base64
    import http.client
    www = os.path.join(tree_dir, "www")
    _write(os.path.join(www, "admin", "index.html"), b"admin\n")
    for path in (www, os.path.join(www, "admin")):
        os.chmod(path, 0o755)
    os.chmod(os.path.join(www, "admin", "index.html"), 0o644)
    hashed = subprocess.run(["openssl", "passwd", "-apr1", "p:w"], capture_output=True, check=True,
                            timeout=60).stdout.strip()
    users = _write(os.path.join(tree_dir, "htpasswd"), b"al@ice:" + hashed + b"\n")
    os.chmod(users, 0o644)
    port = _free_port()
    conf = _write(os.path.join(tree_dir, "nginx.conf"), f"""events {{}}
http {{
  access_log off;
  server {{ listen 127.0.0.1:{port} default_server; return 444; }}
  server {{ listen 127.0.0.1:{port}; server_name site.test; root {www};
           location /admin/ {{ auth_basic "staff"; auth_basic_user_file {users}; }} }}
}}
""".encode())
    pid = os.path.join(tree_dir, "nginx.pid")
    subprocess.run(["/usr/sbin/nginx", "-c", conf, "-g", f"pid {pid}; error_log {tree_dir}/error.log;"],
                   check=True, capture_output=True, timeout=60)
    urls = [f"http://al%40ice:p%3Aw@site.test:{port}/admin/", f"http://al%40ice:wrong@site.test:{port}/admin/",
            f"http://al%40ice@site.test:{port}/admin/", f"http://site.test:{port}/admin/"]
    real = []
    try:
        for url in urls:
            # what curl sends for the URL (checked by hand: `curl -v` shows these two headers)
            userinfo, _, rest = url[len("http://"):].partition("@") if "@" in url else ("", "", url[7:])
            headers = {"Host": f"site.test:{port}"}
            if userinfo:
                from urllib.parse import unquote_to_bytes
                user, _, password = userinfo.partition(":")
                headers["Authorization"] = "Basic " + base64.b64encode(
                    unquote_to_bytes(user) + b":" + unquote_to_bytes(password)).decode()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/admin/", headers=headers)
            real.append(conn.getresponse().status)
            conn.close()
    finally:
        with open(pid) as fh:
            os.kill(int(fh.read()), 15)
    assert real == [200, 401, 401, 401], real
    for url, status in zip(urls, real):
        doc = json.loads(run_cli("why", url, conf, "--format", "json").stdout)
        assert doc["status"] == status, (url, doc["reason"])
        assert doc["trace"][0]["detail"].startswith("server site.test"), doc["trace"][0]


def test_apr1_hashes_are_checked_as_nginx_and_apache_check_them():
    """`$apr1$` (openssl passwd -apr1, htpasswd -m) was "assumed right" whatever the password
    (glibc's crypt does not know it): a wrong password was answered 200."""
    from confcheck.servers.nginx.htpasswd import md5_crypt, verify
    for password, salt in (("p:w", "abc"), ("", "12345678"), ("é" * 20, "zz"), ("secret", "saltsalt")):
        made = subprocess.run(["openssl", "passwd", "-apr1", "-salt", salt, password], capture_output=True,
                              text=True, check=True, timeout=60).stdout.strip()
        assert md5_crypt(password.encode(), salt.encode(), b"$apr1$") == made
        data = f"u:{made}\n".encode()
        assert verify(data, "u", password) is True and verify(data, "u", password + "x") is False
    # Apache's own htpasswd (MD5 is its default scheme), with a salt of its choosing
    made = subprocess.run(["htpasswd", "-nbm", "u", "s3cret"], capture_output=True, check=True, timeout=60).stdout
    assert made.startswith(b"u:$apr1$")
    assert verify(made, "u", "s3cret") is True and verify(made, "u", "s3cre") is False


def test_why_reads_an_nginx_T_dump_on_stdin_as_scan_does(tree_dir):
    """`nginx -T | confcheck why URL -` said the dump had no server block: why never read stdin."""
    _write(os.path.join(tree_dir, "conf d", "a b.conf"),
           b"server { listen 8099; location / { deny all; allow 10.1.2.3; } }\n")
    conf = _write(os.path.join(tree_dir, "nginx.conf"), b'events {}\nhttp {\n    include "conf d/*.conf";\n}\n')
    dump = subprocess.run(["/usr/sbin/nginx", "-T", "-c", conf, "-g",
                           f"pid {tree_dir}/nginx.pid; error_log {tree_dir}/error.log;"],
                          capture_output=True, timeout=60, check=True).stdout
    assert b"# configuration file " + os.path.join(tree_dir, "conf d", "a b.conf").encode() in dump
    proc = run_cli("why", "http://x:8099/", "-", "--format", "json", stdin=dump)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == 403 and doc["decided_by"]["file"].endswith("conf d/a b.conf"), doc
    batch = run_cli("why", "--batch", "-", "-", stdin=dump)
    assert batch.returncode == 2 and b"standard input holds one thing" in batch.stderr, batch.stderr


def test_a_fix_title_naming_an_odd_path_stays_on_its_line(tree_dir):
    """The text output escaped a path in the message but printed the fix's title raw: a newline
    in a root's name split the `fix (...)` line, a byte that is not UTF-8 came out as U+FFFD."""
    conf = _write(os.path.join(tree_dir, "nginx.conf"),
                  b'events {}\nhttp {\n    server { listen 8092; root "' + tree_dir.encode()
                  + b'/w\nx\xe9"; }\n}\n')
    proc = run_cli("scan", conf)
    fix = [line for line in proc.stdout.splitlines() if line.startswith(b"    fix (")]
    assert len(fix) == 1 and fix[0].endswith(b"confcheck cannot tell which was meant"), proc.stdout
    assert b"/w\\nx\\xe9" in fix[0], fix

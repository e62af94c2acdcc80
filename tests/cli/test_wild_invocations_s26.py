"""Ordinary invocations an admin types that no other test covers (session 26, s26-wild):
each once ended in a wrong answer, a wrong exit code or a wrong "clean"."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess

from cc_helpers import run_cli
from test_wild_invocations_s25 import _apache_main, _free_port, _write


def _nginx_t(conf: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/usr/sbin/nginx", "-t", "-c", conf], capture_output=True, timeout=60)


@contextlib.contextmanager
def _serving(argv: list[str], port: int):
    """The real server started in the foreground (stopped by the pid started), once it accepts
    connections on 127.0.0.1:port."""
    import socket
    import time
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):        # a loaded machine starts it slowly
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5):
                    break
            except ConnectionRefusedError:
                assert server.poll() is None, "the server did not start"
                time.sleep(0.1)
        yield
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_why_on_a_debian_nginx_folder_answers_from_its_main(tree_dir):
    """`why URL /etc/nginx` exited 2 ("the command line reads 3") because Debian's
    snippets/fastcgi-php.conf and snakeoil.conf, which nothing includes, are read alone by
    the folder search; only nginx.conf answers requests."""
    conf = _write(os.path.join(tree_dir, "nginx.conf"),
                  f"pid {tree_dir}/nginx.pid;\nerror_log {tree_dir}/error.log;\nevents {{}}\n"
                  f"http {{ access_log off; include sites-enabled/*; }}\n".encode())
    _write(os.path.join(tree_dir, "sites-enabled", "default"),
           b"server {\n  listen 8080 default_server;\n  location / { deny all; }\n}\n")
    _write(os.path.join(tree_dir, "snippets", "fastcgi-php.conf"),
           b"fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\nfastcgi_index index.php;\n")
    assert _nginx_t(conf).returncode == 0
    proc = run_cli("why", "http://localhost:8080/x", tree_dir, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["status"] == 403 and answer["decided_by"]["directive"] == "deny", answer
    assert [c["path"] for c in answer["inputs"]["configs"]] == [conf]
    snippet = os.path.join(tree_dir, "snippets", "fastcgi-php.conf")
    assert snippet in [s["path"] for s in answer["inputs"]["not_read"]]
    # two mains are still a question only the user can answer
    _write(os.path.join(tree_dir, "other", "nginx.conf"), b"events {}\nhttp { server { listen 8081; } }\n")
    proc = run_cli("why", "http://localhost:8080/x", tree_dir)
    assert proc.returncode == 2 and b"why answers for one server configuration" in proc.stderr, proc.stderr


def test_a_file_an_include_pattern_skips_is_not_judged_as_served(tree_dir):
    """Debian's Apache reads `sites-enabled/*.conf`: a site enabled without `.conf`
    (`sites-enabled/legacy`, common since 2.4) and nginx's `conf.d/x.conf.bak` are never
    read by the server, yet a folder scan read them alone and reported their findings as
    if they were served. Both servers accept the trees with garbage in those files."""
    www = os.path.dirname(_write(os.path.join(tree_dir, "www", "index.html"), b"hi\n"))
    apache = os.path.join(tree_dir, "apache2")
    main = _write(os.path.join(apache, "apache2.conf"),
                  (_apache_main(apache, www, (), (8,)) + "IncludeOptional sites-enabled/*.conf\n").encode())
    _write(os.path.join(apache, "sites-enabled", "000-default.conf"),
           f"<VirtualHost *:8>\n  DocumentRoot {www}\n</VirtualHost>\n".encode())
    _write(os.path.join(apache, "sites-enabled", "legacy"),
           b"<VirtualHost *:8>\n  ServerName legacy.test\n  DocumentRoot /nonexistent-s26\n")   # unclosed
    real = subprocess.run(["/usr/sbin/apache2", "-t", "-d", apache, "-f", main], capture_output=True, timeout=60)
    assert real.returncode == 0, real.stderr
    nginx = os.path.join(tree_dir, "nginx")
    conf = _write(os.path.join(nginx, "nginx.conf"),
                  f"pid {tree_dir}/nginx.pid;\nerror_log {tree_dir}/error.log;\nevents {{}}\n"
                  f"http {{ access_log off; include conf.d/*.conf; }}\n".encode())
    _write(os.path.join(nginx, "conf.d", "site.conf"), f"server {{ listen 8080; root {www}; }}\n".encode())
    _write(os.path.join(nginx, "conf.d", "site.conf.bak"),
           b"server { listen 8080; root /nonexistent-s26; server_nme x; }\n")
    assert _nginx_t(conf).returncode == 0
    for tree, name in ((apache, "sites-enabled/legacy"), (nginx, "conf.d/site.conf.bak")):
        proc = run_cli("scan", tree, "--format", "json")
        assert proc.returncode == 0, (proc.stdout, proc.stderr)
        out = json.loads(proc.stdout)
        assert out["findings"] == [] and out["errors"] == [], out
        skipped = {s["path"]: s["reason"] for s in out["inputs"]["not_read"]}
        assert "does not match this name" in skipped[os.path.join(tree, name)], skipped
        # named on its own, it is checked (pre-commit on a changed file)
        proc = run_cli("scan", "--no-fs", os.path.join(tree, name))
        assert proc.returncode == 2, (proc.stdout, proc.stderr)


def test_a_typo_in_a_lone_apache_vhost_is_refused_as_httpd_refuses_it(tree_dir):
    """pre-commit on `sites-available/shop.conf` with `ServerNme` said 0 findings, exit 0
    (nginx's lone files already refuse `server_nme`); a third-party module's directive
    (mod_wsgi's) stays unjudged in a lone file, whose modules are unknown."""
    www = os.path.dirname(_write(os.path.join(tree_dir, "www", "index.html"), b"hi\n"))
    main = _write(os.path.join(tree_dir, "apache2.conf"),
                  (_apache_main(tree_dir, www, (), (8,)) + "Include sites-available/shop.conf\n").encode())
    site = os.path.join(tree_dir, "sites-available", "shop.conf")
    for typo, shown in (("ServerNme shop.test", "ServerNme"), ("<Directry /srv>\n</Directry>", "<Directry"),
                        ("WSGIScriptAlias / /srv/app.wsgi", "WSGIScriptAlias")):
        _write(site, f"<VirtualHost *:8>\n  DocumentRoot {www}\n  {typo}\n</VirtualHost>\n".encode())
        real = subprocess.run(["/usr/sbin/apache2", "-t", "-d", tree_dir, "-f", main], capture_output=True,
                              timeout=60)
        words = f"Invalid command '{shown}', perhaps misspelled or defined by a module not included"
        assert real.returncode != 0 and words.encode() in real.stderr, real.stderr
        assert words.encode() in run_cli("scan", "--no-fs", main).stdout     # in its main: always
        proc = run_cli("scan", "--no-fs", site)
        if shown == "WSGIScriptAlias":
            assert proc.returncode == 0, proc.stdout      # mod_wsgi, loaded by a main elsewhere
        else:
            assert proc.returncode == 2 and f"{site}:3:3: {words}".encode() in proc.stdout, proc.stdout


def test_every_batch_error_names_its_line(tree_dir):
    """A batch line whose port nothing listens on said `no server listens on port 99`
    without its line, where a line that is not JSON says `line 4: ...`: in a batch of
    thousands the user could not tell which request it was."""
    from cc_helpers import write_why_conf
    conf = write_why_conf(tree_dir)
    batch = _write(os.path.join(tree_dir, "b.jsonl"),
                   b'{"url": "http://site.test:8080/"}\n\nnot json\n{"url": "http://site.test:99/"}\n')
    proc = run_cli("why", "--no-fs", "--config", conf, "--batch", batch, "--format", "json")
    assert proc.returncode == 2
    errors = [json.loads(line).get("error") for line in proc.stdout.splitlines()]
    assert errors[0] is None and errors[1].startswith("line 3: not JSON"), errors
    assert errors[2] == "line 4: no server listens on port 99 (ports: 8080)", errors
    assert b"confcheck: line 4: no server listens on port 99" in proc.stderr, proc.stderr


def test_help_shows_what_its_source_says_and_rules_refuses_sarif():
    """Rich markup ate `[tool.confcheck]` from scan's help and `[error]` from explain's example
    log line (which then was not an nginx line); `rules --format sarif`, offered by the help,
    printed the text table."""
    wide = {"COLUMNS": "200"}
    assert b"pyproject.toml [tool.confcheck] (select" in run_cli("scan", "--help", env=wide).stdout
    explain = run_cli("explain", "--help", env=wide).stdout
    line = explain.split(b"confcheck explain '", 1)[1].split(b"'", 1)[0]
    assert line.startswith(b"2026/11/21 09:00:00 [error] 7#7: *1 open()"), line
    assert b"nginx or Apache" in run_cli("--help", env=wide).stdout
    proc = run_cli("rules", "--format", "sarif")
    assert proc.returncode == 2 and proc.stdout == b"" and b"sarif is for scan" in proc.stderr


def test_a_repository_of_sites_available_and_enabled_links_is_read(tree_dir):
    """pre-commit in a repository holding only sites-available/ and sites-enabled/ links (no
    nginx.conf): the search kept the sites-available path of each enabled site and then called
    it "not enabled: no link points to it": `read no configuration`, 0 findings, exit 0."""
    repo = os.path.join(tree_dir, "repo")
    _write(os.path.join(repo, "sites-available", "shop"),
           b"server {\n listen 80;\n server_name shop.test;\n location / { deny all; }\n}\n")
    _write(os.path.join(repo, "sites-available", "old"), b"server {\n listen 80;\n server_name old.test;\n}\n")
    links = os.path.join(repo, "sites-enabled")
    os.makedirs(links)
    for target in ("../sites-available/shop", "/etc/nginx/sites-available/shop"):   # as written, as deployed
        if os.path.lexists(os.path.join(links, "shop")):
            os.remove(os.path.join(links, "shop"))
        os.symlink(target, os.path.join(links, "shop"))
        proc = run_cli("scan", "--no-fs", repo, "--format", "json")
        out = json.loads(proc.stdout)
        assert proc.returncode == 1, (target, proc.stdout, proc.stderr)
        assert [(f["rule"], f["line"]) for f in out["findings"]] == [("NGX112", 4)], out["findings"]
        skipped = [s["path"] for s in out["inputs"]["not_read"]]
        assert skipped == [os.path.join(repo, "sites-available", "old")], skipped
    os.remove(os.path.join(links, "shop"))
    out = json.loads(run_cli("scan", "--no-fs", repo, "--format", "json").stdout)
    assert out["findings"] == [] and len(out["inputs"]["not_read"]) == 2


def _without_read_override(*argv: str) -> subprocess.CompletedProcess:
    """Run as root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH: files other users keep 0600
    are unreadable, as for an admin's unprivileged account (the interpreter stays readable).
    `confcheck` stands for this checkout's command line."""
    import sys
    if argv[0] == "confcheck":
        argv = (sys.executable, "-m", "confcheck", *argv[1:])
    env = {**os.environ, "NO_COLOR": "1", "CONFCHECK_NO_CACHE": "1"}
    return subprocess.run(["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", *argv],
                          capture_output=True, timeout=300, env=env)


def test_a_folder_with_files_confcheck_may_not_read_is_scanned_and_says_which(tree_dir):
    """Naming a folder in which one found file was unreadable ended the whole scan with one
    line (`cannot read: Permission denied`, exit 2, nothing else answered). Now the include
    that fails is reported as nginx -t reports it, a lone file that cannot be read is an input
    error (what it configures is unknown: never clean), and everything else is answered."""
    conf = _write(os.path.join(tree_dir, "nginx.conf"),
                  f"pid {tree_dir}/nginx.pid;\nerror_log {tree_dir}/error.log;\nevents {{}}\n"
                  f"http {{\n  access_log off;\n  include conf.d/*.conf;\n}}\n".encode())
    _write(os.path.join(tree_dir, "conf.d", "a.conf"),
           b"server {\n  listen 8080;\n  server_name a.test;\n  location / { deny all; }\n}\n")
    locked = [_write(os.path.join(tree_dir, "conf.d", "b.conf"), b"server { listen 8081; }\n"),
              _write(os.path.join(tree_dir, "snippets", "x.conf"), b"add_header X-A 1;\n")]
    for path in locked:
        os.chown(path, 1234, 1234)
        os.chmod(path, 0o600)
    real = _without_read_override("/usr/sbin/nginx", "-t", "-c", conf)
    assert real.returncode != 0 and b'conf.d/b.conf" failed (13: Permission denied)' in real.stderr, real.stderr
    proc = _without_read_override("confcheck", "scan", "--no-fs", tree_dir, "--format", "json")
    assert proc.returncode == 2, proc.stderr
    out = json.loads(proc.stdout)
    assert [f["rule"] for f in out["findings"]] == ["NGX112"], out["findings"]
    errors = [(e["file"], e["line"], e["message"]) for e in out["errors"]]
    # (the folder is taken as a repository of /etc/nginx: its include is named as deployed)
    assert errors == [(conf, 6, 'open() "/etc/nginx/conf.d/b.conf" failed (13: Permission denied)'),
                      (locked[1], None, "cannot read it: Permission denied (as uid 0): what it configures is unknown")
                      ], errors
    # the main itself unreadable: what could be read is still answered, its error named
    os.chown(conf, 1234, 1234)
    os.chmod(conf, 0o600)
    proc = _without_read_override("confcheck", "scan", "--no-fs", tree_dir, "--format", "json")
    assert proc.returncode == 2
    assert conf in [e["file"] for e in json.loads(proc.stdout)["errors"]]
    # named on its own, an unreadable file is bad input, as before
    proc = _without_read_override("confcheck", "scan", "--no-fs", conf)
    assert proc.returncode == 2 and proc.stderr.strip() == f"confcheck: {conf}: cannot read: Permission denied".encode()


def test_a_parameter_longer_than_nginx_s_read_buffer_is_refused_as_nginx_refuses_it(tree_dir):
    """A Content-Security-Policy header of 4 KB or more: nginx refuses the file (`too long
    parameter "..." started`, its reader's 4096-byte buffer), confcheck read it as fine
    and reported the configuration clean. Each shape just under and at the limit, as the
    real nginx -t says: message and line."""
    shapes = []
    for n in (4094, 4095, 4096):
        shapes.append(("add_header X-A " + "a" * n + " ;", 3))             # a word, then a space
        shapes.append(("add_header X-A " + "a" * n + ";", 3))              # ... then `;`
        shapes.append(("add_header X-A '" + "b" * n + "' ;", 3))
        shapes.append(('add_header X-A "' + "c" * (n + 2) + '" ;', 3))     # still open at the refill
        shapes.append(('add_header X-A\n"' + "d d;\n" * (n // 5 + 1) + '";', 4))   # over lines
        shapes.append(("#" + "e" * n, 3))
    refused = 0
    for number, (statement, line) in enumerate(shapes):
        conf = _write(os.path.join(tree_dir, f"c{number}.conf"),
                      (f"events {{}}\nhttp {{ access_log off; error_log {tree_dir}/e.log;\n{statement}\n"
                       f"  server {{ listen 127.0.0.1:8999; return 204; }}\n}}\n" + "# pad\n" * 800).encode())
        real = _nginx_t(conf)
        proc = run_cli("scan", "--no-fs", conf, "--format", "json")
        errors = [(e["line"], e["message"]) for e in json.loads(proc.stdout)["errors"]]
        if b"too long parameter" in real.stderr:
            refused += 1
            import re
            said, where = re.search(r"\[emerg\] \d+#\d+: (.*) in (\S+)\n", real.stderr.decode(), re.S).groups()
            assert where == f"{conf}:{line}", real.stderr
            assert proc.returncode == 2 and (line, said) in errors, (statement[:40], len(statement), said, errors)
        else:
            assert real.returncode == 0, real.stderr
            assert proc.returncode == 0 and errors == [], (statement[:40], len(statement), errors)
    assert 0 < refused < len(shapes)


def test_a_source_build_layout_serves_root_html_from_its_own_prefix(tree_dir):
    """`P/conf/nginx.conf` with `root html;` (nginx's own default config, a source build at
    /usr/local/nginx, `nginx -p P -c conf/nginx.conf`): the files are under P/html. confcheck
    took Debian's prefix (/usr/share/nginx/html) and answered 404 where nginx serves 200,
    both for a folder named on the command line and under --root for /usr/local/nginx."""
    import urllib.request
    port = _free_port()
    prefix = os.path.join(tree_dir, "usr", "local", "nginx")
    conf = _write(os.path.join(prefix, "conf", "nginx.conf"),
                  f"events {{}}\nhttp {{\n  access_log off;\n  server {{\n    listen 127.0.0.1:{port};\n"
                  f"    location / {{ root html; }}\n    location /x/ {{ alias html/; }}\n  }}\n}}\n".encode())
    _write(os.path.join(prefix, "html", "only.html"), b"only here\n")
    _write(os.path.join(prefix, "logs", ".keep"), b"")
    for folder in (tree_dir, os.path.join(tree_dir, "usr"), os.path.join(tree_dir, "usr", "local"), prefix,
                   os.path.join(prefix, "html")):
        os.chmod(folder, 0o755)
    os.chmod(os.path.join(prefix, "html", "only.html"), 0o644)
    _write(os.path.join(tree_dir, "etc", "passwd"), b"root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n")
    _write(os.path.join(tree_dir, "etc", "group"), b"root:x:0:\nnogroup:x:65534:\n")
    real = {}
    with _serving(["/usr/sbin/nginx", "-p", prefix + "/", "-c", "conf/nginx.conf",
                   "-g", f"daemon off; pid {prefix}/logs/n.pid; error_log {prefix}/logs/e.log;"], port):
        for path in ("/only.html", "/x/only.html"):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
                    real[path] = resp.status
            except urllib.error.HTTPError as exc:
                real[path] = exc.code
    assert real == {"/only.html": 200, "/x/only.html": 200}
    for args in ((conf,), ("--root", tree_dir, "/usr/local/nginx/conf/nginx.conf")):
        for path in real:
            proc = run_cli("why", f"http://127.0.0.1:{port}{path}", *args, "--format", "json")
            answer = json.loads(proc.stdout)
            assert answer["status"] == real[path], (args, path, answer["reason"])
            shown = os.path.join(prefix, "html", "only.html") if args == (conf,) else "/usr/local/nginx/html/only.html"
            assert answer["reason"] == f"serves {shown}", answer


def test_explain_a_listing_refusal_for_a_directory_that_is_gone_says_so(tree_dir):
    """AH01276 (no DirectoryIndex file, no listing) for a directory that no longer exists was
    explained as if it were there ("... has none of the configured index files"); the disk is
    read, as for the other lines."""
    www = os.path.dirname(_write(os.path.join(tree_dir, "www", "d", "a.txt"), b"x\n"))
    for folder in (tree_dir, os.path.dirname(www), www):
        os.chmod(folder, 0o755)
    main = _write(os.path.join(tree_dir, "apache2.conf"),
                  _apache_main(tree_dir, os.path.dirname(www), ("dir", "autoindex"), (8,)).encode())
    line = ("[Mon Dec 07 10:00:02.123456 2026] [autoindex:error] [pid 1:tid 2] [client 127.0.0.1:5] AH01276: "
            "Cannot serve directory {}/: No matching DirectoryIndex (index.html) found, and server-generated "
            "directory index forbidden by Options directive")
    for path, words in ((www, f"{www} has none of the configured index files"),
                        (www + "-gone", f"{www}-gone does not exist now: the directory the line names is gone")):
        proc = run_cli("explain", "--config", main, "--format", "json", line.format(path))
        [cause] = json.loads(proc.stdout)["causes"]
        assert cause["explanation"].startswith(words), cause
        assert cause["fs_path"] == path


def test_a_lower_case_method_is_not_taken_as_its_upper_case(tree_dir):
    """`why URL -X get` answered as GET (200); nginx refuses `get` (400), methods being
    case-sensitive: confcheck says so (exit 2, a batch line's own error) instead of
    answering another request."""
    import http.client
    port = _free_port()
    www = os.path.dirname(_write(os.path.join(tree_dir, "www", "index.html"), b"hi\n"))
    os.chmod(www, 0o755)
    os.chmod(os.path.join(www, "index.html"), 0o644)
    conf = _write(os.path.join(tree_dir, "nginx.conf"),
                  f"pid {tree_dir}/n.pid;\nerror_log {tree_dir}/e.log;\nevents {{}}\n"
                  f"http {{ access_log off; server {{ listen 127.0.0.1:{port}; root {www}; }} }}\n".encode())
    real = {}
    with _serving(["/usr/sbin/nginx", "-c", conf, "-g", "daemon off;"], port):
        for method in ("GET", "get"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request(method, "/")
            real[method] = conn.getresponse().status
            conn.close()
    assert real == {"GET": 200, "get": 400}
    assert json.loads(run_cli("why", f"http://127.0.0.1:{port}/", conf, "--format", "json").stdout)["status"] == 200
    proc = run_cli("why", f"http://127.0.0.1:{port}/", conf, "-X", "get")
    assert proc.returncode == 2 and b"nginx answers 400 to 'get'" in proc.stderr, proc.stderr
    batch = _write(os.path.join(tree_dir, "b.jsonl"), f'{{"url": "http://127.0.0.1:{port}/", "method": "post"}}\n'.encode())
    proc = run_cli("why", "--batch", batch, conf, "--format", "json")
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"].startswith("line 1: unknown method 'post'")


def test_fix_output_dir_naming_a_file_is_bad_input_not_an_internal_error(tree_dir):
    """`fix --output-dir sites/shop.conf` (a file, not a folder) ended in an internal error
    (exit 3, FileExistsError)."""
    from cc_helpers import write_why_conf
    conf = write_why_conf(tree_dir)
    proc = run_cli("fix", "--no-fs", conf, "--output-dir", conf)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.decode().strip() == f"confcheck: --output-dir {conf}: cannot write {conf}: File exists"
    with open(conf) as fh:
        assert "deny all" in fh.read()      # untouched
    # --settings naming a folder said "no such settings file"
    proc = run_cli("scan", "--no-fs", conf, "--settings", tree_dir)
    assert proc.returncode == 2 and proc.stderr.strip().endswith(b"a directory, not a settings file"), proc.stderr


def test_apache_answers_nothing_on_a_port_no_listen_opens(tree_dir):
    """`why http://site:8080/` on Debian's Apache (Listen 80) was answered by the main server
    (403 from `<Directory />` for /usr/local/apache2/htdocs); the connection is refused. As for
    nginx: exit 2 naming the Listen lines."""
    import socket
    port = _free_port()
    www = os.path.dirname(_write(os.path.join(tree_dir, "www", "index.html"), b"hi\n"))
    for path, mode in ((tree_dir, 0o755), (www, 0o755), (os.path.join(www, "index.html"), 0o644)):
        os.chmod(path, mode)
    main = _write(os.path.join(tree_dir, "apache2.conf"),
                  (_apache_main(tree_dir, www, ("dir",), (port,)) + f"DocumentRoot {www}\n").encode())
    refused = []
    with _serving(["/usr/sbin/apache2", "-d", tree_dir, "-f", main, "-DFOREGROUND"], port):
        for address, other in (("127.0.0.1", port + 1 if port < 65535 else port - 1), ("127.0.0.2", port)):
            try:
                with socket.create_connection((address, other), timeout=5):
                    refused.append(False)
            except ConnectionRefusedError:
                refused.append(True)
    assert refused[1], "Apache listens on 127.0.0.1 only: 127.0.0.2 is refused"
    answer = json.loads(run_cli("why", f"http://127.0.0.1:{port}/", main, "--format", "json").stdout)
    assert answer["status"] == 200, answer
    other = port + 1 if port < 65535 else port - 1
    proc = run_cli("why", f"http://localhost:{other}/", main)
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.decode().strip() == (f"confcheck: nothing listens on port {other}: "
                                            f"Listen 127.0.0.1:{port} ({main}:8)"), proc.stderr
    proc = run_cli("why", f"http://127.0.0.2:{port}/", main)
    assert proc.returncode == 2 and f"nothing listens on 127.0.0.2:{port}".encode() in proc.stderr

"""Include resolution (disk and nginx -T dump)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from confcheck.source import Diagnostics
from confcheck.parsers.nginx_loader import load_nginx, load_nginx_dump, split_nginx_dump
from nginx_helpers import diag_tuples


def write(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def tree(nodes) -> list:
    out = []
    for node in nodes:
        if node.included:
            for inc in node.included:
                out.append(("<" + inc.source.display_path, tree(inc.nodes)))
        elif node.children is not None:
            out.append((node.name, node.values, tree(node.children)))
        else:
            out.append((node.name, node.values))
    return out


def test_globs_are_sorted_and_relative_to_prefix(tmp_path):
    write(tmp_path, {
        "nginx.conf": "http { include sites/*.conf; }\n",
        # relative to the conf prefix (main file's dir), not to sites/
        "sites/b.conf": "server { include snippets/x.conf; }\n",
        "sites/a.conf": "server { listen 1; }\n",
        "sites/.hidden.conf": "broken",
        "snippets/x.conf": "listen 2;\n",
    })
    diags = Diagnostics()
    config = load_nginx(str(tmp_path / "nginx.conf"), diags)
    assert diags.items == []
    p = str(tmp_path)
    assert tree(config.nodes) == [("http", [], [
        ("<" + p + "/sites/a.conf", [("server", [], [("listen", ["1"])])]),
        ("<" + p + "/sites/b.conf", [("server", [], [("<" + p + "/snippets/x.conf", [("listen", ["2"])])])]),
    ])]
    assert config.prefix == p + "/"
    assert len(config.parsed) == 4


def test_glob_without_match_is_silent_and_missing_file_is_an_error(tmp_path):
    write(tmp_path, {"nginx.conf": "include none/*.conf;\n\ninclude missing.conf;\n"})
    diags = Diagnostics()
    load_nginx(str(tmp_path / "nginx.conf"), diags)
    assert diag_tuples(diags) == [
        (3, 1, f'open() "{tmp_path}/missing.conf" failed (2: No such file or directory)')]


def test_root_remap_reads_absolute_paths_under_root(tmp_path):
    root = tmp_path / "root"
    write(root, {"etc/nginx/nginx.conf": "include /etc/nginx/conf.d/*.conf;\ninclude rel.conf;\n",
                 "etc/nginx/conf.d/a.conf": "user a;\n", "etc/nginx/rel.conf": "pid /x;\n"})
    diags = Diagnostics()
    config = load_nginx(str(root / "etc/nginx/nginx.conf"), diags, root=str(root))
    assert diags.items == []
    assert config.prefix == "/etc/nginx/"
    assert tree(config.nodes) == [(f"<{root}/etc/nginx/conf.d/a.conf", [("user", ["a"])]),
                                  (f"<{root}/etc/nginx/rel.conf", [("pid", ["/x"])])]
    assert config.main.source.display_path == str(root / "etc/nginx/nginx.conf")
    assert set(config.files) == {str(root / "etc/nginx" / n) for n in ("nginx.conf", "conf.d/a.conf", "rel.conf")}


def test_explicit_prefix(tmp_path):
    write(tmp_path, {"conf/main.conf": "include x.conf;\n", "other/x.conf": "user a;\n"})
    diags = Diagnostics()
    config = load_nginx(str(tmp_path / "conf/main.conf"), diags, prefix=str(tmp_path / "other"))
    assert diags.items == [] and tree(config.nodes)[0][1] == [("user", ["a"])]


def test_include_cycle_is_reported_not_followed(tmp_path):
    write(tmp_path, {"nginx.conf": "include a.conf;\n", "a.conf": "include b.conf;\n",
                     "b.conf": "\n include a.conf;\n"})
    diags = Diagnostics()
    config = load_nginx(str(tmp_path / "nginx.conf"), diags)
    assert diag_tuples(diags) == [(2, 2, f'include cycle: "{tmp_path}/a.conf" is already being read')]
    assert len(config.parsed) == 3


def test_one_file_in_two_servers_gives_two_instances_one_source(tmp_path):
    write(tmp_path, {"nginx.conf": "http {\n server { include acl.conf; }\n server { include acl.conf; }\n}\n",
                     "acl.conf": "allow 10.0.0.0/8;\ndeny all;\n"})
    diags = Diagnostics()
    config = load_nginx(str(tmp_path / "nginx.conf"), diags)
    inc1, inc2 = (s.children[0] for s in config.nodes[0].children)
    (a,), (b,) = inc1.included, inc2.included
    assert a.source is b.source
    assert a.nodes[0] is not b.nodes[0]
    assert a.nodes[0].via is inc1 and b.nodes[1].via is inc2
    assert b.nodes[1].include_chain() == [inc2]
    assert len(config.files) == 2 and len(config.parsed) == 3


def test_symlink_realpath(tmp_path):
    write(tmp_path, {"nginx.conf": "include sites-enabled/*;\n", "sites-available/x": "user a;\n"})
    (tmp_path / "sites-enabled").mkdir()
    os.symlink("../sites-available/x", tmp_path / "sites-enabled/x")
    diags = Diagnostics()
    config = load_nginx(str(tmp_path / "nginx.conf"), diags)
    src = config.nodes[0].included[0].source
    assert src.path == str(tmp_path / "sites-enabled/x")
    assert src.realpath == str(tmp_path / "sites-available/x")


def test_unreadable_main_and_directory_include(tmp_path):
    diags = Diagnostics()
    config = load_nginx(str(tmp_path / "nope.conf"), diags)
    assert config.nodes == [] and diags.items[0].file == str(tmp_path / "nope.conf")
    assert "No such file" in diags.items[0].message
    write(tmp_path, {"nginx.conf": "include d?;\n", "dir/x": ""})
    (tmp_path / "d1").mkdir()
    diags = Diagnostics()
    load_nginx(str(tmp_path / "nginx.conf"), diags)
    assert diag_tuples(diags) == [(1, 1, f'open() "{tmp_path}/d1" failed (21: Is a directory)')]


# --- nginx -T ---------------------------------------------------------------

DUMP_FILES = {
    "nginx.conf": ("pid {p}/nginx.pid;\nevents {{}}\nhttp {{\n"
                   "    client_body_temp_path {p}/t1; proxy_temp_path {p}/t2;\n"
                   "    fastcgi_temp_path {p}/t3; uwsgi_temp_path {p}/t4; scgi_temp_path {p}/t5;\n"
                   "    access_log off;\n    include sites/*.conf;\n    include {p}/extra.conf;\n}}\n"),
    "sites/a.conf": "server {{ listen 127.0.0.1:8091; include acl.conf; }}\n",
    "sites/b.conf": "server {{ listen 127.0.0.1:8092; include acl.conf; }}",  # no final newline
    "acl.conf": "allow 127.0.0.1; # local\ndeny all;\n",
    "extra.conf": "map $uri $b {{ default 1; }}\n",
}


@pytest.mark.skipif(not os.path.exists("/usr/sbin/nginx"), reason="nginx not installed")
def test_nginx_dump_gives_the_same_tree_as_the_files(tmp_path):
    base = tmp_path / "conf"
    write(base, {k: v.format(p=base) for k, v in DUMP_FILES.items()})
    out = subprocess.run(["/usr/sbin/nginx", "-T", "-c", str(base / "nginx.conf"), "-p", str(base),
                          "-e", "/dev/null"], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    dump = out.stderr + out.stdout  # chatter first, as with 2>&1
    sections = split_nginx_dump(dump)
    for path, body in sections:
        assert Path(path).read_bytes() == body
    diags = Diagnostics()
    from_dump = load_nginx_dump(dump, "<stdin>", diags)
    from_disk = load_nginx(str(base / "nginx.conf"), diags)
    assert diags.items == []
    assert tree(from_dump.nodes) == tree(from_disk.nodes)
    assert len(from_dump.parsed) == len(from_disk.parsed) == 6
    assert from_dump.prefix == str(base) + "/"
    acl = [f for f in from_dump.parsed if f.source.path.endswith("acl.conf")]
    assert len(acl) == 2 and acl[0].source is acl[1].source and acl[0].comments[0].text == " local"


def test_dump_glob_does_not_cross_directories_or_match_hidden():
    dump = (b"# configuration file /e/nginx.conf:\ninclude /e/s/*.conf;\n\n"
            b"# configuration file /e/s/a.conf:\nuser a;\n\n"
            b"# configuration file /e/s/.h.conf:\nuser h;\n\n"
            b"# configuration file /e/s/sub/c.conf:\nuser c;\n\n")
    diags = Diagnostics()
    config = load_nginx_dump(dump, "dump", diags)
    assert diags.items == []
    assert tree(config.nodes) == [("</e/s/a.conf", [("user", ["a"])])]


def test_dump_without_sections():
    diags = Diagnostics()
    config = load_nginx_dump(b"nginx: [emerg] something\n", "dump.txt", diags)
    assert config.nodes == [] and diags.items[0].file == "dump.txt"

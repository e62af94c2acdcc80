"""A file included from several places is parsed once and copied for the other
include sites: every copy must be the tree a parse of its own gives, hang from
its own include directive, and report its own problems at the right place."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from nginx_helpers import corpus_files

from confcheck.source import Diagnostics, SourceFile
from confcheck.parsers.nginx_loader import load_nginx
from confcheck.parsers.nginx_parser import clone_nginx, parse_nginx_with_includes
from confcheck.parsers.syntax import Node
from cc_helpers import write_nginx_tree


def _shape(nodes: list[Node], via: Node) -> list[tuple]:
    """Everything a node says, its parent as an index into this list."""
    index: dict[int, int] = {}
    out: list[tuple] = []

    def visit(level: list[Node], depth: int) -> None:
        for node in level:
            index[id(node)] = len(out)
            header, close = node.header_span, node.close_span
            out.append((depth, node.name, node.key, node.dialect,
                        [(a.raw, a.value, a.quote, a.span.start, a.span.end) for a in node.args],
                        node.span.start, node.span.end, node.name_span.start, node.name_span.end,
                        header and (header.start, header.end), close and (close.start, close.end),
                        None if node.parent is None else index[id(node.parent)],
                        node.via is via, node.included, node.children is None))
            if node.children is not None:
                visit(node.children, depth + 1)

    visit(nodes, 0)
    return out


BROKEN = [
    b"location /x {\n    alias /srv/x\n}\n  rewrite ^ /y last;\nif ($a = \"b\"c) { return 403; }\n",
    b"server {\n    location / {\n        include a.conf;\n    }\n    include b.conf\n",
    b"}\n{ deny all; }\n; include c.conf; server { listen 80; server { listen 81; }\n",
    b"http { server { location / { if ( $x ) { return 403; } }\nhttp { include d.conf; }\n",
    b"content_by_lua_block { ngx.say('}') -- }\n }\ninclude e.conf;\n# a comment\n",
    b"add_header X \"unterminated;\ninclude f.conf;\n",
]


@pytest.mark.parametrize("data", [p.read_bytes() for p in corpus_files()] + BROKEN)
def test_a_copy_is_the_tree_a_parse_of_its_own_gives(data):
    source = SourceFile("snippet.conf", data)
    first_site, second_site = (Node("include", [], None, None) for _ in range(2))
    first, first_includes = parse_nginx_with_includes(source, Diagnostics(), via=first_site)
    own, own_includes = parse_nginx_with_includes(source, Diagnostics(), via=second_site)
    copy, copy_includes = clone_nginx(first, first_includes, second_site)
    assert _shape(copy.nodes, second_site) == _shape(own.nodes, second_site)
    where = {id(n): i for i, n in enumerate(_walk(copy.nodes))}
    assert [where[id(n)] for n in copy_includes] == \
           [i for i, n in enumerate(_walk(own.nodes)) if any(n is m for m in own_includes)]
    assert [(c.text, c.span.start, c.span.end, c.own_line) for c in copy.comments] == \
           [(c.text, c.span.start, c.span.end, c.own_line) for c in own.comments]
    # nothing of the first instance is shared but the Args
    assert not {id(n) for n in _walk(first.nodes)} & {id(n) for n in _walk(copy.nodes)}


def _walk(nodes: list[Node]) -> list[Node]:
    out = []
    for node in nodes:
        out.append(node)
        out.extend(_walk(node.children or []))
    return out


BAD_TWICE = {
    "nginx.conf": ("events {}\nhttp {\n    server {\n        listen 8080;\n        include bad.conf;\n    }\n"
                   "    server {\n        listen 8081;\n        location / {\n            include bad.conf;\n"
                   "        }\n    }\n}\n"),
    "bad.conf": "expires 1d\n}\nadd_header X-A b;\ninclude inner.conf;\n",
    "inner.conf": "add_header X-B c;\n",
}


def test_a_broken_file_included_twice_is_reported_and_read_at_both_sites(tmp_path):
    diags = Diagnostics()
    config = load_nginx(write_nginx_tree(tmp_path, BAD_TWICE), diags)
    assert [(os.path.basename(d.span.file), d.span.line, d.span.column, d.message) for d in diags.items] \
        == [("bad.conf", 2, 1, 'unexpected "}"')] * 2
    http = config.nodes[1]
    first_site = http.children[0].children[1]
    second_site = http.children[1].children[1].children[0]
    for site in (first_site, second_site):
        (instance,) = site.included
        assert [(n.name, n.values, n.line, n.via is site) for n in instance.nodes] == [
            ("expires", ["1d"], 1, True), ("add_header", ["X-A", "b"], 3, True),
            ("include", ["inner.conf"], 4, True)]
        inner = instance.nodes[2]
        (nested,) = inner.included
        assert [(n.name, n.line, n.include_chain()) for n in nested.nodes] == [
            ("add_header", 1, [site, inner])]
    # two instances of each file, one source each
    assert len(config.parsed) == 5
    assert {id(p.source) for p in config.parsed if p.source.path.endswith("bad.conf")} \
        == {id(first_site.included[0].source)}


def test_cli_reports_the_error_of_each_include_site_and_exits_2(tmp_path):
    main = write_nginx_tree(tmp_path, BAD_TWICE)
    run = subprocess.run([sys.executable, "-m", "confcheck", "scan", "--no-fs", "--no-cache", "--format",
                          "text", main], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    bad = str(tmp_path / "bad.conf")
    assert run.stdout.count(f'{bad}:2:1: unexpected "}}"') == 2


def test_two_files_with_the_same_text_keep_their_own_paths(tmp_path):
    # the same bytes at two paths, each included twice: four instances, findings at both paths
    site = ("location /static {\n    alias /srv/static/;\n}\n")
    main = write_nginx_tree(tmp_path, {
        "nginx.conf": ("events {}\nhttp {\n"
                       + "".join(f"    server {{\n        listen {8080 + i};\n        include {name};\n    }}\n"
                                 for i, name in enumerate(["a.conf", "b.conf", "a.conf", "b.conf"]))
                       + "}\n"),
        "a.conf": site, "b.conf": site})
    run = subprocess.run([sys.executable, "-m", "confcheck", "scan", "--no-fs", "--no-cache", "--format",
                          "json", main], capture_output=True, text=True, timeout=120)
    findings = [(f["rule"], os.path.basename(f["file"]), f["line"], f["column"])
                for f in json.loads(run.stdout)["findings"]]
    assert sorted(findings) == [("NGX108", "a.conf", 2, 5)] * 2 + [("NGX108", "b.conf", 2, 5)] * 2

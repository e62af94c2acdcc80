"""effective_children: includes expanded in place, in order, nested ones too."""

from __future__ import annotations

from confcheck.parsers.nginx_loader import load_nginx
from confcheck.parsers.syntax import effective_children, walk
from confcheck.source import Diagnostics


def test_nested_includes_expand_in_source_order(tmp_path):
    (tmp_path / "nginx.conf").write_text("a 1;\ninclude one.conf;\nb 2;\ninclude two/*.conf;\nc 3;\n")
    (tmp_path / "one.conf").write_text("d 4;\ninclude inner.conf;\ne 5;\n")
    (tmp_path / "inner.conf").write_text("f 6;\n")
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "x.conf").write_text("g 7;\n")
    (tmp_path / "two" / "y.conf").write_text("h 8;\ninclude inner.conf;\n")
    diags = Diagnostics()
    config = load_nginx(str(tmp_path / "nginx.conf"), diags)
    assert diags.items == []
    names = [n.name for n in effective_children(config.nodes)]
    assert names == ["a", "d", "f", "e", "b", "g", "h", "f", "c"]
    assert [n.name for n in walk(config.nodes)] == names


def test_block_without_include_is_returned_as_is(tmp_path):
    (tmp_path / "nginx.conf").write_text("http { server { listen 80; } }\n")
    config = load_nginx(str(tmp_path / "nginx.conf"), Diagnostics())
    assert effective_children(config.nodes) is config.nodes
    assert effective_children(None) == ()

"""Helpers for the Apache reader tests: the corpus, a remapped root, parsing bytes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cc_helpers import SHARED, corpus_link

from confcheck.source import Diagnostics, SourceFile
from confcheck.parsers.apache_parser import parse_apache
from confcheck.parsers.syntax import Node, ParsedFile

CORPUS = Path(SHARED) / "corpus" / "apache"

# Files in the corpus that are not Apache configs.
NOT_APACHE = {"LICENSE.txt", "README.md", "magic", "mime.types", "charset.conv", "envvars"}


def is_link_stub(path: Path) -> bool:
    """Debian's `*-enabled` symlinks (a real link, or a file holding its target)."""
    return corpus_link(path) is not None


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*")
                  if p.is_file() and p.name not in NOT_APACHE and not is_link_stub(p))


def make_root(tmp: Path, src_dir: Path, server_dir: str) -> Path:
    """A fake `/` whose `server_dir` (e.g. etc/apache2) mirrors `src_dir` (copies; link stubs as links).

    Link stubs become real relative symlinks, like Debian's a2enmod makes them.
    """
    dest = tmp / server_dir
    dest.mkdir(parents=True, exist_ok=True)
    for src in sorted(src_dir.rglob("*")):
        out = dest / src.relative_to(src_dir)
        if src.is_dir():
            out.mkdir(parents=True, exist_ok=True)
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        if is_link_stub(src):
            os.symlink(corpus_link(src), out)
        else:
            # a copy: a link to this machine's file would not be followed out of the image
            shutil.copyfile(src, out)
    return tmp


def parse_bytes(data: bytes, name: str = "test.conf", **kw) -> tuple[ParsedFile, Diagnostics]:
    diags = Diagnostics()
    parsed = parse_apache(SourceFile(name, data), diags, **kw)
    return parsed, diags


def diag_tuples(diags: Diagnostics) -> list[tuple[int, str, str]]:
    return [(d.span.line, d.code, d.message) for d in diags.items]


def all_nodes(nodes) -> list[Node]:
    """Every node, depth first, includes expanded (include directives kept)."""
    out: list[Node] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        out.append(node)
        children = list(node.children or ())
        for inc in reversed(node.included):
            stack.extend(reversed(inc.nodes))
        stack.extend(reversed(children))
    return out


def assert_spans_exact(parsed: ParsedFile) -> None:
    """Every span slices back to the exact source bytes it claims."""
    data = parsed.source.data
    for node in all_nodes(parsed.nodes):
        if node.source is not parsed.source:
            continue
        assert 0 <= node.span.start <= node.span.end <= len(data)
        text = data[node.span.start:node.span.end].decode("utf-8", "surrogateescape")
        if node.children is None:
            assert text.startswith(node.name_span.text)
        else:
            assert node.name_span.text == node.name
            assert data[node.header_span.start:node.header_span.start + 1] == b"<"
            if node.close_span is not None:
                close = node.close_span.text
                assert close.lower().startswith("</" + node.name.lower())
                assert node.span.end == node.close_span.end
        for arg in node.args:
            assert data[arg.span.start:arg.span.end].decode("utf-8", "surrogateescape") == arg.raw
            assert node.span.start <= arg.span.start <= arg.span.end <= node.span.end
    for comment in parsed.comments:
        assert data[comment.span.start:comment.span.start + 1] == b"#"

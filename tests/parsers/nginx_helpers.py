"""Helpers for the nginx reader tests: the corpus, a remapped root, parsing bytes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cc_helpers import SHARED, corpus_link

from confcheck.source import Diagnostics, SourceFile
from confcheck.parsers.nginx_parser import parse_nginx

CORPUS = Path(SHARED) / "corpus" / "nginx"
CP_CONFIGS = CORPUS / "crossplane-tests" / "tests" / "configs"

# Files in the corpus that are not nginx configs at all.
NOT_NGINX = {".editorconfig", "LICENSE.txt", "README.md"}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*")
                  if p.is_file() and p.name not in NOT_NGINX and not _is_link_stub(p))


def _is_link_stub(path: Path) -> bool:
    """The `sites-enabled/default` symlink (a real link, or a file holding its target)."""
    return corpus_link(path) is not None


def make_root(tmp: Path, etc_nginx: Path) -> Path:
    """A fake `/` whose etc/nginx mirrors `etc_nginx` (copies; its link stubs as links, as Debian installs them).

    Link stubs become real relative symlinks, so sites-enabled/default resolves
    to sites-available/default like on a real system.
    """
    dest = tmp / "etc" / "nginx"
    for src in sorted(etc_nginx.rglob("*")):
        rel = src.relative_to(etc_nginx)
        out = dest / rel
        if src.is_dir():
            out.mkdir(parents=True, exist_ok=True)
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        if _is_link_stub(src):
            os.symlink(corpus_link(src), out)
        else:
            # a copy: a link to this machine's file would not be followed out of the image
            shutil.copyfile(src, out)
    return tmp


def parse_bytes(data: bytes, name: str = "test.conf"):
    diags = Diagnostics()
    parsed = parse_nginx(SourceFile(name, data), diags)
    return parsed, diags


def diag_tuples(diags: Diagnostics) -> list[tuple[int, int, str]]:
    return [(d.span.line, d.span.column, d.message) for d in diags.items]

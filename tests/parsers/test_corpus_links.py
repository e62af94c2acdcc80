"""../shared's `*-enabled` entries are real symlinks in a git checkout and files holding
the link target in a plain copy: the tests rebuild Debian's links from either."""

from __future__ import annotations

import os

from cc_helpers import corpus_link


def _tree(base) -> str:
    os.makedirs(f"{base}/sites-available")
    os.makedirs(f"{base}/sites-enabled")
    with open(f"{base}/sites-available/default", "w") as fh:
        fh.write("server {\n    listen 80;\n}\n")
    return f"{base}/sites-enabled/default"


def test_a_real_link_and_a_stub_file_name_the_same_target(tmp_path):
    link = _tree(tmp_path / "git")
    os.symlink("../sites-available/default", link)
    stub = _tree(tmp_path / "copy")
    with open(stub, "w") as fh:
        fh.write("../sites-available/default\n")
    assert corpus_link(link) == corpus_link(stub) == "../sites-available/default"


def test_plain_configs_are_not_links(tmp_path):
    link = _tree(tmp_path)
    with open(link, "w") as fh:          # a real file in sites-enabled (not a link)
        fh.write("server {\n    listen 81;\n}\n")
    assert corpus_link(link) is None
    assert corpus_link(tmp_path / "sites-available/default") is None

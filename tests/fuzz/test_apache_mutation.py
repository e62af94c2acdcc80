"""Mutants of real Apache configs and .htaccess files, judged by the real httpd and by
confcheck (a fixed budget here; `python tests/fuzz/apache_mutation.py --count N` by hand).

What the server accepts, confcheck accepts; what it refuses, confcheck refuses, or the
reason it cannot is one of the explained ones; nothing fails inside confcheck."""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_helpers import need_root
import apache_mutation as fuzz

pytestmark = pytest.mark.skipif(fuzz.available() is not None, reason=str(fuzz.available()))

CONFIG_MUTANTS = 90
HTACCESS_MUTANTS = 120


@pytest.fixture
def work(tree_dir):
    """A fresh 0755 directory under /var/tmp (the suite's tree_dir), as a Path."""
    return Path(tree_dir)


def check(report: fuzz.Report) -> None:
    summary = report.summary()
    assert report.refused(), summary          # the mutations do break configs
    assert not report.internal(), summary
    assert not report.false_refusals(), summary
    assert [c for c in report.missed() if fuzz.explain_miss(c) is None] == [], summary


def test_config_mutants_agree_with_apache2_t(work):
    check(fuzz.run_configs(work, CONFIG_MUTANTS, seed=7))


def test_htaccess_mutants_agree_with_a_live_server(work):
    need_root()
    check(fuzz.run_htaccess(work, HTACCESS_MUTANTS, seed=7))

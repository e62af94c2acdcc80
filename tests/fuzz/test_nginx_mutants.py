"""Mutants of the real nginx corpus: confcheck refuses what `nginx -t` refuses
for a reason in the text, accepts what nginx accepts, and never fails
internally (see nginx_mutants.py; `python tests/fuzz/nginx_mutants.py --count N`
runs a longer campaign by hand)."""

from __future__ import annotations

import pytest

import nginx_mutants

# A fixed budget: about 30-50 s on two shared cores (nginx -t twice at a time).
CI_COUNT = 240


@pytest.fixture(scope="module")
def report():
    nginx_mutants.require_namespaces()
    return nginx_mutants.run(CI_COUNT, jobs=2)


def _show(outcomes) -> str:
    return "\n".join(f"{o.input.name} seed {o.seed} {o.op}: nginx: {o.nginx.message or 'ok'} "
                     f"({o.nginx.file}:{o.nginx.line}); confcheck: "
                     f"{o.confcheck.internal or o.confcheck.message or 'ok'}" for o in outcomes)


def test_every_corpus_input_is_used(report):
    # inputs nginx refuses unmutated are left out; these are the known ones
    names = {o.input.name for o in report.outcomes}
    assert {"debian/nginx.conf", "debian/sites-available/default", "h5bp/nginx.conf",
            "nginx-upstream/conf/nginx.conf", "snippets/snakeoil.conf (in http, no server)", "snippets/fastcgi-php.conf (in server)"} <= names


def test_the_mutants_matter(report):
    refused = [o for o in report.outcomes if o.nginx.refused]
    assert len(report.outcomes) > CI_COUNT * 0.9
    assert len(refused) > len(report.outcomes) * 0.3  # not a test of no-ops


def test_no_internal_error(report):
    assert report.of("internal") == [], _show(report.of("internal"))


def test_nothing_nginx_accepts_is_refused(report):
    assert report.of("false-refusal") == [], _show(report.of("false-refusal"))


def test_what_nginx_refuses_for_the_text_is_refused(report):
    assert report.unexplained_misses() == [], _show(report.unexplained_misses())

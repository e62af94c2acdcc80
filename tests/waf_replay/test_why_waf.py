"""`why` with a WAF in the configuration, without starting anything: where the
server answers before ModSecurity runs, where the WAF is off, and the answers
that are unknown (--no-replay, no ModSecurity package, a failing replay).
The replay itself is tested against the real servers in
tests/realserver/test_waf_replay_real.py."""

from __future__ import annotations

import json
import os

import pytest

from cc_helpers import run_cli
from confcheck.servers.nginx.request import Request
from confcheck.waf_replay import throwaway
from confcheck.why import WhyOptions, explain, prepare

CONF = """load_module modules/ngx_http_modsecurity_module.so;
events {}
http {
    modsecurity on;
    modsecurity_rules 'SecRuleEngine On';
    server {
        listen 8080;
        server_name early.test;
        return 403;
    }
    server {
        listen 8080;
        server_name site.test;
        location / {
            return 200 "ok";
        }
        location /private/ {
            deny all;
        }
    }
    server {
        listen 8080;
        server_name off.test;
        modsecurity off;
        location / {
            deny all;
        }
    }
}
"""


@pytest.fixture
def conf(tree_dir):
    path = os.path.join(tree_dir, "nginx.conf")
    with open(path, "w") as fh:
        fh.write(CONF)
    return path


def _why(conf, url, *more):
    proc = run_cli("why", url, "--config", conf, "--no-fs", "--format", "json", *more)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_server_rewrite_phase_answers_before_modsecurity(conf):
    rc, doc = _why(conf, "http://early.test:8080/?q=1%20union%20select%201", "--no-replay")
    assert (rc, doc["status"], doc["decided_by"]["directive"]) == (0, 403, "return")
    assert doc["waf"]["engine"] == "On" and doc["waf"]["replayed"] is False
    assert "before ModSecurity runs" in doc["waf"]["reason"]


def test_no_replay_makes_the_answer_unknown_with_the_model_answer_kept(conf):
    for path, model in (("/", 200), ("/private/x", 403)):
        rc, doc = _why(conf, f"http://site.test:8080{path}", "--no-replay")
        assert rc == 0 and doc["status"] is None
        assert doc["reason"] == "ModSecurity would inspect this request; replay is off (--no-replay)"
        assert doc["would_answer"] == model
        assert doc["decided_by"]["directive"] == "modsecurity" and doc["decided_by"]["line"] == 4


def test_waf_off_for_the_server_leaves_the_model_answer(conf):
    rc, doc = _why(conf, "http://off.test:8080/", "--no-replay")
    assert (doc["status"], doc["decided_by"]["directive"]) == (403, "deny")
    assert doc["waf"]["engine"] == "Off"


def test_without_the_package_the_answer_names_it(conf, monkeypatch):
    # as on a machine without libnginx-mod-http-modsecurity: no module file anywhere
    monkeypatch.setitem(throwaway.DEBIAN_MODULE, "nginx", "/nonexistent/ngx_http_modsecurity_module.so")
    prepared = prepare(WhyOptions(configs=[conf], no_fs=True))
    out = explain(prepared, Request.parse("http://site.test:8080/private/x"))
    assert out.status is None and out.would_answer == 403
    assert out.reason == ("ModSecurity would inspect this request; install libnginx-mod-http-modsecurity "
                          "to replay it")


def test_a_failing_replay_answers_its_request_alone(conf, monkeypatch, tree_dir):
    def broken(setup, module, request, *args, **kw):
        if request.raw_path == "/boom":
            raise RuntimeError("injected replay failure")
        raise throwaway.ReplayError("the replay server did not start: injected")

    monkeypatch.setattr(throwaway, "replay", broken)     # combine.answer imports it when it replays
    prepared = prepare(WhyOptions(configs=[conf], no_fs=True))
    boom = explain(prepared, Request.parse("http://site.test:8080/boom"))
    other = explain(prepared, Request.parse("http://site.test:8080/private/x"))
    early = explain(prepared, Request.parse("http://early.test:8080/boom"))
    assert boom.status is None and "injected replay failure" in boom.internal_error
    assert other.status is None and other.internal_error is None
    assert other.reason == "ModSecurity would inspect this request; the replay server did not start: injected"
    assert early.status == 403                      # never reaches the WAF: not replayed at all
    assert len(prepared.model.failures) == 1


def test_body_file_errors_exit_2(conf):
    proc = run_cli("why", "http://site.test:8080/", "--config", conf, "--body", "/nonexistent/body")
    assert proc.returncode == 2 and b"--body /nonexistent/body: cannot read" in proc.stderr


@pytest.mark.parametrize("site, waf", [
    ("modsecurity on;\n", True),                              # in an included file only
    ("# modsecurity on;\nadd_header X modsecurity;\n", False),  # the word, but no such directive
    ("add_header X y;\n", False),
])
def test_prepare_finds_the_waf_in_any_file_read(tree_dir, site, waf):
    """prepare() looks for ModSecurity by the files' bytes first (has_waf's `texts`), then the
    tree: the same verdict as walking the tree alone."""
    from confcheck.waf_replay.combine import has_waf
    os.makedirs(os.path.join(tree_dir, "sites"))
    with open(os.path.join(tree_dir, "sites", "a.conf"), "w") as fh:
        fh.write("server {\n    listen 8080;\n    server_name a.test;\n    " + site + "}\n")
    path = os.path.join(tree_dir, "nginx.conf")
    with open(path, "w") as fh:
        fh.write("events {}\nhttp {\n    include sites/*.conf;\n}\n")
    prepared = prepare(WhyOptions(configs=[path], no_fs=True))
    assert bool(prepared.model.outside) is waf
    assert has_waf("nginx", prepared.model) is waf

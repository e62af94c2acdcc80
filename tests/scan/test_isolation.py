"""A failure stays where it happened, and every decision ends.

An internal error while deciding one request answers that request (status
null, "internal error: ...") and the run exits 3 after answering everything
else; a rule that fails on one configuration keeps its findings on the others.
Failures are injected with monkeypatch into one server's decision (the thing
under test is the isolation, not the model); termination is tested on real
inputs that used to hang or crash.
"""

from __future__ import annotations

import json
import os

import pytest

from confcheck.cli import main

SERVERS = 2000
BROKEN = 1234      # the server whose decisions fail


def _write(path: str, text: str) -> str:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def _many_servers(tree_dir: str, count: int) -> str:
    """`count` name-based servers on one port, each denying /private/ and answering /ok with 204."""
    blocks = "".join(
        f"    server {{\n        listen 8080;\n        server_name s{i}.test;\n"
        f"        location /private/ {{ deny all; }}\n        location = /ok {{ return 204; }}\n    }}\n"
        for i in range(count))
    return _write(os.path.join(tree_dir, "nginx.conf"), f"events {{}}\nhttp {{\n{blocks}}}\n")


def _site(tree_dir: str, body: str, more: str = "") -> str:
    """nginx.conf with server a.test:8080 serving TREE/www, `body` inside it, `more` after it."""
    os.makedirs(os.path.join(tree_dir, "www"), exist_ok=True)
    return _write(os.path.join(tree_dir, "nginx.conf"),
                  f"events {{}}\nhttp {{\n    server {{\n        listen 8080;\n        server_name a.test;\n"
                  f"        root {tree_dir}/www;\n{body}    }}\n{more}}}\n")


def _fail_on_server(monkeypatch, name: str) -> None:
    """The access phase raises for one server block (any other keeps the real model)."""
    from confcheck.servers.nginx import decide as nginx_decide

    real = nginx_decide._access

    def access(state):
        if state.server.primary_name == name:
            raise RuntimeError(f"injected failure in {name}")
        return real(state)

    monkeypatch.setattr(nginx_decide, "_access", access)


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_one_failing_server_of_a_2000_server_batch_leaves_the_other_1999_answered(tree_dir, monkeypatch, capsys):
    conf = _many_servers(tree_dir, SERVERS)
    batch = _write(os.path.join(tree_dir, "requests.jsonl"), "".join(
        json.dumps({"url": f"http://s{i}.test:8080/private/x"}) + "\n" for i in range(SERVERS)))
    _fail_on_server(monkeypatch, f"s{BROKEN}.test")
    # the injected failure depends on a server's name, which no decision shared between
    # look-alike servers may (confcheck/why_batch.py): every server is decided in full here
    monkeypatch.setenv("CONFCHECK_NO_SHARING", "1")

    code, out, err = _run(capsys, "why", "--no-fs", "--config", conf, "--batch", batch, "--format", "json")

    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == SERVERS
    broken = answers.pop(BROKEN)
    assert broken["status"] is None
    assert broken["reason"].startswith("internal error: RuntimeError: injected failure in s1234.test")
    assert broken["internal_error"].startswith("RuntimeError: injected failure")
    assert [a["status"] for a in answers] == [403] * (SERVERS - 1)
    assert all(a["decided_by"]["directive"] == "deny" and "internal_error" not in a for a in answers)
    assert code == 3
    read, *lines = err.splitlines()     # the batch says first what it read (confcheck.inputs)
    assert read.startswith("confcheck: read nginx: ")
    assert lines[0].startswith(f"confcheck: internal error: line {BROKEN + 1}: RuntimeError: injected failure")
    assert "1 internal error" in lines[-1] and len(lines) == 2


def test_one_url_with_an_internal_error_is_answered_then_exits_3(tree_dir, monkeypatch, capsys):
    conf = _many_servers(tree_dir, 2)
    _fail_on_server(monkeypatch, "s1.test")
    code, out, err = _run(capsys, "why", "--no-fs", "--config", conf, "--format", "json",
                          "http://s1.test:8080/private/x")
    assert code == 3
    assert json.loads(out)["status"] is None
    assert "internal error: RuntimeError: injected failure in s1.test" in err
    code, out, _ = _run(capsys, "why", "--no-fs", "--config", conf, "--format", "json",
                        "http://s0.test:8080/private/x")
    assert code == 0 and json.loads(out)["status"] == 403


def test_scan_answers_every_other_server_and_names_the_failure(tree_dir, monkeypatch, capsys):
    count = 40
    blocks = "".join(f"    server {{\n        listen 8080;\n        server_name s{i}.test;\n        deny all;\n    }}\n"
                     for i in range(count))
    conf = _write(os.path.join(tree_dir, "nginx.conf"), f"events {{}}\nhttp {{\n{blocks}}}\n")
    code, out, _ = _run(capsys, "scan", "--no-fs", "--no-progress", "--select", "NGX112", "--format", "json", conf)
    assert code == 1 and len(json.loads(out)["findings"]) == count

    _fail_on_server(monkeypatch, "s7.test")
    # the injected failure reads the server's name, which a config-only decision reads only into
    # its texts: probes that read the same configuration share one decision
    # (analyzers/nginx/_decisions.py) and would never reach s7's; decided one by one here
    monkeypatch.setenv("CONFCHECK_NO_SHARING", "1")
    code, out, err = _run(capsys, "scan", "--no-fs", "--no-progress", "--select", "NGX112", "--format", "json", conf)
    doc = json.loads(out)
    assert code == 3
    named = sorted(f["message"].split(":")[0] for f in doc["findings"])
    assert len(named) == count - 1 and not any("s7.test" in m for m in named)
    assert doc["summary"]["internal_errors"] == 1         # one bug, however many probes hit it
    assert all("RuntimeError: injected failure in s7.test" in e["error"] for e in doc["internal_errors"])
    assert "internal error: GET http://127.0.0.1:8080/ (Host s7.test): RuntimeError: injected" in err


def test_a_rule_failing_on_one_configuration_keeps_its_findings_on_the_others(tree_dir, monkeypatch, capsys):
    from confcheck.analyzers.nginx import server_denies_everything as ngx112

    paths = []
    for name in ("one", "two"):
        os.makedirs(os.path.join(tree_dir, name))
        paths.append(_write(os.path.join(tree_dir, name, "nginx.conf"),
                            "events {}\nhttp {\n    server {\n        listen 80;\n        server_name "
                            f"{name}.test;\n        deny all;\n        allow 10.0.0.1;\n    }}\n}}\n"))
    real = ngx112.config_model

    def config_model(ctx, target):
        if "/one/" in target.config.main.source.path:
            raise KeyError("injected")
        return real(ctx, target)

    monkeypatch.setattr(ngx112, "config_model", config_model)
    code, out, err = _run(capsys, "scan", "--no-fs", "--no-progress", "--format", "json", *paths)
    doc = json.loads(out)
    assert code == 3
    rules_by_file = sorted((f["rule"], os.path.basename(os.path.dirname(f["file"]))) for f in doc["findings"])
    # NGX112 still reports the second configuration; the other rules report both
    assert ("NGX112", "two") in rules_by_file and ("NGX112", "one") not in rules_by_file
    assert {("NGX102", "one"), ("NGX102", "two")} <= set(rules_by_file)   # allow-after-deny-all
    [failure] = doc["internal_errors"]
    assert failure["where"].startswith("rule NGX112 (server-denies-everything) on nginx ")
    assert failure["where"].endswith("one/nginx.conf") and failure["error"].startswith("KeyError: 'injected'")
    assert "internal error: rule NGX112" in err


def test_fix_still_offers_its_fixes_and_exits_3(tree_dir, monkeypatch, capsys):
    conf = _site(tree_dir, "        deny all;\n        allow 10.0.0.1;\n")
    _fail_on_server(monkeypatch, "a.test")
    code, out, err = _run(capsys, "fix", "--no-fs", "--diff", conf)
    assert code == 3
    assert "+        allow 10.0.0.1;" in out          # NGX102's fix is still there
    assert "internal error: GET" in err and "injected failure in a.test" in err


# -- every decision ends -----------------------------------------------------------------

def test_error_page_next_to_a_try_files_cycle_answers_500_at_once(tree_dir, capsys):
    """Used to loop forever (nginx answers 500 at once; tests/realserver/scenarios/nginx/termination.yaml)."""
    conf = _site(tree_dir, "        error_page 500 /err.html;\n        location / { try_files $uri /missing.html; }\n")
    code, out, _ = _run(capsys, "why", "--worker-user", "root", "--config", conf, "--format", "json",
                        "http://a.test:8080/x")
    doc = json.loads(out)
    assert code == 0 and doc["status"] == 500
    # worded as nginx logs it (tests/realserver/scenarios/nginx/termination.yaml checks the real line)
    assert 'rewrite or internal redirection cycle while internally redirecting to "/missing.html"' in doc["reason"]
    assert doc["decided_by"]["directive"] == "try_files"


def test_a_decision_over_the_step_budget_is_unknown_not_a_hang(tree_dir, monkeypatch, capsys):
    from confcheck.servers.nginx import decide as nginx_decide

    conf = _many_servers(tree_dir, 1)
    monkeypatch.setattr(nginx_decide, "MAX_STEPS", 2)
    code, out, _ = _run(capsys, "why", "--no-fs", "--config", conf, "--format", "json",
                        "http://s0.test:8080/private/x")
    doc = json.loads(out)
    assert code == 0 and doc["status"] is None
    assert doc["reason"].startswith("the model could not finish this decision in bounded work")


def test_disable_symlinks_from_document_root_is_evaluated_per_request(tree_dir, capsys):
    """The nginx manual's own form used to exit 3 for every request and every server."""
    conf = _site(tree_dir, "        disable_symlinks on from=$document_root;\n",
                 f"    server {{\n        listen 8080;\n        server_name b.test;\n        root {tree_dir}/www;\n    }}\n")
    _write(os.path.join(tree_dir, "www", "a.html"), "a\n")
    os.symlink("a.html", os.path.join(tree_dir, "www", "link.html"))
    batch = _write(os.path.join(tree_dir, "r.jsonl"), "".join(
        json.dumps({"url": f"http://{h}.test:8080/{p}"}) + "\n" for h in "ab" for p in ("a.html", "link.html")))
    code, out, err = _run(capsys, "why", "--worker-user", "root", "--config", conf, "--batch", batch,
                          "--format", "json")
    assert code == 0, err
    assert [json.loads(line)["status"] for line in out.splitlines()] == [200, 403, 200, 200]
    code, out, err = _run(capsys, "scan", "--worker-user", "root", "--no-progress", "--select", "FS107",
                          "--format", "json", conf)
    assert code == 1, err
    assert [f["fs_path"] for f in json.loads(out)["findings"]] == [f"{tree_dir}/www/link.html"]


def test_apache_without_user_uses_the_compiled_default_in_why_as_in_scan(open_dir, capsys):
    """A truncated main config has no User: httpd runs as #-1 (only 'other' counts), never a crash."""
    tree_dir = open_dir
    os.makedirs(os.path.join(tree_dir, "www"))
    for name, mode in (("a.html", 0o644), ("private.html", 0o640)):
        _write(os.path.join(tree_dir, "www", name), "a\n")
        os.chmod(os.path.join(tree_dir, "www", name), mode)
    conf = _write(os.path.join(tree_dir, "httpd.conf"), f"""ServerRoot {tree_dir}
Listen 8080
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
DocumentRoot {tree_dir}/www
<Directory {tree_dir}/www>
    Require all granted
</Directory>
""")
    batch = _write(os.path.join(tree_dir, "r.jsonl"), "".join(
        json.dumps({"url": f"http://localhost:8080/{p}"}) + "\n" for p in ("a.html", "private.html")))
    code, out, err = _run(capsys, "why", "--config", conf, "--batch", batch, "--format", "json")
    assert code == 0, err
    assert [json.loads(line)["status"] for line in out.splitlines()] == [200, 403]


def test_a_disk_without_a_worker_identity_is_unknown_not_a_crash(tree_dir):
    from confcheck.fs.live import LiveFs
    from confcheck.servers.nginx.decide import Model, decide
    from confcheck.servers.nginx.request import Request
    from confcheck.why import WhyOptions, prepare

    prepared = prepare(WhyOptions(configs=[_many_servers(tree_dir, 1)], no_fs=True))
    model = prepared.model
    blind = Model(model.http, LiveFs(None), None, prefix=model.prefix, conf_prefix=model.conf_prefix)
    outcome = decide(blind, Request.parse("http://s0.test:8080/a.html"))
    assert outcome.status is None and "identity is unknown" in outcome.reason
    assert decide(blind, Request.parse("http://s0.test:8080/private/x")).status == 403


@pytest.fixture
def open_dir():
    """A 0755 directory every user can enter (pytest's tmp_path is 0700)."""
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix="confcheck-isolation-", dir="/var/tmp")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def tree_dir(tmp_path):
    return str(tmp_path)

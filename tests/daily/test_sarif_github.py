"""--format sarif (valid SARIF 2.1.0 for code scanning) and --format github."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest

from cc_helpers import SHARED, run_cli
from dailyhelpers import ADMIN_BAD, config_repo, write

SCHEMA = os.path.join(SHARED, "schemas", "sarif-schema-2.1.0.json")


@pytest.fixture(scope="module")
def validator():
    with open(SCHEMA, encoding="utf-8") as fh:
        schema = json.load(fh)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def sarif(cwd, *args):
    proc = run_cli("scan", "--no-fs", "--format", "sarif", *args, cwd=cwd)
    return proc, json.loads(proc.stdout)


def test_sarif_is_valid_and_ready_for_code_scanning(tmp_path, validator):
    repo = config_repo(str(tmp_path))
    proc, doc = sarif(repo, "nginx/nginx.conf")
    assert proc.returncode == 1
    validator.validate(doc)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {"FS101", "NGX102", "CC001"} <= {r["id"] for r in rules}
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert "What it does" in rule["help"]["text"] and "## Example" in rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
    [result] = run["results"]
    assert result["ruleId"] == "NGX102" and result["level"] == "error"
    assert rules[result["ruleIndex"]]["id"] == "NGX102"
    location = result["locations"][0]["physicalLocation"]
    # relative to the repository root, and the real file (not a sites-enabled link)
    assert location["artifactLocation"] == {"uri": "nginx/snippets/admin.conf", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == 2 and location["region"]["startColumn"] == 5
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file://" + repo + "/"
    assert result["partialFingerprints"]["primaryLocationLineHash"]
    assert run["invocations"][0]["executionSuccessful"] is True


def test_a_finding_in_a_symlinked_vhost_cites_the_link_target(tmp_path, validator):
    repo = config_repo(str(tmp_path))
    write(f"{repo}/nginx/sites-available/shop", "server {\n    location /a/ {\n        deny all;\n"
          "        allow 10.0.0.1;\n    }\n}\n")
    proc, doc = sarif(repo, "nginx/nginx.conf")
    validator.validate(doc)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    assert "nginx/sites-available/shop" in uris and not any("sites-enabled" in u for u in uris)


def test_fingerprints_stay_when_unrelated_lines_move(tmp_path):
    repo = config_repo(str(tmp_path))
    _, before = sarif(repo, "nginx/nginx.conf")
    write(f"{repo}/nginx/snippets/admin.conf", "# a comment\n\n" + ADMIN_BAD.replace("location", "location  "))
    _, after = sarif(repo, "nginx/nginx.conf")
    [a], [b] = before["runs"][0]["results"], after["runs"][0]["results"]
    assert a["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert b["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert a["partialFingerprints"] == b["partialFingerprints"]
    write(f"{repo}/nginx/snippets/admin.conf", ADMIN_BAD.replace("10.0.0.0/8", "10.0.0.0/8;\n    allow 172.16.0.0/12"))
    write(f"{repo}/nginx/sites-available/shop", open(f"{repo}/nginx/sites-available/shop").read()
          + "server {\n    location /b/ {\n        deny all;\n        allow 10.0.0.1;\n    }\n}\n")
    _, two = sarif(repo, "nginx/nginx.conf")
    prints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in two["runs"][0]["results"]]
    assert len(set(prints)) == len(prints) == 2


def test_parse_errors_make_the_run_unsuccessful_and_still_valid(tmp_path, validator):
    conf = write(f"{tmp_path}/nginx.conf", "events {}\nhttp {\n    server {\n")
    proc, doc = sarif(str(tmp_path), "nginx.conf")
    assert proc.returncode == 2
    validator.validate(doc)
    invocation = doc["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["level"] == "error"
    assert conf


def test_github_annotations(tmp_path):
    repo = config_repo(str(tmp_path))
    proc = run_cli("scan", "--no-fs", "--format", "github", "nginx/nginx.conf", cwd=repo)
    assert proc.returncode == 1
    [line] = proc.stdout.decode().splitlines()
    assert line.startswith("::error file=nginx/snippets/admin.conf,line=2,col=5,endLine=2,")
    assert ",title=NGX102 allow-after-deny-all::" in line
    assert proc.stderr == b""


def test_github_escapes_newlines_and_percent():
    from confcheck.output.github import _escape_data, _escape_property
    assert _escape_data("50%\nnext") == "50%25%0Anext"
    assert _escape_property("a:b,c") == "a%3Ab%2Cc"

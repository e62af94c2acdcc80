"""The SecRule reader: every rule file of the installed CRS reads without a diagnostic,
and each target, operator and action carries the span of its exact bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from machine_copy import CRS, need_waf_packages

from confcheck.parsers import secrule
from confcheck.parsers.apache_parser import parse_apache
from confcheck.source import Diagnostics, SourceFile


def _read(path: str, data: bytes):
    diags = Diagnostics()
    parsed = parse_apache(SourceFile(path, data), diags)
    return parsed, secrule.read_statements(parsed.nodes, diags), diags


def _crs_files() -> list[Path]:
    need_waf_packages()
    files = sorted(CRS.glob("*.conf")) + [Path("/etc/modsecurity/crs/crs-setup.conf")]
    assert len(files) > 20
    return files


def test_every_crs_rule_file_reads_with_every_piece_at_its_bytes():
    rules = 0
    for path in _crs_files():
        data = path.read_bytes()
        parsed, statements, diags = _read(str(path), data)
        assert [str(d) for d in diags.items] == [], path
        for node in parsed.nodes:
            if node.key not in secrule.RULE_LANGUAGE:
                continue
            for arg in node.args:
                word = secrule.arg_text(arg)
                # each character of the value the engine sees sits at its offset in the file
                for i, ch in enumerate(word.text):
                    at = word.offsets[i]
                    assert data[at:at + len(ch.encode())] == ch.encode(), (path, node.line)
        for stmt in statements:
            if isinstance(stmt, secrule.Rule):
                rules += 1
                assert stmt.id is not None, (path, stmt.node.line)
                for action in stmt.actions:
                    assert action.span.text.startswith(action.name)
                    if action.value is not None and not action.quoted:
                        assert action.value_span.text == action.value
    assert rules > 500


def test_942100_as_the_crs_writes_it():
    path = CRS / "REQUEST-942-APPLICATION-ATTACK-SQLI.conf"
    _crs_files()
    data = path.read_bytes()
    _, statements, _ = _read(str(path), data)
    rule = next(s for s in statements if isinstance(s, secrule.Rule) and s.id == 942100)
    lines = data.decode().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("SecRule") and "detectSQLi" in text)
    assert (rule.node.line, rule.operator, rule.phase, rule.paranoia_level) == (line, "detectSQLi", 2, 1)
    args = next(t for t in rule.targets if t.collection == "ARGS")
    assert (args.span.line, args.span.column) == (line, lines[line - 1].index("|ARGS|") + 2)
    ident = rule.action("id")
    assert (ident.span.line, ident.span.text, ident.value_span.text) == (line + 1, "id:942100", "942100")
    assert rule.msg == "SQL Injection Attack Detected via libinjection"
    assert "attack-sqli" in rule.tags and rule.disruptive == "block"


CASES = b"""\
SecRule REQUEST_URI "@beginsWith /wp-admin/post.php" \\
    "id:1000,phase:1,pass,nolog,ctl:ruleRemoveTargetById=942100;ARGS:content,msg:'it\\\\'s, fine'"
SecRule &ARGS:x "!@eq 0" "id:1001,chain,deny"
    SecRule ARGS:x "^a|b$" "t:none"
SecRuleRemoveById 942100 942110-942190
SecRuleUpdateTargetById 942100 "!ARGS:content"
SecRuleRemoveByTag "attack-sqli"
SecMarker "END-HOST-CHECK"
SecRule ARGS "@rx x" "id:1002,msg:'unclosed"
"""


def test_the_language_pieces_and_their_spans():
    _, statements, diags = _read("/etc/modsecurity/local.conf", CASES)
    rule, chained, remove, update, by_tag, marker, broken = statements
    ctl = rule.ctls()[0]
    assert (ctl.option, ctl.value, ctl.target) == ("ruleRemoveTargetById", "942100", "ARGS:content")
    assert ctl.action.span.text == "ctl:ruleRemoveTargetById=942100;ARGS:content"
    assert ctl.action.span.line == 2 and ctl.action.span.column == 33
    assert rule.msg == "it's, fine" and rule.phase == 1
    assert chained.id == 1001 and [c.operator for c in chained.chain] == ["rx"]
    assert chained.targets[0].count and chained.negated and chained.operator == "eq"
    assert chained.chain[0].operator_arg == "^a|b$"
    assert [v for v, _ in remove.values] == ["942100", "942110-942190"]
    assert remove.matches(rule_with_id(statements, 1000)) is False
    assert secrule.id_in("942110-942190", 942150) and not secrule.id_in("942110-942190", 942100)
    assert update.targets[0].exclude and update.targets[0].text == "!ARGS:content"
    assert by_tag.by == "tag" and marker.name == "END-HOST-CHECK"
    # the unclosed quote is named at its place, and the rule keeps what was readable
    assert broken.id == 1002
    (problem,) = diags.items
    assert "missing closing quote" in problem.message and problem.span.line == 9


def rule_with_id(statements, ident):
    return next(s for s in statements if isinstance(s, secrule.Rule) and s.id == ident)


@pytest.mark.parametrize("text", [b"SecRule ARGS\n", b"SecAction\n", b"SecRuleUpdateTargetById 1\n"])
def test_short_statements_are_left_to_the_arity_check(text):
    _, statements, diags = _read("x.conf", text)
    assert statements == [] and diags.items == []

"""Rule documentation (rules table, rule ID, docs/rules in sync) and help/usage errors."""

from __future__ import annotations

import os

import pytest

from cc_helpers import REPO, run_cli

from confcheck.registry import load_rules
from confcheck.ruledocs import out_of_date


def test_docs_rules_are_in_sync_with_the_rules():
    stale = out_of_date(os.path.join(REPO, "docs", "rules"), load_rules())
    assert stale == [], "run `python -m confcheck.ruledocs` to regenerate: " + ", ".join(stale)


def test_every_rule_documents_example_fix_and_references():
    for rule in load_rules().all():
        doc = rule.doc
        assert doc.what and doc.why and doc.example and doc.fixed and doc.fix_safety, rule.id
        assert doc.references, f"{rule.id} has no reference to the server's documentation"


def test_rules_table_has_id_name_severity_fixable():
    proc = run_cli("rules")
    lines = proc.stdout.decode().splitlines()
    assert lines[0].split()[:4] == ["ID", "NAME", "SEVERITY", "FIX"]
    assert any(line.split()[:4] == ["NGX101", "acme-challenge-denied", "error", "yes"] for line in lines)
    assert any(line.startswith("CC001 ") for line in lines)


def test_rule_prints_every_section():
    out = run_cli("rule", "NGX102").stdout.decode()
    for section in ("What it does", "Why the server answers this way", "Example", "Use instead",
                    "Fix safety", "References", "https://nginx.org/"):
        assert section in out
    assert run_cli("rule", "allow-after-deny-all").stdout.decode() == out


def _commands():
    from typer.main import get_command
    from confcheck.cli import app
    group = get_command(app)
    return group, sorted(group.commands.items())


def test_every_command_and_option_has_help_and_the_command_an_example():
    _, commands = _commands()
    for name, command in commands:
        assert command.help, name
        assert "Example" in (command.epilog or ""), f"{name} has no example"
        for param in command.params:
            if param.name in ("help",):
                continue
            assert getattr(param, "help", None), f"{name} {param.name} has no help"


def test_every_scan_option_has_an_example():
    group, _ = _commands()
    for param in group.commands["scan"].params:
        if param.param_type_name == "option" and param.name != "help":
            assert "Example:" in param.help, param.name


@pytest.mark.parametrize("args", [
    ["scan", "--format", "xml"],
    ["scan", "--bogus"],
    ["scan", "--select", "NOPE", "x.conf"],
    ["scan", "--no-fs", "--fs-snapshot", "a.json", "x.conf"],
    ["rule"],
    ["rule", "NOPE1"],
    ["nosuchcommand"],
])
def test_argument_mistakes_give_one_line_and_exit_2(args):
    proc = run_cli(*args)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("confcheck: "), err
    assert "Traceback" not in err

"""The small ModSecurity file reader the replay uses for nginx's rule files."""

from __future__ import annotations

import os

import pytest

from confcheck.waf_replay.rulefile import RuleFileError, logical_lines, read_items, whole_file


def test_continuations_comments_and_blank_lines():
    text = '# c\n\nSecRule ARGS "@rx a" \\\n    "id:1,phase:2,deny"\nSecRuleEngine On\n'
    assert list(logical_lines(text)) == [(3, 'SecRule ARGS "@rx a" \\\n    "id:1,phase:2,deny"'),
                                         (5, "SecRuleEngine On")]


def test_includes_are_relative_to_the_including_file_and_sorted(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "b.conf").write_text('SecRule ARGS "b" "id:2"\n')
    (tmp_path / "rules" / "a.conf").write_text('SecRule ARGS "a" "id:1"\n')
    main = tmp_path / "main.conf"
    main.write_text("SecRuleEngine On\nInclude rules/*.conf\n")
    items = read_items(str(main))
    assert [(os.path.basename(i.file), i.line, i.key) for i in items] == [
        ("main.conf", 1, "secruleengine"), ("a.conf", 1, "secrule"), ("b.conf", 1, "secrule")]
    assert whole_file(str(tmp_path / "rules" / "a.conf"))
    assert not whole_file(str(main))           # it includes: copied directive by directive


def test_a_file_that_writes_somewhere_is_never_included_whole(tmp_path):
    f = tmp_path / "modsecurity.conf"
    f.write_text("SecRuleEngine On\nSecAuditLog /var/log/modsec_audit.log\n")
    assert not whole_file(str(f))


def test_missing_include_is_an_error(tmp_path):
    main = tmp_path / "main.conf"
    main.write_text("Include nowhere.conf\n")
    with pytest.raises(RuleFileError, match="no such file"):
        read_items(str(main))

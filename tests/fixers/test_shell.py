"""Quoting is correct for any bytes a name can hold: checked by a real sh."""

from __future__ import annotations

import os
import subprocess

import pytest

from confcheck.fixers.shell import display, encode_script, join, quote, quote_path

HOSTILE = ["plain", "a b", "new\nline", "q'uote", "''", 'd"q', "$(touch PWNED)", "`touch PWNED`",
           "-rf", "--", "*", "?", "[a]", "x;touch PWNED", "back\\slash", "tab\there", "$HOME",
           "!bang", "{}", "~", "é", "\u202eevil", os.fsdecode(b"\xff\xfe-latin1"), "a\rb", ""]


@pytest.mark.parametrize("word", HOSTILE)
def test_quote_round_trips_through_sh(word, tmp_path):
    # (tmp_path is fine here: nothing is checked as another user)
    script = encode_script(f"printf '%s' {quote(word)}\n")
    (tmp_path / "q.sh").write_bytes(script)
    res = subprocess.run(["sh", str(tmp_path / "q.sh")], cwd=tmp_path, capture_output=True, check=True)
    assert res.stdout == os.fsencode(word)
    assert not (tmp_path / "PWNED").exists()


def test_quote_keeps_plain_words_bare_and_quotes_the_rest():
    assert quote("/srv/www/index.html") == "/srv/www/index.html"
    assert quote("u:www-data:--x,m::--x") == "u:www-data:--x,m::--x"
    assert quote("a b") == "'a b'"
    assert quote("it's") == "'it'\\''s'"
    assert quote("") == "''"
    assert join(["chmod", "o+x", "/a b"]) == "chmod o+x '/a b'"


def test_quote_path_refuses_relative_paths():
    with pytest.raises(ValueError):
        quote_path("-rf")
    assert quote_path("/-rf") == "/-rf"


@pytest.mark.parametrize("word", HOSTILE)
def test_display_is_one_safe_line(word):
    text = display(word)
    assert "\n" not in text and "\r" not in text and "\u202e" not in text
    assert text.isprintable()
    text.encode("utf-8")        # no lone surrogates left


def test_display_escapes():
    assert display("a\nb") == "a\\nb"
    assert display(os.fsdecode(b"\xff")) == "\\xff"
    assert display("back\\slash") == "back\\\\slash"

"""The tokenizer follows ngx_conf_read_token, byte for byte."""

from __future__ import annotations

import random
import re

import pytest

from confcheck.parsers import nginx_lexer
from confcheck.parsers.nginx_lexer import (
    COMMENT, ERROR, LBRACE, LUA, RBRACE, SEMI, STMT, WORD, tokenize, unescape,
)


def words(data: bytes) -> list[tuple]:
    return [(t[3], t[4]) for t in tokenize(data) if t[0] == WORD]


def kinds(data: bytes) -> list[int]:
    return [t[0] for t in tokenize(data)]


def errors(data: bytes) -> list[tuple[int, str]]:
    return [(t[1], t[3]) for t in tokenize(data) if t[0] == ERROR]


def test_punctuation_and_words():
    assert kinds(b"a b;c{d;}") == [WORD, WORD, SEMI, WORD, LBRACE, WORD, SEMI, RBRACE]


def test_hash_inside_word_is_literal_and_starts_comment_only_at_token_start():
    toks = list(tokenize(b"foo#bar #real comment\nx;"))
    assert toks[0][:4] == (WORD, 0, 7, "foo#bar")
    assert toks[1][0] == COMMENT and toks[1][3] == "real comment"
    assert words(b"location ~* (?:#.*#|x) {}") == [("location", None), ("~*", None), ("(?:#.*#|x)", None)]


def test_variable_braces_do_not_end_a_word():
    # crossplane merges these into one token '${y} "${x}z"'
    assert words(b'set ${y} "${x}z";') == [("set", None), ("${y}", None), ("${x}z", '"')]
    assert words(b"a ${{b}};") == [("a", None), ("${{b}}", None)]
    # without "$" a "{" ends the word and opens a block
    assert kinds(b"a b{") == [WORD, WORD, LBRACE]


def test_closing_brace_inside_word_is_literal():
    assert words(b"a b};") == [("a", None), ("b}", None)]


@pytest.mark.parametrize("raw, value", [
    (rb'"a\"b"', 'a"b'),
    (rb"'a\'b'", "a'b"),
    (rb'"a\\b"', "a\\b"),
    (rb'"a\tb\nc\rd"', "a\tb\nc\rd"),
    (rb'a\tb', "a\tb"),          # unquoted words are unescaped too (nginx does)
    (rb'"a\xb"', "a\\xb"),        # unknown escapes stay
    (rb"a\ b", "a\\ b"),  # "\ " is not an nginx escape: kept, but the space is protected
])
def test_nginx_unescaping(raw, value):
    assert words(raw + b";")[0][0] == value


def test_backslash_protects_separators():
    assert words(rb"a\;b;") == [("a\\;b", None)]


def test_unescape_helper_matches_pairs_left_to_right():
    assert unescape(rb"\\n") == "\\n"
    assert unescape(b"\\") == "\\"


def test_character_after_closing_quote_is_an_error():
    assert errors(b"user 'it''s';") == [(9, "unexpected \"'\"")]
    # and lexing goes on as if a space were there (crossplane's split)
    assert words(b"user 'it''s';")[1:] == [("it", "'"), ("s", "'")]


def test_paren_after_quote_starts_a_new_word():
    assert words(b'if ($a = "b") {}') == [("if", None), ("($a", None), ("=", None), ("b", '"'), (")", None)]
    assert errors(b'if ($a = "b") {}') == []


def test_unterminated_quote_reports_at_the_quote():
    errs = errors(b'root "/var/www;\n}')
    assert errs == [(5, 'unexpected end of file, missing terminating " character')]


def test_bom_is_glued_to_the_first_word_as_nginx_reads_it():
    # nginx 1.22: 'unknown directive "\ufeffhttp"' (the validator reports it)
    toks = list(tokenize(b"\xef\xbb\xbfhttp {}"))
    assert toks[0][:4] == (WORD, 0, 7, "\ufeffhttp")


def test_crlf_and_comment_without_cr():
    toks = list(tokenize(b"# c\r\na b;\r\n"))
    assert toks[0][:4] == (COMMENT, 0, 3, " c")
    assert words(b"a\r\nb;\r\n") == [("a", None), ("b", None)]


def test_non_utf8_bytes_survive():
    toks = list(tokenize(b"return 200 \"M\xf6lln\";"))
    assert toks[2][3] == "M\udcf6lln"
    assert toks[2][3].encode("utf-8", "surrogateescape") == b"M\xf6lln"


def test_lua_block_is_one_raw_token_and_skips_lua_strings_and_comments():
    src = b'content_by_lua_block { local s = "}" -- } here\n  local t = {a=[[}]]} }\nnext x;'
    toks = list(tokenize(src))
    lua = [t for t in toks if t[0] == LUA][0]
    body_start, body_end, closed = lua[4]
    assert closed
    assert src[body_start:body_end] == b' local s = "}" -- } here\n  local t = {a=[[}]]} '
    assert lua[3] == src[body_start:body_end].decode()
    assert words(src)[-2:] == [("next", None), ("x", None)]


def test_lua_name_only_matters_in_directive_position():
    assert LUA not in kinds(b"server_name content_by_lua_block;\nupstream content_by_lua_block { }")
    assert LUA in kinds(b'"rewrite_by_lua_block" { a = { } }')


def test_unclosed_lua_block_is_reported():
    toks = list(tokenize(b"init_by_lua_block { if x then"))
    assert toks[-1][0] == ERROR and toks[-1][3] == 'unexpected end of file, expecting "}"'


# --- runs of plain words ------------------------------------------------------

def _one_token_at_a_time(data: bytes) -> list[tuple]:
    """lex() with the run alternative switched off: one match per token, the
    path that follows ngx_conf_read_token for every byte."""
    pattern = nginx_lexer._PATTERN.replace("(?:(", "(?:(?!)(", 1)
    if data.isascii():
        return nginx_lexer._lex(data, data.decode("ascii"), re.compile(pattern), None)
    return nginx_lexer._lex(data, data, re.compile(pattern.encode("ascii")), None)


def _plain(items: list[tuple]) -> list[tuple]:
    out = []
    for item in items:
        if item[0] == STMT:
            args = [(a.raw, a.value, a.quote, a._start, a._end) for a in item[7]]
            item = item[:7] + (args,) + item[8:]
        out.append(item)
    return out


RUN_CASES = [
    b"listen 80 default_server;\nserver_name a b\tc\r\n d;",
    b"location / {\n  try_files $uri $uri/ =404;\n}\n",
    b"a$ {x;}", b"a ${b} c;", b"a b${c};", b"a b\\;c;", b"a b#c d;", b"a b #c\n d;",
    b"a b}c;", b"a b} c;", b'a b"c" d;', b"a 'b' c;", b"a b\x0cc;", b"a b\x1fc;",
    b"a b", b"a b ", b"a b\n", b"\xef\xbb\xbfa b;", b"a b \xff c;", b"caf\xc3\xa9 b;",
    b"content_by_lua_block { ngx.say('}') }\nx y;", b"a {b;} c d {", b";a b;", b"{a b}",
    b"if ($a = b) { return 403; }", b'if ($a = "b") {}', b"a\tb\t;\tc {",
]


@pytest.mark.parametrize("data", RUN_CASES)
def test_runs_of_plain_words_lex_as_one_token_at_a_time(data):
    assert _plain(nginx_lexer.lex(data)) == _plain(_one_token_at_a_time(data))


def test_runs_lex_real_and_mutated_configs_as_one_token_at_a_time():
    from nginx_helpers import corpus_files
    rnd = random.Random(14)
    pieces = [b";", b"{", b"}", b'"', b"'", b"\\", b"#", b" ", b"\n", b"$", b"${", b"\x0c", b"\xff", b"x"]
    for path in corpus_files():
        data = path.read_bytes()
        assert _plain(nginx_lexer.lex(data)) == _plain(_one_token_at_a_time(data)), path
        for _ in range(5):
            mutated = bytearray(data)
            for _ in range(3):
                at = rnd.randrange(len(mutated) + 1)
                mutated[at:at + rnd.randint(0, 2)] = rnd.choice(pieces)
            mutated = bytes(mutated)
            assert _plain(nginx_lexer.lex(mutated)) == _plain(_one_token_at_a_time(mutated)), (path, mutated)

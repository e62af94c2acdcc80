"""Tree shape, exact spans and error recovery of the nginx parser."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from confcheck.parsers.syntax import Node
from nginx_helpers import diag_tuples, parse_bytes


def names(nodes: list[Node]) -> list:
    return [(n.name, [names(n.children)] if n.children is not None else n.values) for n in nodes]


def all_nodes(nodes):
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children or ())


def assert_spans_exact(parsed) -> None:
    data = parsed.source.data
    for node in all_nodes(parsed.nodes):
        assert 0 <= node.span.start <= node.span.end <= len(data)
        assert node.name_span.start == node.span.start
        for arg in node.args:
            assert node.span.start <= arg.span.start <= arg.span.end <= node.span.end
            assert data[arg.span.start:arg.span.end].decode("utf-8", "surrogateescape") == arg.raw
        if node.header_span is not None:
            assert data[node.header_span.end - 1:node.header_span.end] == b"{"
        if node.close_span is not None:
            assert data[node.close_span.start:node.close_span.end] == b"}"
            assert node.span.end == node.close_span.end
        for child in node.children or ():
            assert child.parent is node
            assert node.span.start <= child.span.start and child.span.end <= node.span.end
    for comment in parsed.comments:
        raw = data[comment.span.start:comment.span.end].decode("utf-8", "surrogateescape")
        assert raw == "#" + comment.text


def test_simple_tree_with_spans():
    src = b"http {\n    server {\n        listen 80;\n    }\n}\n"
    parsed, diags = parse_bytes(src)
    assert not diags.items
    assert names(parsed.nodes) == [("http", [[("server", [[("listen", ["80"])]])]])]
    http = parsed.nodes[0]
    assert (http.span.start, http.span.end) == (0, len(src) - 1)
    assert src[http.header_span.start:http.header_span.end] == b"http {"
    listen = http.children[0].children[0]
    assert listen.span.text == "listen 80;"
    assert (listen.line, listen.column) == (3, 9)
    assert listen.parent.name == "server" and listen.via is None
    assert_spans_exact(parsed)


def test_quoted_args_keep_raw_value_and_quote():
    parsed, _ = parse_bytes(b"""add_header X "a \\"b\\"" 'c';""")
    arg1, arg2 = parsed.nodes[0].args[1:]
    assert (arg1.raw, arg1.value, arg1.quote) == ('"a \\"b\\""', 'a "b"', '"')
    assert (arg2.raw, arg2.value, arg2.quote) == ("'c'", "c", "'")
    assert_spans_exact(parsed)


def test_if_parentheses_are_stripped_like_nginx_with_exact_spans():
    src = b"if ($request_method !~ ^(GET|HEAD|POST)$ ) { return 405; }"
    parsed, diags = parse_bytes(src)
    node = parsed.nodes[0]
    assert node.values == ["$request_method", "!~", "^(GET|HEAD|POST)$"]
    assert node.args[0].raw == "$request_method"
    assert src[node.args[0].span.start - 1:node.args[0].span.start] == b"("
    assert not diags.items
    parsed, _ = parse_bytes(b'if ( $http_x = "a b" ) { }')
    assert parsed.nodes[0].values == ["$http_x", "=", "a b"]
    parsed, _ = parse_bytes(b"if ($slow) { }")
    assert parsed.nodes[0].values == ["$slow"]
    assert parsed.nodes[0].args[0].raw == "$slow"
    assert_spans_exact(parsed)


def test_map_and_types_entries_are_child_nodes():
    parsed, diags = parse_bytes(b"map $a $b {\n default \"\";\n '~Opera Mini' 1;\n hostnames;\n}\n"
                                b"types { text/html html htm; }")
    assert not diags.items
    assert names(parsed.nodes) == [
        ("map", [[("default", [""]), ("~Opera Mini", ["1"]), ("hostnames", [])]]),
        ("types", [[("text/html", ["html", "htm"])]]),
    ]
    entry = parsed.nodes[0].children[1]
    assert entry.name_span.text == "'~Opera Mini'"


def test_lua_block_is_a_directive_with_a_raw_body_arg():
    src = b"location / {\n  content_by_lua_block {\n    ngx.say('}')\n  }\n}\n"
    parsed, diags = parse_bytes(src)
    assert not diags.items
    lua = parsed.nodes[0].children[0]
    assert lua.name == "content_by_lua_block" and lua.children is None
    assert lua.args[0].value == "\n    ngx.say('}')\n  "
    assert lua.span.text.endswith("}") and lua.span.end_line == 4
    assert_spans_exact(parsed)


def test_comments_with_own_line_flag():
    parsed, _ = parse_bytes(b"# top\nuser www; # trailing\n  # indented\n")
    assert [(c.text, c.own_line, c.span.line) for c in parsed.comments] == [
        (" top", True, 1), (" trailing", False, 2), (" indented", True, 3)]


def test_comment_at_eof_without_newline_is_kept():
    # crossplane drops it (parsers.md)
    parsed, _ = parse_bytes(b"user www;\n# last")
    assert [c.text for c in parsed.comments] == [" last"]


def test_columns_count_characters_not_bytes():
    parsed, _ = parse_bytes("set $x \"é€😀\"; root /x;".encode())
    root = parsed.nodes[1]
    assert root.column == 15
    assert root.span.start == len("set $x \"é€😀\"; ".encode())


def test_bom_crlf_and_non_utf8():
    parsed, diags = parse_bytes(b"\xef\xbb\xbfuser www;\r\nreturn 200 \"\xff\";\r\n")
    assert not diags.items
    # the BOM is glued to the name, as nginx reads it (the validator refuses "\ufeffuser")
    assert [n.name for n in parsed.nodes] == ["\ufeffuser", "return"]
    assert parsed.nodes[0].span.start == 0 and parsed.nodes[0].column == 1
    assert parsed.nodes[1].args[1].raw.encode("utf-8", "surrogateescape") == b'"\xff"'
    assert_spans_exact(parsed)


# --- errors and recovery ----------------------------------------------------

def test_missing_semicolon_before_brace():
    src = b"server {\n    root /x\n}\nserver { listen 81; }\n"
    parsed, diags = parse_bytes(src)
    assert diag_tuples(diags) == [(3, 1, 'unexpected "}"')]
    assert names(parsed.nodes) == [("server", [[("root", ["/x"])]]), ("server", [[("listen", ["81"])]])]


def test_unexpected_closing_brace_at_top_is_skipped():
    parsed, diags = parse_bytes(b"user a;\n}\nworker_processes 1;\n")
    assert diag_tuples(diags) == [(2, 1, 'unexpected "}"')]
    assert [n.name for n in parsed.nodes] == ["user", "worker_processes"]


def test_semicolon_and_brace_without_name():
    parsed, diags = parse_bytes(b"http {\n ;\n { a 1; }\n b 2;\n}\n")
    assert diag_tuples(diags) == [(2, 2, 'unexpected ";"'), (3, 2, 'unexpected "{"')]
    assert names(parsed.nodes) == [("http", [[("a", ["1"]), ("b", ["2"])]])]


def test_eof_with_pending_statement_keeps_it():
    # crossplane: error '' with line None, and 'nginx' is lost
    parsed, diags = parse_bytes(b"user nginx")
    assert diag_tuples(diags) == [(1, 1, 'unexpected end of file, expecting ";" or "}"')]
    assert parsed.nodes[0].values == ["nginx"]


def test_unterminated_block_points_at_the_block():
    parsed, diags = parse_bytes(b"events {}\nhttp {\n  server {\n    listen 80;\n  }\n")
    assert diag_tuples(diags) == [(2, 1, 'unexpected end of file, expecting "}"')]
    http = parsed.nodes[1]
    assert http.close_span is None and http.span.text.endswith("}")


def test_unclosed_location_is_blamed_not_http():
    src = (b"http {\n  server {\n    location / {\n      root /x;\n  }\n"
           b"  location /b { }\n}\n")
    parsed, diags = parse_bytes(src)
    assert diag_tuples(diags) == [(3, 5, 'unexpected end of file, expecting "}"')]


def test_unclosed_block_does_not_swallow_later_servers():
    src = (b"http {\n"
           b"  server {\n"
           b"    server_name a;\n"
           b"    location / {\n"
           b"      root /a;\n"
           b"  }\n"
           b"  server {\n"
           b"    server_name b;\n"
           b"  }\n"
           b"}\n")
    parsed, diags = parse_bytes(src)
    assert diag_tuples(diags) == [
        (4, 5, '"location" block is not closed: expecting "}" before "server" at line 7')]
    http = parsed.nodes[0]
    assert [n.name for n in http.children] == ["server", "server"]
    assert http.children[1].children[0].values == ["b"]
    assert http.close_span is not None


def test_nested_http_resyncs_to_top():
    src = b"http {\n  server {\n\nhttp {\n}\n"
    parsed, diags = parse_bytes(src)
    assert [n.name for n in parsed.nodes] == ["http", "http"]
    assert diag_tuples(diags)[0][:2] == (2, 3)


def test_quote_errors():
    _, diags = parse_bytes(b"user 'it''s';\n")
    assert diag_tuples(diags) == [(1, 10, "unexpected \"'\"")]
    _, diags = parse_bytes(b'root "/var/www;\nindex x;\n')
    assert diag_tuples(diags) == [(1, 6, 'unexpected end of file, missing terminating " character')]
    _, diags = parse_bytes(b'http { root "/x"}\n')
    assert diag_tuples(diags) == [(1, 17, 'unexpected "}"')]


# --- properties -------------------------------------------------------------

_ALPHABET = st.sampled_from([b" ", b"\n", b"\r\n", b"\t", b";", b"{", b"}", b"#", b'"', b"'",
                             b"\\", b"$", b"${", b"(", b")", b"a", b"if", b"http", b"server",
                             b"location", b"include", b"content_by_lua_block", b"--", b"[[",
                             b"]]", b"\xef\xbb\xbf", b"\xff", "é".encode(), b"x y;"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=200), st.lists(_ALPHABET, max_size=60).map(b"".join)))
def test_any_bytes_parse_without_exception_and_spans_slice_back(data):
    parsed, diags = parse_bytes(data)
    assert_spans_exact(parsed)
    for diag in diags.items:
        assert 0 <= diag.span.start <= diag.span.end <= len(data)
        assert isinstance(str(diag), str)


def test_deep_nesting_does_not_recurse():
    data = b"a {" * 5000 + b"}" * 5000
    parsed, diags = parse_bytes(data)
    assert not diags.items
    assert len(list(all_nodes(parsed.nodes))) == 5000

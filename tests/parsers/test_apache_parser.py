"""The Apache line reader: httpd's own word, comment, continuation and section rules."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from confcheck.parsers.apache_parser import parse_apache, unclosed_sections
from confcheck.source import Diagnostics, SourceFile
from apache_helpers import all_nodes, assert_spans_exact, diag_tuples, parse_bytes


def one(data: bytes):
    parsed, diags = parse_bytes(data)
    assert diags.items == []
    assert_spans_exact(parsed)
    assert len(parsed.nodes) == 1
    return parsed.nodes[0]


def test_hash_mid_line_is_an_argument():
    node = one(b"Require ip 10.0.0.1 # office\n")
    assert node.values == ["ip", "10.0.0.1", "#", "office"]


def test_indexignore_keeps_all_eight_args():
    node = one(b"IndexIgnore .??* *~ *# RCS CVS *,v *,t\n")
    assert node.values == [".??*", "*~", "*#", "RCS", "CVS", "*,v", "*,t"]
    assert len(node.args) + 1 == 8  # the name and its 7 words, as parsers.md counts them


def test_h5bp_expr_with_hash_is_one_quoted_arg():
    line = b'Header always set X-Frame-Options "DENY" "expr=%{CONTENT_TYPE} =~ m#text/html#i"\n'
    node = one(line)
    assert node.values[-1] == "expr=%{CONTENT_TYPE} =~ m#text/html#i"
    assert node.args[-1].quote == '"'
    assert node.args[-1].raw == '"expr=%{CONTENT_TYPE} =~ m#text/html#i"'


def test_quoted_alias_paths_with_spaces():
    node = one(b'Alias "/my docs" "/var/www/my docs"\n')
    assert node.values == ["/my docs", "/var/www/my docs"]
    assert [a.quote for a in node.args] == ['"', '"']


def test_comment_only_at_line_start_and_continues_with_backslash():
    parsed, diags = parse_bytes(b"  # a comment \\\nstill comment\nListen 80\n")
    assert diags.items == []
    assert [n.name for n in parsed.nodes] == ["Listen"]
    assert parsed.comments[0].span.text == "# a comment \\\nstill comment"
    assert parsed.comments[0].own_line


def test_continuation_span_covers_all_lines_and_joins_without_space():
    data = b"AddCharset utf-8 .css.gz \\\n     .ics.gz \\\r\n  .js.gz\nfoo a\\\nb\n"
    parsed, diags = parse_bytes(data)
    assert diags.items == []
    assert_spans_exact(parsed)
    add, foo = parsed.nodes
    assert add.values == ["utf-8", ".css.gz", ".ics.gz", ".js.gz"]
    assert add.span.text == "AddCharset utf-8 .css.gz \\\n     .ics.gz \\\r\n  .js.gz"
    assert (add.span.line, add.span.end_line) == (1, 3)
    # httpd removes backslash-newline and glues the lines: one word "ab"
    assert foo.values == ["ab"]
    assert foo.args[0].raw == "a\\\nb"


def test_backslash_before_space_is_no_continuation():
    parsed, _ = parse_bytes(b"A x\\ \nB y\n")
    assert [n.name for n in parsed.nodes] == ["A", "B"]
    assert parsed.nodes[0].values == ["x\\"]


def test_getword_conf_escapes():
    node = one(b"""X "q\\"x\\\\y\\n" 's\\'t' un\\\\q\\" a"b c"d "x"y\n""")
    # inside quotes only \\<quote> and \\\\; outside, \\\\ still halves; a quote inside
    # a word is literal; a word may follow a closing quote directly
    assert node.values == ['q"x\\y\\n', "s't", 'un\\q\\"', 'a"b', 'c"d', "x", "y"]


def test_unterminated_quote_runs_to_end_of_line():
    node = one(b'X "open quote here\nY z\n'.split(b"\n")[0] + b"\n")
    assert node.values == ["open quote here"]


def test_case_insensitive_keys_and_section_closing():
    parsed, diags = parse_bytes(b"<directory /x>\nOPTIONS None\n</DIRECTORY>\n")
    assert diags.items == []
    block = parsed.nodes[0]
    assert block.key == "directory" and block.children[0].key == "options"
    assert block.close_span.text == "</DIRECTORY>"


def test_sections_header_and_close_spans():
    data = (b'<Directory "/var/www/my docs">\n'
            b'  <FilesMatch "^\\.">\n    Require all denied\n  </FilesMatch>\n'
            b'  <Files ~ "\\.(htaccess|htpasswd)$">\n  </Files>\n'
            b"</Directory>\n"
            b"<If \"%{HTTP_HOST} == 'x'\">\n</If>\n<ElseIf \"-z %{X} && %{Y} > 1\">\n</ElseIf>\n"
            b"<Else>\n</Else>\n")
    parsed, diags = parse_bytes(data)
    assert diags.items == []
    assert_spans_exact(parsed)
    d, if_, elif_, else_ = parsed.nodes
    assert d.name == "Directory" and d.values == ["/var/www/my docs"]
    assert d.header_span.text == '<Directory "/var/www/my docs">'
    assert d.close_span.text == "</Directory>"
    fm, files = d.children
    assert fm.values == ["^\\."]
    assert files.values == ["~", "\\.(htaccess|htpasswd)$"]
    assert if_.values == ["%{HTTP_HOST} == 'x'"]
    assert elif_.values == ["-z %{X} && %{Y} > 1"]  # the header ends at the *last* '>'
    assert else_.args == [] and else_.header_span.text == "<Else>"
    assert d.span.text.startswith("<Directory") and d.span.text.endswith("</Directory>")


def test_rewrite_order_kept():
    parsed, _ = parse_bytes(b"RewriteCond %{HTTPS} !=on\nRewriteRule ^ - [F]\n"
                            b"RewriteCond %{HTTP_HOST} ^www\\.(.+)$ [NC]\nRewriteRule ^ x [R=301,L]\n")
    assert [n.name for n in parsed.nodes] == ["RewriteCond", "RewriteRule"] * 2
    assert parsed.nodes[2].values[1] == "^www\\.(.+)$"   # single backslash kept


def test_stray_close_tag():
    parsed, diags = parse_bytes(b"Listen 80\n</IfModule>\nListen 81\n")
    assert diag_tuples(diags) == [(2, "stray-close", "</IfModule> without matching <IfModule> section")]
    assert [n.values for n in parsed.nodes] == [["80"], ["81"]]


def test_mismatched_close_recovers():
    data = b"<Directory /x>\n<Files a>\nRequire all denied\n</Directory>\nListen 80\n"
    parsed, diags = parse_bytes(data)
    assert diag_tuples(diags) == [(4, "section-mismatch", "Expected </Files> but saw </Directory>")]
    d, listen = parsed.nodes
    assert d.close_span is not None and d.children[0].close_span is None
    assert d.children[0].children[0].values == ["all", "denied"]
    assert listen.parent is None


def test_mismatched_close_without_enclosing_match_is_skipped():
    parsed, diags = parse_bytes(b"<Directory /x>\n</Files>\nA b\n</Directory>\n")
    assert diag_tuples(diags) == [(2, "section-mismatch", "Expected </Directory> but saw </Files>")]
    assert [n.name for n in parsed.nodes[0].children] == ["A"]


def test_unclosed_sections_keep_children_and_have_a_code():
    data = b"<IfModule mod_rewrite.c>\nRewriteEngine on\n<Files x>\nRequire all denied\n"
    parsed, diags = parse_bytes(data, dialect="htaccess")
    assert [(d.span.line, d.code, d.severity, d.message) for d in diags.items] == [
        (1, "unclosed-section", "warning", "Expected </IfModule> before end of configuration"),
        (3, "unclosed-section", "error", "<Files> was not closed."),
    ]
    ifm = parsed.nodes[0]
    assert ifm.close_span is None and ifm.dialect == "htaccess"
    assert [n.name for n in ifm.children] == ["RewriteEngine", "Files"]
    assert unclosed_sections(parsed.nodes) == [ifm, ifm.children[1]]
    assert ifm.span.end == len(data) - 1  # up to the end of its last child
    assert_spans_exact(parsed)


def test_missing_closing_bracket():
    parsed, diags = parse_bytes(b"<Directory /x\nA b\n</Directory>\n")
    assert diag_tuples(diags) == [(1, "missing-bracket", "<Directory> directive missing closing '>'")]
    assert parsed.nodes[0].values == ["/x"] and parsed.nodes[0].close_span is not None


def test_define_and_variables():
    data = b"Define X /srv\nDefine Y\nDocumentRoot ${X}/www\nA ${Y} ${Z?=dflt} ${map:key} ${NOPE}\n"
    parsed, diags = parse_bytes(data)
    assert parsed.nodes[2].values == ["/srv/www"]
    assert parsed.nodes[2].args[0].raw == "${X}/www"
    # a Define without value has none to substitute; ':' names are left alone silently
    assert parsed.nodes[3].values == ["${Y}", "dflt", "${map:key}", "${NOPE}"]
    assert [(d.code, d.severity, d.message) for d in diags.items] == [
        ("undefined-variable", "warning", "Config variable ${Y} is not defined"),
        ("undefined-variable", "warning", "Config variable ${NOPE} is not defined"),
    ]


def test_defines_parameter_and_ifdefine_skips_defines():
    data = b"<IfDefine !FOO>\nDefine BAR 1\n</IfDefine>\nA ${BAR}\n"
    parsed, diags = parse_bytes(data, defines={"FOO": ""})
    assert parsed.nodes[1].values == ["${BAR}"]
    parsed, diags = parse_bytes(data)
    assert parsed.nodes[1].values == ["1"] and diags.items == []


def test_macro_body_is_raw():
    data = (b"<Macro VHost $name>\n<VirtualHost *:80>\nServerName ${NOT_YET}\n</Macro>\n"
            b"Use VHost a\n")
    parsed, diags = parse_bytes(data)
    macro, use = parsed.nodes
    assert macro.close_span is not None and use.name == "Use"
    assert [(d.severity, d.code) for d in diags.items] == [("warning", "section-mismatch")]
    assert macro.children[0].children[0].values == ["${NOT_YET}"]


def test_bom_and_crlf():
    # httpd 2.4.57 does not skip a BOM: "Invalid command '\xef\xbb\xbfListen'" (apache2 -t)
    parsed, diags = parse_bytes(b"\xef\xbb\xbfListen 80\r\n<Directory /x>\r\n</Directory>\r\n")
    assert diags.items == []
    assert parsed.nodes[0].name == "\ufeffListen" and parsed.nodes[0].values == ["80"]
    assert parsed.nodes[1].close_span.text == "</Directory>"


def test_non_utf8_bytes_survive():
    parsed, diags = parse_bytes(b"ServerName caf\xe9\n")
    assert diags.items == []
    arg = parsed.nodes[0].args[0]
    assert arg.value.encode("utf-8", "surrogateescape") == b"caf\xe9"


def test_node_dialect_and_via():
    parsed, _ = parse_bytes(b"Options None\n", dialect="htaccess")
    assert parsed.nodes[0].dialect == "htaccess" and parsed.nodes[0].key == "options"


_alphabet = st.sampled_from([b"<", b">", b"</", b"\\", b"\n", b"\r", b"#", b'"', b"'", b" ", b"\t",
                             b"Directory", b"IfModule", b"Files", b"x", b"${", b"}", b"Define",
                             b"Include", b"\xff", b"\xef\xbb\xbf", b"Macro", b"\x00"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.lists(_alphabet, max_size=80).map(b"".join)))
def test_any_bytes_give_a_tree_or_diagnostics(data: bytes):
    for dialect in ("apache", "htaccess"):
        diags = Diagnostics()
        parsed = parse_apache(SourceFile("fuzz.conf", data), diags, dialect=dialect)
        n = len(data)
        for node in all_nodes(parsed.nodes):
            assert 0 <= node.span.start <= node.span.end <= n
            for arg in node.args:
                assert 0 <= arg.span.start <= arg.span.end <= n
                assert data[arg.span.start:arg.span.end].decode("utf-8", "surrogateescape") == arg.raw
        for c in parsed.comments:
            assert 0 <= c.span.start <= c.span.end <= n
        for d in diags.items:
            assert 0 <= d.span.start <= d.span.end <= n

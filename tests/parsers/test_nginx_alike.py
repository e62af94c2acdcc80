"""Look-alike files (parsers/nginx_alike.py): a file that is another's text up to letters and
digits is read by copying the other's tree. Generated pairs of files, the same statements
with their argument and comment tokens renamed (escapes `\\t` / `\\x` included, so a
renamed letter changes a value), are loaded side by side, and the copy is compared with
parsing the file on its own: every node, argument, span, comment and problem."""

from __future__ import annotations

import random
import string

from hypothesis import given, settings, strategies as st

from confcheck.parsers.nginx_loader import load_nginx
from confcheck.parsers.nginx_parser import parse_nginx
from confcheck.parsers.syntax import CopiedNode
from confcheck.source import Diagnostics, SourceFile

NAMES = ["listen", "root", "set", "return", "rewrite", "add_header", "allow", "deny", "index",
         "try_files", "proxy_pass", "include", "server_name", "expires"]
BLOCKS = ["location", "if", "server", "limit_except", "map", "http", "events"]
PUNCT = list("/.-_:~^=*?()[]|,@")
SPACES = [" ", " ", " ", "\t", "\n    ", "\r\n", "  "]


def _token(rnd: random.Random, shape: str) -> str:
    """A token with `shape`'s character classes (a: letter, 9: digit), chosen by `rnd`."""
    return "".join(rnd.choice(string.ascii_lowercase) if c == "a" else
                   rnd.choice(string.ascii_uppercase) if c == "A" else rnd.choice(string.digits)
                   for c in shape)


# a word: pieces, each a renamable token shape ("tok", shape), punctuation, an escape of a
# renamable letter ("esc", shape) or a variable ("var", shape)
shapes = st.text(alphabet="aA9", min_size=1, max_size=6)
pieces = st.one_of(st.tuples(st.just("tok"), shapes), st.sampled_from(PUNCT).map(lambda p: ("p", p)),
                   st.tuples(st.just("esc"), st.sampled_from(["a", "A"])),
                   st.tuples(st.just("var"), shapes), st.tuples(st.just("dvar"), shapes))
words = st.tuples(st.sampled_from([None, None, '"', "'"]), st.lists(pieces, min_size=1, max_size=4))
statements = st.recursive(
    st.one_of(st.tuples(st.just("stmt"), st.sampled_from(NAMES), st.lists(words, max_size=4)),
              st.tuples(st.just("comment"), st.lists(shapes, max_size=3)),
              st.tuples(st.just("include"))),
    lambda inner: st.tuples(st.just("block"), st.sampled_from(BLOCKS), st.lists(words, max_size=3),
                            st.lists(inner, max_size=4)),
    max_leaves=12)


def _word(rnd: random.Random, word) -> str:
    quote, parts = word
    out = []
    for kind, shape in parts:
        if kind == "p":
            out.append(shape)
        elif kind == "esc":
            out.append("\\" + _token(rnd, shape))
        elif kind == "var":
            out.append("$" + _token(rnd, shape))
        elif kind == "dvar":
            out.append("${" + _token(rnd, shape) + "}")
        else:
            out.append(_token(rnd, shape))
    text = "".join(out)
    if quote is None:
        return text
    return quote + text.replace(quote, "") + quote


def render(stmts, rnd: random.Random, spaces: random.Random, depth: int = 0) -> str:
    """The statements as text; `rnd` picks the renamable tokens, `spaces` the layout (the
    same for both files of a pair)."""
    out = []
    for stmt in stmts:
        pad = spaces.choice(SPACES)
        if stmt[0] == "comment":
            out.append(pad + "#" + " ".join(_token(rnd, s) for s in stmt[1]) + "\n")
        elif stmt[0] == "include":
            out.append(pad + "include snip.conf;")
        elif stmt[0] == "stmt":
            out.append(pad + " ".join([stmt[1]] + [_word(rnd, w) for w in stmt[2]]) + ";")
        else:
            _, name, args, body = stmt
            head = " ".join([name] + [_word(rnd, w) for w in args])
            if name == "if":
                head = "if (" + " ".join(_word(rnd, w) for w in args) + ")"
            out.append(pad + head + " {" + render(body, rnd, spaces, depth + 1) + spaces.choice(SPACES) + "}")
    return "".join(out)


def _arg(arg) -> tuple:
    return (arg.raw, arg.value, arg.quote, arg.span.start, arg.span.end)


def _span(span) -> tuple | None:
    return None if span is None else (span.start, span.end)


def nodes_of(nodes) -> list:
    return [(node.name, node.key, [_arg(a) for a in node.args], _span(node.span), _span(node.name_span),
             _span(node.header_span), _span(node.close_span),
             None if node.children is None else nodes_of(node.children)) for node in nodes]


def sources_of(nodes, source) -> bool:
    return all(node.span.source is source and all(a.span.source is source for a in node.args)
               and (node.children is None or sources_of(node.children, source)) for node in nodes)


@settings(max_examples=150, deadline=None)
@given(stmts=st.lists(statements, min_size=1, max_size=6), seed=st.integers(0, 2**32 - 1))
def test_a_copy_is_what_parsing_the_file_gives(tmp_path_factory, stmts, seed):
    base = tmp_path_factory.mktemp("alike")
    texts = [render(stmts, random.Random(seed + k), random.Random(seed)) + "\n" for k in range(3)]
    (base / "sites").mkdir()
    (base / "nginx.conf").write_text("include sites/*.conf;\n")
    (base / "snip.conf").write_text("add_header X y;\n")
    for k, text in enumerate(texts):
        (base / "sites" / f"s{k}.conf").write_bytes(text.encode())
    diags = Diagnostics()
    config = load_nginx(str(base / "nginx.conf"), diags)
    loaded = {p.source.path.rsplit("/", 1)[-1]: p for p in config.parsed}
    alone = Diagnostics()
    for k, text in enumerate(texts):
        parsed = loaded[f"s{k}.conf"]
        fresh = parse_nginx(SourceFile(f"s{k}.conf", text.encode()), alone)
        assert nodes_of(parsed.nodes) == nodes_of(fresh.nodes)
        assert sources_of(parsed.nodes, parsed.source)
        assert [(c.text, c.span.start, c.span.end, c.own_line) for c in parsed.comments] == \
            [(c.text, c.span.start, c.span.end, c.own_line) for c in fresh.comments]
    # each file's own problems, as parsing it alone reports them (the includes' aside)
    assert sorted((d.span.start, d.message) for d in diags.items if d.code != "include") == \
        sorted((d.span.start, d.message) for d in alone.items)


def test_look_alike_site_files_are_copied(tmp_path):
    """The generated fleet's case: ten servers per file, the names renamed."""
    server = ("server {{\n    listen 80;\n    server_name s{n}.example.com;\n    root /srv/s{n};\n"
              "    include snip.conf;\n    location ~ \\.php$ {{ fastcgi_param A \"s{n}\\t\"; }}\n"
              "    # site s{n}\n}}\n")
    (tmp_path / "sites").mkdir()
    (tmp_path / "nginx.conf").write_text("http { include sites/*.conf; }\n")
    (tmp_path / "snip.conf").write_text("add_header X y;\n")
    for f in range(3):
        text = "".join(server.format(n=f * 10 + k) for k in range(10, 20))
        (tmp_path / "sites" / f"f{f}.conf").write_text(text)
    config = load_nginx(str(tmp_path / "nginx.conf"), Diagnostics())
    sites = [p for p in config.parsed if "/sites/" in p.source.path]
    assert [type(p.nodes[0]) is CopiedNode for p in sites] == [False, True, True]
    server = sites[2].nodes[3]
    assert server.children[1].args[0].value == "s33.example.com"
    php = server.children[4]
    assert php.args[1].raw == "\\.php$"
    assert php.children[0].args[1].value == "s33\t"
    # the include was followed from the copy's own node
    assert server.children[3].included[0].nodes[0].values == ["X", "y"]
    assert sites[2].comments[2].text == " site s32"

"""Real configs: no errors where nginx accepts them; crossplane as a differential oracle."""

from __future__ import annotations

from pathlib import Path

import crossplane
import pytest

from confcheck.source import Diagnostics
from confcheck.parsers.nginx_directives import validate, validate_nginx
from confcheck.parsers.nginx_loader import load_nginx
from nginx_helpers import CORPUS, CP_CONFIGS, corpus_files, diag_tuples, parse_bytes
from test_nginx_parser import assert_spans_exact

EOF_STMT = 'unexpected end of file, expecting ";" or "}"'
# The deliberately broken files and what we report (file: [(line, column, message)]).
# crossplane reports missing-semicolon at the directive's line ('directive "proxy_pass"
# is not terminated by ";"', line 4 / 7); nginx itself says 'unexpected "}"' at the
# brace, and so do we. The "never included" files end with a bare word (crossplane:
# error '' with line None).
BROKEN = {
    "crossplane-tests/tests/configs/missing-semicolon/broken-above.conf": [(5, 9, 'unexpected "}"')],
    "crossplane-tests/tests/configs/missing-semicolon/broken-below.conf": [(8, 9, 'unexpected "}"')],
    "crossplane-tests/tests/configs/quote-behavior/nginx.conf": [
        (1, 21, 'unexpected "-"'), (2, 6, 'unexpected "l"')],
    "crossplane-tests/tests/configs/includes-regular/conf.d/bar.conf": [(2, 1, EOF_STMT)],
    "crossplane-tests/tests/configs/includes-regular/conf.d/foo.conf": [(2, 1, EOF_STMT)],
    "crossplane-tests/tests/configs/includes-globbed/servers/locations/not-included.conf": [(2, 1, EOF_STMT)],
}

FILES = corpus_files()
IDS = [str(p.relative_to(CORPUS)) for p in FILES]


def test_corpus_is_there():
    assert len(FILES) > 80
    assert set(BROKEN) <= set(IDS)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_corpus_file_parses_with_exact_spans(path: Path):
    parsed, diags = parse_bytes(path.read_bytes(), str(path))
    assert diag_tuples(diags) == BROKEN.get(str(path.relative_to(CORPUS)), [])
    assert_spans_exact(parsed)


# --- full trees, validated ---------------------------------------------------

def test_debian_tree_with_root_remap(debian_root):
    diags = Diagnostics()
    config = load_nginx(str(debian_root / "etc/nginx/nginx.conf"), diags, root=str(debian_root))
    validate(config, diags)
    assert [str(d) for d in diags.items] == []
    assert config.prefix == "/etc/nginx/"
    # Findings show the local path (what an editor or `git apply` opens).
    shown = sorted(s.display_path for s in config.files.values())
    assert shown == [str(debian_root / p) for p in
                     ("etc/nginx/mime.types", "etc/nginx/nginx.conf", "etc/nginx/sites-enabled/default")]
    site = config.files[str(debian_root / "etc/nginx/sites-enabled/default")]
    # the link is followed inside the image (never to this machine's /etc/nginx)
    assert site.realpath == str(debian_root / "etc/nginx/sites-available/default")
    # no file was read from the live /etc/nginx
    assert all(s.path.startswith(str(debian_root)) for s in config.files.values())


@pytest.mark.parametrize("main", ["h5bp/nginx.conf", "nginx-upstream/conf/nginx.conf"])
def test_upstream_trees_validate_cleanly(main):
    diags = Diagnostics()
    config = load_nginx(str(CORPUS / main), diags)
    validate(config, diags)
    assert [str(d) for d in diags.items] == []
    assert len(config.parsed) >= 2


def test_vhost_snippet_validates_in_http_context():
    parsed, diags = parse_bytes((CORPUS / "mailman3-nginx.conf").read_bytes())
    validate_nginx(parsed.nodes, diags, context=("http",))
    assert diags.items == []


def test_crossplane_bad_args_gives_nginx_message():
    path = CP_CONFIGS / "bad-args/nginx.conf"
    diags = Diagnostics()
    validate(load_nginx(str(path), diags), diags)
    assert diag_tuples(diags) == [(1, 1, 'invalid number of arguments in "user" directive')]


def test_crossplane_spelling_mistake_is_refused_like_nginx():
    # nginx -t: unknown directive "proxy_passs" in .../nginx.conf:7 (one letter
    # off a known directive: a typo, not a third-party module's directive)
    diags = Diagnostics()
    validate(load_nginx(str(CP_CONFIGS / "spelling-mistake/nginx.conf"), diags), diags)
    assert diag_tuples(diags) == [(7, 13, 'unknown directive "proxy_passs"')]


# --- differential against crossplane ----------------------------------------

def crossplane_value(arg) -> str:
    """Our arg as crossplane reports it: raw text, only the delimiter quote unescaped."""
    if arg.quote:
        return arg.raw[1:-1].replace("\\" + arg.quote, arg.quote)
    return arg.raw


def our_tree(nodes) -> list:
    out = []
    for node in nodes:
        stmt = {"directive": node.name, "line": node.line, "args": [crossplane_value(a) for a in node.args]}
        if node.children is not None:
            stmt["block"] = our_tree(node.children)
        out.append(stmt)
    return out


def their_tree(parsed) -> list:
    out = []
    for stmt in parsed:
        if stmt["directive"] == "#":
            # crossplane emits comments found between args even with comments=False;
            # ours are in ParsedFile.comments (see test_comments_between_args)
            continue
        item = {"directive": stmt["directive"], "line": stmt["line"], "args": stmt["args"]}
        if "block" in stmt:
            item["block"] = their_tree(stmt["block"])
        out.append(item)
    return out


def crossplane_tree(path: Path):
    payload = crossplane.parse(str(path), single=True, comments=False, check_ctx=False, check_args=False)
    return payload["config"][0]


# Files where crossplane is wrong; each has its own test below.
CROSSPLANE_WRONG = {
    "crossplane-tests/tests/configs/messy/nginx.conf",        # ${uri} merge
    "crossplane-tests/tests/configs/non-unicode/nginx.conf",  # U+FFFD instead of the byte
}
DIFF_FILES = [p for p, i in zip(FILES, IDS) if i not in BROKEN and i not in CROSSPLANE_WRONG]


@pytest.mark.parametrize("path", DIFF_FILES, ids=[str(p.relative_to(CORPUS)) for p in DIFF_FILES])
def test_same_tree_as_crossplane(path: Path):
    theirs = crossplane_tree(path)
    assert theirs["errors"] == []
    parsed, _ = parse_bytes(path.read_bytes(), str(path))
    assert our_tree(parsed.nodes) == their_tree(theirs["parsed"])


def test_known_difference_variable_braces_messy(tmp_path):
    path = CP_CONFIGS / "messy/nginx.conf"
    parsed, _ = parse_bytes(path.read_bytes(), str(path))
    try_files = [n for n in _all(parsed.nodes) if n.name == "try_files" and "${uri}" in n.args[0].raw]
    assert try_files and try_files[0].values[:2] == ["/abc/${uri}", "/abc/${uri}.html"]
    theirs = [s for s in _all_cp(crossplane_tree(path)["parsed"]) if s["directive"] == "try_files"]
    assert ["/abc/${uri} /abc/${uri}.html", "=404"] in [s["args"] for s in theirs]
    # and the minimal form from parsers.md
    small = tmp_path / "v.conf"
    small.write_bytes(b'set ${y} "${x}z";\n')
    assert crossplane_tree(small)["parsed"][0]["args"] == ['${y} "${x}z"']
    assert parse_bytes(small.read_bytes())[0].nodes[0].values == ["${y}", "${x}z"]


def test_known_difference_non_unicode_bytes_are_kept():
    path = CP_CONFIGS / "non-unicode/nginx.conf"
    parsed, _ = parse_bytes(path.read_bytes(), str(path))
    ours = [a for n in _all(parsed.nodes) for a in n.args if "lln" in a.value]
    assert ours[0].raw.encode("utf-8", "surrogateescape") in path.read_bytes()
    theirs = [a for s in _all_cp(crossplane_tree(path)["parsed"]) for a in s["args"] if "lln" in a]
    assert "\ufffd" in theirs[0] and "\ufffd" not in ours[0].value


def test_known_difference_eof_comment_and_last_word(tmp_path):
    path = tmp_path / "eof.conf"
    path.write_bytes(b"user nginx")
    theirs = crossplane.parse(str(path), single=True, comments=True)
    assert theirs["errors"][0]["line"] is None  # crossplane: error '' without a line
    parsed, diags = parse_bytes(path.read_bytes())
    assert parsed.nodes[0].values == ["nginx"] and diags.items[0].span.line == 1
    path.write_bytes(b"user nginx;\n# last words")
    theirs = crossplane.parse(str(path), single=True, comments=True)
    assert [s["directive"] for s in theirs["config"][0]["parsed"]] == ["user"]  # comment lost
    assert [c.text for c in parse_bytes(path.read_bytes())[0].comments] == [" last words"]


def test_a_bom_is_glued_to_the_first_directive_as_crossplane_and_nginx_read_it(tmp_path):
    path = tmp_path / "bom.conf"
    path.write_bytes(b"\xef\xbb\xbfuser nginx;\n")
    assert crossplane_tree(path)["parsed"][0]["directive"] == "\ufeffuser"
    assert parse_bytes(path.read_bytes())[0].nodes[0].name == "\ufeffuser"


def test_known_difference_escapes_are_unescaped_like_nginx(tmp_path):
    path = tmp_path / "esc.conf"
    path.write_bytes(b'log_format x "a\\tb\\"c";\n')
    assert crossplane_tree(path)["parsed"][0]["args"] == ["x", 'a\\tb"c']
    arg = parse_bytes(path.read_bytes())[0].nodes[0].args[1]
    assert arg.value == 'a\tb"c' and crossplane_value(arg) == 'a\\tb"c'


def test_comments_between_args():
    path = CP_CONFIGS / "comments-between-args/nginx.conf"
    parsed, _ = parse_bytes(path.read_bytes(), str(path))
    # crossplane puts all five comments at the directive's line, after it; ours keep their lines
    assert [c.span.line for c in parsed.comments] == [1, 2, 3, 4, 5]
    assert parsed.nodes[0].children[0].values == ["\\#arg\\ 1", "#arg 2"]


def _all(nodes):
    for node in nodes:
        yield node
        yield from _all(node.children or [])


def _all_cp(stmts):
    for stmt in stmts:
        yield stmt
        yield from _all_cp(stmt.get("block", []))

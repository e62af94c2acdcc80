"""SourceFile.indent_unit: the indentation step fixes copy into a file."""

from hypothesis import given, settings
from hypothesis import strategies as st

from confcheck.source import SourceFile


def line_by_line(data: bytes) -> str | None:
    """The definition, one line at a time: the smallest increase of the
    space/tab indentation from a line to the next deeper one, blank and
    comment lines skipped."""
    best, prev = None, ""
    for raw in data.split(b"\n"):
        rest = raw.lstrip(b" \t")
        if not rest.strip() or rest.startswith(b"#"):
            continue
        indent = raw[: len(raw) - len(rest)].decode("ascii")
        if indent.startswith(prev) and len(indent) > len(prev):
            step = indent[len(prev):]
            if best is None or len(step) < len(best):
                best = step
        prev = indent
    return best


def test_common_styles():
    assert SourceFile("/a", b"http {\n    server {\n        listen 80;\n    }\n}\n").indent_unit == "    "
    assert SourceFile("/a", b"http {\r\n\tserver {\r\n\t\tlisten 80;\r\n\t}\r\n}\r\n").indent_unit == "\t"
    assert SourceFile("/a", b"events {}\n").indent_unit is None
    # a commented-out deeper line and a blank indented line do not count
    assert SourceFile("/a", b"a {\n    #  x\n      \n    b;\n}\n").indent_unit == "    "


PIECES = st.sampled_from([b" ", b"  ", b"\t", b"\n", b"\r\n", b"\x0b", b"\x0c", b"\r", b"#", b"x", b"{",
                          b";", b"\xff"])


@settings(max_examples=2000, deadline=None)
@given(st.lists(PIECES, max_size=30).map(b"".join))
def test_agrees_with_the_line_by_line_definition(data):
    assert SourceFile("/a", data).indent_unit == line_by_line(data)

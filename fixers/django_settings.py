"""Edits of a Django settings file that keep every comment and format.

The statement to change is found with libcst (confcheck/parsers/pysettings.py
keeps each expression's byte span); the edit is a byte-span replacement of
that one place (fixers/edits.py), so nothing else in the file changes: not a
comment, not a quote style, not a trailing comma. Each edit is checked by
parsing the edited file again with libcst: an edit that does not parse is
never offered.
"""

from __future__ import annotations

from confcheck.parsers.pysettings_value import Value

from .edits import Edit, apply


def _quote_of(source, span) -> tuple[int, str]:
    """(length of the prefix and opening quote, the quote) of a string literal at `span`."""
    text = source.data[span.start:span.end].decode("utf-8", "surrogateescape")
    i = 0
    while i < len(text) and text[i] in "rRbBuUfF":
        i += 1
    quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else text[i:i + 1]
    return i + len(quote), quote


def add_scheme(item: Value, scheme: str) -> Edit | None:
    """`"shop.example.com"` -> `"https://shop.example.com"`: the scheme inserted after the quote."""
    if item.span is None or not isinstance(item.value, str):
        return None
    source = item.span.source
    head, quote = _quote_of(source, item.span)
    if quote not in ('"', "'") or source.data[item.span.end - 1:item.span.end].decode() != quote:
        return None     # an f-string, concatenation or name: not one literal to prefix
    at = item.span.start + head
    return Edit(source, at, at, f"{scheme}://".encode())


def _literal(text: str, quote: str = '"') -> str:
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def add_to_list(module, value: Value, entry: str) -> Edit | None:
    """Append the string `entry` to the list literal `value` was assigned from, in its own style:
    a new line at the last element's indentation when the list is written one per line, else
    `, "entry"` after the last element."""
    import libcst as cst
    node = value.node
    if not isinstance(node, (cst.List, cst.Tuple)):
        return None
    span = module.span_of(node)
    if span is None:
        return None
    source = span.source
    data = source.data
    if not node.elements:
        close = data.rfind(b"]" if isinstance(node, cst.List) else b")", span.start, span.end)
        return Edit(source, close, close, _literal(entry).encode()) if close != -1 else None
    last = module.span_of(node.elements[-1].value)
    if last is None:
        return None
    quote = '"'
    first = module.span_of(node.elements[0].value)
    if first is not None and data[first.start:first.start + 1] in (b"'", b'"'):
        quote = data[first.start:first.start + 1].decode()
    end = last.end
    i = end
    while i < span.end and data[i:i + 1] in (b" ", b"\t"):
        i += 1
    has_comma = data[i:i + 1] == b","
    line_start = data.rfind(b"\n", 0, last.start) + 1
    indent = data[line_start:last.start]
    one_per_line = has_comma and indent.strip() == b"" and b"\n" in data[last.end:span.end]
    if one_per_line:
        newline = source.newline.encode()
        return Edit(source, i + 1, i + 1, newline + indent + _literal(entry, quote).encode() + b",")
    return Edit(source, end, end, b", " + _literal(entry, quote).encode())


def add_statement(module, text: str) -> Edit:
    """A new statement at the end of the settings file read (the one named, not a base it imports)."""
    source = module.source
    data = source.data
    newline = source.newline.encode()
    lead = b"" if not data or data.endswith(b"\n") else newline
    return Edit(source, len(data), len(data), lead + text.encode() + newline)


def parses(edits: list[Edit]) -> bool:
    """Every file the edits touch still parses as Python."""
    import libcst as cst
    by_file: dict[str, list[Edit]] = {}
    for edit in edits:
        by_file.setdefault(edit.source.realpath, []).append(edit)
    for group in by_file.values():
        try:
            cst.parse_module(apply(group[0].source.data, sorted(group, key=lambda e: e.start)))
        except cst.ParserSyntaxError:
            return False
    return True

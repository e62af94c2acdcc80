"""A finding's JSON text written straight from the finding, without its dict.

`scan --format json` writes thousands of findings of one fixed shape: building
each one's dict (`Finding.to_json`) and walking it again (json_text) costs more
than filling one template per nesting level with the encoded values. The text
is json_text's for `finding.to_json()` byte for byte (its C string encoder,
its layout); a finding of another shape (a subclass, a fix that writes its own
JSON, a value of an unexpected type) returns None and goes the general way.
tests/scan/test_json_text.py compares the two.
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii as _string

from confcheck.findings import Finding, Fix
from confcheck.output.json_text import Encoded
from confcheck.source import Span

_KEYS = ("rule", "name", "severity", "message", "file", "line", "column", "end_line", "end_column",
         "fs_path", "server", "fix")
_FIX_KEYS = ("applicability", "title", "diff", "commands")
_POSITION_KEYS = ("file", "line", "column", "end_line", "end_column")
_NO_POSITION = ("null",) * 5


class _Unusual(Exception):
    """A value the template does not write as json_text would: the finding goes the general way."""


def _strings(values, newline: str, pad: str) -> str:
    """A list of str as json_text writes it at `newline`."""
    if type(values) is not list and type(values) is not tuple:
        raise _Unusual
    if not values:
        return "[]"
    inner = newline + pad
    return "[" + inner + ("," + inner).join(map(_string, values)) + newline + "]"


class FindingText:
    """Fills the templates of one nesting level (made once: every finding of a scan is at the same one)."""

    def __init__(self, newline: str, pad: str) -> None:
        self.newline, self.pad = newline, pad
        inner = newline + pad
        self.inner = inner
        self.head = "{" + "".join((inner if i == 0 else "," + inner) + f'"{key}": %s'
                                  for i, key in enumerate(_KEYS))
        self.tail = newline + "}"
        fix_inner = inner + pad
        # look-alike servers' findings repeat their titles and messages: each encoded once
        self.encoded: dict[str, str] = {}
        self.fix = "{" + "".join((fix_inner if i == 0 else "," + fix_inner) + f'"{key}": %s'
                                 for i, key in enumerate(_FIX_KEYS)) + inner + "}"

    def text(self, finding) -> str | None:
        """json_text's text of finding.to_json() at this level; None for an unusual finding."""
        if type(finding) is not Finding:
            return None
        string = _string       # a str (or a subclass: json_text writes it as a str); TypeError otherwise
        try:
            span = finding.span
            if span is None:
                position = _NO_POSITION
            elif type(span) is Span:
                # Span.position()'s values, without its dict (line_col gives ints)
                source = span.source
                line, column = source.line_col(span.start)
                end_line, end_column = source.line_col(span.end)
                position = (self._once(source.display_path), int.__repr__(line), int.__repr__(column),
                            int.__repr__(end_line), int.__repr__(end_column))
            else:
                pos = span.position()
                if tuple(pos) != _POSITION_KEYS:
                    return None
                line, column, end_line, end_column = pos["line"], pos["column"], pos["end_line"], pos["end_column"]
                if not (type(line) is int and type(column) is int and type(end_line) is int
                        and type(end_column) is int):
                    return None
                position = (string(pos["file"]), int.__repr__(line), int.__repr__(column),
                            int.__repr__(end_line), int.__repr__(end_column))
            fix = finding.fix
            if fix is None:
                fix_text = "null"
            elif type(fix).to_json is Fix.to_json:
                diff = fix.diff
                fix_text = self.fix % (string(fix.applicability), self._once(fix.title),
                                       "null" if diff is None else string(diff),
                                       _strings(fix.commands, self.inner + self.pad, self.pad))
            else:
                return None
            fs_path, server = finding.fs_path, finding.server
            out = self.head % (string(finding.rule), string(finding.name), string(finding.severity),
                               self._once(finding.message), *position,
                               "null" if fs_path is None else string(fs_path),
                               "null" if server is None else string(server), fix_text)
            if finding.fs_paths is not None:
                out += "," + self.inner + '"fs_paths": ' + _strings(finding.fs_paths, self.inner, self.pad)
        except (_Unusual, TypeError):
            return None
        return out + self.tail

    def _once(self, text) -> str:
        """_string(text), made once per text (messages, titles and file names repeat)."""
        encoded = self.encoded.get(text)
        if encoded is None:
            encoded = self.encoded[text] = _string(text)
        return encoded


class _Encoded(Encoded):
    __slots__ = ("finding", "texts")

    def __init__(self, finding, texts: dict) -> None:
        self.finding, self.texts = finding, texts

    def json_text(self, newline: str, pad: str) -> str | None:
        maker = self.texts.get((newline, pad))
        if maker is None:
            maker = self.texts[newline, pad] = FindingText(newline, pad)
        return maker.text(self.finding)

    def json_value(self):
        return self.finding.to_json()


def encoded_findings(findings) -> list:
    """`findings` as values json_text writes with FindingText (one template set for all)."""
    texts: dict = {}
    return [_Encoded(finding, texts) for finding in findings]

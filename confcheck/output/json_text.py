"""JSON text exactly as `json.dumps(document, indent=2, ensure_ascii=True)` writes it,
faster, and written to a stream in pieces.

With `indent`, Python 3.11's json.dumps runs its pure-Python encoder (the C one does
not indent): a generator per container and value, a tenth of a second for a scan's
4,000 findings. This walks the document with plain appends, and encodes each string
with the C function json.dumps uses for it (so escapes, `\\udcXX` for bytes that are
not UTF-8 included, are its own); numbers and constants as json writes them. A value
json cannot write raises TypeError as json.dumps does. tests/scan/test_json_text.py
compares the two on every kind of value.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _string
from typing import TextIO

_BATCH = 4096       # pieces written at a time: the text of a big document is never one string


class Encoded:
    """A value that writes its own JSON text: `json_text(newline, pad)` is what json_text
    would write for `json_value()` nested at `newline` (None: write `json_value()` then)."""

    __slots__ = ()

    def json_text(self, newline: str, pad: str) -> str | None:
        return None

    def json_value(self):
        raise NotImplementedError


def dumps(document, indent: int = 2) -> str:
    pieces: list[str] = []
    _encode(document, indent, pieces, None)
    return "".join(pieces)


def write(document, out: TextIO, indent: int = 2) -> None:
    """dumps(document) written to `out`, a few thousand pieces at a time."""
    pieces: list[str] = []
    _encode(document, indent, pieces, out)
    out.write("".join(pieces))


def _key(key) -> str:
    """A dict key as json writes it (its own conversions of non-string keys)."""
    if isinstance(key, str):
        return _string(key)
    if isinstance(key, (bool, int, float)) or key is None:
        return _string(json.dumps(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def _encode(document, indent: int, pieces: list[str], out: TextIO | None) -> None:
    pad = " " * indent
    append = pieces.append
    keys: dict[str, str] = {}      # a key's text and ": ", made once

    def array(o, newline: str) -> None:
        if not o:
            append("[]")
            return
        inner = newline + pad
        sep = "[" + inner
        for item in o:
            append(sep)
            sep = "," + inner
            kind = type(item)
            if kind is str:
                append(_string(item))
            elif kind is dict:
                mapping(item, inner)
            else:
                value(item, inner)
            if out is not None and len(pieces) > _BATCH:
                out.write("".join(pieces))
                pieces.clear()
        append(newline + "]")

    def mapping(o, newline: str) -> None:
        if not o:
            append("{}")
            return
        inner = newline + pad
        sep = "{" + inner
        for k, v in o.items():
            head = keys.get(k) if type(k) is str else None
            if head is None:
                head = _key(k) + ": "
                if type(k) is str:
                    keys[k] = head
            append(sep + head)
            sep = "," + inner
            kind = type(v)
            if kind is str:
                append(_string(v))
            elif v is None:
                append("null")
            elif kind is dict:
                mapping(v, inner)
            elif kind is list:
                array(v, inner)
            else:
                value(v, inner)
        append(newline + "}")

    def value(o, newline: str) -> None:
        # json's order of tests: a str or int subclass is written as its base type
        if isinstance(o, str):
            append(_string(o))
        elif o is None:
            append("null")
        elif o is True:
            append("true")
        elif o is False:
            append("false")
        elif isinstance(o, int):
            append(int.__repr__(o))
        elif isinstance(o, float):
            append(json.dumps(o))
        elif isinstance(o, (list, tuple)):
            array(o, newline)
        elif isinstance(o, dict):
            mapping(o, newline)
        elif isinstance(o, Encoded):
            text = o.json_text(newline, pad)
            if text is None:
                value(o.json_value(), newline)
            else:
                append(text)
        else:
            raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")

    value(document, "\n")

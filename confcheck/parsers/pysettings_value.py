"""A settings value as confcheck/parsers/pysettings.py reads it (without libcst,
so rules and models can name it without loading the reader)."""

from __future__ import annotations

from dataclasses import dataclass

from confcheck.source import Span


@dataclass
class Value:
    """A settings value: known (`value`, a plain Python value) or unknown (`why`)."""

    value: object = None
    span: Span | None = None            # the expression it came from
    known: bool = True
    why: str = ""                       # what made it unknown, with file:line:column
    items: list["Value"] | None = None  # a known list/tuple: each element's own Value (spans)
    assumptions: tuple[str, ...] = ()
    stmt: Span | None = None            # the statement that assigned it (fixes edit it)
    node: object = None                 # the libcst expression (fixes edit it)

    @staticmethod
    def unknown(why: str, span: Span | None = None, assumptions: tuple[str, ...] = ()) -> "Value":
        return Value(None, span, False, why, None, assumptions)

    def where(self) -> str:
        return where(self.span)


def where(span: Span | None) -> str:
    return f"{span.file}:{span.line}:{span.column}" if span is not None else "?"

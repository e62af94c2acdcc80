"""confcheck.output.json_text writes what json.dumps(indent=2, ensure_ascii=True) writes,
byte for byte, for every kind of value a document can hold, and refuses what it refuses."""

from __future__ import annotations

import enum
import io
import json
import math
import random

import pytest

from confcheck.output import json_text


class Level(enum.IntEnum):
    low = 1


def _reference(document) -> str:
    return json.dumps(document, indent=2, ensure_ascii=True)


def _both(document) -> tuple[str, str]:
    stream = io.StringIO()
    json_text.write(document, stream)
    assert json_text.dumps(document) == stream.getvalue()
    return stream.getvalue(), _reference(document)


STRINGS = ["", "plain", 'quote " backslash \\ slash /', "tab\tnewline\ncr\rbell\a\x00\x1f\x7f",
           "caf\xe9 \u2028 \U0001f600", "bad byte \udcff\udc80", "{not: json}", "--- a/x\n+++ b/x\n@@ -1 +1 @@\n"]


def test_every_kind_of_value():
    document = {
        "strings": STRINGS, "numbers": [0, -1, 2 ** 70, 1.5, -0.0, 1e16, 1e-7, math.inf, -math.inf, 123456.789],
        "constants": [True, False, None], "empty": {"list": [], "dict": {}, "tuple": ()},
        "nested": [[[]], [{}], [{"a": [1, {"b": None}]}]], "tuple": (1, "two", (3,)),
        "int enum": Level.low, "keys": {1: "int", 2.5: "float", None: "null", "s": "str"}, "bool keys": {True: "t", False: "f"},
        **{s: s for s in STRINGS},
    }
    got, want = _both(document)
    assert got == want
    assert _both(math.nan)[0] == "NaN"


@pytest.mark.parametrize("document", [None, True, 0, "x", [], {}, [None], {"a": {}}])
def test_scalars_and_empty_documents(document):
    got, want = _both(document)
    assert got == want


def test_random_documents():
    rng = random.Random(23)

    def make(depth: int):
        kind = rng.randrange(8 if depth < 4 else 5)
        if kind == 0:
            return rng.choice(STRINGS) + str(rng.random())
        if kind == 1:
            return rng.choice([None, True, False])
        if kind == 2:
            return rng.randint(-10 ** 6, 10 ** 6)
        if kind == 3:
            return rng.uniform(-1e20, 1e20)
        if kind == 4:
            return rng.choice(STRINGS)
        if kind == 5:
            return [make(depth + 1) for _ in range(rng.randrange(4))]
        if kind == 6:
            return tuple(make(depth + 1) for _ in range(rng.randrange(3)))
        return {rng.choice(STRINGS) + str(i): make(depth + 1) for i in range(rng.randrange(5))}

    for _ in range(500):
        document = make(0)
        got, want = _both(document)
        assert got == want


def test_long_lists_are_written_in_pieces():
    document = {"findings": [{"rule": "X", "n": n, "fix": {"diff": "-a\n+b\n"}} for n in range(5000)]}
    writes = []

    class Stream:
        def write(self, text):
            writes.append(text)

    json_text.write(document, Stream())
    assert len(writes) > 1
    assert "".join(writes) == _reference(document)


@pytest.mark.parametrize("document", [{"a": object()}, [b"bytes"], {"a": {1, 2}}, {(1, 2): "tuple key"}])
def test_what_json_refuses_is_refused(document):
    with pytest.raises(TypeError):
        _reference(document)
    with pytest.raises(TypeError):
        json_text.dumps(document)


def test_findings_write_the_text_of_their_dicts():
    """scan_document(encoded=True) (each finding writes its own text: finding_json) gives
    json.dumps's text of the plain document, for findings of every shape: no span, no fix,
    a config fix and its diff, a permission fix's commands, a fix that makes its own diff
    (drop-in), grouped fs_paths, names with bytes that are not UTF-8, str subclasses, and
    values json writes otherwise than the template would (a bool where a line is, a fix
    class with its own to_json): those go the general way."""
    from types import SimpleNamespace

    from confcheck.findings import Finding, Fix
    from confcheck.fixers.config import ConfigFix, PermissionFix
    from confcheck.fixers.edits import Edit
    from confcheck.fixers.unit_dropin import DropInFix
    from confcheck.output.json_out import scan_document
    from confcheck.source import SourceFile, Span

    class Name(str):
        pass

    class OwnJson(Fix):
        def to_json(self) -> dict:
            return {"kind": "own", "title": self.title}

    class Position(Span):
        __slots__ = ()

        def position(self) -> dict:
            return {**super().position(), "line": True}

    source = SourceFile("/etc/nginx/caf\udcff \u00e9.conf", b"server {\n    location /a/ { deny all; }\n}\n")
    span = Span(source, 9, 39)
    edit = Edit(source, 9, 9, b"    location ~ \\.php$ { deny all; }\n")
    fixes = [None, Fix("safe", 'say "hi"\n'), ConfigFix("unsafe", "nest", edits=[edit], base="/etc/nginx"),
             PermissionFix("safe", "chmod", commands=["chmod o+x /srv", "setfacl -m u:www-data:r '/srv/a b'"]),
             DropInFix("display-only", "drop-in", path="/etc/systemd/system/x.d/z.conf", lines=("A=1", "B=2")),
             OwnJson("safe", "own"), Fix(Name("safe"), Name("named"), commands=(Name("tuple"),))]
    findings = []
    for n, fix in enumerate(fixes):
        for where in (span, None, Position(source, 0, 8)):
            findings.append(Finding(f"NGX{n}", "name", "warning", f"message {n} \u2028 \udc80", where,
                                    server=("nginx", None, Name("apache"))[n % 3],
                                    fs_path=(None, "/srv/caf\udce9")[n % 2], fix=fix,
                                    fs_paths=(None, [], ["/srv/a", "/srv/\udcff"])[n % 3]))
    result = SimpleNamespace(findings=findings, errors=[], files=1, failures=[], not_checked=[])
    plain = scan_document(result)
    assert json_text.dumps(scan_document(result, encoded=True)) == _reference(plain)
    assert json_text.dumps({"nested": [scan_document(result, encoded=True)]}) == _reference({"nested": [plain]})

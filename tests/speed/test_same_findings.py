"""The speed work keeps every answer: on generated trees (the benchmark's uniform one
and realistic application servers) the findings are those main answered before it
(ids, messages, spans, fixes: tests/speed/golden/, written by main 37b0247's
`scan --no-fs --format json`, file paths made relative to the tree; the one change is
the fix diff of the apps tree's NGX104 finding at sites/apps0000.conf line 20, which main
made a 141-line hunk through difflib's autojunk), and each fix's diff equals the
whole-file diff.

Regenerate the golden files only for a deliberate change of answers:
    python tests/speed/test_same_findings.py   (prints what differs, then rewrites them)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from confcheck.engine import ScanOptions, run_scan
from confcheck.fixers.diff import file_diff, inside
from confcheck.fixers.edits import plan_files

CHECKOUT = Path(__file__).resolve().parents[2]
UNIFORM = CHECKOUT.parent / "shared" / "bench" / "gen_nginx_tree.py"
sys.path.insert(0, str(CHECKOUT / "benchmarks"))
from gen_app_tree import generate as generate_apps  # noqa: E402


GOLDEN = Path(__file__).resolve().parent / "golden"


def _make_trees(base: Path) -> dict[str, str]:
    mains = {}
    if UNIFORM.exists():
        (base / "uniform").mkdir()
        subprocess.run([sys.executable, str(UNIFORM), "50"], cwd=base / "uniform", check=True,
                       stdout=subprocess.DEVNULL)
        mains["uniform"] = str(base / "uniform" / "nginx.conf")
    mains["apps"] = generate_apps(str(base / "apps"), 120)
    return mains


@pytest.fixture(scope="module")
def named_trees():
    base = Path(tempfile.mkdtemp(prefix="confcheck-speed-", dir="/var/tmp"))
    yield _make_trees(base)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def trees(named_trees):
    return list(named_trees.values())


def _findings(main: str) -> list[dict]:
    """The JSON findings of a config-only scan, file paths relative to the tree."""
    top = os.path.dirname(main) + "/"
    out = [f.to_json() for f in run_scan(ScanOptions(paths=[main], no_fs=True)).findings]
    for item in out:
        if item.get("file"):
            item["file"] = item["file"].replace(top, "", 1)
    return out


def test_findings_are_those_main_answered(named_trees):
    for shape, main in named_trees.items():
        expected = json.loads((GOLDEN / f"{shape}.json").read_text())
        got = _findings(main)
        assert len(got) == len(expected), shape
        for have, want in zip(got, expected):
            assert have == want, (shape, want["message"])


def test_windowed_diffs_equal_whole_file_diffs(trees):
    import posixpath
    checked = 0
    for main in trees:
        result = run_scan(ScanOptions(paths=[main], no_fs=True))
        assert result.findings, main
        for finding in result.findings:
            fix = finding.fix
            if fix is None or not getattr(fix, "edits", None):
                continue
            whole = []
            for plan in sorted(plan_files(fix.edits), key=lambda p: p.path):
                assert inside(plan.path, fix.base)
                rel = posixpath.relpath(plan.path, fix.base)
                whole.append(file_diff(plan.source.data, plan.new_data(), rel, whole=True))
            assert fix.diff == "".join(whole), finding.message
            checked += 1
    assert checked >= 100


def test_diffs_of_odd_files_are_those_of_diff_u():
    """CRLF newlines, no newline at the end, bytes that are not UTF-8 in a file and in its
    name, a space in a name, one snippet included twice (two findings, the same edit), edits
    on the first and on the last line: each fix's hunks are those `diff -u` writes for the
    file before and after, and names that need it are C-quoted as git and patch read them."""
    server = (b"server {\n    listen 80;\n    server_name %s;\n    root /var/www/x;\n%s}\n").__mod__
    admin = b"    location /admin/ {\n        allow 10.0.0.0/8;\n        deny all;\n    }\n"
    regex = b"    location ~* \\.(png|jpg|css|js)$ {\n        expires 7d;\n    }\n"
    files = {
        b"nginx.conf": b"events {}\nhttp {\n    include sites/*.conf;\n}\n",
        b"sites/crlf.conf": server((b"crlf.example", admin + regex)).replace(b"\n", b"\r\n"),
        b"sites/nonl.conf": server((b"nonl.example", admin + regex)).rstrip(b"\n"),
        b"sites/caf\xe9 bad.conf": server((b"bytes.example", b"    # caf\xe9 \xff\xfe\n" + admin + regex)),
        b"loc/shared.conf": admin + regex,
        b"sites/twice.conf": (server((b"one.example", b"    include loc/shared.conf;\n"))
                              + server((b"two.example", b"    include loc/shared.conf;\n"))),
        b"loc/first.conf": b"location /admin/ { deny all; }\n" + regex.replace(b"    ", b""),
        b"loc/last.conf": regex.replace(b"    ", b"") + b"location /private/ { deny all; }",
        b"sites/edges.conf": (server((b"edges.example", b"    include loc/first.conf;\n"))
                              + server((b"last.example", b"    include loc/last.conf;\n"))),
    }
    top = Path(tempfile.mkdtemp(prefix="confcheck-odd-", dir="/var/tmp"))
    try:
        for name, data in files.items():
            path = os.path.join(bytes(top), name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)
        findings = run_scan(ScanOptions(paths=[str(top / "nginx.conf")], no_fs=True)).findings
        diffs = [f.fix.diff for f in findings]
        assert len(diffs) == 7 and len(set(diffs)) == 6            # the shared snippet's twice
        for finding, diff in zip(findings, diffs):
            (plan,) = plan_files(finding.fix.edits)
            after = top / "after"
            after.write_bytes(plan.new_data())
            proc = subprocess.run(["diff", "-u", plan.path, str(after)], capture_output=True)
            assert proc.returncode == 1
            head, body = diff.encode("utf-8", "surrogateescape").split(b"\n@@", 1)
            assert body == proc.stdout.split(b"\n@@", 1)[1]
            rel = os.fsencode(plan.path)[len(os.fsencode(top)) + 1:]
            quoted = b'"a/sites/caf\\351 bad.conf"' if b"caf" in rel else (
                b'"a/' + rel + b'"' if b" " in rel else b"a/" + rel)
            assert head.split(b"\n")[0] == b"--- " + quoted
            assert head.split(b"\n")[1] == b"+++ " + quoted.replace(b"a/", b"b/", 1)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_windowed_diff_of_random_edits_equals_whole_file_diff():
    import random
    rng = random.Random(14)
    pool = ["}\n", "\n", "    deny all;\n", "location / {\n", "x\r\n", "a\rb\n", "caf\xe9\n", "y"]
    for _ in range(3000):
        lines = [rng.choice(pool[:-1]) for _ in range(rng.randint(0, 40))] + ([pool[-1]] if rng.random() < .2 else [])
        old = "".join(lines).encode("utf-8", "surrogateescape")
        new_lines = list(lines)
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(0, len(new_lines))
            new_lines[at:at + rng.randint(0, 2)] = [rng.choice(pool) for _ in range(rng.randint(0, 3))]
        new = "".join(new_lines).encode("utf-8", "surrogateescape")
        assert file_diff(old, new, "f.conf") == file_diff(old, new, "f.conf", whole=True), (old, new)



def test_diff_from_edits_equals_diff_of_the_bytes():
    """plan_diff (made from the edits' offsets, comparing only around them) against
    file_diff of the whole old and new bytes (the windowed diff the tests above hold
    to the whole-file one): edits anywhere (first and last byte, inside
    a line, several in one file), replacements that repeat the text around them (the
    changed stretch then reaches past the edit, far past it for a repeated block), CRLF,
    a last line without newline, bytes that are not UTF-8."""
    import random
    from confcheck.fixers.diff import plan_diff
    from confcheck.fixers.edits import Edit
    from confcheck.source import SourceFile
    rng = random.Random(23)
    pool = [b"}\n", b"\n", b"    deny all;\n", b"location / {\n", b"x\r\n", b"a\rb\n", b"caf\xe9\n",
            b"\xff\xfe;\n", b"    location ~* \\.(png|jpg)$ { expires 7d; }\n"]
    block = b"".join(pool) * 3
    checked = 0
    for _ in range(3000):
        lines = [rng.choice(pool) for _ in range(rng.randint(0, 60))]
        if rng.random() < .3:
            lines[rng.randint(0, len(lines)):0] = [block]
        old = b"".join(lines) + (rng.choice([b"y", b"}", b"\r"]) if rng.random() < .2 else b"")
        source = SourceFile("/t/f.conf", old)
        edits, taken = [], []
        for _ in range(rng.randint(1, 3)):
            start = rng.choice([0, len(old), rng.randint(0, len(old))])
            end = min(len(old), start + rng.choice([0, 0, 1, 5, 40]))
            if any(start < e and s < end or start == s for s, e in taken):
                continue
            near = old[max(0, start - 50):start + 50]
            replacement = rng.choice([b"", rng.choice(pool), block, near[rng.randint(0, len(near)):],
                                      old[start:end]])
            taken.append((start, end))
            edits.append(Edit(source, start, end, replacement))
        for plan in plan_files(edits):
            assert plan_diff(plan, "f.conf") == file_diff(old, plan.new_data(), "f.conf"), (old, edits)
            checked += 1
    assert checked == 3000


def test_diff_of_one_edit_equals_diff_of_the_bytes():
    """edit_diff (one edit, its window taken from the file's line table) against
    plan_diff of the one-edit plan (byte for byte what the scan wrote before it) and
    the whole-file diff of the old and new bytes: whole lines replaced by whole lines
    (the common fix) and edits inside lines, insertions that repeat the lines around
    them, edits at the first and last byte, CRLF, a last line without newline, bytes
    that are not UTF-8, numbered lines that differ by a digit."""
    import random
    from confcheck.fixers.diff import edit_diff, plan_diff
    from confcheck.fixers.edits import Edit, FilePlan
    from confcheck.source import SourceFile
    rng = random.Random(24)
    pool = [b"}\n", b"\n", b"    deny all;\n", b"location / {\n", b"x\r\n", b"a\rb\n", b"caf\xe9\n",
            b"\xff\xfe;\n", b"    location ~* \\.(png|jpg)$ { expires 7d; }\n", b"    alias /srv/site%d/;\n"]
    for _ in range(4000):
        lines = [rng.choice(pool) for _ in range(rng.randint(0, 30))]
        old = b"".join(line.replace(b"%d", b"%d" % rng.randint(0, 3)) for line in lines)
        old += rng.choice([b"y", b"}", b"\r"]) if rng.random() < .2 else b""
        source = SourceFile("/t/f.conf", old)
        starts = source.line_starts
        if rng.random() < .6:           # on line starts
            start = rng.choice(starts)
            end = rng.choice([s for s in starts if s >= start] + [len(old)])
        else:
            start = rng.randint(0, len(old))
            end = min(len(old), start + rng.choice([0, 0, 1, 5, 40]))
        near = b"".join(rng.choice(pool) for _ in range(rng.randint(0, 4))).replace(b"%d", b"7")
        replacement = rng.choice([b"", near, old[start:end], old[max(0, start - 30):start], near.rstrip(b"\n")])
        got = edit_diff(source, start, end, replacement, "f.conf")
        assert got == plan_diff(FilePlan(source, [Edit(source, start, end, replacement)]), "f.conf"), \
            (old, start, end, replacement)
    # the fix's usual edit: new lines, each unlike every line of the file, inserted at a line start
    # (here the windowed way is never needed: each diff is the whole file's)
    for _ in range(2000):
        old = b"".join(b"    line %d;\n" % rng.randint(0, 10 ** 6) for _ in range(rng.randint(0, 40)))
        old += rng.choice([b"", b"    last;", b"    last;\r\n"])
        source = SourceFile("/t/f.conf", old)
        start = rng.choice(source.line_starts)
        end = rng.choice([start, min(len(old), old.find(b"\n", start) + 1 or len(old))])
        replacement = b"".join(b"    new %d;\n" % n for n in range(rng.randint(1, 5)))
        assert edit_diff(source, start, end, replacement, "f.conf") == \
            file_diff(old, old[:start] + replacement + old[end:], "f.conf", whole=True), (old, start, end)


def test_diff_template_filled_for_a_look_alike_equals_its_diff():
    """edit_template (the diff of an edit inside a stretch that look-alikes repeat, made once)
    filled with a look-alike's tokens, first line and file against edit_diff of the same edit
    moved to that look-alike: stretches of random lines with name tokens in them (the holes),
    at any place of files of random lines (first and last lines, CRLF, bytes that are not
    UTF-8, a last line without newline), edits anywhere inside them (whole lines, inside a
    line, next to and over a hole). Look-alikes rename every hole's token consistently to one
    of the same length found nowhere in the stretch or the new text, as _shapes vouches."""
    import random
    from confcheck.fixers.diff import edit_diff, edit_template, file_header
    from confcheck.source import SourceFile
    rng = random.Random(25)
    pool = [b"}\n", b"\n", b"    deny all;\n", b"    location / {\n", b"x\r\n", b"caf\xe9 N0;\n", b"\xff\xfe;\n",
            b"    root /srv/N0/public;\n", b"    server_name N0.example.com N1.example.com;\n",
            b"    alias /var/N1/static/;\n", b"    expires 7d;\n"]
    outside = [b"}\n", b"\n", b"# other\n", b"server {\n", b"    listen 80;\n"]
    made = 0
    for _ in range(5000):
        # numbered lines (few repeats: lines both before and after a change make edit_diff ask difflib)
        stretch = b"".join(rng.choice(pool).replace(b";", b" %d;" % rng.randint(0, 99), 1)
                           for _ in range(rng.randint(1, 30)))
        if rng.random() < .2:
            stretch = stretch.replace(b"\n", b"\r\n")
        start = rng.randint(0, len(stretch))
        if rng.random() < .6:
            line_starts = [0] + [i + 1 for i, c in enumerate(stretch) if c == 10]
            start = rng.choice(line_starts)
            end = rng.choice([s for s in line_starts if start <= s <= start + 80] + [start])
        else:
            end = min(len(stretch), start + rng.choice([0, 1, 3, 12]))
        replacement = rng.choice([b"", b"    new;\n", b"    location ^~ /x/ {\n        deny all;\n    }\n",
                                  stretch[:rng.randint(0, len(stretch))], b"^~ ", stretch[start:end]])
        if rng.random() < .1:
            replacement += b"N0"        # the new text names a hole's token: look-alikes keep it
        def placed(text):
            before = b"".join(rng.choice(outside) for _ in range(rng.randint(0, 8)))
            after = b"".join(rng.choice(outside) for _ in range(rng.randint(0, 8)))
            after += rng.choice([b"", b"y", b"}"]) if rng.random() < .2 else b""
            return before, before + text + after
        rep_tokens = ("N0", "N1")
        before, data = placed(stretch)
        source = SourceFile("/t/a.conf", data)
        lo = len(before)
        holes = sorted((lo + m.start(), lo + m.end(), int(m.group()[1:])) for m in re.finditer(rb"N[01]", stretch))
        template = edit_template(source, lo + start, lo + end, replacement, lo, lo + len(stretch), holes, rep_tokens)
        if template is None:
            continue
        made += 1
        assert template.fill(file_header("a.conf"), source.line_col(lo)[0] - 1, rep_tokens) == \
            edit_diff(source, lo + start, lo + end, replacement, "a.conf")
        for tokens in (("Q7", "Z3"), ("N0", "Q9"), ("Z3", "N1")):
            if any(mine != theirs and mine.encode() in replacement for mine, theirs in zip(rep_tokens, tokens)):
                continue        # a renamed token the new text names: no look-alike (_shapes)
            other = stretch.replace(b"N0", tokens[0].encode()).replace(b"N1", tokens[1].encode())
            other_before, other_data = placed(other)
            other_source = SourceFile("/t/b.conf", other_data)
            at = len(other_before)
            assert template.fill(file_header("b.conf"), other_source.line_col(at)[0] - 1, tokens) == \
                edit_diff(other_source, at + start, at + end, replacement, "b.conf"), (stretch, start, end, replacement)
    assert made > 800


if __name__ == "__main__":
    base = Path(tempfile.mkdtemp(prefix="confcheck-speed-", dir="/var/tmp"))
    try:
        for shape, main in _make_trees(base).items():
            got = _findings(main)
            path = GOLDEN / f"{shape}.json"
            old = json.loads(path.read_text()) if path.exists() else []
            print(shape, "unchanged" if old == got else f"changed: {len(old)} -> {len(got)} findings")
            path.write_text(json.dumps(got, indent=1, sort_keys=True))
    finally:
        shutil.rmtree(base, ignore_errors=True)

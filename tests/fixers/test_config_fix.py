"""Config fixes: byte edits, the unified diff (checked with real `git apply` and
`patch -p1`), `confcheck fix --diff/--output-dir/--apply` on real files.

Trees live in a fresh 0755 directory under /var/tmp (the Sandbox of
fixhelpers); nothing here is mocked: the CLI runs in a child process.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from cc_helpers import run_cli  # noqa: E402

from confcheck.engine import ScanOptions, run_scan
from confcheck.fixcmd import FixFailed, StaleFile, apply_patch, collect
from confcheck.fixers import edits as E
from confcheck.fixers.config import ConfigFix
from confcheck.fixers.diff import patch_base, unified_diff
from confcheck.source import SourceFile

SITE = """user www-data;
events {}
http {
    server {
        listen 80;
        server_name site.test;
        root /srv/site;
        location /admin/ { deny all; allow 10.0.0.0/8; }
        location ~ /\\. {
            deny all;
        }
        location /img/ {
            alias /srv/images;
        }
    }
}
"""


def _image(sandbox, conf: str = SITE, *, name: str = "nginx.conf") -> str:
    root = sandbox.tree
    os.makedirs(f"{root}/etc/nginx", exist_ok=True)
    with open(f"{root}/etc/nginx/{name}", "w", encoding="utf-8", newline="") as fh:
        fh.write(conf)
    with open(f"{root}/etc/passwd", "w") as fh:
        fh.write("root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n")
    with open(f"{root}/etc/group", "w") as fh:
        fh.write("root:x:0:\nwww-data:x:33:\n")
    os.makedirs(f"{root}/srv/site", exist_ok=True)
    os.makedirs(f"{root}/srv/images", exist_ok=True)
    with open(f"{root}/srv/site/index.html", "w") as fh:
        fh.write("hi\n")
    return root


def _sha(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _options(root: str) -> ScanOptions:
    return ScanOptions(paths=["/etc/nginx/nginx.conf"], root=root)


# ---------------------------------------------------------------- edits


def _src(text: bytes, path: str = "/x/nginx.conf") -> SourceFile:
    return SourceFile(path, text)


def test_edits_sorted_deduplicated_and_applied():
    src = _src(b"abcdef")
    edits = [E.Edit(src, 4, 5, b"E"), E.Edit(src, 0, 0, b"<"), E.Edit(src, 4, 5, b"E"),
             E.Edit(src, 0, 0, b"["), E.Edit(src, 2, 2, b"|")]
    [plan] = E.plan_files(edits)
    assert len(plan.edits) == 4
    assert plan.new_data() == b"<[ab|cdEf"


@pytest.mark.parametrize("a,b", [((1, 3), (2, 4)), ((1, 3), (1, 2)), ((0, 6), (3, 3))])
def test_overlapping_edits_are_refused(a, b):
    src = _src(b"abcdef")
    with pytest.raises(E.EditConflict, match="two fixes edit the same text"):
        E.plan_files([E.Edit(src, *a, b"x"), E.Edit(src, *b, b"y")])


def test_touching_edits_are_fine_and_insertion_goes_first():
    src = _src(b"abcdef")
    [plan] = E.plan_files([E.Edit(src, 2, 4, b"XY"), E.Edit(src, 2, 2, b"+"), E.Edit(src, 4, 6, b"")])
    assert plan.new_data() == b"ab+XY"


def test_edit_outside_the_file_is_a_bug():
    with pytest.raises(ValueError):
        E.Edit(_src(b"abc"), 2, 9, b"")


def _parsed(text: bytes):
    from confcheck.parsers.nginx_parser import parse_nginx as parse
    from confcheck.source import Diagnostics
    src = _src(text)
    return src, parse(src, Diagnostics())


def _find(nodes, name):
    from confcheck.parsers.syntax import walk
    return [n for n in walk(nodes) if n.name == name]


def test_one_line_block_is_edited_in_place():
    src, parsed = _parsed(b"server {\n    location ~ /\\. { deny all; }\n}\n")
    [deny] = _find(parsed.nodes, "deny")
    [loc] = _find(parsed.nodes, "location")
    [plan] = E.plan_files([E.insert_before(deny, "allow 10.0.0.1;")])
    assert plan.new_data() == b"server {\n    location ~ /\\. { allow 10.0.0.1; deny all; }\n}\n"
    [plan] = E.plan_files([E.insert_before(loc, ["location ^~ /a/ {", "\tdefault_type text/plain;", "}"])])
    assert plan.new_data() == (b"server {\n    location ^~ /a/ {\n        default_type text/plain;\n    }\n"
                               b"    location ~ /\\. { deny all; }\n}\n")


def test_new_lines_copy_tabs_and_crlf():
    src, parsed = _parsed(b"server {\r\n\troot /srv;\r\n\tlocation / {\r\n\t}\r\n}\r\n")
    [root] = _find(parsed.nodes, "root")
    [loc] = _find(parsed.nodes, "location")
    [plan] = E.plan_files([E.insert_after(root, "index index.htm;"), E.insert_child(loc, "deny all;")])
    assert plan.new_data() == (b"server {\r\n\troot /srv;\r\n\tindex index.htm;\r\n\tlocation / {\r\n"
                               b"\t\tdeny all;\r\n\t}\r\n}\r\n")


def test_move_keeps_the_trailing_comment_and_never_comments_out_a_brace():
    src, parsed = _parsed(b"location / {\n    deny all;   # nobody\n    allow 10.0.0.0/8;\n}\n"
                          b"location /b/ { deny all; allow 1.2.3.4; }\n")
    deny1, deny2 = _find(parsed.nodes, "deny")
    allow1, allow2 = _find(parsed.nodes, "allow")
    [plan] = E.plan_files(E.move_after(deny1, allow1) + E.move_after(deny2, allow2))
    assert plan.new_data() == (b"location / {\n    allow 10.0.0.0/8;\n    deny all;   # nobody\n}\n"
                               b"location /b/ { allow 1.2.3.4; deny all; }\n")


def test_arguments_keep_their_quotes():
    src, parsed = _parsed(b'alias "/srv/my images";\nroot \'/a/b\';\nindex index.html;\n')
    [alias] = _find(parsed.nodes, "alias")
    [root] = _find(parsed.nodes, "root")
    [index] = _find(parsed.nodes, "index")
    [plan] = E.plan_files([E.arg_suffix(alias.args[0], "/"), E.replace_arg(root.args[0], "/a"),
                           E.append_arg(index, "my index.htm")])
    assert plan.new_data() == b'alias "/srv/my images/";\nroot \'/a\';\nindex index.html "my index.htm";\n'


# ---------------------------------------------------------------- diff, checked by git and patch


def _git_and_patch_accept(base: str, patch: bytes, expected: dict[str, bytes]) -> None:
    """`git apply --check`, `patch -p1 --dry-run`, then both for real (in copies)
    give exactly the expected bytes."""
    for tool in ("git", "patch"):
        copy = base + f".{tool}"
        shutil.copytree(base, copy, symlinks=True)
        try:
            if tool == "git":
                check = ["git", "apply", "--check", "-"]
                real = ["git", "apply", "--whitespace=nowarn", "-"]
            else:
                check = ["patch", "-p1", "--dry-run", "--batch"]
                real = ["patch", "-p1", "--batch", "--no-backup-if-mismatch"]
            for argv in (check, real):
                run = subprocess.run(argv, input=patch, cwd=copy, capture_output=True, timeout=30)
                assert run.returncode == 0, (tool, run.stdout, run.stderr)
            for rel, data in expected.items():
                assert _read(os.path.join(copy, rel)) == data, (tool, rel)
        finally:
            shutil.rmtree(copy)


@pytest.mark.parametrize("name,data,start,end,new", [
    ("plain.conf", b"a;\nb;\nc;\n", 3, 5, b"B;"),
    ("no-final-newline.conf", b"a;\nb;\nc;", 6, 8, b"C;"),
    ("crlf.conf", b"a;\r\nb;\r\nc;\r\n", 4, 6, b"B;"),
    ("with space.conf", b"a;\nb;\n", 0, 0, b"x;\n"),
    ("latin1.conf", b"# caf\xe9\nroot /srv;\n", 8, 18, b"root /srv/www;"),
    ("weird\"name.conf", b"a;\n", 0, 2, b"b;"),
])
def test_diff_applies_with_git_and_patch(sandbox, name, data, start, end, new):
    base = os.path.join(sandbox.tree, "conf")
    os.makedirs(os.path.join(base, "sites"))
    path = os.path.join(base, "sites", name)
    with open(path, "wb") as fh:
        fh.write(data)
    other = os.path.join(base, "nginx.conf")
    with open(other, "wb") as fh:
        fh.write(b"include sites/*;\n")
    src = SourceFile.read(path)
    src2 = SourceFile.read(other)
    plans = E.plan_files([E.Edit(src, start, end, new), E.Edit(src2, 0, 0, b"# top\n")])
    assert patch_base([p.path for p in plans]) == base
    text = unified_diff(plans, base)
    assert text.startswith("--- a/nginx.conf\n+++ b/nginx.conf\n")
    expected = {os.path.join("sites", name): data[:start] + new + data[end:],
                "nginx.conf": b"# top\ninclude sites/*;\n"}
    _git_and_patch_accept(base, text.encode("utf-8", "surrogateescape"), expected)


def test_no_newline_marker(sandbox):
    src = _src(b"a;\nb;", "/x/a.conf")
    text = unified_diff(E.plan_files([E.Edit(src, 3, 5, b"c;")]), "/x")
    assert text == "--- a/a.conf\n+++ b/a.conf\n@@ -1,2 +1,2 @@\n a;\n-b;\n\\ No newline at end of file\n+c;\n\\ No newline at end of file\n"


# ---------------------------------------------------------------- the command


def test_fix_diff_changes_nothing_and_its_patch_applies(sandbox):
    root = _image(sandbox)
    conf = f"{root}/etc/nginx/nginx.conf"
    before = _sha(conf)
    run = run_cli("fix", "--root", root, "/etc/nginx/nginx.conf")
    assert run.returncode == 1, run.stderr      # findings remain until the patch is applied
    out = run.stdout.decode()
    assert _sha(conf) == before
    assert "--- a/etc/nginx/nginx.conf\n+++ b/etc/nginx/nginx.conf\n" in out
    assert "-        location /admin/ { deny all; allow 10.0.0.0/8; }\n" \
           "+        location /admin/ { allow 10.0.0.0/8; deny all; }\n" in out
    assert "+            alias /srv/images/;\n" in out
    # the printed text is itself a patch both tools accept (the summary lines are leading garbage)
    expected = run_scan(_options(root))
    fixset = collect(expected.findings, root=root)
    _git_and_patch_accept(root, run.stdout, {"etc/nginx/nginx.conf": fixset.file_plans[0].new_data()})


def test_output_dir_writes_patch_and_script(sandbox):
    root = _image(sandbox)
    os.makedirs(f"{root}/home/alice/site")
    with open(f"{root}/home/alice/site/index.html", "w") as fh:
        fh.write("a\n")
    os.chmod(f"{root}/home/alice", 0o700)
    conf = SITE.replace("        root /srv/site;\n", "        root /home/alice/site;\n")
    _image(sandbox, conf)
    out = os.path.join(sandbox.base, "out")
    run = run_cli("fix", "--root", root, "/etc/nginx/nginx.conf", "--output-dir", out)
    assert run.returncode == 1, run.stderr
    assert sorted(os.listdir(out)) == ["confcheck-permissions.sh", "confcheck.patch"]
    script = _read(os.path.join(out, "confcheck-permissions.sh")).decode()
    home = f"{root}/home/alice"
    assert f"setfacl -m u:www-data:--x,m::--x {home}\n" in script
    assert os.stat(home).st_mode & 0o777 == 0o700          # never run by confcheck
    assert subprocess.run(["patch", "-p1", "--dry-run", "--batch", "-i", os.path.join(out, "confcheck.patch")],
                          cwd=root, capture_output=True).returncode == 0
    # the user runs the script: then the finding is gone
    assert subprocess.run(["sh", os.path.join(out, "confcheck-permissions.sh")], capture_output=True).returncode == 0
    assert not [f for f in run_scan(_options(root)).findings if f.rule == "FS101"]


def test_unsafe_fixes_are_left_out_unless_asked(sandbox):
    conf = SITE.replace("location /img/ {\n            alias /srv/images;",
                        "location /img {\n            alias /srv/images/;")
    root = _image(sandbox, conf)
    safe = run_cli("fix", "--root", root, "/etc/nginx/nginx.conf", "--no-fs").stdout.decode()
    assert "NGX108" in safe and "[unsafe, not included]" in safe and "+        location /img/ {" not in safe
    unsafe = run_cli("fix", "--root", root, "/etc/nginx/nginx.conf", "--no-fs", "--unsafe-fixes").stdout.decode()
    assert "+        location /img/ {" in unsafe


def test_json_output_carries_each_fix(sandbox):
    import json
    root = _image(sandbox)
    doc = json.loads(run_cli("fix", "--root", root, "/etc/nginx/nginx.conf", "--format", "json").stdout)
    rules = {f["rule"]: f for f in doc["fixes"]}
    assert rules["NGX107"]["fix"]["applicability"] == "safe" and rules["NGX107"]["included"]
    assert rules["NGX107"]["fix"]["diff"].startswith("--- a/etc/nginx/nginx.conf\n")
    assert doc["patch"].count("--- a/etc/nginx/nginx.conf") == 1 and doc["base"] == root
    scan = json.loads(run_cli("scan", "--root", root, "/etc/nginx/nginx.conf", "--format", "json").stdout)
    fixes = {f["rule"]: f["fix"] for f in scan["findings"]}
    assert fixes["NGX107"] == rules["NGX107"]["fix"]
    assert set(fixes["NGX102"]) == {"applicability", "title", "diff", "commands"}


def test_apply_refuses_to_ask_without_a_terminal(sandbox):
    root = _image(sandbox)
    conf = f"{root}/etc/nginx/nginx.conf"
    before = _sha(conf)
    run = run_cli("fix", "--root", root, "/etc/nginx/nginx.conf", "--apply", stdin=b"y\n")
    assert run.returncode == 2
    assert b"stdin is not a terminal: pass --yes" in run.stderr
    assert _sha(conf) == before


def test_apply_keeps_owner_mode_acl_and_a_byte_exact_backup(sandbox):
    root = _image(sandbox)
    conf = f"{root}/etc/nginx/nginx.conf"
    os.chown(conf, 1234, 4321)
    os.chmod(conf, 0o640)
    subprocess.run(["setfacl", "-m", "u:www-data:r--", conf], check=True)
    acl_before = subprocess.run(["getfacl", "-cEnp", conf], capture_output=True).stdout
    original = _read(conf)
    backups = os.path.join(sandbox.base, "bak")
    run = run_cli("fix", "--root", root, "/etc/nginx/nginx.conf", "--apply", "--yes", "--backup-dir", backups)
    assert run.returncode == 0, run.stdout.decode() + run.stderr.decode()
    st = os.stat(conf)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1234, 4321, 0o640)
    assert subprocess.run(["getfacl", "-cEnp", conf], capture_output=True).stdout == acl_before
    new = _read(conf)
    assert b"{ allow 10.0.0.0/8; deny all; }" in new and b"alias /srv/images/;" in new
    copy = os.path.join(backups, "etc/nginx/nginx.conf")
    assert f"{conf} -> {copy}" in run.stdout.decode()
    assert _read(copy) == original
    assert os.stat(backups).st_mode & 0o777 == 0o700
    assert not [f for f in run_scan(_options(root)).findings if f.rule in ("NGX101", "NGX102", "NGX107")]
    # restoring the backup gives the original bytes back
    shutil.copyfile(copy, conf)
    assert _read(conf) == original
    assert not [n for n in os.listdir(f"{root}/etc/nginx") if n != "nginx.conf"]   # no temp files left


def test_apply_refuses_a_file_changed_after_the_scan(sandbox):
    root = _image(sandbox)
    conf = f"{root}/etc/nginx/nginx.conf"
    result = run_scan(_options(root))
    fixset = collect(result.findings, root=root)
    with open(conf, "a") as fh:
        fh.write("# edited by someone else\n")
    changed = _read(conf)
    with pytest.raises(StaleFile, match="changed after it was analysed"):
        apply_patch(fixset, _options(root), backup_dir=os.path.join(sandbox.base, "bak"))
    assert _read(conf) == changed
    assert not os.path.exists(os.path.join(sandbox.base, "bak"))


def _broken_fix(result, root, replacement: bytes, start_text: bytes):
    """A hand-made fix (what a buggy fixer could produce) on the scanned source."""
    finding = next(f for f in result.findings if f.rule == "NGX107")
    src = finding.span.source
    start = src.data.index(start_text)
    edit = E.Edit(src, start, start + len(start_text), replacement)
    finding.fix = ConfigFix(applicability="safe", title="broken", edits=[edit], base=root)
    return collect([finding], root=root)


def test_a_fix_that_does_not_parse_is_rolled_back_byte_for_byte(sandbox):
    root = _image(sandbox)
    conf = f"{root}/etc/nginx/nginx.conf"
    os.chmod(conf, 0o600)
    original = _read(conf)
    fixset = _broken_fix(run_scan(_options(root)), root, b"alias /srv/images/", b"alias /srv/images;")
    with pytest.raises(FixFailed, match="restored") as info:
        apply_patch(fixset, _options(root), backup_dir=os.path.join(sandbox.base, "bak"))
    assert "nginx.conf" in str(info.value)
    assert _read(conf) == original
    assert os.stat(conf).st_mode & 0o777 == 0o600


def test_a_fix_that_leaves_the_finding_is_rolled_back(sandbox):
    root = _image(sandbox)
    conf = f"{root}/etc/nginx/nginx.conf"
    original = _read(conf)
    fixset = _broken_fix(run_scan(_options(root)), root, b"alias /srv/images; # fixed?",
                         b"alias /srv/images;")
    with pytest.raises(FixFailed, match="NGX107 is still reported"):
        apply_patch(fixset, _options(root), backup_dir=os.path.join(sandbox.base, "bak"))
    assert _read(conf) == original


def test_symlinked_site_is_patched_at_its_target(sandbox):
    root = _image(sandbox, "user www-data;\nevents {}\nhttp {\n    include /etc/nginx/sites-enabled/*;\n}\n")
    os.makedirs(f"{root}/etc/nginx/sites-available")
    os.makedirs(f"{root}/etc/nginx/sites-enabled")
    with open(f"{root}/etc/nginx/sites-available/img", "w") as fh:
        fh.write("server {\n    server_name img.test;\n    location /img/ {\n        alias /srv/images;\n    }\n}\n")
    os.symlink("../sites-available/img", f"{root}/etc/nginx/sites-enabled/img")
    result = run_scan(_options(root))
    fixset = collect(result.findings, root=root)
    assert fixset.patch.startswith("--- a/etc/nginx/sites-available/img\n+++ b/etc/nginx/sites-available/img\n")
    apply_patch(fixset, _options(root), backup_dir=os.path.join(sandbox.base, "bak"))
    assert os.path.islink(f"{root}/etc/nginx/sites-enabled/img")
    assert b"alias /srv/images/;" in _read(f"{root}/etc/nginx/sites-available/img")

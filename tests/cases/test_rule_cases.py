"""Case files: for every rule, configs and disks where it must fire and where it must not.

Each `*.yaml` here holds cases. A case is a set of config files, a disk tree
(real modes and owners, built as root under a fresh 0755 directory used as
`--root`), and the exact findings expected: rule, file, line and fs_path.
The scan's findings must equal the expectation exactly, so a quiet case
(`expect: []`) proves the rules stay silent.
"""

from __future__ import annotations

import glob
import os
import shutil

import pytest
import yaml

from cc_helpers import SHARED, corpus_link, need_root
from fixcase import check_fix

from confcheck.engine import ScanOptions, run_scan
from confcheck.registry import load_rules

HERE = os.path.dirname(os.path.abspath(__file__))

BASE_USERS = {"root": (0, 0), "www-data": (33, 33), "nobody": (65534, 65534)}
BASE_GROUPS = {"root": 0, "www-data": 33, "nogroup": 65534}


def _load_cases():
    for path in sorted(glob.glob(os.path.join(HERE, "*.yaml"))):
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        for case in doc["cases"]:
            yield pytest.param(doc["rule"], case, id=f"{os.path.basename(path)[:-5]}:{case['name']}")


def _accounts(case):
    users = dict(BASE_USERS)
    groups = dict(BASE_GROUPS)
    members: dict[str, list[str]] = {}
    next_id = 1000
    for name in case.get("users", []):
        users[name] = (next_id, next_id)
        groups[name] = next_id
        next_id += 1
    for name, spec in (case.get("groups") or {}).items():
        groups.setdefault(name, next_id)
        next_id += 1
        members[name] = list(spec or [])
    passwd = "".join(f"{n}:x:{u}:{g}::/nonexistent:/usr/sbin/nologin\n" for n, (u, g) in users.items())
    group = "".join(f"{n}:x:{g}:{','.join(members.get(n, []))}\n" for n, g in groups.items())
    return users, groups, passwd, group


def _expand(entries):
    """Entries are [path, kind, mode, owner, group, (content|target)], or a dict
    with `count` standing for many files named by `{n}`."""
    for entry in entries:
        if isinstance(entry, dict):
            for n in range(1, entry["count"] + 1):
                yield [entry["path"].format(n=n), entry["kind"], entry["mode"], entry["owner"],
                       entry["group"], entry.get("content")]
        else:
            yield entry


APACHE_CORPUS = os.path.join(SHARED, "corpus", "apache", "debian")


def _debian_apache(root: str, keep_default: bool) -> None:
    """`base: debian-apache`: Debian's /etc/apache2 as installed (envvars, mods-enabled,
    conf-enabled), `*-enabled` entries as relative symlinks like a2enmod makes them.
    The stock 000-default site stays only with `keep_default: true`."""
    import shutil
    dest = os.path.join(root, "etc/apache2")
    for dirpath, _dirs, names in os.walk(APACHE_CORPUS):
        rel = os.path.relpath(dirpath, APACHE_CORPUS)
        os.makedirs(os.path.join(dest, rel), exist_ok=True)
        for name in names:
            src, out = os.path.join(dirpath, name), os.path.join(dest, rel, name)
            target = corpus_link(src)
            if target is not None:
                if rel == "sites-enabled" and not keep_default:
                    continue
                os.symlink(target, out)
                continue
            shutil.copyfile(src, out)
    # what the apache2 package installs besides its configs (alias.conf serves the icons;
    # its log directory and mime.conf's TypesConfig: FS110)
    for path in ("usr/share/apache2/icons", "var/www", "var/log/apache2"):
        os.makedirs(os.path.join(root, path), mode=0o755, exist_ok=True)
    shutil.copyfile("/etc/mime.types", os.path.join(root, "etc/mime.types"))   # media-types (apache2 depends on it)


def build_case(root: str, case) -> None:
    users, groups, passwd, group = _accounts(case)
    if case.get("base") == "debian-apache":
        _debian_apache(root, case.get("keep_default", False))
    files = {"etc/passwd": passwd, "etc/group": group, **case.get("files", {})}
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    for entry in _expand(case.get("tree", [])):
        path, kind, mode, owner, grp = entry[:5]
        extra = entry[5] if len(entry) > 5 else None
        host = root + path
        os.makedirs(os.path.dirname(host), exist_ok=True)
        if kind == "dir":
            os.makedirs(host, exist_ok=True)
        elif kind == "file":
            with open(host, "w", encoding="utf-8") as fh:
                fh.write(extra or "x\n")
        elif kind == "link":
            os.symlink(extra, host)
        else:
            raise ValueError(kind)
        os.lchown(host, users[owner][0] if owner in users else int(owner),
                  groups[grp] if grp in groups else int(grp))
        if kind != "link":
            os.chmod(host, int(mode, 8))


def snapshot_with_labels(root: str, case) -> str:
    """Snapshot the case's tree, then give it the SELinux state the case asks for.

    This machine has no SELinux, so labels and enforcement come in through the
    snapshot backend, exactly as a snapshot taken on an enforcing host would.
    """
    from confcheck.fs.live import LiveFs
    from confcheck.fs.snapshot import COLUMNS, write_snapshot

    tops = sorted({"/" + e[0].strip("/").split("/")[0] for e in _expand(case["tree"])})
    path = os.path.join(root, "fs.json")
    write_snapshot(tops + ["/etc/nginx"], path, LiveFs(root))
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)  # JSON is YAML; keeps the test free of a second parser
    labels = case["selinux"].get("labels", {})
    at = COLUMNS.index("label")
    for row in doc["entries"]:
        row[at] = labels.get(row[0], "system_u:object_r:httpd_sys_content_t:s0")
    doc["selinux_enforcing"] = case["selinux"]["enforcing"]
    import json
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
    return path


def _under_root(root: str, item: str) -> str:
    host, sep, path = item.rpartition("=")
    path = os.path.join(root, (path if sep else item).lstrip("/"))
    return f"{host}={path}" if sep else path


def case_options(case, tree_dir: str, snapshot: str | None = None) -> ScanOptions:
    """The scan options of a case built under `tree_dir`."""
    default = "/etc/apache2/apache2.conf" if case.get("base") == "debian-apache" else "/etc/nginx/nginx.conf"
    # `paths`: several PATHs (an nginx.conf and the php-fpm.conf behind it)
    return ScanOptions(paths=list(case.get("paths") or [case.get("config", default)]), root=tree_dir,
                       server=case.get("server"), no_fs=case.get("no_fs", False), fs_snapshot=snapshot,
                       # Django settings behind the proxy ([HOST=]FILE, the file under the case's root)
                       app_settings=[_under_root(tree_dir, item) for item in case.get("app_settings", [])])


@pytest.mark.parametrize("rule_id,case", list(_load_cases()))
def test_case(rule_id, case, tree_dir):
    need_root()
    build_case(tree_dir, case)
    snapshot = snapshot_with_labels(tree_dir, case) if "selinux" in case else None
    options = case_options(case, tree_dir, snapshot)
    result = run_scan(options)
    assert [str(d) for d in result.errors] == case.get("errors", [])
    got = sorted(
        (f.rule, os.path.relpath(f.span.file, tree_dir) if f.span else None,
         f.span.line if f.span else None, f.fs_path)
        for f in result.findings)
    want = sorted(
        (e["rule"], e.get("file"), e.get("line"), e.get("fs_path")) for e in case.get("expect", []))
    assert got == want, "\n".join(f"{f.rule} {f.message}" for f in result.findings)
    for expected in case.get("expect", []):
        if "message" in expected:
            message = expected["message"].replace("@ROOT@", tree_dir)    # unit files are named as read
            assert any(message in f.message for f in result.findings
                       if f.rule == expected["rule"]), expected["message"]
        if "severity" in expected:
            assert any(f.severity == expected["severity"] for f in result.findings
                       if f.rule == expected["rule"] and f.fs_path == expected.get("fs_path")), expected
        if "count" in expected:
            [match] = [f for f in result.findings if f.rule == expected["rule"]
                       and f.fs_path == expected.get("fs_path")]
            assert len(match.fs_paths or [match.fs_path]) == expected["count"]
    # the fix half (tests/cases/fixcase.py): exact patch/script, applied, scanned again
    check_fix(rule_id, case, options, result, tree_dir)


def test_every_rule_has_firing_and_quiet_cases():
    firing: set[str] = set()
    quiet: set[str] = set()
    for param in _load_cases():
        rule_id, case = param.values
        (firing if any(e["rule"] == rule_id for e in case.get("expect", [])) else quiet).add(rule_id)
    for rule in load_rules().all():
        assert rule.id in firing, f"{rule.id} has no case where it fires"
        assert rule.id in quiet, f"{rule.id} has no case where it stays quiet"

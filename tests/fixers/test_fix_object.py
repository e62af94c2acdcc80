"""permission_fix: the `fix` object of the JSON contract; symlink and label advice."""

from __future__ import annotations

import os
import shutil

import cases
from fixhelpers import SOURCE, WHEN, denials

from confcheck.findings import Fix
from confcheck.fs.access import Checker, SymlinkPolicy
from confcheck.fs.model import Denial, Meta
from confcheck.fixers.permissions import build_plan, permission_fix
from confcheck.fixers.script import render_script
from confcheck.survey import Problem


def test_fix_from_survey_problems(sandbox, www, accounts, fs):
    reqs, _ = cases.x_private_home(sandbox)
    found = denials(www, reqs)
    problems = [Problem(d.need, d.path, d, place=None) for d in found]
    fix = permission_fix(problems, www, accounts, fs=fs)
    home = sandbox.p("alice")
    assert isinstance(fix, Fix)
    assert fix.to_json() == {"applicability": "safe", "title": f"let www-data traverse {home}",
                             "diff": None, "commands": [f"setfacl -m u:www-data:--x,m::--x {home}"]}


def test_fix_for_many_files_is_one_find(sandbox, www, accounts, fs):
    reqs, _ = cases.r_many_find(sandbox)
    fix = permission_fix(denials(www, reqs), www, accounts, fs=fs)
    shop = sandbox.p("shop")
    assert fix.applicability == "safe"
    assert fix.title == f"let www-data read 8 files under {shop}"
    assert fix.commands == [f"find {shop} -type f -uid 1500 -gid 1500 -perm 0600 -exec chmod o+r '{{}}' +"]


def test_fix_with_unsafe_step(sandbox, www, accounts, fs):
    reqs, _ = cases.x_acl_mask_widens(sandbox)
    fix = permission_fix(denials(www, reqs), www, accounts, fs=fs)
    assert fix.applicability == "unsafe"
    assert fix.commands == [f"setfacl -m m::--x {sandbox.p('site')}"]


def test_password_file_fix_keeps_it_from_other(sandbox, www, accounts, fs):
    reqs, _ = cases.secret_other(sandbox)
    acc = Checker(fs, www).check(reqs[0][0], "read")          # what FS105 holds: an Access
    fix = permission_fix([acc], www, accounts, fs=fs, secret=True)
    path = sandbox.p(".htpasswd")
    assert fix.commands == [f"chgrp www-data {path}", f"chmod g+r {path}"]
    # without secret=True a .htpasswd looks private and is not touched at all
    fix = permission_fix([acc], www, accounts, fs=fs)
    assert fix.applicability == "display-only" and fix.commands == []


def test_no_fix_for_nothing(www, accounts):
    assert permission_fix([], www, accounts) is None


def test_symlink_if_not_owner_is_advice_only(sandbox, www, accounts, fs):
    target = sandbox.file("target.html", 0o644, 0, 0)
    link = sandbox.p("link.html")
    os.symlink(target, link)
    os.lchown(link, cases.HUMAN, cases.HUMAN)
    access = Checker(fs, www, SymlinkPolicy("if_not_owner")).check(link, "read")
    assert access.denial.need == "symlink"
    plan = build_plan([access], www, accounts, fs)
    fix = permission_fix([access], www, accounts, fs=fs)
    assert fix.applicability == "display-only"
    assert fix.commands == [f"chown -h root {link}"]
    text = sandbox.normalise(render_script(plan, source=SOURCE, when=WHEN))
    assert "# Nothing to run.\n" in text and "#   chown -h root /SANDBOX/link.html\n" in text
    assert "\nchown" not in text
    sandbox.write(render_script(plan, source=SOURCE, when=WHEN))
    assert sandbox.run().returncode == 0 and os.lstat(link).st_uid == cases.HUMAN


def test_symlink_on_is_a_config_matter(sandbox, www, accounts, fs):
    target = sandbox.file("target.html", 0o644)
    link = sandbox.p("link.html")
    os.symlink(target, link)
    access = Checker(fs, www, SymlinkPolicy("on")).check(link, "read")
    fix = permission_fix([access], www, accounts, fs=fs)
    assert fix.applicability == "display-only" and fix.commands == []
    assert "disable_symlinks on refuses every link" in fix.title


def test_selinux_label_plan(www, accounts):
    path = "/web/my.site (v2)"
    meta = Meta(path, "dir", 0o755, 0, 0, label="unconfined_u:object_r:default_t:s0")
    plan = build_plan([Denial(path, meta, "label", None, "SELinux: ...")], www, accounts, None)
    step = plan.steps[0]
    assert step.commands == (
        ("semanage", "fcontext", "-a", "-t", "httpd_sys_content_t", r"/web/my\.site \(v2\)(/.*)?"),
        ("restorecon", "-Rv", path))
    assert plan.commands() == [
        r"semanage fcontext -a -t httpd_sys_content_t '/web/my\.site \(v2\)(/.*)?'",
        "restorecon -Rv '/web/my.site (v2)'"]
    if shutil.which("semanage") is None:
        assert plan.applicability == "display-only" and not step.runnable
        text = render_script(plan, source=SOURCE, when=WHEN).decode()
        assert "\nsemanage" not in text and "#   semanage fcontext" in text
    else:
        assert step.applicability == "unsafe" and step.expect[0].label == meta.label

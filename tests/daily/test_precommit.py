"""The pre-commit hook, run by the real `pre-commit try-repo` on a sample config repository."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from cc_helpers import REPO
from dailyhelpers import ADMIN_GOOD, config_repo, write


def _pre_commit() -> str:
    found = shutil.which("pre-commit")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("pre-commit is not installed (it is in the test extras); CI must run this test")
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return found


def _git(cwd: str, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd,
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """This checkout, committed as it is now: try-repo only sees committed and
    tracked files, and the hook must be tested as the working tree has it."""
    copy = str(tmp_path_factory.mktemp("hook") / "confcheck")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                           check=True, capture_output=True).stdout.split(b"\0")
    for name in filter(None, files):
        src = os.path.join(REPO, os.fsdecode(name))
        if not os.path.lexists(src):
            continue
        dst = os.path.join(copy, os.fsdecode(name))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
    _git(copy, "init", "-q")
    _git(copy, "add", "-A")
    _git(copy, "commit", "-qm", "snapshot")
    return copy


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    return str(tmp_path_factory.mktemp("pre-commit-home"))


def _try_repo(hook_repo, home, cwd, *files):
    env = dict(os.environ, PRE_COMMIT_HOME=home, NO_COLOR="1")
    args = ["--files", *files] if files else ["--all-files"]
    return subprocess.run([_pre_commit(), "try-repo", hook_repo, "confcheck", "--color", "never", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_manifest_declares_a_config_only_hook():
    with open(os.path.join(REPO, ".pre-commit-hooks.yaml"), encoding="utf-8") as fh:
        [hook] = yaml.safe_load(fh)
    assert hook["id"] == "confcheck" and hook["language"] == "python"
    assert "--no-fs" in hook["entry"] and "--context" in hook["entry"]
    import re
    pattern = re.compile(hook["files"])
    for path in ("nginx/nginx.conf", "nginx/sites-available/shop", "nginx/sites-enabled/shop",
                 "nginx/snippets/admin.conf", "nginx/conf.d/upgrade.conf", "apache2/apache2.conf",
                 "apache2/sites-available/000-default.conf", "site/.htaccess", "httpd.conf"):
        assert pattern.search(path), path
    for path in ("README.md", "site/index.html", "nginx/mime.types.orig.txt"):
        assert not pattern.search(path), path


def test_a_changed_snippet_is_checked_inside_the_vhost_that_includes_it(hook_repo, pre_commit_home, tmp_path):
    repo = config_repo(str(tmp_path / "configs"))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "configs")
    proc = _try_repo(hook_repo, pre_commit_home, repo, "nginx/snippets/admin.conf")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "nginx/snippets/admin.conf:2:5: NGX102" in out
    assert "in 4 files" in out      # nginx.conf, conf.d/upgrade.conf, the vhost, the snippet
    # The whole repository, Apache tree and .htaccess included, is read without errors,
    # and after the fix the hook passes.
    write(f"{repo}/nginx/snippets/admin.conf", ADMIN_GOOD)
    _git(repo, "commit", "-qam", "fix")
    proc = _try_repo(hook_repo, pre_commit_home, repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout

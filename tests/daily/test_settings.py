"""Settings files ([tool.confcheck] / .confcheck.toml): discovery, keys, and command-line precedence."""

from __future__ import annotations

import json

import pytest

from cc_helpers import run_cli
from dailyhelpers import config_repo, write

from confcheck.settings import SettingsError, load_settings


def scan_json(cwd, *args):
    proc = run_cli("scan", "--no-fs", "--format", "json", *args, cwd=cwd)
    return proc, (json.loads(proc.stdout) if proc.stdout.strip().startswith(b"{") else None)


def test_nearest_file_wins_and_pyproject_without_table_is_skipped(tmp_path):
    write(f"{tmp_path}/.confcheck.toml", 'ignore = ["NGX102"]\n')
    write(f"{tmp_path}/sub/pyproject.toml", '[project]\nname = "x"\n')
    write(f"{tmp_path}/sub/deeper/pyproject.toml", '[tool.confcheck]\nfail-on = "error"\n')
    assert load_settings(str(tmp_path / "sub")).ignore == ("NGX102",)
    deeper = load_settings(str(tmp_path / "sub" / "deeper"))
    assert deeper.fail_on == "error" and deeper.ignore == ()      # no merging
    write(f"{tmp_path}/sub/deeper/.confcheck.toml", 'fail-on = "info"\n')
    assert load_settings(str(tmp_path / "sub" / "deeper")).fail_on == "info"   # same folder: .confcheck.toml


def test_settings_apply_and_flags_override_them(tmp_path):
    repo = config_repo(str(tmp_path))
    write(f"{repo}/pyproject.toml", '[tool.confcheck]\nignore = ["NGX102"]\nfail-on = "error"\n')
    proc, doc = scan_json(repo, "nginx/nginx.conf")
    assert proc.returncode == 0 and doc["findings"] == []
    # --ignore on the command line replaces the file's list
    proc, doc = scan_json(repo, "nginx/nginx.conf", "--ignore", "NGX101")
    assert proc.returncode == 1 and [f["rule"] for f in doc["findings"]] == ["NGX102"]
    # --select by prefix, --fail-on beats the file's fail-on
    write(f"{repo}/pyproject.toml", '[tool.confcheck]\nselect = ["FS"]\nfail-on = "error"\n')
    assert scan_json(repo, "nginx/nginx.conf")[1]["findings"] == []
    proc, doc = scan_json(repo, "nginx/nginx.conf", "--select", "NGX")
    assert proc.returncode == 1 and doc["findings"][0]["rule"] == "NGX102"
    # --isolated ignores the file altogether
    write(f"{repo}/pyproject.toml", '[tool.confcheck]\nignore = ["ALL"]\n')
    assert scan_json(repo, "nginx/nginx.conf")[1]["findings"] == []
    assert scan_json(repo, "nginx/nginx.conf", "--isolated")[1]["findings"]


def test_fail_on_threshold_from_file_and_flag(tmp_path):
    repo = config_repo(str(tmp_path))   # NGX102 is an error
    write(f"{repo}/.confcheck.toml", 'fail-on = "error"\n')
    assert scan_json(repo, "nginx/nginx.conf")[0].returncode == 1
    write(f"{repo}/nginx/snippets/admin.conf", "location /admin/ {\n    allow 10.0.0.0/8;\n    deny all;\n}\n"
          "# confcheck: ignore NGX102 -- nothing below\n")
    proc, doc = scan_json(repo, "nginx/nginx.conf")
    assert [f["rule"] for f in doc["findings"]] == ["CC001"]     # a warning
    assert proc.returncode == 0
    assert scan_json(repo, "nginx/nginx.conf", "--fail-on", "warning")[0].returncode == 1


def test_per_file_ignores_match_paths_relative_to_the_settings_file(tmp_path):
    repo = config_repo(str(tmp_path))
    write(f"{repo}/.confcheck.toml", '[per-file-ignores]\n"nginx/snippets/*" = ["NGX102"]\n')
    proc, doc = scan_json(f"{repo}/nginx", "nginx.conf")       # run from a sub-folder
    assert proc.returncode == 0 and doc["findings"] == []
    write(f"{repo}/.confcheck.toml", '[per-file-ignores]\n"shop" = ["NGX102"]\n')
    assert scan_json(repo, "nginx/nginx.conf")[1]["findings"]    # only the snippet has it


def test_worker_user_and_server_from_settings(tmp_path):
    write(f"{tmp_path}/.confcheck.toml", 'server = "apache"\nworker-user = "www-data"\n')
    # no Apache keyword in it: only the settings' server makes this an Apache file
    write(f"{tmp_path}/site.conf", "servername www.example.com\n")
    proc, doc = scan_json(str(tmp_path), "site.conf")
    assert proc.returncode == 0 and doc["summary"]["files"] == 1, proc.stderr
    proc, doc = scan_json(str(tmp_path), "site.conf", "--server", "nginx")
    assert proc.returncode == 2       # as nginx, `servername` is an unknown directive


@pytest.mark.parametrize("text,message", [
    ('selct = ["FS101"]\n', "unknown key 'selct'"),
    ('fail-on = "fatal"\n', "fail-on must be one of"),
    ('select = "FS101\n', "not valid TOML"),
    ('ignore = ["NOPE1"]\n', "unknown rule 'NOPE1'"),
])
def test_bad_settings_exit_2_with_one_line(tmp_path, text, message):
    write(f"{tmp_path}/.confcheck.toml", text)
    write(f"{tmp_path}/a.conf", "server { root /srv; }\n")
    proc = run_cli("scan", "--no-fs", "a.conf", cwd=str(tmp_path))
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and message in err and ".confcheck.toml" in err


def test_explicit_settings_file(tmp_path):
    write(f"{tmp_path}/ci.toml", 'ignore = ["NGX102"]\n')
    with pytest.raises(SettingsError):
        load_settings(explicit=str(tmp_path / "missing.toml"))
    assert load_settings(explicit=str(tmp_path / "ci.toml")).ignore == ("NGX102",)

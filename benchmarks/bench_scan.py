"""`confcheck scan` end to end against its targets (run by hand, as root).

    python benchmarks/bench_scan.py tree      # 1M-entry tree under one root vs find; peak RSS
    python benchmarks/bench_scan.py config    # 2,000 servers in 200 files: --no-fs scan vs crossplane.parse
    python benchmarks/bench_scan.py startup   # small invocations, start to exit, vs python -c pass
    python benchmarks/bench_scan.py gixy      # the same 2,000-server tree: scan --no-fs vs gixy-ng, side by side
    python benchmarks/bench_scan.py all

Targets (the foundation issue): tree within 1.5x of
`find ROOT -printf '%m %u %g %p\\n'` (warm cache) and under 150 MB peak;
config-only scan no slower than crossplane.parse; each small invocation
(nginx and Apache vhosts, a disk scan, `why`, the pre-commit hook) under 150 ms
cold, on a non-editable install (`startup` makes one in --venv).
The nginx issue's target: `scan --no-fs` of the 2,000-server tree at least
10x faster than gixy-ng 0.2.59, which needs its own virtualenv (it ships a
fork under the name `crossplane`):

    python3 -m venv /var/tmp/gixy-venv && /var/tmp/gixy-venv/bin/pip install gixy-ng==0.2.59
Commands are timed as the user runs them: a fresh `python -m confcheck`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_nginx_parse import generate  # noqa: E402
from bench_walk import make_tree  # noqa: E402

CONF = "user www-data;\nevents {}\nhttp {\n    server {\n        listen 80;\n        root %s;\n    }\n}\n"
# the 1M tree is served with autoindex on (every directory's listing is judged too)
TREE_CONF = ("user www-data;\nevents {}\nhttp {\n    server {\n        listen 80;\n        root %s;\n"
             "        autoindex on;\n    }\n}\n")


def compile_package() -> None:
    """Write the package's bytecode, as `pip install` does: with
    PYTHONDONTWRITEBYTECODE set (some shells and containers) an editable
    checkout would otherwise compile every module on every run, which no
    installed copy (nor gixy-ng's venv) pays."""
    import compileall

    import confcheck
    compileall.compile_dir(os.path.dirname(os.path.dirname(confcheck.__file__)), quiet=1,
                           rx=re.compile(r"/(\.venv|build|tests|\.git)/"))


def run_timed(argv: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit code of one child process."""
    wall, _cpu, rss, code = run_measured(argv)
    return wall, rss, code


def run_measured(argv: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system), peak RSS (MB) and exit code of one child."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def bench_tree(args) -> None:
    """Alternating runs of find and the scan, medians: wall and CPU (user + system of
    the child). With the tree in the page cache both are CPU-bound; on a shared machine
    the CPU ratio is the steady one."""
    import statistics

    make_tree(args.root, args.dirs, args.files)
    conf_dir = tempfile.mkdtemp(prefix="confcheck-bench-conf-", dir="/var/tmp")
    try:
        conf = os.path.join(conf_dir, "nginx.conf")
        Path(conf).write_text(TREE_CONF % args.root)
        runs = {"find -printf '%m %u %g %p'": ["find", args.root, "-printf", "%m %u %g %p\n"],
                "confcheck scan --format json": [sys.executable, "-m", "confcheck", "scan", "--format", "json", conf]}
        for argv in runs.values():
            run_measured(argv)               # warm the page cache and the bytecode
        seen: dict[str, list] = {name: [] for name in runs}
        for _ in range(args.runs):
            for name, argv in runs.items():
                seen[name].append(run_measured(argv))
        med = {name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs),
                      max(r[2] for r in rs), rs[-1][3]) for name, rs in seen.items()}
        find_wall, find_cpu, _, _ = med["find -printf '%m %u %g %p'"]
        for name, (wall, cpu, rss, code) in med.items():
            print(f"{name:30s} wall {wall:7.2f} s = {wall / find_wall:4.2f}x find (target 1.5x), "
                  f"CPU {cpu:7.2f} s = {cpu / find_cpu:4.2f}x find, peak RSS {rss:5.1f} MB (target 150), exit {code}")
        print(f"medians of {args.runs} alternating runs")
    finally:
        shutil.rmtree(conf_dir, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(args.root, ignore_errors=True)


def bench_config(args) -> None:
    import crossplane

    from confcheck.engine import ScanOptions, run_scan

    base = Path(tempfile.mkdtemp(prefix="confcheck-bench-cfg-", dir="/var/tmp"))
    try:
        main = generate(base, args.servers, args.files_per)
        best_ours = min(_time(lambda: run_scan(ScanOptions(paths=[str(main)], no_fs=True))) for _ in range(3))
        best_cp = min(_time(lambda: crossplane.parse(str(main))) for _ in range(3))
        wall, rss, _ = run_timed([sys.executable, "-m", "confcheck", "scan", "--no-fs", str(main)])
        print(f"crossplane.parse                 {best_cp:6.3f} s")
        print(f"run_scan --no-fs (in process)    {best_ours:6.3f} s  = {best_ours / best_cp:4.2f}x crossplane")
        print(f"confcheck scan --no-fs (command) {wall:6.3f} s, peak RSS {rss:5.1f} MB")
    finally:
        shutil.rmtree(base, ignore_errors=True)


FLOOR = r"""
import os, re, sys
token = re.compile(rb'[ \t\r\n]*(?:#[^\n]*|[;{}]|"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|[^ \t\r\n;{}]+)')
for top, _dirs, names in os.walk(sys.argv[1]):
    for name in names:
        with open(os.path.join(top, name), "rb") as fh:
            for _ in token.finditer(fh.read()):
                pass
"""


def bench_gixy(args) -> None:
    gixy = args.gixy or shutil.which("gixy") or "/var/tmp/gixy-venv/bin/gixy"
    if not os.access(gixy, os.X_OK):
        print(f"gixy-ng not found at {gixy}: install it in its own venv (see this file's docstring)")
        return
    # the console script, as a user runs it (`python -m` adds runpy's start-up)
    script = Path(sys.executable).with_name("confcheck")
    ours = [str(script)] if script.exists() else [sys.executable, "-m", "confcheck"]
    base = Path(tempfile.mkdtemp(prefix="confcheck-bench-gixy-", dir="/var/tmp"))
    try:
        main = str(generate(base, args.servers, args.files_per))
        runs = {"confcheck scan --no-fs": ours + ["scan", "--no-fs", main], "gixy": [gixy, main],
                # a floor for any Python tool: start-up plus one regex pass over every file, nothing built
                "python -S, one regex pass": [sys.executable, "-S", "-c", FLOOR, str(base)]}
        best = {name: float("inf") for name in runs}
        for _ in range(3):                  # alternate, so both see the same machine
            for name, argv in runs.items():
                wall, rss, code = run_timed(argv)
                best[name] = min(best[name], wall)
        for name, wall in best.items():
            print(f"{name:24s} {wall:6.3f} s")
        print(f"10x gixy-ng would be      {best['gixy'] / 10:6.3f} s")
        ratio = best["gixy"] / best["confcheck scan --no-fs"]
        print(f"confcheck is {ratio:4.1f}x faster than gixy-ng on {args.servers} servers (target 10x)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


NGINX_ONE = ("user www-data;\nevents {}\nhttp {\n    server {\n        listen 80;\n        server_name example.com;\n"
             "        root %s;\n        location / { try_files $uri $uri/ =404; }\n"
             "        location /private/ { deny all; }\n    }\n}\n")
APACHE_ONE = ("ServerRoot %(base)s\nListen 80\nUser www-data\nGroup www-data\n"
              "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n"
              "LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n"
              "LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so\n"
              "<Directory />\n    AllowOverride None\n    Require all denied\n</Directory>\n"
              "<VirtualHost *:80>\n    ServerName example.com\n    DocumentRoot %(www)s\n"
              "    <Directory %(www)s>\n        Require all granted\n    </Directory>\n</VirtualHost>\n")


def startup_venv(venv: str) -> str:
    """The console script of a non-editable install of this checkout in `venv`, as users and CI
    install it (`pip install .`: an editable install adds its import finder to every start)."""
    repo = HERE.parent
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        pip = [python, "-m", "pip", "install", "-q", str(repo)]
    else:       # the checkout as it is now, over the dependencies already there
        pip = [python, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(repo)]
    done = subprocess.run(pip, cwd=repo, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"pip install into {venv} failed:\n{done.stderr}")
    return os.path.join(venv, "bin", "confcheck")


def _hook_entry() -> list[str]:
    """The pre-commit hook's command line (.pre-commit-hooks.yaml), without its file names."""
    text = (HERE.parent / ".pre-commit-hooks.yaml").read_text()
    return re.search(r"^\s*entry:\s*(.+)$", text, re.M).group(1).split()


def _cpu_timed(argv: list[str], cwd: str, env: dict) -> tuple[float, float, int]:
    """(wall s, CPU s of the child, exit code) of one run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def bench_startup(args) -> None:
    """Each small invocation of issue 14's start-up target, cold (no cache), against `python -c pass`:
    medians of alternating runs, wall and CPU (target: every one under 150 ms on a quiet machine)."""
    import statistics

    base = tempfile.mkdtemp(prefix="confcheck-bench-one-", dir="/var/tmp")
    os.chmod(base, 0o755)
    cache = tempfile.mkdtemp(prefix="confcheck-bench-cache-", dir="/var/tmp")
    try:
        www = os.path.join(base, "www")
        os.makedirs(os.path.join(www, "private"))
        Path(www, "index.html").write_text("hi\n")
        Path(www, "private", "notes.txt").write_text("x\n")
        os.chmod(os.path.join(www, "private", "notes.txt"), 0o600)
        nginx = os.path.join(base, "nginx.conf")
        Path(nginx).write_text(NGINX_ONE % www)
        apache = os.path.join(base, "apache2.conf")
        Path(apache).write_text(APACHE_ONE % {"base": base, "www": www})
        repo = os.path.join(base, "repo")            # a config repository, as pre-commit runs the hook in
        os.makedirs(os.path.join(repo, "sites-enabled"))
        Path(repo, "nginx.conf").write_text("events {}\nhttp {\n    include sites-enabled/*;\n}\n")
        server_block = NGINX_ONE.split("http {\n", 1)[1].rsplit("}", 1)[0]
        Path(repo, "sites-enabled", "site.conf").write_text(server_block % www)

        script = str(Path(sys.executable).with_name("confcheck"))
        installed = None if args.no_install else startup_venv(args.venv)
        tool, kind = (installed, "installed") if installed else (script, "editable")
        hook = _hook_entry()[1:] + ["sites-enabled/site.conf"]
        runs = [  # (label, argv, cwd, extra environment)
            ("python -c pass", [sys.executable, "-c", "pass"], base, {}),
            ("python -m confcheck scan --no-fs (nginx)", [sys.executable, "-m", "confcheck", "scan", "--no-fs",
                                                        "--no-cache", "--config", nginx], base, {}),
        ]
        if installed:
            runs.append(("installed: python -c pass", [os.path.join(args.venv, "bin", "python"), "-c", "pass"],
                         base, {}))
        runs += [
            (f"{kind}: confcheck scan --no-fs (nginx)", [tool, "scan", "--no-fs", "--no-cache", "--config", nginx],
             base, {}),
            (f"{kind}: scan --no-fs --server apache", [tool, "scan", "--no-fs", "--no-cache", "--server", "apache",
                                                     "--config", apache], base, {}),
            (f"{kind}: scan (disk, small tree)", [tool, "scan", "--no-cache", "--config", nginx], base, {}),
            (f"{kind}: why URL", [tool, "why", "http://example.com/private/notes.txt", "--config", nginx], base, {}),
            (f"{kind}: pre-commit hook", [tool] + hook, repo, {"CONFCHECK_NO_CACHE": "1"}),
            (f"{kind}, cached: scan --no-fs (nginx)", [tool, "scan", "--no-fs", "--config", nginx], base,
             {"CONFCHECK_CACHE_DIR": cache}),
            (f"{kind}, cached: pre-commit hook", [tool] + hook, repo, {"CONFCHECK_CACHE_DIR": cache}),
        ]
        env = {k: v for k, v in os.environ.items() if k != "CONFCHECK_NO_CACHE"}
        for label, argv, cwd, extra in runs:         # once first: bytecode, page cache, the cache entries
            _cpu_timed(argv, cwd, {**env, **extra})
        walls: dict[str, list[float]] = {label: [] for label, *_ in runs}
        cpus: dict[str, list[float]] = {label: [] for label, *_ in runs}
        codes: dict[str, int] = {}
        for _ in range(args.runs):                  # alternating: every command sees the same machine
            for label, argv, cwd, extra in runs:
                wall, cpu, codes[label] = _cpu_timed(argv, cwd, {**env, **extra})
                walls[label].append(wall)
                cpus[label].append(cpu)
        print(f"start to exit, medians of {args.runs} alternating runs (target: under 150 ms wall, quiet machine);"
              " `- pass`: wall over the same interpreter's `python -c pass`")
        print(f"{'':44s} {'wall ms':>8s} {'CPU ms':>7s} {'- pass':>7s}  exit")
        for label, *_ in runs:
            floor = "installed: python -c pass" if label.startswith("installed") else "python -c pass"
            wall, cpu = statistics.median(walls[label]) * 1000, statistics.median(cpus[label]) * 1000
            over = wall - statistics.median(walls[floor]) * 1000
            print(f"{label:44s} {wall:8.1f} {cpu:7.1f} {over:7.1f}  {codes[label]}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["tree", "config", "startup", "gixy", "all"])
    ap.add_argument("--root", default="/var/tmp/confcheck-bench-walk")
    ap.add_argument("--dirs", type=int, default=1000)
    ap.add_argument("--files", type=int, default=999)
    ap.add_argument("--servers", type=int, default=2000)
    ap.add_argument("--files-per", type=int, default=200, help="include files for the config bench")
    ap.add_argument("--keep", action="store_true", help="keep the generated tree")
    ap.add_argument("--runs", type=int, help="alternating runs, medians (default: tree 3, startup 7)")
    ap.add_argument("--gixy", help="the gixy-ng executable (default: on PATH, else /var/tmp/gixy-venv/bin/gixy)")
    ap.add_argument("--venv", default="/var/tmp/confcheck-bench-venv",
                    help="startup: the venv of a non-editable install of this checkout (made or refreshed)")
    ap.add_argument("--no-install", action="store_true", help="startup: time this environment's commands only")
    args = ap.parse_args()
    if args.runs is None:
        args.runs = 7 if args.what == "startup" else 3
    compile_package()
    for name, fn in (("startup", bench_startup), ("config", bench_config), ("gixy", bench_gixy),
                     ("tree", bench_tree)):
        if args.what in (name, "all"):
            fn(args)


if __name__ == "__main__":
    main()

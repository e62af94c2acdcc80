"""`confcheck scan` end to end against its targets (run by hand, as root).

    python benchmarks/bench_scan.py tree      # 1M-entry tree under one root vs find; peak RSS
    python benchmarks/bench_scan.py config    # 2,000 servers in 200 files: --no-fs scan vs crossplane.parse
    python benchmarks/bench_scan.py startup   # one small file, start to exit
    python benchmarks/bench_scan.py gixy      # the same 2,000-server tree: scan --no-fs vs gixy-ng, side by side
    python benchmarks/bench_scan.py all

Targets (the foundation issue): tree within 1.5x of
`find ROOT -printf '%m %u %g %p\\n'` (warm cache) and under 150 MB peak;
config-only scan no slower than crossplane.parse; a small file under 0.3 s.
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


def bench_startup(_args) -> None:
    base = tempfile.mkdtemp(prefix="confcheck-bench-one-", dir="/var/tmp")
    try:
        conf = os.path.join(base, "site.conf")
        Path(conf).write_text("server {\n    listen 80;\n    root /var/www/html;\n    location / { try_files $uri $uri/ =404; }\n}\n")
        cmd = [sys.executable, "-m", "confcheck", "scan", "--no-fs", conf]
        run_timed(cmd)
        best = min(run_timed(cmd)[0] for _ in range(5))
        full = [sys.executable, "-m", "confcheck", "scan", conf]
        best_fs = min(run_timed(full)[0] for _ in range(5))
        print(f"confcheck scan --no-fs one file   {best:5.3f} s (target 0.3)")
        print(f"confcheck scan one file (with fs) {best_fs:5.3f} s")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["tree", "config", "startup", "gixy", "all"])
    ap.add_argument("--root", default="/var/tmp/confcheck-bench-walk")
    ap.add_argument("--dirs", type=int, default=1000)
    ap.add_argument("--files", type=int, default=999)
    ap.add_argument("--servers", type=int, default=2000)
    ap.add_argument("--files-per", type=int, default=200, help="include files for the config bench")
    ap.add_argument("--keep", action="store_true", help="keep the generated tree")
    ap.add_argument("--runs", type=int, default=3, help="alternating runs of the tree bench (medians)")
    ap.add_argument("--gixy", help="the gixy-ng executable (default: on PATH, else /var/tmp/gixy-venv/bin/gixy)")
    args = ap.parse_args()
    compile_package()
    for name, fn in (("startup", bench_startup), ("config", bench_config), ("gixy", bench_gixy),
                     ("tree", bench_tree)):
        if args.what in (name, "all"):
            fn(args)


if __name__ == "__main__":
    main()

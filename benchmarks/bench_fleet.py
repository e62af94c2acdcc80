"""Issue 14: confcheck on fleet-host configs, side by side with its peers in one run (run by hand).

    python benchmarks/bench_fleet.py [--servers 2000] [--runs 3] [--gixy PATH] [--other PYTHON]

Two generated trees of 2,000 server blocks in 200 files: the benchmark's uniform
one (../shared/bench/gen_nginx_tree.py) and realistic application servers
(gen_app_tree.py: PHP apps with TLS, dot-file rules, rewrites, error pages,
auth). For each, alternating runs of:

- `confcheck scan --no-fs --format json --no-cache TREE` (cold),
- the same with the cache, after one run that fills it (a fresh cache folder),
- gixy-ng 0.2.59 (its own venv: it ships a fork named `crossplane`),
- `crossplane.parse(TREE)` alone, in a fresh interpreter,
- optionally the same confcheck command run by another interpreter
  (`--other /path/to/venv/bin/python`: e.g. main's checkout, to compare).

Each line is the median wall time and the largest peak RSS of the runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_scan import compile_package  # noqa: E402
from gen_app_tree import generate as generate_apps  # noqa: E402

UNIFORM = HERE.parent.parent / "shared" / "bench" / "gen_nginx_tree.py"


def trees(base: Path, servers: int) -> dict[str, str]:
    out = {}
    if UNIFORM.exists():
        (base / "uniform").mkdir()
        subprocess.run([sys.executable, str(UNIFORM), str(servers)], cwd=base / "uniform", check=True)
        out["uniform"] = str(base / "uniform" / "nginx.conf")
    out["apps"] = generate_apps(str(base / "apps"), servers)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--gixy", default=shutil.which("gixy") or "/var/tmp/gixy-venv/bin/gixy")
    ap.add_argument("--other", help="another interpreter with confcheck installed (e.g. main's venv)")
    args = ap.parse_args()
    compile_package()
    base = Path(tempfile.mkdtemp(prefix="confcheck-bench-fleet-", dir="/var/tmp"))
    # `python -m confcheck` puts the working directory first on sys.path: run every
    # command from the scratch folder, so that --other runs its own confcheck, not this checkout's
    os.chdir(base)
    cache = base / "cache"
    env_cold = {**os.environ, "CONFCHECK_CACHE_DIR": str(cache)}
    try:
        for shape, main_file in trees(base, args.servers).items():
            ours = [sys.executable, "-m", "confcheck", "scan", "--no-fs", "--format", "json", main_file]
            runs = {"confcheck cold": (ours + ["--no-cache"], env_cold),
                    "confcheck cached": (ours, env_cold),
                    "crossplane.parse": ([sys.executable, "-c", "import sys, crossplane; crossplane.parse(sys.argv[1])",
                                          main_file], None)}
            if os.access(args.gixy, os.X_OK):
                runs["gixy-ng"] = ([args.gixy, main_file], None)
            if args.other:
                # in its own cache folder: an --other that has a cache must not reuse entries
                runs["other confcheck"] = ([args.other, "-m", "confcheck", "scan", "--no-fs", "--format", "json",
                                            main_file], {**os.environ, "CONFCHECK_NO_CACHE": "1"})
            if run_timed_env(ours, env_cold)[2] not in (0, 1):   # fills the cache for "confcheck cached"
                sys.exit(f"confcheck failed: {' '.join(ours)} (is it installed for {sys.executable}?)")
            walls: dict[str, list[float]] = {name: [] for name in runs}
            cpus: dict[str, list[float]] = {name: [] for name in runs}
            rss: dict[str, float] = {name: 0.0 for name in runs}
            for _ in range(args.runs):           # alternate, so every command sees the same machine
                for name, (argv, env) in runs.items():
                    wall, peak, code, cpu = run_timed_env(argv, env)
                    if code not in (0, 1):   # 1 is "findings" for confcheck and gixy-ng
                        sys.exit(f"{name} failed with exit {code}: {' '.join(argv)}")
                    walls[name].append(wall)
                    cpus[name].append(cpu)
                    rss[name] = max(rss[name], peak)
            print(f"\n{shape}: {args.servers} servers ({main_file})")
            med = {name: statistics.median(w) for name, w in walls.items()}
            cpu = {name: statistics.median(c) for name, c in cpus.items()}
            for name in runs:
                print(f"  {name:18s} {med[name]:7.2f} s  cpu {cpu[name]:7.2f} s  peak {rss[name]:6.0f} MB")
            # on a shared machine the CPU time (user + sys) compares better than the wall time
            for label, times in (("wall", med), ("cpu", cpu)):
                if "gixy-ng" in times:
                    print(f"  {label}: confcheck cold is {times['gixy-ng'] / times['confcheck cold']:.1f}x faster "
                          "than gixy-ng (target 10x)")
                print(f"  {label}: confcheck cold / crossplane.parse = "
                      f"{times['confcheck cold'] / times['crossplane.parse']:.2f} (target <= 1)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def run_timed_env(argv: list[str], env: dict | None) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS (MB), exit code and CPU seconds (user + sys) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()

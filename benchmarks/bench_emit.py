"""Issue 14, the output layer: what turning a scan's findings into json, sarif, text and
github output costs, alone and in the whole command (run by hand).

    python benchmarks/bench_emit.py [--servers 2000] [--runs 3] [--other PYTHON] [--formats json,sarif]
                                    [--shapes uniform,apps]

On the uniform tree of ../shared/bench/gen_nginx_tree.py (4,000 findings with a fix each) and
gen_app_tree.py's application servers, for this checkout and, with `--other`, another
interpreter with confcheck installed (e.g. a venv holding main's checkout), alternating:

- the whole command `scan --no-fs --no-cache --format FMT --config nginx.conf`: CPU time
  (user + sys) of the child, median of the runs; `crossplane.parse` of the tree alone beside it
  (the issue's target: the json command no slower than it);
- the output layer in-process (`scan_cmd._emit`, what follows the scan: every fix's diff,
  the documents, their text, written to a sink): CPU time of one emit after one scan, in a
  fresh process per run, median of the runs;
- that each interpreter's output of each format is byte-identical to this checkout's.

CPU time, not wall time: on a shared machine it is what compares.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_fleet import run_timed_env, trees  # noqa: E402
from bench_scan import compile_package  # noqa: E402

# run by the interpreter measured (its own confcheck): one scan, then one timed emit to a sink
LAYER = r"""
import io, os, sys, time
from confcheck import scan_cmd
fmt, config = sys.argv[1], sys.argv[2]
os.chdir(os.path.dirname(config))
emit, took = scan_cmd._emit, []

def timed(*args, **kwargs):
    real, sys.stdout = sys.stdout, io.StringIO()
    start = time.process_time()
    try:
        emit(*args, **kwargs)
    finally:
        took.append(time.process_time() - start)
        sys.stdout = real

scan_cmd._emit = timed
scan_cmd.run_scan_command(scan_cmd.ScanArgs(paths=[], configs=[os.path.basename(config)], no_fs=True, fmt=fmt,
                                            cache=False), sys.stdin)
print(took[0])
"""


def command(python: str, fmt: str, config: str) -> list[str]:
    return [python, "-m", "confcheck", "scan", "--no-fs", "--no-cache", "--format", fmt, "--config", config]


def output_of(python: str, fmt: str, config: str) -> bytes:
    return subprocess.run(command(python, fmt, config), capture_output=True, cwd=os.path.dirname(config)).stdout


def layer_cpu(python: str, fmt: str, config: str) -> float:
    proc = subprocess.run([python, "-c", LAYER, fmt, config], capture_output=True, text=True, check=True)
    return float(proc.stdout.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--other", help="another interpreter with confcheck installed (e.g. main's venv)")
    ap.add_argument("--formats", default="json,sarif,text,github")
    ap.add_argument("--shapes", default="uniform,apps", help="which trees to measure")
    args = ap.parse_args()
    compile_package()
    pythons = {"this checkout": sys.executable}
    if args.other:
        pythons["other"] = args.other
    formats = args.formats.split(",")
    base = Path(tempfile.mkdtemp(prefix="confcheck-bench-emit-", dir="/var/tmp"))
    # `python -m confcheck` puts the working directory first on sys.path: run from the scratch
    # folder, so that --other runs its own confcheck
    os.chdir(base)
    try:
        for shape, config in trees(base, args.servers).items():
            if shape not in args.shapes.split(","):
                continue
            print(f"\n{shape}: {args.servers} servers ({config})")
            for fmt in formats:
                same = {name: output_of(py, fmt, config) == output_of(sys.executable, fmt, config)
                        for name, py in pythons.items() if name != "this checkout"}
                whole = {name: [] for name in pythons}
                layer = {name: [] for name in pythons}
                parse: list[float] = []
                for _ in range(args.runs):      # alternate, so every command sees the same machine
                    for name, py in pythons.items():
                        whole[name].append(run_timed_env(command(py, fmt, config), None)[3])
                        layer[name].append(layer_cpu(py, fmt, config))
                    if fmt == "json":
                        parse.append(run_timed_env([sys.executable, "-c", "import sys, crossplane; "
                                                    "crossplane.parse(sys.argv[1])", config], None)[3])
                for name in pythons:
                    note = "" if name not in same else ("  output identical" if same[name] else "  OUTPUT DIFFERS")
                    print(f"  {fmt:6s} {name:14s} command cpu {statistics.median(whole[name]):6.2f} s   "
                          f"output layer cpu {statistics.median(layer[name]):6.3f} s{note}")
                if parse:
                    ours = statistics.median(whole["this checkout"])
                    print(f"  json   crossplane.parse cpu {statistics.median(parse):6.2f} s; "
                          f"confcheck / crossplane.parse = {ours / statistics.median(parse):.2f} (target <= 1)")
    finally:
        os.chdir(HERE)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

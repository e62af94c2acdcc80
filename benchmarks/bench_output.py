"""Issue 14: what writing the answer of `scan --no-fs --format json` costs, in-process (run by hand).

    python benchmarks/bench_output.py [--servers 2000] [--runs 5] [--tree NGINX_CONF]

On the uniform 2,000-server tree (../shared/bench/gen_nginx_tree.py; or --tree),
one config-only scan, then the output layer alone, CPU time (process_time), the
median of --runs rounds, each from a fresh copy of the findings' fixes:

- the fix diffs (every ConfigFix's `diff`, made on first use as the JSON writer asks),
- the JSON document and its text (what `scan --format json` writes to stdout),

next to the scan itself (reading, validation, rules), for scale. Prints the
findings' count and the length of the JSON text, which must not change.
"""

from __future__ import annotations

import argparse
import copy
import gc
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
UNIFORM = HERE.parent.parent / "shared" / "bench" / "gen_nginx_tree.py"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tree", help="an nginx.conf to scan instead of a generated uniform tree")
    args = ap.parse_args()
    base = None
    main_file = args.tree
    if main_file is None:
        base = Path(tempfile.mkdtemp(prefix="confcheck-bench-output-", dir="/var/tmp"))
        subprocess.run([sys.executable, str(UNIFORM), str(args.servers)], cwd=base, check=True,
                       stdout=subprocess.DEVNULL)
        main_file = str(base / "nginx.conf")
    try:
        measure(main_file, args.runs)
    finally:
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)


def measure(main_file: str, runs: int) -> None:
    from confcheck.engine import ScanOptions, run_scan
    from confcheck.inputs import inputs_json
    from confcheck.output import json_out, json_text

    gc.disable()        # as the command line runs (confcheck.entry)
    t0 = time.process_time()
    result = run_scan(ScanOptions(paths=[main_file], no_fs=True))
    scan = time.process_time() - t0
    fixes = [f.fix for f in result.findings]
    times: dict[str, list[float]] = {"fix diffs": [], "JSON document and text": []}
    size = 0
    for _ in range(runs):
        # fresh fixes: each diff is made again, as in a cold run
        for finding, fix in zip(result.findings, fixes):
            finding.fix = copy.copy(fix) if fix is not None else None
        t0 = time.process_time()
        for finding in result.findings:
            if finding.fix is not None:
                finding.fix.diff
        t1 = time.process_time()
        try:
            doc = json_out.scan_document(result, encoded=True)
        except TypeError:       # a checkout from before finding_json (--other comparisons)
            doc = json_out.scan_document(result)
        doc["inputs"] = inputs_json(result.reading)
        out = io.StringIO()
        json_text.write(doc, out)
        t2 = time.process_time()
        times["fix diffs"].append(t1 - t0)
        times["JSON document and text"].append(t2 - t1)
        size = len(out.getvalue())
    print(f"{main_file}: {len(result.findings)} findings, JSON text {size} characters")
    print(f"{'scan (read, validate, rules), once':40s} {scan * 1000:8.1f} ms CPU")
    for name, values in times.items():
        print(f"{name:40s} {statistics.median(values) * 1000:8.1f} ms CPU (median of {runs})")


if __name__ == "__main__":
    main()

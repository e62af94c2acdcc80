"""`confcheck report` over a large fleet (run by hand, not in CI).

    python benchmarks/bench_report.py                  # 1,000 hosts x 2,000 findings, text/json/html
    python benchmarks/bench_report.py --hosts 200 --findings 500 --keep /var/tmp/fleet

Target (issue 19): merging 1,000 host files of 2,000 findings each in under 2 s
and 300 MB peak RSS.

The host files are what the Ansible role writes on each host and fetches, made
as its module makes them (ansible/roles/confcheck/library/confcheck_scan.py):
DIR/hosts/HOST.json is `confcheck digest` of the envelope, the scan's fleet
digest (what `confcheck report` reads of a scan, with the host's causes worked
out: ~330 KB), DIR/scans/HOST.json the envelope with the whole scan (fixes,
diffs, commands: ~1.9 MB). The findings are the real findings of a scan of the
bundled demo site, spread over 250 virtual hosts per machine: 20 templates
deploy overlapping sets of sites, so most causes repeat across hosts; on each
host 5% of the findings are its own (a path under its own name) and counts in
messages differ from host to host.

`report DIR/hosts` (what a user of the role runs) is timed in each format;
`report DIR/scans` (whole scans: `confcheck scan --format json > HOST.json`
files, or the role's results/scans) in JSON. Measured: benchmarks/README.md
("Issue 19").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from confcheck.fleet.digest import digest_bytes  # noqa: E402  (this checkout's confcheck)

TEMPLATES = 20
TARGET_SECONDS, TARGET_MB = 2.0, 300


def demo_findings() -> list[dict]:
    demo = REPO / "sample_configs" / "demo"
    proc = subprocess.run([sys.executable, "-m", "confcheck", "scan", "--format", "json", "--root", str(demo),
                           "--fs-snapshot", str(demo / "fs.json"), "/etc/nginx"], capture_output=True, timeout=300)
    findings = json.loads(proc.stdout)["findings"]
    for f in findings:       # keep grouped findings' path lists short, as most are
        if f.get("fs_paths"):
            f["fs_paths"] = f["fs_paths"][:5]
    return findings


def host_envelope(host: int, per_host: int, base: list[dict], root: str) -> dict:
    template = host % TEMPLATES
    findings = []
    name = f"web{host}.example.com"
    for n in range(per_host):
        site = (template * 50 + n // len(base)) % 1000
        f = dict(base[n % len(base)])
        text = json.dumps(f).replace("shop", f"site{site}").replace("deploy", f"deploy{site}")
        f = json.loads(text)
        f["file"] = f"{root}/etc/nginx/sites-enabled/site{site}.conf"
        f["message"] = f["message"].replace("240 files", f"{host % 7 + 2} files")
        if n % 20 == 0:      # 5% are this host's own
            f["fs_path"] = f"/home/{name}/site{site}"
            f["message"] += f" ({name})"
        findings.append(f)
    scan = {"version": 1, "tool": {"name": "confcheck", "version": "0.1.0"}, "findings": findings, "errors": [],
            "summary": {"files": 251, "findings": len(findings), "errors": 0}}
    return {"confcheck_host": 1, "host": f"web{host}", "names": [name], "root": root,
            "command": ["scan", "--format", "json"], "exit_code": 1, "stderr": "", "scan": scan, "error": None}


def generate(folder: str, hosts: int, per_host: int) -> tuple[int, int]:
    """DIR/hosts (digests) and DIR/scans (whole scans), as the role writes them; their sizes."""
    base = demo_findings()
    sizes = [0, 0]
    for kind in ("hosts", "scans"):
        os.makedirs(os.path.join(folder, kind), exist_ok=True)
    for host in range(hosts):
        envelope = host_envelope(host, per_host, base, f"/var/tmp/img/web{host}")
        for n, (kind, content) in enumerate((
                ("hosts", digest_bytes(json.dumps(envelope).encode())),
                ("scans", (json.dumps(envelope, indent=1) + "\n").encode()))):
            with open(os.path.join(folder, kind, f"web{host}.json"), "wb") as fh:
                fh.write(content)
            sizes[n] += len(content)
    return sizes[0], sizes[1]


def run_timed(argv: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (with the worker processes it waited for), peak RSS (MB,
    the largest process) and exit code of one child process. CPU time is the number to
    compare on a machine others are loading."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    return (time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
            os.waitstatus_to_exitcode(status))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--findings", type=int, default=2000)
    parser.add_argument("--keep", metavar="DIR", help="write the host files here and keep them")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="json,text,html", help="comma-separated: json,text,html")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="confcheck-bench-report-", dir="/var/tmp")
    try:
        os.makedirs(folder, exist_ok=True)
        if not os.listdir(folder):
            start = time.perf_counter()
            digests, scans = generate(folder, args.hosts, args.findings)
            print(f"generated {args.hosts} hosts x {args.findings} findings in {time.perf_counter() - start:.0f} s: "
                  f"digests {digests / 1e6:.0f} MB (hosts/), whole scans {scans / 1e6:.0f} MB (scans/)")
        out = tempfile.mktemp(prefix="confcheck-bench-report-out-", dir="/var/tmp")
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
              f"target: under {TARGET_SECONDS:.0f} s and {TARGET_MB} MB")
        runs = [("hosts", fmt) for fmt in args.formats.split(",")] + [("scans", "json")]
        for kind, fmt in runs:
            best = None
            for _ in range(args.runs):
                wall, cpu, rss, code = run_timed([sys.executable, "-m", "confcheck", "report",
                                                  os.path.join(folder, kind), "--format", fmt, "-o", out])
                assert code in (0, 1), f"exit {code}"
                best = (wall, cpu, rss) if best is None or wall < best[0] else best
            met = "met" if best[0] < TARGET_SECONDS and best[2] < TARGET_MB else "NOT met"
            print(f"report {kind}/ --format {fmt}: {best[0]:.2f} s wall, {best[1]:.2f} s CPU, peak RSS "
                  f"{best[2]:.0f} MB (best of {args.runs}; target {met}), output {os.path.getsize(out) / 1e6:.1f} MB")
        os.unlink(out)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

"""`confcheck why --batch` speed (run by hand): 10,000 requests against a
generated tree of 2,000 nginx server blocks (bench_nginx_parse.generate) or
2,000 Apache virtual hosts (bench_apache_read.generate), parse included.

    python benchmarks/bench_why.py [--server nginx|apache] [--requests 10000] [--servers 2000] [--keep DIR]
                                   [--other PYTHON]

Two batches of the same requests: config-only (`--no-fs`, the issue's
workload: static files and upstreams are unknown there, so most answers are
status null), and on a served tree under `--root` (the sites' files, some
unreadable by the worker, passwd/group, htpasswd) where the answers are
known; then the config-only batch again in one process (CONFCHECK_WORKERS=1:
the others are split between one worker per core). Each command runs 3
times; the best wall time and the median CPU time (user+sys of the child and
its workers) are printed. `--keep DIR` builds everything in DIR
(new) and keeps it, with each batch's JSON lines (`cmp` them with another
checkout's, run with the same DIR after removing it). `--other PYTHON` runs
every command with that interpreter too (a venv with another checkout
installed, e.g. main's), alternating, and says whether its output is the same
bytes; run it from outside both checkouts (`python -m confcheck` in a checkout
imports that checkout).

Target (issue 14): under 1 s in total (wall, quiet machine), nginx config-only.
The Apache batch's target (its own, earlier issue) was 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_apache_read import generate as generate_apache  # noqa: E402
from bench_nginx_parse import generate  # noqa: E402

PATHS = ["/", "/index.php", "/a.html", "/admin/x", "/wp-config.php", "/.htaccess", "/static/app.js",
         "/admin", "/x/y/z.png", "/?p=1"]
SITE_FILES = ["index.html", "a.html", "index.php", "wp-config.php", ".htaccess", "static/app.js"]


def served_tree(root: Path, servers: int, server: str) -> str:
    """A root holding the configuration at its usual place and the disk it serves; the
    config's path as seen under the root."""
    if server == "apache":
        generate_apache(root / "etc" / "apache2", servers, servers)
        (root / "etc" / "apache2" / "htpasswd").write_text("admin:$apr1$x$y\n")
        conf = "/etc/apache2/apache2.conf"
    else:
        generate(root / "etc" / "nginx", servers, 200)
        (root / "etc" / "nginx" / "htpasswd").write_text("admin:$apr1$x$y\n")
        conf = "/etc/nginx/nginx.conf"
    (root / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n")
    (root / "etc" / "group").write_text("root:x:0:\nwww-data:x:33:\n")
    for i in range(servers):
        site = root / "var" / "www" / f"site{i}"
        (site / "static").mkdir(parents=True)
        for name in SITE_FILES:
            (site / name).write_text(f"{name}\n")
        if i % 10 == 3:
            os.chmod(site / "a.html", 0o600)        # the worker (other) cannot read it
        if i % 10 == 7:
            os.chmod(site / "static", 0o700)        # nor enter this directory
    return conf


def run(cmd: list[str], results: Path, env: dict | None = None) -> tuple[float, float, int]:
    """(wall s, CPU s of the child and its workers, exit code), its stdout written to `results`
    as a user runs it."""
    with open(results, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--servers", type=int, default=2000)
    ap.add_argument("--server", choices=["nginx", "apache"], default="nginx")
    ap.add_argument("--keep", metavar="DIR", help="build in DIR (new) and keep it, with the JSON lines")
    ap.add_argument("--other", metavar="PYTHON", help="also run every command with this interpreter (another checkout)")
    args = ap.parse_args()
    if args.keep:
        base = Path(args.keep)
        base.mkdir(parents=True)
    else:
        base = Path(tempfile.mkdtemp(prefix="confcheck-bench-why-", dir="/var/tmp"))
    os.chmod(base, 0o755)      # the served tree's parents: searchable by the worker
    try:
        if args.server == "apache":
            main_conf = generate_apache(base / "conf", args.servers, args.servers)
        else:
            main_conf = generate(base / "conf", args.servers, 200)
        root = base / "root"
        disk_conf = served_tree(root, args.servers, args.server)
        rnd = random.Random(1)
        batch = base / "requests.jsonl"
        with open(batch, "w") as fh:
            for _ in range(args.requests):
                n = rnd.randrange(args.servers)
                fh.write(json.dumps({"url": f"http://site{n}.example.com{rnd.choice(PATHS)}",
                                     "method": rnd.choice(["GET", "GET", "POST", "HEAD"]),
                                     "client_ip": rnd.choice(["127.0.0.1", "10.1.2.3", "192.0.2.7"])}) + "\n")
        why = [sys.executable, "-m", "confcheck", "why", "--server", args.server, "--batch", str(batch),
               "--format", "json"]
        config_only = why + ["--no-fs", "--config", str(main_conf)]
        # (command, environment): a batch this size is split between one process per core
        # (confcheck/why_workers.py); "one process" is the same without the split
        runs = {"config-only": (config_only, {}),
                "served tree": (why + ["--root", str(root), "--config", disk_conf], {}),
                "config-only, one process": (config_only, {"CONFCHECK_WORKERS": "1"})}
        if args.other:
            runs.update({f"{name}, other": ([args.other, *cmd[1:]], env) for name, (cmd, env) in list(runs.items())})
        times: dict = {name: [] for name in runs}
        for _ in range(3):
            for name, (cmd, env) in runs.items():       # alternating, so all see the same machine
                times[name].append(run(cmd, base / f"{name}.jsonl", env))
        for name in runs:
            results = base / f"{name}.jsonl"
            lines = results.read_bytes().splitlines()
            statuses: dict = {}
            for line in lines:
                status = json.loads(line)["status"]
                statuses[status] = statuses.get(status, 0) + 1
            wall = min(t[0] for t in times[name])
            cpu = statistics.median(t[1] for t in times[name])
            target = {("nginx", "config-only"): " (target 1 s)", ("apache", "config-only"): " (target 2 s)"}.get(
                (args.server, name), "")
            print(f"why --batch ({args.server}, {name}): {len(lines)} requests on {args.servers} servers in "
                  f"{wall:.2f} s{target}, CPU {cpu:.2f} s ({results.stat().st_size / 1e6:.1f} MB of JSON lines), "
                  f"exit {times[name][-1][2]}; statuses {statuses}")
        same = (base / "config-only.jsonl").read_bytes() == (base / "config-only, one process.jsonl").read_bytes()
        print(f"config-only split and in one process: {'the same bytes' if same else 'DIFFERENT OUTPUT'}")
        if args.other:
            for name in [name for name in runs if not name.endswith(", other")]:
                same = (base / f"{name}.jsonl").read_bytes() == (base / f"{name}, other.jsonl").read_bytes()
                print(f"{name}: {'the same bytes' if same else 'DIFFERENT OUTPUT'} as the other interpreter's")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

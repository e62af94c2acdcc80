"""`confcheck why --batch` speed (run by hand): 10,000 requests against a
generated tree of 2,000 nginx server blocks (bench_nginx_parse.generate) or
2,000 Apache virtual hosts (bench_apache_read.generate), parse included.

    python benchmarks/bench_why.py [--server nginx|apache] [--requests 10000] [--servers 2000]

Targets (the nginx and the Apache issues): under 2 s in total.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--servers", type=int, default=2000)
    ap.add_argument("--server", choices=["nginx", "apache"], default="nginx")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="confcheck-bench-why-", dir="/var/tmp"))
    try:
        if args.server == "apache":
            main_conf = generate_apache(base, args.servers, args.servers)
        else:
            main_conf = generate(base, args.servers, 200)
        rnd = random.Random(1)
        batch = base / "requests.jsonl"
        with open(batch, "w") as fh:
            for _ in range(args.requests):
                n = rnd.randrange(args.servers)
                fh.write(json.dumps({"url": f"http://site{n}.example.com{rnd.choice(PATHS)}",
                                     "method": rnd.choice(["GET", "GET", "POST", "HEAD"]),
                                     "client_ip": rnd.choice(["127.0.0.1", "10.1.2.3", "192.0.2.7"])}) + "\n")
        cmd = [sys.executable, "-m", "confcheck", "why", "--no-fs", "--server", args.server, "--config", str(main_conf),
               "--batch", str(batch), "--format", "json"]
        best = None
        results = base / "results.jsonl"
        for _ in range(3):
            # as a user runs it: results written to a file
            with open(results, "wb") as out:
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE)
                elapsed = time.perf_counter() - t0
            best = elapsed if best is None else min(best, elapsed)
        lines = results.read_bytes().splitlines()
        statuses: dict = {}
        for line in lines:
            status = json.loads(line)["status"]
            statuses[status] = statuses.get(status, 0) + 1
        print(f"why --batch ({args.server}): {len(lines)} requests on {args.servers} servers in {best:.2f} s "
              f"({results.stat().st_size / 1e6:.1f} MB of JSON lines) "
              f"(target 2 s), exit {proc.returncode}; statuses {statuses}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

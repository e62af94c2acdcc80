"""Walk speed and memory against `find`, on a generated tree (run by hand, as root).

    python benchmarks/bench_walk.py                 # 1,000 dirs x 999 files + the dirs = 1M entries
    python benchmarks/bench_walk.py --keep          # leave the tree for the next run (reused if complete)
    python benchmarks/bench_walk.py --dirs 100 --files 99   # a quick 10k run

Reports, warm cache (each command run twice, the second timed):
- `find ROOT -printf '%m %u %g %p\\n' >/dev/null`: one lstat per entry plus
  name lookups, the floor for "look at every entry";
- confcheck's walk_tree with access verdicts for www-data, in a child
  process, with and without xattr reads (ACL + SELinux label), and its peak
  RSS (ru_maxrss of that child).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import resource, sys, time
from confcheck.fs.live import LiveFs
from confcheck.fs.identity import resolve_identity
from confcheck.fs.walk import walk_tree
root, xattrs = sys.argv[1], sys.argv[2] == "1"
fs = LiveFs(xattrs=xattrs)
www = resolve_identity(fs, "www-data", None)
t0 = time.perf_counter()
entries = denied = 0
groups = {}
for ev in walk_tree(fs, www, root):
    if ev.kind == "entry":
        entries += 1
        key = ev.group_key
        if key is not None:
            denied += 1
            groups[key] = groups.get(key, 0) + 1
elapsed = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{elapsed:.3f} {rss:.1f} {entries} {denied} {len(groups)}")
"""


def make_tree(root: str, dirs: int, files: int) -> None:
    marker = os.path.join(root, ".complete-%d-%d" % (dirs, files))
    if os.path.exists(marker):
        print(f"reusing {root}")
        return
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    os.chmod(root, 0o755)
    t0 = time.perf_counter()
    old = os.umask(0)
    try:
        for d in range(dirs):
            # every 50th directory is closed to others, so some verdicts are denials
            dpath = os.path.join(root, f"d{d:04d}")
            os.mkdir(dpath, 0o700 if d % 50 == 49 else 0o755)
            flags = os.O_CREAT | os.O_WRONLY | os.O_EXCL
            for f in range(files):
                mode = 0o600 if f % 100 == 99 else 0o644
                os.close(os.open(os.path.join(dpath, f"file-{f:04d}.html"), flags, mode))
    finally:
        os.umask(old)
    open(marker, "w").close()
    print(f"created {dirs * (files + 1):,} entries in {time.perf_counter() - t0:.1f}s")


def time_find(root: str) -> float:
    cmd = ["find", root, "-printf", "%m %u %g %p\n"]
    best = None
    for _ in range(2):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        best = time.perf_counter() - t0
    return best


def time_walk(root: str, xattrs: bool) -> tuple[float, float, float, str]:
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = ""
    wall = 0.0
    for _ in range(2):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, root, "1" if xattrs else "0"],
                             env=env, capture_output=True, text=True, check=True).stdout
        wall = time.perf_counter() - t0
    walk_s, rss, *counts = out.split()
    return float(walk_s), wall, float(rss), " ".join(counts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/var/tmp/confcheck-bench-walk")
    ap.add_argument("--dirs", type=int, default=1000)
    ap.add_argument("--files", type=int, default=999)
    ap.add_argument("--keep", action="store_true", help="keep the tree afterwards")
    args = ap.parse_args()
    make_tree(args.root, args.dirs, args.files)
    try:
        find_s = time_find(args.root)
        print(f"find -printf '%m %u %g %p':     {find_s:7.2f}s")
        for xattrs in (True, False):
            walk_s, wall, rss, counts = time_walk(args.root, xattrs)
            label = "walk (xattrs)   " if xattrs else "walk (no xattrs)"
            print(f"{label}: {walk_s:7.2f}s walk, {wall:6.2f}s with interpreter start, "
                  f"{walk_s / find_s:4.2f}x find, peak RSS {rss:6.1f} MB "
                  f"[entries denied groups: {counts}]")
    finally:
        if not args.keep:
            shutil.rmtree(args.root, ignore_errors=True)
            print(f"removed {args.root}")


if __name__ == "__main__":
    main()

"""`confcheck demo`: the bundled broken site, scanned from its snapshot.

The site's configs live in sample_configs/demo/etc/nginx and its disk in
sample_configs/demo/fs.json (a real `confcheck snapshot`), so the demo needs
no nginx, no root and no particular machine, and it changes nothing.
"""

from __future__ import annotations

import os
from importlib import resources

from confcheck.engine import ScanOptions, run_scan
from confcheck.output.text import render_scan, want_colour


def demo_dir() -> str:
    return str(resources.files("confcheck.sample_configs") / "demo")


def run_demo(out, colour: bool | None = None) -> int:
    base = demo_dir()
    snapshot = os.path.join(base, "fs.json")
    options = ScanOptions(paths=["/etc/nginx"], root=base, fs_snapshot=snapshot)
    out.write("confcheck demo: shop.example.com and docs.example.com answer 403 and 404.\n"
              f"Configs: {base}/etc/nginx (read with --root {base})\n"
              f"Disk:    {snapshot} (captured with `confcheck snapshot`)\n\n"
              f"$ confcheck scan --root {base} --fs-snapshot {snapshot} /etc/nginx\n\n")
    result = run_scan(options)
    paint = want_colour(out, colour)
    out.write(render_scan(result, colour=paint, root=base))
    out.write(f"\n$ confcheck why --root {base} --fs-snapshot {snapshot} {WHY_URL}\n\n")
    out.write(_why(base, snapshot, paint))
    out.write(f"\n$ confcheck fix --diff --root {base} --fs-snapshot {snapshot} /etc/nginx\n\n")
    out.write(_fix_diff(result, base, snapshot))
    return 0


def _fix_diff(result, base: str, snapshot: str) -> str:
    """What `confcheck fix --diff` prints for the demo: the patch, then the script (nothing is run)."""
    from confcheck.fixcmd import collect
    fixset = collect(result.findings, root=base)
    patch = fixset.patch
    script = fixset.script(source=["confcheck demo", f"filesystem: snapshot {snapshot}"], reroot=False)
    return (patch or "(no config change)\n") + "\n" + (script.decode("utf-8", "surrogateescape") if script else "")


WHY_URL = "http://shop.example.com/css/site.css"


def _why(base: str, snapshot: str, colour: bool) -> str:
    from confcheck.output.why_text import render_why
    from confcheck.servers.nginx.request import Request
    from confcheck.why import WhyOptions, explain, prepare

    prepared = prepare(WhyOptions(paths=["/etc/nginx"], root=base, fs_snapshot=snapshot))
    return render_why(explain(prepared, Request.parse(WHY_URL)), colour=colour, root=base)

"""The disk behind the demo site, as a spec that can be built for real.

`confcheck demo` reads `demo/fs.json`, a snapshot taken with `confcheck
snapshot` of this tree built with real modes and owners. Regenerate it (as
root) after changing the spec:

    python -m confcheck.sample_configs.demo_tree

tests/test_demo.py rebuilds the tree and checks the shipped snapshot still
matches it, so the demo never drifts from what a real disk would give.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

PASSWD = """root:x:0:0:root:/root:/bin/bash
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
deploy:x:1000:1000:Deploy user:/home/deploy:/bin/bash
shop:x:1001:1001:Shop PHP-FPM pool:/srv/shop-media:/usr/sbin/nologin
"""

GROUP = """root:x:0:
www-data:x:33:
nogroup:x:65534:
deploy:x:1000:
shop:x:1001:
"""

ROOT, WWW, DEPLOY, SHOP = 0, 33, 1000, 1001

# (path, kind, mode, uid, gid, content or link target)
SPEC: list[tuple[str, str, int, int, int, str]] = [
    ("/etc", "dir", 0o755, ROOT, ROOT, ""),
    ("/etc/passwd", "file", 0o644, ROOT, ROOT, PASSWD),
    ("/etc/group", "file", 0o644, ROOT, ROOT, GROUP),
    ("/etc/nginx", "dir", 0o755, ROOT, ROOT, ""),
    # Created by `htpasswd -c` as root with umask 077.
    ("/etc/nginx/htpasswd-shop", "file", 0o600, ROOT, ROOT, "admin:$apr1$Hq0t1GQe$0vS8b2m1Jz3yCj2Y0s6xv/\n"),
    ("/home", "dir", 0o755, ROOT, ROOT, ""),
    # Ubuntu 21.04+ creates home directories 0750.
    ("/home/deploy", "dir", 0o750, DEPLOY, DEPLOY, ""),
    ("/home/deploy/shop", "dir", 0o755, DEPLOY, DEPLOY, ""),
    ("/home/deploy/shop/public", "dir", 0o755, DEPLOY, DEPLOY, ""),
    ("/home/deploy/shop/public/index.html", "file", 0o644, DEPLOY, DEPLOY, "<h1>Shop</h1>\n"),
    ("/home/deploy/shop/public/css", "dir", 0o755, DEPLOY, DEPLOY, ""),
    ("/home/deploy/shop/public/css/site.css", "file", 0o644, DEPLOY, DEPLOY, "body{}\n"),
    ("/srv", "dir", 0o755, ROOT, ROOT, ""),
    # Listing needs r; 0711 lets files load but not the autoindex page.
    ("/srv/shop-media", "dir", 0o711, SHOP, SHOP, ""),
    ("/srv/shop-media/logo.png", "file", 0o644, SHOP, SHOP, "png"),
    ("/srv/shop-media/products", "dir", 0o755, SHOP, SHOP, ""),
    ("/srv/docs", "dir", 0o755, ROOT, ROOT, ""),
    ("/srv/docs/releases", "dir", 0o755, DEPLOY, DEPLOY, ""),
    ("/srv/docs/releases/42", "dir", 0o755, DEPLOY, DEPLOY, ""),
    ("/srv/docs/releases/42/html", "dir", 0o755, DEPLOY, DEPLOY, ""),
    ("/srv/docs/releases/42/html/index.html", "file", 0o644, DEPLOY, DEPLOY, "<h1>Docs</h1>\n"),
    # The deploy tool's `current` link, refused by `disable_symlinks on`.
    ("/srv/docs/current", "link", 0o777, DEPLOY, DEPLOY, "releases/42"),
]

# The PHP pool wrote uploads with umask 077: private to `shop`.
SPEC += [(f"/srv/shop-media/products/{n:04d}.jpg", "file", 0o600, SHOP, SHOP, "jpg")
         for n in range(1, 241)]

SNAPSHOT_TREES = ["/home/deploy/shop/public", "/srv/shop-media", "/srv/docs",
                  "/etc/nginx/htpasswd-shop", "/srv/docs-archive"]


def build(root: str) -> None:
    """Create the tree under `root` with its modes and owners (needs root)."""
    for path, kind, mode, uid, gid, content in SPEC:
        host = root + path
        if kind == "dir":
            os.makedirs(host, exist_ok=True)
        elif kind == "file":
            with open(host, "w", encoding="utf-8") as fh:
                fh.write(content)
        else:
            os.symlink(content, host)
        os.lchown(host, uid, gid)
        if kind != "link":
            os.chmod(host, mode)


def snapshot_json(root: str) -> str:
    """The snapshot `confcheck snapshot --root ROOT` writes for the demo trees."""
    import io

    from confcheck.fs.live import LiveFs
    from confcheck.fs.snapshot import write_snapshot

    out = io.StringIO()
    write_snapshot(SNAPSHOT_TREES, out, LiveFs(root))
    return out.getvalue()


def main() -> int:
    base = tempfile.mkdtemp(prefix="confcheck-demo-", dir="/var/tmp")
    try:
        os.chmod(base, 0o755)
        build(base)
        target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo", "fs.json")
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(snapshot_json(base))
        print(f"wrote {target}")
    finally:
        shutil.rmtree(base)
    return 0


if __name__ == "__main__":
    sys.exit(main())

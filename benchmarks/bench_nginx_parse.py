"""nginx reader speed against crossplane (run by hand, not in CI).

    python benchmarks/bench_nginx_parse.py [--servers 2000] [--files 200]

Generates http{} with N server blocks spread over F include files under
/var/tmp, then times (best of 3) our loader + validation and crossplane.parse
(default checks, and with checks off) on the same tree. The tree is removed.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import best_of  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERVER = """\
server {{
    listen 80;
    server_name site{i}.example.com www.site{i}.example.com;
    root /var/www/site{i};
    index index.html index.php;
    # static files
    location / {{
        try_files $uri $uri/ /index.php?$args;
    }}
    location ~ \\.php$ {{
        include fastcgi_params;
        fastcgi_pass unix:/run/php/php8.2-fpm.sock;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
    }}
    location ~ /\\.ht {{
        deny all;
    }}
    location /admin {{
        allow 10.0.0.0/8;
        deny all;
        auth_basic "Admin";
        auth_basic_user_file /etc/nginx/htpasswd;
        if ($request_method !~ ^(GET|HEAD|POST)$ ) {{ return 405; }}
    }}
    add_header X-Frame-Options "SAMEORIGIN" always;
    access_log /var/log/nginx/site{i}.log combined;
}}
"""


def generate(base: Path, servers: int, files: int) -> Path:
    (base / "sites").mkdir(parents=True)
    (base / "fastcgi_params").write_text("fastcgi_param QUERY_STRING $query_string;\n")
    (base / "nginx.conf").write_text(
        "user www-data;\nevents { worker_connections 768; }\n"
        "http {\n    sendfile on;\n    include sites/*.conf;\n}\n")
    per_file = servers // files
    for f in range(files):
        text = "".join(SERVER.format(i=f * per_file + k) for k in range(per_file))
        (base / "sites" / f"site{f:04d}.conf").write_text(text)
    return base / "nginx.conf"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=2000)
    ap.add_argument("--files", type=int, default=200)
    opts = ap.parse_args()

    import crossplane
    from confcheck.source import Diagnostics
    from confcheck.parsers.nginx_directives import validate
    from confcheck.parsers.nginx_loader import load_nginx

    base = Path(tempfile.mkdtemp(prefix="confcheck-bench-", dir="/var/tmp"))
    try:
        main_conf = generate(base, opts.servers, opts.files)
        size = sum(p.stat().st_size for p in base.rglob("*") if p.is_file())
        print(f"tree: {opts.servers} server blocks in {opts.files} files, {size / 1e6:.2f} MB")

        def ours():
            diags = Diagnostics()
            config = load_nginx(str(main_conf), diags)
            validate(config, diags)
            assert not diags.items, diags.items[:3]
            return config

        config = ours()
        nodes = sum(1 for f in config.parsed for _ in _walk(f.nodes))
        print(f"confcheck: {len(config.parsed)} instances, {nodes} nodes")
        t_ours = best_of(ours)
        t_cp = best_of(lambda: crossplane.parse(str(main_conf)))
        t_cp_off = best_of(lambda: crossplane.parse(str(main_conf), check_ctx=False, check_args=False))
        print(f"confcheck load_nginx + validate:          {t_ours:.3f} s")
        print(f"crossplane.parse (defaults):              {t_cp:.3f} s")
        print(f"crossplane.parse (check_ctx/args False):  {t_cp_off:.3f} s")
        # our loader pauses the cyclic GC while building the tree; for a fair
        # picture, crossplane with the GC paused as well
        gc.disable()
        try:
            t_cp_nogc = best_of(lambda: crossplane.parse(str(main_conf)))
        finally:
            gc.enable()
        print(f"crossplane.parse (defaults, GC paused):   {t_cp_nogc:.3f} s")
        print(f"ratio ours / crossplane defaults: {t_ours / t_cp:.2f}")
    finally:
        shutil.rmtree(base)


def _walk(nodes):
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children or ())


if __name__ == "__main__":
    main()

"""nginx reader speed against crossplane (run by hand, not in CI).

    python benchmarks/bench_nginx_parse.py [--servers 2000] [--runs 5] [--shape uniform|apps|builtin]
                                           [--tree MAIN_CONF]

The reading layer alone, as `scan` runs it (cyclic GC off): lex, the loader
(lex + parse + includes) and validation, in CPU time (user + sys of this
process, medians of --runs rounds, each round alternating with
crossplane.parse of the same tree), so it compares on a shared machine too.
Shapes: `uniform` is issue 14's ../shared/bench/gen_nginx_tree.py tree (every
server includes the same two snippets), `apps` gen_app_tree.py's application
servers, `builtin` the template below in --files files. A generated tree is
removed; --tree reads an existing one (e.g. main checkout vs this one).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

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
    ap.add_argument("--files", type=int, default=200, help="builtin shape only")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--shape", choices=("uniform", "apps", "builtin"), default="uniform")
    ap.add_argument("--tree", help="an existing main config to read instead (kept)")
    opts = ap.parse_args()

    import crossplane
    from confcheck.source import Diagnostics
    from confcheck.parsers import nginx_loader, nginx_parser
    from confcheck.parsers.nginx_directives import validate
    from confcheck.servers.coverage import nginx_unloaded_directives

    base = Path(tempfile.mkdtemp(prefix="confcheck-bench-", dir="/var/tmp"))
    try:
        if opts.tree:
            main_conf = opts.tree
            opts.shape = opts.tree
        elif opts.shape == "builtin":
            main_conf = str(generate(base, opts.servers, opts.files))
        else:
            from bench_fleet import trees
            main_conf = trees(base, opts.servers)[opts.shape]
        size = sum(p.stat().st_size for p in Path(main_conf).parent.rglob("*") if p.is_file())
        print(f"tree: {opts.shape}, {size / 1e6:.2f} MB")

        lexed = [0.0]
        lex = nginx_parser.lex

        def timed_lex(data, source=None):
            start = time.process_time()
            try:
                return lex(data, source)
            finally:
                lexed[0] += time.process_time() - start

        def ours() -> dict[str, float]:
            diags = Diagnostics()
            lexed[0] = 0.0
            nginx_parser.lex = timed_lex
            try:
                start = time.process_time()
                config = nginx_loader.load_nginx(main_conf, diags)
                loaded = time.process_time()
            finally:
                nginx_parser.lex = lex
            validate(config, diags, nginx_unloaded_directives)
            done = time.process_time()
            assert not [d for d in diags.items if d.severity == "error"], diags.items[:3]
            return {"lex": lexed[0], "load (lex + parse + includes)": loaded - start,
                    "validate": done - loaded, "load + validate": done - start}

        def theirs() -> dict[str, float]:
            start = time.process_time()
            crossplane.parse(main_conf)
            return {"crossplane.parse (defaults)": time.process_time() - start}

        config = nginx_loader.load_nginx(main_conf, Diagnostics())
        nodes = sum(1 for f in config.parsed for _ in _walk(f.nodes))
        print(f"confcheck: {len(config.parsed)} instances, {nodes} nodes")
        del config
        rounds: dict[str, list[float]] = {}
        gc.disable()    # as `scan` runs (confcheck.entry)
        try:
            for _ in range(opts.runs):
                for measure in (ours, theirs):
                    for name, seconds in measure().items():
                        rounds.setdefault(name, []).append(seconds)
                    gc.collect()
        finally:
            gc.enable()
        print(f"CPU seconds, median of {opts.runs} alternating rounds (min in brackets):")
        for name, times in rounds.items():
            print(f"  {name:32} {statistics.median(times):7.3f}  ({min(times):.3f})")
        ratio = statistics.median(rounds["load + validate"]) / statistics.median(
            rounds["crossplane.parse (defaults)"])
        print(f"ratio ours / crossplane.parse: {ratio:.2f}")
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

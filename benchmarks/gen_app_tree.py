"""A generated nginx tree of realistic application server blocks, for the speed and memory benchmarks.

    python benchmarks/gen_app_tree.py OUTDIR 2000     # writes OUTDIR/nginx.conf and OUTDIR/sites/*.conf

Unlike ../shared/bench/gen_nginx_tree.py (one template repeated), each server is
drawn from a few application shapes with their own variations, as hosting
panels write them: PHP apps with TLS and an HTTP->HTTPS redirect server,
dot-file rules, rewrites, error pages, basic auth on an admin area, static
assets, upload folders that must not run PHP, a proxied API. Deterministic
(seeded), so runs compare.
"""

from __future__ import annotations

import os
import random
import sys

PER_FILE = 10

MAIN = """user www-data;
worker_processes auto;
events { worker_connections 1024; }
http {
    include mime.types;
    default_type application/octet-stream;
    sendfile on;
    server_tokens off;
    ssl_protocols TLSv1.2 TLSv1.3;
    upstream api_backend { server 127.0.0.1:8080; }
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    limit_req_zone $binary_remote_addr zone=login:10m rate=5r/m;
    include sites/*.conf;
}
"""

SNIPPETS = {
    "snippets/dotfiles.conf": "location ~ /\\.(?!well-known) {\n    deny all;\n}\n",
    "snippets/php.conf": ("location ~ \\.php$ {\n    try_files $uri =404;\n    include fastcgi_params;\n"
                          "    fastcgi_pass unix:/run/php/php8.2-fpm.sock;\n"
                          "    fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n}\n"),
    "snippets/tls.conf": ("ssl_session_cache shared:SSL:10m;\nssl_session_timeout 1d;\n"
                          "add_header Strict-Transport-Security \"max-age=31536000\" always;\n"),
}


def _redirect(name: str) -> str:
    return (f"server {{\n    listen 80;\n    server_name {name} www.{name};\n"
            f"    location /.well-known/acme-challenge/ {{ root /var/www/letsencrypt; }}\n"
            f"    location / {{ return 301 https://{name}$request_uri; }}\n}}\n")


def _app(rng: random.Random, i: int) -> str:
    name = f"app{i}.example.org"
    user = f"u{i}"
    root = f"/home/{user}/www/{rng.choice(['public', 'web', 'htdocs', 'current/public'])}"
    shape = rng.choice(["wordpress", "laravel", "drupal", "static", "symfony"])
    lines = [f"    listen 443 ssl{' http2' if rng.random() < 0.7 else ''};",
             f"    server_name {name} www.{name};",
             f"    ssl_certificate /etc/letsencrypt/live/{name}/fullchain.pem;",
             f"    ssl_certificate_key /etc/letsencrypt/live/{name}/privkey.pem;",
             "    include snippets/tls.conf;",
             f"    root {root};",
             f"    access_log /var/log/nginx/{name}.access.log;",
             f"    error_log /var/log/nginx/{name}.error.log;",
             f"    client_max_body_size {rng.choice([8, 16, 64, 128])}m;"]
    if shape == "static":
        lines += ["    index index.html;", "    location / { try_files $uri $uri/ =404; }"]
    else:
        lines += ["    index index.php index.html;",
                  "    location / {", "        try_files $uri $uri/ /index.php?$args;", "    }"]
    lines.append("    include snippets/dotfiles.conf;")
    if shape == "wordpress":
        lines += ["    location = /xmlrpc.php { deny all; }",
                  "    location ~* /(?:uploads|files)/.*\\.php$ { deny all; }",
                  "    location /wp-admin/ {",
                  f"        auth_basic \"{name} admin\";",
                  f"        auth_basic_user_file /etc/nginx/htpasswd/{user};",
                  "    }",
                  "    location = /wp-login.php {", "        limit_req zone=login burst=3;",
                  "        include snippets/php.conf;", "    }"]
    elif shape == "laravel":
        lines += ["    location /storage/ { alias " + root.rsplit("/", 1)[0] + "/storage/app/public/; }",
                  "    location ^~ /vendor/ { deny all; }",
                  "    rewrite ^/home/?$ / permanent;"]
    elif shape == "drupal":
        lines += ["    location ~ \\..*/.*\\.php$ { return 403; }",
                  "    location ~ ^/sites/.*/private/ { return 403; }",
                  "    location ~ ^/sites/[^/]+/files/styles/ { try_files $uri @rewrite; }",
                  "    location @rewrite { rewrite ^/(.*)$ /index.php?q=$1; }",
                  "    location /backup/ { deny all; }"]
    elif shape == "symfony":
        lines += ["    location ~ ^/index\\.php(/|$) {", "        include fastcgi_params;",
                  "        fastcgi_pass unix:/run/php/php8.2-fpm.sock;",
                  "        fastcgi_param SCRIPT_FILENAME $realpath_root$fastcgi_script_name;",
                  "        internal;", "    }",
                  "    location /api/ {", "        proxy_pass http://api_backend;",
                  "        proxy_set_header Host $host;", "    }"]
    if shape != "static" and shape != "symfony":
        lines.append("    include snippets/php.conf;")
    if rng.random() < 0.5:
        lines += ["    location /admin/ {", "        allow 10.0.0.0/8;", f"        allow 192.0.2.{i % 250};",
                  "        deny all;", "    }"]
    if rng.random() < 0.4:
        lines += ["    location ~* \\.(?:css|js|png|jpg|svg|woff2)$ {", "        expires 30d;",
                  "        access_log off;", "    }"]
    if rng.random() < 0.5:
        lines += ["    error_page 404 /404.html;", "    error_page 500 502 503 504 /50x.html;",
                  "    location = /50x.html { root /usr/share/nginx/html; }"]
    if rng.random() < 0.3:
        lines.append(f"    rewrite ^/old-{i}/(.*)$ /new/$1 permanent;")
    return "server {\n" + "\n".join(lines) + "\n}\n" + _redirect(name)


def generate(out: str, servers: int, seed: int = 7) -> str:
    """Write the tree under `out` (two server blocks per app: TLS and its redirect); the main file's path."""
    rng = random.Random(seed)
    os.makedirs(os.path.join(out, "sites"), exist_ok=True)
    os.makedirs(os.path.join(out, "snippets"), exist_ok=True)
    for rel, text in SNIPPETS.items():
        with open(os.path.join(out, rel), "w") as fh:
            fh.write(text)
    with open(os.path.join(out, "mime.types"), "w") as fh:
        fh.write("types {\n    text/html html;\n    text/css css;\n    application/javascript js;\n}\n")
    with open(os.path.join(out, "fastcgi_params"), "w") as fh:
        fh.write("fastcgi_param QUERY_STRING $query_string;\nfastcgi_param REQUEST_METHOD $request_method;\n")
    apps = max(1, servers // 2)
    for start in range(0, apps, PER_FILE):
        with open(os.path.join(out, "sites", f"apps{start // PER_FILE:04d}.conf"), "w") as fh:
            for i in range(start, min(apps, start + PER_FILE)):
                fh.write(_app(rng, i))
    main = os.path.join(out, "nginx.conf")
    with open(main, "w") as fh:
        fh.write(MAIN)
    return main


if __name__ == "__main__":
    print(generate(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000))

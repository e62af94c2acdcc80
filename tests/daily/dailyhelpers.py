"""Helpers for the daily-use tests: a small config repository on disk."""

from __future__ import annotations

import os

NGINX_MAIN = """user www-data;
events {}
http {
    include /etc/nginx/conf.d/*.conf;
    include /etc/nginx/sites-enabled/*;
}
"""
SHOP = """server {
    listen 80;
    server_name shop.example.com;
    root /var/www/shop;
    include snippets/admin.conf;
}
"""
ADMIN_BAD = "location /admin/ {\n    deny all;\n    allow 10.0.0.0/8;\n}\n"
ADMIN_GOOD = "location /admin/ {\n    allow 10.0.0.0/8;\n    deny all;\n}\n"
APACHE_MAIN = "ServerName www.example.com\nIncludeOptional sites-enabled/*.conf\n"
APACHE_SITE = ("<VirtualHost *:80>\n    DocumentRoot /var/www/html\n    <Directory /var/www/html>\n"
               "        Require all granted\n    </Directory>\n</VirtualHost>\n")


def write(path: str, text: str) -> str:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def config_repo(base: str, admin: str = ADMIN_BAD) -> str:
    """nginx/ (Debian layout, absolute includes, a relative sites-enabled link,
    a snippet), apache2/ and a site/.htaccess: what a config repository holds."""
    write(f"{base}/nginx/nginx.conf", NGINX_MAIN)
    write(f"{base}/nginx/sites-available/shop", SHOP)
    os.makedirs(f"{base}/nginx/sites-enabled", exist_ok=True)
    os.symlink("../sites-available/shop", f"{base}/nginx/sites-enabled/shop")
    write(f"{base}/nginx/snippets/admin.conf", admin)
    write(f"{base}/nginx/conf.d/upgrade.conf",
          "map $http_upgrade $connection_upgrade {\n    default upgrade;\n    \"\" close;\n}\n")
    write(f"{base}/apache2/apache2.conf", APACHE_MAIN)
    write(f"{base}/apache2/sites-available/000-default.conf", APACHE_SITE)
    os.makedirs(f"{base}/apache2/sites-enabled", exist_ok=True)
    os.symlink("../sites-available/000-default.conf", f"{base}/apache2/sites-enabled/000-default.conf")
    write(f"{base}/site/.htaccess", "Options -Indexes\nRequire all granted\n")
    return base

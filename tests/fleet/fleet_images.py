"""Three web servers' disk images, each with its own mistakes, and a fourth whose
config does not parse: the fleet the Ansible and report tests scan (with --root).

web1 and web2 are deployed from one nginx template (the shop, as in the demo):
they share its mistakes (deny before allow, the dot-file rule that refuses
ACME challenges, a regex location that bypasses a prefix deny) and each has one
of its own (web1: the deploy user's home is not searchable; web2: uploads
nobody can read). web3 runs Apache (RHEL layout) with a DocumentRoot outside
every granted directory. web4's nginx.conf is missing a `;`.
"""

from __future__ import annotations

import os

from cc_helpers import REPO, RHEL_HTTPD_CONF, RHEL_HTTPD_MODULES

DEMO = os.path.join(REPO, "sample_configs", "demo", "etc", "nginx")
NGINX_PASSWD = ("root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n"
                "deploy:x:1000:1000::/home/deploy:/bin/sh\n")
NGINX_GROUP = "root:x:0:\nwww-data:x:33:\ndeploy:x:1000:\n"

def _write(base: str, rel: str, text: str, mode: int = 0o644, owner: tuple[int, int] = (0, 0)) -> None:
    path = os.path.join(base, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)
    os.chmod(path, mode)
    os.chown(path, *owner)


def _read(name: str) -> str:
    with open(os.path.join(DEMO, name)) as fh:
        return fh.read()


def _shop(base: str, host: str) -> None:
    for name in ("nginx.conf", "mime.types", "fastcgi_params"):
        _write(base, f"etc/nginx/{name}", _read(name))
    site = _read("sites-enabled/shop.conf").replace("server_name shop.example.com www.shop.example.com;",
                                                    f"server_name {host}.example.com;")
    _write(base, "etc/nginx/sites-enabled/shop.conf", site)
    _write(base, "etc/passwd", NGINX_PASSWD)
    _write(base, "etc/group", NGINX_GROUP)
    _write(base, "home/deploy/shop/public/index.html", f"{host}\n", owner=(1000, 1000))
    os.makedirs(f"{base}/srv/shop-media", exist_ok=True)
    for made in ("var/log/nginx", "run"):      # what the package and the system provide (FS110)
        os.makedirs(f"{base}/{made}", exist_ok=True)


def web1(base: str) -> None:
    _shop(base, "web1")
    os.chown(f"{base}/home/deploy", 1000, 1000)
    os.chmod(f"{base}/home/deploy", 0o750)          # www-data cannot enter: FS101


def web2(base: str) -> None:
    _shop(base, "web2")
    os.chmod(f"{base}/home/deploy", 0o755)
    _write(base, "etc/nginx/htpasswd-shop", "admin:$apr1$x$y\n", mode=0o640, owner=(0, 33))
    for n in range(3):                               # uploads written with a private umask: FS102
        _write(base, f"srv/shop-media/products/{n}.png", "png\n", mode=0o600)


def web3(base: str) -> None:
    _write(base, "etc/httpd/conf/httpd.conf", RHEL_HTTPD_CONF)
    _write(base, "etc/httpd/conf.modules.d/00-base.conf", RHEL_HTTPD_MODULES)
    _write(base, "etc/httpd/conf.d/app.conf",
           "<VirtualHost *:80>\n    ServerName web3.example.com\n    DocumentRoot /srv/app\n</VirtualHost>\n")
    _write(base, "etc/passwd", "root:x:0:0::/root:/bin/bash\napache:x:48:48::/usr/share/httpd:/sbin/nologin\n")
    _write(base, "etc/group", "root:x:0:\napache:x:48:\n")
    _write(base, "var/www/html/index.html", "hi\n")
    _write(base, "srv/app/index.html", "app\n")
    os.makedirs(f"{base}/etc/httpd/logs", exist_ok=True)    # the package's log directory (FS110)


def web4(base: str) -> None:
    _write(base, "etc/nginx/nginx.conf", "user www-data;\nevents {}\nhttp {\n    server {\n"
           "        listen 80;\n        root /srv/site\n    }\n}\n")
    _write(base, "etc/passwd", NGINX_PASSWD)
    _write(base, "etc/group", NGINX_GROUP)


# host -> (builder, what it scans under its --root)
HOSTS = {"web1": (web1, ["/etc/nginx"]), "web2": (web2, ["/etc/nginx"]),
         "web3": (web3, ["/etc/httpd"]), "web4": (web4, ["/etc/nginx"])}


def build_fleet(base: str) -> dict[str, list[str]]:
    """Build every image under base/images/HOST (0755 all the way); host -> its scan arguments."""
    out = {}
    for host, (builder, paths) in HOSTS.items():
        root = os.path.join(base, "images", host)
        os.makedirs(root)
        os.chmod(os.path.join(base, "images"), 0o755)
        os.chmod(root, 0o755)
        builder(root)
        out[host] = ["--root", root, *paths]
    return out

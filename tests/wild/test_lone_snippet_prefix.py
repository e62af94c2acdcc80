"""A snippet kept outside /etc/nginx and read alone in an image (`scan --no-fs --root IMG
/var/www/magento2/nginx.conf.sample`, as the magento-nginx case of test_wild_configs does):
its `include fastcgi_params;` is relative to the conf prefix of the nginx that includes it
(real `nginx -t` accepts Magento's site with the machine's /etc/nginx/fastcgi_params), not
to the snippet's folder, where confcheck reported `open() ... failed` and exit 2."""

from __future__ import annotations

import os

from confcheck.parsers.nginx_loader import load_nginx
from confcheck.source import Diagnostics


def _image(tmp_path, with_nginx: bool):
    if with_nginx:
        (tmp_path / "etc/nginx").mkdir(parents=True)
        (tmp_path / "etc/nginx/nginx.conf").write_text("events {}\nhttp {}\n")
        (tmp_path / "etc/nginx/fastcgi_params").write_text("fastcgi_param QUERY_STRING $query_string;\n")
    (tmp_path / "var/www/app").mkdir(parents=True)
    snippet = tmp_path / "var/www/app/nginx.conf.sample"
    snippet.write_text("location ~ \\.php$ {\n    include fastcgi_params;\n    fastcgi_pass 127.0.0.1:9000;\n}\n")
    return str(snippet)


def test_relative_include_of_a_snippet_outside_etc_nginx_reads_the_images_nginx(tmp_path):
    diags = Diagnostics()
    config = load_nginx(_image(tmp_path, True), diags, root=str(tmp_path))
    assert [str(d) for d in diags.items] == []
    assert config.prefix == "/etc/nginx/"
    assert os.path.join(str(tmp_path), "etc/nginx/fastcgi_params") in config.files


def test_without_an_nginx_in_the_image_the_missing_include_is_still_named(tmp_path):
    diags = Diagnostics()
    load_nginx(_image(tmp_path, False), diags, root=str(tmp_path))
    assert [d.message for d in diags.items] == [
        'open() "/var/www/app/fastcgi_params" failed (2: No such file or directory)']

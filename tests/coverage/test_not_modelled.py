"""`why` answers null, naming the directive, where a request passes an unknown-class
directive, and keeps its confident answer everywhere else (real trees under /var/tmp)."""

from __future__ import annotations

import json
import os

import pytest

from cc_helpers import run_cli
from confcheck.servers.nginx.request import Request
from confcheck.why import WhyOptions, explain, prepare

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the worker's view of the tree needs root")


def _nginx(tree_dir: str, body: str, http: str = "", main: str = "") -> str:
    os.makedirs(os.path.join(tree_dir, "www", "d"), exist_ok=True)
    for rel in ("www/a.html", "www/d/a.html"):
        with open(os.path.join(tree_dir, rel), "w") as fh:
            fh.write("a\n")
    conf = os.path.join(tree_dir, "nginx.conf")
    with open(conf, "w") as fh:
        fh.write(f"{main}user www-data;\nevents {{}}\nhttp {{\n{http}\n    server {{\n        listen 8080;\n"
                 f"        server_name site.test;\n        root {tree_dir}/www;\n{body}\n    }}\n}}\n")
    return conf


def _why(conf: str, path: str, method: str = "GET", headers: dict | None = None, client_ip: str = "127.0.0.1"):
    prepared = prepare(WhyOptions(configs=[conf]))
    assert [str(e) for e in prepared.errors] == []
    return explain(prepared, Request.parse(f"http://site.test:8080{path}", method,
                                           {"Host": "site.test", **(headers or {})}, client_ip))


def _line_of(conf: str, text: str) -> int:
    with open(conf) as fh:
        return next(i for i, line in enumerate(fh, 1) if text in line)


def test_a_third_party_directive_makes_the_answer_unknown_where_it_is_in_force(tree_dir):
    conf = _nginx(tree_dir, "        location /d/ {\n            access_by_lua_block { return }\n"
                            "        }")
    out = _why(conf, "/d/a.html")
    assert out.status is None and out.would_answer == 200
    assert out.reason.startswith(f"not modelled: access_by_lua_block at {conf}:{_line_of(conf, 'access_by_lua')}")
    assert _why(conf, "/a.html").status == 200


def test_inner_off_switches_an_inherited_directive_off(tree_dir):
    conf = _nginx(tree_dir, "        auth_request /auth;\n        location /d/ {\n            auth_request off;\n"
                            "        }\n        location = /auth {\n            proxy_pass http://127.0.0.1:9;\n        }")
    assert _why(conf, "/d/a.html").status == 200
    out = _why(conf, "/a.html")
    assert out.status is None and out.not_modelled.name == "auth_request" and "location = /auth" in out.reason


def test_a_status_decided_before_the_directives_phase_stays_known(tree_dir):
    conf = _nginx(tree_dir, "        location /d/ {\n            limit_req zone=z;\n            deny all;\n"
                            "            return 418;\n        }",
                  http="    limit_req_zone $binary_remote_addr zone=z:1m rate=1r/s;")
    assert _why(conf, "/d/a.html").status == 418          # rewrite phase, before limit_req
    conf = _nginx(tree_dir, "        location /d/ {\n            limit_req zone=z;\n            deny all;\n"
                            "        }", http="    limit_req_zone $binary_remote_addr zone=z:1m rate=1r/s;")
    out = _why(conf, "/d/a.html")
    # a single request is not limited: the deny decides, and the limit is named for the load case
    assert out.status == 403 and out.not_modelled is None and out.decided_by.key == "deny"
    assert [limit.zone for limit in out.limits] == ["z"] and out.limits[0].status == 503


def test_realip_takes_the_address_from_a_trusted_sender_only(tree_dir):
    conf = _nginx(tree_dir, "        set_real_ip_from 10.0.0.0/8;\n        real_ip_header X-Forwarded-For;\n"
                            "        deny 192.0.2.1;")
    assert _why(conf, "/a.html").status == 200
    assert _why(conf, "/a.html", client_ip="10.1.1.1").status == 200
    untrusted = _why(conf, "/a.html", headers={"X-Forwarded-For": "192.0.2.1"}, client_ip="11.0.0.1")
    assert untrusted.status == 200
    out = _why(conf, "/a.html", headers={"X-Forwarded-For": "192.0.2.1"}, client_ip="10.1.1.1")
    assert out.status == 403 and out.decided_by.name == "deny" and out.not_modelled is None
    step = next(s for s in out.trace if s.step == "realip")
    assert "192.0.2.1" in str(step.detail) and step.node.name == "set_real_ip_from"


def test_realip_from_a_host_name_is_unknown(tree_dir):
    conf = _nginx(tree_dir, "        set_real_ip_from localhost;\n        deny 192.0.2.1;")
    out = _why(conf, "/a.html", headers={"X-Real-IP": "192.0.2.1"})
    assert out.status is None and "localhost" in out.reason


def test_image_filter_acts_on_what_the_content_phase_answered(tree_dir):
    # nginx knows image_filter only once its dynamic module is loaded
    conf = _nginx(tree_dir, "        location /d/ {\n            image_filter resize 10 10;\n        }",
                  main="load_module modules/ngx_http_image_filter_module.so;\n")
    assert _why(conf, "/d/missing.png").status == 404     # the filter only sees a 200
    out = _why(conf, "/d/a.html")
    assert out.status is None and out.would_answer == 200


def test_why_json_names_the_directive_and_the_answer_without_it(tree_dir):
    conf = _nginx(tree_dir, "        location /d/ {\n            auth_request /auth;\n        }\n"
                            "        location = /auth {\n            proxy_pass http://127.0.0.1:9;\n        }")
    proc = run_cli("why", "--config", conf, "--format", "json", "http://site.test:8080/d/a.html")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    line = _line_of(conf, "auth_request /auth")
    assert doc["status"] is None
    assert doc["reason"].startswith(f"not modelled: auth_request at {conf}:{line} (")
    assert doc["not_modelled"] == {"directive": "auth_request", "file": conf, "line": line, "column": 13}
    assert doc["would_answer"] == 200
    assert doc["decided_by"]["directive"] == "auth_request"
    plain = json.loads(run_cli("why", "--config", conf, "--format", "json", "http://site.test:8080/a.html").stdout)
    assert plain["status"] == 200 and "not_modelled" not in plain and "would_answer" not in plain


def test_a_rule_claims_no_status_through_an_unknown_directive(tree_dir):
    """NGX105 (a directory with no index answered 403) probes decide(): behind
    random_index the 403 is not what nginx answers, so nothing is reported."""
    body = "        location /d/ {\n            index index.html;\n{extra}        }"
    plain = _nginx(tree_dir, body.replace("{extra}", ""))
    found = json.loads(run_cli("scan", "--config", plain, "--format", "json").stdout)["findings"]
    assert any(f["rule"] == "NGX105" and "GET /d/ " in f["message"] for f in found), found
    hidden = _nginx(tree_dir, body.replace("{extra}", "            random_index on;\n"))
    found = json.loads(run_cli("scan", "--config", hidden, "--format", "json").stdout)["findings"]
    assert not any(f["rule"] == "NGX105" and "GET /d/ " in f["message"] for f in found), found
    assert any(f["rule"] == "NGX105" and "GET / " in f["message"] for f in found), found


# -- Apache -------------------------------------------------------------------

def _apache(tree_dir, vhost, path, *, files=None, method="GET"):
    from apache.test_apache_model import why
    return why(tree_dir, vhost, {"www/a.html": "a", **(files or {})}, path, method=method)


SITE = """    DocumentRoot @B@/www
    <Directory @B@/www>
        Require all granted
        AllowOverride All
    </Directory>
"""


def test_apache_proxypass_hands_on_after_proxy_and_location_sections(tree_dir):
    vhost = SITE + "    ProxyPass /app/static/ !\n    ProxyPass /app/ http://127.0.0.1:9/\n" \
                   "    ProxyPassMatch ^/api/(v[0-9]+)/ http://127.0.0.1:9/$1/\n" \
                   "    <ProxyMatch ^http://127.0.0.1:9/v2/>\n        Require all denied\n    </ProxyMatch>\n" \
                   "    <Location /svc/>\n        ProxyPass http://127.0.0.1:9/\n    </Location>\n"
    out = _apache(tree_dir, vhost, "/app/x")
    assert out.status is None and out.not_modelled is None and "the status is the backend's" in out.reason
    assert out.decided_by.name == "ProxyPass"
    assert _apache(tree_dir, vhost, "/app/static/a.html").status == 404
    assert _apache(tree_dir, vhost, "/application").status == 404
    assert _apache(tree_dir, vhost, "/api/v1/users").status is None
    refused = _apache(tree_dir, vhost, "/api/v2/users")
    assert refused.status == 403 and refused.decided_by.name == "Require" and "proxy:http://127.0.0.1:9/v2/ " \
        in refused.reason
    assert _apache(tree_dir, vhost, "/a.html").status == 200
    located = _apache(tree_dir, vhost, "/svc/x")
    assert located.status is None and located.not_modelled.name == "ProxyPass"


def test_apache_rewritemap_is_unknown_only_where_a_rule_uses_a_map(tree_dir):
    vhost = SITE + "    RewriteEngine On\n    RewriteMap lower int:tolower\n" \
                   "    RewriteRule ^/up/(.*) /${lower:$1} [PT]\n"
    assert _apache(tree_dir, vhost, "/a.html").status is None          # the server-context rule is in force
    plain = SITE + "    RewriteEngine On\n    RewriteMap lower int:tolower\n    RewriteRule ^/old$ /a.html [PT]\n"
    assert _apache(tree_dir, plain, "/a.html").status == 200


def test_apache_htaccess_directive_the_model_does_not_know(tree_dir):
    files = {"www/d/.htaccess": "Options -Indexes\nIndexForbiddenReturn404 on\n", "www/d/b.html": "b"}
    out = _apache(tree_dir, SITE, "/d/", files=files)
    assert out.status is None and out.would_answer == 403 and out.not_modelled.file.endswith("/d/.htaccess")
    assert _apache(tree_dir, SITE, "/d/b.html", files=files).status == 200    # acts on a 403 only
    files["www/d/.htaccess"] = "Options -Indexes\nIndexForbiddenReturn404 off\n"
    assert _apache(tree_dir, SITE, "/d/", files=files).status == 403


def test_apache_errordocument_redirects_to_a_url_and_keeps_the_status_otherwise(tree_dir):
    vhost = SITE + "    ErrorDocument 404 http://elsewhere.example/\n    ErrorDocument 403 /sorry.html\n" \
                   "    <Directory @B@/www/p>\n        Require all denied\n        ErrorDocument 404 \"gone\"\n" \
                   "    </Directory>\n"
    files = {"www/p/a.html": "p"}
    out = _apache(tree_dir, vhost, "/missing", files=files)
    assert (out.status, out.location, out.decided_by.name) == (302, "http://elsewhere.example/", "ErrorDocument")
    assert _apache(tree_dir, vhost, "/a.html", files=files).status == 200
    assert _apache(tree_dir, vhost, "/p/a.html", files=files).status == 403
    assert _apache(tree_dir, vhost, "/p/missing", files=files).status == 403      # denied before the 404

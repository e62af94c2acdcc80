"""Real Django 5.2 under Debian's real uWSGI behind real nginx (uwsgi_pass: the
machine's uwsgi_params, uwsgi_param lines, upstream groups; proxy_pass to the
http-socket) and real Apache (ProxyPass, RequestHeader in sections) with TLS:
`why` predicts Django's status and reason for every request, or answers null
naming what it cannot know (an upstream whose servers reach two apps, a
RequestHeader inside <If>); `scan` reports each cause at its line and nothing on
the correct blocks (realserver_harness/uwsgi_chain.py builds the scenario).
"""

from __future__ import annotations

import os

import pytest

from realserver_harness.django_chain import csrf_posts

pytestmark = pytest.mark.realserver

# (server, scheme, host, what `why` cannot know: None, or a text its null answer names)
SITES = [
    ("nginx", "https", "u-params.test", None), ("nginx", "http", "u-params.test", None),
    ("nginx", "https", "u-raw.test", None), ("nginx", "https", "u-scheme.test", None),
    ("nginx", "https", "u-group.test", None), ("nginx", "https", "u-mixed.test", "upstream umixed"),
    ("nginx", "https", "u-http.test", None), ("nginx", "http", "u-http.test", None),
    ("nginx", "https", "u-httpgood.test", None),
    ("apache", "https", "ua-loc.test", None), ("apache", "https", "ua-other.test", None),
    ("apache", "https", "ua-if.test", "<If"), ("apache", "https", "ua-bare.test", None),
]


@pytest.fixture(scope="module")
def chain(request, realserver_gate):
    realserver_gate("nginx")
    realserver_gate("apache")
    pytest.importorskip("django")
    from realserver_harness.uwsgi_chain import PLUGIN, UWSGI, UwsgiChain
    if not (os.path.exists(UWSGI) and os.path.exists(PLUGIN)):
        message = "Debian's uwsgi-core and uwsgi-plugin-python3 are not installed (.ci/run installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    built = UwsgiChain.build()
    request.addfinalizer(built.close)
    for variant in built.projects:
        built.start_app(variant)
    built.start_servers()
    return built


def _trees(chain) -> list[str]:
    # utwo's project is outside the trees named: its uWSGI ini (Debian's layout) links it
    return [str(chain.base / "etc/uwsgi"), str(chain.base / "apps/uone")]


def _posts(origin: str, page: str):
    """The gunicorn chain's POSTs, then a client's own X-Forwarded-Proto/-Ssl: uWSGI takes them
    from anyone it reaches."""
    return csrf_posts(origin, page) + [
        ("client-proto", {"Origin": origin, "X-Forwarded-Proto": "https"}),
        ("client-ssl", {"Origin": origin, "X-Forwarded-Ssl": "on"}),
    ]


def _check(chain, prepared, server, scheme, host, unknown, method, path, headers, seen):
    from confcheck.servers.nginx.request import Request
    from confcheck.why import explain
    port = chain.ports[f"{server}-{scheme}"]
    real = chain.request(server, scheme, host, method, path, headers)
    request = Request.parse(f"{scheme}://127.0.0.1:{port}{path}", method, {"Host": f"{host}:{port}", **headers})
    outcome = explain(prepared, request)
    label = f"{method} {scheme}://{host}{path} {sorted(headers)}"
    log = "\n".join(real.log)
    assert outcome.app is not None, f"{label}: not followed past the proxy"
    if unknown is not None:
        assert outcome.status is None and unknown in outcome.app.reason, (label, outcome.app.reason)
        seen["unknown"] = seen.get("unknown", 0) + 1
        return real
    assert outcome.app.app is not None, f"{label}: not followed into the app ({outcome.app.reason})"
    if outcome.status is None:
        assert real.status == 200, f"{label}: why says the view decides ({outcome.reason}); real {real.status}\n{log}"
        assert "the view decides" in outcome.app.reason, label
    else:
        assert real.status == outcome.status, f"{label}: why {outcome.status} ({outcome.reason}); real " \
                                              f"{real.status}\n{log}"
        reason = outcome.app.reason
        wanted = f"Forbidden ({reason}): {path}" if outcome.status == 403 else reason
        assert wanted in log, f"{label}: Django's log does not say {wanted!r}:\n{log}"
    key = (outcome.status, outcome.app.reason.split(" - ")[0])
    seen[key] = seen.get(key, 0) + 1
    return real


def test_why_predicts_django_under_uwsgi_for_every_request(chain):
    from confcheck.why import WhyOptions, prepare
    prepared = {server: prepare(WhyOptions(paths=[chain.config(server), *_trees(chain)], no_fs=False))
                for server in ("nginx", "apache")}
    seen: dict = {}
    n = 0
    for server, scheme, host, unknown in SITES:
        port = chain.ports[f"{server}-{scheme}"]
        origin = f"{scheme}://{host}:{port}"
        n += 1
        got = _check(chain, prepared[server], server, scheme, host, unknown, "GET", f"/form/g{n}/", {}, seen)
        cookie = got.cookies.get("csrftoken", (None, False))[0]
        token = got.body.strip() if got.status == 200 else "x" * 64
        jar = {"Cookie": f"csrftoken={cookie}"} if cookie else {}
        for label, headers in _posts(origin, f"{origin}/form/g{n}/"):
            n += 1
            _check(chain, prepared[server], server, scheme, host, unknown, "POST", f"/form/{label}-{n}/",
                   {**jar, "X-CSRFToken": token, **headers}, seen)
        n += 1
        _check(chain, prepared[server], server, scheme, host, unknown, "POST", f"/form/nocookie-{n}/",
               {"X-CSRFToken": token, "Origin": origin}, seen)
    kinds = {key[1] for key in seen if key != "unknown"}
    for expected in ("Invalid HTTP_HOST header: '127.0.0.1:", "Origin checking failed", "Referer checking failed",
                     "CSRF cookie not set.", "CsrfViewMiddleware accepts the request: the view decides"):
        assert any(k.startswith(expected) for k in kinds), (expected, sorted(kinds))
    assert seen.get("unknown") == 2 * 9, seen
    print(f"\nDjango under uWSGI: {len(SITES)} sites, {chain.requests} requests, answers "
          f"{sorted(seen.items(), key=str)}")


def _scan(paths):
    from confcheck.engine import ScanOptions, run_scan
    return run_scan(ScanOptions(paths=list(paths)))


def _block_line(path: str, host: str, needle: str) -> int:
    """The line of the first `needle` after `server_name host` / `ServerName host`."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().lower() in (f"server_name {host};",
                                                                               f"servername {host}"))
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


def _settings_line(path, needle: str) -> int:
    with open(path, encoding="utf-8") as fh:
        return next(i for i, line in enumerate(fh, start=1) if needle in line)


def test_scan_reports_each_cause_at_its_line_under_uwsgi(chain):
    found = set()
    for server in ("nginx", "apache"):
        result = _scan([chain.config(server), *_trees(chain)])
        assert not result.errors and not result.failures
        found |= {(f.rule, f.span.file, f.span.line) for f in result.findings if f.rule.startswith("APP")}
    nginx, apache = chain.config("nginx"), chain.config("apache")
    one = str(chain.base / "apps/uone/shop/settings.py")
    two = str(chain.base / "apps/utwo/shop/settings.py")
    want = {
        ("APP102", one, _settings_line(one, "CSRF_TRUSTED_ORIGINS")),      # uwsgi_params' HTTP_HOST $host drops the port
        ("APP103", nginx, _block_line(nginx, "u-raw.test", "uwsgi_pass")),  # no HTTPS/UWSGI_SCHEME sent
        ("APP103", nginx, _block_line(nginx, "u-http.test", "proxy_pass")),  # http-socket, no X-Forwarded-Proto
        ("APP103", apache, _block_line(apache, "ua-other.test", "ProxyPass")),  # <Location> elsewhere
        ("APP102", two, _settings_line(two, "CSRF_TRUSTED_ORIGINS")),
        ("APP104", apache, _block_line(apache, "ua-bare.test", "ProxyPass")),
    }
    assert want <= found, sorted(want - found)
    quiet_lines = {(nginx, _block_line(nginx, h, "_pass")) for h in ("u-scheme.test", "u-group.test",
                                                                   "u-httpgood.test", "u-mixed.test")}
    quiet_lines |= {(apache, _block_line(apache, h, "ProxyPass")) for h in ("ua-loc.test", "ua-if.test")}
    assert {(f, line) for _r, f, line in found} & quiet_lines == set(), sorted(found)
    # the correct blocks alone: nothing
    for server in ("nginx", "apache"):
        quiet = _scan([chain.config(server, "good.conf"), *_trees(chain)])
        apps = [f for f in quiet.findings if f.rule.startswith("APP")]
        assert apps == [], [f.message for f in apps]

"""Real Django 5.2 under real gunicorn behind real nginx and Apache with TLS: `why`
predicts Django's status and reason for every request, `scan` reports each cause
at its settings or config line (and nothing on a correct chain), Django's own
`check --deploy` agrees where it has a matching check, and the fixes make the
refused POSTs pass (realserver_harness/django_chain.py builds the scenario).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from realserver_harness.django_chain import csrf_posts

pytestmark = pytest.mark.realserver

PROBE_PATHS = ("nginx", "apache")


@pytest.fixture(scope="module")
def chain(request, realserver_gate):
    realserver_gate("nginx")
    realserver_gate("apache")
    pytest.importorskip("django")
    pytest.importorskip("gunicorn")
    from realserver_harness.django_chain import Chain
    built = Chain.build()
    request.addfinalizer(built.close)
    for variant in built.projects:
        built.start_app(variant)
    built.start_servers()
    return built


def _trees(chain, *variants) -> list[str]:
    return [str(chain.base / "apps" / v) for v in (variants or chain.projects)]


def _prepare(chain, server: str):
    from confcheck.why import WhyOptions, prepare
    return prepare(WhyOptions(paths=[chain.config(server), *_trees(chain)], no_fs=False))


SITES = [  # (server, scheme, host)
    ("nginx", "https", "n-bare.test"), ("nginx", "http", "n-bare.test"),
    ("nginx", "https", "n-host.test"), ("nginx", "http", "n-host.test"),
    ("nginx", "https", "n-good.test"), ("nginx", "http", "n-plain.test"),
    ("nginx", "https", "n-port.test"),
    ("apache", "https", "a-bare.test"), ("apache", "https", "a-pres.test"), ("apache", "http", "a-pres.test"),
    ("apache", "https", "a-good.test"),
]


def _check(chain, prepared, server, scheme, host, method, path, headers, seen) -> None:
    from confcheck.servers.nginx.request import Request
    from confcheck.why import explain
    port = chain.ports[f"{server}-{scheme}"]
    real = chain.request(server, scheme, host, method, path, headers)
    request = Request.parse(f"{scheme}://127.0.0.1:{port}{path}", method, {"Host": f"{host}:{port}", **headers})
    outcome = explain(prepared, request)
    label = f"{method} {scheme}://{host}{path} {sorted(headers)}"
    assert outcome.app is not None and outcome.app.app is not None, f"{label}: not followed into the app"
    log = "\n".join(real.log)
    if outcome.status is None:
        assert real.status == 200, f"{label}: why says the view decides ({outcome.reason}); real {real.status}\n{log}"
        assert "the view decides" in outcome.app.reason, label
    else:
        assert real.status == outcome.status, f"{label}: why {outcome.status} ({outcome.reason}); real " \
                                              f"{real.status}\n{log}"
        reason = outcome.app.reason
        wanted = f"Forbidden ({reason}): {path}" if outcome.status == 403 else reason
        assert wanted in log, f"{label}: Django's log does not say {wanted!r}:\n{log}"
    seen[(outcome.status, outcome.app.reason.split(" - ")[0])] = seen.get(
        (outcome.status, outcome.app.reason.split(" - ")[0]), 0) + 1
    return real


def test_why_predicts_django_status_and_reason_for_every_request(chain):
    prepared = {server: _prepare(chain, server) for server in PROBE_PATHS}
    seen: dict = {}
    n = 0
    for server, scheme, host in SITES:
        port = chain.ports[f"{server}-{scheme}"]
        origin = f"{scheme}://{host}:{port}"
        n += 1
        page = f"{origin}/form/g{n}/"
        got = _check(chain, prepared[server], server, scheme, host, "GET", f"/form/g{n}/", {}, seen)
        cookie, secure = got.cookies.get("csrftoken", (None, False))
        token = got.body.strip() if got.status == 200 else "x" * 64
        # a browser sends a Secure cookie back over https only
        jar = {"Cookie": f"csrftoken={cookie}"} if cookie and (scheme == "https" or not secure) else {}
        for label, headers in csrf_posts(origin, page):
            n += 1
            _check(chain, prepared[server], server, scheme, host, "POST", f"/form/{label}-{n}/",
                   {**jar, "X-CSRFToken": token, **headers}, seen)
        n += 1
        _check(chain, prepared[server], server, scheme, host, "POST", f"/form/nocookie-{n}/",
               {"X-CSRFToken": token, "Origin": origin}, seen)
    # every kind of answer the chain gives was met and predicted
    kinds = {reason for _status, reason in seen}
    for expected in ("Invalid HTTP_HOST header: '127.0.0.1:", "Origin checking failed",
                     "Referer checking failed", "CSRF cookie not set.",
                     "CsrfViewMiddleware accepts the request: the view decides"):
        assert any(k.startswith(expected) for k in kinds), (expected, sorted(kinds))
    print(f"\nDjango chain: {len(SITES)} sites, {chain.requests} requests, answers {sorted(seen.items(), key=str)}")


def _scan(paths, app_settings=()):
    from confcheck.engine import ScanOptions, run_scan
    return run_scan(ScanOptions(paths=list(paths), app_settings=list(app_settings)))


def _line_of(path, needle: str) -> int:
    with open(path, encoding="utf-8") as fh:
        return next(i for i, line in enumerate(fh, start=1) if needle in line)


def test_scan_reports_each_cause_at_its_line(chain):
    found = set()
    for server in PROBE_PATHS:
        result = _scan([chain.config(server), *_trees(chain)])
        assert not result.errors and not result.failures
        found |= {(f.rule, f.span.file, f.span.line) for f in result.findings if f.rule.startswith("APP")}
    nginx, apache = chain.config("nginx"), chain.config("apache")
    single = str(chain.base / "apps/single/shop/settings.py")
    prod = str(chain.base / "apps/split/shop/settings/prod.py")
    env = str(chain.base / "apps/env/shop/settings.py")
    n_bare = _line_of(nginx, chain.upstream("single"))
    n_host = _line_of(nginx, "server_name n-host.test") + 2     # its proxy_pass (django_chain.nginx_conf)
    want = {
        ("APP101", single, _line_of(single, '"n-bare.test"]')),          # no scheme (4_0.E001)
        ("APP104", nginx, n_bare), ("APP103", nginx, n_bare),            # Host $proxy_host, no X-Forwarded-Proto
        ("APP103", nginx, n_host),                                       # Host right, scheme lost
        ("APP102", single, _line_of(single, "CSRF_TRUSTED_ORIGINS")),   # so n-host's origin is refused
        ("APP105", prod, _line_of(prod, "CSRF_COOKIE_SECURE")),         # n-plain is http
        ("APP102", env, _line_of(env, "CSRF_TRUSTED_ORIGINS")),         # $host drops the port
        ("APP104", apache, _line_of(apache, f"ProxyPass / {chain.upstream('single')}/")),
        ("APP103", apache, _line_of(apache, f"ProxyPass / {chain.upstream('single')}/")),
        ("APP103", apache, _line_of(apache, f"ProxyPass / {chain.upstream('env')}/")),
    }
    assert want <= found, sorted(want - found)
    good = {(r, f, line) for r, f, line in found if f in (nginx, apache) and line in (
        _line_of(nginx, chain.upstream("split")), _line_of(apache, f"ProxyPass / {chain.upstream('split')}/"))}
    assert good == set(), good
    # a correct chain alone: nothing
    for server in PROBE_PATHS:
        quiet = _scan([chain.config(server, "good.conf"), *_trees(chain, "split")])
        apps = [f for f in quiet.findings if f.rule.startswith("APP")]
        assert apps == [], [f.message for f in apps]


def _django_check(root, module) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = module
    proc = subprocess.run([sys.executable, "-m", "django", "check", "--deploy"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


def test_django_check_deploy_agrees(chain):
    cases = [("single", "shop.settings", "shop/settings.py"),
             ("single", "shop.settings_nocsrf", "shop/settings_nocsrf.py"),
             ("split", "shop.settings.prod", "shop/settings/prod.py")]
    for variant, module, rel in cases:
        root = chain.base / "apps" / variant
        out = _django_check(root, module)
        result = _scan([], [str(root / rel)])
        rules = {f.rule for f in result.findings}
        assert ("4_0.E001" in out) == ("APP101" in rules), (module, out, rules)
        assert ("security.W003" in out) == ("APP106" in rules), (module, out, rules)
        if "4_0.E001" in out:
            assert "n-bare.test" in out and any("'n-bare.test'" in f.message for f in result.findings)


def test_fixes_make_refused_posts_pass_and_change_nothing_else(chain):
    """Apply the settings and server patches, restart, send the same requests again."""
    from confcheck.cli import main
    saved = chain.base / "saved"
    files = [chain.base / "nginx/nginx.conf", chain.base / "apache/httpd.conf",
             *[p for v in chain.projects for p in (chain.base / "apps" / v / "shop").rglob("settings*.py")]]
    files += list((chain.base / "apps/split/shop/settings").glob("*.py"))
    for path in files:
        dest = saved / path.relative_to(chain.base)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    before = _answers(chain)
    try:
        for server in PROBE_PATHS:
            code = main(["fix", chain.config(server), *_trees(chain), "--apply", "--yes",
                         "--backup-dir", str(chain.base / f"backup-{server}")])
            assert code in (0, 1), code
        settings_diff = subprocess.run(["diff", str(saved / "apps/single/shop/settings.py"),
                                        str(chain.base / "apps/single/shop/settings.py")],
                                       capture_output=True, text=True).stdout
        # only the edited statement: the scheme-less entry, and the origin added to the same list
        changed = [line for line in settings_diff.splitlines() if line[:1] in "<>"]
        assert changed and all("CSRF_TRUSTED_ORIGINS" in line for line in changed), settings_diff
        chain.stop_servers()
        chain.stop_apps()
        for variant in chain.projects:
            chain.start_app(variant)
        chain.start_servers()
        after = _answers(chain)
        for key, status in before.items():
            site, label = key
            if status in (400, 403) and label in ("get", "origin", "referer-only"):
                assert after[key] == 200, (key, status, after[key])
            elif status == 200:
                assert after[key] == 200, (key, after[key])
    finally:
        chain.stop_servers()
        chain.stop_apps()
        for path in files:
            shutil.copy2(saved / path.relative_to(chain.base), path)
        for variant in chain.projects:
            chain.start_app(variant)
        chain.start_servers()


def _answers(chain) -> dict:
    """Real statuses of GET and the browser POSTs per https site whose fix is automatic."""
    out = {}
    for server, scheme, host in SITES:
        if scheme != "https" or host in ("n-good.test", "a-good.test"):
            continue
        port = chain.ports[f"{server}-{scheme}"]
        origin = f"{scheme}://{host}:{port}"
        got = chain.request(server, scheme, host, "GET", "/form/fix-g/", {})
        out[(host, "get")] = got.status
        cookie = got.cookies.get("csrftoken", (None, False))[0]
        token = got.body.strip() if got.status == 200 else "x" * 64
        jar = {"Cookie": f"csrftoken={cookie}"} if cookie else {}
        for label, headers in csrf_posts(origin, f"{origin}/form/fix-g/")[:2]:
            out[(host, label)] = chain.request(server, scheme, host, "POST", "/form/fix-p/",
                                               {**jar, "X-CSRFToken": token, **headers}).status
    return out

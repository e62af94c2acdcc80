"""APA104's fix against real Apache: 2.2 lines written as Require answer every
request as the 2.2 lines did.

Real Apache first runs the scenarios below with mod_access_compat loaded (the
reference answers). The module is then dropped from the very config that ran:
`apache2 -t` must refuse it (Invalid command 'Order'), confcheck scans it,
APA104's fixes are applied, and the same server, still without the module,
must start and give every request the status and body it got with the module.
"""

from __future__ import annotations

import os

import pytest
from realserver_harness.accounts import Accounts
from realserver_harness.apache import MODULES
from realserver_harness.fixes import apply_fixes, run_patched, unexpected_changes
from realserver_harness.scenarios import load_file
from realserver_harness.session import RealServerSession

from confcheck.engine import ScanOptions, run_scan
from confcheck.fixcmd import collect

pytestmark = pytest.mark.realserver

# Each <Directory> holds 2.2 lines only (the Require of `<Directory />` in the
# base config is what the section would inherit); clients come from 127.0.0.1.
SCENARIOS = r"""
scenarios:
  - name: cx-order-variants
    ref: own
    title: Order/Allow/Deny forms, written as Require by APA104's fix
    tree:
      - {path: www/all/a.html, content: "all\n"}
      - {path: www/local/a.html, content: "local\n"}
      - {path: www/net/a.html, content: "net\n"}
      - {path: www/none/a.html, content: "none\n"}
      - {path: www/other/a.html, content: "other\n"}
      - {path: www/but/a.html, content: "but\n"}
    apache: |
      DocumentRoot @ROOT@/www
      <Directory @ROOT@/www>
          Require all granted
      </Directory>
      <Directory @ROOT@/www/all>
          Order allow,deny
          Allow from all
      </Directory>
      <Directory @ROOT@/www/local>
          Order deny,allow
          Deny from all
          Allow from 127.0.0.1
      </Directory>
      <Directory @ROOT@/www/net>
          Order deny,allow
          Deny from all
          Allow from 127.0.0.0/8 ::1
      </Directory>
      <Directory @ROOT@/www/none>
          Order deny,allow
          Deny from all
      </Directory>
      <Directory @ROOT@/www/other>
          Order deny,allow
          Deny from all
          Allow from 192.0.2.0/24
      </Directory>
      <Directory @ROOT@/www/but>
          Order allow,deny
          Allow from all
          Deny from 127.0.0.1
      </Directory>
    requests:
      - path: /all/a.html
        apache: {status: 200, body: "all\n"}
      - path: /local/a.html
        apache: {status: 200, body: "local\n"}
      - path: /net/a.html
        apache: {status: 200, body: "net\n"}
      - path: /none/a.html
        apache: {status: 403, decided_by: Deny from all}
      - path: /other/a.html
        apache: {status: 403, decided_by: Deny from all}
      - path: /but/a.html
        apache: {status: 403, decided_by: Deny from 127.0.0.1}

  - name: cx-deeper-require
    ref: own
    title: a deeper section's own Require does not lift the 2.2 lines above it; after the fix it does
    tree:
      - {path: www/old/a.html, content: "old\n"}
      - {path: www/old/new/a.html, content: "new\n"}
    apache: |
      DocumentRoot @ROOT@/www
      <Directory @ROOT@/www>
          Require all granted
      </Directory>
      <Directory @ROOT@/www/old>
          Order deny,allow
          Deny from all
      </Directory>
      <Directory @ROOT@/www/old/new>
          Require all granted
      </Directory>
    requests:
      - path: /old/a.html
        apache: {status: 403, decided_by: Deny from all}
      - path: /old/new/a.html
        apache: {status: 403, decided_by: Deny from all}

  - name: cx-no-grant-above
    ref: own
    title: Allow from all under a tree nothing grants (the base config's `Require all denied` above decides)
    tree:
      - {path: www/a.html, content: "a\n"}
    apache: |
      DocumentRoot @ROOT@/www
      <Directory @ROOT@/www>
          Order allow,deny
          Allow from all
      </Directory>
    requests:
      - path: /a.html
        apache: {status: 403, decided_by: Require all denied, decided_in: base}
"""

WITHOUT_COMPAT = [m for m in MODULES if m[0] != "access_compat_module"]


@pytest.fixture(scope="module")
def compat_runs(tmp_path_factory):
    from conftest import require_realserver
    require_realserver("apache")
    spec = tmp_path_factory.mktemp("compat") / "compat.yaml"
    spec.write_text(SCENARIOS, encoding="utf-8")
    session = RealServerSession("apache", load_file(spec))
    session.accounts = Accounts(tag=f"cct{os.getppid()}x")
    try:
        session.setup()
        with_compat = session.run()
        runner = session.runner
        runner.modules = WITHOUT_COMPAT
        text, line_map = runner.render_config(session.bound, runner.port)
        runner.conf_path.write_text(text, encoding="utf-8")
        refusal = runner.test_config()
        assert refusal is not None and "Invalid command 'Order'" in refusal, refusal

        options = ScanOptions(paths=[str(runner.conf_path)])
        result = run_scan(options)
        assert [str(e) for e in result.errors] == []
        findings = [f for f in result.findings if f.rule == "APA104"]
        fixset = collect(findings, unsafe=True)
        apply_fixes(session, fixset, options)
        yield with_compat, run_patched(session, line_map, modules=WITHOUT_COMPAT), findings, fixset
    finally:
        session.close()


def test_the_reference_run_answers_as_written(compat_runs):
    with_compat, _after, _findings, _fixset = compat_runs
    for scenario in with_compat.scenarios.values():
        for request in scenario.requests:
            expected = request.spec.expect["apache"]
            assert request.status == expected.status, (request.spec.path, request.status)
            if expected.body is not None:
                assert request.body == expected.body.encode(), (request.spec.path, request.body)


# The one answer the fixes change, and the unsafe fix's title says so.
CHANGED = {("cx-deeper-require", 1): (403, 200)}   # GET /old/new/a.html: its own Require decides


def test_require_lines_answer_as_the_22_lines_did(compat_runs):
    with_compat, after, _findings, _fixset = compat_runs
    lines = unexpected_changes(with_compat, after, CHANGED)
    assert not lines, "\n".join(lines)


def test_fixes_are_safe_except_where_a_deeper_require_takes_over(compat_runs):
    _before, _after, findings, fixset = compat_runs
    assert len(findings) >= 9
    assert all(f.fix is not None for f in findings)
    unsafe = [f for f in findings if f.fix.applicability == "unsafe"]
    assert unsafe and all("/old/new" in f.fix.title and "AuthMerging And" in f.fix.title for f in unsafe)
    assert all(f.fix.applicability == "safe" for f in findings if f not in unsafe)
    assert {item.finding.rule for item in fixset.config_items} == {"APA104"}

"""`confcheck explain` on the error-log lines the real servers wrote.

The harness captured, per request, the lines nginx and Apache logged. Fed to
explain, every line must be recognised, and the cause it names must be the
real one: the disk path at fault for disk-caused 403/500s, the deciding
directive for "access forbidden by rule".
"""

from __future__ import annotations

import pytest

from confcheck.explain import Machine, explain_events
from confcheck.logparse import parse_line
from confcheck.why import WhyOptions

pytestmark = pytest.mark.realserver

# Lines about the upstream/backend or informational ones are not causes of a
# 403; everything else the servers logged for a request must be recognised.
NOT_CAUSES = ("while connecting to upstream", "closed keepalive", "delaying unauthorized",
              "AH01626", "AH01627", "AH01628", "forcing responsecode", "client sent invalid",
              "AH01630", "AH00128",   # Apache AH01630/AH00128 carry no request line: checked below
              "cannot PUT to a collection")
# not_modelled.yaml: mod_proxy's backend is down; mod_speling fixed a name
APACHE_NOT_CAUSES = ("AH01114", "AH03225")


def _events(lines):
    return [parse_line(line) for line in lines]


def test_nginx_log_lines_are_recognised_and_explained(nginx_run):
    machine = Machine(WhyOptions(configs=[str(nginx_run.conf_path)]))
    wrong, checked, limited = [], 0, 0
    for sc in nginx_run.scenarios.values():
        for req in sc.requests:
            lines = [l for l in req.log if not any(n in l for n in NOT_CAUSES)]
            if not lines:
                continue
            report = explain_events(_events(lines), machine)
            if report.unknown:
                wrong.append(f"{sc.name}[{req.index}] unrecognised: {report.unknown_examples}")
                continue
            checked += 1
            if req.disk_caused_denial:
                paths = {c.fs_path for c in report.causes}
                if str(req.expected_fs_path) not in paths:
                    wrong.append(f"{sc.name}[{req.index}] {req.spec.label}: want {req.expected_fs_path}, "
                                 f"explain says {[(c.kind, c.fs_path, c.explanation) for c in report.causes]}")
            decided = getattr(req.expectation, "decided_by", None)
            rule_lines = [c for c in report.causes if c.kind == "access-rule"]
            limit_lines = [c for c in report.causes if c.kind in ("limit-req", "limit-conn")]
            if getattr(req.expectation, "under_load", None) is not None:
                # a limit refused it: its line names the zone; explain names the limit and its status
                limited += 1
                if not limit_lines or limit_lines[0].status != req.status:
                    wrong.append(f"{sc.name}[{req.index}]: want the limit answering {req.status}, explain says "
                                 f"{[(c.kind, c.status, c.explanation) for c in report.causes]}")
                rule_lines = limit_lines
            if decided and rule_lines and req.status in (403, 503):
                node = rule_lines[0].decided_by
                text = " ".join([node.name] + [a.raw for a in node.args]) if node is not None else None
                if text is None or not (text + ";").startswith(decided.rstrip(";")):
                    wrong.append(f"{sc.name}[{req.index}]: decided_by {text!r} != {decided!r}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 40 and limited >= 3


def test_apache_log_lines_name_the_path_at_fault(apache_run):
    machine = Machine(WhyOptions(worker_user="www-data"))
    wrong, checked = [], 0
    for sc in apache_run.scenarios.values():
        for req in sc.requests:
            lines = [l for l in req.log if "[client" in l and not any(n in l for n in APACHE_NOT_CAUSES)]
            if not lines:
                continue
            report = explain_events(_events(lines), machine)
            if report.unknown:
                wrong.append(f"{sc.name}[{req.index}] unrecognised: {report.unknown_examples}")
                continue
            if req.disk_caused_denial:
                checked += 1
                paths = {c.fs_path for c in report.causes}
                if str(req.expected_fs_path) not in paths:
                    wrong.append(f"{sc.name}[{req.index}] {req.spec.label}: want {req.expected_fs_path}, "
                                 f"explain says {[(c.kind, c.fs_path) for c in report.causes]}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 10

"""Assertions shared by the per-server reference tests."""

from __future__ import annotations

import os
import re
from collections import Counter
from urllib.parse import unquote

from .runner import ACCOUNT_RE, RequestResult, RunResult
from .scenarios import EXPLAINED_STATUSES
from .session import check_fs_paths_as_worker

ERROR_LEVELS = ("[error]", "[crit]", "[alert]", "[emerg]", ":error]", ":crit]", ":alert]", ":emerg]")


def sent_headers(sc, req: RequestResult) -> dict:
    """The headers the harness sent with `req` (@NAME@/@ROOT@ filled in, Basic
    credentials, Host), as both request models read them."""
    import base64

    headers = {k: v.replace("@NAME@", sc.server_name).replace("@ROOT@", str(sc.root))
               for k, v in req.spec.headers.items()}
    if req.spec.auth:
        token = base64.b64encode(f"{req.spec.auth[0]}:{req.spec.auth[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    headers["Host"] = req.host
    if req.spec.body is not None and not any(k.lower() == "content-length" for k in headers):
        headers["Content-Length"] = str(len(req.spec.body.encode()))     # http.client adds it
    return headers


def nginx_request(run: RunResult, sc, req: RequestResult):
    """The request the harness sent, as confcheck's nginx model reads it (the
    harness fills in @NAME@/@ROOT@ when sending; so does this)."""
    from confcheck.servers.nginx.request import Request

    headers = sent_headers(sc, req)
    address = getattr(sc, "address", "127.0.0.1")
    return Request.parse(f"http://{address}:{run.port}{req.spec.path}", req.spec.method, headers, "127.0.0.1")


def apache_request(run: RunResult, sc, req: RequestResult):
    """The request the harness sent, as confcheck's Apache model reads it
    (@NAME@/@ROOT@ filled in, and the path actually sent: @USER:x@ expanded)."""
    from confcheck.servers.apache.request import Request

    headers = sent_headers(sc, req)
    path = getattr(req, "path_sent", "") or req.spec.path
    return Request.parse(f"http://127.0.0.1:{run.port}{path}", req.spec.method, headers, "127.0.0.1")


def find_request(run: RunResult, scenario: str, index: int) -> RequestResult:
    sc = run.scenarios[scenario]
    assert sc.error is None, sc.error
    matches = [r for r in sc.requests if r.index == index]
    assert len(matches) == 1, f"{scenario}[{index}] was not sent"
    return matches[0]


def assert_matches_expectation(r: RequestResult) -> None:
    """Status, log substrings (a repeated substring must match that many
    lines), no error-level lines on a plain 200, exact body when given."""
    exp = r.expectation
    if exp.closed:
        # return 444: no response at all; nginx logs 444 in the access log
        # A POST body may still be on its way when nginx closes: a reset or a
        # broken pipe is the same "no response" as a clean disconnect.
        assert r.status is None and r.error and any(
            e in r.error for e in ("RemoteDisconnected", "ConnectionReset", "BrokenPipe")), (
            f"expected the connection to be closed without a response\n{r.describe()}")
        assert any(f'" {exp.status} ' in l for l in r.access_log), (
            f"access log does not show {exp.status}: {r.access_log}\n{r.describe()}")
        return
    assert r.error is None, r.describe()
    assert r.status == r.expected_status, (
        f"the real server answered {r.status}, the scenario expects {r.expected_status}\n{r.describe()}")
    if exp.upstream:
        # proof that the request reached the proxy/fastcgi module (and no backend answered)
        assert any("while connecting to upstream" in l or "AH01114" in l for l in r.log), (
            f"expected the request to be handed to an upstream\n{r.describe()}")
    elif not exp.not_modelled:
        # (an unknown auth_request subrequest may be proxied: its status is not the request's)
        assert not any("upstream" in l for l in r.log), f"unexpected upstream\n{r.describe()}"
    if exp.location is not None:
        got = r.response_headers.get("location")
        want = ACCOUNT_RE.sub(lambda m: r.accounts.get(m.group(1), m.group(0)),
                              exp.location.replace("@NAME@", r.host))
        if want.startswith("/"):
            want = f"http://{r.host}:{r.port}{want}"
        assert got == want, f"Location {got!r}, expected {want!r}\n{r.describe()}"
    for text, n in Counter(r.expected_log).items():
        got = sum(text in line for line in r.log)
        assert got >= n, f"expected {n}x {text!r} in the request's log lines\n{r.describe()}"
    if r.expected_status == 200 and not r.expected_log:
        noisy = [l for l in r.log if any(lv in l for lv in ERROR_LEVELS)]
        assert not noisy, f"a plain 200 logged errors\n{r.describe()}"
    if r.expectation.body is not None:
        assert r.body.decode("utf-8", "replace") == r.expectation.body, r.describe()


def start_errors(run: RunResult) -> dict[str, str]:
    """Scenarios that were dropped from the shared config without expecting it,
    and refuses_start scenarios that were not refused (or with another message)."""
    wrong = {}
    for name, sc in run.scenarios.items():
        want = sc.spec.refuses_start.get(run.server)
        if want is None:
            if sc.error:
                wrong[name] = sc.error
        elif not sc.error or want not in sc.error:
            wrong[name] = f"expected `-t` to refuse it with {want!r}; got {sc.error!r}"
    return wrong


def fs_path_label_errors(run: RunResult) -> list[str]:
    """fs_path/rule labels the kernel (asked as www-data) does not confirm."""
    items, owners = [], []
    for sc in run.scenarios.values():
        for r in sc.requests:
            if r.expected_fs_path is not None:
                items.append((str(r.expected_fs_path), r.expected_rule))
                owners.append(f"{sc.name}[{r.index}] {r.expected_fs_path} ({r.expected_rule})")
    assert items, "no scenario names a path at fault"
    return [f"{o}: {v}" for o, v in zip(owners, check_fs_paths_as_worker(items)) if v is not None]


def unlabelled_denials(run: RunResult) -> list[str]:
    """401/403/500 answers that name neither the path at fault (disk) nor the
    deciding directive (config)."""
    return [f"{r.scenario}[{r.index}] {r.spec.label} -> {r.status}"
            for r in run.all_requests()
            if r.status in EXPLAINED_STATUSES and r.expected_fs_path is None
            and not (r.expectation and (r.expectation.decided_by or r.expectation.not_modelled))]


def paths_at_fault(finding) -> list[str]:
    """Every disk path a scan finding blames (grouped findings list them all)."""
    return finding.fs_paths or ([finding.fs_path] if finding.fs_path else [])


def served_files(sc, req) -> list[str]:
    """Files of the scenario's own tree that the URL names and whose content is
    the body the server sent (a fallback or rewrite may serve another file)."""
    rel = req.path.split("?", 1)[0]
    if rel.endswith("/"):
        rel += "index.html"
    out = []
    for dirpath, _dirnames, filenames in os.walk(sc.root):
        for name in filenames:
            full = os.path.join(dirpath, name)
            if full.endswith(rel) and req.method == "GET" and os.path.isfile(full):
                try:
                    with open(full, "rb") as fh:
                        if fh.read() == req.body:
                            out.append(full)
                except OSError:
                    continue
    return out


# "GET /a.html is answered 403", "GET /admin/ from 10.0.0.1 is answered 403", "... with credentials ..."
_CLAIM = re.compile(r"\b([A-Z]+) (/\S*?)( from \S+)?( with [^;]*?)? is (?:still )?answered (\d+)")


def claims_disagreeing(run: RunResult, findings) -> tuple[int, list[str]]:
    """(claims checked, claims the real server contradicts) for the findings' messages.

    A message names a status only with its request; a claim is checked where the
    scenario holding the path at fault sent that very request (plain, from 127.0.0.1).
    A status named without a request is itself reported."""
    checked, wrong = 0, []
    for f in findings:
        claim = _CLAIM.search(f.message)
        if claim is None:
            if re.search(r"answered \d{3}", f.message):
                wrong.append(f"{f.rule} names a status without its request: {f.message}")
            continue
        method, url, client, qualified, status = claim.groups()
        url, status = unquote(url), int(status)
        if qualified or client not in (None, " from 127.0.0.1"):
            continue          # credentials, a Referer, another client: the scenarios sent none of these
        for sc in run.scenarios.values():
            if f.fs_path is None or not (f.fs_path + "/").startswith(str(sc.root) + "/"):
                continue
            for req in sc.requests:
                if req.status is None or req.method != method or req.spec.headers or req.spec.auth \
                        or req.path != url:
                    continue
                checked += 1
                if req.status != status:
                    wrong.append(f"{sc.name} {method} {url} -> {req.status}, but {f.rule}: {f.message}")
    return checked, wrong


def not_modelled_problems(outcome, directive: str | None) -> list[str]:
    """What is wrong with `why`'s answer about an unknown-class directive: null
    with that directive named (its text, from the scenario) where the scenario
    says the request passes one; nothing named where it does not."""
    named = outcome.not_modelled
    if directive is None:
        return [] if named is None else [f"unexpected not modelled: {named.name} at {named.file}:{named.line}"]
    if named is None:
        return [f"expected not modelled: {directive}"]
    text = " ".join([named.name] + [a.raw for a in named.args])
    if named.name == "if":          # the condition is written in parentheses
        text = "if (" + " ".join(a.raw for a in named.args) + ")"
    problems = []
    if not (text + ";").startswith(directive.rstrip(";")):
        problems.append(f"not modelled {text!r} != {directive!r}")
    where = f"{named.name} at {named.file}:{named.line}"
    # a directive of the unknown class, or a value the model cannot compute read by it ("$x in if at")
    if not (outcome.reason.startswith(f"not modelled: {where}")
            or (outcome.reason.startswith(("not modelled: $", "not modelled: %{")) and f" in {where}" in outcome.reason)):
        problems.append(f"reason does not name the directive: {outcome.reason}")
    return problems


def preflight_findings(run, findings, rule: str) -> dict[str, list[str]]:
    """{scenario name: [request path named]} of `rule`'s findings saying an OPTIONS (a CORS
    preflight) is answered 403: the scenario is the one whose block of the config holds the
    finding's line (its ServerName/server_name is the nearest one above it)."""
    lines = run.conf_path.read_text().splitlines()
    by_name = {sc.server_name: name for name, sc in run.scenarios.items()}
    found: dict[str, list[str]] = {}
    for f in findings:
        if f.rule != rule or f.span is None or "OPTIONS" not in f.message:
            continue
        line = f.span.position()["line"]
        for text in reversed(lines[:line]):
            m = re.search(r"(?:server_name|ServerName)\s+(\S+?);?\s*$", text)
            if m:
                name = by_name.get(m.group(1))
                if name is not None:
                    said = re.search(r"OPTIONS (\S+)", f.message)
                    found.setdefault(name, []).append(said.group(1) if said else "")
                break
    return found


def preflight_problems(run, findings, rule: str, scenario: str, prefix: str) -> list[str]:
    """What is wrong with `rule`'s CORS findings on the real run: the scenario must be reported
    with exactly the preflight to `prefix`, which the real server answered 403, and no other
    CORS scenario (OPTIONS let through, answered before the refusal, no CORS header)."""
    found = preflight_findings(run, findings, rule)
    problems = []
    if sorted(found.get(scenario, [])) != [prefix]:
        problems.append(f"{scenario}: {rule} names {found.get(scenario)}, expected [{prefix!r}]")
    refused = [r for r in run.scenarios[scenario].requests if r.method == "OPTIONS" and r.status == 403]
    if not any(r.path.startswith(prefix) for r in refused):
        problems.append(f"{scenario}: the real server refused no OPTIONS under {prefix}")
    problems += [f"{name}: {rule} reported {paths}" for name, paths in found.items()
                 if name.startswith("cors-") and name != scenario]
    return problems

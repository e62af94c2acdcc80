"""The WAF's verdict and the server model's answer, in the order the server runs them.

Where ModSecurity runs (measured on Debian 12's servers, tests/realserver/test_waf_replay_real.py):

- nginx (ngx_http_modsecurity_module): phase 1 in the rewrite phase of the
  location the request lands in, before that location's `return`/`rewrite`;
  phase 2 in the preaccess phase, before allow/deny, auth_basic, try_files and
  the content. A server-level `return`/`rewrite` (server rewrite phase),
  `internal` and client_max_body_size (location lookup) come before any of it.
- Apache (mod_security2): phase 1 in post_read_request, before everything;
  phase 2 in fixups: after server-context RewriteRule/Redirect, the directory
  walk (symlinks, .htaccess, unsearchable parents) and access control
  (Require, Allow/Deny, authentication); before per-directory RewriteRules
  and the handler.

So a WAF refusal in a phase that runs before the model's deciding step is the
answer; otherwise the model's answer stands (the WAF passed, or never got
there). DetectionOnly never refuses: what it would refuse is reported, the
status is the model's.
"""

from __future__ import annotations

from dataclasses import dataclass

from confcheck.servers.outcome import Outcome, Step
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # the WAF's setup and verdict: loaded when a request meets ModSecurity
    from confcheck.waf_replay.collect import WafSetup
    from confcheck.waf_replay.verdict import Verdict

OUTSIDE = {"nginx": ("modsecurity",), "apache": ("sec",)}
# what the throwaway server's one location answers when the WAF lets a request through
# (nginx's static module refuses methods other than GET/HEAD with 405, so does Apache's)
PASSED = (200, 405)
_NGINX_REWRITE = {"return", "rewrite", "break", "if", "set"}
_APACHE_REDIRECT = {"redirect", "redirectmatch", "redirectpermanent", "redirecttemp"}
_APACHE_ACCESS = ("require", "allow", "deny", "order", "satisfy", "auth")
_APACHE_WALK = ("AH00035", "AH00037", "AH00038")


@dataclass
class ReplayOptions:
    body: bytes | None = None
    replay: bool = True          # --no-replay: False
    root: str | None = None      # --root: the module file the config names is read under it
    pool: object = None          # a throwaway.Pool: replay servers kept for many requests


def phases_before(outcome: Outcome, server: str) -> set[int]:
    """The ModSecurity phases (1, 2) that run before the step that decided `outcome`."""
    node = outcome.decided_by
    if server == "nginx":
        if node is None:
            return set() if outcome.status == 400 or outcome.request.method == "TRACE" else {1, 2}
        if node.key in ("internal", "client_max_body_size"):
            return set()
        if node.key in _NGINX_REWRITE:
            block = node.parent
            while block is not None and block.key == "if":
                block = block.parent
            return set() if block is None or block.key == "server" else {1}
        return {1, 2}
    if node is None:
        return set() if outcome.status == 400 else {1, 2}
    if (outcome.reason or "").startswith(_APACHE_WALK) or outcome.rule in ("APA112", "APA113", "APA116", "FS107"):
        return {1}
    key = node.key
    if key in ("rewriterule", "rewritecond"):
        section = node.parent
        per_dir = node.dialect == "htaccess" or (section is not None and section.key != "virtualhost")
        return {1, 2} if per_dir else {1}
    if key in _APACHE_REDIRECT or key.startswith(_APACHE_ACCESS):
        return {1}
    return {1, 2}


def setup_for(prepared, request, outcome) -> WafSetup:
    from confcheck.waf_replay.collect import apache_setup, nginx_setup
    if prepared.server == "apache":
        return apache_setup(prepared.model.conf, request)
    return nginx_setup(prepared.model, request, outcome)


def answer(prepared, request, outcome: Outcome, options: ReplayOptions) -> Outcome:
    """The answer with the WAF in it (or `outcome` itself when no WAF inspects the request)."""
    server = prepared.server
    setup = setup_for(prepared, request, outcome)
    if setup.engine_node is None and not setup.server_items:
        return outcome                                   # no ModSecurity here
    waf = {"engine": setup.engine, "set_by": _where(setup.engine_node), "replayed": False, "status": None,
           "phase": None, "rules": [], "anomaly_score": None, "decides": False, "reason": None,
           "model_status": outcome.status}
    outcome.waf = waf
    if not setup.active:
        waf["reason"] = "ModSecurity is off for this request"
        outcome.trace.insert(-1, Step("waf", f"ModSecurity is off for this request ({_said(setup)})",
                                      setup.engine_node))
        return outcome
    gate = phases_before(outcome, server)
    if not gate:
        waf["reason"] = "the server answers before ModSecurity runs"
        outcome.trace.insert(-1, Step("waf", "the server answers before ModSecurity runs "
                                             f"({_said(setup)}: never reached)", setup.engine_node))
        return outcome
    if outcome.internal_error is not None:
        return outcome
    if setup.unknown is not None:
        return _unknown(outcome, setup, f"ModSecurity would inspect this request; {setup.unknown}")
    if not options.replay:
        return _unknown(outcome, setup, "ModSecurity would inspect this request; replay is off (--no-replay)")
    from confcheck.waf_replay import throwaway   # starts servers: only a request the WAF inspects loads it
    module = throwaway.module_file(setup, options.root)
    binary = throwaway.binary(server)
    if module is None or binary is None:
        package = throwaway.PACKAGE[server] if module is None else ("apache2" if server == "apache" else "nginx")
        return _unknown(outcome, setup, f"ModSecurity would inspect this request; install {package} to replay it")
    try:
        replayed = throwaway.replay(setup, module, request, options.body, force_on=setup.engine == "DetectionOnly",
                                    pool=options.pool)
    except throwaway.ReplayError as exc:
        return _unknown(outcome, setup, f"ModSecurity would inspect this request; {exc}")
    from confcheck.waf_replay.verdict import read
    verdict = read(replayed.log, replayed.origin)
    for hit in verdict.rules:            # the server's paths under --root, as everything else is shown
        hit.file = _server(hit.file, options.root)
    waf.update(replayed=True, status=verdict.status, phase=verdict.phase,
               rules=[r.to_json() for r in verdict.rules], anomaly_score=verdict.anomaly_score,
               files=sorted({_server(i.file, options.root) for i in setup.all_items()}))
    if verdict.body_limit:
        waf["body_limit"] = verdict.body_limit
    over = _over_limit(setup, options.body)
    if server == "nginx" and over is not None:
        # measured: for the same body, libmodsecurity3 in nginx refuses with 403 and no log line
        # (the limit) or 400 by rule 200002 (the body it read could not be parsed), as the
        # body's packets arrive: one replay cannot say which the site will answer
        return _unknown(outcome, setup, f"{over}; libmodsecurity3 in nginx answers such a body 403 (the limit) or "
                                        "400 (rule 200002), depending on how the body arrives")
    if not verdict.refused and replayed.status not in PASSED and replayed.status is not None:
        _body_refusal(verdict, setup, options.body, replayed.status)
        if verdict.refused:
            waf.update(status=verdict.status, phase=verdict.phase, body_limit=verdict.body_limit)
    if replayed.error and not verdict.refused:
        return _unknown(outcome, setup, f"the replay got no answer ({replayed.error})")
    if not verdict.refused and replayed.status not in PASSED:
        # the throwaway server refused it by itself (a malformed request...): no verdict
        return _unknown(outcome, setup, f"the replay server answered {replayed.status} without ModSecurity "
                                        "refusing: no verdict")
    return _merge(outcome, setup, verdict, gate)


def _body_refusal(verdict: Verdict, setup: WafSetup, body: bytes | None, status: int) -> None:
    """A request body over SecRequestBodyLimit with SecRequestBodyLimitAction Reject is refused
    while it is read (phase 2) with a status that differs by engine and server (mod_security2:
    413 and a log line; libmodsecurity3 in nginx: 403 and no line): the replay's status is it."""
    if verdict.body_limit is not None:
        verdict.status, verdict.phase = status, 2
        return
    over = _over_limit(setup, body)
    if over is not None:
        verdict.status, verdict.phase = status, 2
        verdict.body_limit = over


def _over_limit(setup: WafSetup, body: bytes | None) -> str | None:
    """Why `body` is refused for its size (over SecRequestBodyLimit, action Reject), or None."""
    limit = action = None
    for item in setup.all_items():
        words = item.text.split()
        if item.key == "secrequestbodylimit" and len(words) > 1 and words[1].isdigit():
            limit = (int(words[1]), item)
        elif item.key == "secrequestbodylimitaction" and len(words) > 1:
            action = words[1].lower()
    if limit is None or action == "processpartial" or body is None or len(body) <= limit[0]:
        return None
    size, item = limit
    return f"the body ({len(body)} bytes) is over SecRequestBodyLimit {size} at {item.file}:{item.line}"


def _merge(outcome: Outcome, setup: WafSetup, verdict: Verdict, gate: set[int]) -> Outcome:
    waf = outcome.waf
    matched = ", ".join(f"{r.id}" for r in verdict.rules) or "no rule"
    if not verdict.refused:
        waf["reason"] = f"ModSecurity lets it through (matched: {matched})"
        if outcome.status is None and outcome.not_modelled is None and outcome.internal_error is None:
            waf["reason"] += ("; it also inspects the backend's response (phases 3-4), which the replay "
                              "does not have")
        outcome.trace.insert(-1, Step("waf", f"replayed through ModSecurity: passed (matched: {matched})",
                                      setup.engine_node))
        return outcome
    refusal = _describe(verdict)
    if verdict.phase in (3, 4):
        # the throwaway's own response was refused: the site's response is another one
        waf["reason"] = (f"ModSecurity refused the replay server's response (phase {verdict.phase}); "
                         "the site's response is not replayed")
        return outcome
    if verdict.phase not in gate:
        waf["reason"] = f"ModSecurity would refuse it in phase {verdict.phase}, but the server answers first"
        outcome.trace.insert(-1, Step("waf", f"replayed: {refusal}; the server decides before phase "
                                             f"{verdict.phase}", setup.engine_node))
        return outcome
    if setup.engine == "DetectionOnly":
        waf["would_deny"] = verdict.status
        waf["reason"] = f"DetectionOnly: ModSecurity would refuse it ({refusal}) and only logs it"
        outcome.trace.insert(-1, Step("waf", f"replayed (DetectionOnly): {refusal}: logged, not refused",
                                      setup.engine_node))
        return outcome
    if outcome.status is None and outcome.not_modelled is not None:
        waf["reason"] = f"ModSecurity refuses it ({refusal}) unless {outcome.not_modelled.name} decides first"
        outcome.trace.insert(-1, Step("waf", f"replayed: {refusal}", setup.engine_node))
        return outcome
    # refused in front: the proxied app (an `app` step) never sees it
    trace = [s for s in outcome.trace if s.step not in ("status", "app")]
    trace.append(Step("waf", f"replayed through ModSecurity: {refusal}", setup.engine_node))
    trace.append(Step("status", f"{verdict.status}: ModSecurity refused it in phase {verdict.phase}",
                      setup.engine_node))
    waf["reason"] = f"ModSecurity refused it: {refusal}"
    waf["decides"] = True
    return Outcome(outcome.request, verdict.status, f"ModSecurity refused it: {refusal}", setup.engine_node,
                   trace=trace, server=outcome.server, assumptions=list(outcome.assumptions), waf=waf,
                   would_answer=outcome.status)


def _describe(verdict: Verdict) -> str:
    if verdict.body_limit and not any(r.denied for r in verdict.rules):
        return f"the request body is over SecRequestBodyLimit: {verdict.status} (phase {verdict.phase})"
    denier = next((r for r in verdict.rules if r.denied), None)
    text = f"{verdict.status} in phase {verdict.phase}"
    if denier is not None:
        text += f" by rule {denier.id} ({denier.msg})"
        if denier.file:
            text += f" at {denier.file}:{denier.line}"
    others = [r.id for r in verdict.rules if not r.denied]
    if others:
        text += f" after rules {', '.join(others)}"
    if verdict.anomaly_score is not None:
        text += f", anomaly score {verdict.anomaly_score}"
    return text


def _unknown(outcome: Outcome, setup: WafSetup, reason: str) -> Outcome:
    outcome.waf["reason"] = reason
    trace = [s for s in outcome.trace if s.step != "status"]
    trace.append(Step("waf", reason, setup.engine_node))
    model = outcome.status if outcome.status is not None else "unknown"
    trace.append(Step("status", f"unknown (without the WAF: {model}: {outcome.reason})", setup.engine_node))
    return Outcome(outcome.request, None, reason, setup.engine_node, trace=trace, server=outcome.server,
                   assumptions=list(outcome.assumptions), waf=outcome.waf, would_answer=outcome.status)


def _server(path: str | None, root: str | None) -> str | None:
    from confcheck.inputs.paths import server_path
    return server_path(path, root) if path and root else path


def _where(node) -> dict | None:
    if node is None:
        return None
    return {"file": node.file, "line": node.line, "column": node.column, "directive": node.name,
            "text": " ".join([node.name] + [a.raw for a in node.args])}


def _said(setup: WafSetup) -> str:
    node = setup.engine_node
    if node is None:
        return "no SecRuleEngine: Off"
    return f"{node.name} {' '.join(a.raw for a in node.args)} at {node.file}:{node.line}"


def has_waf(server: str, model, texts=None) -> bool:
    """Does the configuration hold any ModSecurity directive (looked at once per `why` run)?
    `texts`: the bytes of every nginx file read, when known: a directive's name is written
    out in its file (nginx's escapes make no letter), so none of them holding the prefix
    answers without walking the tree."""
    prefix = OUTSIDE[server]
    if server == "nginx" and texts is not None and not any(
            word.encode() in text for text in texts for word in prefix):
        return False
    if server == "apache":
        from confcheck.servers.apache.conf import iter_directives
        conf = model.conf
        for level in [conf.main, *conf.vhosts]:
            if any(n.key.startswith(prefix) for n in level.scope):
                return True
            for sec in [*level.dirs, *level.locs]:
                if any(n.key.startswith(prefix) for n in iter_directives(sec.items)):
                    return True
        return False
    from confcheck.parsers.syntax import effective_children
    top = getattr(model.http.scope, "node", None)
    # the servers are among the http block's children (build_http): walked once, from there
    stack = [top] if top is not None else [s.node for s in model.http.servers]
    while stack:
        node = stack.pop()
        for child in effective_children(node.children):
            if child.key.startswith(prefix):
                return True
            if child.children is not None:
                stack.append(child)
    return False

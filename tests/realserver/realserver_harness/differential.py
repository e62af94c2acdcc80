"""Differential runs: generated scenarios on real nginx or Apache against `why`.

Every entry point takes the server kind (default "nginx"); `kind` picks the
generator (gen_nginx / gen_apache) and the request builder (checks).

    generate(count, seed)   -> raw scenarios (hypothesis, reproducible per seed)
    run_batch(raws)         -> Tally of one real-server run over all of them
    shrink(count, seed, k)  -> the k-th generated scenario, shrunk by hypothesis
                               while it keeps its confident disagreement
    regression_yaml(...)    -> the shrunk scenario as a scenario-file entry

Generation and shrinking replay the same hypothesis run (same seed, same
settings, same number of examples): the shrinking run skips the first k
examples cheaply, so hypothesis meets the k-th with the same choices and
shrinks it, one real-server run per candidate.

A request counts as
    agree      the model's status is the real one
    upstream   the model said it is handed to an upstream (status null) and nginx answered
               502: nothing listens on the generated ones
    unknown    the model answered null (status unknown, reason given)
    disagree   the model gave a status and it is not the real one, or it said the request
               reaches an upstream and nginx answered otherwise with no error_page for
               502 in the config (a failure)
    crash      the model raised or ran past its time limit (a failure)
    skipped    the real server gave no status (transport error)

nginx batches are also scanned (`confcheck scan` of the config the server ran): every
403/500 that `why` puts on the disk (fs_path under an FS rule, the real status agreeing)
must be reported by scan at that path, and a finding that names a request's status must
agree with what nginx answered to it where the scenario sent that very request.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import yaml
from hypothesis import HealthCheck, Phase, given, seed as hyp_seed, settings

from .accounts import Accounts
from . import gen_apache, gen_nginx
from .checks import apache_request, nginx_request
from .scenarios import parse_scenario
from .session import RealServerSession

MODEL_TIME_LIMIT = 5.0      # seconds for one `why` answer; longer counts as a failure (a loop)
BATCH = 60                  # scenarios per real-server start
FAILURES = ("disagree", "crash")

# per server kind: the hypothesis strategy of a raw scenario, and the request as `why` reads it
GENERATORS = {"nginx": gen_nginx.scenario, "apache": gen_apache.scenario}
REQUESTS = {"nginx": nginx_request, "apache": apache_request}


def _settings(count: int, shrinking: bool):
    return settings(max_examples=count, database=None, deadline=None, derandomize=False,
                    phases=[Phase.generate, Phase.shrink] if shrinking else [Phase.generate],
                    suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
                    print_blob=False)


def generate(count: int, seed: int, kind: str = "nginx") -> list[dict]:
    """`count` raw scenarios, the same for the same (count, seed)."""
    out: list[dict] = []

    @_settings(count, shrinking=False)
    @hyp_seed(seed)
    @given(GENERATORS[kind]())
    def collect(raw):
        out.append(raw)

    collect()
    return out


def named(raw: dict, name: str) -> dict:
    return {"name": name, "ref": "own", "title": f"generated {name}", **raw}


# -- one real-server run -------------------------------------------------------

@dataclass
class Verdict:
    scenario: str
    index: int
    label: str
    real: int | None
    model: int | None
    kind: str                   # agree | upstream | unknown | disagree | crash | skipped
    reason: str = ""
    fs_path: str | None = None  # the model's path at fault and rule (for the scan check)
    rule: str | None = None


@dataclass
class Tally:
    configs: int = 0            # scenarios generated
    refused: int = 0            # configs `nginx -t` / `apache2 -t` refused (dropped, not run)
    broken: int = 0             # trees the harness could not build
    verdicts: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0
    refusals: Counter = field(default_factory=Counter)   # nginx -t's reasons, paths left out
    kind: str = "nginx"
    scan_checked: int = 0       # disk denials and findings' claims checked against scan
    scan_problems: list[str] = field(default_factory=list)

    def add(self, other: "Tally") -> None:
        self.configs += other.configs
        self.refused += other.refused
        self.broken += other.broken
        self.verdicts += other.verdicts
        self.seconds += other.seconds
        self.refusals.update(other.refusals)
        self.kind = other.kind
        self.scan_checked += other.scan_checked
        self.scan_problems += other.scan_problems

    @property
    def counts(self) -> Counter:
        return Counter(v.kind for v in self.verdicts)

    @property
    def requests(self) -> int:
        return sum(1 for v in self.verdicts if v.kind != "skipped")

    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.kind in FAILURES]

    def rate(self, kind: str | tuple) -> float:
        kinds = (kind,) if isinstance(kind, str) else kind
        return sum(self.counts[k] for k in kinds) / self.requests if self.requests else 0.0

    def summary(self) -> str:
        c = self.counts
        binary = {"apache": "apache2"}.get(self.kind, self.kind)
        return (f"{self.configs} configs generated, {self.refused} refused by {binary} -t, {self.broken} trees not built; "
                f"{self.requests} requests answered by {self.kind}: {c['agree']} agree, "
                f"{c['upstream']} handed to an upstream (502), {c['unknown']} unknown "
                f"({self.rate('unknown'):.2%}), {c['disagree']} confident disagreements "
                f"({self.rate('disagree'):.2%}), {c['crash']} model crashes/timeouts; "
                f"{c['skipped']} not answered; "
                + (f"scan: {self.scan_checked} checked, {len(self.scan_problems)} wrong; " if self.kind == "nginx" else "")
                + f"{self.seconds:.0f} s")


class ModelTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float):
    """A `why` answer that loops is a failure of its own, not a hung run (main thread only)."""
    def fire(signum, frame):
        raise ModelTimeout(f"no answer within {seconds} s")
    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def real_status(req) -> int | None:
    """What nginx answered; `return 444` closes the connection and shows in the access log only."""
    if req.status is not None:
        return req.status
    if any('" 444 ' in line for line in req.access_log):
        return 444
    return None


@contextmanager
def shared_accounts():
    """The test accounts generated scenarios declare, made once for many runs."""
    accounts = Accounts(f"cct{os.getpid()}-g")
    try:
        yield accounts
    finally:
        accounts.cleanup()


def run_batch(raws: list[dict], names: list[str], accounts: Accounts | None = None, kind: str = "nginx") -> Tally:
    """One server start over every scenario; each request's answer against `why`."""
    from confcheck.why import WhyOptions, explain, prepare

    t0 = time.monotonic()
    scenarios = [parse_scenario(named(raw, name), "<generated>") for raw, name in zip(raws, names)]
    tally = Tally(configs=len(scenarios), kind=kind)
    session = RealServerSession(kind, scenarios, account_tag=f"cct{os.getpid()}-g", accounts=accounts)
    try:
        session.setup()
        run = session.run()
        prepared = prepare(WhyOptions(configs=[str(run.conf_path)]))
        for sc in run.scenarios.values():
            if sc.error:
                if "-t rejected" in sc.error:
                    tally.refused += 1
                    tally.refusals[_refusal(sc.error)] += 1
                else:
                    tally.broken += 1
                continue
            for req in sc.requests:
                tally.verdicts.append(_verdict(prepared, run, sc, req, explain, REQUESTS[kind]))
        if kind == "nginx":
            _scan_check(run, tally)
    finally:
        session.close()
    tally.seconds = time.monotonic() - t0
    return tally


def _refusal(error: str) -> str:
    """`-t`'s message without the paths and line numbers (for counting kinds)."""
    import re
    line = next((l for l in error.splitlines() if "[emerg]" in l), error.splitlines()[-1] if error else "")
    line = re.sub(r"^AH00526: Syntax error on line \d+ of \S+:\s*", "", line)
    line = re.sub(r"^.*\[emerg\] ", "", line)
    return re.sub(r" in /\S+:\d+$", "", re.sub(r"/\S*/trees/[^/\s\"]+", "@ROOT@", line))


def _verdict(prepared, run, sc, req, explain, build_request=nginx_request) -> Verdict:
    real = real_status(req)
    v = Verdict(sc.name, req.index, req.spec.label, real, None, "skipped")
    if real is None:
        v.reason = req.error or "no answer"
        return v
    try:
        with time_limit(MODEL_TIME_LIMIT):
            outcome = explain(prepared, build_request(run, sc, req))
    except ModelTimeout as exc:
        v.kind, v.reason = "crash", f"why: {exc}"
        return v
    except Exception as exc:  # noqa: BLE001 - a model crash is a finding, reported with the rest
        v.kind, v.reason = "crash", f"why raised {type(exc).__name__}: {exc}"
        return v
    v.model, v.reason, v.fs_path, v.rule = outcome.status, outcome.reason, outcome.fs_path, outcome.rule
    if outcome.status is None and _handed_upstream(outcome):
        # nothing listens on a generated upstream: reaching it is a 502, unless an
        # error_page for 502 answers otherwise (then the model's null stands)
        config = sc.spec.configs.get(run.server, "")
        v.kind = "upstream" if real == 502 else "unknown" if _pages_502(config) else "disagree"
    elif outcome.status is None:
        v.kind = "unknown"
    elif outcome.status == real:
        v.kind = "agree"
    else:
        v.kind = "disagree"
    return v


DISK_RULES = {"FS101", "FS102", "FS103", "FS105", "FS106", "FS107"}


def _scan_check(run, tally: Tally) -> None:
    """`confcheck scan` of the config nginx ran: each disk denial `why` named (and nginx
    answered) is reported at its path; each status a finding names is the real one."""
    from confcheck.engine import ScanOptions, run_scan
    from .checks import claims_disagreeing, paths_at_fault

    scan = run_scan(ScanOptions(paths=[str(run.conf_path)]))
    tally.scan_problems += [f"scan error: {e}" for e in scan.errors]
    # a claim names no Host: with several server blocks a request may go to another one
    single = SimpleNamespace(scenarios={n: sc for n, sc in run.scenarios.items() if not sc.spec.raw_servers})
    checked, wrong = claims_disagreeing(single, scan.findings)
    tally.scan_checked += checked
    tally.scan_problems += wrong
    roots = {sc.name: str(sc.root) for sc in run.scenarios.values()}
    for v in tally.verdicts:
        if v.kind != "agree" or v.real not in (403, 500) or v.rule not in DISK_RULES or not v.fs_path:
            continue
        tally.scan_checked += 1
        if not any(v.fs_path in paths_at_fault(f) for f in scan.findings):
            where = v.fs_path.replace(roots.get(v.scenario, "\0"), "@ROOT@")
            tally.scan_problems.append(f"{v.scenario} {v.label}: nginx {v.real}, why {v.rule} at {where}; "
                                       "scan reports nothing there")


def _handed_upstream(outcome) -> bool:
    from confcheck.servers.nginx.conf import UPSTREAM_HANDLERS
    node = outcome.decided_by
    return (outcome.not_modelled is None and node is not None and node.key in UPSTREAM_HANDLERS
            and outcome.reason.startswith("handed to "))


def _pages_502(config: str) -> bool:
    import re
    return re.search(r"error_page[^;]*\b502\b", config) is not None


def run_all(raws: list[dict], prefix: str, batch: int = BATCH, progress=None, kind: str = "nginx") -> Tally:
    tally = Tally(kind=kind)
    with shared_accounts() as accounts:
        for start in range(0, len(raws), batch):
            chunk = raws[start:start + batch]
            part = run_batch(chunk, [f"{prefix}-{start + i}" for i in range(len(chunk))], accounts, kind)
            tally.add(part)
            if progress is not None:
                progress(tally)
    return tally


# -- shrinking -----------------------------------------------------------------

def signature(v: Verdict) -> tuple:
    """What a shrunk example must keep: the same kind of miss (real status, model status)."""
    return (v.kind, v.real, v.model)


def shrink(count: int, seed: int, index: int, want: tuple, budget: float = 300.0,
           kind: str = "nginx") -> tuple[dict, list[Verdict]] | None:
    """Replay generate(count, seed), stop at example `index` and let hypothesis
    shrink it while some request still fails with signature `want`.
    Returns the smallest failing scenario found and its failing verdicts."""
    state = {"calls": 0, "failed": False, "best": None, "deadline": time.monotonic() + budget, "accounts": None}

    class StillFails(Exception):
        pass

    @_settings(count, shrinking=True)
    @hyp_seed(seed)
    @given(GENERATORS[kind]())
    def replay(raw):
        i = state["calls"]
        state["calls"] += 1
        if i < index or (i > index and not state["failed"]) or time.monotonic() > state["deadline"]:
            return
        tally = run_batch([raw], ["shrink"], state["accounts"], kind)
        bad = [v for v in tally.verdicts if signature(v) == want]
        if bad:
            state["failed"] = True
            state["best"] = raw
            raise StillFails(bad[0].label)

    with shared_accounts() as state["accounts"]:
        try:
            replay()
        except Exception:  # noqa: BLE001 - StillFails, or hypothesis calling the replay flaky once the budget ran out
            pass
        if state["best"] is None:
            return None
        best = minimize(state["best"], want, state["accounts"], kind)
        verdicts = [v for v in run_batch([best], ["shrink"], state["accounts"], kind).verdicts
                    if signature(v) == want]
    return (best, verdicts) if verdicts else None


def minimize(raw: dict, want: tuple, accounts: Accounts, kind: str = "nginx") -> dict:
    """Finish what hypothesis's shrinking (slow with a real server per candidate)
    left: drop tree entries, request details and config lines one at a time,
    keeping each drop after which a request still fails with signature `want`."""
    def fails(candidate: dict) -> bool:
        try:
            tally = run_batch([candidate], ["minimize"], accounts, kind)
        except Exception:  # noqa: BLE001 - a candidate the harness cannot run does not fail the same way
            return False
        return any(signature(v) == want for v in tally.verdicts)

    best = raw
    for i in reversed(range(len(best["tree"]))):
        candidate = {**best, "tree": best["tree"][:i] + best["tree"][i + 1:]}
        if fails(candidate):
            best = candidate
    for i in reversed(range(len(best["requests"]))):
        if len(best["requests"]) > 1:
            candidate = {**best, "requests": best["requests"][:i] + best["requests"][i + 1:]}
            if fails(candidate):
                best = candidate
                continue
        for key in ("auth", "headers", "method", "host"):
            if key in best["requests"][i]:
                reqs = list(best["requests"])
                reqs[i] = {k: v for k, v in reqs[i].items() if k != key}
                candidate = {**best, "requests": reqs}
                if fails(candidate):
                    best = candidate
    lines = best[kind].splitlines()
    i = len(lines) - 1
    while i >= 0:
        end = (_block_end if kind == "nginx" else _section_end)(lines, i)
        if end is not None:
            candidate = {**best, kind: "\n".join(lines[:i] + lines[end + 1:]) + "\n"}
            if fails(candidate):
                best, lines = candidate, candidate[kind].splitlines()
        i -= 1
    return best


def _block_end(lines: list[str], i: int) -> int | None:
    """The last line of the directive starting at line i (a block runs to its
    closing brace), or None when line i does not start one."""
    line = lines[i].strip()
    if not line or line == "}":
        return None
    depth = line.count("{") - line.count("}")
    j = i
    while depth > 0 and j + 1 < len(lines):
        j += 1
        depth += lines[j].count("{") - lines[j].count("}")
    return j if depth == 0 else None


def _section_end(lines: list[str], i: int) -> int | None:
    """Apache: the last line of the directive or <Section> starting at line i."""
    line = lines[i].strip()
    if not line or line.startswith("</"):
        return None
    if not line.startswith("<"):
        return i
    name = line[1:].split()[0].rstrip(">")
    depth = 0
    for j in range(i, len(lines)):
        head = lines[j].strip()
        tag = head[1:].split()[0].rstrip(">") if head.startswith("<") else ""
        depth += (tag == name) - (tag == f"/{name}")
        if depth == 0:
            return j
    return None


# -- regression scenario files -----------------------------------------------

def regression_entry(raw: dict, name: str, verdicts: list[Verdict], title: str, kind: str = "nginx") -> dict:
    """The shrunk scenario as a scenario-file entry: the failing requests only,
    each expecting what real nginx answered (explained where the format asks)."""
    entry = {"name": name, "ref": "own", "title": title}
    if raw.get("raw_servers"):
        entry["raw_servers"] = True
    if raw.get("tree"):
        if "'@" in repr(raw["tree"]):         # the test accounts only where the tree names them
            entry["accounts"] = raw["accounts"]
        entry["tree"] = raw["tree"]
    entry[kind] = raw[kind]
    entry["requests"] = []
    for v in verdicts:
        spec = dict(raw["requests"][v.index])
        spec[kind] = {"status": v.real, "note": f"generated; the model said {v.model}: {v.reason}"}
        entry["requests"].append(spec)
    return entry


# rule families of the scenario format (scenarios.RULES) for the model's rule ids
RULE_FAMILY = {"FS101": "parent-not-searchable", "FS102": "file-unreadable", "FS103": "dir-not-listable",
               "NGX-no-index": "no-index", "FS107": "symlink-refused", "FS104": "root-missing",
               "FS105": "auth-file-unreadable", "FS106": "auth-file-missing"}


def settle(entries: list[dict]) -> tuple[list[dict], list[str]]:
    """Run scenario entries on real nginx and fill each request's expectation
    from the real answer, explained (decided_by, or fs_path and rule) by the
    model where the format asks for it. Returns the entries and the requests
    where the model still disagrees (they are left out)."""
    from confcheck.why import WhyOptions, explain, prepare

    scenarios = [parse_scenario(e, "<settle>") for e in entries]
    problems: list[str] = []
    out = []
    with shared_accounts() as accounts:
        session = RealServerSession("nginx", scenarios, account_tag=f"cct{os.getpid()}-g", accounts=accounts)
        try:
            session.setup()
            run = session.run()
            prepared = prepare(WhyOptions(configs=[str(run.conf_path)]))
            for entry, sc in zip(entries, (run.scenarios[e["name"]] for e in entries)):
                if sc.error:
                    problems.append(f"{sc.name}: {sc.error}")
                    continue
                requests = []
                for req in sc.requests:
                    real = real_status(req)
                    outcome = explain(prepared, nginx_request(run, sc, req))
                    if real is None or outcome.status != real:
                        problems.append(f"{sc.name} {req.spec.label}: real {real}, why {outcome.status}")
                        continue
                    spec = dict(entry["requests"][req.index])
                    spec["nginx"] = _expectation(real, outcome, sc.root, entry["nginx"])
                    requests.append(spec)
                if requests:
                    out.append({**entry, "requests": requests})
        finally:
            session.close()
    return out, problems


def _expectation(real: int, outcome, root, config: str) -> dict:
    want: dict = {"status": real}
    if real == 444:
        want["closed"] = True
    rule = RULE_FAMILY.get(outcome.rule or "")
    if outcome.fs_path and rule and outcome.fs_path.startswith(str(root)):
        want["fs_path"] = outcome.fs_path[len(str(root)):].lstrip("/") or "."
        want["rule"] = rule
    elif real in (401, 403, 500) and outcome.decided_by is not None:
        node = outcome.decided_by
        text = " ".join([node.name] + [a.raw for a in node.args]).replace(str(root), "@ROOT@")
        want["decided_by"] = (text + ";") if text + ";" in config else text
    return want


def dump_yaml(entries: list[dict]) -> str:
    """Scenario-file YAML: the config as a block, one tree entry or request per line."""
    class Literal(str):
        pass

    class Flow(dict):
        pass

    dumper = type("ScenarioDumper", (yaml.SafeDumper,), {"ignore_aliases": lambda self, data: True})
    dumper.add_representer(str, lambda d, data: d.represent_scalar("tag:yaml.org,2002:str", data,
                                                                   style='"' if "\n" in data else None))
    dumper.add_representer(Literal, lambda d, data: d.represent_scalar("tag:yaml.org,2002:str", data, style="|"))
    dumper.add_representer(Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data,
                                                                     flow_style=True))
    fixed = [{**e, **{k: Literal(e[k]) for k in ("nginx", "apache") if k in e}, "tree": [Flow(t) for t in e.get("tree", [])],
              "requests": [Flow(r) for r in e["requests"]]} for e in entries]
    for e in fixed:
        if not e["tree"]:
            del e["tree"]
    return yaml.dump({"scenarios": fixed}, Dumper=dumper, sort_keys=False, allow_unicode=True, width=120)


def failure_report(tally: Tally, raws: list[dict], count: int, seed: int, kind: str = "nginx") -> str | None:
    """None when `why` agreed everywhere; else the tally, the first 20 failures and the
    first one shrunk (one real run per candidate) as a scenario-file entry to save."""
    failures = tally.failures()
    if not failures and tally.scan_problems:
        return f"{tally.summary()}\n" + "\n".join(f"  {p}" for p in tally.scan_problems[:20])
    if not failures:
        return None
    first = failures[0]
    index = int(first.scenario.rsplit("-", 1)[1])
    shrunk = shrink(count, seed, index, signature(first), budget=120, kind=kind)
    raw, verdicts = shrunk if shrunk else (raws[index], [first])
    entry = regression_entry(raw, f"gen-{seed}-{index}", verdicts, "generated: " + first.label, kind=kind)
    listed = "\n".join(f"  {v.scenario} {v.label}: real {v.real}, why {v.model} ({v.reason})"
                       for v in failures[:20])
    scan = "".join(f"\n  {p}" for p in tally.scan_problems[:20])
    return f"{tally.summary()}\n{listed}{scan}\nthe first, shrunk:\n{dump_yaml([entry])}"

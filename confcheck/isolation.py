"""A failure stays where it happened.

An exception while deciding one request, running one rule on one
configuration or walking one served tree is a bug in confcheck, not in the
user's input. It is answered where it happened (the request with status null
and "internal error: ...", the rule or the walk listed by name) and kept in a
`Failures` list; everything else is still answered, and the command exits 3
once all of it is out (ARCHITECTURE.md, "A failure stays where it happened").

Only `Exception` is contained: an interrupt or a broken pipe still ends the run.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass


REPORT_URL = "https://github.com/confcheck/confcheck/issues"


def report_lines(errors: list) -> list[str]:
    """The stderr lines that close a run with internal errors (exit 3): each one, then where to report."""
    count = len(errors)
    return [f"confcheck: {error}" for error in errors] + [
        f"confcheck: {count} internal error{'s' if count != 1 else ''}; everything else was answered; "
        f"please report {'them' if count != 1 else 'it'} at {REPORT_URL}"]


@dataclass(frozen=True, slots=True)
class Failure:
    where: str          # "rule NGX105 (directory-without-index) on nginx site.conf", "GET http://a.test/x"
    error: str          # "ValueError: ... (at access.py:92)"

    def __str__(self) -> str:
        return f"internal error: {self.where}: {self.error}"

    def to_json(self) -> dict:
        return {"where": self.where, "error": self.error}


class Failures(list):
    """The failures of one command run (a plain list: one per run, never global)."""

    def add(self, where: str, exc: BaseException) -> Failure:
        failure = Failure(where, describe(exc))
        self.append(failure)
        return failure


def collapse(failures: list) -> list[Failure]:
    """One entry per distinct error: a bug hit by a hundred probes of one server is one report."""
    first: dict[str, Failure] = {}
    count: dict[str, int] = {}
    for failure in failures:
        first.setdefault(failure.error, failure)
        count[failure.error] = count.get(failure.error, 0) + 1
    return [Failure(f.where + (f" and {count[e] - 1} more like it" if count[e] > 1 else ""), e)
            for e, f in first.items()]


def describe(exc: BaseException) -> str:
    """`Type: message (at file.py:line)`: the innermost frame, enough for a report."""
    tb, last = exc.__traceback__, None
    while tb is not None:
        last, tb = tb, tb.tb_next
    where = f" (at {os.path.basename(last.tb_frame.f_code.co_filename)}:{last.tb_lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


class Contained:
    """`with Contained(failures, where) as box:` runs the block; an Exception in it is
    recorded (box.failure) instead of propagating."""

    def __init__(self, failures: list | None, where: str) -> None:
        self.failures = failures
        self.where = where
        self.failure: Failure | None = None

    def __enter__(self) -> "Contained":
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        self.failure = Failure(self.where, describe(exc))
        if self.failures is not None:
            self.failures.append(self.failure)
        return True


def decide_contained(decide, model, request, *args, server: str = "nginx"):
    """decide(model, request, *args); an internal error answers this request alone
    (status null, the error named) and is added to `model.failures` when the model has one.
    A RequestError (the request itself is bad) is the caller's to report."""
    from confcheck.servers.nginx.request import RequestError
    from confcheck.servers.outcome import Outcome

    try:
        return decide(model, request, *args)
    except RequestError:
        raise
    except Exception as exc:  # noqa: BLE001 - the isolation boundary of one request
        host = f" (Host {request.host})" if request.host and request.host != request.address else ""
        failure = Failure(f"{request.method} {request.url}{host}", describe(exc))
        sink = getattr(model, "failures", None)
        if sink is not None:
            sink.append(failure)
        return Outcome(request, None, f"internal error: {failure.error}", server=server,
                       internal_error=failure.error)


def target_views(ctx) -> list[tuple[str, object]]:
    """(label, view) per configuration of a scan: a view is the ScanContext with one
    configuration in it (or the lone .htaccess files), sharing its caches, so one
    rule failing on one configuration leaves its findings on the others."""
    views = []

    def view(nginx, apache, htaccess):
        one = copy.copy(ctx)
        one.nginx, one.apache, one.htaccess = nginx, apache, htaccess
        # memo entries may be computed over every target of the context they were
        # made in: each view keeps its own (the per-target caches are shared)
        one.memo = {}
        return one

    for target in ctx.nginx:
        views.append((f"nginx {target.name}", view([target], [], [])))
    for target in ctx.apache:
        views.append((f"apache {target.name}", view([], [target], [])))
    if ctx.htaccess:
        views.append((".htaccess " + ", ".join(p.source.path for p in ctx.htaccess[:3])
                      + (" ..." if len(ctx.htaccess) > 3 else ""), view([], [], list(ctx.htaccess))))
    if not views:
        views.append(("the scan", ctx))
    return views


def rule_findings(rule, views, failures: list) -> tuple[list, bool]:
    """(findings, ok) of one rule over every view; a view where it fails is recorded
    in `failures` (which rule, on which configuration) and the others still count."""
    found: list = []
    ok = True
    for label, view in views:
        with Contained(failures, f"rule {rule.id} ({rule.name}) on {label}") as box:
            for finding in rule.check(view):
                found.append(finding)
        ok = ok and box.failure is None
    return found, ok

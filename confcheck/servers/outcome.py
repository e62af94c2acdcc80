"""What a server model answers about one request: the shape `why` prints.

Shared by the nginx and the Apache models, so `why`, `explain` and the rules
read one kind of answer whichever server decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as _quote
from typing import Callable

from confcheck.parsers.syntax import Node


class Step:
    """One line of a trace. `detail` may be given as a function that makes the
    text: rules send thousands of probes whose traces nobody reads."""

    __slots__ = ("step", "_detail", "node")

    def __init__(self, step: str, detail: "str | Callable[[], str]", node: Node | None = None) -> None:
        self.step = step
        self._detail = detail
        self.node = node

    @property
    def detail(self) -> str:
        if not isinstance(self._detail, str):
            self._detail = self._detail()
        return self._detail

    def __eq__(self, other) -> bool:
        return isinstance(other, Step) and (self.step, self.detail, self.node) == (other.step, other.detail, other.node)

    def __repr__(self) -> str:
        return f"Step({self.step!r}, {self.detail!r}, {self.node!r})"

    def to_json(self) -> dict:
        out = {"step": self.step, "detail": self.detail}
        if self.node is not None:
            out["file"] = self.node.file
            out["line"] = self.node.line
        return out

    def json_text(self, place: tuple[str, int] | None = None) -> str:
        """json.dumps(self.to_json()) (ASCII), written directly (why --batch writes one per server
        it meets; a test holds the two together). `place`: the node's (file, line), when the
        caller has them."""
        text = f'{{"step": {_quote(self.step)}, "detail": {_quote(self.detail)}'
        if self.node is not None:
            file, line = place or (self.node.file, self.node.line)
            text += f', "file": {_quote(file)}, "line": {int(line)}'
        return text + "}"


@dataclass
class Outcome:
    request: object                     # the Request (nginx's type; Apache reuses it)
    status: int | None
    reason: str
    decided_by: Node | None = None
    fs_path: str | None = None
    rule: str | None = None
    trace: list[Step] = field(default_factory=list)
    location: str | None = None         # Location header of a redirect
    unknown: list[str] = field(default_factory=list)       # variables not known offline (taken as empty)
    assumptions: list[str] = field(default_factory=list)   # anything else the answer rests on
    server: str = "nginx"
    internal_error: str | None = None   # a bug stopped this decision (confcheck.isolation): status is null
    not_modelled: Node | None = None    # the unknown-class directive that made the status null (coverage table)
    would_answer: int | None = None     # what the model answers without it (status null then)
    not_modelled_variable: str | None = None   # the unknown value ($name) that decided, read by that directive
    limits: list = field(default_factory=list)  # rate/connection limits passed: not for one request, under load
    app: object | None = None           # confcheck.apps.chain.AppAnswer: the request continued into the proxied app
    waf: dict | None = None             # the WAF layer's part (confcheck.waf_replay): engine, replay, rules

    def to_json(self) -> dict:
        decided = None
        if self.decided_by is not None:
            decided = {"file": self.decided_by.file, "line": self.decided_by.line,
                       "column": self.decided_by.column, "directive": self.decided_by.name}
        out = {"request": self.request.to_json(), "server": self.server, "status": self.status,
               "reason": self.reason, "decided_by": decided, "fs_path": self.fs_path,
               "rule": self.rule, "trace": [s.to_json() for s in self.trace]}
        if self.location is not None:
            out["location"] = self.location
        if self.not_modelled is not None:
            node = self.not_modelled
            out["not_modelled"] = {"directive": node.name, "file": node.file, "line": node.line,
                                   "column": node.column}
            if self.not_modelled_variable is not None:
                out["not_modelled"]["variable"] = self.not_modelled_variable
            out["would_answer"] = self.would_answer
        elif self.waf is not None and self.status is None and self.internal_error is None:
            out["would_answer"] = self.would_answer     # the model's answer without the WAF
        if self.limits:
            out["limits"] = [limit.to_json() for limit in self.limits]
        notes = [f"${name} is not known offline: taken as empty" for name in self.unknown] + list(self.assumptions)
        notes += [limit.describe() for limit in self.limits]
        if notes:
            out["assumptions"] = notes
        if self.internal_error is not None:
            out["internal_error"] = self.internal_error
        if self.app is not None:
            out["app"] = self.app.to_json()
        if self.waf is not None:
            out["waf"] = self.waf
        return out


def under_load_403(what: str, named: str, instead: str) -> str:
    """The note of a rate limit answering 403 under load (nginx's NGX114, Apache's APA120)."""
    return (f"{what} answer 403 under load, which clients and logs cannot tell from a permission denial: "
            f"{named}; {instead} says what happened")


# Trace lines one decision may take. The servers bound their own loops (nginx's
# 10 URI changes, Apache's LimitInternalRecursion) and the models follow them;
# this is the backstop for a loop the model gets wrong: an honest "unknown"
# instead of a hang.
MAX_STEPS = 2000


class Unfinished(Exception):
    """The model could not finish the decision in bounded work: the answer is unknown.

    Not a Final: no error_page or ErrorDocument handling may turn it into a status."""


def unfinished_reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the model could not finish this decision in bounded work (too deeply nested)"
    return f"the model could not finish this decision in bounded work: {exc}"


class Final(Exception):
    """The request is finished with a status (before error_page handling)."""

    def __init__(self, status: int | None, reason: str, node: Node | None = None,
                 fs_path: str | None = None, rule: str | None = None, location: str | None = None,
                 upstream: bool = False, entity=None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.node = status, reason, node
        self.fs_path, self.rule, self.location = fs_path, rule, location
        self.upstream = upstream    # the upstream's own response (php-fpm's 403): error_page only if intercepted
        self.entity = entity        # a 200's Last-Modified/ETag/length where known (nginx: conditional.Entity)


def not_modelled_outcome(request, trace: list[Step], node: Node, why: str, final: Final,
                         variable: str | None = None, **more) -> Outcome:
    """The answer when the request passed a directive the model does not know (the coverage
    table's unknown class), or a value it cannot compute (`variable`) decided what a directive
    does: status null, the directive named, the model's answer without it kept."""
    subject = f"{variable} in {node.name}" if variable else node.name
    trace.append(Step("not modelled", f"{subject} at {node.file}:{node.line}: {why}", node))
    without = f"with {variable} empty" if variable else f"without {node.name}"
    trace.append(Step("status", f"unknown ({without}: "
                      f"{final.status if final.status is not None else 'unknown'}: {final.reason})", node))
    return Outcome(request, None, f"not modelled: {subject} at {node.file}:{node.line} ({why})", node,
                   trace=trace, not_modelled=node, would_answer=final.status, not_modelled_variable=variable,
                   **more)


def rule_of(denial, rule: str | None) -> str | None:
    """The rule a disk denial is reported under: the worker's AppArmor profile (FS111)
    rather than the mode bits' rule the caller chose."""
    return "FS111" if getattr(denial, "confinement", None) is not None else rule

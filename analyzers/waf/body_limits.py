"""WAF102: how ModSecurity treats request bodies: not read, refused over a limit, or partly inspected."""

from __future__ import annotations

from confcheck.registry import RuleDoc, rule
from confcheck.waf.inforce import body_limits, engine

from ._common import anchor, finding, waf_trees

DOC = RuleDoc(
    what="Reports, where ModSecurity inspects requests, whether it reads request bodies "
         "(SecRequestBodyAccess), the size over which a body is refused or only partly inspected "
         "(SecRequestBodyLimit, SecRequestBodyNoFilesLimit) and which of the two happens "
         "(SecRequestBodyLimitAction Reject or ProcessPartial).",
    why="An upload or a long form over the limit is refused by the WAF before any rule or the application "
        "sees it (Reject; the status is the engine's, which is not the same on every server: replay the "
        "request with `confcheck why --body`), or passes with its tail uninspected (ProcessPartial). "
        "Without body access, no rule sees POST parameters.",
    example="SecRequestBodyAccess On\nSecRequestBodyLimit 13107200\nSecRequestBodyNoFilesLimit 131072\n"
            "SecRequestBodyLimitAction Reject",
    fixed="(information: raise the limit where larger bodies are expected, in the <Location> that takes them)",
    fix_safety="No fix.",
    references=("https://github.com/owasp-modsecurity/ModSecurity/wiki/Reference-Manual-(v2.x)#secrequestbodylimit",),
)

KEYS = ("secrequestbodyaccess", "secrequestbodylimit", "secrequestbodynofileslimit", "secrequestbodylimitaction")


@rule(id="WAF102", name="waf-request-body-limits", severity="info", server="any",
      summary="ModSecurity's request-body access, limits, and what happens over them", doc=DOC)
def check(ctx):
    for _target, root in waf_trees(ctx):
        for scope in root.walk():
            state = engine(scope)
            limits = body_limits(scope)
            own = [limits[k][1] for k in KEYS if limits[k][1] is not None and limits[k][1] in scope.nodes]
            # where the WAF starts inspecting, and where a scope sets limits of its own
            starts = scope.parent is None or not engine(scope.parent).inspects
            if not state.inspects or not (starts or own):
                continue
            where = own[0] if own else state.node
            yield finding("WAF102", "waf-request-body-limits", "info",
                          f"{scope.label}: {_describe(limits, state.mode)}",
                          where.span if where is not None else anchor(scope), scope)


def _describe(limits, mode: str) -> str:
    access, limit, nofiles, action = (limits[k][0] for k in KEYS)
    if access.lower() != "on":
        return ("ModSecurity does not read request bodies (SecRequestBodyAccess "
                f"{access}{'' if limits[KEYS[0]][1] is not None else ', the default'}): no rule sees POST parameters")
    if mode == "DetectionOnly" or action.lower() == "processpartial":
        why = "DetectionOnly" if mode == "DetectionOnly" else "SecRequestBodyLimitAction ProcessPartial"
        return (f"bodies over {limit} bytes ({nofiles} without files) are inspected only up to the limit "
                f"({why}): the rest passes uninspected")
    return (f"bodies over {limit} bytes ({nofiles} bytes without files) are refused before any rule runs "
            "(SecRequestBodyLimitAction Reject; the status is the engine's: `confcheck why --body` replays it)")

"""What makes httpd refuse to start (AH00526 "Syntax error"): directives in
the main configuration that their module rejects while reading them, bad
section regexes, and authz containers holding only negative Require lines
(mod_authz_core's check_config). A refused configuration answers nothing, so
`why` reports these as errors rather than predicting statuses."""

from __future__ import annotations

from confcheck.servers.apache.authz import only_negative
from confcheck.servers.apache.conf import ApacheConf, Section
from confcheck.servers.apache.perdir import DirectiveError, read_layer
from confcheck.source import Diagnostic


def startup_errors(conf: ApacheConf) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for message, node in conf.errors:
        out.append(Diagnostic(f"AH00526: Syntax error: {message}", node.span if node else None))
    for server in [conf.main] + conf.vhosts:
        sections = [Section("server", server.node, list(server.perdir), where=server.describe())]
        sections += server.dirs + server.locs
        for sec in _all(sections):
            try:
                layer = read_layer(sec, sec.pattern or None, modules=conf.modules)
            except DirectiveError as exc:
                node = exc.node or sec.node
                out.append(Diagnostic(f"AH00526: Syntax error: {exc.message}", node.span if node else None))
                continue
            if layer.authz is not None and only_negative(layer.authz):
                node = sec.node
                out.append(Diagnostic("AH01624: <Directory>, <Location>, or similar directive contains only "
                                      "negative authorization directives", node.span if node else None))
    return out


def _all(sections):
    for sec in sections:
        yield sec
        nested = [i for i in sec.items if isinstance(i, Section) and i.kind in
                  ("files", "filesmatch", "if", "elseif", "else")]
        yield from _all(nested)

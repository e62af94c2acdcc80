"""What makes httpd refuse to start (AH00526 "Syntax error", worded here as httpd
words the reason): directives in
the main configuration that their module rejects while reading them, bad
section regexes, and authz containers holding only negative Require lines
(mod_authz_core's check_config). A refused configuration answers nothing, so
`why` reports these as errors rather than predicting statuses."""

from __future__ import annotations

from confcheck.parsers.apache_loader import STATIC_NAMES
from confcheck.parsers.apache_regex import pcre_available
from confcheck.servers.apache.authz import only_negative
from confcheck.servers.apache.conf import ApacheConf, Section
from confcheck.servers.apache.perdir import DirectiveError, read_layer
from confcheck.source import Diagnostic


def startup_errors(conf: ApacheConf) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    # a configuration that loads no module (a lone vhost, a repository's main without its
    # mods-enabled) does not say which providers exist: none is refused for that
    modules = conf.modules if conf.modules - STATIC_NAMES else None
    for message, node in conf.errors:
        if message == "Regex could not be compiled" and pcre_available():
            continue       # apache_validate asked PCRE2 itself (Python's re differs from it)
        out.append(Diagnostic(message, node.header_span or node.span if node else None))
    for server in [conf.main] + conf.vhosts:
        sections = [Section("server", server.node, list(server.perdir), where=server.describe())]
        sections += server.dirs + server.locs
        for sec in _all(sections):
            try:
                layer = read_layer(sec, sec.pattern or None, modules=modules)
            except DirectiveError as exc:
                node = exc.node or sec.node
                out.append(Diagnostic(exc.message, node.span if node else None))
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

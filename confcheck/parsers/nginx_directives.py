"""Context and argument-count checks for nginx directives.

The data is crossplane's directive table (`crossplane.analyzer.DIRECTIVES`,
bitmasks copied from nginx's ngx_command_t definitions) plus a few directives
its 0.5.8 table lacks. crossplane is imported only when validating, so plain
parsing stays fast to import.

What is deliberately not an error:
* a directive neither table knows (third-party modules: more_set_headers, Lua);
* entries of map/types/geo/split_clients/match/charset_map bodies, which are
  data, not directives;
* anything inside a context crossplane has no entry for.
"""

from __future__ import annotations

from confcheck.source import Diagnostics
from confcheck.parsers.syntax import Node

# Blocks whose body is a table of entries, not directives.
DATA_BLOCKS = frozenset({"map", "types", "geo", "split_clients", "match", "charset_map"})

CODE = "nginx-directive"


def _local_directives(a) -> dict[str, list[int]]:
    """Directives real configs use that crossplane 0.5.8 does not know (nginx docs)."""
    http_ms = a.NGX_HTTP_MAIN_CONF | a.NGX_HTTP_SRV_CONF
    http_msl = http_ms | a.NGX_HTTP_LOC_CONF
    stream_ms = a.NGX_STREAM_MAIN_CONF | a.NGX_STREAM_SRV_CONF
    mail_ms = a.NGX_MAIL_MAIN_CONF | a.NGX_MAIL_SRV_CONF
    return {
        "http2": [http_ms | a.NGX_CONF_FLAG],                       # 1.25.1
        "http3": [http_ms | a.NGX_CONF_FLAG],                       # 1.25.0
        "http3_hq": [http_ms | a.NGX_CONF_FLAG],
        "quic_retry": [http_ms | a.NGX_CONF_FLAG],
        "quic_gso": [http_ms | a.NGX_CONF_FLAG],
        "ssl_reject_handshake": [http_ms | a.NGX_CONF_FLAG,         # 1.19.4
                                 stream_ms | a.NGX_CONF_FLAG],
        "ssl_conf_command": [http_ms | a.NGX_CONF_TAKE2,            # 1.19.4
                             stream_ms | a.NGX_CONF_TAKE2,
                             mail_ms | a.NGX_CONF_TAKE2],
        "proxy_ssl_conf_command": [http_msl | a.NGX_CONF_TAKE2,
                                   stream_ms | a.NGX_CONF_TAKE2],
        "grpc_ssl_conf_command": [http_msl | a.NGX_CONF_TAKE2],
        "uwsgi_ssl_conf_command": [http_msl | a.NGX_CONF_TAKE2],
        "ssl_ocsp": [http_ms | a.NGX_CONF_TAKE1],                   # 1.19.0
        "ssl_ocsp_cache": [http_ms | a.NGX_CONF_TAKE1],
        "ssl_ocsp_responder": [http_ms | a.NGX_CONF_TAKE1],
        "keepalive_time": [http_msl | a.NGX_CONF_TAKE1,             # 1.19.10
                           a.NGX_HTTP_UPS_CONF | a.NGX_CONF_TAKE1],
        "proxy_cookie_flags": [http_msl | a.NGX_CONF_TAKE1234],     # 1.19.3
        "ssl_key_log": [http_ms | a.NGX_CONF_TAKE1],
    }


class _Table:
    """crossplane's masks and contexts, loaded on first use of a validator."""

    def __init__(self) -> None:
        from crossplane import analyzer as a  # deliberately lazy: slow import
        self.a = a
        self.directives = dict(a.DIRECTIVES)
        self.directives.update(_local_directives(a))
        self.contexts = a.CONTEXTS


def _enter(ctx: tuple, name: str) -> tuple:
    # crossplane's enter_block_ctx: locations don't nest as contexts
    if ctx and ctx[0] == "http" and name == "location":
        return ("http", "location")
    return ctx + (name,)


def _check(node: Node, ctx: tuple, table: _Table, diags: Diagnostics, cache: dict) -> None:
    """Report `node` if it is wrong in `ctx`; `cache` holds one dict of verdicts per context."""
    verdicts = cache.get(ctx)
    if verdicts is None:
        verdicts = cache[ctx] = {}
    _report(node, _cached_verdict(node, ctx, table, verdicts), diags)


def _cached_verdict(node: Node, ctx: tuple, table: _Table, verdicts: dict):
    is_block = node.children is not None
    key = (node.name, len(node.args), is_block)
    verdict = verdicts.get(key)
    if verdict is None:
        verdict = verdicts[key] = _verdict(node.name, ctx, is_block, len(node.args), table)
    return verdict


def _report(node: Node, verdict, diags: Diagnostics) -> None:
    if verdict is True:
        return
    if verdict == "flag":  # depends on the value, not only on the count
        value = node.args[0].value
        if value.lower() in ("on", "off"):
            return
        verdict = f'invalid value "{value}" in "{node.name}" directive, it must be "on" or "off"'
    diags.add(verdict, node.name_span, code=CODE)


def _verdict(name: str, ctx: tuple, is_block: bool, n_args: int, table: _Table):
    """True when fine, "flag" when an on/off value decides, else the message."""
    masks = table.directives.get(name)
    mask_ctx = table.contexts.get(ctx)
    if masks is None or mask_ctx is None:
        return True
    a = table.a
    masks = [m for m in masks if m & mask_ctx]
    if not masks:
        return f'"{name}" directive is not allowed here'
    reason = None
    flag = False
    for mask in reversed(masks):
        if mask & a.NGX_CONF_BLOCK and not is_block:
            reason = f'directive "{name}" has no opening "{{"'
            continue
        if not mask & a.NGX_CONF_BLOCK and is_block:
            reason = f'directive "{name}" is not terminated by ";"'
            continue
        if ((n_args <= 7 and mask >> n_args & 1)
                or mask & a.NGX_CONF_ANY
                or (mask & a.NGX_CONF_1MORE and n_args >= 1)
                or (mask & a.NGX_CONF_2MORE and n_args >= 2)):
            return True
        if mask & a.NGX_CONF_FLAG and n_args == 1:
            flag = True
            continue
        reason = f'invalid number of arguments in "{name}" directive'
    return "flag" if flag else reason


def validate_nginx(nodes: list[Node], diags: Diagnostics, *, context: tuple[str, ...] = ()) -> None:
    """Check every directive below `nodes` (includes followed) for context and arity.

    `context` is where `nodes` sit, as crossplane names contexts: () for the
    main file, ("http",) for a vhost snippet, ("http", "location") ...
    """
    table = _Table()
    cache: dict = {}
    # explicit stack of (iterator, context): source order, no recursion limit
    # on deep input; a block's siblings are read in a plain loop (hot path:
    # every node of the configuration)
    stack = [(iter(nodes), context)]
    while stack:
        it, ctx = stack.pop()
        verdicts = cache.get(ctx)
        if verdicts is None:
            verdicts = cache[ctx] = {}
        for node in it:
            verdict = verdicts.get((node.name, len(node.args), node.children is not None))
            if verdict is None:
                verdict = _cached_verdict(node, ctx, table, verdicts)
            if verdict is not True:
                _report(node, verdict, diags)
            if node.included:
                stack.append((it, ctx))
                stack.extend((iter(inc.nodes), ctx) for inc in reversed(node.included))
                break
            if node.children and node.name not in DATA_BLOCKS:
                stack.append((it, ctx))
                stack.append((iter(node.children), _enter(ctx, node.name)))
                break


MAIN_ONLY = frozenset({"http", "events", "stream", "mail", "user", "worker_processes", "pid",
                       "load_module", "worker_rlimit_nofile", "daemon", "master_process"})
SNIPPET_CONTEXTS = (("http",), ("http", "server"), ("http", "location"))


def snippet_context(nodes: list[Node]) -> tuple[str, ...]:
    """Where a file that is not a main config most plausibly sits.

    A vhost file (sites-available/shop.conf) holds `server` blocks for http{};
    a snippet holds `location` blocks or directives for a server or location.
    nginx would only know from the include site, so pick the context in which
    the file's own top-level directives are valid: the one with fewest errors.
    """
    if any(n.name in MAIN_ONLY for n in nodes):
        return ()
    best, best_errors = SNIPPET_CONTEXTS[0], None
    for context in SNIPPET_CONTEXTS:
        trial = Diagnostics()
        table_check = _Table()
        cache: dict = {}
        for node in nodes:
            _check(node, context, table_check, trial, cache)
        if best_errors is None or len(trial.items) < best_errors:
            best, best_errors = context, len(trial.items)
    return best


def validate(config, diags: Diagnostics) -> None:
    """Validate a loaded NginxConfig: the main file in the main context, a
    lone vhost or snippet file where its directives belong."""
    main = config.main.source.path.rsplit("/", 1)[-1] == "nginx.conf"
    context = () if main else snippet_context(config.nodes)
    validate_nginx(config.nodes, diags, context=context)
